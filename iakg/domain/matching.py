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
recurrence); the answer lists each derived fact and the evidence for it. A derived fact overrides what the
patient file states, so while a rule could still fire, what the file states does not settle the fact: when no
rule fires and the fact one of them reads is not stated though a scenario's inclusion criterion tests it (a
deciding fact, e.g. symptoms concerning for recurrence), the established fact is *open* -- every check on it
is "not stated" (``CriterionCheck.pending`` names the facts it waits for), and a scenario it decides is
*undetermined*, never *not applicable*. A fact no inclusion criterion tests (a marker, the last study's
result) that is not stated leaves the stated value standing: its absence is not evidence. A patient whose stated facts
select no scenario (``{}``, or only grade and stage) is matched against every scenario with criteria, so
the answer is *undetermined* with the facts to state, never a silent "nothing applies". A patient file that
states two conditions the source treats as distinct clinical questions its workflow does not cover together
is refused, naming both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iakg.catalogue import run
from iakg.domain import guidance
from iakg.domain import patient as patient_file
from iakg.domain.model import Ref, to_dict
from iakg.domain.model_guidance import PatientFact
from iakg.domain.model_statements import DerivedFact
from iakg.domain.plans import (  # noqa: F401  (the plan's types, importable from here as before)
    CaveatInDoubt,
    ContraindicatedProcedure,
    IndicationHit,
    Plan,
    build,
)
from iakg.rdf.engine import QueryEngine
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
    #: deciding facts not stated from which a rule of the source may still establish this fact: until they are
    #: stated, the fact is open whatever the patient file says of it (outcome "not stated")
    pending: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScenarioMatch:
    """A scenario's verdict for the patient, with every condition checked."""

    scenario: Ref
    status: str
    checks: tuple[CriterionCheck, ...]

    @property
    def missing(self) -> list[str]:
        """Fact keys this scenario tests that the patient file does not state (a population group's fact only
        while the patient is in none of the groups), and the unstated facts an open fact waits for."""
        covered = self.population is not None
        return list(dict.fromkeys(k for c in self.checks if c.outcome == "not stated"
                                  and not (covered and c.kind == POPULATION)
                                  for k in ((c.key,) if c.actual is None else ()) + c.pending))

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
    """A situation the patient states that the source does not address: shown beside every rating. When the
    graph says what the stated fact rules out (``rules_out``: a contraindication on the same fact, e.g. the MRI
    studies for a contraindication to MRI), the answers leave those studies out; nothing else of the situation is
    taken into account."""

    limit: Ref
    key: str
    value: Any
    rules_out: tuple[Ref, ...] = ()

    @property
    def text(self) -> str:
        """``the source does not address pregnancy``."""
        return f"the source does not address {_lower(self.limit.label)}"

    @property
    def effect(self) -> str:
        """What the answer does with the situation, said beside it."""
        if self.rules_out:
            return ("the answer leaves out the studies the stated fact rules out (" + ", ".join(
                r.label for r in self.rules_out) + "); nothing else of it is taken into account, and the source "
                "names no alternative for it")
        return "the answer does not take it into account"


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
class MatchResult:
    """The answer for one patient: verdict per scenario, redirects, plans, and facts still needed."""

    patient: dict[str, Any]
    scenarios: tuple[ScenarioMatch, ...]
    redirects: tuple[Redirect, ...]
    plans: tuple[Plan, ...]
    missing: tuple[str, ...]
    derived: tuple[DerivedFact, ...] = ()
    not_addressed: tuple[NotAddressed, ...] = ()  #: situations the patient states that the source is silent on
    #: open facts: fact key -> the deciding facts not stated from which a rule may still establish it
    pending: dict[str, tuple[str, ...]] = field(default_factory=dict)

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
    patient_file.check(data, facts, where, places)
    stated = patient_file.values(patient_file.to_rdf(data, facts), facts)
    patient_file.check_exclusive(stated, run(engine, "exclusive-conditions"), where, places)
    derived = _derive(engine, stated)
    stated.update({d.key: d.value for d in derived})
    by_key = {f.key: f for f in facts}
    pending = open_facts(engine, stated, by_key)

    candidates = sorted({r["scenario"] for key in stated
                         for r in run(engine, "scenarios-testing-fact", fact=IRI(by_key[key].iri))})
    if not candidates:  # nothing stated selects a scenario: every scenario with criteria is undetermined
        candidates = [r["scenario"] for r in run(engine, "criteria-scenarios")]
    verdicts = tuple(verdict(run(engine, "eligibility", scenario=IRI(s)), stated, pending) for s in candidates)

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

    contraindications = run(engine, "contraindications")
    plans = tuple(build(engine, v.scenario.iri, stated, facts, contraindications,
                        v.population.criterion if v.population else None, bool(v.population and v.population.pediatric))
                  for v in verdicts if v.status == APPLICABLE)
    missing = [k for v in verdicts if v.status == UNDETERMINED for k in v.missing]
    missing += [k for p in plans for k in p.interval.missing]
    silent = {c.criterion: NotAddressed(c.criterion, c.key, c.actual,
                                               _rules_out(contraindications, c.key) if c.actual is True else ())
              for v in verdicts if v.status != NOT_COVERED
              for c in v.checks if c.kind == NOT_ADDRESSED and c.outcome == "holds"}
    return MatchResult(stated, verdicts, tuple(redirects), plans, tuple(dict.fromkeys(missing)), tuple(derived),
                       tuple(silent.values()), pending)


def _rules_out(contraindications: list[dict[str, Any]], key: str) -> tuple[Ref, ...]:
    """The procedures a contraindication on the fact ``key`` rules out (stated true)."""
    found = {r["procedure"]: Ref(r["procedure"], r["procedureLabel"]) for r in contraindications if r["key"] == key}
    return tuple(found.values())


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


def open_facts(engine: QueryEngine, stated: Mapping[str, Any], facts: Mapping[str, PatientFact]
               ) -> dict[str, tuple[str, ...]]:
    """The facts a rule of the source may still establish (see the module's docstring): established fact key
    -> the deciding facts it waits for (read by a rule, tested by an inclusion criterion, not stated). A fact
    stated or derived true is settled."""
    out: dict[str, list[str]] = {}
    for r in run(engine, "fact-evidence"):
        key, source = r["establishedKey"], r["key"]
        if stated.get(key) is True or stated.get(source) is not None or source not in facts:
            continue
        if run(engine, "scenarios-testing-fact", fact=IRI(facts[source].iri)):
            out.setdefault(key, [])
            if source not in out[key]:
                out[key].append(source)
    return {k: tuple(v) for k, v in out.items()}


def verdict(rows: list[dict[str, Any]], stated: Mapping[str, Any],
            pending: Mapping[str, tuple[str, ...]] | None = None) -> ScenarioMatch:
    """A scenario's verdict from its rows of the ``eligibility`` query and the patient's facts (see the
    module's docstring for the order of the rules); ``pending``: the open facts (:func:`open_facts`)."""
    checks = []
    for r in rows:
        expected = _expected(r["expected"])
        actual = stated.get(r["key"])
        waits = (pending or {}).get(r["key"], ())
        outcome = "not stated" if actual is None or waits else ("holds" if actual == expected else "fails")
        if r["kind"] in (OUTSIDE_SCOPE, NOT_ADDRESSED) and outcome != "holds":
            continue  # a scope limit speaks only when the patient states the situation
        redirect = Ref(r["redirectsTo"], r["redirectLabel"]) if r["redirectsTo"] else None
        checks.append(CriterionCheck(Ref(r["criterion"], r["criterionLabel"]), r["kind"], r["key"], expected,
                                     actual, outcome, redirect, r.get("altLabel"), r.get("pediatric"), waits))
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
