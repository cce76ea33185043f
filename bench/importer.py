#!/usr/bin/env python3
"""Benchmark of ``iakg import table``: a generated 200-topic / 1,800-variant / 9,000-row table, imported
and validated against the whole graph, beside the time the csv module alone takes to parse the same file.

    python bench/importer.py             # prints the row as JSON
    python bench/importer.py --topics 20 # a smaller table

``bench/run.py`` can call :func:`bench_importer` (it returns a dict). The table is fictional and generated
(procedure names from a small pool of modalities, regions and contrast uses); the budget is 10 s.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from pathlib import Path

#: (procedure name, adult RRL, paediatric RRL): fictional combinations; levels as the reference scheme states
_MODALITIES = [("CT", "☢☢☢ 1-10 mSv", "☢☢☢☢ 3-10 mSv [ped]"), ("MRI", "O 0 mSv", "O 0 mSv [ped]"),
               ("US", "O 0 mSv", "O 0 mSv [ped]")]
_REGIONS = ["chest", "abdomen", "pelvis", "liver"]
_CONTRASTS = ["without IV contrast", "with IV contrast", "without and with IV contrast"]
POOL = [(f"{m} {r} {c}", adult, ped) for m, adult, ped in _MODALITIES for r in _REGIONS for c in _CONTRASTS]
#: (category, rating = median, nine vote counts of a 12-member panel whose printed median is the rating)
ROWS = [("Usually appropriate", 8, [0, 0, 0, 0, 0, 1, 2, 6, 3]),
        ("Usually appropriate", 7, [0, 0, 0, 0, 1, 2, 5, 3, 1]),
        ("May be appropriate", 5, [0, 0, 1, 3, 4, 2, 2, 0, 0]),
        ("May be appropriate", 4, [1, 2, 2, 3, 2, 1, 1, 0, 0]),
        ("Usually not appropriate", 2, [4, 5, 2, 1, 0, 0, 0, 0, 0])]
HEADER = ["Variant", "Procedure", "Appropriateness Category", "SOE", "Adult RRL", "Peds RRL", "Rating", "Median",
          *map(str, range(1, 10))]


def generate(path: Path, topics: int = 200, variants: int = 9, rows: int = 5) -> int:
    """Write a table of ``topics`` topics (header block each) x ``variants`` variants x ``rows`` rows."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        for t in range(1, topics + 1):
            for key, value in [("Title", f"Generated topic {t} (benchmark fixture)"), ("Id", f"bench-topic-{t}"),
                               ("Panel", "Benchmark Panel"), ("Panel size", "12"),
                               ("Source", f"Generated table {t} (benchmark fixture)"),
                               ("Publisher", "Benchmark Guidance Society"), ("Disease", f"Generated disease {t}"),
                               ("Disease definition", "A made-up disease of the benchmark."),
                               ("Namespace", "https://example.org/bench/"), ("Test fixture", "true")]:
                w.writerow([key, value])
            w.writerow(HEADER)
            for v in range(1, variants + 1):
                heading = f"Variant {v}: Adult. Generated condition {t}-{v}. Initial imaging."
                for i, (category, score, votes) in enumerate(ROWS[:rows]):
                    name, adult, ped = POOL[(t * 7 + v * 5 + i) % len(POOL)]
                    w.writerow([heading if i == 0 else "", name, category, "Limited", adult, ped, score, score, *votes])
                    count += 1
            w.writerow([])
    return count


def bench_importer(topics: int = 200, variants: int = 9, rows: int = 5) -> dict:
    """Generate the table, then time: the csv module alone; import without validation; import with
    validation (SHACL + lint against the whole graph). Seconds, wall clock (and this process's CPU time, the
    figure that does not depend on a shared machine's load), one run each."""
    from iakg.io.importers import convert

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.csv"
        n = generate(path, topics, variants, rows)
        t0, c0 = time.perf_counter(), time.process_time()
        with path.open(encoding="utf-8", newline="") as f:
            parsed = sum(1 for _ in csv.reader(f))
        t1, c1 = time.perf_counter(), time.process_time()
        convert("table", [path], validate=False)
        t2, c2 = time.perf_counter(), time.process_time()
        outputs, _ = convert("table", [path], validate=True)
        t3, c3 = time.perf_counter(), time.process_time()
    return {"topics": topics, "variants": topics * variants, "rows": n, "csv_records": parsed,
            "csv_module_s": round(t1 - t0, 3), "cpu_csv_module_s": round(c1 - c0, 3), "import_s": round(t2 - t1, 3),
            "import_and_validate_s": round(t3 - t2, 3), "cpu_import_s": round(c2 - c1, 3),
            "cpu_import_and_validate_s": round(c3 - c2, 3), "files": len(outputs),
            "turtle_bytes": sum(len(b) for _, b in outputs), "budget_s": 10.0, "ok": t3 - t2 < 10.0}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--topics", type=int, default=200)
    p.add_argument("--variants", type=int, default=9)
    p.add_argument("--rows", type=int, default=5, choices=range(1, 6))
    a = p.parse_args()
    print(json.dumps(bench_importer(a.topics, a.variants, a.rows), indent=1))


if __name__ == "__main__":
    main()
