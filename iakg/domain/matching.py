"""Patient matching: which scenarios apply to a patient, and the plan the graph gives for each.

Every condition is a test of one patient fact against a value the graph states (the ``eligibility`` query),
with three-valued logic: a fact the patient file does not state is reported as missing, never assumed.

* **population** -- the scenario's population groups (``iakg:population``; each group names the fact and value
  that make a patient a member): the patient must be in one of them. In none: *not covered* by the source. A
  scenario that names no group (the source does not say whom it is for) is never applicable: *undetermined*,
  with the reason, whatever the patient states.
* **outside scope** -- a situation the source's topic does not cover (``iakg:ScopeLimit``, outside scope): a
  patient stating it is *not covered*.
* **exclusion** -- the patient belongs to the scenario it redirects to: *excluded*.
* **inclusion** -- must hold: *not applicable* when one fails.
* **not addressed** -- a situation the source is silent on (a scope limit that is not outside its scope): it
  changes no verdict; the answer says beside the rating that the source does not address it.

The verdict, in this order: *not covered* (no population holds, or an outside-scope situation holds),
*excluded*, *not applicable*, *undetermined* (a tested fact is not stated, or the source states no
population), else *applicable*. Scope checks count only when the patient states the situation.

Before the criteria are tested, facts the source derives from others are added (e.g. a rising
chromogranin A, symptoms concerning for recurrence or a positive study establish a suspicion of
recurrence); the answer lists each derived fact and the evidence for it. A patient whose stated facts
select no scenario (``{}``, or only grade and stage) is matched against every scenario with criteria, so
the answer is *undetermined* with the facts to state, never a silent "nothing applies". A patient file that
states two conditions the graph declares mutually exclusive is refused, naming both.
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
NOT_COVERED = "not covered"
#: kinds of check beyond inclusion and exclusion (the ``kind`` column of the ``eligibility`` query)
POPULATION, OUTSIDE_SCOPE, NOT_ADDRESSED = "population", "outside scope", "not addressed"
#: the outcome of the population check of a scenario that names no population group
UNSTATED_BY_SOURCE = "not stated by the source"


@dataclass(frozen=True)
class CriterionCheck:
    """One condition tested against the patient; ``outcome`` is ``holds``, ``fails``, ``not stated`` (the
    patient file does not state the fact) or ``not stated by the source`` (a scenario naming no population)."""

    criterion: Ref
    kind: str  #: inclusion, exclusion, population, outside scope or not addressed
    key: str
    expected: Any
    actual: Any
    outcome: str
    redirect: Ref | None = None
    plural: str | None = None  #: a population group's plural name ("adults")
    pediatric: bool | None = None  #: a population group read on the paediatric radiation scale


@dataclass(frozen=True)
class ScenarioMatch:
    """A scenario's verdict for the patient, with every condition checked."""

    scenario: Ref
    status: str
    checks: tuple[CriterionCheck, ...]

    @property
    def missing(self) -> list[str]:
        """Fact keys this scenario tests that the patient file does not state (a population group's fact only
        while the patient is in none of the groups)."""
        covered = self.population is not None
        return list(dict.fromkeys(c.key for c in self.checks if c.outcome == "not stated"
                                  and not (covered and c.kind == POPULATION)))

    @property
    def population(self) -> CriterionCheck | None:
        """The population group the patient is in, if any."""
        return next((c for c in self.checks if c.kind == POPULATION and c.outcome == "holds"), None)

    @property
    def not_covered(self) -> str | None:
        """Why the source does not cover the patient ("it is for adults"), for a *not covered* verdict."""
        if self.status != NOT_COVERED:
            return None
        outside = [c.criterion.label for c in self.checks if c.kind == OUTSIDE_SCOPE and c.outcome == "holds"]
        if outside:
            return "it does not cover " + "; ".join(_lower(label) for label in outside)
        groups = [c.plural or c.criterion.label for c in self.checks if c.kind == POPULATION]
        return "it is for " + " or ".join(dict.fromkeys(groups))


@dataclass(frozen=True)
class NotAddressed:
    """A situation the patient states that the source does not address: shown beside every rating."""

    limit: Ref
    key: str
    value: Any

    @property
    def text(self) -> str:
        """``the source does not address pregnancy``."""
        return f"the source does not address {_lower(self.limit.label)}"


def _lower(label: str) -> str:
    """A label inside a sentence: its first letter lower-cased, unless it starts an acronym (MRI, NEC)."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


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
    population: Ref | None = None  #: the scenario's population group the patient is in
    pediatric: bool = False  #: that group's radiation is read on the paediatric scale


@dataclass(frozen=True)
class MatchResult:
    """The answer for one patient: verdict per scenario, redirects, plans, and facts still needed."""

    patient: dict[str, Any]
    scenarios: tuple[ScenarioMatch, ...]
    redirects: tuple[Redirect, ...]
    plans: tuple[Plan, ...]
    missing: tuple[str, ...]
    derived: tuple[DerivedFact, ...] = ()
    not_addressed: tuple[NotAddressed, ...] = ()  #: situations the patient states that the source is silent on

    @property
    def applicable(self) -> list[Ref]:
        """The scenarios that apply to the patient."""
        return [m.scenario for m in self.scenarios if m.status == APPLICABLE]

    @property
    def not_covered(self) -> tuple[str, ...]:
        """When no scenario applies: why the source does not cover this patient ("it is for adults"), once
        per reason; empty when a scenario applies or none says so."""
        if self.plans:
            return ()
        return tuple(dict.fromkeys(v.not_covered for v in self.scenarios if v.not_covered))

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (see README, "Patient matching")."""
        form: dict[str, Any] = to_dict(self)
        return form


def match(engine: QueryEngine, source: Mapping[str, Any] | str | Path) -> MatchResult:
    """Match a patient (dict or JSON file) against the scenarios whose inclusion criteria test a stated fact."""
    data, where, places = patient_file.read_located(source)
    facts = guidance.patient_facts(engine)
    patient_file.check(data, facts, where)
    stated = patient_file.values(patient_file.to_rdf(data, facts), facts)
    patient_file.check_exclusive(stated, run(engine, "exclusive-conditions"), where, places)
    derived = _derive(engine, stated)
    stated.update({d.key: d.value for d in derived})

    by_key = {f.key: f for f in facts}
    candidates = sorted({r["scenario"] for key in stated
                         for r in run(engine, "scenarios-testing-fact", fact=IRI(by_key[key].iri))})
    if not candidates:  # nothing stated selects a scenario: every scenario with criteria is undetermined
        candidates = [r["scenario"] for r in run(engine, "criteria-scenarios")]
    verdicts = tuple(verdict(run(engine, "eligibility", scenario=IRI(s)), stated) for s in candidates)

    redirects: list[Redirect] = []
    for found in verdicts:
        if found.status != EXCLUDED:  # a patient the source does not cover is sent nowhere within it
            continue
        for check in found.checks:
            if check.kind == "exclusion" and check.outcome == "holds" and check.redirect is not None:
                uses = run(engine, "excluded-populations", scenario=IRI(found.scenario.iri),
                           criterion=IRI(check.criterion.iri))
                if any(r.scenario == check.redirect and r.because == check.criterion for r in redirects):
                    continue  # the same exclusion of several scenarios sends the patient to one place
                redirects.append(Redirect(check.redirect, check.criterion, tuple(
                    Ref(r["procedure"], r["procedureLabel"]) for r in uses if r["procedure"] is not None)))

    plans = tuple(_plan(engine, v, stated, facts) for v in verdicts if v.status == APPLICABLE)
    missing = [k for v in verdicts if v.status == UNDETERMINED for k in v.missing]
    missing += [k for p in plans for k in p.interval.missing]
    silent = {c.criterion: NotAddressed(c.criterion, c.key, c.actual) for v in verdicts if v.status != NOT_COVERED
              for c in v.checks if c.kind == NOT_ADDRESSED and c.outcome == "holds"}
    return MatchResult(stated, verdicts, tuple(redirects), plans, tuple(dict.fromkeys(missing)), tuple(derived),
                       tuple(silent.values()))


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


def verdict(rows: list[dict[str, Any]], stated: Mapping[str, Any]) -> ScenarioMatch:
    """A scenario's verdict from its rows of the ``eligibility`` query and the patient's facts (see the
    module's docstring for the order of the rules)."""
    checks = []
    for r in rows:
        expected = _expected(r["expected"])
        actual = stated.get(r["key"])
        outcome = "not stated" if actual is None else ("holds" if actual == expected else "fails")
        if r["kind"] in (OUTSIDE_SCOPE, NOT_ADDRESSED) and outcome != "holds":
            continue  # a scope limit speaks only when the patient states the situation
        redirect = Ref(r["redirectsTo"], r["redirectLabel"]) if r["redirectsTo"] else None
        checks.append(CriterionCheck(Ref(r["criterion"], r["criterionLabel"]), r["kind"], r["key"], expected,
                                     actual, outcome, redirect, r.get("altLabel"), r.get("pediatric")))
    scenario = Ref(rows[0]["scenario"], rows[0]["scenarioLabel"])
    groups = [c for c in checks if c.kind == POPULATION]
    if not groups:  # the source does not say whom the scenario is for: never a confident answer
        checks.insert(0, CriterionCheck(Ref(scenario.iri, "Population"), POPULATION, "", None, None,
                                        UNSTATED_BY_SOURCE))
    covered = {c.outcome for c in groups}
    outcomes = {(c.kind, c.outcome) for c in checks}
    if (groups and covered == {"fails"}) or (OUTSIDE_SCOPE, "holds") in outcomes:
        status = NOT_COVERED
    elif ("exclusion", "holds") in outcomes:
        status = EXCLUDED
    elif ("inclusion", "fails") in outcomes:
        status = NOT_APPLICABLE
    elif "holds" not in covered or any(c.outcome == "not stated" for c in checks if c.kind != POPULATION):
        status = UNDETERMINED
    else:
        status = APPLICABLE
    return ScenarioMatch(scenario, status, tuple(checks))


def _expected(value: Any) -> Any:
    """A criterion's expected value in the form ``patient.values`` gives (notation for a concept)."""
    return value.rsplit("/", 1)[-1] if isinstance(value, IRI) else value


def _plan(engine: QueryEngine, found: ScenarioMatch, stated: dict[str, Any], facts: list[PatientFact]) -> Plan:
    scenario = guidance.scenario(engine, found.scenario.iri)
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
    # every procedure a stated fact rules out, rated here or not (an alternative may be one)
    barred = {r["procedure"] for rows in active.values() for r in rows}
    alternatives: list[AlternativeOption] = []
    for option in guidance.alternatives(engine, scenario):
        listed = {a.procedure.iri for a in alternatives}
        if option.contraindication.iri in active and option.procedure.iri not in listed | barred:
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
    group = found.population
    return Plan(scenario, recommendation, first, contraindicated, tuple(alternatives), tuple(hits), interval,
                branches, caveat, phases, left_out, tuple(guidance.escalation(engine, scenario)),
                group.criterion if group else None, bool(group and group.pediatric))


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
