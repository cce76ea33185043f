"""Every resource in every format: the resource pages, the ontology, the shapes, the named graphs and the
JSON-LD contexts dereference as HTML and as each RDF format the server offers (Turtle, JSON-LD, N-Triples,
RDF/XML), by Accept, by ?format= and by file extension; the RDF parses and says what the graph says."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from pyld import jsonld
from starlette.applications import Starlette
from starlette.testclient import TestClient

from iakg import IRI, resources
from iakg.rdf.namespaces import GRAPH_DATA, IAKG, IAKGD
from iakg.serve.routes import ROUTES, ServeContext

MEDIA = {"ttl": "text/turtle", "jsonld": "application/ld+json", "nt": "application/n-triples",
         "rdf": "application/rdf+xml"}
PARSE = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "rdf": ox.RdfFormat.RDF_XML}


@pytest.fixture(scope="module")
def client(graph):
    return TestClient(Starlette(routes=ROUTES.get("pages")(ServeContext(graph, "http://testserver"))))


def triples(body: bytes, extension: str) -> set:
    """The triples of a response, blank nodes left out (their labels are the writer's)."""
    if extension == "jsonld":
        nquads = jsonld.to_rdf(json.loads(body), {"format": "application/n-quads"})
        parsed = ox.parse(nquads.encode(), format=ox.RdfFormat.N_QUADS)
    else:
        parsed = ox.parse(body, format=PARSE[extension], base_iri="http://testserver/")
    return {(t.subject, t.predicate, t.object) for t in parsed
            if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)}


RESOURCES = {  # path -> what its RDF must state
    "/id/pnet-post-resection-surveillance": (IAKGD + "pnet-post-resection-surveillance",
                                             "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
    "/id/ct-abdomen-pelvis-with-iv-contrast": (IAKGD + "ct-abdomen-pelvis-with-iv-contrast",
                                               "http://www.w3.org/2000/01/rdf-schema#label"),
    "/query/recommendation": ("https://w3id.org/iakg/query/recommendation",
                              "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
    "/ontology": (IAKG + "ClinicalScenario", "http://www.w3.org/2000/01/rdf-schema#label"),
    "/shapes": ("https://w3id.org/iakg/shapes#ClinicalScenarioShape", "http://www.w3.org/ns/shacl#targetClass"),
    "/graph/ontology": (IAKG + "population", "http://www.w3.org/2000/01/rdf-schema#label"),
    "/graph/data": (IAKGD + "pnet-post-resection-surveillance", "http://www.w3.org/2000/01/rdf-schema#label"),
    "/dataset": ("https://w3id.org/iakg/dataset", "http://purl.org/dc/terms/title"),
}


@pytest.mark.parametrize("path", RESOURCES)
@pytest.mark.parametrize("extension", MEDIA)
def test_every_resource_in_every_format(client, path, extension):
    subject, predicate = RESOURCES[path]
    by_accept = client.get(path, headers={"accept": MEDIA[extension]})
    by_param = client.get(path + "?format=" + extension)
    by_file = client.get(path + "." + extension)
    for response in (by_accept, by_param, by_file):
        assert response.status_code == 200, (path, extension, response.text[:200])
        assert response.headers["content-type"].startswith(MEDIA[extension])
    found = triples(by_accept.content, extension)
    assert any(s == ox.NamedNode(subject) and p == ox.NamedNode(predicate) for s, p, _ in found), (path, extension)
    assert found == triples(by_param.content, extension) == triples(by_file.content, extension)
    assert client.get(path, headers={"accept": "text/html"}).headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("extension", MEDIA)
def test_the_whole_ontology_and_the_whole_shapes_in_every_format(client, graph, extension):
    ontology = triples(resources.ONTOLOGY_FILE.read_bytes(), "ttl")
    assert triples(client.get("/ontology." + extension).content, extension) == ontology
    assert len(ontology) > 500  # the whole ontology, not a header of a few triples
    shapes = triples(resources.SHAPES_FILE.read_bytes(), "ttl")
    assert triples(client.get("/shapes", headers={"accept": MEDIA[extension]}).content, extension) == shapes
    assert triples(client.get("/graph/ontology." + extension).content, extension) == ontology


def test_a_graph_and_a_context(client, graph):
    data = triples(client.get("/graph/data.nt").content, "nt")
    stored = graph.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
                         {"g": IRI(GRAPH_DATA)}).ntriples
    assert data == triples(stored.encode(), "nt")
    assert client.get("/graph/listing").status_code == 404  # derived, not content
    assert client.get("/graph/no-such-graph").status_code == 404
    patient = client.get("/context/patient.jsonld")
    assert patient.status_code == 200 and patient.headers["content-type"].startswith("application/ld+json")
    assert "ageGroup" in patient.json()["@context"]
    exports = client.get("/context/iakg.jsonld").json()
    assert exports["@context"]["iakg"] == IAKG
    assert client.get("/context/other.jsonld").status_code == 404


def test_served_json_ld_is_compacted_as_the_exports_are(client):
    body = client.get("/id/pnet-post-resection-surveillance", headers={"accept": "application/ld+json"}).json()
    assert "@context" in body and body["@context"]["iakgd"] == IAKGD
    assert client.get("/ontology.jsonld").json()["@context"]["owl"] == "http://www.w3.org/2002/07/owl#"


@pytest.mark.parametrize("path", ["/id/pnet-post-resection-surveillance", "/ontology", "/shapes", "/dataset"])
def test_a_type_not_offered_is_406_and_a_browser_gets_html(client, path):
    refused = client.get(path, headers={"accept": "application/pdf"})
    assert refused.status_code == 406 and "text/turtle" in refused.text
    assert client.get(path + "?format=docx").status_code == 406
    assert client.get(path, headers={"accept": "application/pdf, */*;q=0.1"}).headers[
        "content-type"].startswith("text/turtle")
    assert client.get(path).headers["content-type"].startswith("text/turtle")  # no Accept: Turtle
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert client.get(path, headers={"accept": browser}).headers["content-type"].startswith("text/html")


def test_pages_link_their_rdf_files_and_a_favicon(client):
    page = client.get("/id/pnet-post-resection-surveillance", headers={"accept": "text/html"}).text
    for extension in MEDIA:
        assert f'href="/id/pnet-post-resection-surveillance.{extension}"' in page
    assert "?format=ttl" not in page
    assert client.get("/favicon.ico").status_code == 200
