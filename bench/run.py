#!/usr/bin/env python3
"""The benchmark: iakg against the bare engine it wraps (and rdflib, pyshacl, owlrl), side by side.

    python bench/run.py            # scales 0.1, 1, 10 and 30 (under 15 minutes on 2 cores)
    python bench/run.py --quick    # scales 0.1 and 1
    python bench/run.py --json bench/out/results.json --plot docs/performance.png

Contenders, measured in the same run and interleaved (A, B, A, B, ...):

- ``iakg``: the project (API in process, or the ``iakg`` command as a whole process);
- ``engine``: the bare engine: the same ``.rq`` text with the same VALUES on a pyoxigraph store holding the
  same files (the queries iakg sends are recorded and replayed), results read as Python terms;
- ``rdflib``: the plain-Python way (at the scales where it finishes in reasonable time);
- ``pyshacl``: pyshacl >= 0.40 alone on the Oxigraph store (validation);
- at the endpoint, ``engine`` is ``oxigraph serve-read-only`` on the same built release (bench/endpoint.py);
- ``owlrl``: owlrl on an rdflib graph (reasoning).

Each row prints every contender's value and its ratio to the best one. Every step runs in its own Python
process, so its peak memory (RSS) is its own. Times are medians; latencies p50/p99 over many calls. The
graphs are synthetic (bench/generate.py): scale 1 is the size of the ACR catalogue's 2020 release.
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
GRAPHS = "https://w3id.org/iakg/graph/"

#: the bare engine, cold: load the same files into pyoxigraph and run recommendation.rq with the same VALUES
BARE_ENGINE = """
import pyoxigraph as ox, sys
from pathlib import Path
root = Path(sys.argv[1])
store = ox.Store()
files = [(root / "ontology" / "iakg.ttl", "ontology")] + [(p, "data") for p in sorted((root / "data").glob("*.ttl"))]
for path, graph in files:
    store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(sys.argv[2] + graph))
query = (root / "queries" / "recommendation.rq").read_text()
query += "\\nVALUES ?scenario { <https://w3id.org/iakg/id/" + sys.argv[3] + "> }"
for row in store.query(query, use_default_graph_as_union=True):
    print(row["procedureLabel"].value, row["categoryLabel"].value)
"""
BARE_RDFLIB = """
import rdflib, sys
from pathlib import Path
root = Path(sys.argv[1])
graph = rdflib.Graph()
for path in [root / "ontology" / "iakg.ttl", *sorted((root / "data").glob("*.ttl"))]:
    graph.parse(str(path))
query = (root / "queries" / "recommendation.rq").read_text()
scenario = rdflib.URIRef("https://w3id.org/iakg/id/" + sys.argv[3])
for row in graph.query(query, initBindings={"scenario": scenario}):
    print(row.procedureLabel, row.categoryLabel)
"""


# ---------------------------------------------------------------- helpers of the child steps
def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return {"p50_ms": round(pick(0.5) * 1000, 3), "p99_ms": round(pick(0.99) * 1000, 3), "n": len(ordered)}


def _files(data: str) -> list[Path]:
    import iakg.resources as r

    return [r.ONTOLOGY_FILE, *r.data_files(), *([] if data == "shipped" else [Path(data)])]


def _engine_store(data: str):
    """The bare engine's store: the same files in the same named graphs, by pyoxigraph alone."""
    import pyoxigraph as ox

    import iakg.resources as r

    store = ox.Store()
    for path in _files(data):
        graph = "ontology" if path == r.ONTOLOGY_FILE else "data" if path.parent == r.DATA_DIR else "extra"
        store.load(path=str(path), format=ox.RdfFormat.from_extension(path.suffix[1:]),
                   to_graph=ox.NamedNode(GRAPHS + graph))
    return store


def _scenarios(data: str) -> list[str]:
    if data == "shipped":
        return ["https://w3id.org/iakg/id/" + SCENARIO]
    count = sum(1 for line in open(data, encoding="utf-8") if "ClinicalScenario>" in line and "#type>" in line)
    rng = random.Random(7)
    return [f"https://example.org/synthetic/scenario-{rng.randrange(count)}" for _ in range(200)]


# ---------------------------------------------------------------- steps (each runs in a child process)
def step_load(data: str, how: str, cache: str = "") -> dict:
    start = time.perf_counter()
    if how == "rdflib":
        import rdflib

        graph = rdflib.Graph()
        for f in _files(data):
            graph.parse(str(f))
        size = len(graph)
    elif how == "engine":
        size = len(_engine_store(data))
    elif how == "engine-reopen":  # the bare engine reopening the same on-disk store
        import pyoxigraph as ox

        store = ox.Store.read_only(next(p for p in Path(cache).iterdir() if (p / "READY").exists()).as_posix())
        size = len(store)
    else:
        import iakg

        graph = iakg.load([] if data == "shipped" else [data], cache_dir=cache or None)
        size = len(graph.engine.store)
    return {"seconds": round(time.perf_counter() - start, 3), "triples": size, "rss_mb": _rss_mb()}


def step_latency(data: str, runs: int) -> dict:
    """iakg's answers and, interleaved call by call, the same query texts replayed on the bare engine."""
    import pyoxigraph as ox

    import iakg
    from iakg import catalogue
    from iakg.rdf.binding import bind_values

    graph = iakg.load([] if data == "shipped" else [data])
    store = graph.engine.store  # the same engine and data: only iakg's own layer differs
    sent: list[str] = []
    execute = graph.engine.execute

    def recording(query, bindings=None):
        sent.append(bind_values(query, bindings))
        return execute(query, bindings)

    graph.engine.execute = recording  # type: ignore[method-assign]

    def bare(texts: list[str]) -> None:
        for text in texts:
            answer = store.query(text, use_default_graph_as_union=True)
            if isinstance(answer, ox.QuerySolutions):
                names = [v.value for v in answer.variables]
                for row in answer:
                    [row[n] for n in names]

    scenarios = _scenarios(data)
    count = graph.query("SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/iakg/ontology#ClinicalScenario> }"
                        ).rows()[0]["n"]
    pages = list(range(0, count, 50))
    random.Random(11).shuffle(pages)  # pages from all over the listing, not only its head
    cases = {
        "recommend": lambda i: graph.recommend(scenarios[i % len(scenarios)]),
        "match": lambda i: graph.match(PATIENT),
        # as users get a page: the API (what `iakg scenarios --offset K` prints), through the listing index
        "listing page (50 scenarios)": lambda i: graph.scenarios(limit=50, offset=pages[i % len(pages)]),
        "listing, every scenario": lambda i: graph.run_result("scenarios"),
    }
    if data == "shipped":
        for name, query in catalogue.catalogue().items():
            cases["query:" + name] = lambda i, q=query, b=query.example_bindings(): graph.query(q.text, b)
    out = {}
    for name, fn in cases.items():
        n = max(3, runs // 10) if name == "listing, every scenario" else runs
        mine, theirs = [], []
        for i in range(n):
            sent.clear()
            start = time.perf_counter()
            fn(i)
            mine.append(time.perf_counter() - start)
            texts = list(sent)
            start = time.perf_counter()
            bare(texts)
            theirs.append(time.perf_counter() - start)
        out[name] = {"iakg": _percentiles(mine), "engine": _percentiles(theirs)}
    return {"latency": out, "rss_mb": _rss_mb()}


def step_shacl(data: str, how: str) -> dict:
    import iakg

    graph = iakg.load([data])
    start = time.perf_counter()
    if how == "pyshacl":  # pyshacl >= 0.40 alone, on an Oxigraph store of the asserted graphs
        import pyoxigraph as ox
        import pyshacl

        from iakg.validate.shacl import shapes_graph

        store = ox.Store()
        for name in ("ontology", "data", "extra"):
            text = graph.engine.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(GRAPHS + name))
            store.load(text or b"", format=ox.RdfFormat.N_TRIPLES)
        conforms = pyshacl.validate(store, shacl_graph=shapes_graph(), inference="none", allow_warnings=True)[0]
    else:
        conforms = graph.validate().conforms
    return {"seconds": round(time.perf_counter() - start, 3), "conforms": conforms, "rss_mb": _rss_mb()}


def step_owlrl(data: str, how: str) -> dict:
    import iakg

    graph = iakg.load([data])
    start = time.perf_counter()
    if how == "owlrl":  # owlrl's closure on an rdflib graph
        import owlrl

        from iakg.rdf.rdflib_bridge import asserted_graph

        g = asserted_graph(graph.store())
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
        added = len(g)
    else:
        from iakg.rdf.reasoning import materialise

        added = materialise(graph.engine.store)
    return {"seconds": round(time.perf_counter() - start, 3), "inferred": added, "rss_mb": _rss_mb()}


def step_export(data: str, how: str) -> dict:
    """N-Triples of the whole dataset: iakg's canonical sorted release, the engine's own dump, rdflib's."""
    if how == "rdflib":
        import rdflib

        graph = rdflib.Graph()
        for f in _files(data):
            graph.parse(str(f))
        start = time.perf_counter()
        size = len(graph.serialize(format="nt", encoding="utf-8"))
    elif how == "engine":
        import pyoxigraph as ox

        store = _engine_store(data)
        start = time.perf_counter()
        size = len(store.dump(format=ox.RdfFormat.N_QUADS) or b"")
    else:
        import iakg

        graph = iakg.load([data])
        start = time.perf_counter()
        size = len(graph.export("nt"))
    return {"seconds": round(time.perf_counter() - start, 3), "bytes": size, "rss_mb": _rss_mb()}


def step_endpoints(runs: int, clients: int, queries: int) -> dict:
    """bench/endpoint.py's side-by-side run: `iakg serve` and `oxigraph serve-read-only` on the same store."""
    sys.path.insert(0, str(HERE))
    from endpoint import endpoint

    return endpoint(None, runs, clients, queries)


def step_pages(page_scale: str, site_scale: str) -> dict:
    """bench/pages.py's rows: scenario and procedure pages over HTTP beside the same resources as Turtle, and
    the static site build."""
    sys.path.insert(0, str(HERE))
    from pages import rows

    return {"rows": rows(float(page_scale), float(site_scale))}


STEPS = {"load": step_load, "latency": step_latency, "endpoints": step_endpoints, "shacl": step_shacl,
         "owlrl": step_owlrl, "export": step_export, "pages": step_pages}


# ---------------------------------------------------------------- orchestration
def child(step: str, *args) -> dict:
    """Run one step in a fresh Python process; return its JSON answer."""
    done = subprocess.run([sys.executable, str(Path(__file__)), "--child", step, *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"step {step} {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def interleaved(contenders: dict[str, tuple], repeat: int) -> dict[str, list[dict]]:
    """Each contender's child step ``repeat`` times, in turns (A, B, C, A, B, C, ...)."""
    results: dict[str, list[dict]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, (step, *args) in contenders.items():
            results[name].append(child(step, *args))
    return results


def whole_processes(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True, cwd=tempfile.gettempdir())
            samples[name].append(time.perf_counter() - start)
    return {name: round(statistics.median(s), 4) for name, s in samples.items()}


def generate(scale: float) -> Path:
    sys.path.insert(0, str(HERE))
    from generate import write

    path = OUT / f"scale-{scale:g}.nt"
    if not path.exists():
        write(scale, path)
    return path


class Table:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, measure: str, scale, values: dict[str, float | None], unit: str = "s", budget: str | None = None,
            met: bool | None = None, rss: dict[str, float] | None = None, note: str | None = None) -> None:
        values = {k: v for k, v in values.items() if v is not None}
        best = min(values.values()) if values else None
        ratios = {k: round(v / best, 2) if best else None for k, v in values.items()}
        self.rows.append({"measure": measure, "scale": scale, "unit": unit, "values": values, "ratios": ratios,
                          "budget": budget, "met": met, "rss_mb": rss or {}, "note": note})
        shown = ", ".join(f"{k} {v} {unit} ({ratios[k]}x)" for k, v in values.items())
        flag = "" if met is None else (" [budget met]" if met else " [budget NOT met]")
        print(f"  {measure} @ {scale}: {shown}{flag}", file=sys.stderr, flush=True)


def cold_start(t: Table, runs: int) -> dict[str, float]:
    """The cold row: ``iakg recommend`` as a whole process against the bare engine and rdflib, interleaved."""
    kg_exe = str(Path(sys.executable).with_name("iakg"))
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f1, \
            tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f2:
        f1.write(BARE_ENGINE)
        f2.write(BARE_RDFLIB)
    # an installed wheel has its bytecode compiled by pip; a checkout under PYTHONDONTWRITEBYTECODE would
    # recompile every module in every cold process (~45 ms here), so the cold rows compile it once first
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "iakg")], check=True, capture_output=True)
    try:
        cold = whole_processes({"iakg": [kg_exe, "recommend", SCENARIO],
                                "engine": [sys.executable, f1.name, str(ROOT), GRAPHS, SCENARIO],
                                "rdflib": [sys.executable, f2.name, str(ROOT), GRAPHS, SCENARIO]}, runs)
    finally:
        os.unlink(f1.name)
        os.unlink(f2.name)
    t.add("cold `iakg recommend`, whole process", "shipped", cold, "s", "<= 3x engine",
          cold["iakg"] <= 3 * cold["engine"])
    return cold


def run(quick: bool, scales: list[float] | None = None, shacl_30: bool = False) -> dict:
    scales = scales or ([0.1, 1] if quick else [0.1, 1, 10, 30])
    runs = 20 if quick else 40
    t = Table()
    cold_start(t, 5 if quick else 11)

    shipped = child("latency", "shipped", runs * 4)
    for name, pair in shipped["latency"].items():
        t.add(f"{name} in process, p50", "shipped", {k: v["p50_ms"] for k, v in pair.items()}, "ms")
    sides = child("endpoints", runs * 4, 8, 100 if quick else 200)  # bench/endpoint.py: both servers, same store
    iakg_side, engine_side = sides["iakg serve"], sides["oxigraph serve-read-only"]
    t.add("recommend at the endpoint, keep-alive p50", "shipped",
          {"iakg": iakg_side["p50_ms"], "engine": engine_side["p50_ms"]}, "ms", "<= 1.3x engine",
          iakg_side["p50_ms"] <= 1.3 * engine_side["p50_ms"],
          note="engine: `oxigraph serve-read-only` on the same built release")
    qps = "8_client_qps"
    t.add("endpoint, seconds per 1,000 answers with 8 clients", "shipped",
          {"iakg": round(1000 / iakg_side[qps], 3), "engine": round(1000 / engine_side[qps], 3)}, "s",
          ">= 0.7x the engine's throughput", iakg_side[qps] >= 0.7 * engine_side[qps],
          note=f"throughput: iakg {iakg_side[qps]} answers/s, engine {engine_side[qps]} answers/s")
    t.add("endpoint start to first answer", "shipped",
          {"iakg": iakg_side["start_s"], "engine": engine_side["start_s"]}, "s", "<= 2x engine",
          iakg_side["start_s"] <= 2 * engine_side["start_s"])

    for scale in scales:
        data = generate(scale)
        big = scale >= 10
        load = interleaved({"iakg": ("load", data, "iakg"), "engine": ("load", data, "engine"),
                            **({} if big else {"rdflib": ("load", data, "rdflib")})}, 1 if big else 3)
        t.add("load from source (N-Triples)", scale, {k: statistics.median(r["seconds"] for r in v)
                                                      for k, v in load.items()}, "s",
              rss={k: max(r["rss_mb"] for r in v) for k, v in load.items()},
              note=f"{load['iakg'][0]['triples']} triples")
        with tempfile.TemporaryDirectory() as cache:
            child("load", data, "iakg", cache)  # builds the prepared store
            reopen = interleaved({"iakg": ("load", data, "iakg", cache),
                                  "engine": ("load", data, "engine-reopen", cache)}, 1 if big else 3)
        values = {k: statistics.median(r["seconds"] for r in v) for k, v in reopen.items()}
        t.add("reopen the prepared on-disk store", scale, values, "s",
              "< 5 s at scale 10" if scale == 10 else None, values["iakg"] < 5 if scale == 10 else None,
              rss={k: max(r["rss_mb"] for r in v) for k, v in reopen.items()})

        latency = child("latency", data, runs // 4 if big else runs)
        for name, pair in latency["latency"].items():
            p50 = {k: v["p50_ms"] for k, v in pair.items()}
            budget = met = None
            if name.startswith("listing page") and scale == 10:
                budget, met = "p50 < 20 ms at scale 10", p50["iakg"] < 20
            elif name.startswith("listing, every") and scale == 10:
                budget, met = "<= 1.2x engine", p50["iakg"] <= 1.2 * p50["engine"]
            elif name == "recommend" and scale == 10:
                budget, met = "p50 < 5 ms", p50["iakg"] < 5
            t.add(f"{name} in process, p50", scale, p50, "ms", budget, met, rss={"iakg": latency["rss_mb"]})

        if scale <= 10 or shacl_30:  # full SHACL in the engine: ~26 s at scale 10 here, scale 30 on demand
            contenders = {"iakg": ("shacl", data, "iakg")}
            if scale <= 1:
                contenders["pyshacl"] = ("shacl", data, "pyshacl")
            shacl = interleaved(contenders, 1)
            values = {k: v[0]["seconds"] for k, v in shacl.items()}
            rss = {k: v[0]["rss_mb"] for k, v in shacl.items()}
            t.add("SHACL validation, full", scale, values, "s",
                  "< 60 s and < 1 GB at scale 10" if scale == 10 else None,
                  values["iakg"] < 60 and rss["iakg"] < 1024 if scale == 10 else None, rss=rss)
        if scale <= 10:
            contenders = {"iakg": ("owlrl", data, "iakg")}
            if scale <= 0.1:
                contenders["owlrl"] = ("owlrl", data, "owlrl")
            owl = interleaved(contenders, 1)
            values = {k: v[0]["seconds"] for k, v in owl.items()}
            t.add("OWL RL closure", scale, values, "s", "< 5 s at scale 1" if scale == 1 else None,
                  values["iakg"] < 5 if scale == 1 else None, rss={k: v[0]["rss_mb"] for k, v in owl.items()},
                  note=f"{owl['iakg'][0]['inferred']} inferred triples")

        contenders = {"iakg": ("export", data, "iakg"), "engine": ("export", data, "engine")}
        if scale <= 1:
            contenders["rdflib"] = ("export", data, "rdflib")
        export = interleaved(contenders, 1)
        values = {k: v[0]["seconds"] for k, v in export.items()}
        met = values["iakg"] <= 3 * values["engine"] and values["iakg"] < values.get("rdflib", float("inf"))
        t.add("export N-Triples (iakg: canonical, sorted; engine: its dump)", scale, values, "s",
              "<= 3x engine and faster than rdflib", met, rss={k: v[0]["rss_mb"] for k, v in export.items()})
    page_scale = 10 if 10 in scales else max(scales)
    site_scale = 1 if 1 in scales else min(scales)
    for row in child("pages", str(page_scale), str(site_scale))["rows"]:
        values = {"iakg": row["kg"]}
        if row["baseline"] is not None:
            values["Turtle of the same resources"] = row["baseline"]
        t.add(row["measure"], row["scale"], values, row["unit"], row["budget"], row["met"])
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": _machine(), "quick": quick,
            "load_average": os.getloadavg(), "rows": t.rows}


def _machine() -> str:
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"pyoxigraph {_version('pyoxigraph')}, pyshacl {_version('pyshacl')}")


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def table(result: dict) -> str:
    lines = [f"Benchmark {result['date']} on {result['machine']}" + (" (quick)" if result["quick"] else "")
             + f"; load average at the end {', '.join(f'{x:.1f}' for x in result['load_average'])}", "",
             "| measure | scale | unit | iakg | engine | other | peak RSS MB | budget | met |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        cell = lambda k, r=r: f"{r['values'][k]} ({r['ratios'][k]}x)" if k in r["values"] else "-"
        others = "; ".join(f"{k} {cell(k)}" for k in r["values"] if k not in ("iakg", "engine")) or "-"
        met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
        rss = " / ".join(f"{k} {v}" for k, v in r["rss_mb"].items())
        lines.append(f"| {r['measure']} | {r['scale']} | {r['unit']} | {cell('iakg')} | {cell('engine')} | {others}"
                     f" | {rss} | {r['budget'] or ''} | {met} |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        step, args = sys.argv[2], sys.argv[3:]
        converted = [int(a) if a.isdigit() else a for a in args]
        print(json.dumps(STEPS[step](*converted)))
        return
    parser = argparse.ArgumentParser(description="Benchmark iakg against the bare engine, rdflib, pyshacl, owlrl.")
    parser.add_argument("--quick", action="store_true", help="scales 0.1 and 1 only (a few minutes)")
    parser.add_argument("--json", type=Path, default=OUT / "results.json", help="where to write the results")
    parser.add_argument("--scales", type=lambda text: [float(x) for x in text.split(",")],
                        help="comma-separated scales instead of the default ones, e.g. 10,30")
    parser.add_argument("--shacl-30", action="store_true",
                        help="also validate at scale 30 (scales up to 10 always are)")
    parser.add_argument("--plot", type=Path, help="draw the cost-versus-size plot here (PNG; needs matplotlib)")
    parser.add_argument("--cold", type=int, metavar="RUNS",
                        help="measure only the cold row, RUNS interleaved runs of each contender (the full run: 11)")
    args = parser.parse_args()
    if args.cold:
        cold_start(Table(), args.cold)  # prints its row
        return
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = run(args.quick, args.scales, args.shacl_30)
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(table(result))
    if args.plot:
        sys.path.insert(0, str(HERE))
        from summary import plot

        plot(result, args.plot)
    print(f"\n(total {result['total_seconds']} s; JSON in {args.json})")


if __name__ == "__main__":
    main()
