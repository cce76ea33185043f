"""Typed answers of the Python API: frozen dataclasses; ``to_dict`` gives their stable JSON form."""

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
    """A relative radiation level with the adult effective-dose range in mSv."""

    symbol: str
    rank: int
    dose_min_msv: Decimal
    dose_max_msv: Decimal
    pediatric_min_msv: Decimal | None = None
    pediatric_max_msv: Decimal | None = None
    _json_extra: ClassVar = ("dose_range",)

    @property
    def dose_range(self) -> str:
        """The range as people write it, e.g. ``1-10 mSv``."""
        return _range(self.dose_min_msv, self.dose_max_msv, "mSv")


@dataclass(frozen=True)
class Procedure:
    """An imaging procedure; ``radiation`` is None when no source states its level."""

    iri: str
    label: str
    radiation: RadiationLevel | None


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
    _json_extra: ClassVar = ("category_text",)

    @property
    def category_text(self) -> str:
        """The category as ACR prints it, e.g. ``May be appropriate (Disagreement)``."""
        return self.category_label + (" (Disagreement)" if self.disagreement else "")


@dataclass(frozen=True)
class Recommendation:
    """The appropriateness answer for a scenario: rated procedures, most appropriate first."""

    scenario: Scenario
    procedures: list[RatedProcedure] = field(default_factory=list)
    protocol: tuple[PhaseNeed, ...] = ()  #: contrast phases the rated procedures' protocols include

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


@dataclass(frozen=True)
class DoseEstimate:
    """Cumulative effective dose of repeating a procedure every N months for some years."""

    procedure: Ref
    radiation: RadiationLevel | None
    population: str
    years: Decimal
    every_min_months: Decimal
    every_max_months: Decimal
    studies_min: int
    studies_max: int
    total_min_msv: Decimal | None
    total_max_msv: Decimal | None
    _json_extra: ClassVar = ("total_range", "studies")

    @property
    def studies(self) -> str:
        """How many studies the plan holds, e.g. ``5`` or ``5-10``."""
        low, high = self.studies_min, self.studies_max
        return str(low) if low == high else f"{low}-{high}"

    @property
    def total_range(self) -> str:
        """The cumulative range, e.g. ``5-50 mSv``, or ``not stated`` when the source gives no level."""
        if self.total_min_msv is None:
            return "not stated"
        return _range(self.total_min_msv, self.total_max_msv, "mSv")


# ---------------------------------------------------------------- clinical statements (issue 13)
#: What a relative radiation level is, printed with every dose answer.
DOSE_BANDS_NOTE = ("Doses are relative radiation level (RRL) bands: typical effective-dose ranges for the "
                   "procedure class, not this patient's dose.")


@dataclass(frozen=True)
class Hedged:
    """A statement of the source with its hedge (``qualifier``: "may", "often", ...) and the words it rests on."""

    iri: str
    label: str
    text: str
    qualifier: str | None = None
    quote: str | None = None


@dataclass(frozen=True)
class Escalation:
    """When the source says to escalate, and to what."""

    iri: str
    label: str
    trigger: str
    action: Ref
    qualifier: str | None = None


@dataclass(frozen=True)
class FeatureOf:
    """An imaging feature the source describes for a diagnosis."""

    diagnosis: Ref
    feature: Ref
    definition: str | None


@dataclass(frozen=True)
class PhaseNeed:
    """A contrast phase a procedure's protocol includes in a scenario, and why."""

    procedure: Ref
    order: int | None
    phase: Ref
    essential: bool
    purpose: str


@dataclass(frozen=True)
class DerivedFact:
    """A patient fact derived from another by a rule of the source (e.g. a rising marker -> suspicion)."""

    key: str
    value: Any
    because: Ref  #: the evidence rule
    evidence_key: str
    evidence_value: Any
    qualifier: str | None = None
    overrides: Any = None  #: the value the patient file stated, when the evidence contradicts it


@dataclass(frozen=True)
class DoseOption:
    """A rated option's cumulative dose with its appropriateness for the scenario."""

    estimate: DoseEstimate
    appropriateness: str
    category_rank: int
    lowest_category: bool  #: rated in the scheme's lowest category (e.g. "Usually not appropriate")


@dataclass(frozen=True)
class DoseComparison:
    """The cumulative dose of a scenario's rated options, what the numbers are, and the source's caveats."""

    scenario: Scenario
    note: str
    options: tuple[DoseOption, ...]
    left_out: tuple[Ref, ...]  #: lowest-category options not shown (``include_all`` shows them)
    caveats: tuple[Hedged, ...]
