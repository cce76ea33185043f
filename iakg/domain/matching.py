"""Patient matching: which scenarios apply to a patient, and the plan the graph gives for each.

Criteria are tested with three-valued logic: a fact the patient file does not state is reported as
missing, never assumed. A scenario is *excluded* when an exclusion criterion holds (the patient belongs to
the scenario it redirects to), *not applicable* when an inclusion criterion fails, *undetermined* when a
fact it tests is not stated, and *applicable* otherwise.

Before the criteria are tested, facts the source derives from others are added (e.g. a rising
chromogranin A, symptoms concerning for recurrence or a positive study establish a suspicion of
recurrence); the answer lists each derived fact and the evidence for it. A patient whose stated facts
select no scenario (``{}``, or only grade and stage) is matched against every scenario with criteria, so
the answer is *undetermined* with the facts to state, never a silent "nothing applies".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iakg.catalogue import run
from iakg.domain import guidance
from iakg.domain import patient as patient_file
from iakg.domain.intervals import surveillance_interval
from iakg.domain.model import PhaseNeed, Recommendation, Ref, Scenario, to_dict
from iakg.domain.model_guidance import AlternativeOption, Branch, IntervalAnswer, PatientFact, Step
from iakg.domain.model_statements import DerivedFact, Escalation
from iakg.rdf.engine import QueryEngine
from iakg.rdf.namespaces import IAKG
from iakg.rdf.terms import IRI

APPLICABLE, EXCLUDED, NOT_APPLICABLE, UNDETERMINED = "applicable", "excluded", "not applicable", "undetermined"


@dataclass(frozen=True)
class CriterionCheck:
    """One criterion tested against the patient; ``outcome`` is ``holds``, ``fails`` or ``not stated``."""

    criterion: Ref
    kind: str  # inclusion or exclusion
    key: str
    expected: Any
    actual: Any
    outcome: str
    redirect: Ref | None = None


@dataclass(frozen=True)
class ScenarioMatch:
    """A scenario's verdict for the patient, with every criterion checked."""

    scenario: Ref
    status: str
    checks: tuple[CriterionCheck, ...]

    @property
    def missing(self) -> list[str]:
        """Fact keys this scenario tests that the patient file does not state."""
        return list(dict.fromkeys(c.key for c in self.checks if c.outcome == "not stated"))


@dataclass(frozen=True)
class Redirect:
    """Where an excluded patient belongs instead, and what the source says that scenario frequently uses."""

    scenario: Ref
    because: Ref
    frequently_uses: tuple[Ref, ...]


@dataclass(frozen=True)
class ContraindicatedProcedure:
    """A rated procedure the patient should not have: it uses an agent a stated fact rules out."""

    procedure: Ref
    contraindication: Ref
    agent: str
    qualifier: str | None = None  #: the source's hedge, e.g. "a contrast-enhanced CT may not be feasible"


@dataclass(frozen=True)
class IndicationHit:
    """A procedure the source reserves for this situation, and the stated fact or result that triggers it."""

    indication: Ref
    procedure: Ref
    trigger: str
    qualifier: str | None = None  #: the source's hedge, e.g. "best reserved for"


@dataclass(frozen=True)
class Plan:
    """What to order for an applicable scenario, adjusted for this patient."""

    scenario: Scenario
    recommendation: Recommendation
    first_choice: Ref | None
    contraindicated: tuple[ContraindicatedProcedure, ...]
    alternatives: tuple[AlternativeOption, ...]
    indications: tuple[IndicationHit, ...]
    interval: IntervalAnswer
    next_steps: tuple[Branch, ...]
    first_choice_caveat: str | None = None  #: the condition on the first choice (e.g. "if renal function permits")
    protocol: tuple[PhaseNeed, ...] = ()  #: the first choice's contrast phases in this scenario
    left_out: tuple[str, ...] = ()  #: steps not offered to this patient, and why
    escalation: tuple[Escalation, ...] = ()


@dataclass(frozen=True)
class MatchResult:
    """The answer for one patient: verdict per scenario, redirects, plans, and facts still needed."""

    patient: dict[str, Any]
    scenarios: tuple[ScenarioMatch, ...]
    redirects: tuple[Redirect, ...]
    plans: tuple[Plan, ...]
    missing: tuple[str, ...]
    derived: tuple[DerivedFact, ...] = ()

    @property
    def applicable(self) -> list[Ref]:
        """The scenarios that apply to the patient."""
        return [m.scenario for m in self.scenarios if m.status == APPLICABLE]

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (see README, "Patient matching")."""
        form: dict[str, Any] = to_dict(self)
        return form


def match(engine: QueryEngine, source: Mapping[str, Any] | str | Path) -> MatchResult:
    """Match a patient (dict or JSON file) against the scenarios whose inclusion criteria test a stated fact."""
    data, where = patient_file.read(source)
    facts = guidance.patient_facts(engine)
    patient_file.check(data, facts, where)
    stated = patient_file.values(patient_file.to_rdf(data, facts), facts)
    derived = _derive(engine, stated)
    stated.update({d.key: d.value for d in derived})

    by_key = {f.key: f for f in facts}
    candidates = sorted({r["scenario"] for key in stated
                         for r in run(engine, "scenarios-testing-fact", fact=IRI(by_key[key].iri))})
    if not candidates:  # nothing stated selects a scenario: every scenario with criteria is undetermined
        candidates = [r["scenario"] for r in run(engine, "criteria-scenarios")]
    verdicts = tuple(_verdict(run(engine, "eligibility", scenario=IRI(s)), stated) for s in candidates)

    redirects: list[Redirect] = []
    for verdict in verdicts:
        for check in verdict.checks:
            if check.kind == "exclusion" and check.outcome == "holds" and check.redirect is not None:
                uses = run(engine, "excluded-populations", scenario=IRI(verdict.scenario.iri),
                              criterion=IRI(check.criterion.iri))
                if any(r.scenario == check.redirect and r.because == check.criterion for r in redirects):
                    continue  # the same exclusion of several scenarios sends the patient to one place
                redirects.append(Redirect(check.redirect, check.criterion, tuple(
                    Ref(r["procedure"], r["procedureLabel"]) for r in uses if r["procedure"] is not None)))

    plans = tuple(_plan(engine, verdict.scenario.iri, stated, facts) for verdict in verdicts
                  if verdict.status == APPLICABLE)
    missing = [k for v in verdicts if v.status == UNDETERMINED for k in v.missing]
    missing += [k for p in plans for k in p.interval.missing]
    return MatchResult(stated, verdicts, tuple(redirects), plans, tuple(dict.fromkeys(missing)), tuple(derived))


def _derive(engine: QueryEngine, stated: dict[str, Any]) -> list[DerivedFact]:
    """The facts the source's evidence rules establish from the stated ones (one entry per fact)."""
    out: dict[str, DerivedFact] = {}
    for r in run(engine, "fact-evidence"):
        expected = r["expectedNotation"] if r["expectedNotation"] is not None else _expected(r["expected"])
        if r["key"] in stated and stated[r["key"]] == expected and r["establishedKey"] not in out:
            before = stated.get(r["establishedKey"])
            out[r["establishedKey"]] = DerivedFact(
                r["establishedKey"], True, Ref(r["evidence"], r["label"]), r["key"], expected, r["qualifier"],
                before if before is not None and before is not True else None)
    return list(out.values())


def _verdict(rows: list[dict[str, Any]], stated: dict[str, Any]) -> ScenarioMatch:
    checks = []
    for r in rows:
        expected = _expected(r["expected"])
        actual = stated.get(r["key"])
        outcome = "not stated" if actual is None else ("holds" if actual == expected else "fails")
        redirect = Ref(r["redirectsTo"], r["redirectLabel"]) if r["redirectsTo"] else None
        checks.append(CriterionCheck(Ref(r["criterion"], r["criterionLabel"]), r["kind"], r["key"], expected,
                                     actual, outcome, redirect))
    outcomes = {(c.kind, c.outcome) for c in checks}
    if ("exclusion", "holds") in outcomes:
        status = EXCLUDED
    elif ("inclusion", "fails") in outcomes:
        status = NOT_APPLICABLE
    elif any(c.outcome == "not stated" for c in checks):
        status = UNDETERMINED
    else:
        status = APPLICABLE
    return ScenarioMatch(Ref(rows[0]["scenario"], rows[0]["scenarioLabel"]), status, tuple(checks))


def _expected(value: Any) -> Any:
    """A criterion's expected value in the form ``patient.values`` gives (notation for a concept)."""
    return value.rsplit("/", 1)[-1] if isinstance(value, IRI) else value


def _plan(engine: QueryEngine, scenario_iri: str, stated: dict[str, Any], facts: list[PatientFact]) -> Plan:
    scenario = guidance.scenario(engine, scenario_iri)
    recommendation = guidance.recommend(engine, scenario)
    rated = {p.procedure for p in recommendation.procedures}

    # contraindication IRI -> rows, for the contraindications the patient's facts raise
    active: dict[str, list[dict[str, Any]]] = {}
    for row in run(engine, "contraindications"):
        if stated.get(row["key"]) is True:
            active.setdefault(row["contraindication"], []).append(row)
    contraindicated = tuple(ContraindicatedProcedure(Ref(r["procedure"], r["procedureLabel"]),
                                                     Ref(r["contraindication"], r["contraindicationLabel"]),
                                                     r["agentLabel"], r["qualifier"])
                            for rows in active.values() for r in rows if r["procedure"] in rated)
    ruled_out = {c.procedure.iri for c in contraindicated}
    alternatives: list[AlternativeOption] = []
    for option in guidance.alternatives(engine, scenario):
        listed = {a.procedure.iri for a in alternatives}
        if option.contraindication.iri in active and option.procedure.iri not in listed:
            alternatives.append(option)
    alternatives.sort(key=lambda a: a.preference)

    best = min((p.category_rank for p in recommendation.procedures), default=None)
    first = next((Ref(p.procedure, p.label) for p in recommendation.procedures
                  if p.category_rank == best and p.procedure not in ruled_out), None)
    caveat = None
    if first is None and alternatives:
        first, caveat = alternatives[0].procedure, alternatives[0].caveat

    result_fact = next((f for f in facts if f.value_class == IAKG + "StudyResult"), None)
    result = stated.get(result_fact.key) if result_fact else None
    hits: list[IndicationHit] = []
    for row in run(engine, "indications", scenario=IRI(scenario.iri)):
        trigger = None
        if row["triggerFact"] is not None and stated.get(row["triggerFact"]) is True:
            trigger = row["triggerFact"]
        elif result_fact is not None and row["triggerResult"] is not None and row["triggerResult"] == result:
            trigger = f"{result_fact.key}={result}"
        if trigger and all(h.indication.iri != row["indication"] for h in hits):
            hits.append(IndicationHit(Ref(row["indication"], row["indicationLabel"]),
                                      Ref(row["procedure"], row["procedureLabel"]), trigger, row["qualifier"]))

    interval = surveillance_interval(engine, scenario, _notation(stated, facts, "grades"),
                                     _notation(stated, facts, "stages"), facts)
    branches, left_out = _offerable(guidance.next_steps(engine, scenario, result), contraindicated)
    phases = tuple(p for p in recommendation.protocol if first is not None and p.procedure.iri == first.iri)
    return Plan(scenario, recommendation, first, contraindicated, tuple(alternatives), tuple(hits), interval,
                branches, caveat, phases, left_out, tuple(guidance.escalation(engine, scenario)))


def _offerable(branches: list[Branch], contraindicated: tuple[ContraindicatedProcedure, ...]
               ) -> tuple[tuple[Branch, ...], tuple[str, ...]]:
    """The branches without the steps that repeat a procedure this patient cannot have, and why each went."""
    ruled_out = {c.procedure.iri: c for c in contraindicated}
    kept, gone = [], []
    for branch in branches:
        steps: list[Step] = []
        for step in branch.steps:
            if step.follow_up_of in ruled_out:
                c = ruled_out[step.follow_up_of]
                why = c.qualifier or "that study is ruled out"
                gone.append(f"{step.label}: it repeats {c.procedure.label}, and with "
                            f"{c.contraindication.label.lower()} {why}")
            else:
                steps.append(step)
        if steps:
            kept.append(Branch(branch.result, branch.alternatives, tuple(steps)))
    return tuple(kept), tuple(gone)


def _notation(stated: dict[str, Any], facts: list[PatientFact], kind: str) -> str | None:
    """The stated grade (``kind="grades"``) or stage group, found by the class of the fact's values."""
    wanted = IAKG + ("TumorGrade" if kind == "grades" else "TumorStageGroup")
    for fact in facts:
        if fact.value_class == wanted:
            return stated.get(fact.key)
    return None
