"""SHACL: the shipped data conforms, and every shape catches its broken fixture (focus node and path)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rdflib
from conftest import FIXTURES
from rdflib.namespace import OWL, RDF, RDFS, SH

import iakg
from iakg import resources
from iakg.rdf.namespaces import IAKG, PREFIXES
from iakg.validate.shacl import shapes_graph

BROKEN = sorted((FIXTURES / "broken").glob("*.ttl"))
NAMES = dict(PREFIXES, ex="https://example.org/broken/")


def _expand(text: str) -> str | None:
    if text == "-":
        return None
    inverse = text.startswith("^")
    text = text.lstrip("^")
    if text.startswith("<"):
        iri = text.strip("<>")
    else:
        prefix, _, local = text.partition(":")
        iri = NAMES[prefix] + local
    return ("^" if inverse else "") + iri


def _expectations(path: Path) -> tuple[str, list[tuple[str, str | None]]]:
    text = path.read_text(encoding="utf-8")
    shape = re.search(r"^# shape: (\S+)$", text, re.M).group(1)
    pairs = re.findall(r"^# expect: (\S+) (\S+)$", text, re.M)
    return shape, [(_expand(f), _expand(p)) for f, p in pairs]


@pytest.fixture(scope="session")
def broken_report():
    """One validation of the shipped graph with every broken fixture merged in."""
    return iakg.load(BROKEN).validate()


def test_shipped_graph_conforms(graph):
    report = graph.validate()
    assert report.conforms, "\n".join(map(str, report.violations))


@pytest.mark.parametrize("fixture", BROKEN, ids=lambda p: p.stem)
def test_shape_catches_its_broken_fixture(fixture, broken_report):
    shape, expected = _expectations(fixture)
    assert expected, f"{fixture.name} declares no '# expect:' line"
    found = {(v.focus, v.path) for v in broken_report.violations if v.shape == shape}
    for focus, path in expected:
        assert (focus, path) in found, f"{shape} did not report {focus} {path}; it reported {sorted(found)}"


def test_every_shape_has_a_broken_fixture():
    named = {str(s).rsplit("#", 1)[-1] for s in shapes_graph().subjects(RDF.type, SH.NodeShape)}
    assert named == {p.stem for p in BROKEN}


def test_every_constraint_has_a_message():
    shapes = shapes_graph()
    for node_shape in shapes.subjects(RDF.type, SH.NodeShape):
        for constraint in list(shapes.objects(node_shape, SH.property)) + list(shapes.objects(node_shape, SH.sparql)):
            assert shapes.value(constraint, SH.message), f"{node_shape}: a constraint has no sh:message"


def test_every_ontology_class_is_targeted_by_a_shape():
    ontology = rdflib.Graph().parse(resources.ONTOLOGY_FILE)
    shapes = shapes_graph()
    targeted = set(shapes.objects(None, SH.targetClass))
    for cls in ontology.subjects(RDF.type, OWL.Class):
        if not str(cls).startswith(IAKG):
            continue
        lineage = {cls} | set(ontology.transitive_objects(cls, RDFS.subClassOf))
        assert lineage & targeted, f"no shape targets {cls} or a superclass of it"


def test_violation_is_readable(broken_report):
    [line] = [str(v) for v in broken_report.violations
              if v.focus == "https://example.org/broken/rating-duplicate" and v.path.endswith("ratedProcedure")]
    assert line.startswith("Violation: second rating of the same pair <https://example.org/broken/rating-duplicate>")
    assert "iakg:ratedProcedure" in line and "same procedure for the same scenario" in line


def test_sparql_constraints_keep_to_what_shacl_allows():
    """SHACL (5.2.1) forbids MINUS, SERVICE and VALUES in a SPARQL constraint, and the validator joins the focus
    nodes in ahead of the query, which equals pre-binding ``$this`` only without sub-SELECTs: checked on each
    constraint's parsed algebra (pyshacl refuses a constraint with VALUES outright)."""
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    from iakg.validate.sparql import prefixes

    shapes = shapes_graph()
    for constraint in shapes.subjects(SH.select, None):
        query = prepareQuery(str(shapes.value(constraint, SH.select)), initNs=prefixes(shapes, constraint))
        names, projections = set(), 0
        todo = [query.algebra]
        while todo:
            node = todo.pop()
            if isinstance(node, CompValue):
                names.add(node.name)
                projections += node.name == "Project"
                todo.extend(node.values())
            elif isinstance(node, (list, tuple)):
                todo.extend(node)
        assert not names & {"ToMultiSet", "Minus", "ServiceGraphPattern"}, (constraint, names)
        assert projections == 1, f"a sub-SELECT in {constraint}"


def test_targeted_validation_of_changed_files(broken_report):
    topic = FIXTURES / "second-topic.ttl"
    assert iakg.load([topic]).validate(changed=[topic]).conforms
    merged = iakg.load([topic, *BROKEN])
    targeted = {(v.focus, v.path, v.message) for v in merged.validate(changed=BROKEN).violations}
    # the same findings as a full run for every resource the changed files describe (the other half of a
    # pair, e.g. the shipped rating a new one duplicates, is reported on the new one only)
    assert targeted == {(v.focus, v.path, v.message) for v in broken_report.violations
                        if v.focus.startswith("https://example.org/broken/")}


def test_validation_in_small_chunks_finds_the_same(broken_report):
    """Full validation runs SHACL-Core over bounded neighbourhoods of focus nodes; chunks of 5 nodes (so a
    criterion and the scenario that lists it, or a value and its type, land in different chunks) must
    report exactly what one big chunk reports."""
    from iakg.rdf.namespaces import GRAPH_DATA, GRAPH_EXTRA, GRAPH_ONTOLOGY
    from iakg.validate.shacl import validate_store

    store = iakg.load(BROKEN).engine.store
    small = validate_store(store, [GRAPH_ONTOLOGY, GRAPH_DATA, GRAPH_EXTRA], chunk=5, compiled=False)
    assert [(v.focus, v.path, v.message) for v in small.violations] == \
        [(v.focus, v.path, v.message) for v in broken_report.violations]
    assert len(small.violations) > len(BROKEN)
