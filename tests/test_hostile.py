"""Issue 17: hostile input and faults. One regression test (or more) per break found by the attack pass;
docs/safety.md states each guarantee with its limit. Bounded fuzz tests at the end."""

from __future__ import annotations

import http.server
import json
import os
import socket
import stat
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import iakg
from iakg.cli import main
from iakg.errors import KGError
from iakg.io import atomic, release
from iakg.rdf.namespaces import GRAPH_CATALOGUE, GRAPH_EXTRA, GRAPH_INFERRED, GRAPH_ONTOLOGY
from iakg.rdf.store import load_file

PNET = "pnet-post-resection-surveillance"
EXAMPLE = ROOT / "examples" / "index-patient.json"


def stated(graph, data: dict) -> dict:
    """The facts a patient file states, as the matcher reads them."""
    from iakg.domain import patient

    facts = graph.patient_facts()
    patient.check(data, facts, "patient")
    return patient.values(patient.to_rdf(data, facts), facts)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> bool:
    return err.count("\n") == 1 and err.startswith("iakg: ") and "Traceback" not in err


# ---------------------------------------------------------------- data loss: build folders
def test_build_refuses_a_folder_it_did_not_write(tmp_path, capsys, monkeypatch):
    """`build --out .` used to delete a thesis, src/ and .git/; now refused, everything kept."""
    (tmp_path / "thesis.tex").write_text("years of work")
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    for out in (".", str(tmp_path)):
        code, _, err = run(capsys, "build", "--out", out)
        assert code == 2 and one_line(err)
    assert (tmp_path / "thesis.tex").read_text() == "years of work" and (tmp_path / ".git").is_dir()
    code, _, err = run(capsys, "build", "--out", ".", "--force")  # the working folder: never, even forced
    assert code == 2 and (tmp_path / "thesis.tex").exists()


def test_build_refuses_home_and_root(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "notes").write_text("x")
    monkeypatch.chdir(ROOT)
    with pytest.raises(KGError, match="home folder"):
        atomic.write_folder(tmp_path, lambda folder: None, force=True)
    with pytest.raises(KGError, match="root"):
        atomic.write_folder("/", lambda folder: None, force=True)


def test_build_forced_moves_a_foreign_folder_aside(tmp_path):
    out = tmp_path / "dist"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    moved: list[Path] = []
    release.build(iakg.load(), out, force=True, moved=moved)
    assert (out / atomic.MARKER).is_file() and (moved[0] / "mine.txt").read_text() == "keep me"


def test_build_replaces_its_own_release_and_an_empty_folder(tmp_path):
    out = tmp_path / "dist"
    out.mkdir()
    graph = iakg.load()
    release.build(graph, out)  # empty: allowed
    (out / "stale.txt").write_text("from an old release")  # a release folder is ours to replace
    release.build(graph, out)
    assert not (out / "stale.txt").exists() and (out / "SHA256SUMS").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


@pytest.mark.parametrize("kind", ["file", "symlink", "fifo"])
def test_build_never_replaces_a_file_symlink_or_fifo(tmp_path, kind):
    out = tmp_path / "dist"
    if kind == "file":
        out.write_text("x")
    elif kind == "symlink":
        (tmp_path / "elsewhere").mkdir()
        out.symlink_to(tmp_path / "elsewhere")
    else:
        os.mkfifo(out)
    with pytest.raises(KGError):
        release.build(iakg.load(), out, force=True)
    assert out.is_symlink() if kind == "symlink" else (stat.S_ISFIFO(out.lstat().st_mode) if kind == "fifo"
                                                         else out.read_text() == "x")


def test_build_into_proc_is_one_line(capsys):
    code, _, err = run(capsys, "build", "--out", "/proc/x")
    assert code == 2 and one_line(err)
    code, _, err = run(capsys, "build", "--out", "")
    assert code == 2 and one_line(err)


def test_build_swaps_in_one_step(tmp_path, monkeypatch):
    """No moment without a release: the old and new folders are exchanged by one renameat2 call, so a kill -9
    between two renames (which left no dist/) cannot happen. Where the exchange is unsupported the fallback
    keeps the old one beside it."""
    out = tmp_path / "dist"
    graph = iakg.load()
    release.build(graph, out)
    renames: list[tuple] = []
    real = os.rename
    monkeypatch.setattr(os, "rename", lambda a, b: (renames.append((a, b)), real(a, b)))
    release.build(graph, out)
    assert renames == [] and (out / atomic.MARKER).is_file()  # exchanged, never renamed away


def test_release_files_are_flushed_before_the_swap(tmp_path, monkeypatch):
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    files = release.build(iakg.load(), tmp_path / "dist")
    assert len(synced) >= len(files) + 1  # every file, then the folders


# ---------------------------------------------------------------- data loss: export files
@pytest.mark.parametrize("target", ["/dev/null", "fifo", "symlink", "folder", ""])
def test_export_never_writes_over_a_special_file(tmp_path, capsys, target):
    if target == "fifo":
        target = str(tmp_path / "f.ttl")
        os.mkfifo(target)
    elif target == "symlink":
        (tmp_path / "real.ttl").write_text("kept")
        target = str(tmp_path / "link.ttl")
        os.symlink(tmp_path / "real.ttl", target)
    elif target == "folder":
        target = str(tmp_path)
    code, _, err = run(capsys, "export", "--out", target)
    assert code == 2 and one_line(err)
    assert Path("/dev/null").is_char_device()
    if (tmp_path / "real.ttl").exists():
        assert (tmp_path / "real.ttl").read_text() == "kept" and (tmp_path / "link.ttl").is_symlink()


def test_export_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    target = tmp_path / "out.ttl"
    target.write_text("old")
    target.chmod(0o600)
    atomic.write_bytes(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and target.read_bytes() == b"new"


# ---------------------------------------------------------------- facts silently dropped: patient @id
@pytest.mark.parametrize("identifier", ["patient-17", "#p17", "", "urn:example:p", "https://h.example/p/1"])
def test_a_local_patient_id_keeps_every_fact(identifier):
    data = json.loads(EXAMPLE.read_text())
    data["@id"] = identifier
    graph = _graph()
    assert stated(graph, data) == stated(graph, json.loads(EXAMPLE.read_text())) != {}
    assert [v.status for v in graph.match(data).scenarios] == [
        v.status for v in graph.match(json.loads(EXAMPLE.read_text())).scenarios]


@pytest.mark.parametrize("change, message", [
    ({"tumorGrade": ["G1"]}, "expected one value"),
    ({"tumorGrade": {"a": 1}}, "expected one value"),
    ({"@id": ["x"]}, "@id"),
    ({"@id": "a b"}, "@id"),
    ({"@type": "Procedure"}, "@type"),
    ({"note": "x" * 20_000}, "at most"),
])
def test_bad_patient_values_are_one_line(tmp_path, capsys, change, message):
    data = json.loads(EXAMPLE.read_text())
    data.update(change)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    code, out, err = run(capsys, "match", str(path))
    assert code == 2 and one_line(err) and message in err and out == ""


def test_huge_patient_number_and_file_are_one_line(tmp_path, capsys):
    huge = tmp_path / "n.json"
    huge.write_text('{"tumorGrade": ' + "9" * 5000 + "}")
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"note": "x" * 2_000_000}))
    for path in (huge, big):
        code, _, err = run(capsys, "match", str(path))
        assert code == 2 and one_line(err)


# ---------------------------------------------------------------- special files as input
@pytest.mark.parametrize("command", ["match", "query", "data", "cache"])
def test_fifo_and_devices_are_refused_not_read(tmp_path, capsys, command):
    fifo = tmp_path / ("in.json" if command == "match" else "in.ttl")
    os.mkfifo(fifo)  # reading it would hang forever
    args = {"match": ["match", str(fifo)], "query": ["query", str(tmp_path / "q.rq")],
            "data": ["query", "scenarios", "--data", str(fifo)],
            "cache": ["query", "scenarios", "--data", str(fifo), "--cache-dir", str(tmp_path / "c")]}[command]
    if command == "query":
        os.mkfifo(tmp_path / "q.rq")
    code, _, err = run(capsys, *args)
    assert code == 2 and one_line(err) and "regular file" in err
    code, _, err = run(capsys, "match", "/dev/zero")
    assert code == 2 and one_line(err)


# ---------------------------------------------------------------- validation bypassed
CONTRADICTION = "<http://example.org/s> <http://example.org/p> <http://example.org/o> ."


@pytest.mark.parametrize("graph_iri", [GRAPH_INFERRED, GRAPH_CATALOGUE, GRAPH_ONTOLOGY])
def test_a_file_cannot_write_into_a_reserved_graph(tmp_path, graph_iri):
    trig = tmp_path / "sneak.trig"
    trig.write_text(f"<{graph_iri}> {{ {CONTRADICTION} }}\n")
    nq = tmp_path / "sneak.nq"
    nq.write_text(CONTRADICTION[:-1] + f"<{graph_iri}> .\n")
    for path in (trig, nq):
        with pytest.raises(iakg.InputError, match="reserved"):
            load_file(ox.Store(), path, GRAPH_EXTRA)


def test_n3_rules_are_refused(tmp_path):
    rule = tmp_path / "rule.n3"
    rule.write_text("@prefix : <http://e/> .\n{ :a :b :c } => { :d :e :f } .\n")
    with pytest.raises(iakg.InputError, match="formula"):
        load_file(ox.Store(), rule, GRAPH_EXTRA)


def test_validation_sees_a_users_own_named_graph(tmp_path):
    """A bad rating in a TriG file's own named graph (or its default graph) is validated like plain Turtle."""
    from conftest import FIXTURES

    bad = FIXTURES / "broken" / "AppropriatenessRatingShape.ttl"
    plain = iakg.load([bad]).validate()
    trig = tmp_path / "bad.trig"
    store = ox.Store()
    store.load(bad.read_bytes(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("http://example.org/my-graph"))
    trig.write_bytes(store.dump(format=ox.RdfFormat.TRIG))
    assert len(iakg.load([trig]).validate().violations) == len(plain.violations) > 0


# ---------------------------------------------------------------- duplicate answers
def test_a_triple_in_two_graphs_answers_once(tmp_path):
    graph = iakg.load()
    again = iakg.load([ROOT / "data" / "pnet-surveillance.ttl"])
    assert len(again.recommend(PNET).procedures) == len(graph.recommend(PNET).procedures)
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    assert len(again.query(query).bindings) == len(graph.query(query).bindings)


# ---------------------------------------------------------------- crashes and runaway work
def test_xml_entities_are_refused_before_parsing(tmp_path):
    bomb = tmp_path / "bomb.rdf"
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb.write_text(f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">{lol}]>'
                    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
                    'rdf:about="http://e/s"><rdf:value>&l9;</rdf:value></rdf:Description></rdf:RDF>')
    with pytest.raises(iakg.InputError, match="entity"):
        load_file(ox.Store(), bomb, GRAPH_EXTRA)


def test_deep_json_ld_is_refused_before_parsing(tmp_path, capsys):
    deep = tmp_path / "deep.jsonld"
    deep.write_text("[" * 5000 + "]" * 5000)
    code, _, err = run(capsys, "query", "scenarios", "--data", str(deep))
    assert code == 2 and one_line(err) and "nested" in err


def test_in_process_results_are_bounded(monkeypatch):
    from iakg.rdf.engine import LocalEngine

    graph = iakg.load()
    monkeypatch.setattr(LocalEngine, "max_rows", 1000)
    with pytest.raises(iakg.QueryError, match="rows"):
        graph.query("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }")  # a cross product: stopped, not run out
    monkeypatch.setattr(LocalEngine, "max_rows", 10_000_000)
    monkeypatch.setattr(LocalEngine, "timeout_s", 0.0)
    with pytest.raises(iakg.QueryError, match="ran past"):
        graph.query("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }")


def test_reasoning_is_bounded_in_time(tmp_path, capsys, monkeypatch):
    """`--reason` on a 21 kB owl:sameAs chain ran past 4 minutes; now stopped at --reason-timeout: one line,
    exit 2, nothing answered and nothing left in the cache. The chain is generated here; owl:sameAs is given
    its OWL characteristics (transitive, symmetric) so that the closure is quadratic in the chain's length."""
    from iakg.rdf import reasoning

    monkeypatch.setattr(reasoning, "TIMEOUT_S", reasoning.TIMEOUT_S)  # the CLI sets it: restored after
    chain = tmp_path / "same-as-chain.ttl"
    chain.write_text("@prefix owl: <http://www.w3.org/2002/07/owl#> .\n@prefix ex: <http://example.org/> .\n"
                     "owl:sameAs a owl:TransitiveProperty, owl:SymmetricProperty .\n"
                     + "".join(f"ex:a{i} owl:sameAs ex:a{i + 1} .\n" for i in range(600)))
    cache = tmp_path / "cache"
    code, out, err = run(capsys, "scenarios", "--data", str(chain), "--reason", "--reason-timeout", "0.3",
                         "--cache-dir", str(cache))
    assert code == 2 and one_line(err) and "ran past 0.3 s" in err and out == ""
    assert {p.name for p in cache.iterdir()} <= {".salt", ".lock"}  # no store, not even a part
    for bad in ("nan", "0", "-1"):
        code, _, err = run(capsys, "scenarios", "--reason", "--reason-timeout", bad)
        assert code == 2 and one_line(err)


def test_dose_interval_too_short_is_refused(capsys):
    code, _, err = run(capsys, "dose", "ct-abdomen-pelvis-with-iv-contrast", "--years", "5", "--every", "1e-9")
    assert code == 2 and one_line(err)


# ---------------------------------------------------------------- one line where a traceback was
@pytest.mark.parametrize("args", [
    ["serve", "--timeout-s", "nan"], ["serve", "--timeout-s", "-1"], ["serve", "--port", "99999"],
    ["serve", "--host", "no-such-host.invalid"],
    ["query", "scenarios", "--endpoint", "foo"], ["query", "scenarios", "--endpoint", "ftp://x/"],
    ["publish", "--endpoint", "store"], ["publish", "--endpoint", "http://127.0.0.1:1/s", "--query-endpoint", "q"],
])
def test_bad_arguments_are_one_line(capsys, args):
    code, _, err = run(capsys, *args)
    assert code == 2 and one_line(err), err


def test_serve_on_a_busy_port_is_one_line(capsys):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        code, _, err = run(capsys, "serve", "--port", str(busy.getsockname()[1]))
    assert code == 2 and one_line(err)


class _Junk(http.server.BaseHTTPRequestHandler):
    body = b"<html>not SPARQL</html>"
    content_type = "text/html"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("body, content_type", [(b"<html>not SPARQL</html>", "text/html"),
                                                (b'{"head": ', "application/sparql-results+json"),
                                                (b'{"x": 1}', "application/sparql-results+json")])
def test_an_endpoint_answering_junk_is_one_line(capsys, body, content_type):
    handler = type("H", (_Junk,), {"body": body, "content_type": content_type})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        code, _, err = run(capsys, "query", "scenarios", "--endpoint",
                           f"http://127.0.0.1:{server.server_address[1]}/sparql")
    finally:
        server.shutdown()
        server.server_close()
    assert code == 2 and "iakg: " in err and "Traceback" not in err


def test_publish_credentials_from_environment_or_netrc(tmp_path, monkeypatch):
    from iakg.io.publish import credentials

    monkeypatch.delenv("IAKG_PUBLISH_USER", raising=False)
    monkeypatch.delenv("IAKG_PUBLISH_PASSWORD", raising=False)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine store.example login alice password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert credentials("https://store.example/store") == ("alice", "s3cret")
    assert credentials("https://other.example/store") is None
    monkeypatch.setenv("IAKG_PUBLISH_USER", "bob")
    monkeypatch.setenv("IAKG_PUBLISH_PASSWORD", "pw")
    assert credentials("https://store.example/store") == ("bob", "pw")


# ---------------------------------------------------------------- output injection
def test_terminal_escapes_in_labels_are_neutralised(tmp_path, capsys):
    from iakg.present.text import printable, table

    evil = "Procedure\x1b]0;owned\x07\x1b[2J \u202eevil"
    shown = table(["label"], [[evil]])
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert printable("plain\nlines") == "plain\nlines"


def test_csv_cells_are_defused(capsys):
    from iakg.present.text import render

    out = render("csv", None, ["label", "n"], [["=HYPERLINK(\"http://x\")", 3], ["+1", -2], ["@SUM(A1)", None]])
    lines = out.splitlines()
    assert lines[1].startswith("\"'=HYPERLINK") and lines[2] == "'+1,-2" and lines[3] == "'@SUM(A1),"


# ---------------------------------------------------------------- the catalogue
def test_phases_respects_its_scenario():
    from iakg import catalogue

    engine = iakg.load().engine
    procedure = iakg.IRI("https://w3id.org/iakg/id/ct-abdomen-pelvis-with-iv-contrast")
    everything = catalogue.run(engine, "phases", procedure=procedure)
    own = catalogue.run(engine, "phases", procedure=procedure, scenario=iakg.IRI("https://w3id.org/iakg/id/" + PNET))
    other = catalogue.run(engine, "phases", procedure=procedure, scenario=iakg.IRI("https://w3id.org/iakg/id/none"))
    assert len(everything) >= len(own) > 0 and other == []


def test_one_values_block_per_parameter():
    from iakg.rdf.binding import bind_values

    bound = bind_values("SELECT * WHERE { OPTIONAL { ?a ?b ?c } }", {"a": iakg.IRI("http://x/a"), "c": "v"})
    assert "VALUES ?a { <http://x/a> } VALUES ?c { \"v\" }" in bound and "VALUES (" not in bound


@pytest.fixture
def empty_oxigraph(tmp_path):
    """An Oxigraph server on an empty store (127.0.0.1, a free port), writable through its Graph Store."""
    import subprocess
    import time
    import urllib.request

    from iakg.serve.app import free_port, oxigraph_executable

    port = free_port()
    server = subprocess.Popen([oxigraph_executable(), "serve", "--location", str(tmp_path / "store"),
                               "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/query?query=ASK%7B%7D", timeout=2).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the oxigraph server did not start")
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_an_endpoint_holding_nothing_gets_a_hint(empty_oxigraph, capsys):
    """Answering commands against an empty or unrelated store printed empty tables, exit 0, no hint."""
    import urllib.request

    url = empty_oxigraph + "/query"
    for args in (["scenarios"], ["query", "scenarios"], ["recommend", PNET]):
        code, _, err = run(capsys, *args, "--endpoint", url)
        assert f"iakg: hint: the endpoint at {url} holds no iakg:ClinicalScenario; is it the right one?" in err
        assert "Traceback" not in err and code == (2 if args[0] == "recommend" else 0)
    put = urllib.request.Request(empty_oxigraph + "/store?graph=http://example.org/g", method="PUT", data=(
        b"<http://example.org/s> a <https://w3id.org/iakg/ontology#ClinicalScenario> ."),
        headers={"Content-Type": "text/turtle"})
    urllib.request.urlopen(put, timeout=10).read()
    code, _, err = run(capsys, "scenarios", "--endpoint", url)  # published into a named graph, not the union
    assert code == 0 and "only in named graphs" in err and err.count("\n") == 1


def test_a_local_answer_has_no_endpoint_hint(capsys):
    code, _, err = run(capsys, "query", "contraindications", "--param", "procedure=iakgd:no-such-procedure")
    assert code == 0 and err == ""


# ---------------------------------------------------------------- packaging
def test_sdist_carries_what_the_tests_need(tmp_path):
    """The source distribution's tests failed to collect (it left out examples/ and bench/): build it, unpack
    it, collect every test from the unpacked copy and run a smoke subset there, against its own code."""
    import subprocess
    import sys
    import tarfile

    built = subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir",
                            str(tmp_path / "dist"), str(ROOT)], capture_output=True, timeout=300)
    assert built.returncode == 0, built.stderr.decode()[-2000:]
    [archive] = (tmp_path / "dist").glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "unpacked", **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    [root] = (tmp_path / "unpacked").iterdir()
    for folder in ("iakg", "tests", "tests/golden", "tests/fixtures", "examples", "bench", "scripts", "docs",
                   "ontology", "data", "queries"):
        assert (root / folder).is_dir() and any((root / folder).iterdir()), folder
    pytest_ = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    own = subprocess.run([sys.executable, "-c", "import iakg; print(iakg.__file__)"], cwd=root,
                         capture_output=True, text=True, timeout=60)
    assert own.stdout.startswith(str(root))  # the unpacked code is what its tests run
    collected = subprocess.run([*pytest_, "--collect-only"], cwd=root, capture_output=True, text=True, timeout=300)
    assert collected.returncode == 0 and " tests collected" in collected.stdout, collected.stdout[-2000:]
    smoke = subprocess.run([*pytest_, "tests/test_layout.py", "tests/test_export_shape.py"], cwd=root,
                           capture_output=True, text=True, timeout=300)
    assert smoke.returncode == 0, smoke.stdout[-3000:]


# ---------------------------------------------------------------- fuzz (bounded)
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(depth=st.integers(101, 20_000), opener=st.sampled_from(["[", '{"a":']))
def test_fuzz_deep_json_ld(tmp_path, depth, opener):
    path = tmp_path / "deep.jsonld"
    path.write_text(opener * depth + "1" + ("]" if opener == "[" else "}") * depth)
    with pytest.raises(iakg.InputError, match="nested"):
        load_file(ox.Store(), path, GRAPH_EXTRA)


@FUZZ
@given(name=st.text(st.characters(min_codepoint=65, max_codepoint=122), min_size=1, max_size=8),
       value=st.text(max_size=40), where=st.sampled_from(["doctype", "entity"]))
def test_fuzz_xml_entities(tmp_path, name, value, where):
    decl = (f'<!DOCTYPE rdf:RDF [<!ENTITY {name} "{value}">]>' if where == "entity"
            else "<!DOCTYPE rdf:RDF>")
    path = tmp_path / "e.rdf"
    path.write_text(f'<?xml version="1.0"?>\n{decl}\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
                    '22-rdf-syntax-ns#"/>\n')
    with pytest.raises(iakg.InputError, match="entity"):
        load_file(ox.Store(), path, GRAPH_EXTRA)


@FUZZ
@given(identifier=st.one_of(st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=30),
                            st.sampled_from(["", "#", "#p17", "patient-17", "./p", "../p", "?q=1", "urn:x:1"])))
def test_fuzz_local_patient_ids(identifier):
    data = json.loads(EXAMPLE.read_text())
    data["@id"] = identifier
    graph = _graph()
    try:
        facts = stated(graph, data)
    except iakg.InputError:
        return  # refused in one line is fine; silently losing facts is not
    assert facts == stated(graph, json.loads(EXAMPLE.read_text()))


@FUZZ
@given(kind=st.sampled_from(["fifo", "folder", "socket", "char"]), ext=st.sampled_from([".ttl", ".jsonld", ".json"]))
def test_fuzz_special_files(tmp_path_factory, kind, ext):
    from iakg.domain.patient import read

    folder = tmp_path_factory.mktemp("special")
    path = folder / f"x{ext}"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
    else:
        path = Path("/dev/zero")
    with pytest.raises(iakg.InputError):
        read(path)
    if path.suffix in (".ttl", ".jsonld"):
        with pytest.raises(iakg.InputError):
            load_file(ox.Store(), path, GRAPH_EXTRA)


_GRAPH: list = []


def _graph():
    if not _GRAPH:
        _GRAPH.append(iakg.load())
    return _GRAPH[0]


# ---------------------------------------------------------------- the trusted cache
def _cached(cache: Path) -> int:
    from iakg.io.dataset import open_store

    return len(open_store(cache_dir=cache))


def test_cache_is_private_salted_checked_and_rebuilt(tmp_path):
    cache = tmp_path / "cache"
    size = _cached(cache)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE((cache / ".salt").stat().st_mode) == 0o600
    (store,) = [p for p in cache.iterdir() if p.is_dir()]
    other = tmp_path / "other"
    _cached(other)
    assert [p.name for p in other.iterdir() if p.is_dir()] != [store.name]  # a key not computable outside
    table = sorted(store.glob("*.sst"))[0]
    with open(table, "r+b") as handle:  # an edited store is never answered from: rebuilt
        handle.seek(50)
        handle.write(b"tampered")
    assert _cached(cache) == size
    (store / "CURRENT").unlink()  # a damaged store is rebuilt, not a traceback on every run
    assert _cached(cache) == size and (store / "CURRENT").exists()


def test_no_query_declares_an_unused_prefix():
    import re

    for path in sorted((ROOT / "queries").glob("*.rq")):
        lines = path.read_text().splitlines()
        body = "\n".join(line for line in lines if not line.startswith(("PREFIX", "#")))
        for line in lines:
            match = re.match(r"PREFIX\s+([\w-]*):", line)
            if match:
                assert re.search(rf"(?<!\w){re.escape(match.group(1))}:", body), f"{path.name}: {line}"


def test_a_remote_engine_error_is_one_line():
    """A remote endpoint's multi-line error payload (an engine's parser message) reaches the user as one line."""
    import http.server
    import threading

    from iakg.errors import QueryError
    from iakg.rdf.engine import RemoteEngine

    class Refusing(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b"error at 1:8: expected IRI\n\n  SELECT * WHERE {\n         ^\n"
            self.send_response(400)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        engine = RemoteEngine(f"http://127.0.0.1:{server.server_address[1]}/sparql", timeout=5)
        try:
            engine.execute("SELECT * WHERE { ?s ?p ?o }")
        except QueryError as exc:
            message = str(exc)
        else:
            raise AssertionError("the refusal was not raised")
    finally:
        server.shutdown()
        server.server_close()
    assert "\n" not in message and "expected IRI" in message, message


# ================================================================ issue 31: hostile input, round three
# Every break of the review, and the test that holds it (docs/safety.md states each guarantee and its limit):
#
# | break                                                                     | test                                   |
# |---------------------------------------------------------------------------|----------------------------------------|
# | `# note\rSERVICE` (and 10 more variants) passed the check, the engine     | test_differential.py (5,000 generated  |
# |   connected: endpoint and KnowledgeGraph.query()                          |   queries), test_service_after_a_cr_...|
# | NUL and control characters read differently by the two parsers           | test_what_two_parsers_could_read_...   |
# | relative IRIs resolved against the engine's private URL                   | test_relative_iris_resolve_against_... |
# | the engine could connect at all (the next parser difference)              | test_the_engine_cannot_connect         |
# | 1,024 idle connections locked every client out; slowloris; 100 MB header  | test_idle_slow_and_huge_clients_...    |
# | a slow check (16 kB `<f>(1,1,...)`) held every other client's check       | test_a_slow_check_holds_no_other_check |
# | a memory-cap query sent again restarted the engine; 21 restarts: exit 3   | test_client_restarts_never_stop_...    |
# | editor: endpoint and query from the URL; results as HTML; no CSP          | test_web.py::test_editor_*, test_csp_* |
# | YAML aliases (260 bytes: 69 s, 18.7 GB); /dev/zero or a FIFO as sidecar   | test_sidecar_*                         |
# | U+2028/2029/0085 in a cell, `>` in Namespace: tracebacks                  | test_odd_cells_and_iris_are_one_line   |
# | CDS: provisional, differential, another patient's facts counted           | test_cds_counts_only_confirmed_...     |
# | CDS: disagreeing codings rated by the first; lone surrogate 500           | test_cds_disagreeing_codings_..., ...  |
# | CDS: feedback unbounded; read-only home 500                               | test_cds_feedback_is_bounded_...       |
# | cache: two processes at once; a planted store trusted; damaged states     | test_cache_*                           |
# | publish printed passwords (URL userinfo, .netrc)                          | test_publish_never_prints_credentials  |


def _endpoint(on_fatal=None, **options):
    from iakg.serve.app import Endpoint, ServeOptions

    return Endpoint(_graph(), options=ServeOptions(**options), on_fatal=on_fatal)


def _post_query(base: str, query: str, source: str = "127.0.0.1", timeout: float = 30) -> int:
    import http.client

    host, port = base.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout, source_address=(source, 0))
    try:
        conn.request("POST", "/sparql", query.encode(), {"Content-Type": "application/sparql-query"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_idle_slow_and_huge_clients_never_lock_out_the_others():
    """One client (127.0.0.2) opens 60 idle connections, trickles request heads byte by byte (slowloris) and
    sends a 200 kB header; meanwhile another client (127.0.0.1) is answered every time. The idle and slow
    connections are closed by the server, the huge head gets 431, the connections past the cap 429."""
    import time

    from iakg.serve.connections import Limits

    with _endpoint(limits=Limits(head_timeout_s=1.0, body_timeout_s=1.0, per_client=16)) as served:
        host, port = served.base.split("//")[1].split(":")
        address = (host, int(port))
        idle = [socket.create_connection(address, timeout=10, source_address=("127.0.0.2", 0)) for _ in range(60)]
        slow = [socket.create_connection(address, timeout=10, source_address=("127.0.0.2", 0)) for _ in range(4)]
        statuses = []
        for step in range(12):  # about 3 s of trickling, the legitimate client asking meanwhile
            for s in slow:
                try:
                    s.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nX-Slow: 1"[step:step + 1])
                except OSError:
                    pass
            statuses.append(_post_query(served.base, "ASK {}"))
            time.sleep(0.25)
        assert statuses == [200] * 12
        closed = []
        for s in idle + slow:  # every one of them was closed by the server (EOF), refused or timed out
            try:
                data = s.recv(4096)
                while data and b"\r\n\r\n" not in data:
                    more = s.recv(4096)
                    if not more:
                        break
                    data += more
                closed.append(data.split(b"\r\n")[0] if data else b"EOF")
            except TimeoutError:
                closed.append(b"still open after 10 s")
            except OSError:
                closed.append(b"reset")
            s.close()
        assert len(closed) == 64 and all(c in (b"EOF", b"reset") or c.startswith((b"HTTP/1.1 429", b"HTTP/1.1 408"))
                                         for c in closed), set(closed)
        assert sum(c.startswith(b"HTTP/1.1 429") for c in closed) >= 60 + 4 - 16
        huge = socket.create_connection(address, timeout=10, source_address=("127.0.0.2", 0))
        try:
            huge.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000)
        except OSError:
            pass
        assert huge.recv(4096).startswith(b"HTTP/1.1 431")
        huge.close()
        whole = socket.create_connection(address, timeout=10, source_address=("127.0.0.2", 0))
        whole.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n")  # complete
        assert whole.recv(4096).startswith(b"HTTP/1.1 431")
        whole.close()
        assert _post_query(served.base, "ASK {}", source="127.0.0.2") == 200  # the client itself, once it stops


def _doubling(seed: str, times: int = 19) -> str:
    """A 1 kB query whose string doubles ``times`` times (half a gigabyte), to pass a memory cap."""
    binds = " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(times))
    return f'SELECT (STRLEN(?a{times}) AS ?n) WHERE {{ BIND("{seed * 400}" AS ?a0) {binds} }}'


def test_client_restarts_never_stop_the_service_and_a_cap_breaker_is_refused_again():
    """Two clients repeating string-doubling queries caused 21 memory-cap restarts in 30 s and the server gave
    up (exit 3). Restarts a client causes never count towards giving up, the query that passed the cap is
    refused when sent again (403, the engine not touched), and so is a client that keeps doing it."""
    fatal: list[str] = []
    with _endpoint(timeout_s=30, max_memory_bytes=200 * 2**20, on_fatal=fatal.append) as served:
        engine = served.engine
        engine.max_restarts = 1  # would give up at the second restart if client restarts still counted
        generation = engine.generation
        assert _post_query(served.base, _doubling("ab")) == 503  # passed the cap: the engine restarted
        assert engine.wait_ready(30) and engine.generation > generation
        generation = engine.generation
        assert _post_query(served.base, _doubling("ab")) == 403  # sent again: refused, the engine untouched
        assert engine.generation == generation
        assert _post_query(served.base, _doubling("cd")) == 503  # another text: a second restart, not fatal
        assert engine.wait_ready(30) and _post_query(served.base, _doubling("ef")) == 503
        assert engine.wait_ready(30) and not fatal and len(engine.restarts) >= 3
        assert _post_query(served.base, _doubling("gh")) == 403  # a client with three strikes is refused
        assert _post_query(served.base, "ASK {}", source="127.0.0.2") == 200  # the others are answered


def test_a_slow_check_holds_no_other_check():
    """Four 16 kB queries of the form `<f>(1,1,...)` held the (single, in-process) check for 54 s. Now one
    client's checks run two at a time in worker processes, each stopped at its time limit: another client's
    new query is answered while they are still being checked, and each slow one is refused (400)."""
    import concurrent.futures

    from iakg.serve.sparql import MAX_QUERY_BYTES

    def slow(seed: int) -> str:
        head = f"SELECT * WHERE {{ BIND(<http://example.org/f{seed}>("
        return head + ",".join(["1"] * ((MAX_QUERY_BYTES - len(head) - 30) // 2)) + ") AS ?x) }"

    with _endpoint() as served:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            attack = [pool.submit(_post_query, served.base, slow(i), "127.0.0.2", 120) for i in range(4)]
            answered = _post_query(served.base, "SELECT ?s WHERE { ?s a ?type } LIMIT 1")
            pending = sum(not f.done() for f in attack)
            refused = [f.result() for f in attack]
    assert answered == 200 and pending > 0  # answered while the slow checks were still running
    assert refused == [400] * 4


def _listening():
    from conftest import Listener

    return Listener()


def test_service_after_a_cr_ended_comment_is_refused_everywhere():
    """rdflib ended a comment at LF only, Oxigraph at CR too: `# note\\rSERVICE` passed the check and the engine
    posted to the URL (11 of 56 variants: escaped CR, sub-query, FILTER EXISTS, prologue, ASK, CONSTRUCT, NUL)."""
    listener = _listening()
    url = f"http://127.0.0.1:{listener.port}/sparql"
    variants = [f"SELECT * WHERE {{ # note\rSERVICE <{url}> {{ ?s ?p ?o }}\n}}",
                f"SELECT * WHERE {{ # note\\u000DSERVICE <{url}> {{ ?s ?p ?o }}\n}}",
                f"SELECT * WHERE {{ {{ SELECT * WHERE {{ # x\rSERVICE <{url}> {{ ?s ?p ?o }}\n}} }} }}",
                f"SELECT * WHERE {{ FILTER EXISTS {{ # x\rSERVICE <{url}> {{ ?s ?p ?o }}\n}} }}",
                f"PREFIX ex: <http://e/> # x\rSELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
                f"ASK {{ # x\rSERVICE <{url}> {{ ?s ?p ?o }}\n}}",
                f"CONSTRUCT WHERE {{ # x\rSERVICE <{url}> {{ ?s ?p ?o }}\n}}",
                f"SELECT * WHERE {{ # x\x00\rSERVICE <{url}> {{ ?s ?p ?o }}\n}}"]
    try:
        with _endpoint() as served:
            for query in variants:
                assert _post_query(served.base, query) in (400, 403), repr(query)
                with pytest.raises(iakg.QueryError):
                    _graph().query(query)
        assert listener.connections == 0
    finally:
        listener.close()


@pytest.mark.parametrize("text", ["SELECT * WHERE { ?s ?p ?o }\x00", "SELECT * WHERE {\x0b?s ?p ?o }",
                                  "SELECT * WHERE { ?s ?p ?o \x1b}", "SELECT * WHERE {\u2028?s ?p ?o }",
                                  'SELECT * WHERE { ?s ?p "a\x01b" }', "SELECT * WHERE { ?s ?p ?o } \\",
                                  "SELECT * WHERE { ?s ?p '''open }"])
def test_what_two_parsers_could_read_differently_is_refused(text, tmp_path, capsys):
    """NUL anywhere, control characters and line separators outside strings, a control character with no
    escape in a string, a stray backslash: refused in one located line, never given to either parser."""
    with pytest.raises(iakg.QueryError, match=r"line \d+, column \d+"):
        _graph().query(text)
    path = tmp_path / "q.rq"
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "query", str(path))
    assert code == 2 and one_line(err) and out == ""


def test_normalised_text_is_read_once():
    """The prepared text: comments gone (never inside an IRI or string), line ends LF, strings in one form,
    and preparing it again changes nothing."""
    from iakg.rdf.sparql_text import normalise

    text = normalise("PREFIX ex: <http://x/#a> # c\r\nSELECT * WHERE { ?s ex:p\\#q '#\\'\"' ; ?p '''a\r\nb''' }#")
    assert text == 'PREFIX ex: <http://x/#a> \nSELECT * WHERE { ?s ex:p\\#q "#\'\\"" ; ?p """a\\r\nb""" }'
    assert normalise(text) == text


def test_relative_iris_resolve_against_the_dataset_base():
    """A relative IRI resolved against the engine's private URL (revealing its port); now against the dataset's
    base, at the endpoint and in process; a query's own BASE still applies."""
    import urllib.parse
    import urllib.request

    query = "SELECT ?iri WHERE { BIND(<x> AS ?iri) }"
    assert _graph().query(query).rows() == [{"iri": "https://w3id.org/iakg/x"}]
    with _endpoint() as served:
        data = urllib.parse.urlencode({"query": query}).encode()
        with urllib.request.urlopen(served.url, data=data, timeout=30) as response:
            answer = json.loads(response.read())
        own = urllib.parse.urlencode({"query": "BASE <http://e.org/> SELECT ?iri WHERE { BIND(<x> AS ?iri) }"})
        with urllib.request.urlopen(served.url, data=own.encode(), timeout=30) as response:
            based = json.loads(response.read())
    assert answer["results"]["bindings"] == [{"iri": {"type": "uri", "value": "https://w3id.org/iakg/x"}}]
    assert based["results"]["bindings"] == [{"iri": {"type": "uri", "value": "http://e.org/x"}}]


def test_the_engine_cannot_connect():
    """Defence in depth: a SERVICE that reached the engine of `iakg serve` (here sent to its private port
    directly, skipping the check) fails there without connecting: the engine runs under a seccomp filter."""
    import urllib.error
    import urllib.parse
    import urllib.request

    listener = _listening()
    try:
        with _endpoint() as served:
            query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }} }}"
            data = urllib.parse.urlencode({"query": query}).encode()
            try:
                with urllib.request.urlopen(served.engine.url, data=data, timeout=30) as response:
                    body = response.read()
            except urllib.error.HTTPError as exc:
                body = exc.read()
            assert b"not permitted" in body  # EPERM from the filter, reported by the engine
            assert _post_query(served.base, "ASK { ?s ?p ?o }") == 200  # its own socket works
        assert listener.connections == 0
    finally:
        listener.close()


def test_publish_never_prints_credentials(tmp_path, capsys, monkeypatch):
    """`publish` echoed the password of a URL's userinfo and of a .netrc line in its errors."""
    monkeypatch.delenv("IAKG_PUBLISH_USER", raising=False)
    monkeypatch.delenv("IAKG_PUBLISH_PASSWORD", raising=False)
    for args in (["--endpoint", "http://alice:s3cret@127.0.0.1:1/store"],
                 ["--endpoint", "http://127.0.0.1:1/store", "--query-endpoint", "http://bob:s3cret@127.0.0.1:1/q"],
                 ["--endpoint", "http://alice:s3cret@127.0.0.1:99999/store"]):
        code, out, err = run(capsys, "publish", *args)
        assert code == 2 and one_line(err) and "s3cret" not in err + out and "***" in err, err
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login alice password s3cret\ndefault s3cret2 x\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    code, out, err = run(capsys, "publish", "--endpoint", "http://127.0.0.1:1/store")
    assert code == 2 and one_line(err) and "s3cret" not in err and f"{netrc}:2" in err, err
    netrc.write_text("machine 127.0.0.1 login alice password s3cret\n")
    code, out, err = run(capsys, "publish", "--endpoint", "http://127.0.0.1:1/store")  # nothing listens there
    assert code == 2 and one_line(err) and "s3cret" not in err, err


def _scenarios_with_cache(cache: Path) -> tuple[int, str, str]:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "iakg", "scenarios", "--format", "json", "--cache-dir", str(cache)],
                          capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr


def test_cache_filled_by_two_processes_at_once(tmp_path):
    """Two processes filling the cache at once failed in 9 of 10 rounds; now they take turns (a lock) and the
    store is published whole (a rename): every process answers, from one store."""
    import subprocess
    import sys

    code = "from iakg.io.dataset import open_store; import sys; print(len(open_store(cache_dir=sys.argv[1])))"
    for round_ in range(3):
        cache = tmp_path / f"cache{round_}"
        running = [subprocess.Popen([sys.executable, "-c", code, str(cache)], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for _ in range(3)]
        answers = [p.communicate(timeout=300) for p in running]
        assert [p.returncode for p in running] == [0, 0, 0], [err[-500:] for _, err in answers]
        assert len({out for out, _ in answers}) == 1 and all(err == "" for _, err in answers), answers
        assert len([p for p in cache.iterdir() if p.is_dir()]) == 1  # one store, no part left


def test_cache_never_trusts_a_store_that_is_not_ours(tmp_path):
    """A once world-writable cache folder was silently made private and a store another user planted there
    was trusted. A folder every user may write into is not used (one line, the answer unchanged, the folder
    left as it is); a store whose files are another user's, or whose seal was not made with the folder's secret,
    is rebuilt."""
    cache = tmp_path / "cache"
    code, expected, err = _scenarios_with_cache(cache)
    assert code == 0 and err == ""
    (store,) = [p for p in cache.iterdir() if p.is_dir()]
    ready = store / "READY"
    key = ready.read_text().split("\n")[0]
    from iakg.rdf.store import _manifest

    forged = _manifest(store)
    ready.write_text(key + "\n" + forged)  # a seal anyone could compute (no secret): not trusted
    assert _scenarios_with_cache(cache)[:2] == (0, expected)
    assert ready.read_text().split("\n")[1] not in (forged, _manifest(store))  # rebuilt and sealed again
    table = sorted(store.glob("*.sst"))[0]
    os.chown(table, 4242, 4242)  # a file of another user in the store: not trusted
    assert _scenarios_with_cache(cache)[:2] == (0, expected)
    assert all(p.stat().st_uid == os.getuid() for p in store.rglob("*"))
    cache.chmod(0o777)  # every user may write into the folder: not used, not changed
    code, out, err = _scenarios_with_cache(cache)
    assert code == 0 and out == expected and err.count("\n") == 1 and "every user may write" in err
    assert stat.S_IMODE(cache.stat().st_mode) == 0o777


@pytest.mark.parametrize("fault", ["file", "readonly", "full"])
def test_cache_in_a_damaged_or_unwritable_state_is_one_line(tmp_path, monkeypatch, caplog, fault):
    """A key path that is a file, a read-only mount and a full disk gave tracebacks: now one line (logger
    iakg.cache) and the answer, from a store built in memory."""
    import errno
    import logging

    from iakg.io.dataset import open_store
    from iakg.rdf import store as stores

    cache = tmp_path / "cache"
    if fault == "file":
        cache.write_text("not a folder")
    else:
        number = errno.EROFS if fault == "readonly" else errno.ENOSPC

        def failing(*args, **kwargs):
            raise OSError(number, os.strerror(number))

        monkeypatch.setattr(stores.ox, "Store", type("Failing", (), {"__new__": failing,
                                                                     "read_only": staticmethod(failing)}))
        monkeypatch.setattr(stores, "build_store", lambda inputs, finish=None: "in memory")
    with caplog.at_level(logging.WARNING, logger="iakg.cache"):
        answer = open_store(cache_dir=cache)
    lines = [r.getMessage() for r in caplog.records if r.name == "iakg.cache"]
    assert len(lines) == 1 and "\n" not in lines[0] and "cannot be used" in lines[0]
    if fault == "file":
        assert len(answer) > 0 and cache.read_text() == "not a folder"
    else:
        assert answer == "in memory" and not [p for p in cache.iterdir() if p.name.endswith(".part")]


def _table_with(tmp_path: Path, sidecar_text: str | None = None, edit=None) -> Path:
    """A copy of a fixture table (and its sidecar, or ``sidecar_text`` as a YAML one) in ``tmp_path``."""
    import shutil

    from conftest import FIXTURES

    table = tmp_path / "topic.csv"
    text = (FIXTURES / "tables" / "pelvic-ache.csv").read_text(encoding="utf-8")
    table.write_text(edit(text) if edit else text, encoding="utf-8")
    if sidecar_text is None:
        shutil.copy(FIXTURES / "tables" / "pelvic-ache.json", tmp_path / "topic.json")
    else:
        (tmp_path / "topic.yaml").write_text(sidecar_text, encoding="utf-8")
    return table


def _import(capsys, *args: str) -> tuple[int, list[str]]:
    code, out, err = run(capsys, "import", "table", *args)
    return code, err.strip().splitlines()


@pytest.mark.parametrize("text, message", [
    ('a: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\nd: &d [*c,*c]\ne: &e [*d,*d]\nf: [*e,*e]\n', "aliases"),
    ("Title: &t Fictional\nSource: *t\n", "aliases"),
    ("Title: " + "[" * 50 + "]" * 50 + "\n", "nested"),
    ("Title: x\n" + "# padding\n" * 40_000, "larger than"),
])
def test_sidecar_aliases_nesting_and_size_are_refused(tmp_path, capsys, text, message):
    """A 260-byte YAML sidecar of nested aliases cost 69 s and 18.7 GB: refused before anything is built."""
    table = _table_with(tmp_path, text)
    code, lines = _import(capsys, str(table), "--out", str(tmp_path / "out"))
    assert code == 2 and len(lines) == 2 and message in lines[1] and lines[1].startswith(f"{tmp_path}/topic.yaml:")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder"])
def test_sidecar_that_is_not_a_regular_file_is_one_line(tmp_path, capsys, kind):
    """`--sidecar /dev/zero` or a FIFO hung (or read without end): refused in one line, never read."""
    table = _table_with(tmp_path)
    side = {"fifo": tmp_path / "side.yaml", "dev-zero": Path("/dev/zero"), "folder": tmp_path / "dir.yaml"}[kind]
    if kind == "fifo":
        os.mkfifo(side)
    elif kind == "folder":
        side.mkdir()
    code, lines = _import(capsys, str(table), "--sidecar", str(side), "--out", str(tmp_path / "out"))
    assert code == 2 and len(lines) == 2 and "regular file" in lines[1] and lines[1].startswith(f"{side}:1:1:")


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c"])
@pytest.mark.parametrize("quoted", [False, True])
def test_odd_cells_and_iris_are_one_line(tmp_path, capsys, char, quoted):
    """A Unicode line separator in a cell split its row (misleading problems) or gave a traceback; a '>' in the
    Namespace gave a traceback. Each is one located line now."""
    cell = f'"US{char}pelvis"' if quoted else f"US{char}pelvis"
    table = _table_with(tmp_path, edit=lambda text: text.replace(",US pelvis,", f",{cell},", 1))
    code, lines = _import(capsys, str(table), "--out", str(tmp_path / "out"))
    assert code == 2 and len(lines) == 2 and f"U+{ord(char):04X}" in lines[1]
    assert lines[1].startswith(f"{table}:2:2:")


@pytest.mark.parametrize("namespace", ["https://example.org/fix>ture/", "https://example.org/a b/", "<oops"])
def test_an_odd_namespace_is_one_line(tmp_path, capsys, namespace):
    table = _table_with(tmp_path)
    side = tmp_path / "topic.json"
    data = json.loads(side.read_text())
    data["Namespace"] = namespace
    side.write_text(json.dumps(data))
    code, lines = _import(capsys, str(table), "--out", str(tmp_path / "out"))
    assert code == 2 and len(lines) == 2 and "not an IRI" in lines[1] and "Traceback" not in "".join(lines)


# ---------------------------------------------------------------- CDS Hooks input (issue 31)
def _cds_client(tmp_path, log: Path | None = None):
    from conftest import FIXTURES
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from iakg.serve.routes import ROUTES, ServeContext, ServeOptions

    options = ServeOptions(cds=True, cds_mapping=FIXTURES / "cds" / "site-mapping.json", cds_feedback_log=log)
    return TestClient(Starlette(routes=ROUTES.get("cds")(ServeContext(_graph(), "http://127.0.0.1:1", options))))


def _cds_request(name: str) -> dict:
    from conftest import FIXTURES

    return json.loads((FIXTURES / "cds" / f"{name}.json").read_text(encoding="utf-8"))


def _conditions(request: dict) -> list[dict]:
    return [e["resource"] for e in request["prefetch"]["conditions"]["entry"]]


def _answer(client, request: dict) -> dict:
    response = client.post(f"/cds-services/iakg-imaging-{request['hook']}", json=request)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("change", ["provisional", "differential", "unconfirmed", "entered-in-error",
                                    "no-verification", "resolved", "another-patient", "no-subject"])
def test_cds_counts_only_confirmed_active_facts_of_the_context_patient(tmp_path, change):
    """Provisional, differential or unconfirmed diagnoses were read as stated facts, and prefetched resources of
    another patient were used. The index patient's CT is rated only from a confirmed, active Condition about
    that patient; otherwise no rating is attached (the fact is not stated) and the card says why."""
    with _cds_client(tmp_path, tmp_path / "feedback.jsonl") as client:
        request = _cds_request("index-ct-ap")
        rated = _answer(client, request)
        assert rated["cards"][0]["summary"].startswith("CT abdomen and pelvis with IV contrast: Usually appropriate")
        [condition] = _conditions(request)
        if change in ("provisional", "differential", "unconfirmed", "entered-in-error"):
            condition["verificationStatus"]["coding"][0]["code"] = change
        elif change == "no-verification":
            del condition["verificationStatus"]
        elif change == "resolved":
            condition["clinicalStatus"]["coding"][0]["code"] = "resolved"
        elif change == "another-patient":
            condition["subject"] = {"reference": "Patient/someone-else"}
        else:
            del condition["subject"]
        answer = _answer(client, request)
    [card] = answer["cards"]
    assert "Usually appropriate" not in card["summary"] and "systemActions" not in answer
    assert "pNET, completely resected" not in card["detail"] and "completelyResected`=yes" not in card["detail"]


def test_cds_disagreeing_codings_are_refused_with_a_card(tmp_path):
    """An order whose codings disagree was rated by the first and the rating attached to the whole order."""
    with _cds_client(tmp_path, tmp_path / "feedback.jsonl") as client:
        request = _cds_request("index-ct-ap")
        order = request["context"]["draftOrders"]["entry"][0]["resource"]
        order["code"]["coding"].append({"system": "urn:ietf:rfc:3986", "code": "https://w3id.org/iakg/id/fdg-pet-ct"})
        answer = _answer(client, request)
        [card] = answer["cards"]
        assert card["summary"].startswith("Not evaluated: the order's codes name different procedures")
        assert card["indicator"] == "warning" and "systemActions" not in answer
        order["code"]["coding"].append({"system": "http://loinc.org", "code": "36813-4"})  # the same twice: fine
        order["code"]["coding"].pop(1)
        assert _answer(client, request)["cards"][0]["summary"].startswith("CT abdomen and pelvis")


def test_cds_lone_surrogates_are_a_400(tmp_path):
    with _cds_client(tmp_path, tmp_path / "feedback.jsonl") as client:
        body = json.dumps(_cds_request("index-ct-ap")).replace('"Practitioner/example"', '"Practitioner/\\ud800"')
        response = client.post("/cds-services/iakg-imaging-order-select", content=body.encode(),
                               headers={"Content-Type": "application/json"})
        assert response.status_code == 400 and "surrogate" in response.json()["error"]
        feedback = '{"feedback": [{"card": "\\udc00", "outcome": "overridden", "outcomeTimestamp": "x"}]}'
        response = client.post("/cds-services/iakg-imaging-order-select/feedback", content=feedback.encode(),
                               headers={"Content-Type": "application/json"})
        assert response.status_code == 400


def test_cds_feedback_is_bounded_and_its_log_checked_at_start(tmp_path, monkeypatch, caplog):
    """The feedback log had no size or rate cap (107 MB/s) and was lost with a 500 when the home folder was
    read-only."""
    import logging

    item = {"card": "c", "outcome": "overridden", "outcomeTimestamp": "2026-11-26T10:06:00Z"}
    url = "/cds-services/iakg-imaging-order-sign/feedback"
    log = tmp_path / "feedback.jsonl"
    with _cds_client(tmp_path, log) as client:
        assert client.post(url, json={"feedback": [item] * 101}).status_code == 413
        big = {**item, "overrideReason": {"userComment": "x" * 20_000}}
        assert client.post(url, json={"feedback": [big]}).status_code == 413
        statuses = [client.post(url, json={"feedback": [item] * 100}).status_code for _ in range(3)]
        assert statuses[:2] == [200, 200] and statuses[2] == 429  # 200 at once, then 20 a second
        assert len(log.read_text().splitlines()) == 200
    blocked = tmp_path / "state-is-a-file"
    blocked.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked / "nested"))  # as unwritable as a read-only home
    with caplog.at_level(logging.WARNING, logger="iakg.serve"):
        with _cds_client(tmp_path) as client:
            response = client.post(url, json={"feedback": [item]})
    warned = [r.getMessage() for r in caplog.records if r.name == "iakg.serve"]
    assert len(warned) == 1 and "\n" not in warned[0] and "feedback will not be recorded" in warned[0]
    assert response.status_code == 503 and "not recorded" in response.json()["error"]
