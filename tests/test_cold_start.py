"""The answering path stays light: `iakg recommend` imports no SPARQL parser, validator or web stack.

The cold-start budget (<= 2x the bare engine, bench/run.py) depends on it; this test asserts what is imported,
never how long it takes."""

from __future__ import annotations

import subprocess
import sys

from iakg import catalogue
from iakg.rdf import safety

HEAVY = ("rdflib", "pyshacl", "starlette", "uvicorn", "jinja2", "owlrl", "httpx", "pyparsing")

SCRIPT = """
import sys
sys.argv = ["iakg", "recommend", "pnet-post-resection-surveillance", "--format", "json"]
from iakg.cli import main
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
print(" ".join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


def test_recommend_imports_nothing_heavy():
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(heavy=HEAVY)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"procedures"' in done.stdout or done.stdout.strip()
    assert done.stderr.strip().splitlines()[-1:] in ([], [""]), done.stderr[-2000:]


def test_every_trusted_catalogue_query_passes_the_real_check():
    """The shipped queries are trusted without a parse on the answering path: the parser agrees with each."""
    for query in catalogue.catalogue().values():
        assert safety._check(query.text) == query.form, query.name
        assert safety.dataset_of(query.text) == ((), ()), query.name  # no FROM / FROM NAMED to honour
