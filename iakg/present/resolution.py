"""A resolved reason for exam (``iakg resolve``) as a person reads it, and as rows."""

from __future__ import annotations

from typing import Any


def _plain(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)

# ---------------------------------------------------------------- a reason for exam, resolved
RESOLVE_HEADERS = ("rank", "scenario", "label", "score", "status", "evidence")


def resolve_rows(result) -> list[tuple]:
    """One row per scenario considered, best first (``--format csv|tsv``)."""
    return [(i, c.scenario.iri, c.scenario.label, c.score, c.status, "; ".join(c.evidence + c.ruled_out))
            for i, c in enumerate(result.candidates, 1)]


def resolve_text(result) -> str:
    """A resolved reason for exam as a person reads it: the answer or why none, what was read, what to confirm."""
    out = [f"ABSTAINED: {result.why}" if result.abstained else f"RESOLVED: {result.candidates[0].scenario.label}"]
    if not result.abstained:
        out += [f"  + {e}" for e in result.candidates[0].evidence]
    if result.facts:
        out.append("Read from the text (to confirm): " + ", ".join(
            f"{k}={_plain(v)}" for k, v in result.facts.items()))
    if result.negated:
        out.append("Negated: " + ", ".join(result.negated))
    for note in result.unplaced:
        if note not in result.why:
            out.append(f"Read, not placed: {note}")
    if result.conflicting:
        out.append("Stated both ways, not used: " + ", ".join(result.conflicting))
    if result.missing:
        out.append("Still to state: " + ", ".join(result.missing))
    others = result.candidates[0 if result.abstained else 1:]
    if others:
        out.append("Considered:")
        out += [f"  {c.status}: {c.scenario.label}" + (f" ({'; '.join(c.ruled_out)})" if c.ruled_out else "")
                for c in others]
    words = [f"\"{m.words}\" -> {m.concept.label}" + (f" = {_plain(m.value)}" if m.role == "fact"
                                                         and m.value is not None else "")
             + (f" [{', '.join(m.context).lower()}]" if m.context else "") for m in result.mentions]
    if words:
        out.append("Words matched: " + "; ".join(words))
    return "\n".join(out)
