"""The project's validator and pyshacl (>= 0.40, run on a pyoxigraph store) report the same violations (focus
node, path, value, shape, source shape, constraint component, severity): on the shipped graph and on the
shipped graph with every broken fixture merged in."""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from conftest import FIXTURES
from rdflib.namespace import SH

import iakg
from iakg.rdf.namespaces import GRAPH_DATA, GRAPH_EXTRA, GRAPH_ONTOLOGY, curie
from iakg.validate.reference import owning_shape
from iakg.validate.results import read_path, simple_path
from iakg.validate.shacl import shapes_graph

BROKEN = sorted((FIXTURES / "broken").glob("*.ttl"))


def _pyshacl_results(graph: iakg.KnowledgeGraph) -> Counter:
    """pyshacl alone on a pyoxigraph store holding the asserted graphs (as one default graph)."""
    store = ox.Store()
    for name in (GRAPH_ONTOLOGY, GRAPH_DATA, GRAPH_EXTRA):
        text = graph.engine.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(name)) or b""
        store.load(text, format=ox.RdfFormat.N_TRIPLES)
    shapes = shapes_graph()
    _, report, _ = pyshacl.validate(store, shacl_graph=shapes, inference="none", allow_warnings=True)
    found: Counter = Counter()
    for top in report.subjects(rdflib.RDF.type, SH.ValidationReport):
        for result in report.objects(top, SH.result):
            value, source = report.value(result, SH.value), report.value(result, SH.sourceShape)
            path = report.value(result, SH.resultPath)
            path = None if path is None else simple_path(read_path(report, path))
            severity = curie(str(report.value(result, SH.resultSeverity))).replace("sh:", "")
            found[(str(report.value(result, SH.focusNode)), path,
                   owning_shape(shapes, source), severity, None if value is None else str(value),
                   str(report.value(result, SH.sourceConstraintComponent)),
                   f"_:{source}" if isinstance(source, rdflib.BNode) else str(source))] += 1
    return found


@pytest.mark.parametrize("extra", [[], BROKEN], ids=["shipped", "shipped+broken"])
def test_same_violations_as_pyshacl_on_the_store(extra):
    graph = iakg.load(extra)
    ours = Counter((v.focus, v.path, v.shape, v.severity, v.value, v.component, v.source_shape)
                   for v in graph.validate().violations)
    theirs = _pyshacl_results(graph)
    if extra:
        assert ours, "the broken fixtures should be reported"
    assert ours == theirs, {"ours only": sorted(ours - theirs)[:5], "pyshacl only": sorted(theirs - ours)[:5]}


def test_chunked_validation_reports_the_same():
    """The bounded-memory path (SHACL-Core on neighbourhoods of a few focus nodes) equals the whole-graph one."""
    from iakg.validate.shacl import validate_store

    graph = iakg.load(BROKEN)
    graphs = [GRAPH_ONTOLOGY, GRAPH_DATA, GRAPH_EXTRA]
    key = lambda report: Counter((v.focus, v.path, v.shape, v.severity, v.value, v.component, v.source_shape)
                                 for v in report.violations)
    assert key(validate_store(graph.engine.store, graphs, chunk=40, compiled=False)) == key(graph.validate())
