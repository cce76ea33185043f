"""What a card says before and after its rating: the warnings a clinician must see first (a pitfall the source
names, a stated contraindication, a caveat in doubt, situations the source does not address), the source's
reasons for the order and the suggestions in full, and the card's indicator."""

from __future__ import annotations

from iakg.cds.decide import Decision, describe_value
from iakg.cds.suggest import lower


def indicator(d: Decision, made: str, lowest: bool) -> str:
    """The card's indicator: critical where the source calls the order a critical error; warning for another
    pitfall, a stated contraindication, a caveat in doubt, a situation the source does not address, a rating
    in the lowest category of its scheme, or a patient the source does not cover; else what the card said. With
    facts missing, the card is critical when every scenario the patient may still be in calls the order a critical
    error."""
    if d.critical_every_way or any(p.critical and p.undetermined is None for p in d.pitfalls):
        return "critical"
    if d.pitfalls or d.contraindication or d.condition or d.not_addressed or lowest or made == "warning":
        return "warning"
    return made


def warnings(d: Decision) -> list[str]:
    """What the clinician must see first: a pitfall the source names, a stated fact that rules the order
    out or puts its caveat in doubt, situations the source does not address."""
    out = []
    said: set[tuple[str, str, str | None]] = set()
    for p in d.pitfalls:
        if d.critical_every_way and (p.pitfall.label, p.consequence, p.quote) in said:
            continue  # the same error named in each scenario the patient may be in: said once, for all of them
        said.add((p.pitfall.label, p.consequence, p.quote))
        word = "a critical error" if p.critical else "a pitfall"
        quote = f"\n\n> {p.quote}" if p.quote else ""
        where = (p.source or "not stated") + (f", section \"{p.section}\"" if p.section else "")
        instead = f" The source recommends **{p.instead.label}** instead." if p.instead else ""
        if p.instead and p.instead_ruled_out:
            instead += (f" For this patient: {p.instead_ruled_out}; " + (
                "the suggestions are the source's alternatives for that case." if d.from_source and d.alternatives
                else "the suggestions are what the source says for the situation." if d.alternatives else
                "no suggestion can be offered."))
        if d.critical_every_way:
            where_it_applies = ("Whichever scenario the patient may still be in applies (" + "; ".join(
                dict.fromkeys(h.undetermined.label for h in d.pitfalls if h.undetermined))
                + "; facts to tell which are missing, see below), t")
        elif p.undetermined:
            where_it_applies = f"If {p.undetermined.label} applies (facts to tell are missing, see below), t"
        else:
            where_it_applies = "T"
        out.append(f"**{where_it_applies}he source calls this order {word}: {p.pitfall.label}.**{quote}\n\n"
                   f"Consequence: {p.consequence} Source: {where}.{instead}")
    if d.contraindication:
        hedge = f" The source: {d.hedge}." if d.hedge else ""
        if d.from_source and d.alternatives:
            alternatives = " The suggestions below are what the source gives in that case."
        elif d.alternatives:
            alternatives = (" The source gives no alternative for it; the suggestions below are what it says for "
                            "the patient's situation, without the studies a stated fact rules out.")
        else:
            alternatives = " The source gives no alternative this patient can have."
        out.append(f"**Contraindication stated:** {d.contraindication}.{hedge}{alternatives}")
    if d.condition:
        out.append(f"**Condition in doubt:** the source gives this study \"{d.condition}\", and a stated fact "
                   "bears on it; check it before ordering.")
    for silent in d.not_addressed:
        out.append(f"**Not addressed by the source:** {silent.text} (`{silent.key}`="
                   f"{describe_value(silent.value)}): {silent.effect}.")
    if d.not_addressed and (d.alternatives or d.withheld):
        words = "; ".join(s.text for s in d.not_addressed)
        held = (" No substitute that may add radiation (a higher or unstated radiation level, or one its source "
                "contradicts) or a contrast agent to the order is offered: "
                + ", ".join(a.procedure.label for a in d.withheld) + "." if d.withheld else "")
        out.append(f"**Suggestions:** {words}, so whether a substitute is better for this patient cannot be "
                   f"claimed: none is marked recommended.{held}")
    return out

def about(d: Decision) -> list[str]:
    """The source's role for and reasons behind the ordered study, and the suggestions in full."""
    out = []
    if d.role:
        out.append(f"**This study is** {d.role}.")
    if d.reasons:
        out.append("**The source's reason for this order here:**\n" + "\n".join(f"- {r}" for r in d.reasons))
    if d.alternatives:
        lines = []
        for a in d.alternatives:
            extra = "".join(f"; {x}" for x in (a.condition, a.doubt, a.protocol, a.reason, a.pitfall) if x)
            lines.append(f"- {a.procedure.label}: {a.why}{extra}")
        barred = "ruled out by a stated fact or, in the source's words, possibly not feasible"
        if d.contraindication and d.from_source:
            case = d.hedge if d.hedge else "the order is ruled out"
            rule = f"the source's alternatives when {case}; none usually not appropriate, none {barred}"
        elif d.contraindication:
            rule = f"what the source gives for the situation; none usually not appropriate, none {barred}"
        else:
            rule = f"never rated lower than the order, never usually not appropriate, never {barred}"
        out.append(f"**Suggestions** ({rule}):\n" + "\n".join(lines))
    return out


def kind_of_pitfall(d: Decision) -> str:
    """What the source calls the order's first pitfall, for a summary: ``critical error`` or ``pitfall``."""
    return "critical error" if d.pitfalls[0].critical else "pitfall"


def pitfall_said(d: Decision) -> str:
    """The first pitfall's consequence inside a summary (``it will likely miss the hypervascular ...``)."""
    return lower(d.pitfalls[0].consequence)


def order_protocol(d: Decision) -> str:
    """The protocol the source gives the ordered study, where it gives one."""
    if not d.protocol or d.procedure is None:
        return ""
    return f"**Protocol the source gives {d.procedure.label} here:** {d.protocol}."


def facts_note(d: Decision) -> str:
    """What the card read: derived facts, the facts of the request, and every fact or code not used, with why."""
    notes = []
    for fact in d.match.derived if d.match is not None else ():
        hedge = f" ({fact.qualifier})" if fact.qualifier else ""
        notes.append(f"Derived by the source's rule {fact.because.label}: `{fact.key}`={describe_value(fact.value)}"
                     f" from `{fact.evidence_key}`={describe_value(fact.evidence_value)}{hedge}.")
    if d.facts.values:
        stated = ", ".join(f"`{k}`={describe_value(v)}" for k, v in sorted(d.facts.values.items()))
        notes.append(f"Facts read from the request: {stated}.")
    for key, values in d.facts.conflicting.items():
        notes.append(f"Conflicting values for `{key}` ({', '.join(map(describe_value, values))}): not used.")
    for note in d.exclusive:
        notes.append(f"Conflicting facts: {note}.")
    for note in d.facts.unknown:
        notes.append(f"**Not used:** {note}; the graph's CodeSystem lists the facts it knows.")
    for note in d.facts.ignored:
        notes.append(f"Not used: {note.removesuffix(': not used')}.")
    return ("\n\n" + "\n\n".join(notes)) if notes else ""
