"""Typed answers of the Python API: plain dataclasses, serialisable with ``dataclasses.asdict``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Scenario:
    """A clinical scenario; ``topic`` is None when no topic rates it."""

    iri: str
    label: str
    topic: str | None = None
    topic_label: str | None = None
    ratings: int = 0


@dataclass(frozen=True)
class RadiationLevel:
    """A relative radiation level with the adult effective-dose range in mSv."""

    symbol: str
    rank: int
    dose_min_msv: Decimal
    dose_max_msv: Decimal

    @property
    def dose_range(self) -> str:
        """The range as people write it, e.g. ``1-10 mSv``."""
        lo, hi = _num(self.dose_min_msv), _num(self.dose_max_msv)
        return f"{lo} mSv" if lo == hi else f"{lo}-{hi} mSv"


@dataclass(frozen=True)
class RatedProcedure:
    """One row of a recommendation: a procedure with its rating for the scenario."""

    procedure: str
    label: str
    category: str
    category_label: str
    category_rank: int
    disagreement: bool
    radiation: RadiationLevel | None
    condition: str | None
    rationale: str | None
    rating: str

    @property
    def category_text(self) -> str:
        """The category as ACR prints it, e.g. ``May be appropriate (Disagreement)``."""
        return self.category_label + (" (Disagreement)" if self.disagreement else "")


@dataclass(frozen=True)
class Recommendation:
    """The appropriateness answer for a scenario: rated procedures, most appropriate first."""

    scenario: Scenario
    procedures: list[RatedProcedure] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (decimals as numbers, radiation with its range text)."""
        out = _jsonable(asdict(self))
        for row, proc in zip(out["procedures"], self.procedures):
            row["category_text"] = proc.category_text
            if proc.radiation is not None:
                row["radiation"]["dose_range"] = proc.radiation.dose_range
        return out


def _num(value: Decimal) -> str:
    text = format(Decimal(value).normalize(), "f")
    return text


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
