"""``iakg serve``: the graph, read-only, over the SPARQL 1.1 Protocol, on Starlette and uvicorn.

The HTTP side is Starlette (routing, CORS) on uvicorn (keep-alive, backpressure, HTTP parsing limits: code
made for it, instead of a hand-written threading server). The app mounts every registered route group
(``iakg.serve.routes.ROUTES``) over one :class:`ServeContext`: ``graph`` is the embedded
:class:`~iakg.api.KnowledgeGraph`, which answers the typed questions of the page and CDS Hooks groups in
process (fixed catalogue queries: microseconds, nothing a client can make unbounded); every query text a
client sends runs in the supervised Oxigraph engine (``iakg.serve.engine``), where it can be killed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from iakg.api import KnowledgeGraph
from iakg.io.release import write_store
from iakg.rdf.engine import LocalEngine
from iakg.serve.engine import Engine, free_port, oxigraph_executable
from iakg.serve.layers import AccessLog, Front, RequestLimit, SecurityHeaders
from iakg.serve.proxy import Proxy
from iakg.serve.routes import ServeContext, ServeOptions, mounted, route_group
from iakg.version import __version__

__all__ = ["Endpoint", "ServeOptions", "build_app", "free_port", "oxigraph_executable", "serve"]

CHECK_WORKERS = 4  #: worker processes of the query check (iakg.serve.checks)
CHECK_TIMEOUT_S = 5.0  #: a query whose check takes longer is refused (400)
_WORKDIR_PREFIX = "iakg-serve-"


# ---------------------------------------------------------------------- the app
@route_group("health")
def health_routes(ctx: ServeContext) -> list[Route]:
    engine = ctx.engine
    if engine is None:  # a context without a running engine has no health to report
        return []

    async def health(request: Request) -> Response:
        ready = engine.wait_ready(0)
        return JSONResponse({"status": "ok" if ready else "restarting", "version": __version__,
                             "engine": {"generation": engine.generation, "restarts": len(engine.restarts),
                                        "last_restart_reason": engine.last_reason or None,
                                        "rss_bytes": engine.rss()}},
                            200 if ready else 503)

    return [Route("/health", health, methods=["GET"])]


def build_app(ctx: ServeContext) -> Front:
    """The app of every registered route group over ``ctx``: the Starlette app, behind the front layer that
    answers the routes marked ``fast`` directly (:class:`Front`)."""
    routes: list[BaseRoute] = []
    for _, group in mounted():
        routes.extend(group(ctx))
    proxy = ctx.proxy

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        if proxy is not None:
            await proxy.close()

    from iakg.present.html.policy import content_security_policy

    policy = content_security_policy(ctx.options.sparql_path)
    middleware = [Middleware(AccessLog), Middleware(SecurityHeaders, policy=policy),
                  Middleware(RequestLimit, limit=ctx.options.max_request_bytes),
                  Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
                             allow_headers=["Accept", "Content-Type", "Authorization"], max_age=86400)]
    fast = {r.path: r.endpoint for r in routes if isinstance(r, Route) and getattr(r.endpoint, "fast", False)}
    limit = ctx.options.max_request_bytes
    return Front(Starlette(routes=routes, middleware=middleware, lifespan=lifespan), fast, limit,
                 SecurityHeaders(None, policy).headers)


# ---------------------------------------------------------------------- the running endpoint
class Endpoint:
    """A running endpoint (engine + HTTP server in a thread); ``url`` is the SPARQL URL, ``base`` the root.

    ``graph`` is a loaded :class:`~iakg.api.KnowledgeGraph` (its release is loaded into the engine), or
    ``release`` is a built release folder (``iakg build``) whose store is loaded as is. ``options`` are those
    of ``iakg serve`` with its defaults (:class:`ServeOptions`: limits; CDS Hooks only with ``cds=True``).
    """

    def __init__(self, graph: KnowledgeGraph | None = None, host: str = "127.0.0.1", port: int = 0,
                 options: ServeOptions | None = None, release: Path | None = None,
                 on_fatal: Callable[[str], None] | None = None, progress: Callable[[str], None] | None = None):
        options = options or ServeOptions()
        say = progress or (lambda message: None)
        from iakg.serve.checks import CheckPool

        # the query check runs in worker processes, each check bounded in time (iakg.serve.checks)
        self.checks = CheckPool(CHECK_WORKERS, CHECK_TIMEOUT_S)
        self.limits = options.limits
        # the check's workers and the engine's client are loaded while the engine starts (else the first query
        # would pay for them)
        warm = threading.Thread(target=_warm_query_check, args=(self.checks,), name="iakg-warm-check", daemon=True)
        warm.start()
        _sweep_stale_workdirs()
        self.workdir = Path(tempfile.mkdtemp(prefix=_WORKDIR_PREFIX))
        (self.workdir / "owner.pid").write_text(str(os.getpid()))
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.engine: Engine | None = None
        try:
            self.sock.bind((host, port))
            shown_host = host if ":" not in host else f"[{host}]"
            self.base = f"http://{shown_host}:{self.sock.getsockname()[1]}"
            self.url = self.base + "/sparql"
            location = self.workdir / "store"
            prepared = _prepared_store(Path(release)) if release is not None else None
            if prepared is not None:  # opened read-only where it is: no copy, no load
                say(f"opening the release's store {prepared} read-only")
                location = prepared
            elif release is not None:  # with the listing index, as a prepared store has it (pages are lookups)
                say(f"loading the release {release} into the engine")
                write_store((Path(release) / "iakg.nq").read_bytes(), location)
            elif graph is not None:
                write_store(graph.release(endpoint=self.url).nquads, location)
            else:
                raise ValueError("Endpoint: give a graph or a release folder")
            # the engine starts in its own process while this one builds the app and starts the HTTP server
            self.engine = Engine(location, options.timeout_s, options.max_memory_bytes, on_fatal=on_fatal, wait=False)
            if graph is None:
                graph = _read_only_graph(location)
            proxy = Proxy(self.engine, options.timeout_s, options.max_result_bytes)
            self.context = ServeContext(graph, self.base, options, self.engine, proxy, self.checks)
            self.app = build_app(self.context)
            self.engine.started()
            self._start_http()
            warm.join(60)
        except BaseException:
            self._cleanup()
            raise

    def _start_http(self) -> None:
        import uvicorn

        from iakg.serve.connections import protocol

        # idle and slow connections closed in seconds, request heads bounded, a cap per client (connections.py);
        # no proxy-headers layer: the server is not behind a proxy it trusts (the access log names the peer)
        config = uvicorn.Config(self.app, log_config=None, access_log=False, lifespan="on", backlog=2048,
                                timeout_keep_alive=5, server_header=False, limit_concurrency=4096,
                                proxy_headers=False, http=protocol(self.limits))
        self.server = uvicorn.Server(config)
        self.sock.listen(2048)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       name="iakg-http", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the HTTP server did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop the HTTP server and the engine, and remove the engine's files."""
        if getattr(self, "server", None) is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)
        self._cleanup()

    def _cleanup(self) -> None:
        if self.engine is not None:
            self.engine.stop()
        self.checks.close()
        self.sock.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Endpoint:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _warm_query_check(checks) -> None:
    import httptools  # noqa: F401 - the engine's client's parser, imported on first use otherwise

    checks.warm()


def _prepared_store(release: Path) -> Path | None:
    """The release's prepared store (``iakg build`` writes one), or None if it has none in this engine's format."""
    from iakg.io.release import MANIFEST, engine_store

    try:
        manifest = json.loads((release / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    prepared = engine_store(release, manifest) if isinstance(manifest, dict) else None
    return prepared if prepared is not None and (prepared / "CURRENT").is_file() else None


def _read_only_graph(location: Path) -> KnowledgeGraph:
    """A KnowledgeGraph over the engine's store, opened read-only in process (for the typed answers)."""
    return KnowledgeGraph(LocalEngine(ox.Store.read_only(str(location))))


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


def serve(graph: KnowledgeGraph | None, host: str, port: int, options: ServeOptions | None = None,
          release: Path | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM, printing the URL; exit status 0, or 3 if the engine cannot be kept up."""
    import signal

    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
    for quiet in ("uvicorn.error",):
        logging.getLogger(quiet).setLevel(logging.WARNING)
    failed: list[str] = []
    stop = threading.Event()

    def fatal(message: str) -> None:
        failed.append(message)
        stop.set()

    def on_signal(signum, frame):
        stop.set()

    with Endpoint(graph, host, port, options, release=release, on_fatal=fatal,
                  progress=lambda m: print(m, file=sys.stderr, flush=True)) as endpoint:
        print(f"SPARQL endpoint: {endpoint.url}  (read-only; resources under {endpoint.base}/id/...)", flush=True)
        print(f"Home page: {endpoint.base}/  (open it in a browser: topics, scenarios, the dataset)", flush=True)
        print(f"Query editor: {endpoint.base}/editor", flush=True)
        if endpoint.context.options.cds:
            print(f"CDS Hooks service: {endpoint.base}/cds-services  (research/educational use only)", flush=True)
        print("Ctrl-C stops it.", flush=True)
        previous = signal.signal(signal.SIGTERM, on_signal), signal.signal(signal.SIGINT, on_signal)
        try:
            while not stop.wait(3600):
                pass
        finally:
            signal.signal(signal.SIGTERM, previous[0])
            signal.signal(signal.SIGINT, previous[1])
        print("stopping", flush=True)
    if failed:
        print(f"iakg: the query engine cannot be kept running: {failed[0]}", file=sys.stderr)
        return 3
    return 0
