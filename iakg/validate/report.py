"""What validation reports: violations a person can act on (the SHACL results and the lint findings alike)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from iakg.rdf.namespaces import RDFS, curie


@dataclass(frozen=True)
class Violation:
    """One SHACL result: the focus node (and its label), the path, the message and the shape."""

    focus: str
    focus_label: str | None
    path: str | None
    message: str
    severity: str
    shape: str | None
    value: str | None = None

    def __str__(self) -> str:
        who = f"{self.focus_label} <{self.focus}>" if self.focus_label else f"<{self.focus}>"
        inverse = "^" if self.path and self.path.startswith("^") else ""
        where = f" {inverse}{curie(self.path.lstrip('^'))}" if self.path else ""
        return f"{self.severity}: {who}{where}: {self.message}"


@dataclass
class ValidationReport:
    """The outcome of validation; ``conforms`` is True when there is no violation."""

    violations: list[Violation] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not self.violations


Node = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def store_label(store: ox.Store, graphs: Iterable[ox.NamedNode], node: Node) -> str | None:
    """The ``rdfs:label`` of ``node`` in the first of ``graphs`` that gives one (None if none does)."""
    if isinstance(node, ox.Literal):
        return None
    label = ox.NamedNode(RDFS + "label")
    for graph in graphs:
        for quad in store.quads_for_pattern(node, label, None, graph):
            if isinstance(quad.object, ox.Literal):
                return quad.object.value
    return None
