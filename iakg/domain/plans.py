"""The plan for a scenario that applies to a patient: what to order, adjusted for the facts the patient states.

One rule runs through every place a plan names a study -- the first choice, the alternatives when contrast is
ruled out, the studies the source reserves for the patient's situation (indications), the steps of the
workflow branches, the study the source names instead of a pitfall, and through them the suggestions at order
time: **a study a stated fact rules out is never
offered** (a contraindication's contrast agent, or the procedure itself). The plan lists it under
``contraindicated`` with the reason in the source's words where the source has words for it ("a
contrast-enhanced CT may not be feasible"), and says in ``left_out`` what it left out and why. A step naming
several studies keeps those the patient can have and names the others (``Step.ruled_out``); a step that
repeats a ruled-out study goes.

The plan also carries the source's condition on an option that a stated fact puts in doubt ("if renal
function permits", with significant renal impairment stated), and the pitfalls the source names for the
scenario (critical ones marked).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from iakg.catalogue import run
from iakg.domain import guidance
from iakg.domain.intervals import surveillance_interval
from iakg.domain.model import PhaseNeed, Recommendation, Ref, Scenario
from iakg.domain.model_guidance import AlternativeOption, Branch, IntervalAnswer, PatientFact, Pitfall, Step
from iakg.domain.model_statements import Escalation
from iakg.rdf.engine import QueryEngine
from iakg.rdf.namespaces import IAKG
from iakg.rdf.terms import IRI


@dataclass(frozen=True)
class ContraindicatedProcedure:
    """A procedure the patient should not have: a stated fact rules it out (its agent, or the procedure)."""

    procedure: Ref
    contraindication: Ref
    agent: str
    qualifier: str | None = None  #: the source's hedge, e.g. "a contrast-enhanced CT may not be feasible"

    @property
    def reason(self) -> str:
        """Why, in the source's strength of wording: ``a contrast-enhanced CT may not be feasible (severe
        iodinated contrast allergy)``, or ``ruled out by a stated fact (contraindication to MRI)``."""
        return f"{self.qualifier or 'ruled out by a stated fact'} ({_lower(self.contraindication.label)})"


@dataclass(frozen=True)
class IndicationHit:
    """A procedure the source reserves for this situation, and the stated fact or result that triggers it."""

    indication: Ref
    procedure: Ref
    trigger: str
    qualifier: str | None = None  #: the source's hedge, e.g. "best reserved for"


@dataclass(frozen=True)
class CaveatInDoubt:
    """An option whose condition in the source ("if renal function permits") a stated fact puts in doubt."""

    procedure: Ref
    caveat: str
    key: str
    fact: str  #: the fact's label, e.g. "significant renal impairment"

    @property
    def text(self) -> str:
        """``in doubt: significant renal impairment is stated [significantRenalImpairment=true]``."""
        return f"in doubt: {self.fact} is stated [{self.key}=true]"


@dataclass(frozen=True)
class Plan:
    """What to order for an applicable scenario, adjusted for this patient."""

    scenario: Scenario
    recommendation: Recommendation
    first_choice: Ref | None
    contraindicated: tuple[ContraindicatedProcedure, ...]  #: every study the plan names that a stated fact rules out
    alternatives: tuple[AlternativeOption, ...]
    indications: tuple[IndicationHit, ...]
    interval: IntervalAnswer
    next_steps: tuple[Branch, ...]
    first_choice_caveat: str | None = None  #: the condition on the first choice (e.g. "if renal function permits")
    protocol: tuple[PhaseNeed, ...] = ()  #: the first choice's contrast phases in this scenario
    left_out: tuple[str, ...] = ()  #: studies and steps not offered to this patient, and why
    escalation: tuple[Escalation, ...] = ()
    population: Ref | None = None  #: the scenario's population group the patient is in
    pediatric: bool = False  #: that group's radiation is read on the paediatric scale
    pitfalls: tuple[Pitfall, ...] = ()  #: the pitfalls the source names for the scenario, in its order
    in_doubt: tuple[CaveatInDoubt, ...] = ()  #: options whose condition a stated fact puts in doubt

    def doubt(self, iri: str) -> CaveatInDoubt | None:
        """The stated fact that puts the condition of option ``iri`` in doubt, if any."""
        return next((d for d in self.in_doubt if d.procedure.iri == iri), None)

    def ruled_out(self, iri: str) -> ContraindicatedProcedure | None:
        """Why a stated fact rules out the study ``iri``, if it does."""
        return next((c for c in self.contraindicated if c.procedure.iri == iri), None)


def _lower(label: str) -> str:
    """A label inside a sentence: its first letter lower-cased, unless it starts an acronym (MRI, NEC)."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def ruled_out(rows: list[dict[str, Any]], stated: dict[str, Any]) -> dict[str, list[ContraindicatedProcedure]]:
    """Every procedure a stated fact rules out (rows of the ``contraindications`` query), with each reason."""
    out: dict[str, list[ContraindicatedProcedure]] = {}
    for r in rows:
        if stated.get(r["key"]) is True:
            out.setdefault(r["procedure"], []).append(ContraindicatedProcedure(
                Ref(r["procedure"], r["procedureLabel"]), Ref(r["contraindication"], r["contraindicationLabel"]),
                r["agentLabel"], r["qualifier"]))
    return out


class _Filter:
    """The one rule: a study a stated fact rules out is not offered; each one the plan names is recorded."""

    def __init__(self, barred: dict[str, list[ContraindicatedProcedure]]):
        self.barred = barred
        self.named: dict[str, list[ContraindicatedProcedure]] = {}

    def __call__(self, iri: str | None) -> ContraindicatedProcedure | None:
        """The first reason ``iri`` is ruled out (recording it), or None when the patient can have it."""
        found = self.barred.get(iri) if iri else None
        if not found:
            return None
        self.named.setdefault(iri, found)  # type: ignore[arg-type]
        return found[0]

    def contraindicated(self) -> tuple[ContraindicatedProcedure, ...]:
        return tuple(c for reasons in self.named.values() for c in reasons)


def build(engine: QueryEngine, scenario_iri: str, stated: dict[str, Any], facts: list[PatientFact],
          contraindications: list[dict[str, Any]], population: Ref | None = None, pediatric: bool = False) -> Plan:
    """The plan of an applicable scenario for a patient's stated facts (see the module's docstring)."""
    scenario = guidance.scenario(engine, scenario_iri)
    recommendation = guidance.recommend(engine, scenario)
    barred = ruled_out(contraindications, stated)
    offer = _Filter(barred)
    for p in recommendation.procedures:
        offer(p.procedure)
    active = {c.contraindication.iri for reasons in barred.values() for c in reasons}

    alternatives: list[AlternativeOption] = []
    for option in guidance.alternatives(engine, scenario):
        listed = {a.procedure.iri for a in alternatives}
        if option.contraindication.iri in active and option.procedure.iri not in listed \
                and offer(option.procedure.iri) is None:
            alternatives.append(option)
    alternatives.sort(key=lambda a: a.preference)

    best = min((p.category_rank for p in recommendation.procedures), default=None)
    first = next((Ref(p.procedure, p.label) for p in recommendation.procedures
                  if p.category_rank == best and p.procedure not in barred), None)
    caveat = None
    if first is None and alternatives:
        first, caveat = alternatives[0].procedure, alternatives[0].caveat

    left_out: list[str] = []
    hits = _indications(engine, scenario, stated, facts, offer, left_out)
    interval = surveillance_interval(engine, scenario, _notation(stated, facts, "grades"),
                                     _notation(stated, facts, "stages"), facts)
    branches = _offerable(guidance.next_steps(engine, scenario, _result(stated, facts)), offer, left_out)
    pitfalls = tuple(guidance.pitfalls(engine, scenario))
    for pitfall in pitfalls:  # the study the source names instead of an error is a study the plan names
        offer(pitfall.instead.iri if pitfall.instead is not None else None)
    phases = tuple(p for p in recommendation.protocol if first is not None and p.procedure.iri == first.iri)
    labels = {f.key: f.label for f in facts}
    in_doubt = tuple(CaveatInDoubt(a.procedure, a.caveat, a.caveat_concerns, labels.get(a.caveat_concerns,
                                                                                      a.caveat_concerns))
                     for a in alternatives if a.caveat and a.caveat_concerns and stated.get(a.caveat_concerns) is True)
    return Plan(scenario, recommendation, first, offer.contraindicated(), tuple(alternatives), tuple(hits), interval,
                branches, caveat, phases, tuple(left_out), tuple(guidance.escalation(engine, scenario)),
                population, pediatric, pitfalls, in_doubt)


def _result(stated: dict[str, Any], facts: list[PatientFact]) -> str | None:
    """The study result the patient states (the fact whose values are study results), if any."""
    fact = next((f for f in facts if f.value_class == IAKG + "StudyResult"), None)
    return stated.get(fact.key) if fact else None


def _indications(engine: QueryEngine, scenario: Scenario, stated: dict[str, Any], facts: list[PatientFact],
                 offer: _Filter, left_out: list[str]) -> list[IndicationHit]:
    """The studies the source reserves for the patient's situation (the facts or the result trigger them),
    without those a stated fact rules out (said in ``left_out``)."""
    result_fact = next((f for f in facts if f.value_class == IAKG + "StudyResult"), None)
    result = stated.get(result_fact.key) if result_fact else None
    hits: list[IndicationHit] = []
    for row in run(engine, "indications", scenario=IRI(scenario.iri)):
        trigger = None
        if row["triggerFact"] is not None and stated.get(row["triggerFact"]) is True:
            trigger = row["triggerFact"]
        elif result_fact is not None and row["triggerResult"] is not None and row["triggerResult"] == result:
            trigger = f"{result_fact.key}={result}"
        if not trigger or any(h.indication.iri == row["indication"] for h in hits):
            continue
        hit = IndicationHit(Ref(row["indication"], row["indicationLabel"]),
                            Ref(row["procedure"], row["procedureLabel"]), trigger, row["qualifier"])
        barred = offer(hit.procedure.iri)
        if barred is None:
            hits.append(hit)
            continue
        hedge = f" [source: {hit.qualifier}]" if hit.qualifier else ""
        why = f"{hit.procedure.label}, reserved for this situation ({hit.indication.label}{hedge}; because " \
              f"{hit.trigger}): {barred.reason}"
        if why not in left_out:
            left_out.append(why)
    return hits


def _offerable(branches: list[Branch], offer: _Filter, left_out: list[str]) -> tuple[Branch, ...]:
    """The branches without the studies a stated fact rules out: a step keeps the studies the patient can have
    (naming the others in ``Step.ruled_out``); a step that repeats a ruled-out study, or whose every study is
    ruled out, goes, and ``left_out`` says why."""
    kept = []
    for branch in branches:
        steps: list[Step] = []
        for step in branch.steps:
            repeated = offer(step.follow_up_of)
            if repeated is not None:
                left_out.append(f"{step.label}: it repeats {repeated.procedure.label}, and with "
                                f"{_lower(repeated.contraindication.label)} "
                                f"{repeated.qualifier or 'that study is ruled out by a stated fact'}")
                continue
            barred = [(p, c) for p in step.procedures if (c := offer(p.iri)) is not None]
            if not barred:
                steps.append(step)
                continue
            keep = tuple(p for p in step.procedures if all(p != b for b, _ in barred))
            if not keep and step.action is None:
                left_out.append(f"{step.label}: " + "; ".join(f"{p.label}: {c.reason}" for p, c in barred))
                continue
            steps.append(replace(step, procedures=keep, ruled_out=tuple(p for p, _ in barred)))
        if steps:
            kept.append(Branch(branch.result, branch.alternatives, tuple(steps)))
    return tuple(kept)


def _notation(stated: dict[str, Any], facts: list[PatientFact], kind: str) -> str | None:
    """The stated grade (``kind="grades"``) or stage group, found by the class of the fact's values."""
    wanted = IAKG + ("TumorGrade" if kind == "grades" else "TumorStageGroup")
    for fact in facts:
        if fact.value_class == wanted:
            return stated.get(fact.key)
    return None
