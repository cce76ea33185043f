"""A second, fictional topic fits the ontology and shapes with no code or ontology change."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, d

import iakg

FIXTURE = FIXTURES / "second-topic.ttl"
FX = "https://example.org/fixture/"


@pytest.fixture(scope="module")
def both():
    return iakg.load([FIXTURE])


def test_second_topic_validates(both):
    report = both.validate()
    assert report.conforms, "\n".join(map(str, report.violations))


def test_second_topic_recommendation(both):
    answer = both.recommend("exampleoma resection")
    assert answer.scenario.iri == FX + "exampleoma-follow-up"
    assert [(p.label, p.category_text, p.radiation.symbol) for p in answer.procedures] == [
        ("Fixture US abdomen", "Usually appropriate", "O"),
        ("CT abdomen and pelvis with IV contrast", "May be appropriate (Disagreement)", "☢☢☢"),
    ]


def test_second_topic_hierarchy_is_followed_transitively(both):
    rows = both.run("related", scenario=iakg.IRI(FX + "exampleoma-follow-up"))
    assert [(r["relation"], r["target"]) for r in rows] == [
        ("ancestor topic", FX + "hub-exampleoma"),
        ("ancestor topic", FX + "hub-oncology"),
        ("related topic", d("topic-pnet-surveillance-after-resection")),
        ("topic", FX + "topic-exampleoma-follow-up"),
    ]


def test_second_topic_criteria_and_intervals(both):
    scenario = iakg.IRI(FX + "exampleoma-follow-up")
    criteria = both.run("criteria", scenario=scenario)
    assert [(r["kind"], r["redirectsTo"]) for r in criteria] == [
        ("population", None), ("inclusion", None), ("exclusion", FX + "exampleoma-untreated")]
    [interval] = both.run("surveillance-intervals", scenario=scenario)
    assert (interval["grade"], interval["minMonths"], interval["maxMonths"]) == ("G1", 24, 24)


def test_first_topic_answers_are_unchanged_by_the_second(both, graph):
    pnet = "pnet-post-resection-surveillance"
    assert both.recommend(pnet) == graph.recommend(pnet)
