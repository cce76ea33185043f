"""The answering path stays light: `iakg recommend` imports no SPARQL parser, validator or web stack (they are
imported where used: ordinary lazy imports of heavy dependencies), and no other command's module
(docs/cold-start.md).

The cold-start budget (<= 3x the bare engine, bench/run.py) depends on it; these tests assert what is imported,
never how long it takes."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pyoxigraph as ox

from iakg import catalogue
from iakg.catalogue.queries import _PARAM_TYPES
from iakg.rdf import safety
from iakg.rdf.namespaces import IAKG, QUERY, RDF, RDFS, SCHEMA, SH

HEAVY = ("rdflib", "pyshacl", "starlette", "uvicorn", "jinja2", "owlrl", "httpx", "pyparsing", "SPARQLWrapper",
         "httptools", "importlib.metadata", "rapidfuzz", "iakg.domain.reading", "iakg.domain.resolve")
#: the other commands' modules: the command registry imports the module of the command asked for
OTHER_COMMANDS = ("iakg.cli.publishing", "iakg.cli.sparql", "iakg.cli.authoring")

SCRIPT = """
import sys
sys.argv = ["iakg", "recommend", "pnet-post-resection-surveillance"] + {extra!r}
from iakg.cli import main
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
print(" ".join(m for m in {watched!r} if m in sys.modules), file=sys.stderr)
"""


def imported(extra: list[str], watched: tuple[str, ...]) -> tuple[str, list[str]]:
    """stdout of ``iakg recommend`` (with ``extra`` arguments) in a fresh process, and which of ``watched``
    it imported."""
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(extra=extra, watched=watched)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "pnet-post-resection-surveillance" in done.stdout
    lines = done.stderr.strip().splitlines()
    return done.stdout, lines[-1].split() if lines else []


def test_recommend_imports_nothing_heavy():
    out, found = imported(["--format", "json"], HEAVY)
    assert '"procedures"' in out
    assert found == []


def test_recommend_as_a_table_imports_no_other_command():
    """The benchmark's command (a table, to a pipe) imports its own command's module only."""
    out, found = imported([], OTHER_COMMANDS + HEAVY)
    assert found == []
    assert "CT abdomen and pelvis with IV contrast" in out


def test_import_iakg_is_light_and_the_api_still_there():
    code = ("import sys, iakg; assert 'iakg.api' not in sys.modules; "
            "from iakg import load, KnowledgeGraph; assert iakg.load is load and 'load' in dir(iakg); "
            "assert set(iakg.__all__) <= set(dir(iakg))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]


def test_derived_properties_are_class_attributes_not_fields():
    from iakg.domain import model, model_guidance, model_statements

    for cls in (model.RadiationLevel, model.RatedProcedure, model_guidance.IntervalRule,
                model_statements.DoseEstimate):
        assert cls._json_extra and "_json_extra" not in {f.name for f in dataclasses.fields(cls)}
    level = model.RadiationLevel("☢", 2, None, None)
    assert model.to_dict(level)["dose_range"] == "not stated"


def test_every_trusted_catalogue_query_passes_the_real_check():
    """The shipped queries are trusted without a parse on the answering path: the parser agrees with each."""
    for query in catalogue.catalogue().values():
        assert safety._check(safety.prepare(query.text))[0] == query.form, query.name
        assert safety.dataset_of(query.text) == ((), ()), query.name  # no FROM / FROM NAMED to honour


def test_catalogue_description_text_is_the_description_term_by_term():
    """The N-Triples text the store loads states what the catalogue's fields say, each term made by pyoxigraph."""
    endpoint = "http://127.0.0.1:7878/query"
    node = ox.NamedNode
    expected = set()
    for q in catalogue.catalogue().values():
        s = node(QUERY + q.name)
        expected |= {ox.Triple(s, node(RDF + "type"), node(SH + "SPARQLExecutable")),
                     ox.Triple(s, node(RDF + "type"), node(SH + f"SPARQL{q.form.capitalize()}Executable")),
                     ox.Triple(s, node(RDFS + "label"), ox.Literal(q.title, language="en")),
                     ox.Triple(s, node(RDFS + "comment"), ox.Literal(q.description, language="en")),
                     ox.Triple(s, node(SH + q.form), ox.Literal(q.text)),
                     ox.Triple(s, node(SCHEMA + "identifier"), ox.Literal(q.name)),
                     ox.Triple(s, node(SCHEMA + "target"), node(endpoint))}
        if q.example:
            expected.add(ox.Triple(s, node(IAKG + "exampleBindings"), ox.Literal(q.example)))
        for p in q.parameters:
            pn = node(f"{QUERY}{q.name}#{p.name}")
            expected |= {ox.Triple(s, node(IAKG + "queryParameter"), pn),
                         ox.Triple(pn, node(IAKG + "parameterName"), ox.Literal(p.name)),
                         ox.Triple(pn, node(IAKG + "parameterType"), node(_PARAM_TYPES[p.type])),
                         ox.Triple(pn, node(IAKG + "optionalParameter"), ox.Literal(p.optional)),
                         ox.Triple(pn, node(RDFS + "comment"), ox.Literal(p.description, language="en"))}
    assert set(catalogue.describe(endpoint=endpoint)) == expected
    assert any("\n" in t.object.value for t in expected if isinstance(t.object, ox.Literal))  # escapes tested


def test_registry_imports_builtin_modules_only_as_far_as_needed():
    from iakg.cli.registry import COMMANDS
    from iakg.registry import Registry

    names = COMMANDS.names()  # every built-in command, in registration order, whatever was asked first
    assert names[:3] == ["recommend", "match", "scenarios"] and {"export", "query", "serve"} <= set(names)
    seen: list[str] = []  # modules "imported": each registers an entry named after itself
    lazy: Registry[int] = Registry("thing", ("first", "second"))
    import importlib

    real, importlib.import_module = importlib.import_module, lambda name: (seen.append(name),
                                                                           lazy.register(name, len(seen)))
    try:
        assert lazy.get("first") == 1 and seen == ["first"]  # the second module is not imported
        assert "second" in lazy and seen == ["first", "second"]
    finally:
        importlib.import_module = real


def test_drop_duplicates_keeps_one_copy_and_skips_a_store_of_kept_graphs_only():
    from iakg.rdf.store import drop_duplicates

    s, p, o = ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"), ox.Literal("o")
    data, extra = "http://example.org/data", "http://example.org/extra"
    store = ox.Store()
    store.extend([ox.Quad(s, p, o, ox.NamedNode(data)), ox.Quad(s, p, ox.Literal("x"), ox.NamedNode(data))])
    drop_duplicates(store, [data])
    assert len(store) == 2
    store.add(ox.Quad(s, p, o, ox.NamedNode(extra)))
    drop_duplicates(store, [data])
    assert {(q.object.value, q.graph_name.value) for q in store} == {("o", data), ("x", data)}
