"""Typed answers of the Python API: frozen dataclasses; ``to_dict`` gives their stable JSON form.

This module defines the answer of ``recommend`` and the parts every answer shares; the other answers live in
:mod:`iakg.domain.model_guidance` (topics, procedures, workflow, diagnoses, pitfalls, FAQ, links, intervals)
and :mod:`iakg.domain.model_statements` (radiation accounting, hedged statements), which build on this one."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar


def to_dict(value: Any) -> Any:
    """The JSON-ready form of an answer: dataclass fields plus its derived ``_json_extra`` properties."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_dict(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in getattr(value, "_json_extra", ()):
            out[name] = to_dict(getattr(value, name))
        return out
    if isinstance(value, dict):
        return {str(k): to_dict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_dict(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _num(value: Decimal | int | float) -> str:
    return format(Decimal(str(value)).normalize(), "f")


def _range(lo: Decimal | int | float, hi: Decimal | int | float, unit: str) -> str:
    low, high = _num(lo), _num(hi)
    return f"{low} {unit}" if low == high else f"{low}-{high} {unit}"


@dataclass(frozen=True)
class Ref:
    """A resource of the graph: its IRI and English label."""

    iri: str
    label: str


@dataclass(frozen=True)
class Scenario:
    """A clinical scenario; ``topic`` is None when no topic lists it."""

    iri: str
    label: str
    topic: str | None = None
    topic_label: str | None = None
    ratings: int = 0


@dataclass(frozen=True)
class RadiationLevel:
    """A procedure's relative radiation level on one scale (``adult`` or ``pediatric``) with that scale's
    effective-dose band in mSv. The two scales are rated apart: a paediatric level is never the adult
    symbol read on the paediatric scale. ``varies`` is the level "Varies" (no rank, no band);
    ``unconfirmed`` marks a band seen in third-party sources only."""

    symbol: str
    rank: int | None
    dose_min_msv: Decimal | None
    dose_max_msv: Decimal | None
    population: str = "adult"
    varies: bool = False
    unconfirmed: bool = False
    _json_extra: ClassVar[tuple[str, ...]] = ("dose_range",)  #: derived properties in the JSON form

    @property
    def dose_range(self) -> str:
        """The band as people write it, e.g. ``1-10 mSv``; ``varies`` or ``not stated`` without one."""
        if self.varies:
            return "varies"
        if self.dose_min_msv is None or self.dose_max_msv is None:
            return "not stated"
        return _range(self.dose_min_msv, self.dose_max_msv, "mSv") + (" (unconfirmed)" if self.unconfirmed else "")

    @property
    def text(self) -> str:
        """Symbol and band, e.g. ``☢☢☢☢ 3-10 mSv``."""
        return self.symbol if self.varies else f"{self.symbol} {self.dose_range}"


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
    pediatric_radiation: RadiationLevel | None = None
    evidence: str | None = None
    score: int | None = None
    median: int | None = None
    votes: tuple[int, ...] | None = None
    row_order: int | None = None
    _json_extra: ClassVar[tuple[str, ...]] = ("category_text",)  #: derived properties in the JSON form

    @property
    def category_text(self) -> str:
        """The category as ACR prints it, e.g. ``May be appropriate (Disagreement)``."""
        return self.category_label + (" (Disagreement)" if self.disagreement else "")


@dataclass(frozen=True)
class ScenarioProfile:
    """What a variant heading and its topic say of a scenario: variant number, phase of care, population
    groups (notations, e.g. ``adult``), suspected or known condition, panel, source page, last review.
    ``population_not_stated`` is true when the source names no population (then ``populations`` is empty and
    the scenario is for no population that may be assumed: not for everyone)."""

    variant: int | None = None
    phase: str | None = None
    populations: tuple[str, ...] = ()
    condition_status: str | None = None
    panel: str | None = None
    source_url: str | None = None
    reviewed: str | None = None
    population_not_stated: bool = False

    @property
    def adults_only(self) -> bool:
        return bool(self.populations) and "child" not in self.populations


@dataclass(frozen=True)
class Recommendation:
    """The appropriateness answer for a scenario: rated procedures, most appropriate first."""

    scenario: Scenario
    procedures: list[RatedProcedure] = field(default_factory=list)
    protocol: tuple[PhaseNeed, ...] = ()  #: contrast phases the rated procedures' protocols include
    profile: ScenarioProfile | None = None  #: what the variant heading and the topic say of the scenario

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (see README, "JSON output")."""
        form: dict[str, Any] = to_dict(self)
        return form


@dataclass(frozen=True)
class PhaseNeed:
    """A contrast phase a procedure's protocol includes in a scenario, and why."""

    procedure: Ref
    order: int | None
    phase: Ref
    essential: bool
    purpose: str
