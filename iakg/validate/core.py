"""SHACL-Core compiled to SPARQL and run in the store's own engine (Oxigraph), for the shapes it can compile
exactly; every other shape goes to pyshacl whole.

The unit is a *targeted shape*: a shape with a target (``sh:targetClass``, ``sh:targetNode``,
``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, or the implicit class target of a shape that is also a
class). Such a shape is compiled only if everything about it is: its targets, its path (a predicate or the
inverse of one), each of its constraint parameters, and each of its ``sh:property`` shapes by the same rule
(one level: a property shape with shapes of its own is not compiled). A shape with anything else
(``sh:node``, ``sh:and`` / ``or`` / ``not`` / ``xone``, qualified shapes, ``sh:closed``, other paths, a
parameter given twice where SHACL allows one, a term a query cannot hold, SHACL-SPARQL unless the caller
runs it, any predicate of the SHACL namespace not listed here, a parameter of a constraint component the
shapes graph declares) is handed over whole: :func:`compile_shapes` returns the shapes graph without the
targets of the compiled shapes, for pyshacl to validate the rest, so shapes reached through ``sh:node`` or
the logical components are validated by pyshacl with the focus nodes it gives them.

A compiled constraint is one boolean of a SELECT whose solutions are its validation results: the focus
nodes come from the targets (class instances through ``rdf:type/rdfs:subClassOf*`` in the data graph), the
value nodes from the path, and the constraint is a FILTER or a GROUP BY / HAVING the engine evaluates over
its indexes, with SHACL's semantics (https://www.w3.org/TR/shacl/#core-components): value nodes are a set; a
value that cannot be compared fails ``sh:minInclusive``; ``sh:datatype`` requires a well-formed lexical form
for the XSD types the engine can cast (and is compiled only for those, ``xsd:string``, ``rdf:langString``,
``xsd:anyURI`` and datatypes outside the XSD and RDF namespaces). Every IRI and literal put into a query text
is serialised by pyoxigraph (IRIs checked, literals escaped), never pasted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH, XSD

from iakg.rdf.namespaces import curie
from iakg.validate.components import COMPILED, Flag, queries
from iakg.validate.results import Path, PathError, Result, normal, read_path
from iakg.validate.shapes import (
    TARGETS,
    ShapesView,
    Uncompiled,
    class_kinds,
    implicit_class_shapes,
    n3,
    target_pattern,
    targeted_shapes,
    untyped_class_shapes,
    view,
)

#: parameters SHACL gives one value (pyshacl refuses a second): a shape giving two is handed over
_SINGLE = {SH.minCount, SH.maxCount, SH.datatype, SH.nodeKind, SH.minInclusive, SH.maxInclusive, SH.minExclusive,
           SH.maxExclusive, SH.minLength, SH.maxLength, SH.pattern, SH.flags, SH.languageIn, SH.uniqueLang,
           SH["in"], SH.path, SH.severity, SH.deactivated}
#: parameters of property shapes only: on a node shape they are handed over (pyshacl says what it makes of them)
_PROPERTY_ONLY = {SH.minCount, SH.maxCount, SH.uniqueLang, SH.lessThan, SH.lessThanOrEquals}
#: what a shape may also carry without being a constraint
_DESCRIPTIVE = {RDF.type, SH.path, SH.message, SH.severity, SH.deactivated, SH.name, SH.description, SH.order,
                SH.group, SH.defaultValue, SH.property, *TARGETS}
_TRUE = rdflib.Literal(True)


@dataclass(frozen=True)
class Check:
    """One compiled query: each solution binds ``?this`` (the focus node), ``?v`` (the value node, when
    results name one) and each flag's variable."""

    shape: str                  # the targeted shape it belongs to (CURIE): for people
    source: rdflib.term.Node    # the shape whose constraints these are (sh:sourceShape)
    path: Path | None
    severity: rdflib.term.Node
    messages: tuple[rdflib.term.Node, ...]
    query: str
    flags: tuple[Flag, ...]


@dataclass
class Compiled:
    """What :func:`compile_shapes` made of a shapes graph."""

    checks: list[Check]
    #: the shapes graph without the targets of the compiled shapes (empty when every targeted shape compiled)
    residual: rdflib.Graph
    #: the compiled shapes whose ``sh:sparql`` constraints the caller runs (only with ``sparql=True``)
    sparql_shapes: list
    #: the targeted shapes compiled, and those handed to pyshacl
    compiled: list
    handed_over: list



def compile_shapes(shapes: rdflib.Graph | ShapesView, subclasses: dict[str, set[str]], focus: set[str] | None = None,
                   sparql: bool = False, class_paths: bool = False) -> Compiled:
    """Compile the targeted shapes of ``shapes``; hand the others to pyshacl (in ``residual``).

    ``subclasses`` maps each class of the data graph to its subclasses (for class targets and sh:class);
    with ``class_paths`` the queries follow ``rdf:type/rdfs:subClassOf*`` themselves instead (a data graph
    where a blank node is a subclass, which a query cannot name). ``focus`` narrows the focus nodes to those
    IRIs. With ``sparql``, a compiled node shape may carry ``sh:sparql`` constraints: the caller runs them.
    """
    shapes = view(shapes)
    custom = {p for c in shapes.subjects(RDF.type, SH.ConstraintComponent)
              for param in shapes.objects(c, SH.parameter) for p in shapes.objects(param, SH.path)}
    implicit = implicit_class_shapes(shapes)
    untyped = untyped_class_shapes(shapes)
    compiled, handed_over, sparql_shapes, checks = [], [], [], []
    for shape in targeted_shapes(shapes):
        try:
            if shape in untyped:
                raise Uncompiled("a class with SHACL terms that is not typed a shape")
            made = _compile_targeted(shapes, shape, shape in implicit, subclasses, focus, sparql, class_paths, custom)
        except (Uncompiled, PathError, ValueError, TypeError):
            handed_over.append(shape)
            continue
        compiled.append(shape)
        checks.extend(made)
        if sparql and shapes.value(shape, SH.sparql) is not None and not _deactivated(shapes, shape):
            sparql_shapes.append(shape)
    residual = rdflib.Graph()
    if handed_over:  # pyshacl gets the whole shapes graph (any shape may be reached through sh:node...),
        done, kinds = set(compiled), class_kinds(shapes)  # less the targets of the compiled shapes (the
        for triple in shapes.graph:  # implicit ones too: their class types)
            subject, predicate, obj = triple
            if subject in done and (predicate in TARGETS or (predicate == RDF.type and obj in kinds)):
                continue
            residual.add(triple)
    return Compiled(checks, residual, sparql_shapes, compiled, handed_over)


def _deactivated(shapes: ShapesView, shape) -> bool:
    """Whether the shape is deactivated (a value other than true or false is handed over)."""
    values = list(shapes.objects(shape, SH.deactivated))
    if not values:
        return False
    if len(values) > 1 or values[0] not in (_TRUE, rdflib.Literal(False)):
        raise Uncompiled("sh:deactivated is true or false")
    return values[0] == _TRUE


def _check_parameters(shapes: ShapesView, node, custom: set, sparql: bool, nested: bool) -> None:
    """Raise Uncompiled unless every predicate of ``node`` is compiled or descriptive."""
    predicates = list(shapes.predicates(node))
    for predicate in set(predicates):
        if predicate in custom:
            raise Uncompiled(f"{predicate} is a parameter of a constraint component of the shapes graph")
        if predicate in _SINGLE and predicates.count(predicate) > 1:
            raise Uncompiled(f"{predicate} given twice")
        if predicate == SH.sparql and sparql and not nested:
            continue
        if predicate == SH.property and nested:
            raise Uncompiled("a property shape with property shapes of its own")
        if str(predicate).startswith(str(SH)) and predicate not in COMPILED and predicate not in _DESCRIPTIVE:
            raise Uncompiled(f"{predicate} is not compiled")
    if shapes.value(node, SH.path) is None and any(p in _PROPERTY_ONLY for p in predicates):
        raise Uncompiled("a property-shape parameter on a node shape")
    severity = shapes.value(node, SH.severity)
    if severity is not None and not isinstance(severity, rdflib.URIRef):
        raise Uncompiled("sh:severity is an IRI")
    if any(not isinstance(m, rdflib.Literal) for m in shapes.objects(node, SH.message)):
        raise Uncompiled("sh:message is a literal")
    if any(t != SH.NodeShape and t != SH.PropertyShape and str(t).startswith(str(SH))
           for t in shapes.objects(node, RDF.type)):
        raise Uncompiled("a SHACL type other than sh:NodeShape or sh:PropertyShape")


def _step(shapes: ShapesView, node) -> tuple[str, Path | None]:
    """The pattern binding ``?v`` to the value nodes of ``node`` from ``?this``, and the path."""
    raw = shapes.value(node, SH.path)
    if raw is None:
        if SH.PropertyShape in set(shapes.objects(node, RDF.type)):
            raise Uncompiled("a property shape without sh:path")
        return "BIND(?this AS ?v)", None
    if SH.NodeShape in set(shapes.objects(node, RDF.type)):
        raise Uncompiled("a node shape with sh:path")
    path = read_path(shapes.graph, raw)
    if isinstance(path, rdflib.URIRef):
        return f"?this {n3(path)} ?v", path
    if path[0] == "inverse" and isinstance(path[1], rdflib.URIRef):
        return f"?v {n3(path[1])} ?this", path
    raise Uncompiled("a path other than a predicate or its inverse")


def _compile_targeted(shapes: ShapesView, shape, implicit: bool, subclasses: dict[str, set[str]],
                      focus: set[str] | None, sparql: bool, class_paths: bool, custom: set) -> list[Check]:
    """The checks of a targeted shape and its property shapes; Uncompiled if any part is beyond them."""
    _check_parameters(shapes, shape, custom, sparql, nested=shapes.value(shape, SH.path) is not None)
    if _deactivated(shapes, shape):
        return []
    targets = target_pattern(shapes, shape, implicit, subclasses, focus, class_paths)
    owner = curie(str(shape))
    checks = []
    parts = [shape]
    for prop in shapes.objects(shape, SH.property):
        if not isinstance(prop, (rdflib.URIRef, rdflib.BNode)) or shapes.value(prop, SH.path) is None:
            raise Uncompiled("sh:property names a property shape")
        _check_parameters(shapes, prop, custom, sparql, nested=True)
        if not _deactivated(shapes, prop):
            parts.append(prop)
    for node in parts:
        step, path = _step(shapes, node)
        severity = shapes.value(node, SH.severity) or SH.Violation
        messages = tuple(sorted(shapes.objects(node, SH.message),
                                key=lambda m: (getattr(m, "language", None) or "", str(m))))
        for query, flags in queries(shapes, node, targets, step, subclasses, class_paths):
            checks.append(Check(owner, node, path, severity, messages, query, flags))
    return checks



Node = ox.NamedNode | ox.BlankNode | ox.Literal


def run(store: ox.Store, default: list, checks: list[Check]) -> Iterator[tuple[Check, Flag, Node, Node | None]]:
    """(check, failed constraint, focus node, value node or None) of every validation result of ``checks``."""
    true = ox.Literal("true", datatype=ox.NamedNode(str(XSD.boolean)))
    for check in checks:
        solutions = store.query(check.query, default_graph=default)
        assert isinstance(solutions, ox.QuerySolutions)
        for row in solutions:
            for flag in check.flags:
                if row[flag.var] == true:
                    yield check, flag, row["this"], row["v"] if flag.has_value else None


def as_rdflib(term: Node) -> Any:
    """A pyoxigraph term as rdflib has it (a simple literal for xsd:string)."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return normal(rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value)))


def result(check: Check, flag: Flag, focus: Node, value: Node | None) -> Result:
    """The validation result of one solution of a compiled check."""
    return Result(as_rdflib(focus), check.path, None if value is None else as_rdflib(value), check.source,
                  flag.component, check.severity, check.messages)
