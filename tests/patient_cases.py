"""The patient files of tests/fixtures/patients as CDS Hooks requests, and the orders they are walked with.

Each fact of a patient file becomes one Observation coded in the graph's own CodeSystem (code = the fact key;
``valueBoolean``, or ``valueCodeableConcept`` coded ``<key>.<notation>``), so the service reads exactly the
facts ``iakg match`` reads from the file. The orders are one per rated procedure, the non-contrast CT (the
article's critical error) and the non-contrast MRI (the article's second alternative when contrast is ruled
out); codes are the graph's LOINC notations (terminology reference) or the procedure's IRI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PATIENTS = Path(__file__).resolve().parent / "fixtures" / "patients"
FACTS_SYSTEM = "https://w3id.org/iakg/fhir/CodeSystem/patient-facts"
LOINC = "http://loinc.org"
URI = "urn:ietf:rfc:3986"
IAKGD = "https://w3id.org/iakg/id/"

#: order name -> (system, code, display, the procedure's local name)
ORDERS: dict[str, tuple[str, str, str, str]] = {
    "ct-ap": (LOINC, "36813-4", "CT Abdomen and Pelvis W contrast IV", "ct-abdomen-pelvis-with-iv-contrast"),
    "ct-cap": (LOINC, "72254-6", "CT Chest and Abdomen and Pelvis W contrast IV",
               "ct-chest-abdomen-pelvis-with-iv-contrast"),
    "mri": (URI, IAKGD + "mri-abdomen-pelvis-without-and-with-iv-contrast",
            "MRI abdomen and pelvis without and with IV contrast", "mri-abdomen-pelvis-without-and-with-iv-contrast"),
    "dotatate": (URI, IAKGD + "dotatate-pet-ct", "DOTATATE PET/CT", "dotatate-pet-ct"),
    "fdg": (URI, IAKGD + "fdg-pet-ct", "FDG PET/CT", "fdg-pet-ct"),
    "ct-ap-noncontrast": (LOINC, "36952-0", "CT Abdomen and Pelvis WO contrast",
                          "ct-abdomen-pelvis-without-iv-contrast"),
    "mri-noncontrast": (URI, IAKGD + "mri-abdomen-pelvis-without-iv-contrast",
                        "MRI abdomen and pelvis without IV contrast", "mri-abdomen-pelvis-without-iv-contrast"),
}


def names() -> list[str]:
    """The patient files' names, sorted."""
    return sorted(p.stem for p in PATIENTS.glob("*.json"))


def patient(name: str) -> dict[str, Any]:
    return json.loads((PATIENTS / f"{name}.json").read_text(encoding="utf-8"))


def facts(name: str) -> dict[str, Any]:
    """The stated facts of a patient file (its informative keys and nulls left out)."""
    return {k: v for k, v in patient(name).items() if k not in ("label", "note", "@id", "@context") and v is not None}


def _observation(i: int, key: str, value: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Observation", "id": f"obs-{i}", "status": "final",
                                "code": {"coding": [{"system": FACTS_SYSTEM, "code": key}]},
                                "subject": {"reference": "Patient/p"}}
    if isinstance(value, bool):
        resource["valueBoolean"] = value
    else:
        resource["valueCodeableConcept"] = {"coding": [{"system": FACTS_SYSTEM, "code": f"{key}.{value}"}]}
    return resource


def request(name: str, order: str, hook: str = "order-select") -> dict[str, Any]:
    """A CDS Hooks request: the patient's facts as prefetched Observations, one draft ServiceRequest."""
    system, code, display, _ = ORDERS[order]
    draft = {"resourceType": "ServiceRequest", "id": f"sr-{order}", "status": "draft", "intent": "order",
             "code": {"coding": [{"system": system, "code": code, "display": display}], "text": display},
             "subject": {"reference": "Patient/p"}}
    observations = [{"resource": _observation(i, k, v)} for i, (k, v) in enumerate(sorted(facts(name).items()))]
    context: dict[str, Any] = {"userId": "Practitioner/example", "patientId": "p",
                               "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                               "entry": [{"resource": draft}]}}
    if hook == "order-select":
        context["selections"] = [f"ServiceRequest/sr-{order}"]
    return {"hook": hook, "hookInstance": f"{name}-{order}", "context": context,
            "prefetch": {"patient": {"resourceType": "Patient", "id": "p"},
                         "observations": {"resourceType": "Bundle", "type": "searchset", "entry": observations}}}
