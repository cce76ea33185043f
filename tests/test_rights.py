"""Rights per source: every source states its licence or its rights, every statement is under a source's
terms or the project's licence (0 without), the dataset's licence is computed from them and agrees with the
README, and pages, card sources and table exports show them."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest
from conftest import ROOT

import iakg
from iakg.rdf.namespaces import DATASET_IRI

CC_BY = "https://creativecommons.org/licenses/by/4.0/"
DCT = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"


@pytest.fixture(scope="module")
def released(graph):
    store = ox.Store()
    store.load(graph.release().nquads, format=ox.RdfFormat.N_QUADS)
    return store


def select(store: ox.Store, query: str) -> list:
    return list(store.query("PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX void: <http://rdfs.org/ns/void#> "
                            "PREFIX iakg: <https://w3id.org/iakg/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#> "
                            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> " + query,
                            use_default_graph_as_union=True))


def test_no_statement_is_without_a_licence_or_rights(graph, released):
    """A statement is about a resource that cites a source (then under the source's terms, which every source
    states) or about one that cites none (then the project's own, under the ontology's licence)."""
    unstated = select(released, "SELECT ?s WHERE { ?s a iakg:SourceDocument "
                                "FILTER NOT EXISTS { ?s dcterms:license ?l } "
                                "FILTER NOT EXISTS { ?s dcterms:rights ?r } }")
    assert unstated == []
    derived_from_nothing_with_terms = select(released, """SELECT ?s WHERE { ?s prov:wasDerivedFrom ?src
        FILTER NOT EXISTS { ?src dcterms:license ?l } FILTER NOT EXISTS { ?src dcterms:rights ?r } }""")
    assert derived_from_nothing_with_terms == []
    [project] = select(released, "SELECT ?l WHERE { <https://w3id.org/iakg/ontology> dcterms:license ?l }")
    assert project["l"].value == CC_BY
    # the parts account for every statement of the content: the project's plus those under some source
    parts = {r["part"].value: int(r["n"].value) for r in select(
        released, f"SELECT ?part ?n WHERE {{ <{DATASET_IRI}> void:subset ?part . ?part void:triples ?n }}")}
    content = graph.release().content().count(b"\n")  # content quads (each triple in one graph: no duplicates)
    derived = int(select(released, """SELECT (COUNT(*) AS ?n) WHERE { { SELECT DISTINCT ?x WHERE {
        ?x ?cites ?src . ?src a iakg:SourceDocument } } GRAPH ?g { ?x ?p ?o }
        FILTER(?g != <https://w3id.org/iakg/graph/description>) }""")[0]["n"].value)
    assert parts[DATASET_IRI + "#part-project"] + derived == content
    assert all(n > 0 for n in parts.values())


def test_the_shape_refuses_a_source_without_terms(tmp_path):
    extra = tmp_path / "source.ttl"
    extra.write_text("""@prefix iakg: <https://w3id.org/iakg/ontology#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://example.org/x/a-page> a iakg:SourceDocument ; rdfs:label "a page"@en ; dcterms:title "A page" .""")
    report = iakg.load([extra]).validate()
    assert not report.conforms
    assert any(v.focus == "https://example.org/x/a-page" and v.path == DCT + "rights" for v in report.violations)


def test_the_dataset_licence_is_computed_from_the_sources_and_agrees_with_the_readme(released):
    dataset = select(released, f"SELECT ?l WHERE {{ <{DATASET_IRI}> dcterms:license ?l }}")
    [summary] = select(released, f"SELECT ?t WHERE {{ <{DATASET_IRI}> dcterms:rights ?r . ?r rdfs:label ?t }}")
    parts = select(released, f"""SELECT ?source ?license ?rights WHERE {{ <{DATASET_IRI}> void:subset ?part
        OPTIONAL {{ ?part dcterms:source ?source }} OPTIONAL {{ ?part dcterms:license ?license }}
        OPTIONAL {{ ?part dcterms:rights ?rights }} }}""")
    project = [p for p in parts if p["source"] is None]
    sources = [p for p in parts if p["source"] is not None]
    assert [p["license"].value for p in project] == [CC_BY]
    open_sources = [p for p in sources if p["license"] is not None and p["license"].value == CC_BY]
    assert not open_sources  # the article's and the ACR's terms are no open licence we can assert
    assert dataset == []  # so the whole is not under one licence: no dataset-wide dcterms:license
    assert summary["t"].value.startswith("Not under one licence.")
    readme = re.sub(r"\s+", " ", (ROOT / "README.md").read_text(encoding="utf-8"))
    assert "The code is under the MIT licence" in readme
    assert "CC BY 4.0" in readme and "the dataset is not under one licence" in readme
    assert re.search(r'^license = "MIT"$', (ROOT / "pyproject.toml").read_text(), re.M)  # the code's licence
    for needle in ("the article's rights are not stated", "ACR's terms forbid redistributing or adapting"):
        assert needle in readme
    article = select(released, "SELECT ?t WHERE { <https://w3id.org/iakg/id/article-pnet-surveillance> "
                               "dcterms:rights ?r . ?r rdfs:label ?t }")
    assert article[0]["t"].value.startswith("Rights not stated")
    acr = select(released, "SELECT ?t WHERE { <https://w3id.org/iakg/id/acr-rrl-appendix> dcterms:rights ?r . "
                           "?r rdfs:label ?t }")
    assert "forbids redistributing or adapting" in acr[0]["t"].value


def test_pages_show_the_sources_terms(graph):
    from iakg.present.html import Pages

    pages = Pages(graph)
    scenario = pages.resource("https://w3id.org/iakg/id/pnet-post-resection-surveillance")
    assert "terms: Rights not stated" in scenario and ("The source&#39;s terms" in scenario
                                                       or "The source's terms" in scenario)
    source = pages.resource("https://w3id.org/iakg/id/acr-rrl-appendix")
    assert "These statements keep this source" in source and "forbids redistributing or adapting" in source
    assert "the dataset&#39;s rights" in scenario or "the dataset's rights" in scenario


def test_card_sources_show_the_sources_terms(graph):
    from iakg.cds.cards import CardMaker
    from iakg.cds.graph import GraphView

    view = GraphView(graph.engine)
    evidence = view.evidence("https://w3id.org/iakg/id/rating-pnet-surveillance-ct-abdomen-pelvis-with-iv-contrast")
    assert evidence.rights is not None and evidence.rights.startswith("Rights not stated")
    maker = CardMaker(view, "http://127.0.0.1/", "iakg graph release x", {})
    assert "sources' terms apply" in maker.source(None)["label"]

