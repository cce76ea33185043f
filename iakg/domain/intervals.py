"""Surveillance intervals: the rules of a scenario by tumour grade and stage group, and the one that applies."""

from __future__ import annotations

from typing import Any

from iakg.catalogue import run
from iakg.domain.guidance import ScenarioLike, patient_facts, scenario
from iakg.domain.model_guidance import IntervalAnswer, IntervalRule, PatientFact
from iakg.errors import UnknownNameError
from iakg.rdf.engine import QueryEngine
from iakg.rdf.terms import IRI


def rules(engine: QueryEngine, name: ScenarioLike) -> list[IntervalRule]:
    """Every surveillance interval rule of a scenario, longest interval first."""
    found: dict[str, dict[str, Any]] = {}
    for r in run(engine, "surveillance-intervals", scenario=IRI(scenario(engine, name).iri)):
        rule = found.setdefault(r["interval"], {"row": r, "grades": [], "stages": [], "frameworks": []})
        for key, column in (("grades", "grade"), ("stages", "stage"), ("frameworks", "framework")):
            if r[column] is not None and r[column] not in rule[key]:
                rule[key].append(r[column])
    return [IntervalRule(iri, x["row"]["intervalLabel"], tuple(sorted(x["grades"])), tuple(sorted(x["stages"])),
                         x["row"]["requiresGradeAndStage"], x["row"]["minMonths"], x["row"]["maxMonths"],
                         x["row"]["qualifier"], x["row"]["example"] is True, tuple(x["frameworks"]))
            for iri, x in found.items()]


def surveillance_interval(engine: QueryEngine, name: ScenarioLike, grade: str | None = None, stage: str | None = None,
                          facts: list[PatientFact] | None = None) -> IntervalAnswer:
    """The surveillance interval(s) for a tumour grade and stage group (notations, e.g. ``G1``, ``early``).

    A rule that needs grade AND stage matches only when both do; otherwise either is enough. When an
    unknown grade or stage could change the answer, ``missing`` names it instead of guessing.
    """
    target = scenario(engine, name)
    all_rules = rules(engine, target)
    facts = patient_facts(engine) if facts is None else facts
    grade_key = _fact_holding(facts, [g for r in all_rules for g in r.grades], grade, "grade")
    stage_key = _fact_holding(facts, [s for r in all_rules for s in r.stages], stage, "stage")
    matches, missing = [], set()
    for rule in all_rules:
        tests: list[bool | None] = []
        if rule.grades:
            tests.append(None if grade is None else grade in rule.grades)
            if grade is None:
                missing.add(grade_key)
        if rule.stages:
            tests.append(None if stage is None else stage in rule.stages)
            if stage is None:
                missing.add(stage_key)
        verdict = _all(tests) if rule.requires_both else _any(tests)
        if verdict:
            matches.append(rule)
    if matches:  # a known match decides; unknown facts no longer matter
        missing = set()
    return IntervalAnswer(target.iri, grade, stage, tuple(matches), tuple(sorted(missing)))


def _fact_holding(facts: list[PatientFact], notations: list[str], given: str | None, what: str) -> str:
    """The key of the patient fact whose values include ``notations``; check ``given`` is one of its values."""
    for fact in facts:
        if notations and set(notations) <= set(fact.values):
            if given is not None and given not in fact.values:
                import difflib  # only for the message of a value not found

                raise UnknownNameError(what, given, difflib.get_close_matches(given, list(fact.values), 5, 0.0)[:5])
            return fact.key
    return what


def _all(tests: list[bool | None]) -> bool | None:
    """Three-valued AND: False if any test fails, None if any is unknown, else True."""
    return False if False in tests else (None if None in tests else bool(tests))


def _any(tests: list[bool | None]) -> bool | None:
    """Three-valued OR: True if any test holds, None if any is unknown, else False."""
    return True if True in tests else (None if None in tests else False)
