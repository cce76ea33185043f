#!/usr/bin/env python3
"""A compact Markdown table of a benchmark run (for README): every row but the per-query ones, which
are summarised per scale and place (the slowest query named).

    python bench/summary.py bench/out/results.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    result = json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else "bench/out/results.json").read_text())
    print(f"Measured {result['date']} on {result['machine']}; whole run {result.get('total_seconds')} s.\n")
    print("| measure | scale | kg | rdflib baseline | unit | peak RSS MB (kg / rdflib) | budget | met |")
    print("|---|---|---|---|---|---|---|---|")
    queries: dict[tuple, list] = {}
    for r in result["rows"]:
        if r["measure"].startswith("query:"):
            name, where = r["measure"][len("query:"):].split(" ", 1)
            queries.setdefault((r["scale"], where), []).append((name, r))
            continue
        print(_line(r["measure"], r))
    for (_scale, where), items in queries.items():
        p50 = lambda item: float(item[1]["kg"].split("/")[0])
        listing = [i for i in items if i[0] == "scenarios"]
        others = [i for i in items if i[0] != "scenarios"]
        worst = max(others, key=p50)
        met = [i[1]["met"] for i in others if i[1]["met"] is not None]
        row = dict(worst[1], met=all(met) if met else None)
        print(_line(f"each of {len(others)} catalogue queries {where.replace(' p50/p99', '')}: slowest "
                    f"p50/p99 (`{worst[0]}`)", row))
        if listing and listing[0] is not worst:
            print(_line(f"`scenarios` listing (every scenario) {where.replace(' p50/p99', '')} p50/p99",
                        listing[0][1]))


def _line(measure: str, r: dict) -> str:
    met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
    rss = " / ".join("" if v is None else str(v) for v in (r["rss_mb"], r["baseline_rss_mb"])).strip(" /")
    base = "-" if r["baseline"] is None else r["baseline"]
    return f"| {measure} | {r['scale']} | {r['kg']} | {base} | {r['unit']} | {rss} | {r['budget'] or ''} | {met} |"


if __name__ == "__main__":
    main()
