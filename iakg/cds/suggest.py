"""Suggestions for a draft order, never worse than it, and the source's reasons for a study.

**Suggestions are never worse than the order.** Every suggestion passes :func:`never_worse`: it is not the
order, no stated fact rules it out, it is not rated in the lowest category of its scheme ("Usually not
appropriate") for the scenario, and -- unless a stated fact rules the order out, when the source's alternatives
for that case are the suggestions -- it is not rated lower than the order, nor unrated beside a rated order.
When the patient states a situation the source does not address (pregnancy), "never worse" cannot be claimed:
no suggestion is marked recommended, and unless the graph says what the situation rules out (a contraindication
on the same fact), none adds radiation or a contrast agent to the order.

What the source attaches to a suggestion travels with it: its condition or hedge ("if renal function permits",
"generally not the first-line imaging modality for routine surveillance"), with the stated fact that puts the
condition in doubt ("in doubt: significant renal impairment is stated"), its reason in this situation, the
protocol it gives the study (multiphasic, late arterial + portal venous phases, essential) and the pitfall it
names about ordering the study otherwise (a CT without IV contrast is a critical error). A step that repeats a
study (the short-interval follow-up CT) is suggested as that study, with the step as its reason.

Candidates come from :func:`contraindication_alternatives` (the source's alternatives when a stated fact rules
contrast out), :func:`better` (better rated, or same rated with less radiation) and
:func:`situation_options` (what the source says to do in the patient's situation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from iakg.cds.graph import GraphView
from iakg.domain.matching import NotAddressed
from iakg.domain.model import RatedProcedure, Ref
from iakg.domain.model_guidance import AlternativeOption, Branch, Step
from iakg.domain.plans import Plan
from iakg.rdf.namespaces import IAKG

MAX_SUGGESTIONS = 4


@dataclass(frozen=True)
class Alternative:
    """A procedure to order instead, why, and what the source attaches to it."""

    procedure: Ref
    why: str
    recommended: bool = False
    category_text: str | None = None
    condition: str | None = None  #: the source's condition or caveat, e.g. "if renal function permits"
    reason: str | None = None  #: the source's reason for it in this situation, with its hedge
    protocol: str | None = None  #: the protocol the source gives it, e.g. "multiphasic: ... (the source: essential)"
    pitfall: str | None = None  #: the error the source names about ordering it otherwise
    doubt: str | None = None  #: a stated fact puts its condition in doubt ("in doubt: significant renal ...")


def lower(label: str) -> str:
    """A label inside a sentence: first letter lower-cased, unless it starts an acronym (MRI, NEC)."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _names(step: Step, iri: str) -> bool:
    """Whether a step names a study: among its procedures, or as the study it repeats."""
    return step.follow_up_of == iri or any(p.iri == iri for p in step.procedures)


def _step_reason(step: Step) -> str:
    hedge = f" (the source: \"{step.qualifier}\")" if step.qualifier else ""
    repeats = f", repeating {step.follow_up_label}" if step.follow_up_of and step.follow_up_label else ""
    return f"{step.label}{hedge}{repeats}"


def reasons(plan: Plan, iri: str, result: str | None) -> list[str]:
    """Why the source orders ``iri`` in this situation: the indications the facts trigger, and the steps of the
    branch of the stated study result that name it (each with the source's hedge)."""
    out = [f"{hit.indication.label}" + (f" (the source: \"{hit.qualifier}\")" if hit.qualifier else "")
           + f" [{hit.trigger}]" for hit in plan.indications if hit.procedure.iri == iri]
    for branch in stated_branches(plan, result):
        for step in branch.steps:
            if _names(step, iri):
                out.append(f"{_step_reason(step)} [last study: {branch.result}]")
    return list(dict.fromkeys(out))


def stated_branches(plan: Plan, result: str | None) -> list[Branch]:
    """The plan's branches of the study result the patient states (none when no result is stated)."""
    return [b for b in plan.next_steps if result is not None and b.result == result]


def stated_result(view: GraphView, patient: dict[str, Any]) -> str | None:
    """The study result the patient states (the fact whose values are study results), if any."""
    key = next((f.key for f in view.facts() if f.value_class == IAKG + "StudyResult"), None)
    value = patient.get(key) if key else None
    return value if isinstance(value, str) else None


def contraindication_alternatives(plan: Plan, patient: dict[str, Any], before: int | None = None
                                   ) -> list[Alternative]:
    """The source's alternatives for the stated contraindications (those no stated fact rules out), in its order
    of preference; the first is recommended unless a stated fact puts its caveat in doubt."""
    out: list[Alternative] = []
    for a in plan.alternatives:
        if before is not None and a.preference >= before:
            continue
        doubt = plan.doubt(a.procedure.iri) is not None
        which = "preferred alternative" if a.preference == 1 else "alternative"
        out.append(Alternative(a.procedure, f"the source's {which} when {when_contraindicated(a)}",
                               not out and not doubt, None, a.caveat))
    return out


def when_contraindicated(option: AlternativeOption) -> str:
    """The case of a contrast alternative in the source's strength of wording: ``a contrast-enhanced CT may not
    be feasible (significant renal impairment)`` where the source hedges, else ``<the contraindication> rules out
    <the agent>``."""
    if option.contraindication_hedge:
        return f"{option.contraindication_hedge} ({lower(option.contraindication.label)})"
    return f"{lower(option.contraindication.label)} rules out {option.agent}"


def _radiation(p: RatedProcedure) -> int | None:
    return p.radiation.rank if p.radiation is not None else None


def better(plan: Plan, ordered: RatedProcedure, patient: dict[str, Any]) -> list[Alternative]:
    """Better-rated procedures, or same-rated ones with a lower stated radiation level, with the condition the
    source attaches to each (its rating's condition, or its caveat as an alternative)."""
    caveats = {a.procedure.iri: a for a in plan.alternatives}
    mine = _radiation(ordered)
    out: list[Alternative] = []
    for p in plan.recommendation.procedures:
        theirs = _radiation(p)
        if p.category_rank < ordered.category_rank:
            why = f"better rated: {p.category_text}"
        elif p.category_rank == ordered.category_rank and mine is not None and theirs is not None and theirs < mine:
            why = f"same rating ({p.category_text}), lower radiation ({p.radiation.symbol if p.radiation else ''})"
        else:
            continue
        alt = caveats.get(p.procedure)
        condition = p.condition or (alt.caveat if alt else None)
        doubt = plan.doubt(p.procedure) is not None
        out.append(Alternative(Ref(p.procedure, p.label), why, not doubt, p.category_text, condition))
    return out


def situation_options(plan: Plan, result: str | None, view: GraphView, fallback: bool = True) -> list[Alternative]:
    """What the source says to do in this situation (the indications the facts trigger, the options of the
    stated result's branch: all of them, none preferred), else (with ``fallback``) the scenario's best-rated
    studies. A step that repeats a study is offered as that study."""
    out: list[Alternative] = []
    for branch in stated_branches(plan, result):
        for step in branch.steps:
            why = f"what the source says when the last study is {branch.result}"
            if step.follow_up_of:
                out.append(Alternative(Ref(step.follow_up_of, step.follow_up_label or step.follow_up_of), why,
                                       reason=_step_reason(step)))
                continue
            for p in step.procedures:
                out.append(Alternative(p, why, reason=_step_reason(step)))
    for hit in plan.indications:
        reason = f"{hit.indication.label}" + (f" (the source: \"{hit.qualifier}\")" if hit.qualifier else "")
        out.append(Alternative(hit.procedure, "what the source says for this situation", reason=reason))
    if out or not fallback:
        return out
    rated = [p for p in plan.recommendation.procedures if not view.lowest(p.category)]
    best = min((p.category_rank for p in rated), default=None)
    return [Alternative(Ref(p.procedure, p.label), f"rated {p.category_text} for this scenario", not i,
                        p.category_text, p.condition)
            for i, p in enumerate(p for p in rated if p.category_rank == best)]


def _adds_exposure(view: GraphView, order: str, candidate: str) -> bool:
    """Whether ``candidate`` may add radiation or a contrast agent to what ``order`` gives the patient: a higher
    (or unstated) radiation level than the order's (an unstated order level counts as none), a level the graph
    flags as inconsistent in its source (``iakg:sourceInconsistency`` on the candidate: the source may call its
    dose higher than its level says, so the level is no bound), or an agent the order does not use."""
    procedures = view.procedures()
    mine, theirs = procedures.get(order), procedures.get(candidate)
    mine_rank = mine.radiation.rank if mine is not None and mine.radiation is not None else None
    their_rank = theirs.radiation.rank if theirs is not None and theirs.radiation is not None else None
    if their_rank is None or their_rank > (mine_rank or 0):
        return True
    if their_rank > 0 and candidate in view.flagged():  # a level the source contradicts may be higher
        return True
    return not view.contrast_agents(candidate) <= view.contrast_agents(order)


def _pitfall_note(plan: Plan, iri: str) -> str | None:
    """The error the source names about ordering this study otherwise (a pitfall naming it instead)."""
    notes = [f"{p.label} is {'a critical error' if p.critical else 'a pitfall'} (the source): {p.consequence}"
             for p in plan.pitfalls if p.instead is not None and p.instead.iri == iri]
    return " ".join(notes) or None


def never_worse(candidates: list[Alternative], plan: Plan, ordered: RatedProcedure | None, iri: str,
                barred: dict[str, str], view: GraphView, order_ruled_out: bool,
                result: str | None = None, silent: Sequence[NotAddressed] = ()
                ) -> tuple[list[Alternative], list[Alternative]]:
    """The suggestions that are never worse than the order (see the module's docstring), each once, at most
    :data:`MAX_SUGGESTIONS`, one recommended at most; and the candidates withheld because the patient states a
    situation the source does not address."""
    rated = {p.procedure: p for p in plan.recommendation.procedures}
    unaccounted = [s for s in silent if not s.rules_out]
    out: list[Alternative] = []
    withheld: list[Alternative] = []
    for a in candidates:
        target = a.procedure.iri
        if target == iri or target in barred or any(o.procedure.iri == target for o in out + withheld):
            continue
        mine = rated.get(target)
        if mine is not None and view.lowest(mine.category):
            continue
        if ordered is not None and not order_ruled_out and (mine is None or mine.category_rank > ordered.category_rank):
            continue
        if unaccounted and _adds_exposure(view, iri, target):
            withheld.append(a)
            continue
        reason = a.reason or next(iter(reasons(plan, target, result)), None)
        doubt = plan.doubt(target)
        recommended = a.recommended and not doubt and not silent and not any(o.recommended for o in out)
        out.append(replace(a, recommended=recommended, doubt=doubt.text if doubt else a.doubt,
                           category_text=a.category_text or (mine.category_text if mine else None),
                           condition=a.condition or (mine.condition if mine else None), reason=reason,
                           protocol=view.protocol(target, plan.scenario.iri),
                           pitfall=_pitfall_note(plan, target)))
    return out[:MAX_SUGGESTIONS], withheld
