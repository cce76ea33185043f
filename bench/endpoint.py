"""`iakg serve` against `oxigraph serve-read-only` on the same store, side by side in one run (loopback only).

    python bench/endpoint.py [--data FILE.ttl] [--runs 300] [--clients 8] [--queries 200] [--repeat 3]

Measures: keep-alive single-client p50 (http.client, one connection) of the catalogue's recommendation
query and of ``ASK {}`` (what the endpoint adds per request, the query costing nothing), 8-client
throughput, 64 clients x ``--queries`` error count, and start-to-first-answer of a built release (``iakg
serve DIST``) against the engine's own start on the release's prepared store. Each timed figure is the best
of ``--repeat`` runs (the machine may be shared); the 64-client run is done once. ``endpoint(data, ...)`` is
the step bench/run.py calls. The package is byte-compiled first, as an installed wheel is.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def _queries() -> list[str]:
    import iakg
    from iakg import catalogue
    from iakg.rdf.binding import bind_values

    text = catalogue.get("recommendation").text
    scenarios = [s.iri for s in iakg.load().scenarios()]
    return [bind_values(text, {"scenario": iakg.IRI(s)}) for s in scenarios]


def _client(url: str):
    parts = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30), parts.path


def _one(conn, path: str, query: str) -> int:
    conn.request("POST", path, body=urllib.parse.urlencode({"query": query}),
                 headers={"Content-Type": "application/x-www-form-urlencoded",
                          "Accept": "application/sparql-results+json"})
    response = conn.getresponse()
    response.read()
    return response.status


def _p50_ms(url: str, queries: list[str], runs: int) -> float:
    conn, path = _client(url)
    for q in queries:  # warm-up (and the query check's verdict table)
        _one(conn, path, q)
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        _one(conn, path, queries[i % len(queries)])
        samples.append(time.perf_counter() - start)
    conn.close()
    return round(statistics.median(samples) * 1000, 3)


def _load(url: str, queries: list[str], clients: int, per_client: int) -> tuple[float, int]:
    def run(seed: int) -> int:
        errors = 0
        conn, path = _client(url)
        for i in range(per_client):
            try:
                if _one(conn, path, queries[(seed + i) % len(queries)]) != 200:
                    errors += 1
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn, path = _client(url)
        conn.close()
        return errors

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        errors = sum(pool.map(run, range(clients)))
    return round(clients * per_client / (time.perf_counter() - start), 1), errors


def _first_answer(command: list[str], url_from_line, timeout: float = 120) -> float:
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = url_from_line(process)
        while time.perf_counter() - start < timeout:
            try:
                urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=5).read()
                return round(time.perf_counter() - start, 3)
            except OSError:
                time.sleep(0.01)
        raise RuntimeError("no answer")
    finally:
        process.terminate()
        process.wait(timeout=30)


def endpoint(data: str | None = None, runs: int = 300, clients: int = 8, queries: int = 200,
             repeat: int = 3) -> dict:
    """The side-by-side numbers (a dict) for ``data`` (an extra file, or None for the shipped graph)."""
    import compileall

    import iakg
    from iakg.io.release import build
    from iakg.serve.engine import free_port, oxigraph_executable

    compileall.compile_dir(str(Path(iakg.__file__).parent), quiet=1)
    graph = iakg.load([data] if data else [])
    texts = _queries()
    out: dict = {}

    def printed_url(process):
        return process.stdout.readline().split()[2]

    with tempfile.TemporaryDirectory() as tmp:
        # the same store for both: the prepared store `iakg build` writes into the release
        dist = Path(tmp) / "dist"
        build(graph, dist)
        store = dist / "store"
        port = free_port()
        # each server in its own process (clients here must not share a GIL with the server they measure)
        contenders = {
            "iakg serve": ([sys.executable, "-m", "iakg", "serve", str(dist), "--port", "0"], printed_url),
            "oxigraph serve-read-only": ([oxigraph_executable(), "serve-read-only", "--location", str(store),
                                          "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                                         lambda process: f"http://127.0.0.1:{port}/query"),
        }
        for name in contenders:
            out[name] = {"p50_ms": [], "ask_p50_ms": [], f"{clients}_client_qps": [], "start_s": []}
        running = {}
        try:
            for name, (command, url_of) in contenders.items():
                running[name] = process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                                           stderr=subprocess.DEVNULL, text=True)
                url = url_of(process)
                for _ in range(1000):
                    try:
                        urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=1).read()
                        break
                    except OSError:
                        time.sleep(0.02)
                running[name] = (process, url)
            for _ in range(repeat):  # the contenders alternate, so that a burst of load hits both alike
                for name, (_, url) in running.items():
                    row = out[name]
                    row["p50_ms"].append(_p50_ms(url, texts, runs))
                    row["ask_p50_ms"].append(_p50_ms(url, ["ASK {}"], runs))
                    row[f"{clients}_client_qps"].append(_load(url, texts, clients, queries)[0])
            for name, (_, url) in running.items():
                out[name][f"64x{queries}_errors"] = _load(url, texts, 64, queries)[1]
        finally:
            for value in running.values():
                process = value[0] if isinstance(value, tuple) else value
                process.terminate()
                process.wait(timeout=30)
        # start to first answer: `iakg serve` of the built release, and the engine alone on the same store
        for _ in range(repeat):
            for name, (command, url_of) in contenders.items():
                out[name]["start_s"].append(_first_answer(command, url_of))
    for row in (out["iakg serve"], out["oxigraph serve-read-only"]):
        row["runs"] = {key: row[key] for key in ("p50_ms", "ask_p50_ms", f"{clients}_client_qps", "start_s")}
        row.update({"p50_ms": min(row["p50_ms"]), "ask_p50_ms": min(row["ask_p50_ms"]),
                    f"{clients}_client_qps": max(row[f"{clients}_client_qps"]), "start_s": min(row["start_s"])})
    a, b = out["iakg serve"], out["oxigraph serve-read-only"]
    out["ratios"] = {"p50 (target <= 1.3)": round(a["p50_ms"] / b["p50_ms"], 2),
                     "ASK {} p50 (what the endpoint adds)": round(a["ask_p50_ms"] / b["ask_p50_ms"], 2),
                     "throughput (target >= 0.7)": round(a[f"{clients}_client_qps"] / b[f"{clients}_client_qps"], 2),
                     "start (target <= 2)": round(a["start_s"] / b["start_s"], 2)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="extra RDF file (default: the shipped graph)")
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timed figure; the best is kept")
    args = parser.parse_args()
    print(json.dumps(endpoint(args.data, args.runs, args.clients, args.queries, args.repeat), indent=2))


if __name__ == "__main__":
    main()
