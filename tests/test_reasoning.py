"""OWL RL inference adds triples in its own named graph and leaves asserted ones alone."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from conftest import FIXTURES

import iakg
from iakg import resources
from iakg.rdf.namespaces import GRAPH_INFERRED, IAKG, IAKGD
from iakg.rdf.rdflib_bridge import asserted_graph


def test_inferred_triples_are_kept_apart(graph):
    reasoned = iakg.load(reason=True)
    ask = "ASK { GRAPH <%s> { <%sct-abdomen-pelvis-with-iv-contrast> a <%sImagingProcedure> } }"
    assert reasoned.query(ask % (GRAPH_INFERRED, IAKGD, IAKG)).boolean is True
    assert graph.query(ask % (GRAPH_INFERRED, IAKGD, IAKG)).boolean is False
    transitive = "ASK { <%stopic-pnet-surveillance-after-resection> <%sancestorTopic> <%shub-pnet-imaging> }"
    assert reasoned.query(transitive % (IAKGD, IAKG, IAKGD)).boolean is True
    assert len(asserted_graph(reasoned.store())) == len(asserted_graph(graph.store()))


# ---- the in-engine rules equal owlrl on the part of OWL RL the project uses (see iakg.rdf.reasoning)
OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
#: schema statements the rules cover, and the annotations that entail nothing
COVERED_PREDICATES = {RDFS + x for x in ("subClassOf", "subPropertyOf", "domain", "range", "label", "comment",
                                         "seeAlso", "isDefinedBy")} | {
    OWL + x for x in ("equivalentClass", "equivalentProperty", "inverseOf", "versionInfo", "versionIRI", "priorVersion",
                      "imports")}
COVERED_TYPES = {OWL + x for x in ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty", "Ontology",
                                   "TransitiveProperty", "SymmetricProperty")} | {RDFS + "Datatype", RDFS + "Class"}
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
FIXTURE_FILES = [FIXTURES / "second-topic.ttl", *sorted((FIXTURES / "broken").glob("*.ttl"))]


def _owlrl_closure(extra) -> set[tuple[str, str, str]]:
    """owlrl's inferred triples (valid RDF only), less the trivial ones, as N-Triples terms."""
    import owlrl
    import rdflib

    from iakg.rdf.rdflib_bridge import _ox
    from iakg.rdf.reasoning import _PREFIX_TEXT, TRIVIAL

    graph = asserted_graph(iakg.load(extra).store())
    asserted = set(graph)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(graph)
    scratch = ox.Store()
    scratch.extend(ox.Quad(_ox(s), _ox(p), _ox(o)) for s, p, o in graph
                   if (s, p, o) not in asserted and not isinstance(s, rdflib.Literal) and isinstance(p, rdflib.URIRef))
    rows = scratch.query(_PREFIX_TEXT + f"SELECT ?s ?p ?o {{ ?s ?p ?o FILTER(!{TRIVIAL}) }}")
    return {(str(r[0]), str(r[1]), str(r[2])) for r in rows}


def _engine_closure(extra) -> set[tuple[str, str, str]]:
    store = iakg.load(extra, reason=True).engine.store
    return {(str(q.subject), str(q.predicate), str(q.object))
            for q in store.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH_INFERRED))}


@pytest.mark.parametrize("extra", [[], FIXTURE_FILES], ids=["shipped", "fixtures"])
def test_engine_rules_equal_owlrl(extra):
    mine, theirs = _engine_closure(extra), _owlrl_closure(extra)
    assert mine, "the closure should not be empty"
    assert mine == theirs, {"engine only": sorted(mine - theirs)[:5], "owlrl only": sorted(theirs - mine)[:5]}


def test_the_graphs_use_only_axioms_the_rules_cover():
    """A new OWL construct (a restriction, sameAs, a key, ...) needs new rules: this test says so."""
    store = ox.Store()
    for path in [resources.ONTOLOGY_FILE, *resources.data_files(), *FIXTURE_FILES]:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    vocabulary = (OWL, RDFS)
    predicates = {q.predicate.value for q in store if q.predicate.value.startswith(vocabulary)}
    types = {q.object.value for q in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), None)
             if isinstance(q.object, ox.NamedNode) and q.object.value.startswith(vocabulary)}
    assert predicates <= COVERED_PREDICATES, predicates - COVERED_PREDICATES
    assert types <= COVERED_TYPES, types - COVERED_TYPES
