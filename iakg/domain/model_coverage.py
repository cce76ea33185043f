"""The answer of ``KnowledgeGraph.coverage``: the share of a site's orders per outcome, and what the graph could
not score. Plain dataclasses, importable without the CDS stack (:mod:`iakg.cds.coverage` computes them).

Outcomes: **scored**, **need-more-info**, **no-criteria**, **not-recognised** (see :mod:`iakg.cds.coverage`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

SCORED, NEED_MORE_INFO, NO_CRITERIA_APPLY, NOT_RECOGNISED = "scored", "need-more-info", "no-criteria", "not-recognised"
OUTCOMES = (SCORED, NEED_MORE_INFO, NO_CRITERIA_APPLY, NOT_RECOGNISED)


@dataclass
class Unmatched:
    """A reason for exam (digits masked) of orders the graph did not score, and what the resolver read in it."""

    reason: str
    count: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    procedures: Counter[str] = field(default_factory=Counter)
    why: str = ""
    disease: str | None = None
    population: str | None = None
    phase: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class CoverageReport:
    """The share of a site's orders per outcome, and the most frequent reasons of those not scored."""

    source: str
    orders: int
    counts: dict[str, int]
    scored_from_text: int
    distinct_reasons: int
    unmatched: list[Unmatched]
    missing: Counter[str] = field(default_factory=Counter)  #: fact key -> orders that needed it (need-more-info)

    def share(self, outcome: str) -> float:
        return self.counts.get(outcome, 0) / self.orders if self.orders else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "orders": self.orders, "counts": dict(self.counts),
                "shares": {o: round(self.share(o), 4) for o in OUTCOMES}, "scored_from_text": self.scored_from_text,
                "distinct_reasons": self.distinct_reasons, "missing_facts": dict(self.missing.most_common()),
                "unmatched": [{"reason": u.reason, "orders": u.count, "outcomes": dict(u.outcomes),
                               "procedures": dict(u.procedures.most_common()), "why": u.why, "disease": u.disease,
                               "population": u.population, "phase": u.phase, "facts": u.facts}
                              for u in self.unmatched]}
