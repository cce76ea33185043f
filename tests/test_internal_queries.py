"""The queries the package runs itself (pages, CDS cards, table import and export) are files in
queries/internal/, trusted on the answering path like the catalogue: each must pass the real check."""

from __future__ import annotations

import pytest

import iakg
from iakg import catalogue, resources
from iakg.present.html import pages
from iakg.rdf import safety


def test_every_internal_query_is_a_file_that_passes_the_real_check():
    names = sorted(p.stem for p in resources.INTERNAL_QUERIES_DIR.glob("*.rq"))
    assert len(names) >= 20
    for name in names:
        text = catalogue.internal(name)
        assert text.startswith("# "), name  # says what it is for and who runs it
        assert safety._check(safety.prepare(text))[0] in ("select", "ask", "construct", "describe"), name
        assert safety.dataset_of(text) == ((), ()), name  # trusted: no FROM / FROM NAMED to honour
    assert not set(names) & set(catalogue.catalogue())  # not part of the public catalogue


def test_page_caps_in_code_match_the_files():
    assert f"LIMIT {pages.INCOMING_CAP + 1}" in catalogue.internal("page-statements-into")
    assert f"LIMIT {pages.DERIVED_CAP + 1}" in catalogue.internal("page-derived-from-source")


def test_a_missing_internal_query_is_one_readable_error():
    with pytest.raises(iakg.KGError, match="no such internal query"):
        catalogue.internal("no-such-query")
