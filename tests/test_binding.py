"""Parameters are bound as values: hostile text never changes a query's shape."""

from __future__ import annotations

import pytest
from conftest import PNET

import iakg
from iakg.catalogue import ParameterError, catalogue
from iakg.rdf.binding import BindingError, bind_values

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
