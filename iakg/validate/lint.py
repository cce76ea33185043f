"""Lint: what SHACL cannot see. Run by every validation, its findings are violations like any other.

* every term of the project's ontology namespace that the graph uses (as a property, a class, or a value)
  is declared by the ontology, with "did you mean" for a typo (``iakg:AppropriatenessRatng``);
* every resource of the data namespace that is pointed at is described somewhere (a typo in a value);
* every class used has a shape (a shape targets it or one of its superclasses);
* labels are unique per kind where names are looked up by label (scenarios, procedures, topics, patient
  facts) and across the ontology's classes and properties.

Each check is a handful of index scans in the store's own engine, so it stays cheap on a large graph.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import pyoxigraph as ox

from iakg.catalogue import internal
from iakg.rdf.binding import bind_values
from iakg.rdf.namespaces import GRAPH_ONTOLOGY, IAKG, IAKGD, RDF, RDFS, curie
from iakg.rdf.terms import IRI
from iakg.validate.report import Violation, store_label

#: kinds whose members are found by label (iakg.domain.names): a label must name one of them only
NAMED_KINDS = ("ClinicalScenario", "ImagingProcedure", "Topic", "ProtocolGuide", "PatientFact")
_DECLARATIONS = ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty")


def lint(store, graphs: list, shape_targets: set[str], subclasses: dict[str, set[str]],
         focus: set[str] | None = None) -> list[Violation]:
    """The lint findings for the named ``graphs`` (pyoxigraph NamedNodes) of ``store``.

    ``shape_targets`` are the classes some shape targets; ``subclasses`` maps a class to its subclasses.
    With ``focus``, only findings about those resources are kept (targeted validation).
    """
    declared = _declared(store)
    found = _undeclared_terms(store, graphs, declared)
    found += _undescribed_resources(store, graphs)
    found += _classes_without_shape(store, graphs, declared, shape_targets, subclasses)
    found += _duplicate_labels(store, graphs, subclasses)
    if focus is not None:
        found = [v for v in found if v.focus in focus]
    return found


def _declared(store) -> set[str]:
    """The IRIs the ontology graph declares (classes, properties, datatypes)."""
    kinds = [ox.NamedNode("http://www.w3.org/2002/07/owl#" + k) for k in _DECLARATIONS]
    kinds.append(ox.NamedNode(RDFS + "Datatype"))
    rdf_type = ox.NamedNode(RDF + "type")
    out = set()
    for kind in kinds:
        for quad in store.quads_for_pattern(None, rdf_type, kind, ox.NamedNode(GRAPH_ONTOLOGY)):
            if isinstance(quad.subject, ox.NamedNode):
                out.add(quad.subject.value)
    return out


def _rows(store, graphs: list, query: str) -> Iterable:
    return store.query(query, default_graph=graphs)


def _undeclared_terms(store, graphs: list, declared: set[str]) -> list[Violation]:
    names = sorted(t[len(IAKG):] for t in declared if t.startswith(IAKG))
    found = []
    for row in _rows(store, graphs, internal("lint-used-terms")):
        term, role = row["term"].value, row["role"].value
        if term in declared or (role == "value" and _is_described(store, graphs, row["term"])):
            continue
        message = f"{curie(term)} is not declared by the ontology" + _did_you_mean(term[len(IAKG):], names, IAKG)
        found += _report(store, graphs, row["term"], role, message, "lint:undeclared-term")
    return found


def _is_described(store, graphs: list, node) -> bool:
    return any(True for g in graphs for _ in store.quads_for_pattern(node, None, None, g))


def _undescribed_resources(store, graphs: list) -> list[Violation]:
    """Data-namespace IRIs used as values that no triple describes: a typo in a value's name."""
    missing = [row["value"] for row in _rows(store, graphs, internal("lint-undescribed-values"))]
    if not missing:
        return []
    known = sorted({row["s"].value[len(IAKGD):] for row in _rows(store, graphs, internal("lint-typed-resources"))})
    found = []
    for node in missing:
        message = (f"{curie(node.value)} is used as a value but nothing describes it"
                   + _did_you_mean(node.value[len(IAKGD):], known, IAKGD))
        found += _report(store, graphs, node, "value", message, "lint:undescribed-resource")
    return found


def _classes_without_shape(store, graphs: list, declared: set[str], targets: set[str],
                           subclasses: dict[str, set[str]]) -> list[Violation]:
    covered = set(targets)
    for cls in targets:
        covered |= subclasses.get(cls, set())
    found = []
    for row in _rows(store, graphs, internal("lint-used-classes")):
        cls = row["class"].value
        if cls in declared and cls.startswith(IAKG) and cls not in covered:
            found += _report(store, graphs, row["class"], "class",
                             f"no shape targets {curie(cls)} or a superclass of it: its resources go unchecked",
                             "lint:class-without-shape")
    return found


def _duplicate_labels(store, graphs: list, subclasses: dict[str, set[str]]) -> list[Violation]:
    found = []
    kinds = [(k, {IAKG + k} | subclasses.get(IAKG + k, set())) for k in NAMED_KINDS]
    kinds.append(("ontology term", {"http://www.w3.org/2002/07/owl#" + k for k in _DECLARATIONS[:3]}))
    for kind, classes in kinds:
        query = bind_values(internal("lint-duplicate-labels"), {"class": [IRI(c) for c in sorted(classes)]})
        for row in _rows(store, graphs, query):
            members = sorted(row["members"].value.split())
            for member in members:
                others = ", ".join(curie(m) for m in members if m != member)
                found.append(Violation(
                    focus=member, focus_label=store_label(store, graphs, ox.NamedNode(member)), path=RDFS + "label",
                    message=f"label \"{row['key'].value}\" is also the label of {others}: labels must be unique "
                            f"per kind ({kind}), since names are looked up by label",
                    severity="Violation", shape="lint:duplicate-label"))
    return found


def _report(store, graphs: list, term, role: str, message: str, check: str) -> list[Violation]:
    """One violation per resource that uses ``term`` (as a property, a class or a value)."""
    rdf_type = ox.NamedNode(RDF + "type")
    uses: set[tuple[str, str | None]] = set()
    for graph in graphs:
        if role == "property":
            quads = store.quads_for_pattern(None, term, None, graph)
        elif role == "class":
            quads = store.quads_for_pattern(None, rdf_type, term, graph)
        else:
            quads = store.quads_for_pattern(None, None, term, graph)
        for quad in quads:
            if isinstance(quad.subject, ox.NamedNode):
                uses.add((quad.subject.value, quad.predicate.value))
    return [Violation(focus=subject, focus_label=store_label(store, graphs, ox.NamedNode(subject)),
                      path=path, message=message, severity="Violation", shape=check, value=term.value)
            for subject, path in sorted(uses)]


def _did_you_mean(name: str, known: list[str], namespace: str) -> str:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.75)
    if not close:
        lowered = {k.lower(): k for k in known}
        close = [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.75)]
    return f" (did you mean {' or '.join(curie(namespace + c) for c in close)}?)" if close else ""
