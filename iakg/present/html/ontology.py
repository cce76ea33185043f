"""The ontology documentation: every ``iakg:`` term (declared, or used as a property or a class) with its kind,
label, definition, domain, range, super-terms and where the graph uses it (how often, and an example)."""

from __future__ import annotations

from typing import Any

from iakg.catalogue import internal
from iakg.rdf.namespaces import IAKG, OWL, RDF, RDFS, SKOS, curie

KINDS = [(OWL + "Class", "Class"), (RDFS + "Class", "Class"), (OWL + "ObjectProperty", "Object property"),
         (OWL + "DatatypeProperty", "Datatype property"), (OWL + "AnnotationProperty", "Annotation property"),
         (RDF + "Property", "Property"), (RDFS + "Datatype", "Datatype"), (OWL + "NamedIndividual", "Individual")]
ORDER = ["Class", "Object property", "Datatype property", "Annotation property", "Property", "Datatype",
         "Individual", "Term"]


def terms(graph: Any) -> tuple[dict[str, list[Any]], list[dict[str, Any]]]:
    """(ontology header: property CURIE -> values, terms sorted by kind then name)."""
    found: dict[str, dict[str, Any]] = {}

    def term(iri: str) -> dict[str, Any]:
        return found.setdefault(iri, {"iri": iri, "name": iri[len(IAKG):], "facts": {}, "uses": 0,
                                      "instances": 0, "mentions": 0, "example": None})

    for row in graph.query(internal("ontology-terms")).rows():
        if "#" in row["t"][len(IAKG):] or not row["t"][len(IAKG):]:
            continue
        term(row["t"])["facts"].setdefault(row["p"], []).append(row["o"])
    for name, key in (("ontology-property-use", "uses"), ("ontology-class-use", "instances"),
                      ("ontology-mentions", "mentions")):
        for row in graph.query(internal(name)).rows():
            entry = term(row["t"])
            entry[key] = row["n"]
            if row.get("example") and not entry["example"]:
                entry["example"] = row["example"]
    for entry in found.values():
        facts = entry["facts"]
        types = {str(t) for t in facts.get(RDF + "type", [])}
        entry["kind"] = next((name for iri, name in KINDS if iri in types),
                             "Property" if entry["uses"] else "Class" if entry["instances"] else "Term")
        entry["label"] = _one(facts, RDFS + "label") or entry["name"]
        entry["definition"] = _one(facts, SKOS + "definition") or _one(facts, RDFS + "comment")
        entry["links"] = [(curie(p), facts[p]) for p in (RDFS + "subClassOf", RDFS + "subPropertyOf", RDFS + "domain",
                                                         RDFS + "range", OWL + "inverseOf", OWL + "equivalentClass")
                          if p in facts]
    header: dict[str, list[Any]] = {}
    for row in graph.query(internal("ontology-header")).rows():
        header.setdefault(curie(row["p"]), []).append(row["o"])
    ordered = sorted(found.values(), key=lambda e: (ORDER.index(e["kind"]), e["name"].lower()))
    return header, ordered


def _one(facts: dict[str, list[Any]], key: str) -> str | None:
    values = facts.get(key)
    return str(values[0]) if values else None
