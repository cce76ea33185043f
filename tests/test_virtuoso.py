"""The whole catalogue on a second engine: Virtuoso (Debian's virtuoso-opensource, installed by .ci/run),
started here on 127.0.0.1, loaded with the release and the fictional test topics, every catalogue query
compared with Oxigraph's answer: with its example, and a query about one scenario for every scenario of the
graph (those that rate nothing too). Booleans are compared as booleans (Virtuoso writes a boolean expression's
value as the integer 1 or 0). Skipped where virtuoso-t is not installed."""

from __future__ import annotations

import functools
import re
import shutil
import socket
import subprocess
import time
from decimal import Decimal

import pytest
from conftest import ROOT

import iakg
from iakg import catalogue
from iakg.rdf.engine import RemoteEngine

VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt") or shutil.which("isql")
pytestmark = pytest.mark.skipif(not (VIRTUOSO and ISQL), reason="virtuoso-opensource is not installed")
GRAPH = "https://w3id.org/iakg/dataset"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(port: int, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"virtuoso did not listen on {port}")


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    folder = tmp_path_factory.mktemp("virtuoso")
    sql, http = _free_port(), _free_port()
    (folder / "data.nt").write_bytes(_graph().release().triples())
    (folder / "virtuoso.ini").write_text(f"""[Database]
DatabaseFile = {folder}/v.db
ErrorLogFile = {folder}/v.log
TransactionFile = {folder}/v.trx
xa_persistent_file = {folder}/v.pxa
[TempDatabase]
DatabaseFile = {folder}/v-temp.db
TransactionFile = {folder}/v-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql}
DirsAllowed = ., {folder}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {folder}
[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
""")
    process = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", str(folder / "virtuoso.ini")],
                               cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(sql)
        _wait(http)
        load = f"DB.DBA.TTLP_MT(file_to_string_output('{folder}/data.nt'), '', '{GRAPH}', 0);\ncheckpoint;\n"
        subprocess.run([ISQL, f"127.0.0.1:{sql}", "dba", "dba"], input=load, text=True, check=True,
                       capture_output=True, timeout=300)
        yield RemoteEngine(f"http://127.0.0.1:{http}/sparql", 60)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


FIXTURES = ROOT / "tests" / "fixtures"
TOPICS = [FIXTURES / "second-topic.ttl", FIXTURES / "variant-table.ttl", FIXTURES / "other-scheme.ttl"]


@functools.lru_cache(maxsize=1)
def _graph() -> iakg.KnowledgeGraph:
    return iakg.load(TOPICS)


def _normal(value):
    """One answer value compared across engines: numbers by value, text as is."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return Decimal(str(value)).normalize()
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return Decimal(value).normalize()
    return value


def _rows(rows, booleans=frozenset()):
    """Rows in a comparable form; in the columns named in ``booleans``, 1 and 0 read as true and false."""
    def value(key, v):
        if key in booleans and not isinstance(v, bool) and _normal(v) in (Decimal(0), Decimal(1)):
            v = _normal(v) == 1
        return repr(_normal(v))
    return sorted(tuple(sorted((k, value(k, v)) for k, v in row.items())) for row in rows)


def _bindings(query) -> list[dict]:
    """The example, and for a query about a scenario every scenario of the graph."""
    example = query.example_bindings() if query.example else {}
    out = [example]
    if any(p.name == "scenario" for p in query.parameters):
        for scenario in _graph().scenarios():
            out.append({**{k: v for k, v in example.items() if k != "criterion"}, "scenario": iakg.IRI(scenario.iri)})
    return out


@pytest.mark.parametrize("name", sorted(catalogue.catalogue()))
def test_catalogue_query_answers_the_same_on_virtuoso(virtuoso, name):
    if name == "graph-size":
        pytest.skip("graph-size counts one named graph; the release is loaded into Virtuoso as one graph")
    query = catalogue.get(name)
    differ = []
    for bindings in _bindings(query):
        here, there = _graph().engine.execute(query.text, bindings), virtuoso.execute(query.text, bindings)
        if query.form == "ask":
            if here.boolean != there.boolean:
                differ.append((bindings, there.boolean, here.boolean))
            continue
        local, remote = here.rows(), there.rows()
        booleans = frozenset(k for row in local for k, v in row.items() if isinstance(v, bool))
        if _rows(remote, booleans) != _rows(local, booleans):
            differ.append((bindings, [r for r in remote if r not in local][:3],
                           [r for r in local if r not in remote][:3]))
    assert not differ, differ[:2]
