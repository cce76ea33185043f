"""``iakg serve``: the validated graph, read-only, over the SPARQL 1.1 Protocol.

The engine is the Oxigraph server (PyPI ``oxigraph``), run read-only on a private loopback port. In front
of it a small gateway, the only public face, does what a published endpoint needs:

* ``/sparql`` (alias ``/query``), GET and POST: queries only. SPARQL Update, and queries that use SERVICE
  (or any update keyword), get 403; malformed queries get Oxigraph's 400 and message; results are
  negotiated by Accept (SPARQL JSON/XML/CSV/TSV, Turtle/N-Triples/JSON-LD for CONSTRUCT and DESCRIBE);
  query time and result size are capped.
* any other path dereferences the resource IRI ``https://w3id.org/iakg/<path>``: its description
  (DESCRIBE) as Turtle, N-Triples or JSON-LD by Accept; 404 if the graph has nothing about it.
* ``/`` gives the dataset's VoID/DCAT description.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from iakg.errors import KGError
from iakg.rdf.namespaces import BASE, DATASET_IRI
from iakg.rdf.safety import forbidden_keyword

MAX_QUERY_BYTES = 100_000
RDF_TYPES = ("text/turtle", "application/n-triples", "application/ld+json")

def oxigraph_executable() -> str:
    """The ``oxigraph`` server command installed beside this Python, or on PATH."""
    beside = Path(sys.executable).with_name("oxigraph")
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        raise KGError("the Oxigraph server is not installed: pip install oxigraph")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


_WORKDIR_PREFIX = "iakg-serve-"


def _sweep_stale_workdirs() -> None:
    """Remove the engine folders of endpoints whose process died without cleaning up (e.g. kill -9)."""
    for folder in Path(tempfile.gettempdir()).glob(_WORKDIR_PREFIX + "*"):
        try:
            owner = int((folder / "owner.pid").read_text())
            os.kill(owner, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (OSError, ValueError):  # not ours to judge: no owner file, or another user's process
            continue


class Endpoint:
    """A running endpoint: the Oxigraph engine and the gateway; ``url`` is the public SPARQL URL."""

    def __init__(self, graph, host: str = "127.0.0.1", port: int = 0, timeout_s: float = 10.0,
                 max_result_bytes: int = 10_000_000):
        _sweep_stale_workdirs()
        self.workdir = Path(tempfile.mkdtemp(prefix=_WORKDIR_PREFIX))
        (self.workdir / "owner.pid").write_text(str(os.getpid()))
        self.gateway = ThreadingHTTPServer((host, port), _Handler)
        self.gateway.daemon_threads = True
        shown_host = host if ":" not in host else f"[{host}]"
        self.base = f"http://{shown_host}:{self.gateway.server_address[1]}"
        self.url = self.base + "/sparql"
        try:
            self.engine, self.engine_url = _start_engine(graph, self.workdir, timeout_s, self.url)
        except BaseException:
            self.gateway.server_close()
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise
        self.gateway.engine_url = self.engine_url
        self.gateway.timeout_s = timeout_s
        self.gateway.max_result_bytes = max_result_bytes
        self.thread = threading.Thread(target=self.gateway.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop the gateway and the engine, and remove the engine's files."""
        self.gateway.shutdown()
        self.gateway.server_close()
        self.engine.terminate()
        try:
            self.engine.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.engine.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Endpoint:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(graph, host: str, port: int, timeout_s: float, max_result_bytes: int) -> None:
    """Serve until Ctrl-C, printing the URL."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # `kill` stops it as cleanly as Ctrl-C
    with Endpoint(graph, host, port, timeout_s, max_result_bytes) as endpoint:
        print(f"SPARQL endpoint: {endpoint.url}  (read-only; resources under {endpoint.base}/id/...)", flush=True)
        print("Ctrl-C stops it.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopping", flush=True)


def _start_engine(graph, workdir: Path, timeout_s: float, public_url: str):
    dump = workdir / "release.nq"
    dump.write_bytes(graph.release(endpoint=public_url).serialize("nq"))
    exe, location = oxigraph_executable(), workdir / "store"
    loaded = subprocess.run([exe, "load", "--location", str(location), "--file", str(dump)],
                            capture_output=True, text=True, timeout=600)
    if loaded.returncode != 0:
        raise KGError(f"oxigraph load failed: {loaded.stderr[-1000:]}")
    dump.unlink()
    port = free_port()
    engine = subprocess.Popen([exe, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}",
                               "--union-default-graph", "--timeout-s", str(max(1, round(timeout_s)))],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_die_with_parent)
    url = f"http://127.0.0.1:{port}/query"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=2).read()
                return engine, url
            except OSError:
                if engine.poll() is not None or time.monotonic() > deadline:
                    raise KGError("the Oxigraph server did not start: "
                                  + engine.stderr.read().decode()[-1000:]) from None
                time.sleep(0.05)
    except BaseException:
        engine.kill()
        engine.wait()
        raise


def _die_with_parent() -> None:
    """In the engine's process: on Linux, ask for SIGTERM when the parent dies (even by kill -9)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except OSError:
            pass


class _Handler(BaseHTTPRequestHandler):
    server_version = "iakg-serve"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet: one line per request is noise for a local endpoint
        pass

    # ------------------------------------------------------------------ routing
    def do_GET(self):
        path, _, query_string = self.path.partition("?")
        if path in ("/sparql", "/query"):
            params = urllib.parse.parse_qs(query_string, keep_blank_values=True)
            return self._sparql(params.get("query", [None])[0], "update" in params)
        if path == "/":
            return self._describe(DATASET_IRI)
        return self._describe(BASE + urllib.parse.unquote(path.lstrip("/")))

    def do_POST(self):
        path = self.path.partition("?")[0]
        if path not in ("/sparql", "/query"):
            return self._error(405, "POST is only for /sparql")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_QUERY_BYTES:
            return self._error(413, f"query larger than {MAX_QUERY_BYTES} bytes")
        body = self.rfile.read(length).decode("utf-8", "replace")
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if kind == "application/sparql-update":
            return self._sparql(None, True)
        if kind == "application/sparql-query":
            return self._sparql(body, False)
        params = urllib.parse.parse_qs(body, keep_blank_values=True)
        return self._sparql(params.get("query", [None])[0], "update" in params)

    def do_PUT(self):
        self._error(405, "this endpoint is read-only")

    do_DELETE = do_PATCH = do_PUT

    # ------------------------------------------------------------------ answers
    def _sparql(self, query: str | None, is_update: bool):
        if is_update:
            return self._error(403, "this endpoint is read-only: SPARQL Update is refused")
        if not query:
            return self._error(400, "missing 'query' parameter")
        if len(query.encode()) > MAX_QUERY_BYTES:
            return self._error(413, f"query larger than {MAX_QUERY_BYTES} bytes")
        keyword = forbidden_keyword(query)
        if keyword:
            return self._error(403, f"{keyword} is refused: this endpoint answers read-only queries on its own data")
        self._forward(query, self.headers.get("Accept") or "application/sparql-results+json")

    def _describe(self, iri: str):
        accept = self.headers.get("Accept") or "text/turtle"
        wanted = next((t for t in _accepted(accept) if t in RDF_TYPES), "text/turtle")
        self._forward(f"DESCRIBE <{iri}>", wanted, not_found_if_empty=True) if _iri_ok(iri) else \
            self._error(404, "no such resource")

    def _forward(self, query: str, accept: str, not_found_if_empty: bool = False):
        data = urllib.parse.urlencode({"query": query}).encode()
        request = urllib.request.Request(self.server.engine_url, data=data, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": accept})
        cap = self.server.max_result_bytes
        try:
            with urllib.request.urlopen(request, timeout=self.server.timeout_s + 5) as response:
                body = response.read(cap + 1)
                kind = response.headers.get("Content-Type", "application/octet-stream")
        except urllib.error.HTTPError as exc:
            message = exc.read(2000).decode("utf-8", "replace")
            status = exc.code if exc.code < 500 or "timeout" not in message.lower() else 503
            return self._error(status, message or exc.reason)
        except TimeoutError:
            return self._error(503, f"query exceeded the time cap of {self.server.timeout_s} s")
        except OSError as exc:
            return self._error(502, f"engine unavailable: {exc}")
        if len(body) > cap:
            return self._error(413, f"result larger than the cap of {cap} bytes; narrow the query (LIMIT)")
        if body.endswith(b"The SPARQL operation has been cancelled"):  # the engine's timeout, mid-stream
            return self._error(503, f"query exceeded the time cap of {self.server.timeout_s} s")
        if not_found_if_empty and not body.strip(b" \n[]{}"):
            return self._error(404, "no such resource")
        self._send(200, body, kind)

    def _error(self, status: int, message: str):
        self._send(status, (message.strip() + "\n").encode("utf-8"), "text/plain; charset=utf-8")

    def _send(self, status: int, body: bytes, kind: str):
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Vary", "Accept")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away; the others are unaffected


def _accepted(header: str) -> list[str]:
    """Media types of an Accept header, highest quality first."""
    ranked = []
    for index, part in enumerate(header.split(",")):
        kind, *params = [p.strip() for p in part.split(";")]
        q = next((float(p[2:]) for p in params if p.startswith("q=") and _number(p[2:])), 1.0)
        ranked.append((-q, index, kind.lower()))
    return [kind for _, _, kind in sorted(ranked)]


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _iri_ok(iri: str) -> bool:
    return not re.search(r'[<>"{}|^`\\\x00-\x20]', iri)
