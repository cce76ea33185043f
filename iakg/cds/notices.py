"""What a card says before and after its rating: the warnings a clinician must see first (a pitfall the source
names, a stated contraindication, a caveat in doubt, situations the source does not address), the source's
reasons for the order and the suggestions in full, and the card's indicator."""

from __future__ import annotations

from iakg.cds.decide import Decision, describe_value


def indicator(d: Decision, made: str, lowest: bool) -> str:
    """The card's indicator: critical where the source calls the order a critical error; warning for another
    pitfall, a stated contraindication, a caveat in doubt, a situation the source does not address, a rating
    in the lowest category of its scheme, or a patient the source does not cover; else what the card said."""
    if any(p.critical and p.undetermined is None for p in d.pitfalls):
        return "critical"
    if d.pitfalls or d.contraindication or d.condition or d.not_addressed or lowest or made == "warning":
        return "warning"
    return made


def warnings(d: Decision) -> list[str]:
    """What the clinician must see first: a pitfall the source names, a stated fact that rules the order
    out or puts its caveat in doubt, situations the source does not address."""
    out = []
    for p in d.pitfalls:
        word = "a critical error" if p.critical else "a pitfall"
        quote = f"\n\n> {p.quote}" if p.quote else ""
        where = (p.source or "not stated") + (f", section \"{p.section}\"" if p.section else "")
        instead = f" The source recommends **{p.instead.label}** instead." if p.instead else ""
        if p.instead and p.instead_ruled_out:
            instead += (f" A stated fact rules it out ({p.instead_ruled_out}): the suggestions are the source's "
                        "alternatives for that case.")
        where_it_applies = (f"If {p.undetermined.label} applies (facts to tell are missing, see below), t"
                            if p.undetermined else "T")
        out.append(f"**{where_it_applies}he source calls this order {word}: {p.pitfall.label}.**{quote}\n\n"
                   f"Consequence: {p.consequence} Source: {where}.{instead}")
    if d.contraindication:
        hedge = f" The source: {d.hedge}." if d.hedge else ""
        alternatives = (" The suggestions below are what the source gives in that case." if d.alternatives
                        else " The source gives no alternative this patient can have.")
        out.append(f"**Contraindication stated:** {d.contraindication}.{hedge}{alternatives}")
    if d.condition:
        out.append(f"**Condition in doubt:** the source gives this study \"{d.condition}\", and a stated fact "
                   "bears on it; check it before ordering.")
    for silent in d.not_addressed:
        out.append(f"**Not addressed by the source:** {silent.text} (`{silent.key}`="
                   f"{describe_value(silent.value)}): this answer does not take it into account.")
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
            extra = "".join(f"; {x}" for x in (a.condition, a.reason) if x)
            lines.append(f"- {a.procedure.label}: {a.why}{extra}")
        if d.contraindication:
            rule = ("the source's alternatives when the order is ruled out; none usually not appropriate, none "
                    "ruled out by a stated fact")
        else:
            rule = ("never rated lower than the order, never usually not appropriate, never ruled out by a "
                    "stated fact")
        out.append(f"**Suggestions** ({rule}):\n" + "\n".join(lines))
    return out
