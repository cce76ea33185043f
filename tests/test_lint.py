"""The lint pass of validation: undeclared terms (with "did you mean"), undescribed values, duplicate labels."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import FIXTURES

import iakg

LINT = "https://example.org/lint/"


@pytest.fixture(scope="module")
def report():
    return iakg.load([FIXTURES / "lint" / "typos.ttl"]).validate()


def _lint(report, focus: str, check: str) -> list[str]:
    return [v.message for v in report.violations if v.focus == LINT + focus and v.shape == check]


def test_class_typo_is_rejected_with_did_you_mean(report):
    [message] = _lint(report, "rating-class-typo", "lint:undeclared-term")
    assert "iakg:AppropriatenessRatng is not declared" in message
    assert "did you mean iakg:AppropriatenessRating" in message


def test_property_typo_is_rejected_with_did_you_mean(report):
    [message] = _lint(report, "rating-property-typo", "lint:undeclared-term")
    assert "iakg:ratingCondtion is not declared" in message and "did you mean iakg:ratingCondition?" in message


def test_value_typo_is_rejected_with_did_you_mean(report):
    [message] = _lint(report, "rating-value-typo", "lint:undescribed-resource")
    assert "iakgd:usualy-appropriate" in message and "did you mean iakgd:usually-appropriate" in message


def test_duplicate_label_within_a_kind(report):
    [message] = _lint(report, "scenario-same-label", "lint:duplicate-label")
    assert "iakgd:pnet-post-resection-surveillance" in message


def test_lint_violations_fail_validation_like_any_other(report):
    assert not report.conforms
    out = subprocess.run([sys.executable, "-m", "iakg", "validate", str(FIXTURES / "lint" / "typos.ttl")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "did you mean iakg:ratingCondition?" in out.stdout


def test_shipped_graph_passes_the_lint(graph):
    assert not [v for v in graph.validate().violations if (v.shape or "").startswith("lint:")]


def test_class_without_shape():
    """A class the ontology declares but no shape targets is reported where data uses it."""
    import pyoxigraph as ox

    from iakg.rdf.namespaces import GRAPH_DATA, GRAPH_ONTOLOGY, IAKG
    from iakg.validate.lint import lint

    store = ox.Store()
    owl_class = ox.NamedNode("http://www.w3.org/2002/07/owl#Class")
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    cls, thing = ox.NamedNode(IAKG + "Unshaped"), ox.NamedNode(LINT + "thing")
    store.add(ox.Quad(cls, rdf_type, owl_class, ox.NamedNode(GRAPH_ONTOLOGY)))
    store.add(ox.Quad(thing, rdf_type, cls, ox.NamedNode(GRAPH_DATA)))
    [found] = lint(store, [ox.NamedNode(GRAPH_ONTOLOGY), ox.NamedNode(GRAPH_DATA)], set(), {})
    assert found.shape == "lint:class-without-shape" and found.focus == LINT + "thing"
