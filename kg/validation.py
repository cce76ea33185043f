"""SHACL validation with pyshacl, reported as a list a person can act on."""

from __future__ import annotations

from dataclasses import dataclass, field

import rdflib
from rdflib.namespace import RDFS, SH

from . import resources
from .namespaces import curie


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


def shapes_graph() -> rdflib.Graph:
    """The shipped SHACL shapes."""
    return rdflib.Graph().parse(resources.SHAPES_FILE, format="turtle")


def validate_graph(data: rdflib.Graph, shapes: rdflib.Graph | None = None) -> ValidationReport:
    """Validate ``data`` (ontology and instances together) against the shapes."""
    import pyshacl

    shapes = shapes if shapes is not None else shapes_graph()
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none",
                                           allow_warnings=True, advanced=False)
    violations = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        label = data.value(focus, RDFS.label)
        value = report.value(result, SH.value)
        violations.append(Violation(
            focus=str(focus), focus_label=str(label) if label is not None else None,
            path=_path_text(report, path),
            message=str(report.value(result, SH.resultMessage) or "constraint violated"),
            severity=curie(str(report.value(result, SH.resultSeverity))).replace("sh:", ""),
            shape=_owning_shape(shapes, report.value(result, SH.sourceShape)),
            value=None if value is None else str(value)))
    violations.sort(key=lambda v: (v.focus, v.path or "", v.message))
    return ValidationReport(violations)


def _owning_shape(shapes: rdflib.Graph, shape) -> str | None:
    """The named node shape a (possibly anonymous property) shape belongs to."""
    if isinstance(shape, rdflib.BNode):
        parent = shapes.value(predicate=SH.property, object=shape)
        shape = parent if parent is not None else shape
    return None if shape is None else curie(str(shape))


def _path_text(report: rdflib.Graph, path) -> str | None:
    """A result path as text: an IRI, ``^IRI`` for an inverse path, else None."""
    if isinstance(path, rdflib.URIRef):
        return str(path)
    inverse = report.value(path, SH.inversePath) if path is not None else None
    return f"^{inverse}" if isinstance(inverse, rdflib.URIRef) else None
