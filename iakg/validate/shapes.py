"""Shapes and their targets (SHACL section 2) as the compiler reads them: a shapes graph indexed for its many
look-ups, every shape with a target found (all target kinds of SHACL Core, implicit class targets), and the
group pattern that binds a targeted shape's focus nodes in a query."""

from __future__ import annotations

import pyoxigraph as ox
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SH

TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


class Uncompiled(Exception):
    """Raised inside the compiler for a shape it does not compile (the reason, for debugging)."""


class ShapesView:
    """A shapes graph indexed once for the compiler's many look-ups (each of rdflib's costs microseconds, and a
    catalogue's shapes take thousands)."""

    def __init__(self, graph: rdflib.Graph):
        self.graph = graph
        self._out: dict = {}
        self._by_predicate: dict = {}
        for s, p, o in graph:
            self._out.setdefault(s, {}).setdefault(p, []).append(o)
            self._by_predicate.setdefault(p, []).append((s, o))

    def objects(self, subject, predicate) -> list:
        return self._out.get(subject, {}).get(predicate, [])

    def value(self, subject, predicate):
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def predicates(self, subject) -> list:
        return [p for p, objects in self._out.get(subject, {}).items() for _ in objects]

    def subjects(self, predicate, obj=None) -> list:
        return [s for s, o in self._by_predicate.get(predicate, []) if obj is None or o == obj]

    def transitive_subjects(self, predicate, obj) -> set:
        found, todo = {obj}, [obj]
        while todo:
            for s in self.subjects(predicate, todo.pop()):
                if s not in found:
                    found.add(s)
                    todo.append(s)
        return found


def view(shapes: rdflib.Graph | ShapesView) -> ShapesView:
    return shapes if isinstance(shapes, ShapesView) else ShapesView(shapes)


def n3(term) -> str:
    """A shapes-graph term as SPARQL text, serialised by pyoxigraph (an IRI is checked, a literal escaped)."""
    if isinstance(term, rdflib.URIRef):
        return str(ox.NamedNode(str(term)))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return str(ox.Literal(str(term), language=term.language))
        if term.datatype is not None:
            return str(ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype))))
        return str(ox.Literal(str(term)))
    raise Uncompiled(f"a query cannot hold the shapes term {term!r}")


def iri(term) -> str:
    """An IRI of the shapes graph as SPARQL text (a property, a class); Uncompiled for anything else."""
    if not isinstance(term, rdflib.URIRef):
        raise Uncompiled(f"{term!r} is not an IRI")
    return n3(term)


def rdf_list(shapes: ShapesView, head) -> list:
    items = list(rdflib.collection.Collection(shapes.graph, head))
    if head != RDF.nil and not items:
        raise Uncompiled(f"{head!r} is not an RDF list")
    return items


def targeted_shapes(shapes: rdflib.Graph | ShapesView) -> list:
    """Every shape of ``shapes`` with a target: explicit, or the implicit class target of a shape that is a
    class (a SHACL instance of rdfs:Class in the shapes graph), and a class that carries SHACL terms without
    being typed a shape (pyshacl reads it as one with an implicit target; the compiler hands it over)."""
    shapes = view(shapes)
    found: set = set()
    for target in TARGETS:
        found.update(shapes.subjects(target, None))
    found.update(implicit_class_shapes(shapes))
    found.update(untyped_class_shapes(shapes))
    return sorted(found, key=lambda s: (isinstance(s, rdflib.BNode), str(s)))


def class_kinds(shapes: ShapesView) -> set:
    """rdfs:Class, owl:Class and the subclasses of rdfs:Class the shapes graph states: a node of one of these
    types is a class."""
    return {RDFS.Class, OWL.Class} | set(shapes.transitive_subjects(RDFS.subClassOf, RDFS.Class))


def _classes(shapes: ShapesView) -> set:
    """The SHACL instances of rdfs:Class in the shapes graph."""
    return {s for kind in class_kinds(shapes) for s in shapes.subjects(RDF.type, kind)}


def implicit_class_shapes(shapes: rdflib.Graph | ShapesView) -> set:
    """The shapes that are also classes: their own targets are their instances."""
    shapes = view(shapes)
    shape_types = {SH.NodeShape, SH.PropertyShape}
    return {s for s in _classes(shapes) if set(shapes.objects(s, RDF.type)) & shape_types}


def untyped_class_shapes(shapes: ShapesView) -> set:
    return {s for s in _classes(shapes) - implicit_class_shapes(shapes)
            if any(str(p).startswith(str(SH)) for p in shapes.predicates(s))}


def instances(var: str, cls, subclasses: dict[str, set[str]], class_paths: bool) -> str:
    """A pattern true where ``var`` is a SHACL instance of ``cls`` (rdf:type/rdfs:subClassOf* in the data)."""
    if not isinstance(cls, rdflib.URIRef):
        raise Uncompiled("a class that is not an IRI")
    if class_paths:
        return f"{var} <{RDF.type}>/<{RDFS.subClassOf}>* {n3(cls)}"
    classes = " ".join(str(ox.NamedNode(c)) for c in sorted({str(cls)} | subclasses.get(str(cls), set())))
    return f"VALUES ?class_ {{ {classes} }} {var} <{RDF.type}> ?class_"


def target_pattern(shapes: rdflib.Graph | ShapesView, shape, implicit: bool, subclasses: dict[str, set[str]],
                   focus: set[str] | None, class_paths: bool = False) -> str:
    """The group pattern binding ``?this`` to the focus nodes of ``shape``, each once."""
    shapes = view(shapes)
    parts = []
    for cls in sorted(shapes.objects(shape, SH.targetClass), key=str) + ([shape] if implicit else []):
        parts.append(f"{{ {instances('?this', cls, subclasses, class_paths)} }}")
    nodes = sorted(shapes.objects(shape, SH.targetNode), key=str)
    if nodes:
        parts.append(f"{{ VALUES ?this {{ {' '.join(n3(n) for n in nodes)} }} }}")
    for predicate in sorted(shapes.objects(shape, SH.targetSubjectsOf), key=str):
        parts.append(f"{{ ?this {iri(predicate)} ?any_ }}")
    for predicate in sorted(shapes.objects(shape, SH.targetObjectsOf), key=str):
        parts.append(f"{{ ?any_ {iri(predicate)} ?this }}")
    if not parts:
        raise Uncompiled("no target")
    pattern = " UNION ".join(parts)
    if focus is not None:
        chosen = " ".join(str(ox.NamedNode(iri)) for iri in sorted(focus))
        pattern = f"VALUES ?this {{ {chosen} }} {pattern}"
    return f"{{ SELECT DISTINCT ?this WHERE {{ {pattern} }} }}"
