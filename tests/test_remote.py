"""The same answers from a real Oxigraph SPARQL server (started on 127.0.0.1 by the test) as in process."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import FIXTURES

import iakg
from iakg import catalogue

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PNET = "pnet-post-resection-surveillance"


@pytest.fixture(scope="module")
def merged():
    """The shipped graph plus the second fixture topic, so cross-topic queries have answers."""
    return iakg.load([FIXTURES / "second-topic.ttl"])


def _oxigraph() -> str:
    beside = Path(sys.executable).with_name("oxigraph")
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        pytest.fail("the oxigraph server is not installed: pip install '.[test]'")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory, merged):
    workdir = tmp_path_factory.mktemp("oxigraph")
    dump = workdir / "graph.nq"
    merged.dump(dump)
    exe, location, port = _oxigraph(), workdir / "store", _free_port()
    subprocess.run([exe, "load", "--location", str(location), "--file", str(dump)], check=True,
                   capture_output=True, timeout=120)
    server = subprocess.Popen([exe, "serve-read-only", "--location", str(location),
                               "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/query"
    try:  # the server is stopped whatever happens from here on, a failure to start included
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=2).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail("oxigraph server did not start: " + server.stderr.read().decode()[-2000:])
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.mark.parametrize("name", list(catalogue.catalogue()), ids=str)
def test_catalogue_answers_match_in_process(name, endpoint, merged):
    query = catalogue.get(name)
    bindings = query.example_bindings()
    local = merged.query(query.text, bindings)
    remote = iakg.KnowledgeGraph.remote(endpoint).query(query.text, bindings)
    assert local.rows(), f"{name} has no answer to compare"
    assert remote.rows() == local.rows()


def test_recommend_matches_in_process(endpoint, merged):
    assert iakg.KnowledgeGraph.remote(endpoint).recommend(PNET) == merged.recommend(PNET)


def test_typed_api_matches_in_process(endpoint, merged):
    remote = iakg.KnowledgeGraph.remote(endpoint)
    patient = EXAMPLES / "index-patient.json"
    assert remote.match(patient) == merged.match(patient)
    for method in ("next_steps", "alternatives", "diagnoses", "pitfalls", "faq", "related"):
        assert getattr(remote, method)(PNET) == getattr(merged, method)(PNET), method
    assert remote.topics() == merged.topics()
    assert remote.compare_radiation(PNET, 5, 12) == merged.compare_radiation(PNET, 5, 12)
    assert remote.surveillance_interval(PNET, "G2") == merged.surveillance_interval(PNET, "G2")


def test_examples_are_discoverable_at_the_endpoint(endpoint):
    rows = iakg.KnowledgeGraph.remote(endpoint).query(
        "PREFIX sh: <http://www.w3.org/ns/shacl#> SELECT ?q ?text WHERE { ?q a sh:SPARQLExecutable ; sh:select ?text }"
    ).rows()
    assert {r["q"].rsplit("/", 1)[-1] for r in rows} == set(catalogue.catalogue())


def test_cli_endpoint_flag(endpoint):
    out = subprocess.run([sys.executable, "-m", "iakg", "recommend", "pnet-post-resection-surveillance",
                          "--endpoint", endpoint], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "May be appropriate (Disagreement)" in out.stdout


def test_unreachable_endpoint_is_a_clear_error():
    port = _free_port()
    with pytest.raises(iakg.KGError, match="cannot reach endpoint|refused"):
        iakg.KnowledgeGraph.remote(f"http://127.0.0.1:{port}/query", timeout=5).scenarios()


def test_embedded_only_methods_refuse_a_remote_graph(tmp_path):
    remote = iakg.KnowledgeGraph.remote("http://127.0.0.1:9/query")
    with pytest.raises(iakg.KGError, match="needs the embedded graph"):
        remote.dump(tmp_path / "x.nq")


def test_a_comment_naming_an_update_keyword_is_still_a_query(endpoint, merged):
    """SPARQLWrapper finds a query's form with a regular expression that reads comments too: the engine sends
    the prepared text (comments removed by the grammar's rules), so '# load ...' above a SELECT is a SELECT."""
    text = ("# scope: what the source has not addressed\n# load the release first\n"
            "PREFIX iakg: <https://w3id.org/iakg/ontology#>\n"
            "SELECT ?s WHERE { ?s a iakg:ClinicalScenario } ORDER BY ?s")
    assert iakg.KnowledgeGraph.remote(endpoint).query(text).rows() == merged.query(text).rows() != []
