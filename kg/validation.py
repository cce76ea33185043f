"""SHACL validation with pyshacl, reported as a list a person can act on."""

from __future__ import annotations

from dataclasses import dataclass, field

import rdflib
from rdflib.namespace import RDFS, SH, XSD

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


def validate_store(store, graphs: list[str], focus: set[str] | None = None) -> ValidationReport:
    """Validate the named ``graphs`` of a pyoxigraph ``store`` (ontology and instances) against the shapes.

    SHACL-Core constraints run in pyshacl. SHACL-SPARQL constraints run in the store's own SPARQL engine
    (Oxigraph): each constraint once per batch of focus nodes, joined in as ``VALUES ?this``, instead of
    once per node in rdflib (which re-parsed the query for every node and took hours on a catalogue-sized
    graph). A VALUES join equals SHACL's pre-binding of ``$this`` for constraints without sub-SELECTs;
    the shipped shapes have none (a test checks it).

    With ``focus`` (IRIs), only those nodes are validated: targeted validation of changed data.
    """
    from .rdflib_bridge import to_rdflib

    shapes = shapes_graph()
    data = to_rdflib(store, include_graphs=graphs) if focus is None else _neighbourhood(store, graphs, focus)
    core = rdflib.Graph()
    for triple in shapes:
        core.add(triple)
    core.remove((None, SH.sparql, None))
    violations = _core_violations(data, core, shapes)
    if focus is not None:
        violations = [v for v in violations if v.focus in focus]
    violations += _sparql_violations(store, graphs, shapes, data, focus)
    violations.sort(key=lambda v: (v.focus, v.path or "", v.message))
    return ValidationReport(violations)


def _neighbourhood(store, graphs: list[str], focus: set[str]) -> rdflib.Graph:
    """What SHACL-Core needs to judge the ``focus`` nodes: their triples, the ontology, and the types and
    labels of the nodes they point to (so sh:class can be checked) -- a small graph instead of all of it."""
    import pyoxigraph as ox

    from .namespaces import GRAPH_ONTOLOGY, RDF, RDFS
    from .rdflib_bridge import to_rdflib

    sub = ox.Store()
    sub.extend(store.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH_ONTOLOGY)))
    named = [ox.NamedNode(g) for g in graphs]
    objects = set()
    for iri in focus:
        for quad in store.quads_for_pattern(ox.NamedNode(iri), None, None):
            if quad.graph_name in named:
                sub.add(quad)
                if isinstance(quad.object, ox.NamedNode):
                    objects.add(quad.object)
    for node in objects:
        for predicate in (RDF + "type", RDFS + "label"):
            for quad in store.quads_for_pattern(node, ox.NamedNode(predicate), None):
                if quad.graph_name in named:
                    sub.add(quad)
    return to_rdflib(sub)


def _core_violations(data: rdflib.Graph, core: rdflib.Graph, shapes: rdflib.Graph) -> list[Violation]:
    import pyshacl

    _, report, _ = pyshacl.validate(data, shacl_graph=core, inference="none", allow_warnings=True, advanced=False)
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


def _sparql_violations(store, graphs: list[str], shapes: rdflib.Graph, data: rdflib.Graph,
                       focus: set[str] | None = None, batch: int = 5000) -> list[Violation]:
    import pyoxigraph as ox

    from .binding import join_values

    default = [ox.NamedNode(g) for g in graphs]
    failure = ox.Literal("true", datatype=ox.NamedNode(str(XSD.boolean)))
    violations = []
    for shape in sorted(set(shapes.subjects(SH.sparql, None)), key=str):
        if shapes.value(shape, SH.deactivated) == rdflib.Literal(True):
            continue
        severity = curie(str(shapes.value(shape, SH.severity) or SH.Violation)).replace("sh:", "")
        focus_nodes = _focus_nodes(store, default, shapes, shape)
        if focus is not None:
            focus_nodes = [node for node in focus_nodes if node.value in focus]
        for constraint in shapes.objects(shape, SH.sparql):
            text = str(shapes.value(constraint, SH.select))
            prefixes = _prefixes(shapes, constraint)
            message = str(shapes.value(constraint, SH.message) or "constraint violated")
            for start in range(0, len(focus_nodes), batch):
                query = join_values(text, "this", focus_nodes[start:start + batch])
                solutions = store.query(query, prefixes=prefixes, default_graph=default)
                names = [v.value for v in solutions.variables]
                for row in solutions:
                    bound = {name: row[name] for name in names if row[name] is not None}
                    if bound.get("failure") == failure:
                        raise ValueError(f"SPARQL constraint of {curie(str(shape))} failed on {bound.get('this')}")
                    node, path, value = bound["this"], bound.get("path"), bound.get("value")
                    violations.append(Violation(
                        focus=node.value, focus_label=_label(data, rdflib.URIRef(node.value)),
                        path=path.value if isinstance(path, ox.NamedNode) else None,
                        message=_fill(message, bound), severity=severity, shape=curie(str(shape)),
                        value=None if value is None else value.value))
    return violations


def _focus_nodes(store, default, shapes: rdflib.Graph, shape) -> list:
    """The IRIs a node shape targets (sh:targetClass, following rdfs:subClassOf; sh:targetNode)."""
    import pyoxigraph as ox

    found = {ox.NamedNode(str(n)) for n in shapes.objects(shape, SH.targetNode) if isinstance(n, rdflib.URIRef)}
    query = ("SELECT DISTINCT ?this ?class WHERE { ?this a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?class "
             "FILTER(isIRI(?this)) }")
    for cls in shapes.objects(shape, SH.targetClass):
        rows = store.query(query, default_graph=default, substitutions={ox.Variable("class"): ox.NamedNode(str(cls))})
        found.update(row["this"] for row in rows)
    return sorted(found, key=lambda n: n.value)


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
