#!/usr/bin/env python3
"""The benchmark: one table of kg against the plain rdflib way, measured side by side in the same run.

    python bench/run.py            # scale 1 and 10 (under 15 minutes on 2 cores)
    python bench/run.py --quick    # scale 1 only (under 2 minutes)
    python bench/run.py --json bench/out/results.json

Every step runs in its own Python process, so its peak memory (RSS) is its own. Times are medians of
several runs; latencies are p50/p99 over many. The graphs are synthetic (bench/generate.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
SCENARIO = "pnet-post-resection-surveillance"
PATIENT = ROOT / "examples" / "index-patient.json"
BARE_RDFLIB = (
    "import sys, rdflib, iakg.resources as r; g = rdflib.Graph(); "
    "[g.parse(str(f)) for f in [r.ONTOLOGY_FILE, *r.data_files()]]; "
    "q = (r.QUERIES_DIR / 'recommendation.rq').read_text(); "
    "rows = list(g.query(q, initBindings={'scenario': rdflib.URIRef('https://w3id.org/iakg/id/" + SCENARIO + "')})); "
    "[print(row.procedureLabel, row.categoryLabel) for row in rows]")


# ---------------------------------------------------------------- steps (each runs in a child process)
def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return {"p50_ms": round(pick(0.5) * 1000, 3), "p99_ms": round(pick(0.99) * 1000, 3), "n": len(ordered)}


def _timed(fn, runs: int) -> list[float]:
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return samples


def step_load(data: str, how: str, cache: str | None = None) -> dict:
    start = time.perf_counter()
    if how == "rdflib":
        import rdflib

        import iakg.resources as r

        graph = rdflib.Graph()
        for f in [r.ONTOLOGY_FILE, *r.data_files(), Path(data)]:
            graph.parse(str(f))
        size = len(graph)
    else:
        import iakg

        graph = iakg.load([data], cache_dir=cache if how == "prepared" else None)
        size = len(graph.engine.store)
    return {"seconds": round(time.perf_counter() - start, 3), "triples": size, "rss_mb": _rss_mb()}


def step_shacl(data: str, how: str) -> dict:
    import iakg

    topic = ROOT / "tests" / "fixtures" / "second-topic.ttl"  # the "changed" file of a targeted run
    graph = iakg.load([data, topic] if how == "targeted" else [data])
    start = time.perf_counter()
    if how == "pyshacl":  # the plain way: pyshacl alone on the rdflib graph, SPARQL constraints included
        import pyshacl

        from iakg.validate.shacl import shapes_graph

        conforms = pyshacl.validate(graph.asserted_graph(), shacl_graph=shapes_graph(), inference="none",
                                    allow_warnings=True)[0]
    elif how == "targeted":
        conforms = graph.validate(changed=[topic]).conforms
    else:
        conforms = graph.validate().conforms
    return {"seconds": round(time.perf_counter() - start, 3), "conforms": conforms, "rss_mb": _rss_mb()}


def step_owlrl(data: str, how: str) -> dict:
    import iakg

    graph = iakg.load([data])
    start = time.perf_counter()
    if how == "owlrl":  # the plain way: owlrl's closure on an rdflib graph
        import owlrl

        g = graph.asserted_graph()
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
        added = len(g)
    else:
        from iakg.rdf.reasoning import materialise

        added = materialise(graph.engine.store)
    return {"seconds": round(time.perf_counter() - start, 3), "inferred": added, "rss_mb": _rss_mb()}


def _scenarios(data: str) -> list[str]:
    if data == "shipped":
        return ["https://w3id.org/iakg/id/" + SCENARIO]
    count = sum(1 for line in open(data, encoding="utf-8") if "ClinicalScenario>" in line and "#type>" in line)
    rng = random.Random(7)
    return [f"https://example.org/synthetic/scenario-{rng.randrange(count)}" for _ in range(200)]


def step_latency(data: str, where: str, runs: int) -> dict:
    import iakg
    from iakg import catalogue
    local = iakg.load([] if data == "shipped" else [data])  # "shipped": the graph as installed, nothing added
    endpoint = None
    if where == "endpoint":
        from iakg.serve.gateway import Endpoint

        endpoint = Endpoint(local)
        graph = iakg.KnowledgeGraph.remote(endpoint.url)
    else:
        graph = local
    scenarios = _scenarios(data)
    try:
        out = {
            "recommend": _percentiles(_timed(lambda i: graph.recommend(scenarios[i % len(scenarios)]), runs * 4)),
            "match": _percentiles(_timed(lambda i: graph.match(PATIENT), runs)),
            "related": _percentiles(_timed(lambda i: graph.related(scenarios[i % len(scenarios)]), runs)),
        }
        for name, query in catalogue.catalogue().items():
            bindings = query.example_bindings()
            out["query:" + name] = _percentiles(_timed(lambda i, q=query, b=bindings: graph.query(q.text, b), runs))
    finally:
        if endpoint is not None:
            endpoint.stop()
    return {"latency": out, "rss_mb": _rss_mb()}


def step_latency_rdflib(data: str, runs: int) -> dict:
    """The plain way: the same SPARQL (parameters bound with initBindings) on an rdflib in-memory graph."""
    import rdflib

    import iakg.resources as r
    from iakg import catalogue
    graph = rdflib.Graph()
    for f in [r.ONTOLOGY_FILE, *r.data_files(), Path(data)]:
        graph.parse(str(f))
    scenarios = _scenarios(data)
    recommendation = catalogue.get("recommendation").text
    out = {"recommend": _percentiles(_timed(lambda i: list(graph.query(recommendation, initBindings={
        "scenario": rdflib.URIRef(scenarios[i % len(scenarios)])})), runs))}
    for name, query in catalogue.catalogue().items():
        bindings = {k: rdflib.URIRef(v) if isinstance(v, str) and v.startswith("http") else rdflib.Literal(v)
                    for k, v in query.example_bindings().items()}
        try:
            run = lambda i, q=query, b=bindings: list(graph.query(q.text, initBindings=b))
            out["query:" + name] = _percentiles(_timed(run, max(1, runs // 5)))
        except Exception:  # e.g. GRAPH needs an rdflib Dataset: no like-for-like baseline
            pass
    return {"latency": out, "rss_mb": _rss_mb()}


def step_export(data: str, how: str) -> dict:
    out = {}
    if how == "rdflib":
        import rdflib

        import iakg.resources as r

        graph = rdflib.Graph()
        for f in [r.ONTOLOGY_FILE, *r.data_files(), Path(data)]:
            graph.parse(str(f))
        for fmt, name in (("nt", "nt"), ("ttl", "turtle"))[:2 if Path(data).stat().st_size < 50_000_000 else 1]:
            start = time.perf_counter()
            size = len(graph.serialize(format=name, encoding="utf-8"))
            out[fmt] = {"seconds": round(time.perf_counter() - start, 3), "bytes": size}
    else:
        import iakg
        from iakg.io.formats import FORMATS

        graph = iakg.load([data])
        start = time.perf_counter()
        release = graph.release()
        prepare = time.perf_counter() - start
        out["prepare (canonicalise, sort, describe)"] = {"seconds": round(prepare, 3), "bytes": len(release.nquads)}
        for fmt in FORMATS:
            start = time.perf_counter()
            size = len(release.serialize(fmt))
            out[fmt] = {"seconds": round(prepare + time.perf_counter() - start, 3), "bytes": size}
    return {"export": out, "rss_mb": _rss_mb()}


def step_load_test(data: str, clients: int, queries: int) -> dict:
    """``clients`` concurrent clients each sending ``queries`` recommendation queries to ``kg serve``."""
    import urllib.error
    import urllib.parse
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    import iakg
    from iakg import catalogue
    from iakg.rdf.binding import bind_values
    from iakg.serve.gateway import Endpoint

    text = catalogue.get("recommendation").text
    scenarios = _scenarios(data)
    with Endpoint(iakg.load([data])) as endpoint:
        def client(seed: int):
            samples, errors = [], 0
            for i in range(queries):
                body = urllib.parse.urlencode({"query": bind_values(text, {
                    "scenario": iakg.IRI(scenarios[(seed * 7919 + i) % len(scenarios)])})}).encode()
                start = time.perf_counter()
                try:
                    with urllib.request.urlopen(endpoint.url, data=body, timeout=30) as response:
                        response.read()
                except (urllib.error.URLError, OSError):
                    errors += 1
                samples.append(time.perf_counter() - start)
            return samples, errors

        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(client, range(clients)))
        elapsed = time.perf_counter() - start
    samples = [s for batch, _ in results for s in batch]
    return {"errors": sum(e for _, e in results), "queries": len(samples), "seconds": round(elapsed, 1),
            **_percentiles(samples), "rss_mb": _rss_mb()}


STEPS = {"load-test": step_load_test, "load": step_load, "shacl": step_shacl, "owlrl": step_owlrl,
         "latency": step_latency,
         "latency-rdflib": step_latency_rdflib, "export": step_export}


# ---------------------------------------------------------------- orchestration
def child(step: str, *args) -> dict:
    """Run one step in a fresh Python process; return its JSON answer."""
    done = subprocess.run([sys.executable, str(Path(__file__)), "--child", step, *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"step {step} {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def whole_process(argv: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, cwd=tempfile.gettempdir())
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def generate(scale: float) -> Path:
    sys.path.insert(0, str(HERE))
    from generate import write

    path = OUT / f"scale-{scale:g}.nt"
    if not path.exists():
        write(scale, path)
    return path


def run(quick: bool) -> dict:
    scales = [1] if quick else [1, 10]
    runs = 20 if quick else 50
    rows: list[dict] = []

    def row(what, scale, kg_value, base_value=None, budget=None, ok=None, unit="s", rss=None, base_rss=None):
        rows.append({"measure": what, "scale": scale, "kg": kg_value, "baseline": base_value, "unit": unit,
                     "budget": budget, "met": ok, "rss_mb": rss, "baseline_rss_mb": base_rss})
        print(f"  {what} @ {scale}: {kg_value} {unit}" + (f" (rdflib {base_value})" if base_value is not None else ""),
              file=sys.stderr, flush=True)

    kg_exe = str(Path(sys.executable).with_name("iakg"))
    cold = whole_process([kg_exe, "recommend", SCENARIO], 9)
    bare = whole_process([sys.executable, "-c", BARE_RDFLIB], 9)
    row("cold `kg recommend`, whole process (median of 9)", "shipped", round(cold, 3), round(bare, 3),
        "< 0.5 s and <= 1.5x baseline", cold < 0.5 and cold <= 1.5 * bare)

    local, remote = child("latency", "shipped", "local", runs * 4), child("latency", "shipped", "endpoint", runs * 4)
    for name, stats in local["latency"].items():
        r = remote["latency"][name]
        row(f"{name} in process p50/p99", "shipped", f"{stats['p50_ms']}/{stats['p99_ms']}",
            None, None, None, "ms", local["rss_mb"])
        row(f"{name} at the endpoint p50/p99", "shipped", f"{r['p50_ms']}/{r['p99_ms']}", None, None, None, "ms")

    for scale in scales:
        data = generate(scale)
        mine, base = child("load", data, "source"), child("load", data, "rdflib")
        row("load from source (N-Triples)", scale, mine["seconds"], base["seconds"], None, None, "s",
            mine["rss_mb"], base["rss_mb"])
        with tempfile.TemporaryDirectory() as cache:
            child("load", data, "prepared", cache)  # builds the prepared store
            prepared = child("load", data, "prepared", cache)
        row("load from the prepared store", scale, prepared["seconds"], base["seconds"],
            "< 5 s at scale 10" if scale == 10 else None, prepared["seconds"] < 5 if scale == 10 else None,
            "s", prepared["rss_mb"], base["rss_mb"])
        shacl = child("shacl", data, "kg")
        row("SHACL validation, full", scale, shacl["seconds"], None, "< 60 s at scale 1" if scale == 1 else None,
            shacl["seconds"] < 60 if scale == 1 else None, "s", shacl["rss_mb"])
        targeted = child("shacl", data, "targeted")
        row("SHACL validation, targeted (a new topic file on top)", scale, targeted["seconds"], None, None, None,
            "s", targeted["rss_mb"])
        if scale == 1:
            owl = child("owlrl", data, "kg")
            row("OWL RL closure (owlrl)", scale, owl["seconds"], None, None, None, "s", owl["rss_mb"])
        local = child("latency", data, "local", runs)
        remote = child("latency", data, "endpoint", runs)
        base = child("latency-rdflib", data, max(5, runs // 10)) if scale == 1 else {"latency": {}}
        for name, stats in local["latency"].items():
            budget = ok = None
            if scale == 10 and name == "recommend":
                budget, ok = "p50 < 5 ms, p99 < 20 ms", stats["p50_ms"] < 5 and stats["p99_ms"] < 20
            elif scale == 10 and name.startswith("query:"):
                budget, ok = "p50 < 50 ms", stats["p50_ms"] < 50
            b = base["latency"].get(name)
            row(f"{name} in process p50/p99", scale, f"{stats['p50_ms']}/{stats['p99_ms']}",
                f"{b['p50_ms']}/{b['p99_ms']}" if b else None, budget, ok, "ms", local["rss_mb"], base.get("rss_mb"))
            r = remote["latency"][name]
            row(f"{name} at the endpoint p50/p99", scale, f"{r['p50_ms']}/{r['p99_ms']}", None, None, None, "ms")
        if scale == 1:
            clients, queries = (8, 500) if quick else (8, 2000)
            load = child("load-test", data, clients, queries)
            row(f"endpoint load test: {clients} clients x {queries} queries, errors", scale, load["errors"], None,
                "0 errors", load["errors"] == 0, "errors", load["rss_mb"])
            row(f"endpoint load test: p50/p99 ({load['seconds']} s in all)", scale,
                f"{load['p50_ms']}/{load['p99_ms']}", None, None, None, "ms")
        if scale == 10 or quick:
            mine, base = child("export", data, "kg"), child("export", data, "rdflib")
            for fmt, stats in mine["export"].items():
                b = base["export"].get(fmt)
                row(f"export {fmt} ({stats['bytes'] // 1000} kB)", scale, stats["seconds"],
                    b["seconds"] if b else None, None, None, "s", mine["rss_mb"], base["rss_mb"])
        if scale == 10:
            peak = max(r["rss_mb"] or 0 for r in rows if r["scale"] == 10 and r["rss_mb"])
            row("peak RSS of any kg step", scale, peak, None, "< 2048 MB", peak < 2048, "MB")
    return {"date": time.strftime("%Y-%m-%d"), "machine": _machine(), "quick": quick, "rows": rows}


def _machine() -> str:
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(result: dict) -> str:
    lines = [f"Benchmark {result['date']} on {result['machine']}" + (" (quick)" if result["quick"] else ""), "",
             "| measure | scale | kg | rdflib baseline | unit | peak RSS MB (kg / rdflib) | budget | met |",
             "|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
        rss = " / ".join("" if v is None else str(v) for v in (r["rss_mb"], r["baseline_rss_mb"])).strip(" /")
        base = r["baseline"] if r["baseline"] is not None else "-"
        lines.append(f"| {r['measure']} | {r['scale']} | {r['kg']} | {base}"
                     f" | {r['unit']} | {rss} | {r['budget'] or ''} | {met} |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        step, args = sys.argv[2], sys.argv[3:]
        converted = [int(a) if a.isdigit() else a for a in args]
        print(json.dumps(STEPS[step](*converted)))
        return
    parser = argparse.ArgumentParser(description="Benchmark kg against plain rdflib.")
    parser.add_argument("--quick", action="store_true", help="scale 1 only (under 2 minutes)")
    parser.add_argument("--json", type=Path, default=OUT / "results.json", help="where to write the results")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = run(args.quick)
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(table(result))
    print(f"\n(total {result['total_seconds']} s; JSON in {args.json})")


if __name__ == "__main__":
    main()
