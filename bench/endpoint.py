"""`iakg serve` against `oxigraph serve-read-only` on the same store, side by side in one run (loopback only).

    python bench/endpoint.py [--data FILE.ttl] [--runs 300] [--clients 8] [--queries 200]

Measures: keep-alive single-client p50 (http.client, one connection), 8-client throughput, 64 clients x
``--queries`` error count, and start-to-first-answer of a built release (``iakg serve DIST``) against the
engine's own start on a prepared store. ``endpoint(data, ...)`` is the step bench/run.py calls.
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


def endpoint(data: str | None = None, runs: int = 300, clients: int = 8, queries: int = 200) -> dict:
    """The side-by-side numbers (a dict) for ``data`` (an extra file, or None for the shipped graph)."""
    import iakg
    from iakg.io.release import build
    from iakg.serve.engine import free_port, oxigraph_executable

    graph = iakg.load([data] if data else [])
    texts = _queries()
    out: dict = {}

    def printed_url(process):
        return process.stdout.readline().split()[2]

    with tempfile.TemporaryDirectory() as tmp:
        # the same store for both: the built release, loaded by the engine's own loader
        dist, store = Path(tmp) / "dist", Path(tmp) / "store"
        build(graph, dist)
        subprocess.run([oxigraph_executable(), "load", "--location", str(store), "--file", str(dist / "iakg.nq")],
                       check=True, capture_output=True)
        port = free_port()
        # each server in its own process (clients here must not share a GIL with the server they measure)
        contenders = {
            "iakg serve": ([sys.executable, "-m", "iakg", "serve", str(dist), "--port", "0"], printed_url),
            "oxigraph serve-read-only": ([oxigraph_executable(), "serve-read-only", "--location", str(store),
                                          "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                                         lambda process: f"http://127.0.0.1:{port}/query"),
        }
        for name, (command, url_of) in contenders.items():
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            try:
                url = url_of(process)
                for _ in range(1000):
                    try:
                        urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=1).read()
                        break
                    except OSError:
                        time.sleep(0.02)
                p50 = _p50_ms(url, texts, runs)
                throughput, _ = _load(url, texts, clients, queries)
                _, errors = _load(url, texts, 64, queries)
                out[name] = {"p50_ms": p50, f"{clients}_client_qps": throughput, f"64x{queries}_errors": errors}
            finally:
                process.terminate()
                process.wait(timeout=30)
        # start to first answer: `iakg serve` of the built release, and the engine alone on its prepared store
        for name, (command, url_of) in contenders.items():
            out[name]["start_s"] = _first_answer(command, url_of)
    a, b = out["iakg serve"], out["oxigraph serve-read-only"]
    out["ratios"] = {"p50 (target <= 1.3)": round(a["p50_ms"] / b["p50_ms"], 2),
                     "throughput (target >= 0.7)": round(a[f"{clients}_client_qps"] / b[f"{clients}_client_qps"], 2),
                     "start (target <= 2)": round(a["start_s"] / b["start_s"], 2)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="extra RDF file (default: the shipped graph)")
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(endpoint(args.data, args.runs, args.clients, args.queries), indent=2))


if __name__ == "__main__":
    main()
