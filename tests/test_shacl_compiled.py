"""SHACL-Core compiled to SPARQL (iakg.validate.core) against pyshacl, component by component, on a small
graph made to break each compiled constraint (and to satisfy it), plus what is left to pyshacl."""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib.namespace import SH

from iakg.validate.core import COMPILED, compile_shapes, run
from iakg.validate.shacl import _path_text

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


def test_compiled_constraints_report_what_pyshacl_reports():
    store, shapes = _store(), _shapes()
    default = [ox.NamedNode("http://example.org/g")]
    checks, residual = compile_shapes(shapes, SUBCLASSES)
    assert len(residual) == 0, "every constraint of these shapes is compiled"
    ours = Counter()
    for check, _message, node, value in run(store, default, checks):
        focus = node.value if isinstance(node, ox.NamedNode) else "_:"
        ours[(focus, check.path, None if value is None or isinstance(value, ox.BlankNode) else value.value,
              check.severity)] += 1
    flat = ox.Store()
    flat.extend(ox.Quad(q.subject, q.predicate, q.object) for q in store)
    _, report, _ = pyshacl.validate(flat, shacl_graph=shapes, inference="none", allow_warnings=True)
    theirs = Counter()
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        focus, value = report.value(result, SH.focusNode), report.value(result, SH.value)
        theirs[(str(focus) if isinstance(focus, rdflib.URIRef) else "_:",
                _path_text(report, report.value(result, SH.resultPath)),
                None if value is None or isinstance(value, rdflib.BNode) else str(value),
                str(report.value(result, SH.resultSeverity)).split("#")[1])] += 1
    assert ours == theirs, {"ours only": sorted(ours - theirs), "pyshacl only": sorted(theirs - ours)}
    assert not [key for key in ours if key[0] == "http://example.org/good1"], "the good node breaks nothing"
    broken_paths = {key[1] for key in ours if key[0] == "http://example.org/Bad-1"}
    assert len(broken_paths) >= 11, broken_paths  # every property shape (and the node's IRI pattern) fired


def test_the_shapes_message_is_used_else_a_default():
    store, shapes = _store(), _shapes()
    checks, _ = compile_shapes(shapes, SUBCLASSES)
    messages = {(check.path, message) for check, message, _, _ in run(store, [ox.NamedNode("http://example.org/g")],
                                                                          checks)}
    assert ("^http://example.org/owns", "someone must own it") in messages
    assert any(path == "http://example.org/score" and "xsd:integer" in message for path, message in messages)


def test_a_shape_beyond_the_compiled_components_is_left_to_pyshacl():
    shapes = _shapes()
    extra = rdflib.Graph().parse(data=PREFIXES + """
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:OrShape a sh:NodeShape ; sh:targetClass ex:Part ;
          sh:or ( [ sh:path ex:a ; sh:minCount 1 ] [ sh:path ex:b ; sh:minCount 1 ] ) .""", format="turtle")
    for triple in extra:
        shapes.add(triple)
    checks, residual = compile_shapes(shapes, {})
    assert {check.shape for check in checks} == {"http://example.org/ThingShape"}
    assert (rdflib.URIRef("http://example.org/OrShape"), SH.targetClass, rdflib.URIRef("http://example.org/Part")) \
        in residual
    assert not list(residual.objects(rdflib.URIRef("http://example.org/ThingShape"), SH.targetClass)), \
        "a compiled shape is not validated twice"
    flat = ox.Store()
    flat.extend(ox.Quad(q.subject, q.predicate, q.object) for q in _store())
    conforms, report, _ = pyshacl.validate(flat, shacl_graph=residual, inference="none")
    focus = {str(f) for f in report.objects(None, SH.focusNode)}
    assert "http://example.org/p1" in focus and "http://example.org/good1" not in focus
    assert SH["or"] not in COMPILED
