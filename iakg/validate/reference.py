"""pyshacl, the reference implementation, for the shapes the fast path hands over: on the whole data graph,
or, for the shipped shapes on a large graph, on the neighbourhoods of a few thousand focus nodes at a time
(what those shapes look at), so that memory stays bounded."""

from __future__ import annotations

import rdflib
from rdflib.namespace import RDF, RDFS, SH

from iakg.rdf.namespaces import curie
from iakg.validate.report import ShapesError, Violation, shown_message, violation
from iakg.validate.results import Result, normal, read_path


def by_chunk(store, default: list, subclasses: dict[str, set[str]], core: rdflib.Graph,
                              shapes: rdflib.Graph, focus: set[str] | None, chunk: int) -> list[Violation]:
    """SHACL-Core over the focus nodes (all targeted nodes, or those in ``focus``), ``chunk`` at a time."""
    import pyoxigraph as ox

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
        violations += [v for v in whole(data, core, shapes, only) if v.focus in keep]
    return violations


def _neighbourhood(store, default: list, nodes: list, inverse: set) -> rdflib.Graph:
    """What SHACL-Core needs to judge ``nodes``: the ontology; their triples (and those of the blank nodes
    they reach, e.g. lists); the triples that point at them through a predicate some shape follows
    inversely; the types and labels of the nodes they point to (so sh:class can be checked)."""
    import pyoxigraph as ox

    from iakg.rdf.namespaces import GRAPH_ONTOLOGY, RDF, RDFS
    from iakg.rdf.rdflib_bridge import to_rdflib

    sub = ox.Store()
    # of the ontology, the class hierarchy is what SHACL-Core needs (sh:class accepts instances of subclasses)
    sub.extend(store.quads_for_pattern(None, ox.NamedNode(RDFS + "subClassOf"), None, ox.NamedNode(GRAPH_ONTOLOGY)))
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
    type_and_label = (ox.NamedNode(RDF + "type"), ox.NamedNode(RDFS + "label"))
    for node in objects:
        for predicate in type_and_label:
            for graph in default:
                quads.extend(store.quads_for_pattern(node, predicate, None, graph))
    sub.extend(quads)
    return to_rdflib(sub)


def whole(data: rdflib.Graph, core: rdflib.Graph, shapes: rdflib.Graph,
                     focus_nodes: list | None = None) -> list[Violation]:
    """pyshacl on ``data`` with the shapes graph ``core``; its results as violations."""
    import pyshacl

    # targeted (focus_nodes): only these nodes, against the shapes that target them
    try:
        _, report, _ = pyshacl.validate(data, shacl_graph=core, inference="none", allow_warnings=True,
                                        advanced=False, focus_nodes=focus_nodes or None)
    except Exception as exc:  # whatever pyshacl makes of shapes it cannot run is the shapes' fault
        text = " ".join(str(getattr(exc, "message", None) or exc).split())
        raise ShapesError(f"the shapes cannot be run (pyshacl, {type(exc).__name__}: {text[:300]})") from None
    violations = []
    for report_node in report.subjects(RDF.type, SH.ValidationReport):
        for node in report.objects(report_node, SH.result):  # top-level results only (no sh:detail)
            found = _report_result(report, node, shapes)
            label = _label(data, found.focus)
            shown = shown_message(found.messages) or report.value(node, SH.resultMessage) or "constraint violated"
            message = str(shown)
            violations.append(violation(found, owning_shape(shapes, found.source_shape), message, label))
    return violations


def _report_result(report: rdflib.Graph, node, shapes: rdflib.Graph) -> Result:
    """A result of a pyshacl report: its messages kept only where they are the shape's own sh:message."""
    path = report.value(node, SH.resultPath)
    value = report.value(node, SH.value)
    source = report.value(node, SH.sourceShape)
    messages = tuple(sorted(report.objects(node, SH.resultMessage),
                            key=lambda m: (getattr(m, "language", None) or "", str(m))))
    if shapes.value(source, SH.message) is None:
        messages = ()
    return Result(normal(report.value(node, SH.focusNode)), None if path is None else read_path(report, path),
                  None if value is None else normal(value), source, report.value(node, SH.sourceConstraintComponent),
                  report.value(node, SH.resultSeverity), messages)


def _focus_nodes(store, default, shapes: rdflib.Graph, shape, subclasses: dict[str, set[str]]) -> list:
    """The nodes a node shape targets (sh:targetNode; sh:targetClass and its ``subclasses``), by direct
    index lookups of rdf:type (what the pyshacl path validates chunk by chunk)."""
    import pyoxigraph as ox

    from iakg.rdf.namespaces import RDF

    found = {ox.NamedNode(str(n)) for n in shapes.objects(shape, SH.targetNode) if isinstance(n, rdflib.URIRef)}
    rdf_type = ox.NamedNode(RDF + "type")
    for cls in shapes.objects(shape, SH.targetClass):
        for each in {str(cls)} | subclasses.get(str(cls), set()):
            for graph in default:
                found.update(quad.subject for quad in store.quads_for_pattern(None, rdf_type, ox.NamedNode(each),
                                                                              graph))
    return sorted(found, key=_node_order)


def _node_order(node) -> tuple[bool, str]:
    """IRIs first, then blank nodes, each by value: a stable order for focus nodes."""
    import pyoxigraph as ox

    return isinstance(node, ox.BlankNode), node.value


def _label(data: rdflib.Graph, node) -> str | None:
    label = data.value(node, RDFS.label)
    return None if label is None else str(label)


def owning_shape(shapes: rdflib.Graph, shape) -> str | None:
    """The named node shape a (possibly anonymous property) shape belongs to."""
    if isinstance(shape, rdflib.BNode):
        parent = shapes.value(predicate=SH.property, object=shape)
        shape = parent if parent is not None else shape
    return None if shape is None else curie(str(shape))
