"""Answer types of radiation accounting and of the source's hedged statements (split from ``model``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from iakg.domain.model import PhaseNeed, RadiationLevel, Ref, Scenario, _range  # noqa: F401  (PhaseNeed: its home was here)


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
    note: str | None = None
    _json_extra: ClassVar[tuple[str, ...]] = ("total_range", "studies")

    @property
    def studies(self) -> str:
        """How many studies the plan holds, e.g. ``5`` or ``5-10``."""
        low, high = self.studies_min, self.studies_max
        return str(low) if low == high else f"{low}-{high}"

    @property
    def total_range(self) -> str:
        """The cumulative range, e.g. ``5-50 mSv``, or ``not stated`` when the source gives no level."""
        if self.radiation is not None and self.radiation.varies:
            return "varies"
        if self.total_min_msv is None or self.total_max_msv is None:
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
    not_covered: str | None = None  #: why the scenario does not cover the population asked (then no options)
