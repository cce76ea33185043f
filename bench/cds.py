#!/usr/bin/env python3
"""Benchmark of the CDS Hooks service: hook latency, and concurrent EHR clients, over real HTTP.

The shipped graph plus a synthetic catalogue of ``scale`` times the ACR 2020 release (bench/generate.py) is
served by uvicorn on 127.0.0.1 with the ``cds`` route group only; the requests are the test fixtures
(tests/fixtures/cds), so the index patient is rated against the real pNET content inside a large graph.

    python bench/cds.py --scale 10            # prints one JSON object
    from cds import bench_cds; bench_cds(10)  # what bench/run.py calls

Budgets (issue 16): hook latency p50 < 50 ms and p99 < 200 ms at scale 10; 8 clients x 500 calls, 0 errors.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
FIXTURES = ROOT / "tests" / "fixtures" / "cds"
REQUESTS = ["index-ct-ap", "index-fdg-pet", "contrast-allergy", "suspected-recurrence", "missing-facts",
            "unmapped-order"]


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return {"p50_ms": round(pick(0.5) * 1000, 2), "p99_ms": round(pick(0.99) * 1000, 2), "n": len(ordered)}


def _graph(scale: float):
    import iakg

    if scale <= 0:
        return iakg.load()
    sys.path.insert(0, str(HERE))
    from generate import write

    OUT.mkdir(exist_ok=True)
    path = OUT / f"scale-{scale:g}.nt"
    if not path.exists():
        write(scale, path)
    return iakg.load([path], cache_dir=OUT / "cache")


def _serve(graph):
    """Start uvicorn with the cds route group on a free port; return (server, thread, base URL)."""
    import uvicorn
    from starlette.applications import Starlette

    from iakg.serve.routes import ROUTES, ServeContext, ServeOptions

    options = ServeOptions(cds=True, cds_mapping=FIXTURES / "site-mapping.json",
                           cds_feedback_log=OUT / "cds-feedback.jsonl")
    ctx = ServeContext(graph, "http://127.0.0.1", options)
    app = Starlette(routes=ROUTES.get("cds")(ctx))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{port}"


def bench_cds(scale: float = 10, clients: int = 8, calls: int = 500, latency_runs: int = 300) -> dict:
    """Measure the service at ``scale``; return the rows as a dict (numbers and whether the budgets hold)."""
    import httpx

    start = time.perf_counter()
    graph = _graph(scale)
    loaded = time.perf_counter() - start
    requests = []
    for name in REQUESTS:
        body = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
        service = "iakg-imaging-order-select" if body["hook"] == "order-select" else "iakg-imaging-order-sign"
        requests.append((f"/cds-services/{service}", body))
    server, thread, base = _serve(graph)
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            for url, body in requests:  # warm the caches, as a running service is
                http.post(url, json=body).raise_for_status()
            samples, index = [], []
            for i in range(latency_runs):
                url, body = requests[i % len(requests)]
                t = time.perf_counter()
                http.post(url, json=body).raise_for_status()
                samples.append(time.perf_counter() - t)
                if i % len(requests) == 0:
                    index.append(samples[-1])

        def client(k: int) -> tuple[int, list[float]]:
            errors, times = 0, []
            with httpx.Client(base_url=base, timeout=30) as http:
                for i in range(calls):
                    url, body = requests[(i + k) % len(requests)]
                    t = time.perf_counter()
                    try:
                        answer = http.post(url, json=body)
                        if answer.status_code != 200 or "cards" not in answer.json():
                            errors += 1
                    except httpx.HTTPError:
                        errors += 1
                    times.append(time.perf_counter() - t)
            return errors, times

        t = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(client, range(clients)))
        elapsed = time.perf_counter() - t
    finally:
        server.should_exit = True
        thread.join(10)
    latency = _percentiles(samples)
    errors = sum(e for e, _ in results)
    concurrent = _percentiles([s for _, batch in results for s in batch])
    return {
        "scale": scale, "load_s": round(loaded, 1),
        "hook_latency": latency, "index_patient_latency": _percentiles(index),
        "latency_met": latency["p50_ms"] < 50 and latency["p99_ms"] < 200,
        "concurrent": {"clients": clients, "calls_each": calls, "errors": errors, "seconds": round(elapsed, 1),
                       "calls_per_s": round(clients * calls / elapsed, 1), **concurrent},
        "concurrent_met": errors == 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=10, help="synthetic catalogue size (0: shipped graph only)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--runs", type=int, default=300, help="sequential calls for the latency row")
    args = parser.parse_args()
    print(json.dumps(bench_cds(args.scale, args.clients, args.calls, args.runs), indent=2))


if __name__ == "__main__":
    main()
