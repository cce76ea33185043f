"""Smoke test of the benchmark's generator: a tiny synthetic catalogue conforms and answers."""

from __future__ import annotations

import sys

from conftest import ROOT

import iakg

sys.path.insert(0, str(ROOT / "bench"))
from generate import write


def test_synthetic_catalogue_conforms_and_answers(tmp_path):
    path = tmp_path / "tiny.nt"
    triples = write(0.02, path)
    assert triples > 3000
    graph = iakg.load([path])
    assert graph.validate().conforms
    answer = graph.recommend("https://example.org/synthetic/scenario-0")
    assert 5 <= len(answer.procedures) <= 20
    assert graph.scenario("https://example.org/synthetic/scenario-0").topic == "https://example.org/synthetic/topic-0"


def test_cost_table_shows_each_measure_by_scale_with_its_ratio():
    from summary import cost_table

    row = lambda measure, scale, values, unit="s", met=None: {
        "measure": measure, "scale": scale, "unit": unit, "values": values, "met": met,
        "ratios": {k: round(v / min(values.values()), 2) for k, v in values.items()}, "note": "10 triples"}
    result = {"rows": [row("load from source (N-Triples)", 1, {"iakg": 2.0, "engine": 1.0}),
                       row("recommend in process, p50", 1, {"iakg": 1.0, "engine": 2.0}, "ms", True),
                       row("recommend in process, p50", "shipped", {"iakg": 9.0})]}
    text = cost_table(result)
    assert "| load (from N-Triples) | s | 2.0 (2.0x engine) |" in text
    assert "| recommend | ms | 1.0 (1.0x) ✓ |" in text
    assert "scale 1 (10 triples)" in text


def test_cds_benchmark_runs_on_the_shipped_graph():
    from cds import bench_cds

    answer = bench_cds(0, clients=2, calls=6, latency_runs=6)
    assert answer["concurrent"]["errors"] == 0 and answer["hook_latency"]["n"] == 6
