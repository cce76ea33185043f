"""A fictional topic in the shape of a published variant table loads without losing a column, and a topic
rated on another publisher's scheme answers correctly; both with no code, ontology or shape change."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import FIXTURES

import iakg
from iakg.domain.model import to_dict
from iakg.rdf.namespaces import IAKGD

VT = "https://example.org/variant-table/"
OS = "https://example.org/other-scheme/"
TABLE = FIXTURES / "variant-table.ttl"
OTHER = FIXTURES / "other-scheme.ttl"


@pytest.fixture(scope="module")
def kg():
    return iakg.load([TABLE, OTHER])


def test_fixtures_validate(kg):
    report = kg.validate()
    assert report.conforms, "\n".join(map(str, report.violations))


def _row(p: dict) -> tuple:
    adult, child = p["radiation"], p["pediatric_radiation"]
    return (p["label"], p["category_text"], p["evidence"], p["score"], p["median"],
            None if p["votes"] is None else tuple(p["votes"]), p["row_order"],
            adult and (adult["symbol"], adult["dose_range"]), child and (child["symbol"], child["dose_range"]))


def test_every_column_comes_back_through_recommend_json():
    out = subprocess.run([sys.executable, "-m", "iakg", "recommend", VT + "variant-1", "--data", str(TABLE),
                          "--format", "json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["profile"] == {"variant": 1, "phase": "Initial imaging", "populations": ["adult"],
                                 "condition_status": "Suspected", "panel": "Fixture panel on imaginary imaging",
                                 "source_url": VT + "page", "reviewed": "2025-02-01", "population_not_stated": False}
    assert [_row(p) for p in answer["procedures"]] == [
        ("Fixture US fictional region", "Usually appropriate", "Strong", 8, 9, (0, 0, 0, 0, 0, 0, 2, 6, 8), 1,
         ("O", "0 mSv"), ("O", "0 mSv")),
        ("Fixture CT fictional region", "Usually appropriate", "Moderate", 7, 7, (0, 0, 0, 0, 1, 3, 9, 4, 0), 2,
         ("☢☢☢", "1-10 mSv"), ("☢☢☢☢", "3-10 mSv")),
        ("Fixture nuclear medicine whole body", "May be appropriate (Disagreement)", "Limited", 5, 3,
         (4, 3, 2, 1, 1, 1, 2, 2, 1), 3, ("☢☢☢☢☢", "30-100 mSv (unconfirmed)"), None),
        # within a category, the table's own row order (4 before 5), not radiation
        ("Fixture image-guided biopsy", "Usually not appropriate", "Expert Consensus", 2, None, (0,) * 9, 4,
         ("Varies", "varies"), ("Varies", "varies")),
        ("Fixture CT fictional region multiphase", "Usually not appropriate", None, 3, None, None, 5,
         ("☢☢☢☢", "10-30 mSv"), ("☢☢☢☢☢", "10-30 mSv")),
    ]


def test_every_level_and_the_child_scale(kg):
    child = kg.recommend(VT + "variant-2")
    assert child.profile.populations == ("child",) and child.profile.condition_status == "Known"
    assert [(p.label, p.pediatric_radiation.text) for p in child.procedures] == [
        ("Fixture US fictional region", "O 0 mSv"),
        ("Fixture radiography fictional region", "☢ 0-0.03 mSv"),
        ("Fixture fluoroscopy with oral contrast", "☢☢ not stated"),
        ("Fixture CT fictional region", "☢☢☢☢ 3-10 mSv"),
        ("Fixture CT fictional region multiphase", "☢☢☢☢☢ 10-30 mSv"),
    ]


def test_ties_are_broken_by_source_row_order(kg):
    both = kg.recommend(VT + "variant-3")
    assert both.profile.populations == ("adult", "child")
    # same category and adult level: the source's row order, not the label, decides
    assert [p.label for p in both.procedures] == [
        "Fixture CT fictional region", "CT abdomen and pelvis with IV contrast"]


def test_pediatric_dose_uses_the_pediatric_level(kg):
    plans = {e.procedure.label: e for e in kg.compare_radiation(VT + "variant-2", 5, 12, "pediatric")}
    assert plans["Fixture CT fictional region"].total_range == "15-50 mSv"
    assert plans["Fixture CT fictional region"].note is None
    adult = {e.procedure.label: e for e in kg.compare_radiation(VT + "variant-1", 5, 12, "pediatric")}
    assert adult["Fixture US fictional region"].note == "this scenario is for adults"
    assert adult["Fixture image-guided biopsy"].total_range == "varies"


def test_every_column_comes_back_through_sparql(kg):
    rows = kg.run("recommendation", scenario=iakg.IRI(VT + "variant-1"))
    first = rows[0]
    assert (first["evidence"], first["score"], first["median"], first["rowOrder"], first["pediatricRadiation"]) == (
        "Strong", 8, 9, 1, "O")
    assert [first[f"votes{n}"] for n in range(1, 10)] == [0, 0, 0, 0, 0, 0, 2, 6, 8]
    [profile] = kg.run("scenario-profile", scenario=iakg.IRI(VT + "variant-2"))
    assert (profile["variant"], profile["phase"], profile["population"], profile["conditionStatus"]) == (
        2, "Next imaging study", "child", "Known")
    levels = kg.run("radiation-level", procedure=iakg.IRI(VT + "biopsy"))
    assert [(r["population"], r["radiation"], r["doseRange"]) for r in levels] == [
        ("adult", "Varies", "varies"), ("pediatric", "Varies", "varies")]


def test_age_group_is_a_patient_fact_that_matching_uses(kg):
    result = to_dict(kg.match({"ageGroup": "child"}))
    statuses = {v["scenario"]["iri"]: v["status"] for v in result["scenarios"]}
    # variant 1 is for adults: a child is outside its population (not covered); variant 2 is for children
    assert (statuses[VT + "variant-1"], statuses[VT + "variant-2"]) == ("not covered", "applicable")
    [plan] = kg.match({"ageGroup": "child"}).plans
    assert plan.pediatric and plan.population.iri == IAKGD + "population-child"


def test_another_publishers_scheme_answers_by_its_own_ranks(kg):
    answer = kg.recommend(OS + "scenario")
    assert [(p.label, p.category_text, p.category_rank) for p in answer.procedures] == [
        ("DOTATATE PET/CT", "Indicated", 1),
        ("MRI abdomen and pelvis without and with IV contrast", "Specialised investigation", 2),
        ("CT abdomen and pelvis with IV contrast", "Not indicated", 3),
    ]
