"""SHACL validation in the store's engine (pyshacl for what is not compiled), reported as a list a person can
act on."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.namespace import SH

from iakg import resources
from iakg.catalogue import internal
from iakg.validate import core as compiler
from iakg.validate import reference
from iakg.validate.core import Compiled
from iakg.validate.report import ShapesError, ValidationReport, Violation, name, shown_message, store_label, violation
from iakg.validate.shapes import ShapesView
from iakg.validate.sparql import sparql_violations

__all__ = ["ShapesError", "ValidationReport", "Violation", "shapes_graph", "validate_store"]


def shapes_graph() -> rdflib.Graph:
    """The shipped SHACL shapes (a fresh copy; callers may change it)."""
    copy = rdflib.Graph()
    for triple in _shapes_parsed(*_stamp(resources.SHAPES_FILE)):
        copy.add(triple)
    return copy


def _stamp(path) -> tuple[str, int, int]:
    stat = Path(path).stat()
    return str(path), stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=2)
def _shapes_and_core(path: str, mtime_ns: int, size: int) -> tuple[rdflib.Graph, rdflib.Graph]:
    """The shapes, and the shapes without their SPARQL constraints (what pyshacl runs): never modified."""
    shapes = _shapes_parsed(path, mtime_ns, size)
    core = rdflib.Graph()
    for triple in shapes:
        if triple[1] != SH.sparql:
            core.add(triple)
    return shapes, core


@functools.lru_cache(maxsize=2)
def _shipped_view(path: str, mtime_ns: int, size: int) -> ShapesView:
    """The shipped shapes indexed for the compiler, once per process and version of the file."""
    return ShapesView(_shapes_parsed(path, mtime_ns, size))


@functools.lru_cache(maxsize=16)
def _compiled_shipped(stamp: tuple[str, int, int], subclasses: tuple, focus: tuple | None,
                      class_paths: bool) -> Compiled:
    from iakg.validate.core import compile_shapes

    return compile_shapes(_shipped_view(*stamp), {c: set(s) for c, s in subclasses},
                          None if focus is None else set(focus), sparql=True, class_paths=class_paths)


@functools.lru_cache(maxsize=2)
def _shapes_parsed(path: str, mtime_ns: int, size: int) -> rdflib.Graph:
    """The shapes file parsed once per process and version of the file (answering commands validate their
    --data on every call; parsing the shapes each time was a third of a targeted check)."""
    return rdflib.Graph().parse(path, format="turtle")


#: up to this many quads, full validation converts the whole graph to rdflib once (fastest); above it,
#: SHACL-Core runs chunk by chunk so that memory stays bounded (a catalogue-sized graph and more)
WHOLE_GRAPH_LIMIT = 400_000


#: up to this many focus nodes, targeted validation names them in its queries; above, it validates every
#: target and keeps the results about the focus nodes (the same results, faster for the engine)
FOCUS_IN_QUERY_LIMIT = 500


def validate_store(store, graphs: list[str], focus: set[str] | None = None, chunk: int | None = None,
                   lint: bool = True, compiled: bool = True, shapes: rdflib.Graph | None = None) -> ValidationReport:
    """Validate the named ``graphs`` of a pyoxigraph ``store`` (their union is the data graph) against
    ``shapes`` (default: the shipped shapes).

    The shapes the compiler takes (:mod:`iakg.validate.core`) run as SPARQL in the store's own engine:
    nothing is copied out of the store. Every other shape (all of them with ``compiled=False``) runs in
    pyshacl on the whole graph; for the shipped shapes, on a large graph or when ``chunk`` is given, on the
    neighbourhood of ``chunk`` focus nodes at a time (their triples, the ontology, the types of the nodes
    they point to), so memory stays bounded however large the graph.

    The SHACL-SPARQL constraints of the shipped shapes run in the engine too: each constraint once per
    batch of focus nodes, joined in as a group binding ``$this``, which equals SHACL's pre-binding for
    constraints without sub-SELECTs, VALUES or MINUS (a test checks each shipped one). Those of other
    shapes go to pyshacl with their shape.

    With ``focus`` (IRIs), only those nodes are validated: targeted validation of changed data.

    Then, for the shipped shapes, the lint pass (:mod:`iakg.validate.lint`, unless ``lint`` is False):
    undeclared ontology terms (with "did you mean"), undescribed resources, classes no shape targets,
    labels shared within a kind.
    """
    with _quiet():
        return _validate_store(store, graphs, focus, chunk, lint, compiled, shapes)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """What rdflib and pyshacl say on standard error while validating, silenced: an ill-typed literal (rdflib
    logs a traceback) is the validation's to report, and pyshacl's errors come back as ShapesError."""
    import logging
    import warnings

    loggers = [logging.getLogger(name) for name in ("rdflib.term", "pyshacl-validate")]
    for logger in loggers:
        logger.addFilter(_drop)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger in loggers:
            logger.removeFilter(_drop)


def _drop(record: object) -> bool:
    return False


def _validate_store(store, graphs: list[str], focus: set[str] | None, chunk: int | None, lint: bool,
                    compiled: bool, shapes: rdflib.Graph | None) -> ValidationReport:
    shipped = shapes is None
    stamp = _stamp(resources.SHAPES_FILE)
    if shapes is None:
        shapes, core = _shapes_and_core(*stamp)  # read-only, parsed once per process
    else:
        core = shapes
    default = [ox.NamedNode(g) for g in graphs]
    subclasses, class_paths = _subclasses(store, default)
    violations: list[Violation] = []
    # a few focus nodes are joined into the queries; many (an imported table) cost the engine more as a
    # VALUES block than validating every target and keeping the results about them
    narrow = focus if focus is not None and len(focus) <= FOCUS_IN_QUERY_LIMIT else None
    sparql_shapes = list(shapes.subjects(SH.sparql, None)) if shipped else []
    if compiled:
        if shipped:  # the same shapes and classes compile to the same queries: once per process
            made = _compiled_shipped(stamp, tuple(sorted((c, tuple(sorted(s))) for c, s in subclasses.items())),
                                     None if narrow is None else tuple(sorted(narrow)), class_paths)
        else:
            made = compiler.compile_shapes(shapes, subclasses, narrow, class_paths=class_paths)
        core, sparql_shapes = made.residual, made.sparql_shapes
        for check, flag, node, value in compiler.run(store, default, made.checks):
            found = compiler.result(check, flag, node, value)
            message = shown_message(found.messages) or flag.message
            violations.append(violation(found, check.shape, message, store_label(store, default, node)))
    if len(core):
        # the chunks are the neighbourhoods the shipped shapes look at; other shapes get the whole graph
        if not shipped or focus is None and chunk is None and len(store) <= WHOLE_GRAPH_LIMIT:
            from iakg.rdf.rdflib_bridge import to_rdflib

            violations += reference.whole(to_rdflib(store, include_graphs=graphs), core, shapes)
        else:
            violations += reference.by_chunk(store, default, subclasses, core, shapes, focus, chunk or 5_000)
    violations += sparql_violations(store, default, subclasses, _shipped_view(*stamp) if shipped else shapes,
                                     sparql_shapes, narrow, class_paths)
    if focus is not None:
        violations = [v for v in violations if v.focus in focus]
    if lint and shipped:
        from iakg.validate.lint import lint as lint_pass

        targets = {str(c) for c in shapes.objects(None, SH.targetClass)}
        violations += lint_pass(store, default, targets, subclasses, focus)
    violations.sort(key=lambda v: (v.focus, v.path or "", v.message, v.component or "", v.value or ""))
    if not compiled:
        return ValidationReport(violations, [], sorted(map(name, compiler.targeted_shapes(shapes))))
    return ValidationReport(violations, sorted(map(name, made.compiled)), sorted(map(name, made.handed_over)))


def _subclasses(store, default) -> tuple[dict[str, set[str]], bool]:
    """Each class with a subclass: the IRIs of its subclasses, direct or not (rdfs:subClassOf+); and whether
    some node is typed with a blank node that is a subclass (then class membership is followed by the
    queries themselves: a query cannot name a blank node)."""
    found: dict[str, set[str]] = {}
    for row in store.query(internal("shacl-subclasses"), default_graph=default):
        if isinstance(row["sub"], ox.NamedNode) and isinstance(row["super"], ox.NamedNode):
            found.setdefault(row["super"].value, set()).add(row["sub"].value)
    return found, bool(store.query(internal("shacl-blank-subclass-typed"), default_graph=default))
