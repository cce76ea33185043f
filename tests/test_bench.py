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
