"""Free text at order time: the reason written on a draft order (or a problem's text), read when no coded fact
decides.

``ServiceRequest.reasonCode[].text``, ``ServiceRequest.note[].text`` and the ``code.text`` of the prefetched
confirmed, active Conditions of the context patient are read by :mod:`iakg.domain.resolve`. The facts it reads
fill only keys no coded resource states (a coded fact always wins); each is marked as read from text, so the
card shows the words and asks to confirm them, and no rating is attached on the strength of unconfirmed words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iakg.cds.fhir import Facts, about, confirmed_active, resources
from iakg.domain.model_resolution import Resolution
from iakg.rdf.engine import QueryEngine

#: at most this many characters of free text are read per order
MAX_TEXT = 2_000


@dataclass(frozen=True)
class TextReading:
    """What the order's free text said: the words read, the resolution, and the facts it added."""

    text: str
    resolution: Resolution
    added: dict[str, Any]  #: fact key -> value, read from the text and used (no coded resource stated them)


def free_text(order: dict, prefetch: Any, patient: str) -> str:
    """The free text of a draft order and of the patient's confirmed, active Conditions, joined as one reason
    (the same resources whose codes state facts: never another patient's, never a provisional diagnosis)."""
    parts: list[str] = []
    for field in ("reasonCode", "note"):  # a CodeableConcept's text, an Annotation's text
        listed = order.get(field)
        for item in listed if isinstance(listed, list) else []:
            if isinstance(item, dict) and isinstance(item.get("text"), str):
                parts.append(item["text"])
    conditions = prefetch.get("conditions") if isinstance(prefetch, dict) else None
    for resource in resources(conditions):
        code = resource.get("code")
        if (resource.get("resourceType") == "Condition" and about(resource, patient) and confirmed_active(resource)
                and isinstance(code, dict) and isinstance(code.get("text"), str)):
            parts.append(code["text"])
    text = ". ".join(p.strip().rstrip(".") for p in parts if p.strip())
    return text[:MAX_TEXT]


def read(text: str, facts: Facts, engine: QueryEngine) -> tuple[Facts, TextReading]:
    """The coded facts completed by what the text states (coded facts win; none from a text that names no
    condition of the graph), and the reading for the card."""
    from iakg.domain.resolve import resolver

    resolution = resolver(engine).resolve(text)
    merged = facts.copy()
    added = {}
    # facts read from a text that names no condition of the graph would be about something else
    for key, value in resolution.facts.items() if resolution.names_condition else ():
        if key not in merged.values and key not in merged.conflicting:
            merged.state(key, value, "free text")
            added[key] = value
    return merged, TextReading(text, resolution, added)
