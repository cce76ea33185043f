"""Safety and limits: bad files and arguments, no surprise network access, integrity, interrupted writes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import FIXTURES, ROOT

import iakg
import iakg.catalogue
import iakg.rdf.binding
from iakg.rdf.namespaces import GRAPH_DATA, GRAPH_INFERRED, GRAPH_ONTOLOGY
from iakg.serve.app import Endpoint, ServeOptions

PNET = "pnet-post-resection-surveillance"


def cli(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "iakg", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT)


# ---------------------------------------------------------------- bad files
BAD_FILES = {
    "bad.ttl": ('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c ;\n  ex:d "open .\n', ":3:"),
    "bad.nt": ("<http://example.org/a> <http://example.org/b> .\n", ":1:"),
    "bad.jsonld": ('{"@id": "http://example.org/a",\n "http://example.org/b": [1, }', ":2:"),
    "bad.trig": ("<http://example.org/g> { <http://example.org/a> <http://example.org/b> }\n", ":1:"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_malformed_file_names_file_line_and_column(tmp_path, name):
    text, where = BAD_FILES[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = cli("validate", str(path))
    assert out.returncode == 2 and f"{path}{where}" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("content, message", [
    (None, "no such file"), ("", "the file is empty"), ("dir", "not a regular file"),
    ("<a> <b> <c> .", "unsupported file extension"),
])
def test_unusable_files_get_a_clear_message(tmp_path, content, message):
    path = tmp_path / ("data.xyz" if message.startswith("unsupported") else "data.ttl")
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    out = cli("recommend", PNET, "--data", str(path))
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr and out.stdout == ""


def test_huge_literal_and_deep_list_load_without_harm(tmp_path):
    huge = tmp_path / "huge.ttl"
    huge.write_text('<http://example.org/a> <http://example.org/b> "' + "x" * 10_000_000 + '" .\n')
    assert iakg.load([huge]).recommend(PNET).procedures
    huge.write_text('<http://example.org/a> <http://example.org/b> "' + "x" * 20_000_000 + '" .\n')
    out = cli("recommend", PNET, "--data", str(huge))
    assert out.returncode == 2 and "limited to 16 MB" in out.stderr and "Traceback" not in out.stderr
    deep = tmp_path / "deep.ttl"
    deep.write_text("<http://example.org/a> <http://example.org/b> " + "(" * 50_000 + ")" * 50_000 + " .\n")
    assert iakg.load([deep]).recommend(PNET).procedures
    nested = tmp_path / "deep.json"
    nested.write_text("[" * 100_000 + "]" * 100_000)
    out = cli("match", str(nested))
    assert out.returncode == 2 and "nested too deeply" in out.stderr and "Traceback" not in out.stderr


def test_parse_error_leaves_no_output(tmp_path):
    out_file = tmp_path / "out.ttl"
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b", encoding="utf-8")
    out = cli("export", "--data", str(bad), "--out", str(out_file))
    assert out.returncode == 2 and not out_file.exists() and list(tmp_path.iterdir()) == [bad]


# ---------------------------------------------------------------- interrupted writes
@pytest.mark.parametrize("delay", [0.3, 0.8, 1.5])
def test_kill_9_mid_export_leaves_the_previous_file(tmp_path, delay):
    """An export killed at any moment leaves either the old file or the whole new one, never a part."""
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import write

    data = tmp_path / "big.nt"
    write(0.5, data)
    target = tmp_path / "release.nt"
    target.write_text("previous release\n")
    process = subprocess.Popen([sys.executable, "-m", "iakg", "export", "--format", "nt", "--force", "--data",
                                str(data), "--out", str(target)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    text = target.read_text()
    assert text == "previous release\n" or (text.endswith(" .\n") and len(text) > 1_000_000)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("big.nt", "release.nt")]
    assert all(name.endswith(".part") for name in leftovers)  # at most an abandoned temporary file


def test_interrupted_build_keeps_the_previous_release(tmp_path, monkeypatch):
    from iakg.io import release
    out = tmp_path / "dist"
    release.build(iakg.load(), out)
    before = (out / "SHA256SUMS").read_bytes()

    def boom(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(iakg.io.export.Release, "description", boom)  # mid-build: the dumps are made already
    with pytest.raises(KeyboardInterrupt):
        release.build(iakg.load(), out)
    assert (out / "SHA256SUMS").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


# ---------------------------------------------------------------- no surprise network access
from conftest import Listener  # noqa: E402


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def test_service_in_a_query_does_not_reach_out(listener, tmp_path):
    query = tmp_path / "service.rq"
    query.write_text(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }} }}")
    out = cli("query", str(query))
    assert out.returncode != 0 and "Traceback" not in out.stderr
    with pytest.raises(iakg.KGError):
        iakg.load().query(query.read_text()).rows()
    time.sleep(0.3)
    assert listener.connections == 0


def test_owl_imports_and_remote_context_are_never_fetched(listener, tmp_path):
    imports = tmp_path / "imports.ttl"
    imports.write_text(f"<http://example.org/o> a <http://www.w3.org/2002/07/owl#Ontology> ;\n"
                       f"  <http://www.w3.org/2002/07/owl#imports> <http://127.0.0.1:{listener.port}/x.ttl> .\n")
    assert cli("validate", str(imports)).returncode == 0
    assert cli("recommend", PNET, "--data", str(imports), "--reason").returncode == 0
    remote = tmp_path / "remote.jsonld"
    remote.write_text(f'{{"@context": "http://127.0.0.1:{listener.port}/context.jsonld", "@id": "http://e/a"}}')
    out = cli("validate", str(remote))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    time.sleep(0.3)
    assert listener.connections == 0


def test_the_library_is_offline_while_it_works_and_only_then(listener, monkeypatch):
    import urllib.request

    from iakg.rdf import safety, store
    url = f"http://127.0.0.1:{listener.port}/x.ttl"

    def fetching_load_file(*args, **kwargs):  # anything iakg.load runs that tries to fetch
        urllib.request.urlopen(url, timeout=5)

    monkeypatch.setattr(store, "load_file", fetching_load_file)
    with pytest.raises(safety.NetworkAccessError, match="refused to open"):
        iakg.load()
    with pytest.raises(safety.NetworkAccessError), safety.offline():
        socket.create_connection(("127.0.0.1", listener.port), timeout=5)
    time.sleep(0.3)
    assert listener.connections == 0
    # the host application's own network use, outside kg's calls, is untouched
    socket.create_connection(("127.0.0.1", listener.port), timeout=5).close()
    time.sleep(0.3)
    assert listener.connections == 1


def test_the_cli_run_in_process_leaves_the_network_guard_as_it_found_it(listener, capsys):
    """main() guards the whole process while its command runs, and only then: a test (or an application)
    calling it is not left unable to connect (pytest tests/test_validation_record.py tests/test_remote.py)."""
    from iakg.cli import main

    url = f"http://127.0.0.1:{listener.port}/"
    code = ("import socket, iakg.rdf.safety as s\nwith s.forbid_network(()):\n"
            f"    socket.create_connection(('127.0.0.1', {listener.port}), timeout=5)")
    inside = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert inside.returncode != 0 and "refused to connect to 127.0.0.1" in inside.stderr
    assert main(["queries", "--format", "json"]) == 0 and '"recommendation"' in capsys.readouterr().out
    socket.create_connection(("127.0.0.1", listener.port), timeout=5).close()
    import urllib.request

    with pytest.raises(OSError):  # reaches the listener (which closes at once): not refused by the guard
        urllib.request.urlopen(url, timeout=5)
    time.sleep(0.3)
    assert listener.connections == 2


def test_the_cli_guard_refuses_unnamed_hosts():
    code = ("import urllib.request, iakg.rdf.safety as s\nwith s.forbid_network(('http://127.0.0.1:9/',)):\n"
            "    urllib.request.urlopen('http://example.org/', timeout=5)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode != 0 and "NetworkAccessError" in out.stderr and "refused to open" in out.stderr


# ---------------------------------------------------------------- integrity
def test_inferred_closure_never_touches_asserted_triples():
    plain, reasoned = iakg.load(), iakg.load(reason=True)
    for graph in (GRAPH_ONTOLOGY, GRAPH_DATA):
        name = ox.NamedNode(graph)
        assert set(plain.engine.store.quads_for_pattern(None, None, None, name)) == \
            set(reasoned.engine.store.quads_for_pattern(None, None, None, name))
    inferred = {(q.subject, q.predicate, q.object)
                for q in reasoned.engine.store.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH_INFERRED))}
    asserted = {(q.subject, q.predicate, q.object) for q in plain.engine.store}
    assert inferred and not inferred & asserted


def test_shipped_data_conforms_and_carries_its_digest(graph):
    assert graph.validate().conforms
    nquads = graph.release().nquads
    assert b"<https://w3id.org/iakg/ontology#contentDigest> \"sha256:" in nquads


def test_prepared_store_is_rebuilt_when_a_file_changes(tmp_path):
    extra = tmp_path / "extra.ttl"
    extra.write_text((FIXTURES / "second-topic.ttl").read_text())
    cache = tmp_path / "cache"
    first = iakg.load([extra], cache_dir=cache)
    assert len(first.scenarios()) == 9  # 7 of the pNET article (one for suspected recurrence) + 2 fixture
    extra.write_text(extra.read_text().replace("fx:exampleoma-untreated a iakg:ClinicalScenario",
                                               "fx:exampleoma-untreated a iakg:ClinicalScenario ; "
                                               "rdfs:comment \"changed\""))
    second = iakg.load([extra], cache_dir=cache)
    assert len([p for p in cache.iterdir() if not p.name.startswith(".")]) == 2
    assert second.query("ASK { ?s <http://www.w3.org/2000/01/rdf-schema#comment> \"changed\" }").boolean


def test_process_is_not_left_running(tmp_path):
    """`kg serve` takes its Oxigraph engine down when it is killed outright."""
    process = subprocess.Popen([sys.executable, "-m", "iakg", "serve", "--port", "0"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().startswith("SPARQL endpoint:")
    engines = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
    assert engines
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{pid}") and
                                              open(f"/proc/{pid}/stat").read().split()[2] != "Z" for pid in engines):
        time.sleep(0.1)
    assert not any(os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split()[2] != "Z"
                   for pid in engines)
    # its engine folder outlives it, and the next endpoint to start sweeps it away
    left = [f for f in Path(tempfile.gettempdir()).glob("iakg-serve-*")
            if (f / "owner.pid").exists() and (f / "owner.pid").read_text() == str(process.pid)]
    assert len(left) == 1
    with Endpoint(iakg.load()):
        assert not left[0].exists()


# ---------------------------------------------------------------- the endpoint under faults and load
@pytest.fixture(scope="module")
def capped(graph):
    with Endpoint(graph, options=ServeOptions(timeout_s=1, max_result_bytes=20_000)) as running:
        yield running


def _post(url: str, query: str):
    import urllib.error
    import urllib.parse
    import urllib.request

    data = urllib.parse.urlencode({"query": query}).encode()
    try:
        with urllib.request.urlopen(url, data=data, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_query_time_is_capped(capped):
    status, body = _post(capped.url, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    assert status == 503 and b"time" in body.lower()


def test_result_size_is_capped(capped):
    status, body = _post(capped.url, "SELECT * WHERE { ?s ?p ?o }")
    assert status == 413 and b"cap of 20000 bytes" in body
    assert _post(capped.url, "SELECT * WHERE { ?s ?p ?o } LIMIT 3")[0] == 200


def test_a_client_killed_mid_request_does_not_hurt_the_others(capped):
    host, port = capped.base.split("//")[1].split(":")
    for _ in range(5):
        with socket.create_connection((host, int(port))) as s:
            s.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\nquery=SEL")
    with socket.create_connection((host, int(port))) as s:
        s.sendall(b"GET /sparql?query=SELECT")  # and one that never finishes its request line
        assert _post(capped.url, "ASK { ?s ?p ?o }") == (200, b'{"head":{},"boolean":true}')


def test_bounded_load(capped):
    """8 concurrent clients x 50 queries (the benchmark runs 8 x 2,000): no errors."""
    from concurrent.futures import ThreadPoolExecutor

    query = catalogue_query = iakg.catalogue.get("recommendation")
    text = iakg.rdf.binding.bind_values(catalogue_query.text, catalogue_query.example_bindings())

    def client(_):
        return [_post(capped.url, text)[0] for _ in range(50)]

    with ThreadPoolExecutor(8) as pool:
        statuses = [s for batch in pool.map(client, range(8)) for s in batch]
    assert statuses == [200] * 400, (query.name, sorted(set(statuses)))
