"""The answers of ``KnowledgeGraph.resolve``: what a reason for exam says, scenario by scenario.

Plain dataclasses, importable without the reader or rapidfuzz (:mod:`iakg.domain.resolve` computes them,
:mod:`iakg.domain.reading` finds the mentions), so their type hints resolve wherever an answer is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iakg.domain.model import Ref, to_dict


@dataclass(frozen=True)
class Mention:
    """Words of the text matched to a concept of the graph, and how the context reads them."""

    words: str
    start: int  #: character offsets in the text
    end: int
    concept: Ref
    role: str  #: disease, population, status, phase, fact or value
    context: tuple[str, ...] = ()  #: NEGATED_EXISTENCE, HISTORICAL, POSSIBLE_EXISTENCE, HYPOTHETICAL
    label: str = ""  #: the label matched
    source: str | None = None  #: who asserted the label (prov:wasDerivedFrom)
    value: Any = None  #: the value of its fact the mention states (None: none, or not a fact)


@dataclass(frozen=True)
class Candidate:
    """A scenario the text may be about: its score, why, and whether the text rules it out."""

    scenario: Ref
    score: float
    status: str  #: answer, candidate, in doubt, no evidence, ruled out, no guidance
    evidence: tuple[str, ...]
    ruled_out: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolution:
    """What a reason for exam says: the scenarios it fits best first, or an abstention with the reason."""

    text: str
    abstained: bool
    candidates: tuple[Candidate, ...]
    facts: dict[str, Any]
    negated: tuple[str, ...]
    why: str
    mentions: tuple[Mention, ...] = ()
    missing: tuple[str, ...] = ()  #: facts that would decide (the chosen scenario's, or the contenders')
    conflicting: tuple[str, ...] = ()
    belongs_to: tuple[Ref, ...] = ()  #: where the source sends the patient instead (scenarios without guidance)
    unplaced: tuple[str, ...] = ()  #: what was read for a fact and not placed in a value of it, and what to state

    @property
    def names_condition(self) -> bool:
        """Whether the text names a condition the graph's scenarios are about (its facts are then about it)."""
        return any(m.role == "disease" and "NEGATED_EXISTENCE" not in m.context for m in self.mentions)

    @property
    def scenario(self) -> Ref | None:
        """The scenario the text resolves to (None when the resolver abstained)."""
        return None if self.abstained or not self.candidates else self.candidates[0].scenario

    def to_dict(self) -> dict[str, Any]:
        """``{"text", "abstained", "candidates": [{"scenario": {"iri", "label"}, "score", "evidence"}], "facts",
        "negated", ...}``, best candidate first."""
        out: dict[str, Any] = to_dict(self)
        out["candidates"] = [{"scenario": to_dict(c.scenario), "score": c.score, "status": c.status,
                              "evidence": list(c.evidence), "ruled_out": list(c.ruled_out)} for c in self.candidates]
        out["mentions"] = [{"words": m.words, "start": m.start, "end": m.end, "concept": to_dict(m.concept),
                            "role": m.role, "context": list(m.context), "label": m.label, "source": m.source,
                            "value": m.value}
                           for m in self.mentions]
        return out
