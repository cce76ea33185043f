"""Typed answers of the Python API beyond ``recommend``: topics, procedures, workflow, diagnoses, pitfalls,
FAQ, links and surveillance intervals (frozen dataclasses; see :mod:`iakg.domain.model`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from iakg.domain.model import RadiationLevel, Ref, Scenario, _range


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
class ConceptScheme:
    """A concept scheme and its concepts as (IRI, label, notation), in rank order: what a table cell may name."""

    iri: str
    label: str | None
    concepts: tuple[tuple[str, str | None, str | None], ...] = ()


@dataclass(frozen=True)
class Topic:
    """A topic hub, topic or protocol guide; ``parent`` is its parent topic's IRI, if any."""

    iri: str
    label: str
    kind: str  # hub, topic or guide
    parent: str | None = None
    scenarios: int = 0


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
class Step:
    """One next step of a workflow branch: a management action and/or procedures."""

    order: int
    label: str
    action: str | None
    procedures: tuple[Ref, ...]
    interval_months: Decimal | None
    qualifier: str | None
    follow_up_of: str | None = None  #: the procedure the step repeats (left out when that one is ruled out)
    follow_up_label: str | None = None  #: that procedure's label
    ruled_out: tuple[Ref, ...] = ()  #: studies of the step a stated fact rules out (in a patient's plan)


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
    caveat_concerns: str | None = None  #: the fact key the caveat depends on (e.g. significantRenalImpairment)


@dataclass(frozen=True)
class Diagnosis:
    """A diagnosis the imaging works up, with its anatomic sites."""

    iri: str
    label: str
    most_common: bool
    sites: tuple[Ref, ...]


@dataclass(frozen=True)
class Pitfall:
    """A pitfall of a scenario and its consequence, in the source's order; ``critical`` where the source calls
    it a critical error, and the study it names instead."""

    iri: str
    label: str
    order: int | None
    consequence: str
    critical: bool = False
    instead: Ref | None = None


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
    example: bool = False  #: the source gives the interval as an example ("such as every 6-12 months")
    frameworks: tuple[str, ...] = ()  #: whose guidelines to consult for specific recommendations (NANETS, ...)
    _json_extra: ClassVar[tuple[str, ...]] = ("every", "text", "consult")

    @property
    def every(self) -> str:
        """The interval as people say it, e.g. ``6-12 months``."""
        return _range(self.min_months, self.max_months, "months")

    @property
    def text(self) -> str:
        """The interval in the source's strength: ``such as every 6-12 months`` for an example, else ``every
        12 months``."""
        return ("such as every " if self.example else "every ") + self.every

    @property
    def consult(self) -> str | None:
        """``consult NANETS or ENETS guidelines for specific recommendations``, when the source names them."""
        if not self.frameworks:
            return None
        return f"consult {' or '.join(self.frameworks)} guidelines for specific recommendations"


@dataclass(frozen=True)
class IntervalAnswer:
    """The interval(s) that apply to a grade and stage; ``missing`` names facts needed to decide."""

    scenario: str
    grade: str | None
    stage: str | None
    matches: tuple[IntervalRule, ...]
    missing: tuple[str, ...]

