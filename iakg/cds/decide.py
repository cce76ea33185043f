"""One draft order against the graph: which procedure it is, which scenario applies, the rating, alternatives.

A decision is one of six kinds:

* ``rated`` -- a scenario that applies to the patient rates the ordered procedure;
* ``unrated`` -- a scenario applies, but does not rate this procedure (no criteria apply to the order);
* ``missing`` -- scenarios rate the procedure, but facts needed to tell whether one applies are not stated, or
  the source does not state whom such a scenario is for (no rating: the card says which);
* ``not-covered`` -- the patient is outside what the source covers (its population, or a situation outside its
  scope): no rating from it (``no-criteria-apply``);
* ``no-criteria`` -- nothing in the graph applies to this order for this patient;
* ``unmapped`` -- the order's code is neither one the graph holds nor one the site mapping lists.

Matching is ``iakg.domain.matching.match``: whatever it says (population, derived facts, exclusions, scope) the
service says. On top of the rating, a decision carries what the source says about the order itself: a pitfall
it names (critical where the source says so), a stated fact that rules the order out, a caveat of the order
that a stated fact puts in doubt, the source's reason for the order, situations the source does not address.

Suggestions are :mod:`iakg.cds.suggest`'s: never worse than the order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import product
from typing import Any

from iakg.cds.fhir import LOINC, URI_SYSTEM, Facts, procedure_codings
from iakg.cds.graph import GraphView
from iakg.cds.mapping import Mapping
from iakg.cds.suggest import (
    Alternative,
    better,
    contraindication_alternatives,
    lower,
    never_worse,
    reasons,
    situation_options,
    stated_result,
    when_contraindicated,
)
from iakg.domain.matching import (
    APPLICABLE,
    NOT_COVERED,
    UNDETERMINED,
    UNSTATED_BY_SOURCE,
    MatchResult,
    NotAddressed,
    ScenarioMatch,
    match,
    verdict,
)
from iakg.domain.model import RatedProcedure, Ref
from iakg.domain.plans import Plan, ruled_out
from iakg.errors import InputError
from iakg.rdf.namespaces import expand

RATED, UNRATED, MISSING, NO_CRITERIA, UNMAPPED = "rated", "unrated", "missing", "no-criteria", "unmapped"
#: at most this many missing facts are tried, each value, to tell whether the source calls an order a critical
#: error whichever values they take (2**4 matches of a patient at most)
MAX_OPEN = 4
NOT_COVERED_KIND = "not-covered"
#: every kind a decision may be (each outcome table, e.g. coverage's, names them all)
KINDS = (RATED, UNRATED, MISSING, NOT_COVERED_KIND, NO_CRITERIA, UNMAPPED)


@dataclass(frozen=True)
class PitfallHit:
    """A pitfall the source names about the ordered procedure, in the scenario that applies."""

    pitfall: Ref
    consequence: str
    critical: bool
    quote: str | None
    section: str | None
    source: str | None
    instead: Ref | None
    instead_ruled_out: str | None = None  #: why a stated fact rules the study instead out, in the source's words
    undetermined: Ref | None = None  #: the pitfall's scenario, when facts to tell whether it applies are missing


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
    contraindication: str | None = None  #: a stated contraindication that rules the ordered procedure out
    hedge: str | None = None  #: the source's own wording of the contraindication, e.g. "may not be feasible"
    alternatives: list[Alternative] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    considered: list[ScenarioMatch] = field(default_factory=list)
    match: MatchResult | None = None
    facts: Facts = field(default_factory=Facts)
    pitfalls: list[PitfallHit] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  #: why the source orders this study in this situation
    condition: str | None = None  #: a caveat of the ordered study that a stated fact puts in doubt
    role: str | None = None  #: the ordered study as the source's alternative when contrast is ruled out
    not_addressed: list[NotAddressed] = field(default_factory=list)
    not_covered: list[str] = field(default_factory=list)  #: why the source does not cover the patient
    unstated_population: list[Ref] = field(default_factory=list)  #: scenarios whose population is not stated
    exclusive: list[str] = field(default_factory=list)  #: facts of distinct questions stated together, not used
    conflicting: list[str] = field(default_factory=list)  #: the keys of those facts (stated: not missing)
    reading: Any = None  #: an iakg.cds.text.TextReading when facts were read from the order's free text
    protocol: str | None = None  #: the protocol the source gives the ordered study in the scenario
    withheld: list[Alternative] = field(default_factory=list)  #: not suggested: a situation the source is silent on
    from_source: bool = False  #: the suggestions are the source's alternatives for the stated contraindication
    #: facts are missing, but whichever values they take a scenario that then applies names a critical pitfall
    #: about the order: the source calls it a critical error whichever scenario applies
    critical_every_way: bool = False


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
    stated, clashes, conflicting = _without_exclusive(dict(facts.values), view)
    if set(stated) & view.selecting_keys():
        result = match(view.engine, stated)
    else:
        # No stated fact can select a scenario: match would test every scenario of the graph (all undetermined),
        # thousands at catalogue scale. The card needs only the scenarios rating this procedure (below).
        result = MatchResult(stated, (), (), (), ())
    decision = Decision(order, NO_CRITERIA, procedure, match=result, facts=facts, exclusive=clashes,
                        conflicting=conflicting, not_addressed=list(result.not_addressed))
    patient = result.patient
    barred = view.barred(patient)
    if iri in barred:
        decision.contraindication = lower(barred[iri])
        decision.hedge = next((r["qualifier"] for r in view.contraindications() if r["procedure"] == iri
                               and patient.get(r["key"]) is True and r["qualifier"]), None)

    rating_plans = [(plan, p) for plan in result.plans for p in plan.recommendation.procedures if p.procedure == iri]
    if rating_plans:
        plan, rated = min(rating_plans, key=lambda pr: pr[1].category_rank)
        decision.kind, decision.plan, decision.rated = RATED, plan, rated
        decision.verdict = _verdict(result, plan.scenario.iri)
        decision.pama = mapping.rating(rated.category)
        _about_the_order(decision, plan, view, patient)
        candidates = contraindication_alternatives(plan, patient) if decision.contraindication else []
        decision.from_source = bool(candidates)
        if decision.contraindication and not candidates:  # none for this case: what the source says for the situation
            candidates = situation_options(plan, stated_result(view, patient), view, fallback=False)
        if not decision.reasons:  # an order the source reserves for this very situation is not second-guessed
            candidates += better(plan, rated, patient)
        decision.alternatives, decision.withheld = never_worse(
            candidates, plan, rated, iri, barred, view, bool(decision.contraindication), stated_result(view, patient),
            decision.not_addressed)
        return decision

    if result.plans:
        plan = result.plans[0]
        decision.kind, decision.plan, decision.pama = UNRATED, plan, "no-criteria-apply"
        decision.verdict = _verdict(result, plan.scenario.iri)
        _about_the_order(decision, plan, view, patient)
        own = next((a for a in plan.alternatives if a.procedure.iri == iri), None)
        result_stated = stated_result(view, patient)
        if decision.pitfalls:
            named, options = _instead_of_errors(decision, plan, barred, view, patient)
            candidates = named + options
        elif own is not None:  # the order is itself an alternative of the source: only a preferred one, if safe
            candidates = [a for a in contraindication_alternatives(plan, patient, before=own.preference)
                          if a.recommended]
        else:
            candidates = situation_options(plan, result_stated, view)
        decision.alternatives, decision.withheld = never_worse(
            candidates, plan, None, iri, barred, view, bool(decision.contraindication), result_stated,
            decision.not_addressed)
        # Another scenario that rates the order may apply (facts missing, or its population not stated): then
        # "no criteria apply" would be a guess, and no rating is attached.
        decision.missing = _raters(decision, iri, {v.scenario.iri: v for v in result.scenarios}, stated, view)
        if decision.missing or decision.unstated_population:
            decision.pama = None
        decision.missing = [k for k in decision.missing if k not in conflicting]
        return decision

    verdicts = {v.scenario.iri: v for v in result.scenarios}
    missing = [k for k in _raters(decision, iri, verdicts, stated, view) if k not in conflicting]
    # A pitfall of a scenario that may apply (facts missing) is said too, as a warning: the order may be the
    # mistake the source names, and no rating is given either way.
    for row in view.pitfalls(iri):
        found = verdicts.get(row["scenario"])
        if found is None and (rows := view.criteria(row["scenario"])):
            found = verdict(rows, stated)
        if found is None or found.status != UNDETERMINED or not found.missing:
            continue
        instead = Ref(row["instead"], row["insteadLabel"]) if row["instead"] else None
        decision.pitfalls.append(PitfallHit(Ref(row["pitfall"], row["pitfallLabel"]), row["consequence"],
                                            row["critical"] is True, row["quote"], row["section"],
                                            row["sourceTitle"] or row["source"], instead, None, found.scenario))
        missing += [k for k in found.missing if k not in conflicting]
        if found not in decision.considered:
            decision.considered.append(found)
    decision.considered += [v for v in result.scenarios if v not in decision.considered]
    if decision.pitfalls:
        _critical_every_way(decision, stated, view)
    covered = list(result.not_covered) or list(dict.fromkeys(
        v.not_covered for v in decision.considered if v.status == NOT_COVERED and v.not_covered))
    undecided = conflicting and any(set(v.missing) & set(conflicting) for v in decision.considered)
    if missing or decision.unstated_population or undecided:
        decision.kind, decision.missing = MISSING, list(dict.fromkeys(missing))
    elif covered:
        decision.kind, decision.not_covered, decision.pama = NOT_COVERED_KIND, covered, "no-criteria-apply"
    else:
        decision.pama = "no-criteria-apply"
    return decision


def _instead_of_errors(decision: Decision, plan: Plan, barred: dict[str, str], view: GraphView,
                       patient: dict[str, Any]) -> tuple[list[Alternative], list[Alternative]]:
    """The study the source names instead of the order's error (else, when a stated fact rules it out, the
    source's alternatives for that case); and what the source says for the situation (a suspicion of
    recurrence, a positive study), when it says something: then none is preferred."""
    options = situation_options(plan, stated_result(view, patient), view, fallback=False)
    candidates = [Alternative(p.instead, "what the source recommends instead of this error", not options)
                  for p in decision.pitfalls if p.instead is not None and p.instead.iri not in barred]
    if not candidates:
        candidates = contraindication_alternatives(plan, patient)
        decision.from_source = bool(candidates)
    return candidates, options


def _critical_every_way(decision: Decision, stated: dict[str, Any], view: GraphView) -> None:
    """Facts are missing, yet whichever values they take, a scenario that then applies calls the order a
    critical error (every scenario the patient may still be in names it, and no value leaves the patient outside
    all of them): the card says so (critical), and suggests what each of those plans offers instead, never worse
    in any. With more than :data:`MAX_OPEN` facts missing, or none, nothing is claimed."""
    iri = decision.procedure.iri if decision.procedure else ""
    possible = [v for v in decision.considered if v.status in (APPLICABLE, UNDETERMINED)]
    missing = list(dict.fromkeys(k for v in possible for k in v.missing))
    facts = {f.key: f for f in view.facts()}
    if not possible or not missing or len(missing) > MAX_OPEN or any(k not in facts for k in missing):
        return
    critical = {r["scenario"] for r in view.pitfalls(iri) if r["critical"] is True}
    domains = [list(facts[k].values) if facts[k].values else [True, False] for k in missing]
    offered: list[list[Alternative]] = []
    withheld: list[Alternative] = []
    for values in product(*domains):
        try:
            answer = match(view.engine, stated | dict(zip(missing, values)))
        except InputError:  # values the graph declares mutually exclusive: no patient states them
            continue
        erring = [plan for plan in answer.plans if plan.scenario.iri in critical]
        if not erring:
            return
        patient = answer.patient
        barred = view.barred(patient)
        for plan in erring:
            scoped = replace(decision, pitfalls=[p for p in decision.pitfalls if p.undetermined is not None
                                                  and p.undetermined.iri == plan.scenario.iri])
            named, options = _instead_of_errors(scoped, plan, barred, view, patient)
            kept, held = never_worse(named + options, plan, None, iri, barred, view, iri in barred,
                                     stated_result(view, patient), answer.not_addressed)
            decision.from_source = decision.from_source or scoped.from_source
            # what the source says for the situation differs with the scenario: only the studies named instead
            # of the error (or the source's alternatives for a stated contraindication) are offered
            offered.append([k for k in kept if any(n.procedure == k.procedure for n in named)])
            withheld += [h for h in held if all(w.procedure != h.procedure for w in withheld)]
    if not offered:
        return
    decision.critical_every_way = True
    decision.withheld = withheld
    reasons_out = ruled_out(view.contraindications(), stated)
    decision.pitfalls = [replace(p, instead_ruled_out=reasons_out[p.instead.iri][0].reason)
                         if p.instead is not None and p.instead.iri in reasons_out else p for p in decision.pitfalls]
    decision.alternatives = []
    for a in offered[0]:
        same = [b for other in offered for b in other if b.procedure == a.procedure]
        if len(same) < len(offered):
            continue  # not offered whichever scenario applies
        decision.alternatives.append(replace(
            a, recommended=all(b.recommended for b in same),
            reason=a.reason if all(b.reason == a.reason for b in same) else None,
            protocol=a.protocol if all(b.protocol == a.protocol for b in same) else None))


def _raters(decision: Decision, iri: str, verdicts: dict[str, ScenarioMatch], stated: dict[str, Any],
            view: GraphView) -> list[str]:
    """Check the scenarios that rate ``iri`` (those no stated fact selected, on their own rows): each goes to
    ``decision.considered``; those whose population the source does not state to ``unstated_population``. The
    facts that would decide the undetermined ones, once each."""
    missing: list[str] = []
    for scenario in view.rated_in(iri):
        found = verdicts.get(scenario)
        if found is None:  # no stated fact is tested by this scenario: check it on its own rows
            rows = view.criteria(scenario)
            if not rows:
                continue
            found = verdict(rows, stated)
        if found.status == APPLICABLE:
            continue
        decision.considered.append(found)
        if found.status == UNDETERMINED:
            missing += found.missing
            if any(c.outcome == UNSTATED_BY_SOURCE for c in found.checks):
                decision.unstated_population.append(found.scenario)
    return list(dict.fromkeys(missing))


def _without_exclusive(stated: dict[str, Any], view: GraphView) -> tuple[dict[str, Any], list[str], list[str]]:
    """The facts without those of distinct clinical questions the workflow does not cover together (the
    graph's ``iakg:ExclusiveConditions``), why each went, and their keys: stated, so conflicting rather than
    missing (a patient file stating them is refused; from an EHR they are reported and not used)."""
    holding: dict[str, list[dict[str, Any]]] = {}
    for row in view.exclusive():
        if row["key"] in stated and stated[row["key"]] == row["expected"]:
            holding.setdefault(row["set"], []).append(row)
    notes, keys = [], []
    for rows in holding.values():
        if len(rows) > 1:
            named = " and ".join(f"`{r['key']}`={describe_value(r['expected'])}" for r in rows)
            which = "; ".join(r["conditionLabel"] for r in rows)
            notes.append(f"{named} are distinct clinical questions ({which}), each with its own imaging pathway "
                         f"in the source, which this workflow does not cover together: not used")
            for r in rows:
                stated.pop(r["key"], None)
                keys.append(r["key"])
    return stated, notes, keys


def _verdict(result: MatchResult, scenario: str) -> ScenarioMatch | None:
    return next((v for v in result.scenarios if v.scenario.iri == scenario and v.status == APPLICABLE), None)


def _about_the_order(decision: Decision, plan: Plan, view: GraphView, patient: dict[str, Any]) -> None:
    """What the source says about the ordered procedure in the plan's scenario: pitfalls, reasons, its role as
    an alternative, and a caveat of it that a stated fact puts in doubt."""
    iri = decision.procedure.iri if decision.procedure else ""
    for row in view.pitfalls(iri):
        if row["scenario"] == plan.scenario.iri and all(p.pitfall.iri != row["pitfall"] for p in decision.pitfalls):
            instead = Ref(row["instead"], row["insteadLabel"]) if row["instead"] else None
            barred = ruled_out(view.contraindications(), patient).get(row["instead"], [None])[0] \
                if row["instead"] else None
            decision.pitfalls.append(PitfallHit(Ref(row["pitfall"], row["pitfallLabel"]), row["consequence"],
                                                row["critical"] is True, row["quote"], row["section"],
                                                row["sourceTitle"] or row["source"], instead,
                                                barred.reason if barred else None))
    decision.reasons = reasons(plan, iri, stated_result(view, patient))
    decision.protocol = view.protocol(iri, plan.scenario.iri)
    own = next((a for a in plan.alternatives if a.procedure.iri == iri), None)
    if own is not None:
        decision.role = (f"the source's {'preferred ' if own.preference == 1 else ''}alternative when "
                         f"{when_contraindicated(own)}" + (f": {own.caveat}" if own.caveat else ""))
        if own.caveat and own.caveat_concerns and patient.get(own.caveat_concerns) is True:
            decision.condition = own.caveat


def describe_value(value: Any) -> str:
    """A fact value as the card prints it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)

