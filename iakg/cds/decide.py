"""One draft order against the graph: which procedure it is, which scenario applies, the rating, alternatives.

A decision is one of five kinds:

* ``rated`` -- a scenario that applies to the patient rates the ordered procedure;
* ``unrated`` -- a scenario applies, but does not rate this procedure (no criteria apply to the order);
* ``missing`` -- scenarios rate the procedure, but facts needed to tell whether one applies are not stated
  (no rating: the card names the facts that would decide);
* ``no-criteria`` -- nothing in the graph applies to this order for this patient;
* ``unmapped`` -- the order's code is neither one the graph holds nor one the site mapping lists.

Matching is ``iakg.domain.matching.match``: whatever it says (derived facts, exclusions) the service says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iakg.cds.fhir import LOINC, URI_SYSTEM, Facts, procedure_codings
from iakg.cds.graph import GraphView
from iakg.cds.mapping import Mapping
from iakg.domain.matching import APPLICABLE, UNDETERMINED, MatchResult, Plan, ScenarioMatch, match
from iakg.domain.model import RatedProcedure, Ref
from iakg.rdf.namespaces import expand

RATED, UNRATED, MISSING, NO_CRITERIA, UNMAPPED = "rated", "unrated", "missing", "no-criteria", "unmapped"


@dataclass(frozen=True)
class Alternative:
    """A procedure to order instead, and why (better rated, less radiation, or the preferred alternative)."""

    procedure: Ref
    why: str
    recommended: bool = False
    category_text: str | None = None


@dataclass
class Decision:
    """The answer for one draft ServiceRequest."""

    order: dict
    kind: str
    procedure: Ref | None = None
    pama: str | None = None
    plan: Plan | None = None
    rated: RatedProcedure | None = None
    verdict: ScenarioMatch | None = None
    contraindication: str | None = None
    hedge: str | None = None  #: the source's own wording of the contraindication, e.g. "may not be feasible"
    alternatives: list[Alternative] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    considered: list[ScenarioMatch] = field(default_factory=list)
    match: MatchResult | None = None
    facts: Facts = field(default_factory=Facts)


def identify(order: dict, view: GraphView, mapping: Mapping) -> str | None:
    """The graph's procedure IRI for a ServiceRequest's code: a LOINC code the graph holds, the procedure's IRI
    (system ``urn:ietf:rfc:3986``), or a site-mapped local code."""
    known = view.procedures()
    for system, code, _ in procedure_codings(order):
        if system == LOINC and code in view.loinc():
            return view.loinc()[code]
        if system == URI_SYSTEM and code in known:
            return code
        target = mapping.orders.get((system, code))
        if target is not None:
            target = expand(target)
            if target in known:
                return target
    return None


def decide(order: dict, facts: Facts, view: GraphView, mapping: Mapping) -> Decision:
    """The decision for one draft order, given the facts read for the patient and this order."""
    iri = identify(order, view, mapping)
    if iri is None:
        return Decision(order, UNMAPPED, facts=facts)
    procedure = Ref(iri, view.label(iri))
    if set(facts.values) & view.selecting_keys():
        result = match(view.engine, dict(facts.values))
    else:
        # No stated fact can select a scenario: match would test every scenario of the graph (all undetermined),
        # thousands at catalogue scale. The card needs only the scenarios rating this procedure (below).
        result = MatchResult(dict(facts.values), (), (), (), ())
    decision = Decision(order, NO_CRITERIA, procedure, match=result, facts=facts)

    rating_plans = [(plan, p) for plan in result.plans for p in plan.recommendation.procedures if p.procedure == iri]
    if rating_plans:
        plan, rated = min(rating_plans, key=lambda pr: pr[1].category_rank)
        decision.kind, decision.plan, decision.rated = RATED, plan, rated
        decision.verdict = _verdict(result, plan.scenario.iri)
        decision.pama = mapping.rating(rated.category)
        hit = next((c for c in plan.contraindicated if c.procedure.iri == iri), None)
        if hit is not None:
            decision.contraindication = hit.contraindication.label[:1].lower() + hit.contraindication.label[1:]
            decision.hedge = hit.qualifier
            decision.alternatives = [Alternative(a.procedure, _preferred(a.contraindication.label, a.caveat),
                                                 i == 0) for i, a in enumerate(plan.alternatives)]
        else:
            decision.alternatives = _better(plan, rated)
        return decision

    if result.plans:
        plan = result.plans[0]
        decision.kind, decision.plan, decision.pama = UNRATED, plan, "no-criteria-apply"
        decision.verdict = _verdict(result, plan.scenario.iri)
        ruled_out = {c.procedure.iri for c in plan.contraindicated}
        best = [p for p in plan.recommendation.procedures if p.procedure not in ruled_out]
        decision.alternatives = [Alternative(Ref(p.procedure, p.label), f"rated {p.category_text} for this scenario",
                                             i == 0, p.category_text) for i, p in enumerate(best[:3])]
        return decision

    verdicts = {v.scenario.iri: v for v in result.scenarios}
    missing: list[str] = []
    for scenario in view.rated_in(iri):
        verdict = verdicts.get(scenario)
        if verdict is not None:
            decision.considered.append(verdict)
            if verdict.status == UNDETERMINED:
                missing += verdict.missing
        else:  # no stated fact is tested by this scenario: every fact it tests would decide
            keys = [r["key"] for r in view.criteria(scenario) if r["key"] not in facts.values]
            missing += keys
    decision.considered += [v for v in result.scenarios if v not in decision.considered]
    if missing:
        decision.kind, decision.missing = MISSING, list(dict.fromkeys(missing))
    else:
        decision.pama = "no-criteria-apply"
    return decision


def _verdict(result: MatchResult, scenario: str) -> ScenarioMatch | None:
    return next((v for v in result.scenarios if v.scenario.iri == scenario and v.status == APPLICABLE), None)


def _preferred(contraindication: str, caveat: str | None) -> str:
    return "the source's preferred alternative" + (f"; {caveat}" if caveat else "")


def _radiation(p: RatedProcedure) -> int | None:
    return p.radiation.rank if p.radiation is not None else None


def _better(plan: Plan, ordered: RatedProcedure) -> list[Alternative]:
    """Better-rated procedures, or same-rated ones with a lower stated radiation level (at most three)."""
    ruled_out = {c.procedure.iri for c in plan.contraindicated}
    mine = _radiation(ordered)
    out: list[Alternative] = []
    for p in plan.recommendation.procedures:
        if p.procedure == ordered.procedure or p.procedure in ruled_out:
            continue
        theirs = _radiation(p)
        if p.category_rank < ordered.category_rank:
            why = f"better rated: {p.category_text}"
        elif p.category_rank == ordered.category_rank and mine is not None and theirs is not None and theirs < mine:
            why = f"same rating ({p.category_text}), lower radiation ({p.radiation.symbol if p.radiation else ''})"
        else:
            continue
        if p.condition:
            why += f"; {p.condition}"
        out.append(Alternative(Ref(p.procedure, p.label), why, not out, p.category_text))
    return out[:3]


def describe_value(value: Any) -> str:
    """A fact value as the card prints it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
