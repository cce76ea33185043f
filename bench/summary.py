#!/usr/bin/env python3
"""The cost-versus-size table of a benchmark run (Markdown, for docs/performance.md) and its plot.

    python bench/summary.py bench/out/results.json                         # the table
    python bench/summary.py bench/out/results.json --plot docs/performance.png

Each cell is iakg's cost and, in brackets, its ratio to the best contender of that row (1.0 = iakg is the
best; the engine's own cost is the floor). The plot needs matplotlib (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

#: the rows of the cost-versus-size table: measure prefix -> short name
MEASURES = {
    "load from source": "load (from N-Triples)",
    "reopen the prepared": "prepared reopen",
    "recommend in process": "recommend",
    "match in process": "match",
    "listing page": "a listing page (50)",
    "listing, every": "full listing",
    "SHACL validation": "validation (full SHACL)",
    "OWL RL closure": "OWL RL closure",
    "export N-Triples": "export (canonical N-Triples)",
}


def _rows(result: dict) -> dict[str, dict]:
    """measure short name -> scale -> row, for the synthetic scales."""
    found: dict[str, dict] = {}
    for r in result["rows"]:
        if r["scale"] == "shipped":
            continue
        for prefix, short in MEASURES.items():
            if r["measure"].startswith(prefix):
                found.setdefault(short, {})[r["scale"]] = r
    return found


def cost_table(result: dict) -> str:
    rows = _rows(result)
    scales = sorted({s for by_scale in rows.values() for s in by_scale})
    triples = {}
    for r in result["rows"]:
        if r["measure"].startswith("load from source") and r.get("note"):
            triples[r["scale"]] = r["note"].split()[0]
    head = " | ".join(f"scale {s:g} ({int(triples[s]):,} triples)" if s in triples else f"scale {s:g}"
                      for s in scales)
    lines = [f"| measure (iakg; x best contender) | unit | {head} |", "|---|---|" + "---|" * len(scales)]
    for short, by_scale in rows.items():
        unit = next(iter(by_scale.values()))["unit"]
        cells = []
        for s in scales:
            r = by_scale.get(s)
            if r is None or "iakg" not in r["values"]:
                cells.append("-")
                continue
            best = min(r["values"], key=r["values"].get)
            ratio = r["ratios"]["iakg"]
            mark = "" if r["met"] is None else (" ✓" if r["met"] else " ✗")
            cells.append(f"{r['values']['iakg']} ({ratio}x{'' if best == 'iakg' else ' ' + best}){mark}")
        lines.append(f"| {short} | {unit} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def contenders_table(result: dict) -> str:
    lines = ["| measure | scale | unit | " + "contenders (value, x best) | budget | met |", "|---|---|---|---|---|---|"]
    for r in result["rows"]:
        shown = "; ".join(f"{k} {v} ({r['ratios'][k]}x)" for k, v in r["values"].items())
        met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
        lines.append(f"| {r['measure']} | {r['scale']} | {r['unit']} | {shown} | {r['budget'] or ''} | {met} |")
    return "\n".join(lines)


def plot(result: dict, path: Path) -> None:
    """Cost against graph size, log-log: iakg solid, the bare engine dashed, for each measure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = _rows(result)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
    for short, by_scale in rows.items():
        scales = sorted(by_scale)
        ax = left if by_scale[scales[0]]["unit"] == "s" else right
        mine = [(s, by_scale[s]["values"].get("iakg")) for s in scales]
        mine = [(s, v) for s, v in mine if v is not None]
        if not mine:
            continue
        line, = ax.plot([s for s, _ in mine], [max(v, 1e-4) for _, v in mine], marker="o", label=short)
        floor = [(s, by_scale[s]["values"].get("engine")) for s in scales]
        floor = [(s, v) for s, v in floor if v is not None]
        if floor:
            ax.plot([s for s, _ in floor], [max(v, 1e-4) for _, v in floor], linestyle="--",
                    color=line.get_color(), alpha=0.6)
    for ax, unit in ((left, "seconds"), (right, "milliseconds (p50)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("graph size (scale; 1 = the 2020 ACR catalogue's size)")
        ax.set_ylabel(unit)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    left.set_title("batch work (solid: iakg, dashed: bare engine)")
    right.set_title("answers in process (solid: iakg, dashed: bare engine)")
    fig.suptitle(f"iakg cost versus size — {result['date']}, {result['machine']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def merge(runs: list[dict]) -> dict:
    """One result of several runs: a later run's row replaces an earlier one of the same measure and scale."""
    rows: dict[tuple, dict] = {}
    for run in runs:
        for r in run["rows"]:
            rows[(r["measure"], r["scale"])] = r
    return {**runs[-1], "date": " and ".join(dict.fromkeys(r["date"] for r in runs)), "rows": list(rows.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="*", default=[Path("bench/out/results.json")],
                        help="results of one run, or of several (e.g. --quick, then --scales 10,30): merged")
    parser.add_argument("--plot", type=Path, help="draw the plot here (PNG)")
    args = parser.parse_args()
    runs = [json.loads(path.read_text()) for path in args.results]
    for run in runs:
        load = ", ".join(f"{x:.1f}" for x in run.get("load_average", ()))
        print(f"Measured {run['date']} on {run['machine']}; whole run {run.get('total_seconds')} s; "
              f"load average at its end {load}.  ")
    print()
    result = merge(runs)
    print(cost_table(result))
    print()
    print(contenders_table(result))
    if args.plot:
        plot(result, args.plot)


if __name__ == "__main__":
    main()
