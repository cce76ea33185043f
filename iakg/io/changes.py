"""What a diff of two releases answers (``KnowledgeGraph.diff``): the releases compared, the clinical changes
(:mod:`iakg.io.diff`) and the statement-level delta (:mod:`iakg.io.changeset`), as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from iakg.io.published import Identity
from iakg.rdf.namespaces import DATASET_IRI


@dataclass
class Unit:
    """The statements removed and added about one resource (a named one, or a blank node standing alone)."""

    subject: ox.NamedNode | ox.BlankNode
    removed: list[ox.Quad] = field(default_factory=list)
    added: list[ox.Quad] = field(default_factory=list)


@dataclass
class Delta:
    units: list[Unit]

    @property
    def removed(self) -> list[ox.Quad]:
        return [q for unit in self.units for q in unit.removed]

    @property
    def added(self) -> list[ox.Quad]:
        return [q for unit in self.units for q in unit.added]


@dataclass(frozen=True)
class Change:
    """One clinical change: a fact added, removed or changed."""

    kind: str
    action: str  #: "added", "removed" or "changed"
    item: str  #: what the fact is about, for people
    old: str | None  #: its value in the old release (None when added)
    new: str | None  #: its value in the new release (None when removed)
    key: tuple[str, ...]  #: what identifies it in both releases
    subjects: tuple[str, ...] = ()  #: the named resources that hold it (in either release)


@dataclass(frozen=True)
class Named:
    """A release's content and what it is called."""

    nquads: bytes
    identity: Identity
    digest: str
    reference: str = ""  #: how it was named (a version, "working", a path)


@dataclass
class Report:
    old: Named
    new: Named
    changes: list[Change]
    delta: Delta
    labels: dict[str, str]

    @property
    def old_iri(self) -> str:
        return f"{DATASET_IRI}/{self.old.identity.version}"

    @property
    def new_iri(self) -> str:
        return f"{DATASET_IRI}/{self.new.identity.version}"
