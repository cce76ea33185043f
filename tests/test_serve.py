"""`iakg serve` under attack and faults: parsed refusals, caps that stop the work, supervision, protocol."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest

import iakg
from iakg.rdf.safety import RefusedQuery, check_query
from iakg.serve.app import Endpoint, ServeOptions
from iakg.serve.engine import rss_bytes


@pytest.fixture(scope="module")
def served(graph):
    with Endpoint(graph, options=ServeOptions(timeout_s=1, max_result_bytes=20_000,
                                                max_memory_bytes=1024 * 2**20)) as running:
        yield running


def request(endpoint, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            conn: http.client.HTTPConnection | None = None):
    host, port = endpoint.base.split("//")[1].split(":")
    own = conn is None
    conn = conn or http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        if own:
            conn.close()


def ask(endpoint, query: str, conn=None):
    return request(endpoint, "POST", "/sparql", query.encode(), {"Content-Type": "application/sparql-query"}, conn)


from conftest import Listener  # noqa: E402


def service_variants(port: int) -> list[str]:
    url = f"http://127.0.0.1:{port}/sparql"
    return [
        f"SELECT * WHERE {{ ?s ?p <http://x/#a> . SERVICE <{url}> {{ ?s ?p ?o }} }}",  # '#' in an IRI first
        f"SELECT * WHERE {{ <http://x/#a> ?p ?o .\n SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",  # sub-query
        f"select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",  # lower case, SILENT
        f"SELECT * WHERE {{ SERVIC\\u0045 <{url}> {{ ?s ?p ?o }} }}",  # escape in the keyword
        f"SELECT * WHERE {{ SERVICE <http:\\u002F\\u002F127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",  # in the IRI
        f"SELECT * WHERE {{ FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * WHERE {{ OPTIONAL {{ ?a ?b ?c MINUS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
        f'SELECT * WHERE {{ ?s ?p "#" . SERVICE <{url}> {{ ?s ?p ?o }} }}',
    ]


def test_service_variants_are_refused_everywhere_and_nothing_connects(served, tmp_path):
    listener = Listener()
    try:
        for query in service_variants(listener.port):
            status, _, body = ask(served, query)
            assert status in (400, 403), (query, status, body)  # refused, or not parsed: never run
            with pytest.raises(iakg.KGError):
                served.context.graph.query(query)
        for index, query in enumerate(service_variants(listener.port)[:2]):
            rq = tmp_path / f"q{index}.rq"
            rq.write_text(query)
            out = subprocess.run([sys.executable, "-m", "iakg", "query", str(rq)], capture_output=True, text=True,
                                 timeout=120)
            assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
        time.sleep(0.3)
        assert listener.connections == 0
    finally:
        listener.close()


def test_updates_refused_by_parsing():
    for text in ("INSERT DATA { <http://a> <http://b> <http://c> }", "drop all",
                 "LOAD <http://example.org/x>", "PREFIX : <http://a/> DELETE WHERE { ?s ?p ?o }"):
        with pytest.raises(RefusedQuery):
            check_query(text)
    assert check_query('SELECT * WHERE { ?s ?p "INSERT DATA SERVICE" }') == "select"


def test_two_thousand_capped_responses_then_ask_answers(served):
    host, port = served.base.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    statuses = set()
    for _ in range(2000):  # each just over the 20 kB cap
        statuses.add(ask(served, "SELECT * WHERE { ?s ?p ?o } LIMIT 250", conn)[0])
    assert statuses == {413}
    assert ask(served, "ASK {}", conn)[:1] == (200,)
    conn.close()


def test_runaway_query_is_stopped_and_memory_returns(served):
    engine = served.engine
    baseline = rss_bytes(engine.process.pid)
    generation = engine.generation
    status, _, body = ask(served, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }")
    assert status == 503 and b"time cap" in body, (status, body)
    ready = engine.wait_ready(20)
    assert ready and engine.generation > generation, (ready, generation, engine.generation)  # that engine is gone
    rss = rss_bytes(engine.process.pid)
    assert rss < max(baseline * 3, 200 * 2**20), (rss, baseline)
    assert ask(served, "ASK {}")[0] == 200


def test_engine_killed_under_load_comes_back(served):
    stop = threading.Event()
    seen: list[int] = []

    def load():
        while not stop.is_set():
            seen.append(ask(served, "ASK { ?s ?p ?o }")[0])

    workers = [threading.Thread(target=load) for _ in range(4)]
    for w in workers:
        w.start()
    time.sleep(0.3)
    generation = served.engine.generation
    os.kill(served.engine.process.pid, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while served.engine.generation == generation and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    stop.set()
    for w in workers:
        w.join()
    assert served.engine.generation > generation
    assert set(seen) <= {200, 503} and seen[-1] == 200
    assert request(served, "GET", "/health")[0] == 200


@pytest.mark.parametrize("length", ["-1", "300000000", "abc"])
def test_bad_content_length_refused_before_reading(served, length):
    host, port = served.base.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                  f"Content-Length: {length}\r\n\r\nASK".encode())
        answer = s.recv(4096)
    assert answer.split()[1] in (b"400", b"413"), answer


def test_sparqlwrapper_and_dataset_parameters(served):
    from SPARQLWrapper import JSON, SPARQLWrapper

    client = SPARQLWrapper(served.url)
    client.setReturnFormat(JSON)
    client.setQuery("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    union = int(client.query().convert()["results"]["bindings"][0]["n"]["value"])
    assert union > 1000
    graph = "https://w3id.org/iakg/graph/ontology"
    query = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                                    "default-graph-uri": graph})
    status, _, body = request(served, "GET", "/sparql?" + query, headers={"Accept": "text/csv"})
    only = int(body.split()[1])
    assert status == 200 and 0 < only < union
    status, _, body = ask(served, f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}")
    assert status == 200 and f'"{only}"'.encode() in body


def test_cors_head_and_service_description(served):
    status, headers, _ = request(served, "OPTIONS", "/sparql", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert status == 200 and headers.get("access-control-allow-origin") in ("*", "https://example.org")
    status, headers, _ = request(served, "GET", "/sparql?query=ASK%7B%7D", headers={"Origin": "https://example.org"})
    assert status == 200 and headers.get("access-control-allow-origin") == "*"
    status, headers, body = request(served, "HEAD", "/sparql?query=ASK%7B%7D")
    assert status == 200 and body == b""
    status, headers, body = request(served, "GET", "/sparql", headers={"Accept": "text/turtle"})
    assert status == 200 and b"sd:Service" in body and served.url.encode() in body
    assert request(served, "POST", "/sparql", b"update=DROP%20ALL",
                   {"Content-Type": "application/x-www-form-urlencoded"})[0] == 403
    # a POST says what its body is: a form without a Content-Type is refused, not guessed at
    status, _, body = request(served, "POST", "/sparql", b"query=ASK%7B%7D")
    assert status == 415 and b"application/x-www-form-urlencoded" in body
    assert request(served, "POST", "/sparql", b"query=ASK%7B%7D",
                   {"Content-Type": "application/x-www-form-urlencoded"})[0] == 200


def test_release_is_served_without_validating(tmp_path, graph, monkeypatch):
    from iakg.io.release import build, verified

    build(graph, tmp_path / "dist")
    assert verified(tmp_path / "dist")["conforms"] is True
    assert verified(tmp_path / "dist", served=True)["engine_store"]["path"] == "store"
    monkeypatch.setattr(iakg.KnowledgeGraph, "validate", lambda *a, **k: pytest.fail("validated again"))
    with monkeypatch.context() as patched:  # the release's prepared store is opened as it is: nothing loaded
        patched.setattr("iakg.serve.app.write_store", lambda *a: pytest.fail("loaded again"))
        with Endpoint(release=tmp_path / "dist") as running:
            assert running.engine.location == tmp_path / "dist" / "store"
            assert ask(running, "ASK { ?s ?p ?o }")[:3:2] == (200, b'{"head":{},"boolean":true}')
            assert running.context.graph.recommend("pnet-post-resection-surveillance").procedures
    assert verified(tmp_path / "dist", served=True)  # serving changed nothing in the store
    (tmp_path / "dist" / "iakg.nq").write_bytes(b"")
    with pytest.raises(iakg.KGError, match="changed since"):
        verified(tmp_path / "dist")
    sst = sorted((tmp_path / "dist" / "store").glob("*.sst"))[-1]
    sst.write_bytes(sst.read_bytes()[:-1])
    with pytest.raises(iakg.KGError, match="changed since"):
        verified(tmp_path / "dist", served=True)


def test_release_without_a_prepared_store_is_loaded(tmp_path, graph):
    import shutil

    from iakg.io.release import build

    build(graph, tmp_path / "dist")
    shutil.rmtree(tmp_path / "dist" / "store")  # as a release built before releases carried their store
    with Endpoint(release=tmp_path / "dist") as running:
        assert running.engine.location != tmp_path / "dist" / "store"
        assert ask(running, "ASK { ?s ?p ?o }")[:3:2] == (200, b'{"head":{},"boolean":true}')


def test_the_whole_server_negotiates_pages_and_rdf_on_the_same_iris(served):
    """`iakg serve` itself, not the pages group alone: a browser gets the HTML page of a resource, an RDF
    client its description, on the same IRI (the catch-all resources group once shadowed the pages)."""
    path = "/id/pnet-post-resection-surveillance"
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    status, headers, body = request(served, "GET", path, headers={"Accept": browser})
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b"Appropriateness of imaging" in body and b"DOTATATE PET/CT" in body
    for accept, query, kind in (("text/turtle", "", "text/turtle"), ("", "?format=nt", "application/n-triples"),
                                ("application/ld+json", "", "application/ld+json")):
        status, headers, body = request(served, "GET", path + query, headers={"Accept": accept} if accept else {})
        assert status == 200 and headers["content-type"].startswith(kind), (accept, query, headers)
        assert b"pnet-post-resection-surveillance" in body
    for page in ("/", "/ontology"):
        status, headers, _ = request(served, "GET", page, headers={"Accept": browser})
        assert status == 200 and headers["content-type"].startswith("text/html"), page
    for hostile in ("/id/%ff%fe", "/id/a%3E%20%3Cb", "/id/x%22%7D"):
        status, _, body = request(served, "GET", hostile, headers={"Accept": "text/turtle"})
        assert status == 404 and b"error at" not in body, (hostile, body)


def test_the_catch_all_group_is_mounted_last_whatever_the_import_order():
    from iakg.serve.routes import mounted

    names = [name for name, _ in mounted()]
    assert names[-1] == "resources" and names.index("pages") < names.index("resources")


def smuggling_variants(port: int) -> list[str]:
    """A codepoint escape read one way by the check's parser and another by the engine: rdflib expands
    escapes on the whole text (as SPARQL 1.1 says), Oxigraph inside the string token only."""
    url = f"http://127.0.0.1:{port}/smuggled"
    return [
        f'SELECT * WHERE {{ BIND("\\u0022" AS ?a) SERVICE <{url}> {{ ?s ?p ?o }} }} #""" AS ?a) }}',
        "SELECT * WHERE { BIND('\\u0027' AS ?a) SERVICE <" + url + "> { ?s ?p ?o } } #''' AS ?a) }",
        f'SELECT * WHERE {{ BIND("\\u005Cu0022" AS ?a) SERVICE <{url}> {{ ?s ?p ?o }} }} #""" AS ?a) }}',
        f'SELECT * WHERE {{ BIND("\\U00000022" AS ?a) SERVICE <{url}> {{ ?s ?p ?o }} }} #""" AS ?a) }}',
    ]


def test_an_escape_cannot_smuggle_a_service_past_the_check(served, tmp_path):
    """The check and the engine read the same text (escapes processed once, before both): whatever the
    answer (an error, or the harmless string the spec's reading gives), nothing ever connects out."""
    listener = Listener()
    try:
        for index, query in enumerate(smuggling_variants(listener.port)):
            status, _, body = ask(served, query)
            assert status in (200, 400, 403), (query, status, body)
            try:
                served.context.graph.query(query)
            except iakg.KGError:
                pass
            rq = tmp_path / f"s{index}.rq"
            rq.write_text(query)
            out = subprocess.run([sys.executable, "-m", "iakg", "query", str(rq)], capture_output=True, text=True,
                                 timeout=120)
            assert out.returncode in (0, 2) and "Traceback" not in out.stderr, out.stderr
        time.sleep(0.3)
        assert listener.connections == 0
    finally:
        listener.close()
    # an escape a legitimate query uses still means its character, in process and at the endpoint
    query = 'SELECT ?x WHERE { BIND("caf\\u00e9" AS ?x) }'
    assert served.context.graph.query(query).rows() == [{"x": "café"}]
    status, _, body = ask(served, query)
    assert status == 200 and "café" in body.decode("utf-8")


def test_from_chooses_the_dataset_in_process_as_at_the_endpoint(served):
    for query in ("SELECT (COUNT(*) AS ?n) FROM <urn:nothing> WHERE { ?s ?p ?o }",
                  "SELECT (COUNT(*) AS ?n) FROM NAMED <urn:nothing> WHERE { GRAPH ?g { ?s ?p ?o } }",
                  "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/iakg/graph/data> WHERE { ?s ?p ?o }"):
        in_process = served.context.graph.query(query).rows()[0]["n"]
        status, _, body = request(served, "POST", "/sparql", query.encode(),
                                  {"Content-Type": "application/sparql-query", "Accept": "text/csv"})
        assert status == 200 and body.decode().split()[-1] == str(in_process), (query, body, in_process)
    assert served.context.graph.query("SELECT (COUNT(*) AS ?n) FROM <urn:nothing> WHERE { ?s ?p ?o }"
                                      ).rows() == [{"n": 0}]


def test_query_text_over_the_check_limit_refused_before_parsing(served, monkeypatch):
    """The reproducer's shape (a long || chain, whose check time grows with its size) is refused with 413
    before the parser sees it; the limit is injected small, so no large parse ever runs here."""
    from iakg import catalogue
    from iakg.serve import sparql

    assert max(len(q.text.encode()) for q in catalogue.catalogue().values()) * 3 < sparql.MAX_QUERY_BYTES
    monkeypatch.setattr(sparql, "MAX_QUERY_BYTES", 200)
    chain = " || ".join(f"?o = {i}" for i in range(40))
    status, _, body = ask(served, f"SELECT * WHERE {{ ?s ?p ?o FILTER({chain}) }}")
    assert status == 413 and body.count(b"\n") == 1 and b"larger than 200 bytes" in body
    assert ask(served, "ASK {}")[:1] == (200,)


def test_the_library_serves_what_iakg_serve_serves_by_default(served):
    """``Endpoint(graph)`` and ``iakg serve`` share one set of defaults: CDS Hooks (and its feedback log) only
    when asked for."""
    from iakg.cli import parser
    from iakg.serve.routes import ROUTES, ServeContext

    args = parser().parse_args(["serve"])
    default = ServeOptions()
    assert (default.timeout_s, default.max_result_bytes, default.max_memory_bytes, default.cds, default.cds_mapping,
            default.cds_feedback_log) == (args.timeout_s, args.max_result_bytes, args.max_memory_mb * 2**20,
                                          args.cds, args.cds_mapping, args.cds_feedback) == (10.0, 10_000_000,
                                                                                             2 * 2**30, False,
                                                                                             None, None)
    assert ROUTES.get("cds")(ServeContext(served.context.graph, served.base)) == []
    assert request(served, "GET", "/cds-services")[0] == 404
    assert request(served, "GET", "/health")[0] == 200


def test_a_remote_graph_pages_listings_through_the_served_listing_index(graph):
    """The engine's store carries the listing index, as a prepared release store does: a remote graph's page of
    a listing is a lookup (not the whole listing sorted), and it is the page the local graph answers."""
    from iakg import catalogue
    from iakg.catalogue import listing

    with Endpoint(graph) as running:
        remote = iakg.KnowledgeGraph.remote(running.url)
        assert listing.rows(remote.engine, catalogue.get("scenarios")) == len(graph.scenarios())
        assert remote.scenarios(limit=2, offset=1) == graph.scenarios(limit=2, offset=1)
        assert remote.topics(limit=1, offset=1) == graph.topics(limit=1, offset=1)
