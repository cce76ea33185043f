"""The graph's patient facts as a FHIR R4 CodeSystem: the codes an EHR may send without a site mapping.

One concept per fact (code = the fact key); a fact whose values come from a concept scheme has one child
concept per value, coded ``<key>.<notation>`` (e.g. ``tumorGrade.G1``), for ``Observation.valueCodeableConcept``.
"""

from __future__ import annotations

from typing import Any

from iakg.domain.model_guidance import PatientFact
from iakg.fhir import FACTS_SYSTEM


def codesystem(facts: list[PatientFact], version: str, date: str | None = None) -> dict[str, Any]:
    """The CodeSystem resource (JSON) of ``facts``."""
    concepts = []
    for fact in sorted(facts, key=lambda f: f.key):
        concept: dict[str, Any] = {"code": fact.key, "display": fact.label,
                                   "definition": f"Patient fact {fact.iri} ({_kind(fact)})."}
        if fact.values:
            concept["concept"] = [{"code": f"{fact.key}.{notation}", "display": f"{fact.label}: {notation}",
                                   "definition": f"Value {iri} of {fact.iri}."}
                                  for notation, iri in sorted(fact.values.items())]
        concepts.append(concept)
    resource: dict[str, Any] = {
        "resourceType": "CodeSystem", "id": "iakg-patient-facts", "url": FACTS_SYSTEM, "version": version,
        "name": "IakgPatientFacts", "title": "Patient facts of the imaging-appropriateness knowledge graph",
        "status": "active", "experimental": True, "publisher": "IAKG contributors",
        "description": ("The facts the graph's scenarios test, for CDS Hooks requests (docs/cds-hooks.md). "
                        "Research and educational use only."),
        "caseSensitive": True, "hierarchyMeaning": "grouped-by", "content": "complete",
        "count": sum(1 + len(c.get("concept", [])) for c in concepts), "concept": concepts,
    }
    if date:
        resource["date"] = date
    return resource


def _kind(fact: PatientFact) -> str:
    if fact.values:
        return "one of " + ", ".join(sorted(fact.values))
    return "boolean" if fact.datatype.endswith("#boolean") else fact.datatype.rsplit("#", 1)[-1]
