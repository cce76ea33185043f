#!/usr/bin/env python3
"""Benchmark of ``iakg coverage``: a generated order log of 100,000 orders, timed end to end (the command run
as a user runs it, graph loading included).

The log is drawn from the project's reasons for exam (tests/fixtures/indications, both splits) with variations a
site's log has (years, ages, order-set suffixes, case): 5,028 distinct reasons, drawn with a skewed
frequency as real logs are (a few reasons are most of the orders); order codes are LOINC codes the graph holds,
procedure CURIEs, procedure labels and unknown local codes; one order in ten states a fact in its own column.

    python bench/coverage.py                 # 100,000 orders; prints one JSON object
    python bench/coverage.py --orders 20000
    from coverage import bench_coverage; bench_coverage(100_000)

Budget (issue 26): < 60 s for 100,000 orders on 2 cores.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SETS = ROOT / "tests" / "fixtures" / "indications"
ORDERS = ["36813-4"] * 12 + ["72254-6"] * 3 + ["36952-0", "iakgd:mri-abdomen-pelvis-without-and-with-iv-contrast",
          "iakgd:dotatate-pet-ct", "CT abdomen and pelvis with IV contrast", "LOCAL-CTAP", "LOCAL-MRCP"]
SUFFIXES = ["", "", "", " CT A/P", " - please protocol", " ({year})", ", {age}yo", " {year}", " - {age}F", " - {age}M",
            " pls", " thanks", " routine"]


def reasons() -> list[str]:
    texts = []
    for split in ("dev", "heldout"):
        for line in (SETS / f"{split}.tsv").read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                texts.append(line.split("\t")[2])
    return texts


def write(path: Path, orders: int, seed: int = 26, distinct: int = 8_000) -> int:
    """Write an order log of ``orders`` rows; return the number of distinct reasons in it."""
    rng = random.Random(seed)
    base = reasons()
    pool = []
    for i in range(distinct):
        text = base[i % len(base)]
        suffix = rng.choice(SUFFIXES).format(year=rng.randint(2010, 2025), age=rng.randint(25, 85))
        pool.append((text + suffix) if i >= len(base) else text)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(pool))]
    chosen = rng.choices(pool, weights, k=orders)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["order", "reason", "ageGroup", "severeIodinatedContrastAllergy"])
        for reason in chosen:
            fact = rng.random() < 0.1
            writer.writerow([rng.choice(ORDERS), reason if rng.random() > 0.02 else reason.upper(),
                             "adult" if fact else "", rng.choice(["true", "false"]) if fact else ""])
    return len(set(chosen))


def bench_coverage(orders: int = 100_000) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orders.csv"
        distinct = write(path, orders)
        env = dict(os.environ, IAKG_CACHE_DIR=os.environ.get("IAKG_CACHE_DIR", str(Path(tmp) / "cache")))
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "iakg", "coverage", str(path), "--format", "json"],
                              capture_output=True, text=True, env=env, check=True)
        seconds = time.perf_counter() - start
    report = json.loads(done.stdout)
    return {"orders": report["orders"], "distinct_reasons_generated": distinct, "seconds": round(seconds, 1),
            "budget_s": 60, "met": seconds < 60, "shares": report["shares"],
            "scored_from_text": report["scored_from_text"],
            "progress_lines": sum("orders read" in line for line in done.stderr.splitlines()),
            "cpus": os.cpu_count(), "load_before": os.getloadavg()[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    args = parser.parse_args(argv)
    print(json.dumps(bench_coverage(args.orders), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
