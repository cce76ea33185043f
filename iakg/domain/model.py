"""Typed answers of the Python API: frozen dataclasses; ``to_dict`` gives their stable JSON form."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from iakg.domain.model_statements import PhaseNeed


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


def _range(lo, hi, unit: str) -> str:
    lo, hi = _num(lo), _num(hi)
    return f"{lo} {unit}" if lo == hi else f"{lo}-{hi} {unit}"


@dataclass(frozen=True)
class Ref:
    """A resource of the graph: its IRI and English label."""

    iri: str
    label: str


@dataclass(frozen=True)
class PatientFact:
    """A fact a patient file may state: its JSON key, IRI, and XSD datatype or allowed values (notation -> IRI)."""

    key: str
    iri: str
    label: str
    datatype: str
    values: dict[str, str] = field(default_factory=dict)
    value_class: str | None = None


@dataclass(frozen=True)
class Topic:
    """A topic hub, topic or protocol guide; ``parent`` is its parent topic's IRI, if any."""

    iri: str
    label: str
    kind: str  # hub, topic or guide
    parent: str | None = None
    scenarios: int = 0


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
    _json_extra: ClassVar = ("dose_range",)

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
class Procedure:
    """An imaging procedure; ``radiation`` (adult) and ``pediatric_radiation`` are None when no source
    states them."""

    iri: str
    label: str
    radiation: RadiationLevel | None
    pediatric_radiation: RadiationLevel | None = None

    def level_for(self, population: str) -> RadiationLevel | None:
        """The level on the scale of ``population`` (adult or pediatric)."""
        return self.pediatric_radiation if population == "pediatric" else self.radiation


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
    _json_extra: ClassVar = ("category_text",)

    @property
    def category_text(self) -> str:
        """The category as ACR prints it, e.g. ``May be appropriate (Disagreement)``."""
        return self.category_label + (" (Disagreement)" if self.disagreement else "")


@dataclass(frozen=True)
class ScenarioProfile:
    """What a variant heading and its topic say of a scenario: variant number, phase of care, population
    groups (notations, e.g. ``adult``), suspected or known condition, panel, source page, last review."""

    variant: int | None = None
    phase: str | None = None
    populations: tuple[str, ...] = ()
    condition_status: str | None = None
    panel: str | None = None
    source_url: str | None = None
    reviewed: str | None = None

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
        return to_dict(self)


@dataclass(frozen=True)
class Step:
    """One next step of a workflow branch: a management action and/or procedures."""

    order: int
    label: str
    action: str | None
    procedures: tuple[Ref, ...]
    interval_months: Decimal | None
    qualifier: str | None
    follow_up_of: str | None = None  #: the procedure the step repeats (left out when that one is ruled out)


@dataclass(frozen=True)
class Branch:
    """What to do after a study gives ``result``; ``alternatives`` means 'one of the steps', else all in order."""

    result: str
    alternatives: bool
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class AlternativeOption:
    """A procedure to order instead when a contraindication rules out a contrast agent."""

    contraindication: Ref
    agent: str
    preference: int
    procedure: Ref
    caveat: str | None
    contraindication_hedge: str | None = None  #: e.g. "a contrast-enhanced CT may not be feasible"


@dataclass(frozen=True)
class Diagnosis:
    """A diagnosis the imaging works up, with its anatomic sites."""

    iri: str
    label: str
    most_common: bool
    sites: tuple[Ref, ...]


@dataclass(frozen=True)
class Pitfall:
    """A pitfall of a scenario and its consequence, in the source's order."""

    iri: str
    label: str
    order: int | None
    consequence: str


@dataclass(frozen=True)
class FAQ:
    """A question and answer the source gives."""

    iri: str
    order: int | None
    question: str
    answer: str


@dataclass(frozen=True)
class Link:
    """A relation from a scenario to another resource; ``via`` is what they share, if anything."""

    relation: str
    target: Ref
    via: Ref | None = None


@dataclass(frozen=True)
class Related:
    """Everything a scenario links to: topic, ancestors, related topics, guides, and scenarios elsewhere."""

    scenario: Scenario
    links: tuple[Link, ...]

    def of(self, relation: str) -> list[Ref]:
        """The targets of one relation (e.g. ``"ancestor topic"``), without duplicates."""
        return list(dict.fromkeys(link.target for link in self.links if link.relation == relation))


@dataclass(frozen=True)
class IntervalRule:
    """A surveillance interval and the grades/stages it applies to (AND when ``requires_both``, else OR)."""

    iri: str
    label: str
    grades: tuple[str, ...]
    stages: tuple[str, ...]
    requires_both: bool
    min_months: Decimal
    max_months: Decimal
    qualifier: str | None
    _json_extra: ClassVar = ("every",)

    @property
    def every(self) -> str:
        """The interval as people say it, e.g. ``6-12 months``."""
        return _range(self.min_months, self.max_months, "months")


@dataclass(frozen=True)
class IntervalAnswer:
    """The interval(s) that apply to a grade and stage; ``missing`` names facts needed to decide."""

    scenario: str
    grade: str | None
    stage: str | None
    matches: tuple[IntervalRule, ...]
    missing: tuple[str, ...]
