"""Parameters are bound as values: hostile text never changes a query's shape."""

from __future__ import annotations

import pytest
from conftest import PNET

import iakg
from iakg.catalogue import ParameterError, catalogue
from iakg.rdf.binding import BindingError, bind_values
from iakg.rdf.namespaces import curie

HOSTILE = ['"} ; DROP ALL ; SELECT * WHERE { ?s ?p ?o', "> } UNION { ?s ?p ?o", "x' . } #", "\\\" ) }"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_string_parameter_returns_nothing_extra(graph, value):
    assert graph.run("next-steps", scenario=PNET, result=value) == []


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_iri_parameter_is_rejected(value):
    query = catalogue()["recommendation"]
    with pytest.raises(ParameterError):
        query.bind({"scenario": value})
    with pytest.raises(BindingError):
        bind_values(query.text, {"scenario": iakg.IRI(value)})


def test_bad_variable_name_is_rejected():
    with pytest.raises(BindingError):
        bind_values("SELECT * WHERE { ?s ?p ?o }", {"s) } DROP ALL #": "x"})


def test_values_block_goes_into_the_where_group():
    construct = "CONSTRUCT { ?s <http://p> ?o } WHERE { ?s <http://q> ?o }"
    bound = bind_values(construct, {"o": "v"})
    assert bound.startswith("CONSTRUCT { ?s <http://p> ?o } WHERE { VALUES ?o { \"v\" }")
    tricky = 'PREFIX a: <http://x/#> # comment {\nSELECT ?s WHERE { ?s ?p "}" . FILTER(?s != <urn:{>) }'
    assert 'WHERE { VALUES ?s {' in bind_values(tricky, {"s": iakg.IRI("http://y")})


def test_unknown_parameter_is_rejected():
    with pytest.raises(ParameterError, match="takes: scenario"):
        catalogue()["recommendation"].bind({"scenari": "iakgd:x"})


def test_a_list_binds_each_value_and_an_empty_list_none(graph):
    """Several values of one parameter: one row each (how recommend asks the phases of every rated
    procedure at once); hostile text in a list is still a literal, and an empty list answers nothing."""
    text = "SELECT ?x WHERE { }"
    assert bind_values(text, {"x": ["b", "a", "a"]}) == 'SELECT ?x WHERE { VALUES ?x { "a" "b" }  }'
    assert bind_values(text, {"x": HOSTILE}).count('"') >= 2 * len(HOSTILE)
    assert sorted(r["x"] for r in graph.query(text, {"x": HOSTILE}).rows()) == sorted(HOSTILE)
    assert graph.query(text, {"x": []}).rows() == []
    with pytest.raises(BindingError):
        bind_values(text, {"x": [iakg.IRI("http://ok"), iakg.IRI(HOSTILE[1])]})
    procedures = [p.procedure for p in graph.recommend(PNET).procedures]
    together = graph.run("phases", procedure=[iakg.IRI(p) for p in procedures], scenario=PNET)
    one_by_one = [r for p in sorted(procedures) for r in graph.run("phases", procedure=p, scenario=PNET)]
    assert together == one_by_one and together
    assert graph.run("phases", procedure=[curie(p) for p in procedures], scenario=PNET) == together


def test_curies_are_expanded_in_one_place():
    """The command line, the API's name resolution, catalogue parameters, the table importer and CDS Hooks all
    read a CURIE through iakg.rdf.namespaces.expand."""
    from iakg.catalogue import expand_iri
    from iakg.domain.names import candidate_iris
    from iakg.rdf.namespaces import IAKG, IAKGD, expand, is_curie

    assert expand("iakgd:pnet") == IAKGD + "pnet" and expand("iakg:Topic") == IAKG + "Topic"
    for unchanged in ("https://example.org/x", "nope:thing", "pnet", "iakgd://host/x"):
        assert expand(unchanged) == unchanged
    assert is_curie("nope:thing") and not is_curie("https://example.org/x") and not is_curie("pnet")
    assert expand_iri("iakgd:pnet") == IAKGD + "pnet"
    assert candidate_iris("iakgd:pnet") == [IAKGD + "pnet"] and candidate_iris("pnet") == [IAKGD + "pnet"]
    assert candidate_iris("nope:thing") == [] and candidate_iris("https://example.org/x") == ["https://example.org/x"]
