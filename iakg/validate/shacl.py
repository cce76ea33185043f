"""SHACL validation in the store's engine (pyshacl for what is not compiled), reported as a list a person can
act on."""

from __future__ import annotations

import functools
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDFS, SH, XSD

from iakg import resources
from iakg.catalogue import internal
from iakg.rdf import namespaces
from iakg.rdf.binding import join_group
from iakg.rdf.namespaces import GRAPH_ONTOLOGY, curie
from iakg.rdf.rdflib_bridge import to_rdflib
from iakg.validate import core as compiler
from iakg.validate.core import target_pattern
from iakg.validate.lint import lint as lint_pass
from iakg.validate.report import ValidationReport, Violation, store_label


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


def validate_store(store, graphs: list[str], focus: set[str] | None = None,
                   chunk: int | None = None, lint: bool = True, compiled: bool = True) -> ValidationReport:
    """Validate the named ``graphs`` of a pyoxigraph ``store`` (ontology and instances) against the shapes.

    SHACL-Core constraints are compiled to SPARQL and run in the store's own engine
    (:mod:`iakg.validate.core`): nothing is copied out of the store. Shapes beyond what is compiled (and
    all of them with ``compiled=False``) run in pyshacl: on the whole graph at once when it is small, else
    (or when ``chunk`` is given) on the neighbourhood of ``chunk`` focus nodes at a time (their triples,
    the ontology, the types of the nodes they point to), so memory stays bounded however large the graph.

    SHACL-SPARQL constraints run in the engine too: each constraint once per batch of focus nodes, joined
    in as ``VALUES ?this``. A VALUES join equals SHACL's pre-binding of ``$this`` for constraints without
    sub-SELECTs; the shipped shapes have none (a test checks it).

    With ``focus`` (IRIs), only those nodes are validated: targeted validation of changed data.

    Then the lint pass (:mod:`iakg.validate.lint`, unless ``lint`` is False): undeclared ontology terms
    (with "did you mean"), undescribed resources, classes no shape targets, labels shared within a kind.
    """
    shapes, core = _shapes_and_core(*_stamp(resources.SHAPES_FILE))  # read-only, parsed once per process
    default = [ox.NamedNode(g) for g in graphs]
    subclasses = _subclasses(store, default)
    violations: list[Violation] = []
    # a few focus nodes are joined into the queries; many (an imported table) cost the engine more as a
    # VALUES block than validating every target and keeping the results about them
    narrow = focus if focus is not None and len(focus) <= FOCUS_IN_QUERY_LIMIT else None
    if compiled:
        checks, core = compiler.compile_shapes(shapes, subclasses, narrow)
        for check, message, node, value in compiler.run(store, default, checks):
            violations.append(Violation(
                focus=node.value, focus_label=store_label(store, default, node), path=check.path,
                message=message, severity=check.severity, shape=check.shape,
                value=None if value is None else value.value))
    if len(core):
        if focus is None and chunk is None and len(store) <= WHOLE_GRAPH_LIMIT:
            violations += _core_violations(to_rdflib(store, include_graphs=graphs), core, shapes)
        else:
            violations += _core_violations_by_chunk(store, default, subclasses, core, shapes, focus, chunk or 5_000)
    violations += _sparql_violations(store, default, subclasses, shapes, narrow)
    if focus is not None and narrow is None:
        violations = [v for v in violations if v.focus in focus]
    if lint:
        targets = {str(c) for c in shapes.objects(None, SH.targetClass)}
        violations += lint_pass(store, default, targets, subclasses, focus)
    violations.sort(key=lambda v: (v.focus, v.path or "", v.message))
    return ValidationReport(violations)


def _core_violations_by_chunk(store, default: list, subclasses: dict[str, set[str]], core: rdflib.Graph,
                              shapes: rdflib.Graph, focus: set[str] | None, chunk: int) -> list[Violation]:
    """SHACL-Core over the focus nodes (all targeted nodes, or those in ``focus``), ``chunk`` at a time."""
    nodes = set()
    for shape in set(core.subjects(SH.targetClass, None)) | set(core.subjects(SH.targetNode, None)):
        nodes.update(_focus_nodes(store, default, core, shape, subclasses))
    if focus is not None:
        nodes = {n for n in nodes if isinstance(n, ox.NamedNode) and n.value in focus}
    ordered = sorted(nodes, key=_node_order)
    inverse = {ox.NamedNode(str(p)) for p in shapes.objects(None, SH.inversePath) if isinstance(p, rdflib.URIRef)}
    violations = []
    for start in range(0, len(ordered), chunk):
        batch = ordered[start:start + chunk]
        keep = {n.value for n in batch}
        data = _neighbourhood(store, default, batch, inverse)
        only = [rdflib.URIRef(n.value) for n in batch if isinstance(n, ox.NamedNode)] if focus is not None else None
        violations += [v for v in _core_violations(data, core, shapes, only) if v.focus in keep]
    return violations


def _neighbourhood(store, default: list, nodes: list, inverse: set) -> rdflib.Graph:
    """What SHACL-Core needs to judge ``nodes``: the ontology; their triples (and those of the blank nodes
    they reach, e.g. lists); the triples that point at them through a predicate some shape follows
    inversely; the types and labels of the nodes they point to (so sh:class can be checked)."""
    sub = ox.Store()
    # of the ontology, the class hierarchy is what SHACL-Core needs (sh:class accepts instances of subclasses)
    sub.extend(store.quads_for_pattern(None, ox.NamedNode(namespaces.RDFS + "subClassOf"), None,
                                       ox.NamedNode(GRAPH_ONTOLOGY)))
    objects, seen, todo = set(), set(nodes), list(nodes)
    quads = []
    while todo:
        node = todo.pop()
        for graph in default:
            for quad in store.quads_for_pattern(node, None, None, graph):
                quads.append(quad)
                if isinstance(quad.object, ox.BlankNode) and quad.object not in seen:
                    seen.add(quad.object)
                    todo.append(quad.object)
                elif isinstance(quad.object, ox.NamedNode):
                    objects.add(quad.object)
            for predicate in inverse:
                quads.extend(store.quads_for_pattern(None, predicate, node, graph))
    type_and_label = (ox.NamedNode(namespaces.RDF + "type"), ox.NamedNode(namespaces.RDFS + "label"))
    for node in objects:
        for predicate in type_and_label:
            for graph in default:
                quads.extend(store.quads_for_pattern(node, predicate, None, graph))
    sub.extend(quads)
    return to_rdflib(sub)


def _core_violations(data: rdflib.Graph, core: rdflib.Graph, shapes: rdflib.Graph,
                     focus_nodes: list | None = None) -> list[Violation]:
    import pyshacl

    # targeted (focus_nodes): only these nodes, against the shapes that target them
    _, report, _ = pyshacl.validate(data, shacl_graph=core, inference="none", allow_warnings=True, advanced=False,
                                    focus_nodes=focus_nodes or None)
    violations = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        value = report.value(result, SH.value)
        violations.append(Violation(
            focus=str(focus), focus_label=_label(data, focus), path=_path_text(report, path),
            message=str(report.value(result, SH.resultMessage) or "constraint violated"),
            severity=curie(str(report.value(result, SH.resultSeverity))).replace("sh:", ""),
            shape=_owning_shape(shapes, report.value(result, SH.sourceShape)),
            value=None if value is None else str(value)))
    return violations


def _sparql_violations(store, default: list, subclasses: dict[str, set[str]], shapes: rdflib.Graph,
                       focus: set[str] | None = None) -> list[Violation]:
    """SHACL-SPARQL constraints, each run once in the engine with the focus nodes of its shape (its targets,
    or those in ``focus``) joined in as a group pattern binding ``$this``: the engine plans the join."""
    failure = ox.Literal("true", datatype=ox.NamedNode(str(XSD.boolean)))
    violations = []
    for shape in sorted(set(shapes.subjects(SH.sparql, None)), key=str):
        if shapes.value(shape, SH.deactivated) == rdflib.Literal(True):
            continue
        severity = curie(str(shapes.value(shape, SH.severity) or SH.Violation)).replace("sh:", "")
        targets = target_pattern(shapes, shape, subclasses, focus)
        for constraint in shapes.objects(shape, SH.sparql):
            text = str(shapes.value(constraint, SH.select))
            prefixes = _prefixes(shapes, constraint)
            message = str(shapes.value(constraint, SH.message) or "constraint violated")
            solutions = store.query(join_group(text, targets), prefixes=prefixes, default_graph=default)
            names = [v.value for v in solutions.variables]
            for row in solutions:
                bound = {name: row[name] for name in names if row[name] is not None}
                if bound.get("failure") == failure:
                    raise ValueError(f"SPARQL constraint of {curie(str(shape))} failed on {bound.get('this')}")
                node, path, value = bound["this"], bound.get("path"), bound.get("value")
                violations.append(Violation(
                    focus=node.value, focus_label=store_label(store, default, node),
                    path=path.value if isinstance(path, ox.NamedNode) else None,
                    message=_fill(message, bound), severity=severity, shape=curie(str(shape)),
                    value=(node if value is None else value).value))  # SHACL: else the value node
    return violations


def _subclasses(store, default) -> dict[str, set[str]]:
    """Each class with a subclass: the IRIs of its subclasses, direct or not (rdfs:subClassOf+)."""
    found: dict[str, set[str]] = {}
    for row in store.query(internal("shacl-subclasses"), default_graph=default):
        if isinstance(row["sub"], ox.NamedNode) and isinstance(row["super"], ox.NamedNode):
            found.setdefault(row["super"].value, set()).add(row["sub"].value)
    return found


def _focus_nodes(store, default, shapes: rdflib.Graph, shape, subclasses: dict[str, set[str]]) -> list:
    """The nodes a node shape targets (sh:targetNode; sh:targetClass and its ``subclasses``), by direct
    index lookups of rdf:type (what the pyshacl path validates chunk by chunk)."""
    found = {ox.NamedNode(str(n)) for n in shapes.objects(shape, SH.targetNode) if isinstance(n, rdflib.URIRef)}
    rdf_type = ox.NamedNode(namespaces.RDF + "type")
    for cls in shapes.objects(shape, SH.targetClass):
        for each in {str(cls)} | subclasses.get(str(cls), set()):
            for graph in default:
                found.update(quad.subject for quad in store.quads_for_pattern(None, rdf_type, ox.NamedNode(each),
                                                                              graph))
    return sorted(found, key=_node_order)


def _node_order(node) -> tuple[bool, str]:
    """IRIs first, then blank nodes, each by value: a stable order for focus nodes."""
    return isinstance(node, ox.BlankNode), node.value


def _prefixes(shapes: rdflib.Graph, constraint) -> dict[str, str]:
    prefixes = {}
    for source in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(source, SH.declare):
            prefixes[str(shapes.value(declaration, SH.prefix))] = str(shapes.value(declaration, SH.namespace))
    return prefixes


def _fill(message: str, bound: dict) -> str:
    """A SHACL message template with ``{?var}`` / ``{$var}`` replaced by the solution's values."""
    for name, term in bound.items():
        message = message.replace("{?" + name + "}", term.value).replace("{$" + name + "}", term.value)
    return message


def _label(data: rdflib.Graph, node) -> str | None:
    label = data.value(node, RDFS.label)
    return None if label is None else str(label)


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
