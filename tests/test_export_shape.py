"""The shape of the exports: compacted JSON-LD with the project's context, readable Turtle (nested blank nodes
and lists), both still deterministic and isomorphic to the N-Quads, hostile literals and shapes included."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from pyld import jsonld

from iakg.rdf.writers import jsonld as _jsonld
from iakg.rdf.writers import turtle

# fictional triples chosen to break a writer: non-canonical literals, lists of lists, an empty list, a shared
# blank node, a cycle of blank nodes used once each, a list whose node carries an extra arc, languages
HOSTILE = b"""
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a ex:dec "0"^^xsd:decimal, "0.10"^^xsd:decimal ; ex:int "01"^^xsd:integer, "-0"^^xsd:integer, 7 ;
     ex:int "99999999999999999999"^^xsd:integer ;
     ex:bool "1"^^xsd:boolean, true ; ex:dbl "1.0E0"^^xsd:double ; ex:str "x", "x"@en, ""@fr ;
     ex:list ( 1 ( "a" ex:b ) () [ ex:p 2 ] ) ; ex:nested [ ex:q [ ex:r "deep" ] ] ;
     ex:shared _:s ; ex:again _:s .
ex:c ex:shared _:s .
_:s ex:p "shared" .
_:x ex:next _:y . _:y ex:next _:x .
ex:d ex:odd _:l1 . _:l1 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> 1 ;
     <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> <http://www.w3.org/1999/02/22-rdf-syntax-ns#nil> ; ex:extra 1 .
"""


def canonical(quads) -> set[str]:
    dataset = ox.Dataset(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in dataset}


def sorted_triples(data: bytes):
    """The triples as the release hands them to the writers: canonical labels, sorted N-Triples."""
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
                         for t in ox.parse(data, format=ox.RdfFormat.TURTLE))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    lines = "".join(sorted(f"{q.subject} {q.predicate} {q.object} .\n" for q in dataset)).encode()
    return lambda: ox.parse(lines, format=ox.RdfFormat.N_TRIPLES)


@pytest.mark.parametrize("write, fmt", [(turtle, ox.RdfFormat.TURTLE), (_jsonld, ox.RdfFormat.JSON_LD)])
def test_hostile_graph_round_trips_and_is_deterministic(write, fmt):
    triples = sorted_triples(HOSTILE)
    first, second = write(triples()), write(triples())
    assert first == second
    assert canonical(ox.parse(first, format=fmt)) == canonical(triples())


def test_hostile_jsonld_read_by_pyld_too():
    triples = sorted_triples(HOSTILE)
    document = json.loads(_jsonld(triples()))
    back = ox.parse(jsonld.to_rdf(document, {"format": "application/n-quads"}).encode(), format=ox.RdfFormat.N_QUADS)
    assert canonical(back) == canonical(triples())


def test_turtle_nests_blank_nodes_and_lists(graph):
    text = graph.export("ttl").decode()
    assert text.startswith("@prefix ")
    assert "_:" not in text and "rdf:first" not in text  # every blank node of the shipped graph is used once
    assert "sh:property [ sh:class " in text
    hostile = turtle(sorted_triples(HOSTILE)()).decode()
    ex = "http://example.org/"
    assert f'<{ex}list> ( 1 ( "a" <{ex}b> ) () [ <{ex}p> 2 ] ) ;' in hostile
    assert f'<{ex}nested> [ <{ex}q> [ <{ex}r> "deep" ] ] ;' in hostile
    assert hostile.count("_:") == 6  # the shared blank node (4 mentions) and the cycle (2) keep labels
    assert '"0"^^xsd:decimal' in hostile and '"1"^^xsd:boolean' in hostile and '"1.0E0"^^xsd:double' in hostile


def test_jsonld_is_compacted_with_the_project_context(graph):
    document = json.loads(graph.export("jsonld"))
    assert document["@context"]["iakg"] == "https://w3id.org/iakg/ontology#"
    nodes = {node["@id"]: node for node in document["@graph"]}
    ontology = nodes["https://w3id.org/iakg/ontology"]
    assert ontology["@type"] == "owl:Ontology"  # a single value, not an array; a prefixed name
    assert isinstance(ontology["owl:versionInfo"], str)  # a plain string, not a value object
    text = json.dumps(document)
    assert '"_:' not in text and "rdf:first" not in text and '"@list"' in text
    assert '"@type": "xsd:integer"' not in text and '"@type": "xsd:string"' not in text  # numbers, strings
    assert not any(key.startswith("http") for node in document["@graph"] for key in node)
