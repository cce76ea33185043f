"""What validation reports: each finding for people (:class:`Violation`, with the exact SHACL result when it
is one), the report, and the error for shapes that cannot be run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from iakg.errors import KGError
from iakg.rdf.namespaces import SH, XSD, curie

if TYPE_CHECKING:  # (rdflib: the report of a validation is read without it; see Violation.result)
    from iakg.validate.results import Result


@dataclass(frozen=True)
class Violation:
    """One finding: a SHACL result (``result`` holds its exact terms) or a lint finding (``result`` None).

    ``shape`` is the targeted shape it belongs to (a CURIE: for a property shape, the node shape that lists
    it); ``source_shape`` the shape whose constraint failed (an IRI, or ``_:`` and a blank node's label);
    ``component`` the constraint component's IRI; ``path`` an IRI, ``^IRI`` for an inverse predicate,
    else the path in SPARQL syntax."""

    focus: str
    focus_label: str | None
    path: str | None
    message: str
    severity: str
    shape: str | None
    value: str | None = None
    component: str | None = None
    source_shape: str | None = None
    result: Result | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        who = f"{self.focus_label} <{self.focus}>" if self.focus_label else f"<{self.focus}>"
        if self.result is not None and self.result.path is not None:
            from iakg.validate.results import path_text

            where = " " + path_text(self.result.path, short=True)
        else:
            inverse = "^" if self.path and self.path.startswith("^") else ""
            where = f" {inverse}{curie(self.path.lstrip('^'))}" if self.path else ""
        return f"{self.severity}: {who}{where}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        """The finding as ``iakg validate --format json`` gives it (SHACL's names for a result's fields)."""
        if self.result is not None:
            from iakg.validate.results import result_json

            return result_json(self.result, self.message)
        return {"focusNode": {"type": "uri", "value": self.focus},
                "resultPath": None if self.path is None else (
                    f"^<{self.path[1:]}>" if self.path.startswith("^") else f"<{self.path}>"),
                "value": None if self.value is None else {"type": "literal", "value": self.value},
                "sourceShape": None, "sourceConstraintComponent": None,
                "resultSeverity": SH + self.severity, "resultMessage": self.message, "shapeMessages": [],
                "lint": True}


@dataclass
class ValidationReport:
    """The outcome of validation; ``conforms`` is True when there is no violation (of any severity)."""

    violations: list[Violation] = field(default_factory=list)
    #: the targeted shapes run as compiled queries, and those handed to pyshacl (IRIs, ``_:`` blank nodes)
    compiled: list[str] = field(default_factory=list)
    handed_over: list[str] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not self.violations

    @property
    def results(self) -> list[Result]:
        """The SHACL validation results, with their exact terms (lint findings are not among them)."""
        return [v.result for v in self.violations if v.result is not None]

    def as_json(self) -> dict[str, Any]:
        return {"conforms": self.conforms, "results": [v.as_json() for v in self.violations]}


def as_written(report: ValidationReport, quads: list) -> ValidationReport:
    """``report`` with each typed literal a store made canonical (``"4"^^xsd:decimal``) given back as ``quads``
    write it (``"4.0"``), where one written form stands behind it."""
    import dataclasses

    from iakg.validate.core import as_rdflib

    typed = sorted({q.object for q in quads if isinstance(q.object, ox.Literal) and not q.object.language
                    and q.object.datatype.value != XSD + "string"}, key=str)
    if not typed:
        return report
    scratch, predicate = ox.Store(), ox.NamedNode("urn:iakg:literal")
    scratch.extend(ox.Quad(ox.NamedNode(f"urn:iakg:{i}"), predicate, literal) for i, literal in enumerate(typed))
    written: dict = {}
    for quad in scratch:
        original = typed[int(quad.subject.value.rsplit(":", 1)[1])]
        if quad.object != original:
            written.setdefault(as_rdflib(quad.object), set()).add(as_rdflib(original))
    back = {canonical: next(iter(forms)) for canonical, forms in written.items() if len(forms) == 1}
    if not back:
        return report
    violations = []
    for v in report.violations:
        if v.result is not None and (v.result.focus in back or v.result.value in back):
            found = dataclasses.replace(v.result, focus=back.get(v.result.focus, v.result.focus),
                                        value=back.get(v.result.value, v.result.value))
            v = dataclasses.replace(v, focus=str(found.focus), value=None if found.value is None else str(found.value),
                                    result=found)
        violations.append(v)
    return ValidationReport(violations, report.compiled, report.handed_over)


class ShapesError(KGError):
    """The shapes graph is not SHACL a validator can run (pyshacl's words)."""


def name(term: object) -> str:
    import rdflib

    return f"_:{term}" if isinstance(term, rdflib.BNode) else str(term)


def shown_message(messages: tuple) -> str | None:
    """The message shown of a shape's sh:message values: the English or untagged one, else the first."""
    for message in messages:
        language = getattr(message, "language", None)
        if language in (None, "en") or str(language).startswith("en-"):
            return str(message)
    return str(messages[0]) if messages else None


def violation(found: Result, owner: str | None, message: str, label: str | None) -> Violation:
    from iakg.validate.results import simple_path

    source = found.source_shape
    return Violation(
        focus=str(found.focus), focus_label=label, path=simple_path(found.path), message=message,
        severity=curie(str(found.severity)).replace("sh:", ""), shape=owner,
        value=None if found.value is None else str(found.value), component=str(found.component),
        source_shape=name(source), result=found)


def store_label(store, default, node) -> str | None:
    from iakg.rdf.namespaces import RDFS as RDFS_NS

    if isinstance(node, ox.Literal):
        return None
    for graph in default:
        for quad in store.quads_for_pattern(node, ox.NamedNode(RDFS_NS + "label"), None, graph):
            return quad.object.value
    return None
