"""The definitional resources of the CPG export that do not depend on a scenario: the rating extension's
StructureDefinition, the CodeSystem of the kinds of action a PlanDefinition holds, an ActivityDefinition per
procedure and a Library of patient facts per topic. Every value comes from the graph; nothing is coded from
memory (a procedure has a LOINC coding only where the graph holds its code).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape
from typing import Any

from iakg.digest import PREFIX, of_bytes
from iakg.domain.model_guidance import PatientFact
from iakg.fhir import BASE, FACTS_SYSTEM, LOINC, URI_SYSTEM
from iakg.fhir.logic import Derivation, parameter_type

PUBLISHER = "IAKG contributors"
RESEARCH = "Research and educational use only: not for clinical decisions, billing or PAMA reporting."
#: the complex extension on a rated procedure's action (the StructureDefinition below defines it)
RATING_EXTENSION = f"{BASE}/StructureDefinition/rating"
#: the kinds of action a scenario's PlanDefinition holds (the CodeSystem below)
ACTION_KIND_SYSTEM = f"{BASE}/CodeSystem/cpg-action-kind"
ACTION_KINDS = {
    "applies": "The scenario applies: every inclusion criterion holds and every exclusion criterion fails. "
               "Its sub-actions are the procedures the source rates for it.",
    "rated-procedure": "A procedure the source rates for the scenario, with its appropriateness category.",
    "excluded": "An exclusion criterion holds: the patient is outside the scenario (and belongs to the "
                "scenario it names, if any).",
    "not-applicable": "No exclusion criterion holds and this inclusion criterion fails.",
    "undetermined": "Nothing rules the scenario out, but facts that decide it are not known: its sub-actions "
                    "ask for them.",
    "ask-for-fact": "Ask for a patient fact that decides whether the scenario applies (it is not known).",
    "not-covered": "The source does not cover the patient: in none of the scenario's population groups, or in a "
                   "situation outside the source's scope.",
    "not-addressed": "The patient is in a situation the source does not address: said beside any rating.",
    "population-not-stated": "The source does not say whom the scenario is for: it is never applied.",
}
#: sub-extensions of the rating extension: (url, FHIR type, min, what it holds)
RATING_PARTS = [
    ("rating", "uri", 1, "The rating's IRI in the graph."),
    ("category", "CodeableConcept", 1, "The appropriateness category (the graph's concept, and the code the "
                                       "CDS Hooks cards use)."),
    ("panelDisagreement", "boolean", 0, "Whether the panel disagreed (printed as \"(Disagreement)\")."),
    ("strengthOfEvidence", "CodeableConcept", 0, "The strength of evidence (SOE) where the source states it."),
    ("adultRadiationLevel", "CodeableConcept", 0, "The procedure's adult relative radiation level, with its "
                                                  "dose band."),
    ("pediatricRadiationLevel", "CodeableConcept", 0, "The procedure's paediatric relative radiation level "
                                                      "(rated apart from the adult level), with its dose band."),
    ("ratingCondition", "string", 0, "The condition the source attaches to the rating, in its own words."),
    ("score", "integer", 0, "The panel's final rating on the 1-9 scale, where the source gives it."),
    ("median", "integer", 0, "The median of the panel's votes, where the source gives it."),
]


def common(version: str, date: str | None) -> dict[str, Any]:
    """The metadata every canonical resource of the export carries (``date``: the content's issue date, if it
    has been issued)."""
    dated = {"date": date} if date else {}
    return {"version": version, "status": "active", "experimental": True, **dated, "publisher": PUBLISHER}


def with_narrative(resource: dict[str, Any]) -> dict[str, Any]:
    """``resource`` with a generated narrative (its title and description) after its id."""
    paragraphs = [resource.get("title") or resource.get("name") or resource["id"]]
    if resource.get("description"):
        paragraphs.append(resource["description"])
    div = "".join(f"<p>{escape(p, quote=False)}</p>" for p in paragraphs)
    text = {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{div}</div>'}
    head = {k: resource[k] for k in ("resourceType", "id")}
    return {**head, "text": text, **{k: v for k, v in resource.items() if k not in head}}


def identifier(iri: str) -> list[dict[str, str]]:
    return [{"system": URI_SYSTEM, "value": iri}]


def concept(iri: str, label: str, text: str | None = None) -> dict[str, Any]:
    """A concept of the graph as a CodeableConcept (its IRI is the code)."""
    return {"coding": [{"system": URI_SYSTEM, "code": iri, "display": label}], "text": text or label}


class Ids:
    """Resource ids (``[A-Za-z0-9.-]{1,64}``) from IRIs: the IRI's last segment, or, where two IRIs would get
    the same id or the segment is too long, a shortened segment with a hash of the IRI."""

    def __init__(self, iris: Iterable[str]):
        slugs: dict[str, list[str]] = {}
        for iri in sorted(set(iris)):
            slugs.setdefault(_slug(iri), []).append(iri)
        self._ids = {}
        for slug, group in slugs.items():
            for iri in group:
                unique = len(group) == 1 and len(slug) <= 64
                self._ids[iri] = slug if unique else f"{slug[:55]}-{of_bytes(iri.encode()).removeprefix(PREFIX)[:8]}"

    def __getitem__(self, iri: str) -> str:
        return self._ids[iri]

    def __contains__(self, iri: object) -> bool:
        return iri in self._ids


def _slug(iri: str) -> str:
    tail = re.split(r"[/#:]", iri.rstrip("/#"))[-1]
    return re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9.-]", "-", tail)).strip("-.") or "x"


def name(resource_id: str) -> str:
    """A computable name (``[A-Z][A-Za-z0-9_]*``) from an id: ``pnet-post-resection`` -> ``PnetPostResection``."""
    text = "".join(part[:1].upper() + part[1:] for part in re.split(r"[-.]", resource_id) if part)
    return text if text[:1].isalpha() else "X" + text


def action_kinds(version: str, date: str | None) -> dict[str, Any]:
    """The CodeSystem of the kinds of action in a scenario's PlanDefinition."""
    return {"resourceType": "CodeSystem", "id": "iakg-cpg-action-kind", "url": ACTION_KIND_SYSTEM,
            "name": "IakgCpgActionKind", "title": "Kinds of action in the graph's PlanDefinitions",
            **common(version, date),
            "description": "What an action of a scenario's PlanDefinition stands for: the scenario's status "
                           "for the patient (applies, excluded, not applicable, undetermined) or what to do "
                           "(a rated procedure, a fact to ask for). " + RESEARCH,
            "caseSensitive": True, "content": "complete", "count": len(ACTION_KINDS),
            "concept": [{"code": code, "display": code.replace("-", " ").capitalize(), "definition": text}
                        for code, text in ACTION_KINDS.items()]}


def rating_extension(version: str, date: str | None) -> dict[str, Any]:
    """The StructureDefinition of the rating extension (a complex extension on a PlanDefinition action)."""
    elements: list[dict[str, Any]] = [
        {"id": "Extension", "path": "Extension", "short": "A rating of the procedure for the scenario",
         "definition": "The graph's rating of the action's procedure for the PlanDefinition's scenario: "
                       "category, panel disagreement, strength of evidence, radiation levels and condition.",
         "min": 0, "max": "*"},
        {"id": "Extension.extension", "path": "Extension.extension",
         "slicing": {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}, "min": 2},
    ]
    for part, kind, least, text in RATING_PARTS:
        slice_id = f"Extension.extension:{part}"
        elements += [
            {"id": slice_id, "path": "Extension.extension", "sliceName": part, "short": text, "definition": text,
             "min": least, "max": "1"},
            {"id": f"{slice_id}.extension", "path": "Extension.extension.extension", "max": "0"},
            {"id": f"{slice_id}.url", "path": "Extension.extension.url", "fixedUri": part},
            {"id": f"{slice_id}.value[x]", "path": "Extension.extension.value[x]", "min": 1,
             "type": [{"code": kind}]},
        ]
    elements += [{"id": "Extension.url", "path": "Extension.url", "fixedUri": RATING_EXTENSION},
                 {"id": "Extension.value[x]", "path": "Extension.value[x]", "max": "0"}]
    return {"resourceType": "StructureDefinition", "id": "iakg-rating", "url": RATING_EXTENSION,
            "name": "IakgRating", "title": "Appropriateness rating of a procedure", **common(version, date),
            "description": "The appropriateness category, strength of evidence (SOE) and relative radiation "
                           "levels of a rated procedure, on the action of a scenario's PlanDefinition. " + RESEARCH,
            "fhirVersion": "4.0.1", "kind": "complex-type", "abstract": False,
            "context": [{"type": "element", "expression": "PlanDefinition.action"}],
            "type": "Extension", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
            "derivation": "constraint", "differential": {"element": elements}}


def activity(procedure: dict[str, Any], resource_id: str, version: str, date: str | None) -> dict[str, Any]:
    """The ActivityDefinition of a procedure: an order for it (a ServiceRequest) coded with the graph's codes."""
    codings = [{"system": LOINC, "code": code} for code in procedure["loinc"]]
    codings.append({"system": URI_SYSTEM, "code": procedure["iri"], "display": procedure["label"]})
    resource: dict[str, Any] = {
        "resourceType": "ActivityDefinition", "id": resource_id, "url": f"{BASE}/ActivityDefinition/{resource_id}",
        "identifier": identifier(procedure["iri"]), "name": name(resource_id), "title": procedure["label"],
        **common(version, date)}
    if procedure.get("definition"):
        resource["description"] = procedure["definition"]
    resource.update({"kind": "ServiceRequest", "intent": "proposal",
                     "code": {"coding": codings, "text": procedure["label"]}})
    return resource


def library(topic: str, label: str, resource_id: str, facts: list[PatientFact], derivations: list[Derivation],
            version: str, date: str | None) -> dict[str, Any]:
    """The Library of a topic: the patient facts its scenarios' conditions read, one input parameter each."""
    rules: dict[str, list[Derivation]] = {}
    for d in derivations:
        rules.setdefault(d.established, []).append(d)
    parameters = []
    for fact in sorted(facts, key=lambda f: f.key):
        text = f"{fact.label} ({fact.iri})."
        if fact.values:
            text += (" A Coding of " + FACTS_SYSTEM + ": " + ", ".join(f"{fact.key}.{n}" for n in sorted(fact.values))
                     + ".")
        for rule in rules.get(fact.key, []):
            text += f" Also true when {rule.key} is {_stated(rule.expected)}: {rule.label}."
        parameters.append({"name": fact.key, "use": "in", "min": 0, "max": "1", "documentation": text,
                           "type": parameter_type(fact)})
    resource: dict[str, Any] = {
        "resourceType": "Library", "id": resource_id, "url": f"{BASE}/Library/{resource_id}",
        "identifier": identifier(topic), "name": name(resource_id), "title": f"Patient facts: {label}",
        **common(version, date),
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/library-type", "code": "logic-library"}]},
        "description": ("The patient facts the conditions of this topic's PlanDefinitions read. Each parameter is "
                        "the FHIRPath environment variable of its name (%name): a boolean, or a Coding of the "
                        "patient-facts CodeSystem; a fact that is not known is the empty collection, never false. "
                        "A condition that is empty is not met; the 'undetermined' action asks for the facts that "
                        "are not known. " + RESEARCH),
        "relatedArtifact": [{"type": "depends-on", "display": "The graph's patient facts", "resource": FACTS_SYSTEM}]}
    if parameters:  # FHIR JSON has no empty arrays
        resource["parameter"] = parameters
    return resource


def _stated(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
