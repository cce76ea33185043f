"""The endpoint's content negotiation, format by format and query form by query form (newcomer review 2, item 12):
every format offered for a form answers 200 with its Content-Type and a body that parses (json, csv, rdflib),
also when asked for by the other names the engine knows it by; a format not offered for the form is 406 naming
those that are; no Accept (or ``*/*``) gets the form's default. Graph results come in every RDF format the
linked-data pages serve and more; ASK as CSV/TSV is what ``iakg query`` prints; a dataset version released
before (``owl:priorVersion``) dereferences."""

from __future__ import annotations

import csv
import http.client
import io
import json
import urllib.parse

import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.query import Result as RdflibResult

from iakg.io import releases
from iakg.present.results import RESULT_FORMATS
from iakg.rdf.engine import Result
from iakg.rdf.namespaces import BASE, DATASET_IRI
from iakg.serve.app import Endpoint

SELECT = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX iakg: <https://w3id.org/iakg/ontology#> "
          "SELECT ?s ?label WHERE { ?s a iakg:ClinicalScenario ; rdfs:label ?label } ORDER BY ?s LIMIT 3")
ASK = "ASK { ?s a <https://w3id.org/iakg/ontology#ClinicalScenario> }"
CONSTRUCT = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX iakg: <https://w3id.org/iakg/ontology#> "
             "CONSTRUCT { ?s rdfs:label ?label } WHERE { ?s a iakg:ClinicalScenario ; rdfs:label ?label }")
DESCRIBE = "DESCRIBE <https://w3id.org/iakg/id/pnet-post-resection-surveillance>"
QUERIES = {"select": SELECT, "ask": ASK, "construct": CONSTRUCT, "describe": DESCRIBE}

#: media type -> the other names the engine (pyoxigraph) reads it by
RESULTS = {"application/sparql-results+json": ["application/json"],
           "application/sparql-results+xml": ["application/xml", "text/xml"],
           "text/csv": [], "text/tab-separated-values": ["text/tsv"]}
#: media type -> (rdflib parser, other names)
GRAPHS = {"text/turtle": ("turtle", ["application/x-turtle"]), "application/ld+json": ("json-ld", ["application/json"]),
          "application/n-triples": ("nt", ["text/plain"]), "application/rdf+xml": ("xml", ["application/xml"]),
          "application/n-quads": ("nquads", ["text/x-nquads"]), "application/trig": ("trig", [])}
DEFAULT = {"select": "application/sparql-results+json", "ask": "application/sparql-results+json",
           "construct": "text/turtle", "describe": "text/turtle"}


@pytest.fixture(scope="module")
def served(graph):
    with Endpoint(graph) as running:
        yield running


def request(endpoint, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """(status, headers with lower-case names, body) of one request to ``endpoint``."""
    parts = urllib.parse.urlsplit(endpoint.base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def sparql(endpoint, query: str, accept: str | None):
    body = urllib.parse.urlencode({"query": query}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if accept is not None:
        headers["Accept"] = accept
    return request(endpoint, "POST", "/sparql", body, headers)


def kind(headers: dict) -> str:
    return headers["content-type"].split(";")[0].strip()


def rdf_graph(body: bytes, media: str) -> rdflib.Graph:
    """The triples of a graph answer (N-Quads and TriG: of its default graph, the only one a CONSTRUCT fills)."""
    parser = GRAPHS[media][0]
    if parser in ("nquads", "trig"):
        dataset = rdflib.Dataset()
        dataset.parse(data=body, format=parser)
        out = rdflib.Graph()
        for s, p, o, _ in dataset.quads((None, None, None, None)):
            out.add((s, p, o))
        return out
    return rdflib.Graph().parse(data=body, format=parser)


def check_results(form: str, media: str, body: bytes, in_process: Result) -> None:
    """``body`` is ``in_process``'s answer in ``media``, read by json, csv and rdflib's result parsers."""
    if form == "ask":
        expected = RESULT_FORMATS[{"text/csv": "csv", "text/tab-separated-values": "tsv"}.get(media, "json")](
            in_process)
        if media in ("text/csv", "text/tab-separated-values"):  # iakg query's bytes exactly
            assert body.decode() == expected
            rows = list(csv.reader(io.StringIO(body.decode()), dialect="excel" if media == "text/csv" else "excel-tab"))
            assert rows[1] == ["true"] and rows[0][0].lstrip("?") == "_askResult"
            return
    fmt = {"application/sparql-results+json": "json", "application/sparql-results+xml": "xml", "text/csv": "csv",
           "text/tab-separated-values": "tsv"}[media]
    parsed = RdflibResult.parse(io.BytesIO(body), format=fmt)
    if form == "ask":
        assert parsed.askAnswer is True
        if fmt == "json":
            assert json.loads(body) == {"head": {}, "boolean": True}
        return
    assert [str(v) for v in parsed.vars] == in_process.variables
    assert [str(row["s"]) for row in parsed] == [b["s"]["value"] for b in in_process.bindings]
    if fmt == "csv":
        assert next(csv.reader(io.StringIO(body.decode()))) == in_process.variables


@pytest.mark.parametrize("media", RESULTS)
@pytest.mark.parametrize("form", ["select", "ask"])
def test_select_and_ask_in_each_results_format_and_by_each_of_its_names(served, graph, form, media):
    in_process = graph.query(QUERIES[form])
    for accept in (media, *RESULTS[media], f"image/png, {media};q=0.5"):
        status, headers, body = sparql(served, QUERIES[form], accept)
        assert status == 200 and kind(headers) == media, (form, accept, status, headers, body[:200])
        check_results(form, media, body, in_process)
    if media == DEFAULT[form]:  # the default: no Accept and */* get it, a type not offered does not
        for accept in (None, "*/*", "text/html,application/xhtml+xml,*/*;q=0.8"):
            status, headers, _ = sparql(served, QUERIES[form], accept)
            assert status == 200 and kind(headers) == media, accept
        status, _, body = sparql(served, QUERIES[form], "image/png")
        assert status == 406 and body.decode().count("\n") == 1 and all(m.encode() in body for m in RESULTS)


@pytest.mark.parametrize("media", GRAPHS)
@pytest.mark.parametrize("form", ["construct", "describe"])
def test_construct_and_describe_in_each_rdf_format_and_by_each_of_its_names(served, graph, form, media):
    expected = rdflib.Graph().parse(data=graph.query(QUERIES[form]).ntriples, format="nt")
    assert len(expected) > 3
    for accept in (media, *GRAPHS[media][1], f"image/png, {media};q=0.5"):
        status, headers, body = sparql(served, QUERIES[form], accept)
        assert status == 200 and kind(headers) == media, (form, accept, status, headers, body[:200])
        assert isomorphic(rdf_graph(body, media), expected), (form, accept)
    if media == DEFAULT[form]:
        for accept in (None, "*/*", "text/html,application/xhtml+xml,*/*;q=0.8"):
            status, headers, _ = sparql(served, QUERIES[form], accept)
            assert status == 200 and kind(headers) == media, accept
        status, _, body = sparql(served, QUERIES[form], "image/png")
        assert status == 406 and body.decode().count("\n") == 1 and all(m.encode() in body for m in GRAPHS)


@pytest.mark.parametrize("form", QUERIES)
def test_the_formats_of_the_other_forms_are_406_naming_this_forms(served, form):
    """A SELECT asked for as RDF, a CONSTRUCT asked for as SPARQL results: nothing acceptable, so 406 (it was
    200 in the form's default format)."""
    graph_form = form in ("construct", "describe")
    offered, refused = (GRAPHS, RESULTS) if graph_form else (RESULTS, GRAPHS)
    for media in refused:
        status, headers, body = sparql(served, QUERIES[form], media)
        assert status == 406, (form, media, status, body[:100])
        assert kind(headers) == "text/plain" and body.endswith(b"\n") and body.count(b"\n") == 1
        assert f"for a {form.upper()} query: ".encode() in body and all(m.encode() in body for m in offered)


def test_ask_as_csv_and_tsv_is_what_iakg_query_prints(served, graph):
    for media, name in (("text/csv", "csv"), ("text/tab-separated-values", "tsv")):
        for query, value in ((ASK, True), ("ASK { <urn:x:nothing> ?p ?o }", False)):
            status, headers, body = sparql(served, query, media)
            assert status == 200 and headers["content-type"] == f"{media}; charset=utf-8"
            assert body.decode() == RESULT_FORMATS[name](graph.query(query))
            assert body.decode() == RESULT_FORMATS[name](Result("ask", boolean=value))
    assert sparql(served, ASK, "text/csv")[2] == b"_askResult\r\ntrue\r\n"
    assert sparql(served, ASK, "text/tab-separated-values")[2] == b"?_askResult\ntrue\n"


@pytest.mark.parametrize("media", GRAPHS)
def test_the_service_description_in_each_rdf_format(served, media):
    status, headers, body = request(served, "GET", "/sparql", headers={"Accept": media})
    assert status == 200 and kind(headers) == media
    described = rdf_graph(body, media)
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    me = rdflib.URIRef(served.url)
    assert (me, rdflib.RDF.type, sd.Service) in described
    formats = {str(o).rsplit("/", 1)[1] for o in described.objects(me, sd.resultFormat)}
    assert {"RDF_XML", "N-Quads", "TriG", "Turtle", "JSON-LD", "N-Triples", "SPARQL_Results_CSV"} <= formats
    assert request(served, "GET", "/sparql", headers={"Accept": "image/png"})[0] == 406


def description_value(endpoint, owl_property: str) -> str:
    """The value of the served dataset description's ``owl:<owl_property>`` (the loaded graph has no description:
    the endpoint serves the release)."""
    query = f"SELECT ?v WHERE {{ <{DATASET_IRI}> <http://www.w3.org/2002/07/owl#{owl_property}> ?v }}"
    return json.loads(sparql(endpoint, query, None)[2])["results"]["bindings"][0]["v"]["value"]


RDF_FILES = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/n-triples": "nt",
             "application/rdf+xml": "xml"}


@pytest.mark.parametrize("media", RDF_FILES)
def test_every_recorded_release_dereferences_at_its_version_iri(served, media):
    """The description's owl:priorVersion (and every recorded release's version IRI) answers, in each format of
    the resources, with what releases/releases.json records of it; an unknown version stays 404."""
    prior = description_value(served, "priorVersion")
    _, recorded = releases.index()
    assert prior in {f"{DATASET_IRI}/{r.version}" for r in recorded}
    owl, dcterms = rdflib.OWL, rdflib.DCTERMS
    for i, record in enumerate(recorded):
        status, headers, body = request(served, "GET", f"/dataset/{record.version}", headers={"Accept": media})
        assert status == 200 and kind(headers) == media, (record.version, status, body[:200])
        described = rdflib.Graph().parse(data=body, format=RDF_FILES[media])
        me = rdflib.URIRef(f"{DATASET_IRI}/{record.version}")
        assert (me, dcterms.isVersionOf, rdflib.URIRef(DATASET_IRI)) in described
        assert str(described.value(me, rdflib.URIRef("https://w3id.org/iakg/ontology#contentDigest"))) == record.digest
        assert str(described.value(me, dcterms.issued)) == record.issued
        before = described.value(me, owl.priorVersion)
        assert before == (rdflib.URIRef(f"{DATASET_IRI}/{recorded[i - 1].version}") if i else None)
    assert request(served, "GET", "/dataset/9.9.9", headers={"Accept": media})[0] == 404
    assert request(served, "GET", f"/dataset/{recorded[0].version}", headers={"Accept": "image/png"})[0] == 406


def test_the_current_version_iri_still_describes_the_dataset(served):
    version = description_value(served, "versionIRI")
    status, headers, body = request(served, "GET", "/" + version.removeprefix(BASE),
                                    headers={"Accept": "application/rdf+xml"})
    assert status == 200 and kind(headers) == "application/rdf+xml"
    described = rdflib.Graph().parse(data=body, format="xml")
    assert (rdflib.URIRef(DATASET_IRI), rdflib.OWL.versionIRI, rdflib.URIRef(version)) in described
