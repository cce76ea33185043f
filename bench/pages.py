"""Benchmark rows of the HTML pages: page p50 beside the same resource as Turtle, and the static site build.

    python bench/pages.py --scale 10            # page latency at scale 10 (and the site build at scale 1)

``rows(page_scale, site_scale)`` is what bench/run.py calls; each row is a dict in bench/run.py's shape
(measure, scale, kg, baseline, unit, budget, met). Requests go through the ``pages`` route group in process
(Starlette's TestClient), so the numbers are rendering plus routing, without a network hop.
"""

from __future__ import annotations

import argparse
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


def page_latency(scale: float, runs: int = 50) -> list[dict]:
    """p50 of a scenario page and a procedure page (HTML) beside the same resource as Turtle."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    import iakg
    from iakg.serve.routes import ROUTES, ServeContext

    graph = iakg.load([_data(scale)], cache_dir=OUT / "cache")
    client = TestClient(Starlette(routes=ROUTES.get("pages")(ServeContext(graph, "http://bench"))))
    scenario = graph.query("PREFIX iakg: <https://w3id.org/iakg/ontology#> SELECT ?s WHERE { "
                           "?r iakg:ratedScenario ?s } LIMIT 1").rows()[0]["s"]
    procedure = graph.query("PREFIX iakg: <https://w3id.org/iakg/ontology#> SELECT ?p WHERE { "
                            "?r iakg:ratedProcedure ?p } LIMIT 1").rows()[0]["p"]
    rows = []
    for kind, iri in (("scenario", scenario), ("procedure", procedure)):
        path = "/" + iri.split("https://w3id.org/iakg/", 1)[1]

        def get(accept: str, path: str = path) -> None:
            response = client.get(path, headers={"accept": accept})
            assert response.status_code == 200, (path, response.status_code)

        html, html_cpu = _p50(lambda: get("text/html"), runs)
        turtle, turtle_cpu = _p50(lambda: get("text/turtle"), runs)
        rows.append(_row(f"{kind} page p50, HTML (baseline: the same resource as Turtle; CPU p50 {html_cpu} "
                         f"vs {turtle_cpu} ms)", scale, html, turtle, "ms", "HTML p50 < 20 ms", html < 20))
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
    args = parser.parse_args()
    for row in rows(args.scale, args.site_scale, args.runs):
        print(json.dumps(row))


if __name__ == "__main__":
    main()
