"""Nothing clinical is invented: quotes occur in the source, codes come from the terminology reference."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import rdflib
from conftest import SOURCE, TERMINOLOGY
from rdflib.namespace import RDF, SKOS

from iakg import resources
from iakg.rdf.namespaces import IAKG, PROV

IAKG_NS = rdflib.Namespace(IAKG)


@pytest.fixture(scope="module")
def data() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in resources.data_files():
        graph.parse(path)
    return graph


def _needed(path: Path, what: str) -> None:
    """In CI (CI=true) a missing shared file fails the test; locally the test is skipped and says why."""
    if path.exists():
        return
    message = (f"the shared {what} is not at {path} (it lives beside the checkout, not in it): "
               "the source-quote and code checks cannot run")
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(message + "; in CI this is a failure, not a skip")
    pytest.skip(message)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_every_evidence_quote_is_verbatim_in_the_article(data):
    _needed(SOURCE, "source article")
    article = _norm(SOURCE.read_text(encoding="utf-8"))
    quotes = [str(q) for q in data.objects(None, IAKG_NS.evidenceQuote)]
    assert len(quotes) > 50
    missing = [q for q in quotes if _norm(q) not in article]
    assert not missing, missing


def test_every_code_is_in_the_terminology_reference(data):
    _needed(TERMINOLOGY, "terminology reference")
    reference = TERMINOLOGY.read_text(encoding="utf-8")
    codes = [str(o) for o in data.objects(None, SKOS.notation) if o.datatype in (IAKG_NS.LOINC, IAKG_NS.HCPCS)]
    external = {str(o) for p in (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch) for o in data.objects(None, p)}
    ids = [iri.rsplit("/", 1)[-1].replace("NCIT_", "") for iri in external]
    assert codes and ids
    for code in codes + ids:
        assert code in reference, f"{code} is not in the terminology reference"


def test_every_rating_names_its_source_and_authority(data):
    ratings = list(data.subjects(RDF.type, IAKG_NS.AppropriatenessRating))
    assert len(ratings) == 5
    for rating in ratings:
        assert data.value(rating, rdflib.URIRef(PROV + "wasDerivedFrom")) is not None
        assert data.value(rating, IAKG_NS.ratingAuthority) is not None
        assert data.value(rating, IAKG_NS.evidenceQuote) is not None


def test_no_radiation_level_without_a_stated_source(data):
    for procedure in data.subjects(IAKG_NS.radiationLevel, None):
        assert data.value(procedure, IAKG_NS.radiationLevelSource) is not None
    fdg = rdflib.URIRef("https://w3id.org/iakg/id/fdg-pet-ct")
    assert data.value(fdg, IAKG_NS.radiationLevel) is None  # the article states none


@pytest.mark.parametrize("ci, outcome", [("true", "failed"), ("", "skipped")])
def test_a_missing_article_fails_in_ci_and_is_skipped_locally(monkeypatch, tmp_path, ci, outcome):
    monkeypatch.setenv("CI", ci)
    try:
        _needed(tmp_path / "absent.txt", "source article")
    except pytest.fail.Exception as exc:
        assert outcome == "failed" and "in CI this is a failure" in str(exc)
    except pytest.skip.Exception as exc:
        assert outcome == "skipped" and "cannot run" in str(exc)
    else:
        pytest.fail("a missing file neither failed nor skipped")


def test_silence_is_recorded_as_silence(data):
    """A scope limit the article does not state comes from the project's authoring note, not the article, and
    the article indeed says nothing of it; a limit the article states quotes it."""
    _needed(SOURCE, "source article")
    article = _norm(SOURCE.read_text(encoding="utf-8")).lower()
    note = rdflib.URIRef("https://w3id.org/iakg/id/note-pnet-surveillance-scope")
    absent = {"pregnan", "pacemaker", "claustrophob", "implant", "contraindication to mri", "men1",
              "multiple endocrine", "hereditary"}
    assert not {word for word in absent if word in article}
    limits = list(data.subjects(RDF.type, IAKG_NS.ScopeLimit))
    assert len(limits) >= 3
    for limit in limits:
        sources = set(data.objects(limit, rdflib.URIRef(PROV + "wasDerivedFrom")))
        quote = data.value(limit, IAKG_NS.evidenceQuote)
        if note in sources:
            assert quote is None, f"{limit}: a statement of the project's note quotes nothing of the article"
        else:
            assert quote is not None and _norm(str(quote)).lower() in article
