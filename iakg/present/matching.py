"""A patient match as a person reads it: the verdict of each scenario, then the plan for each that applies.

Every study the plan names is shown with what the stated facts do to it, in the source's strength of wording: a
study the source says "may not be feasible" is not called ruled out; a study a stated fact rules out is named
as such wherever the plan would offer it (first choice, alternatives, reserved studies, next steps); a condition
the source attaches ("if renal function permits") that a stated fact puts in doubt says so beside the study.
"""

from __future__ import annotations

from typing import Any

from iakg.present.text import _plain, hedged, protocol_lines, recommendation_text

MATCH_HEADERS = ("scenario", "status", "kind", "criterion", "key", "expected", "actual", "outcome", "redirect")


def match_rows(result: Any) -> list[tuple]:
    return [(v.scenario.iri, v.status, c.kind, c.criterion.iri, c.key, c.expected, c.actual, c.outcome,
             c.redirect.iri if c.redirect else None) for v in result.scenarios for c in v.checks]


def match_text(result: Any) -> str:
    """A patient match as a person reads it: verdicts, then the plan for each applicable scenario."""
    out = []
    for d in result.derived:
        was = f"; the file stated {d.key}={_plain(d.overrides)}" if d.overrides is not None else ""
        out.append(f"Derived: {d.key}={_plain(d.value)} because {d.evidence_key}={_plain(d.evidence_value)} "
                   f"({hedged(d.because.label, d.qualifier)}){was}")
    if result.derived:
        out.append("")
    for verdict in result.scenarios:
        out.append(f"{verdict.status.upper()}: {verdict.scenario.label}")
        for c in verdict.checks:
            if c.outcome == "not stated by the source":  # the scenario is never applied: said, not hidden
                out.append("  ? population: not stated by the source (whom it is for is unknown: never applied)")
                continue
            mark = {"holds": "+", "fails": "-", "not stated": "?"}[c.outcome]
            goes = f" -> {c.redirect.label}" if c.redirect and c.outcome == "holds" else ""
            waits = (f"; open until stated: {', '.join(c.pending)}, from which the source may establish it"
                     if c.pending else "")
            out.append(f"  {mark} {c.kind}: {c.criterion.label} [{c.key}={_plain(c.actual) or 'not stated'}{waits}]"
                       f"{goes}")
        if verdict.status == "undetermined" and verdict.missing:
            out.append("  state: " + ", ".join(verdict.missing))
    for r in result.redirects:
        uses = ", ".join(p.label for p in r.frequently_uses) or "nothing stated"
        out.append(f"\nBelongs instead to: {r.scenario.label} (frequently uses: {uses})")
    for reason in result.not_covered:
        out.append(f"\nNot covered by this source ({reason}): no rating, no plan and no doses for this patient.")
    for silent in result.not_addressed:
        out.append(f"\nNot addressed: {silent.text} [{silent.key}={_plain(silent.value)}]; {silent.effect}.")
    for plan in result.plans:
        out += _plan_lines(plan, result.not_addressed)
    # the facts that decide which scenario applies, apart from those that only decide a plan's interval
    deciding = list(dict.fromkeys(k for v in result.scenarios if v.status == "undetermined" for k in v.missing))
    interval = [k for k in result.missing if k not in deciding]
    if deciding:
        out.append("\nUndetermined: state these facts to decide which scenario applies: " + ", ".join(deciding))
    if interval:
        out.append("\nInterval undetermined: state these facts to decide how often to image: " + ", ".join(interval))
    if not result.plans and not result.redirects and not result.missing and not result.not_covered:
        out.append("\nNo scenario in the graph applies to this patient.")
    return "\n".join(out)


def interval_text(rule: Any) -> str:
    """An interval rule in the source's strength: ``such as every 6-12 months`` for an example, its hedge, and
    whose guidelines to consult (the value is not repeated when the rule's label gives it)."""
    said = hedged(rule.label, rule.qualifier)
    text = said if rule.every.split(" ")[0] in rule.label else f"{rule.text} ({said})"
    return text + (f"; {rule.consult}" if rule.consult else "")


def _first_choice(plan: Any, not_addressed: tuple[Any, ...] = ()) -> str:
    if plan.first_choice is None:
        return ("  First choice: none: stated facts rule out the best-rated studies or make them possibly not "
                "feasible, and the source gives no alternative this patient can have (see the ratings below)")
    doubt = plan.doubt(plan.first_choice.iri)
    if plan.first_choice_caveat:
        text = f"  First choice: {plan.first_choice.label}, {plan.first_choice_caveat}"
    else:
        rated = next((p for p in plan.recommendation.procedures if p.procedure == plan.first_choice.iri), None)
        text = f"  First choice: {plan.first_choice.label}" + (f" ({rated.category_text})" if rated else "")
    silent = "".join(f"; not addressed: {s.text} [{s.key}={_plain(s.value)}]" for s in not_addressed)
    return text + (f"; {doubt.text}" if doubt else "") + silent


def _step(step: Any, plan: Any) -> str:
    """One step: the source's words and hedge, the study it repeats, the studies left out for this patient."""
    text = hedged(step.label, step.qualifier)
    if step.follow_up_label:
        text += f" (repeats {step.follow_up_label})"
    if step.ruled_out:
        kept = ", ".join(p.label for p in step.procedures)
        gone = "; ".join(f"{p.label}: {why.reason}" if (why := plan.ruled_out(p.iri)) else p.label
                         for p in step.ruled_out)
        text += (f": only {kept}" if kept else "") + f" ({gone})"
    return text


def _plan_lines(plan: Any, not_addressed: tuple[Any, ...] = ()) -> list[str]:
    out = [f"\nPlan for: {plan.scenario.label}"]
    if plan.recommendation.procedures:
        out.append(_first_choice(plan, not_addressed))
        out += ["  " + line for line in protocol_lines(plan.protocol)]
    else:
        out.append("  No rated study: the source rates studies for routine surveillance only. What it says for "
                   "this situation:")
    if plan.pediatric and plan.population is not None:
        out.append(f"  Radiation: read on the paediatric scale ({plan.population.label}): the peds RRL column")
    for c in plan.contraindicated:
        what = c.agent if c.agent != c.procedure.label else "the procedure itself"
        if c.qualifier:  # the source's own strength: "may not be feasible" is not "ruled out"
            out.append(f"  May not be feasible: {c.procedure.label} (the source: {c.qualifier}; "
                       f"{c.contraindication.label.lower()}: {what})")
        else:
            out.append(f"  Ruled out by a stated fact: {c.procedure.label} ({c.contraindication.label}: {what})")
    for a in plan.alternatives:
        doubt = plan.doubt(a.procedure.iri)
        said = "; ".join(x for x in (a.caveat, doubt.text if doubt else None) if x)
        out.append(f"  Alternative {a.preference}: {a.procedure.label}" + (f" ({said})" if said else ""))
    for h in plan.indications:
        out.append(f"  Reserved for this situation: {h.procedure.label} "
                   f"({hedged(h.indication.label, h.qualifier)}; because {h.trigger})")
    interval = plan.interval
    if interval.matches or interval.missing:
        every = "; ".join(interval_text(m) for m in interval.matches)
        out.append("  Surveillance: " + (every or "cannot decide; state " + ", ".join(interval.missing)))
    for branch in plan.next_steps:
        steps = [_step(s, plan) for s in branch.steps]
        if branch.alternatives and len(steps) > 1:
            out.append(f"  If {branch.result} (one of): " + " OR ".join(steps))
        elif len(steps) > 1:  # the source gives no order: each step as hedged as the source words it
            out.append(f"  If {branch.result} (the source gives no order): " + "; ".join(steps))
        else:
            out.append(f"  If {branch.result}: " + "".join(steps))
    for why in plan.left_out:
        out.append(f"  Not offered: {why}")
    for p in plan.pitfalls:
        instead = ""
        if p.instead is not None:
            barred = plan.ruled_out(p.instead.iri)
            instead = (f" The source names instead: {p.instead.label}" + (
                f" (for this patient: {barred.reason}" + ("; see the alternatives)" if plan.alternatives else ")")
                if barred else "") + ".")
        word = "Pitfall (the source: a critical error)" if p.critical else "Pitfall"
        out.append(f"  {word}: {p.label}: {p.consequence}{instead}")
    for e in plan.escalation:
        out.append(f"  Escalate: {e.trigger} -> {e.action.label} ({e.qualifier or 'the source'})")
    out.append("\n" + recommendation_text(plan.recommendation))
    return out
