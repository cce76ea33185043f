"""SHACL-Core compiled to SPARQL (iakg.validate.core) against pyshacl, component by component, on a small
graph made to break each compiled constraint (and to satisfy it), plus what is left to pyshacl, whole."""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import SH

from iakg.validate.components import COMPILED, COMPONENTS
from iakg.validate.core import compile_shapes
from iakg.validate.shacl import validate_store

SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ; sh:nodeKind sh:IRI ;
  sh:pattern "^http://example.org/[a-z0-9]+$" ;
  sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:maxCount 2 ; sh:datatype xsd:string ; sh:minLength 2 ;
                sh:maxLength 5 ] ;
  sh:property [ sh:path ex:score ; sh:datatype xsd:integer ; sh:minInclusive 1 ; sh:maxInclusive 9 ] ;
  sh:property [ sh:path ex:weight ; sh:minExclusive 0 ; sh:maxExclusive 10 ] ;
  sh:property [ sh:path ex:low ; sh:lessThanOrEquals ex:high ; sh:lessThan ex:top ] ;
  sh:property [ sh:path ex:label ; sh:languageIn ( "en" "fr" ) ; sh:uniqueLang true ] ;
  sh:property [ sh:path ex:colour ; sh:in ( ex:red ex:green ) ; sh:severity sh:Warning ] ;
  sh:property [ sh:path ex:kind ; sh:hasValue ex:good ] ;
  sh:property [ sh:path ex:same ; sh:equals ex:twin ; sh:disjoint ex:other ] ;
  sh:property [ sh:path ex:part ; sh:class ex:Part ; sh:nodeKind sh:BlankNodeOrIRI ] ;
  sh:property [ sh:path [ sh:inversePath ex:owns ] ; sh:minCount 1 ; sh:message "someone must own it" ] ;
  sh:property [ sh:path ex:code ; sh:pattern "^a" ; sh:flags "i" ] .
ex:Special rdfs:subClassOf ex:Thing .
"""
PREFIXES = "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
DATA = """
@prefix ex: <http://example.org/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Special rdfs:subClassOf ex:Thing . ex:SubPart rdfs:subClassOf ex:Part .
ex:owner ex:owns ex:good1 .
ex:good1 a ex:Thing ; ex:name "abc" ; ex:score 5 ; ex:weight 2.5 ; ex:low 1 ; ex:high 1 ; ex:top 2 ;
  ex:label "x"@en , "y"@fr ; ex:colour ex:red ; ex:kind ex:good ; ex:same ex:s ; ex:twin ex:s ;
  ex:part ex:p1 , [ a ex:SubPart ] ; ex:code "Abc" .
ex:p1 a ex:Part .
ex:Bad-1 a ex:Special ; ex:name "a" , "toolong" , 7 ; ex:score 0 , "x"^^xsd:integer , "3" , 12 ; ex:weight 0 , "w" ;
  ex:low 3 , "s" ; ex:high 2 ; ex:top 3 ; ex:label "z"@de , "u"@en , "v"@EN , "plain" ; ex:colour ex:blue ;
  ex:kind ex:bad ; ex:same ex:s1 , ex:s2 ; ex:twin ex:s1 , ex:s3 ; ex:other ex:s2 ; ex:part ex:nothing , "lit" ;
  ex:code "bcd" .
_:b a ex:Thing ; ex:name "ok" .
"""


SUBCLASSES = {"http://example.org/Thing": {"http://example.org/Special"},
              "http://example.org/Part": {"http://example.org/SubPart"}}


def _store() -> ox.Store:
    store = ox.Store()
    store.load(DATA.encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("http://example.org/g"))
    return store


def _shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(data=PREFIXES + SHAPES, format="turtle")


def _report(shapes: rdflib.Graph, compiled: bool, store: ox.Store | None = None):
    return validate_store(store or _store(), ["http://example.org/g"], lint=False, compiled=compiled, shapes=shapes)


def _keys(report) -> Counter:
    """Each result's terms (blank nodes as one label: the two validators see the same store, but keep it
    simple), messages aside."""
    def plain(term):
        return "_:" if isinstance(term, rdflib.BNode) else term
    return Counter((plain(r.focus), r.path, plain(r.value), plain(r.source_shape), r.component, r.severity)
                   for r in report.results)


def test_compiled_constraints_report_what_pyshacl_reports():
    store, shapes = _store(), _shapes()
    ours = _report(shapes, True, store)
    assert ours.handed_over == [] and ours.compiled == ["http://example.org/ThingShape"], \
        "every constraint of these shapes is compiled"
    theirs = _report(shapes, False, store)
    assert _keys(ours) == _keys(theirs), {"ours only": sorted(_keys(ours) - _keys(theirs), key=str),
                                          "pyshacl only": sorted(_keys(theirs) - _keys(ours), key=str)}
    assert not [v for v in ours.violations if v.focus == "http://example.org/good1"], "the good node breaks nothing"
    broken_paths = {v.path for v in ours.violations if v.focus == "http://example.org/Bad-1"}
    assert len(broken_paths) >= 11, broken_paths  # every property shape (and the node's IRI pattern) fired
    components = {r.component for r in ours.results}
    assert {SH[c.removeprefix(str(SH))] for c in map(str, COMPONENTS.values())} - components == set(), \
        "the graph breaks every compiled component"


def test_the_shapes_message_is_used_else_a_default():
    messages = {(v.path, v.message) for v in _report(_shapes(), True).violations}
    assert ("^http://example.org/owns", "someone must own it") in messages
    assert any(path == "http://example.org/score" and "xsd:integer" in message for path, message in messages)


def _with(turtle: str) -> rdflib.Graph:
    shapes = _shapes()
    prefixes = PREFIXES + "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .\n" \
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
    for triple in rdflib.Graph().parse(data=prefixes + turtle, format="turtle"):
        shapes.add(triple)
    return shapes


def test_a_shape_beyond_the_compiled_components_is_left_to_pyshacl():
    shapes = _with("""ex:OrShape a sh:NodeShape ; sh:targetClass ex:Part ;
          sh:or ( [ sh:path ex:a ; sh:minCount 1 ] [ sh:path ex:b ; sh:minCount 1 ] ) .""")
    made = compile_shapes(shapes, {})
    assert {check.shape for check in made.checks} == {"http://example.org/ThingShape"}
    assert made.handed_over == [rdflib.URIRef("http://example.org/OrShape")]
    assert (rdflib.URIRef("http://example.org/OrShape"), SH.targetClass, rdflib.URIRef("http://example.org/Part")) \
        in made.residual
    assert not list(made.residual.objects(rdflib.URIRef("http://example.org/ThingShape"), SH.targetClass)), \
        "a compiled shape is not validated twice"
    report = _report(shapes, True)
    focus = {v.focus for v in report.violations if v.shape == "http://example.org/OrShape"}
    assert "http://example.org/p1" in focus and "http://example.org/good1" not in focus
    assert SH["or"] not in COMPILED


def test_a_compiled_shape_reached_through_sh_node_is_still_checked_there():
    """ThingShape is compiled for its own targets; a handed-over shape that points at it through sh:node
    still gets its constraints (from the residual graph), without its targets."""
    shapes = _with("ex:Holder a sh:NodeShape ; sh:targetNode ex:owner ; "
                   "sh:property [ sh:path ex:owns ; sh:node ex:ThingShape ] .")
    ours, theirs = _report(shapes, True), _report(shapes, False)
    assert ours.handed_over == ["http://example.org/Holder"]
    assert _keys(ours) == _keys(theirs)
    assert any(v.focus == "http://example.org/owner" and v.component == str(SH.NodeConstraintComponent)
               for v in ours.violations) is False  # good1 conforms to ThingShape
    shapes.add((rdflib.URIRef("http://example.org/Holder"), SH.targetNode, rdflib.URIRef("http://example.org/Bad-1")))
    store = _store()
    store.add(ox.Quad(ox.NamedNode("http://example.org/Bad-1"), ox.NamedNode("http://example.org/owns"),
                      ox.NamedNode("http://example.org/Bad-1"), ox.NamedNode("http://example.org/g")))
    ours, theirs = _report(shapes, True, store), _report(shapes, False, store)
    assert _keys(ours) == _keys(theirs)
    assert [v.focus for v in ours.violations if v.component == str(SH.NodeConstraintComponent)] == \
        ["http://example.org/Bad-1"]


@pytest.mark.parametrize("turtle, reason", [
    ("ex:S a sh:NodeShape ; sh:targetNode ex:good1 ; sh:property [ sh:path ex:name ; sh:pattern \"(?<=a)b\" ] .",
     "a look-behind the engine's regular expressions lack"),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:good1 ; sh:property [ sh:path ex:name ; sh:minCount 1 , 2 ] .",
     "a parameter given twice"),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:good1 ; sh:property [ sh:path ( ex:part ex:name ) ; sh:minCount 1 ] .",
     "a sequence path"),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:good1 ; sh:property [ sh:path ex:name ; sh:datatype xsd:byte ] .",
     "a datatype whose lexical space the engine does not check"),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:good1 ; sh:sparql [ sh:select \"SELECT $this WHERE { }\" ] .",
     "SHACL-SPARQL in shapes other than the shipped ones"),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:good1 ; ex:maxWords 3 . ex:Words a sh:ConstraintComponent ; "
     "sh:parameter [ sh:path ex:maxWords ] .", "a parameter of a constraint component the shapes declare"),
    ("ex:S a sh:NodeShape ; sh:targetNode _:n ; sh:nodeKind sh:IRI .", "a blank node target"),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:good1 ; sh:property [ sh:path ex:part ; "
     "sh:property [ sh:path ex:name ; sh:minCount 1 ] ] .", "a property shape with property shapes"),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:good1 ; sh:deactivated \"yes\" .", "sh:deactivated not a boolean"),
    ("ex:Part a rdfs:Class ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .",
     "a class with shape terms that is not typed a shape"),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:good1 ; sh:closed true .", "sh:closed"),
    ("ex:S a sh:NodeShape ; sh:targetSubjectsOf \"name\" ; sh:nodeKind sh:IRI .", "a target predicate not an IRI"),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:good1 ; sh:property [ sh:path ex:low ; sh:lessThan \"x\" ] .",
     "a property pair with a literal"),
])
def test_what_is_not_compiled_goes_to_pyshacl_whole(turtle, reason):
    made = compile_shapes(_with(turtle), {})
    assert [str(s) for s in made.handed_over if "ThingShape" not in str(s)], reason
    assert "http://example.org/ThingShape" in map(str, made.compiled)


def test_a_subclass_that_is_a_blank_node_is_followed_by_the_queries():
    """A node typed with a blank-node class that is a subclass of a target class is a focus node: a query
    cannot name the blank node, so the queries follow rdf:type/rdfs:subClassOf* themselves."""
    store = _store()
    g = ox.NamedNode("http://example.org/g")
    blank = ox.BlankNode()
    thing, hidden = ox.NamedNode("http://example.org/Thing"), ox.NamedNode("http://example.org/hidden")
    store.extend([ox.Quad(blank, ox.NamedNode(str(rdflib.RDFS.subClassOf)), thing, g),
                  ox.Quad(hidden, ox.NamedNode(str(rdflib.RDF.type)), blank, g)])
    ours, theirs = _report(_shapes(), True, store), _report(_shapes(), False, store)
    assert _keys(ours) == _keys(theirs)
    assert "http://example.org/hidden" in {v.focus for v in ours.violations}


def test_an_implicit_class_target_compiled_is_not_run_again_by_pyshacl():
    """ex:Part is a class and a shape (compiled: its instances are its focus nodes); a handed-over shape
    reaches it through sh:node. The residual graph keeps ex:Part a shape but not a class, so pyshacl checks it
    only where sh:node asks."""
    shapes = _with("ex:Part a rdfs:Class , sh:NodeShape ; sh:nodeKind sh:IRI . "
                   "ex:Holder a sh:NodeShape ; sh:targetNode ex:good1 ; sh:property [ sh:path ex:part ; "
                   "sh:node ex:Part ] .")
    made = compile_shapes(shapes, {})
    assert "http://example.org/Part" in map(str, made.compiled) and made.handed_over == [
        rdflib.URIRef("http://example.org/Holder")]
    part = rdflib.URIRef("http://example.org/Part")
    assert (part, rdflib.RDF.type, SH.NodeShape) in made.residual
    assert (part, rdflib.RDF.type, rdflib.RDFS.Class) not in made.residual
    ours, theirs = _report(shapes, True), _report(shapes, False)
    assert _keys(ours) == _keys(theirs)
    assert [v.component for v in ours.violations if v.focus == "http://example.org/good1"
            and v.shape == "http://example.org/Holder"] == [str(SH.NodeConstraintComponent)]  # its blank part
