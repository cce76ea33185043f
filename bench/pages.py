"""Benchmark rows of the HTML pages: page p50 beside the same resource as Turtle, and the static site build.

    python bench/pages.py --scale 10            # page latency at scale 10 (and the site build at scale 1)

``rows(page_scale, site_scale)`` is what bench/run.py calls; each row is a dict in bench/run.py's shape
(measure, scale, kg, baseline, unit, budget, met). The pages are served by the ``pages`` route group under
uvicorn in a process of their own; the client asks over one keep-alive HTTP connection, as a browser does.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def _data(scale: float) -> Path:
    """The synthetic graph with its IRIs moved under ``https://w3id.org/iakg/id/synthetic/``, so that its
    resources have pages (pages are served for the graph's own namespace; example.org IRIs link out)."""
    sys.path.insert(0, str(HERE))
    from generate import write

    path, rebased = OUT / f"scale-{scale:g}.nt", OUT / f"scale-{scale:g}-pages.nt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write(scale, path)
    if not rebased.exists():
        with path.open("rb") as src, rebased.open("wb") as dst:
            for line in src:
                dst.write(line.replace(b"<https://example.org/synthetic/", b"<https://w3id.org/iakg/id/synthetic/"))
    return rebased


def _row(measure, scale, kg, baseline=None, unit="ms", budget=None, met=None) -> dict:
    return {"measure": measure, "scale": scale, "kg": kg, "baseline": baseline, "unit": unit, "budget": budget,
            "met": met, "rss_mb": None, "baseline_rss_mb": None}


def _p50(fn, runs: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``fn()`` (CPU time shows the cost on a machine others share)."""
    fn()  # warm
    wall, cpu = [], []
    for _ in range(runs):
        start, used = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    return round(statistics.median(wall), 2), round(statistics.median(cpu), 2)


def _get(conn, path: str, accept: str) -> None:
    conn.request("GET", path, headers={"accept": accept})
    response = conn.getresponse()
    response.read()
    assert response.status == 200, (path, response.status)


def serve_pages(data: Path) -> None:
    """The server side of :func:`page_latency`, run in its own process: the ``pages`` route group of the
    graph at ``data`` under uvicorn on 127.0.0.1 (a free port, printed on stdout), until stdin closes."""
    import socket
    import threading

    import uvicorn
    from starlette.applications import Starlette

    import iakg
    from iakg.serve.routes import ROUTES, ServeContext

    graph = iakg.load([data], cache_dir=OUT / "cache")
    app = Starlette(routes=ROUTES.get("pages")(ServeContext(graph, "http://bench")))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    print(sock.getsockname()[1], flush=True)
    sys.stdin.read()  # the bench closes our stdin when it is done
    server.should_exit = True
    thread.join(5)


def page_latency(scale: float, runs: int = 50) -> list[dict]:
    """p50 of scenario pages and procedure pages (HTML) beside the same resources as Turtle, over HTTP from
    another process with one keep-alive connection, as a browser asks; the requests cycle over 20 resources
    of each kind (not one page asked again and again)."""
    import http.client
    import subprocess

    import iakg

    data = _data(scale)
    graph = iakg.load([data], cache_dir=OUT / "cache")  # builds the prepared store before the server starts
    resources = {
        kind: [r["x"] for r in graph.query(
            "PREFIX iakg: <https://w3id.org/iakg/ontology#> SELECT DISTINCT ?x WHERE { ?r iakg:" + predicate
            + " ?x } LIMIT 20").rows()]
        for kind, predicate in (("scenario", "ratedScenario"), ("procedure", "ratedProcedure"))}
    del graph
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(data)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        rows = []
        for kind, iris in resources.items():
            paths = itertools.cycle(["/" + iri.split("https://w3id.org/iakg/", 1)[1] for iri in iris])
            for _ in iris:  # warm: every page once
                _get(conn, next(paths), "text/html")
            html, _ = _p50(lambda p=paths: _get(conn, next(p), "text/html"), runs)
            turtle, _ = _p50(lambda p=paths: _get(conn, next(p), "text/turtle"), runs)
            rows.append(_row(f"{kind} page p50, HTML over HTTP keep-alive (baseline: the same resources as "
                             "Turtle)", scale, html, turtle, "ms", "HTML p50 < 20 ms at scale 10",
                             html < 20 if scale == 10 else None))
        conn.close()
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(30)
    return rows


def site_build(scale: float) -> dict:
    """Seconds to write the static site of the graph at ``scale`` (pages only; the release is not timed)."""
    import iakg
    from iakg.present.html.site import write_site

    graph = iakg.load([_data(scale)], cache_dir=OUT / "cache")
    with tempfile.TemporaryDirectory() as folder:
        start, cpu = time.perf_counter(), time.process_time()
        pages = write_site(graph, Path(folder))
        seconds, cpu = round(time.perf_counter() - start, 1), round(time.process_time() - cpu, 1)
    return _row(f"static site build ({pages} pages; {cpu} s of CPU)", scale, seconds, None, "s", "< 60 s",
                seconds < 60)


def rows(page_scale: float = 10, site_scale: float = 1, runs: int = 50) -> list[dict]:
    return [*page_latency(page_scale, runs), site_build(site_scale)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10, help="scale of the page-latency rows (default 10)")
    parser.add_argument("--site-scale", type=float, default=1, help="scale of the static site build (default 1)")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # the server process of page_latency
    args = parser.parse_args()
    if args.serve:
        serve_pages(args.serve)
        return
    for row in rows(args.scale, args.site_scale, args.runs):
        print(json.dumps(row))


if __name__ == "__main__":
    main()
