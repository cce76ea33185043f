"""SHACL-SPARQL constraints of the shipped shapes, run in the engine: each constraint once, with the focus
nodes of its shape joined in as a group pattern binding ``$this`` (the engine plans the join). This equals
SHACL's pre-binding for constraints without sub-SELECTs, VALUES or MINUS; ``tests/test_shapes.py`` checks
each shipped one. Other shapes' SHACL-SPARQL goes to pyshacl with its shape."""

from __future__ import annotations

import pyoxigraph as ox
import rdflib
from rdflib.namespace import SH, XSD

from iakg.rdf.binding import join_group
from iakg.rdf.namespaces import curie
from iakg.validate.report import Violation, store_label, violation
from iakg.validate.results import Result
from iakg.validate.shapes import ShapesView, view


def sparql_violations(store, default: list, subclasses: dict[str, set[str]], shapes: rdflib.Graph | ShapesView,
                       chosen: list, focus: set[str] | None = None, class_paths: bool = False) -> list[Violation]:
    """SHACL-SPARQL constraints of the ``chosen`` node shapes, each run once in the engine with the focus
    nodes of its shape (its targets, or those in ``focus``) joined in as a group pattern binding ``$this``:
    the engine plans the join."""
    from iakg.validate.core import as_rdflib, implicit_class_shapes, target_pattern

    failure = ox.Literal("true", datatype=ox.NamedNode(str(XSD.boolean)))
    shapes = view(shapes)
    implicit = implicit_class_shapes(shapes) if chosen else set()
    violations = []
    for shape in sorted(set(chosen), key=str):
        if shapes.value(shape, SH.deactivated) == rdflib.Literal(True):
            continue
        severity = shapes.value(shape, SH.severity) or SH.Violation
        targets = target_pattern(shapes, shape, shape in implicit, subclasses, focus, class_paths)
        for constraint in shapes.objects(shape, SH.sparql):
            if shapes.value(constraint, SH.deactivated) == rdflib.Literal(True):
                continue
            text = str(shapes.value(constraint, SH.select))
            declared = prefixes(shapes.graph, constraint)
            message = str(shapes.value(constraint, SH.message) or shapes.value(shape, SH.message)
                          or "constraint violated")
            solutions = store.query(join_group(text, targets), prefixes=declared, default_graph=default)
            names = [v.value for v in solutions.variables]
            for row in solutions:
                bound = {name: row[name] for name in names if row[name] is not None}
                if bound.get("failure") == failure:
                    raise ValueError(f"SPARQL constraint of {curie(str(shape))} failed on {bound.get('this')}")
                node, path, value = bound["this"], bound.get("path"), bound.get("value")
                text_message = _fill(message, bound)
                found = Result(as_rdflib(node), rdflib.URIRef(path.value) if isinstance(path, ox.NamedNode) else None,
                               as_rdflib(node if value is None else value), shape, SH.SPARQLConstraintComponent,
                               severity, (rdflib.Literal(text_message),))
                violations.append(violation(found, curie(str(shape)), text_message,
                                             store_label(store, default, node)))
    return violations


def prefixes(shapes: rdflib.Graph, constraint) -> dict[str, str]:
    """The prefixes a SPARQL constraint declares (sh:prefixes / sh:declare)."""
    declared = {}
    for source in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(source, SH.declare):
            declared[str(shapes.value(declaration, SH.prefix))] = str(shapes.value(declaration, SH.namespace))
    return declared


def _fill(message: str, bound: dict) -> str:
    """A SHACL message template with ``{?var}`` / ``{$var}`` replaced by the solution's values."""
    for name, term in bound.items():
        message = message.replace("{?" + name + "}", term.value).replace("{$" + name + "}", term.value)
    return message
