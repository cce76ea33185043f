"""Publishing: lossless, deterministic exports; the dataset description; the release folder; the endpoint."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pyoxigraph as ox
import pytest
import rdflib
from conftest import FIXTURES, ROOT
from rdflib.compare import isomorphic

import iakg
from iakg import catalogue
from iakg.io.export import digest as export_digest
from iakg.io.formats import FORMATS
from iakg.rdf.safety import RefusedQuery, check_query, prepare
from iakg.serve.app import Endpoint, free_port, oxigraph_executable

BROKEN = FIXTURES / "broken" / "AppropriatenessRatingShape.ttl"


def _page(name: str) -> str:
    return (ROOT / "docs" / name).read_text(encoding="utf-8")


def cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "iakg", *args], capture_output=True, timeout=300, cwd=ROOT, **kw)


def canonical(quads, merge: bool) -> set[str]:
    """Quads as canonical N-Quads lines (RDFC-1.0), graphs merged for the triple formats."""
    if merge:
        quads = {ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads}
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in dataset}


@pytest.fixture(scope="module")
def release(graph):
    return graph.release_quads()


@pytest.mark.parametrize("fmt", [name for name, f in FORMATS.items() if f.rdf])  # not views such as "table"
def test_export_round_trips(graph, release, fmt):
    data = graph.export(fmt)
    back = list(ox.parse(data, format=ox.RdfFormat.from_extension(FORMATS.get(fmt).extension)))
    merge = fmt not in ("trig", "nq")
    assert canonical(back, merge) == canonical(release, merge)
    assert sum(isinstance(q.subject, ox.BlankNode) for q in back) > 100  # the shapes' blank nodes survive


def test_turtle_export_is_isomorphic_for_rdflib_too(graph, release):
    exported = rdflib.Graph().parse(data=graph.export("ttl"), format="turtle")
    expected = rdflib.Graph().parse(data=graph.export("nt"), format="nt")
    assert isomorphic(exported, expected)
    assert len(exported) == len({(q.subject, q.predicate, q.object) for q in release})


def test_trig_keeps_the_named_graphs_apart(graph):
    graphs = {str(q.graph_name) for q in ox.parse(graph.export("trig"), format=ox.RdfFormat.TRIG)}
    assert graphs == {f"<https://w3id.org/iakg/graph/{g}>"
                      for g in ("ontology", "data", "catalogue", "shapes", "description")}


def test_jsonld_export_read_by_a_second_parser(graph):
    from pyld import jsonld

    document = json.loads(graph.export("jsonld"))
    assert document["@context"]["iakg"] == "https://w3id.org/iakg/ontology#"
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads"})
    by_pyld = list(ox.parse(nquads.encode(), format=ox.RdfFormat.N_QUADS))
    by_oxigraph = list(ox.parse(graph.export("jsonld"), format=ox.RdfFormat.JSON_LD))
    assert canonical(by_pyld, True) == canonical(by_oxigraph, True)


@pytest.mark.parametrize("fmt", ["ttl", "jsonld"])
def test_export_is_byte_identical_across_runs(fmt):
    first, second = cli("export", "--format", fmt), cli("export", "--format", fmt)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and len(first.stdout) > 100_000


def test_inferred_export_adds_its_own_graph(graph):
    quads = list(ox.parse(iakg.load().export("trig", inferred=True), format=ox.RdfFormat.TRIG))
    assert any(str(q.graph_name) == "<https://w3id.org/iakg/graph/inferred>" for q in quads)


def test_non_conforming_graph_is_not_exported(tmp_path):
    out = tmp_path / "out.ttl"
    out.write_text("previous release\n")
    refused = cli("export", "--data", str(BROKEN), "--out", str(out))
    assert refused.returncode == 1 and b"rating-duplicate" in refused.stderr
    assert b"nothing was written" in refused.stderr and b"Traceback" not in refused.stderr
    assert out.read_text() == "previous release\n" and list(tmp_path.iterdir()) == [out]
    forced = cli("export", "--data", str(BROKEN), "--out", str(out), "--force")
    assert forced.returncode == 0 and out.read_text().startswith("@prefix")


def test_description_counts_are_computed(graph, release):
    description = {(str(q.predicate), q.object.value) for q in release
                   if str(q.graph_name) == "<https://w3id.org/iakg/graph/description>"}
    content = [q for q in release if str(q.graph_name) != "<https://w3id.org/iakg/graph/description>"]
    void = "<http://rdfs.org/ns/void#"
    # the count covers what a dump holds: the content and this description (issue 17: it left the latter out)
    assert (void + "triples>", str(len({(q.subject, q.predicate, q.object) for q in release}))) in description
    assert ("<http://www.w3.org/2002/07/owl#versionInfo>", graph.release().identity.version) in description
    assert (void + "exampleResource>", "https://w3id.org/iakg/id/pnet-post-resection-surveillance") in description
    [digest] = [v for p, v in description if p.endswith("contentDigest>")]
    assert digest == export_digest(content)
    ontology_version = graph.query(
        "PREFIX owl: <http://www.w3.org/2002/07/owl#> SELECT ?v WHERE { <https://w3id.org/iakg/ontology> "
        "owl:versionInfo ?v }").rows()
    assert ontology_version == [{"v": iakg.__version__}]


def test_content_digest_changes_with_the_content(graph):
    from iakg.io.export import digest

    both = iakg.load([FIXTURES / "second-topic.ttl"])
    content = lambda g: [q for q in g.release_quads() if "description" not in str(q.graph_name)]
    assert digest(content(graph)) == digest(content(iakg.load())) != digest(content(both))


def test_build_writes_a_verifiable_release(tmp_path):
    out = tmp_path / "dist"
    built = cli("build", "--out", str(out))
    assert built.returncode == 0, built.stderr
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"iakg.ttl", "iakg.nt", "iakg.jsonld", "iakg.trig", "iakg.nq", "context.jsonld",
            "patient-context.jsonld", "void.ttl", "shapes.ttl", "ontology.ttl", "SHA256SUMS",
            "queries/recommendation.rq"} <= names
    for line in (out / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    # published files are readable like any other file, not private like a temporary one
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~mask
    exported = tmp_path / "graph.nt"
    assert cli("export", "--format", "nt", "--out", str(exported)).returncode == 0
    assert stat.S_IMODE(exported.stat().st_mode) == 0o666 & ~mask


# ---------------------------------------------------------------- the endpoint
@pytest.fixture(scope="module")
def endpoint(graph):
    with Endpoint(graph) as running:
        yield running


def get(url: str, accept: str | None = None, data: bytes | None = None, kind: str | None = None):
    headers = {k: v for k, v in (("Accept", accept), ("Content-Type", kind)) if v}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=30) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type"), exc.read()


@pytest.mark.parametrize("name", list(catalogue.catalogue()), ids=str)
def test_every_catalogue_query_through_the_endpoint(name, endpoint, graph):
    query = catalogue.get(name)
    bindings = query.example_bindings()
    assert iakg.KnowledgeGraph.remote(endpoint.url).query(query.text, bindings) == graph.query(query.text, bindings)


@pytest.mark.parametrize("accept, starts", [
    ("application/sparql-results+json", b'{"head"'), ("application/sparql-results+xml", b"<?xml"),
    ("text/csv", b"s\r\n"), ("text/tab-separated-values", b"?s\n")])
def test_select_results_by_accept(endpoint, accept, starts):
    query = urllib.parse.urlencode({"query": "SELECT ?s WHERE { ?s a <https://w3id.org/iakg/ontology#Topic> }"})
    status, kind, body = get(f"{endpoint.url}?{query}", accept)
    assert (status, kind.split(";")[0], body[:len(starts)]) == (200, accept, starts)
    status, kind, body = get(endpoint.url, accept, query.encode(), "application/x-www-form-urlencoded")
    assert status == 200 and body.startswith(starts)


@pytest.mark.parametrize("accept, fmt", [("text/turtle", ox.RdfFormat.TURTLE),
                                         ("application/ld+json", ox.RdfFormat.JSON_LD),
                                         ("application/n-triples", ox.RdfFormat.N_TRIPLES)])
def test_construct_and_dereferencing_by_accept(endpoint, accept, fmt):
    query = "CONSTRUCT { ?s ?p ?o } WHERE { BIND(<https://w3id.org/iakg/id/pnet> AS ?s) ?s ?p ?o }"
    status, kind, body = get(endpoint.url, accept, query.encode(), "application/sparql-query")
    assert status == 200 and kind.startswith(accept) and len(list(ox.parse(body, format=fmt))) > 3
    status, kind, body = get(endpoint.base + "/id/pnet-post-resection-surveillance", accept)
    labels = [q for q in ox.parse(body, format=fmt) if q.predicate.value.endswith("#label")]
    assert status == 200 and kind.startswith(accept) and labels


def test_dataset_description_names_the_endpoint(endpoint):
    status, _, body = get(endpoint.base + "/", "text/turtle")
    assert status == 200
    void = "http://rdfs.org/ns/void#"
    triples = {(q.subject.value, q.predicate.value, q.object.value) for q in ox.parse(body, format=ox.RdfFormat.TURTLE)}
    dataset = "https://w3id.org/iakg/dataset"
    assert (dataset, void + "sparqlEndpoint", endpoint.url) in triples
    assert any(s == dataset and p == void + "triples" for s, p, _ in triples)


@pytest.mark.parametrize("data, kind, status", [
    (b"update=INSERT%20DATA%20%7B%3Chttp%3A%2F%2Fa%3E%20%3Chttp%3A%2F%2Fb%3E%20%3Chttp%3A%2F%2Fc%3E%7D",
     "application/x-www-form-urlencoded", 403),
    (b"DROP ALL", "application/sparql-update", 403),
    (b"SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "application/sparql-query", 403),
    (b"SELECT * WHERE { ?s ?p }", "application/sparql-query", 400),
])
def test_refused_and_malformed_requests(endpoint, data, kind, status):
    assert get(endpoint.url, None, data, kind)[0] == status
    assert iakg.KnowledgeGraph.remote(endpoint.url).query("ASK { ?s ?p ?o }").boolean is True  # still serving


def test_unknown_resource_is_404(endpoint):
    assert get(endpoint.base + "/id/no-such-thing", "text/turtle")[0] == 404


def test_query_check_parses_rather_than_scans():
    assert check_query(prepare('PREFIX ex: <http://x/> SELECT * WHERE { ?s ?p "SERVICE" . ?load <http://x/drop> '
                               'ex:insert } # DROP')) == "select"
    with pytest.raises(RefusedQuery):
        check_query("select * where { service <http://x> { ?s ?p ?o } }")
    with pytest.raises(iakg.QueryError, match="prepared"):  # a text with a comment is not what the engine runs
        check_query("SELECT * WHERE { ?s ?p ?o } # DROP")


def test_publish_into_another_store_and_count_back(tmp_path, graph):
    port = free_port()
    server = subprocess.Popen([oxigraph_executable(), "serve", "--location", str(tmp_path / "store"),
                               "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/query?query=ASK%7B%7D", timeout=1)
                break
            except OSError:
                __import__("time").sleep(0.05)
        for _ in range(2):  # idempotent: the second run replaces the graph, it does not add to it
            out = cli("publish", "--endpoint", base + "/store", "--graph", "https://example.org/g")
            assert out.returncode == 0, out.stderr
        sent, counted = [int(w) for w in out.stdout.split() if w.isdigit()]
        assert sent == counted > 2000
        # docs/publishing.md shows this line, its numbers as N
        shown = out.stdout.decode().strip().replace(str(sent), "N").replace(base, "http://127.0.0.1:7880")
        assert shown.replace("https://example.org/g>", "https://example.org/iakg>") in _page("publishing.md")
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_kg_serve_prints_the_url_and_stops_on_ctrl_c():
    process = subprocess.Popen([sys.executable, "-m", "iakg", "serve", "--port", "0"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("SPARQL endpoint: http://127.0.0.1:"), process.stderr.read()
        url = line.split()[2]
        assert iakg.KnowledgeGraph.remote(url).recommend("pnet-post-resection-surveillance").procedures
        lines = [line, process.stdout.readline(), process.stdout.readline(), process.stdout.readline()]
        home, editor = lines[1].split(), lines[2].split()
        assert home[:2] == ["Home", "page:"] and home[2] == url.removesuffix("sparql")
        assert editor[:2] == ["Query", "editor:"] and editor[2] == url.removesuffix("sparql") + "editor"
        # docs/publishing.md shows this banner (on port 7979)
        banner = "".join(lines).replace(url.removesuffix("/sparql"), "http://127.0.0.1:7979")
        assert "$ iakg build --out dist && iakg serve dist --port 7979\n" + banner in _page("publishing.md")
        import urllib.request

        with urllib.request.urlopen(urllib.request.Request(home[2], headers={"Accept": "text/html"})) as page:
            assert page.headers["Content-Type"].startswith("text/html")
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_another_teams_json_ld_topic_is_merged_and_validated(tmp_path):
    topic = tmp_path / "their-topic.jsonld"
    quads = ox.parse(path=str(FIXTURES / "second-topic.ttl"), format=ox.RdfFormat.TURTLE)
    topic.write_bytes(ox.serialize(quads, format=ox.RdfFormat.JSON_LD))
    validated = cli("validate", str(topic))
    assert validated.returncode == 0 and b"1 extra file(s) merged" in validated.stdout
    answered = cli("query", "scenarios", "--data", str(topic), "--format", "csv")
    assert b"https://example.org/fixture/exampleoma-follow-up" in answered.stdout
    assert cli("validate", str(topic), str(BROKEN)).returncode == 1
