"""From FHIR R4 JSON to the graph's patient facts: pure functions over plain dicts (no HTTP, no graph).

Facts come from three places: the prefetched Conditions and AllergyIntolerances (a coded problem states a
fact), the prefetched Observations (a coded observation with its value) and the draft order's
``reasonCode``. A code counts when it is the graph's own (:data:`FACTS_SYSTEM`, code = the fact key) or a
site mapping lists it. A fact two sources state differently is *conflicting*: it is not used, and the card
says so. Nothing is inferred from absence: a fact no resource states stays unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from iakg.cds.mapping import Mapping
from iakg.domain.model_guidance import PatientFact
from iakg.fhir import FACTS_SYSTEM, LOINC, URI_SYSTEM

__all__ = ["FACTS_SYSTEM", "LOINC", "URI_SYSTEM", "FactReader", "Facts", "codings", "procedure_codings", "resources"]


#: a Condition or AllergyIntolerance states a fact only while active (clinicalStatus) ...
_ACTIVE = {"active", "recurrence", "relapse"}
#: ... and confirmed (verificationStatus); "refuted" states its absence; unconfirmed, provisional,
#: differential and entered-in-error state nothing
_CONFIRMED, _REFUTED = "confirmed", "refuted"
#: an Observation states a value only when final (or corrected, amended); preliminary, registered, cancelled,
#: entered-in-error and unknown ones do not
_FINAL = {"final", "amended", "corrected"}


@dataclass
class Facts:
    """The facts read for one patient and order: values, where each came from, and what could not be used."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)
    conflicting: dict[str, list[Any]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  #: codes of the graph's CodeSystem that name no fact of it

    def state(self, key: str, value: Any, source: str) -> None:
        if key in self.conflicting:
            self.conflicting[key].append(value)
            return
        if key in self.values and self.values[key] != value:
            self.conflicting[key] = [self.values.pop(key), value]
            self.sources.pop(key, None)
            return
        self.values[key] = value
        self.sources.setdefault(key, []).append(source)

    def copy(self) -> Facts:
        return Facts(dict(self.values), {k: list(v) for k, v in self.sources.items()},
                     {k: list(v) for k, v in self.conflicting.items()}, list(self.ignored), list(self.unknown))


def resources(value: Any) -> Iterator[dict]:
    """The resources in a prefetch value: a resource, a Bundle's entries (recursively), or nothing (null)."""
    if not isinstance(value, dict):
        return
    if value.get("resourceType") == "Bundle":
        entries = value.get("entry")
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict):
                yield from resources(entry.get("resource"))
    elif isinstance(value.get("resourceType"), str):
        yield value


def codings(concept: Any) -> list[tuple[str, str, str | None]]:
    """(system, code, display) of a CodeableConcept's codings that have both a system and a code."""
    if not isinstance(concept, dict):
        return []
    out = []
    listed = concept.get("coding")
    for coding in listed if isinstance(listed, list) else []:
        if isinstance(coding, dict) and isinstance(coding.get("system"), str) and isinstance(coding.get("code"), str):
            display = coding.get("display")
            out.append((coding["system"], coding["code"], display if isinstance(display, str) else None))
    return out


def _status(resource: dict, field_name: str) -> set[str]:
    return {code for _, code, _ in codings(resource.get(field_name))}


def _label(resource: dict) -> str:
    kind = resource.get("resourceType", "resource")
    rid = resource.get("id")
    return f"{kind}/{rid}" if isinstance(rid, str) else str(kind)


class FactReader:
    """Reads facts from FHIR resources, for one graph (its fact keys and values) and one site mapping."""

    def __init__(self, facts: Iterable[PatientFact], mapping: Mapping):
        self.facts = {f.key: f for f in facts}
        self.mapping = mapping

    def rules(self, system: str, code: str) -> list[tuple[str, Any, dict[str, Any]]]:
        """(fact key, fixed value or None, local value map) for a coding."""
        if system == FACTS_SYSTEM and code in self.facts:
            return [(code, None, {})]
        return [(r.fact, r.value, r.values) for r in self.mapping.facts.get((system, code), ())]

    def _known(self, system: str, code: str, out: Facts, source: str) -> None:
        """A code of the graph's own CodeSystem that names no fact of the graph is reported, never silently
        dropped (a patient file with an unknown key is refused the same way)."""
        if system == FACTS_SYSTEM and code not in self.facts:
            import difflib

            by_lower = {key.lower(): key for key in self.facts}
            close = [by_lower[k] for k in difflib.get_close_matches(code.lower(), list(by_lower), 3, 0.6)]
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            out.unknown.append(f"{source}: `{code[:80]}` is not a fact of this graph{hint}")

    def read(self, prefetch: Any, reasons: Iterable[Any] = (), patient: str | None = None) -> Facts:
        """The facts stated by the prefetched resources and the order's ``reasonCode`` concepts. With
        ``patient`` (the hook's ``context.patientId``), a resource counts only if it is about that patient
        (``subject`` or, for an AllergyIntolerance, ``patient`` refers to ``Patient/<patient>``); only
        confirmed, active Conditions and AllergyIntolerances and final Observations state anything. What is
        not used is listed in ``ignored``, with why."""
        out = Facts()
        if isinstance(prefetch, dict):
            for value in prefetch.values():
                for resource in resources(value):
                    if resource.get("resourceType") in ("Condition", "AllergyIntolerance", "Observation") \
                            and patient is not None and not about(resource, patient):
                        out.ignored.append(f"{_label(resource)}: not about the patient of the request")
                        continue
                    self._resource(resource, out)
        for concept in reasons:
            self._presence(concept, out, "ServiceRequest.reasonCode", negated=False)
        return out

    def _resource(self, resource: dict, out: Facts) -> None:
        kind = resource.get("resourceType")
        if kind in ("Condition", "AllergyIntolerance"):
            verification = _status(resource, "verificationStatus")
            if _REFUTED in verification and len(verification) == 1:  # confirmed absent: stated false
                self._presence(resource.get("code"), out, _label(resource), negated=True)
                return
            clinical = _status(resource, "clinicalStatus")
            if verification != {_CONFIRMED} or not clinical or not clinical <= _ACTIVE:
                said = ", ".join(sorted(verification | clinical)) or "no status"
                out.ignored.append(f"{_label(resource)}: not a confirmed, active statement ({said}): not used")
                return
            self._presence(resource.get("code"), out, _label(resource), negated=False)
        elif kind == "Observation":
            if resource.get("status") not in _FINAL:
                out.ignored.append(f"{_label(resource)}: status {str(resource.get('status'))[:20]!r}, not final: "
                                   "not used")
                return
            for system, code, _ in codings(resource.get("code")):
                self._known(system, code, out, _label(resource))
                for key, fixed, values in self.rules(system, code):
                    value = fixed if fixed is not None else self._observed(key, resource, values)
                    self._state(key, value, out, _label(resource))

    def _presence(self, concept: Any, out: Facts, source: str, negated: bool) -> None:
        for system, code, _ in codings(concept):
            self._known(system, code, out, source)
            for key, fixed, _values in self.rules(system, code):
                value = True if fixed is None else fixed
                if negated:
                    if not isinstance(value, bool):
                        continue  # a refuted coded value says nothing about which value holds
                    value = not value
                self._state(key, value, out, source)

    def _observed(self, key: str, resource: dict, values: dict[str, Any]) -> Any:
        if isinstance(resource.get("valueBoolean"), bool):
            return resource["valueBoolean"]
        if isinstance(resource.get("valueString"), str):
            return values.get(resource["valueString"], resource["valueString"])
        for system, code, _ in codings(resource.get("valueCodeableConcept")):
            if code in values:
                return values[code]
            if system == FACTS_SYSTEM and code.startswith(key + "."):
                return code[len(key) + 1:]
        return None

    def _state(self, key: str, value: Any, out: Facts, source: str) -> None:
        fact = self.facts.get(key)
        if fact is None or value is None:
            out.ignored.append(f"{source}: no usable value for {key}")
            return
        if fact.values:
            ok = isinstance(value, str) and value in fact.values
        else:
            ok = isinstance(value, bool) if fact.datatype.endswith("#boolean") else not isinstance(value, (dict, list))
        if not ok:
            out.ignored.append(f"{source}: {str(value)[:40]!r} is not a value of {key}")
            return
        out.state(key, value, source)


def confirmed_active(resource: dict) -> bool:
    """True for a Condition or AllergyIntolerance that is confirmed and active: the only kind that states a fact
    (its coded facts, and the free text :mod:`iakg.cds.text` reads)."""
    clinical = _status(resource, "clinicalStatus")
    return _status(resource, "verificationStatus") == {_CONFIRMED} and bool(clinical) and clinical <= _ACTIVE


def about(resource: dict, patient: str) -> bool:
    """True if ``resource`` refers to ``Patient/<patient>`` as its subject (``patient`` for an
    AllergyIntolerance): relative (``Patient/x``) or absolute (``https://fhir.example/Patient/x``)."""
    field_name = "patient" if resource.get("resourceType") == "AllergyIntolerance" else "subject"
    reference = resource.get(field_name)
    target = reference.get("reference") if isinstance(reference, dict) else None
    if not isinstance(target, str):
        return False
    target = target.split("/_history/", 1)[0]
    return target == f"Patient/{patient}" or target.endswith(f"/Patient/{patient}")


def procedure_codings(service_request: dict) -> list[tuple[str, str, str | None]]:
    """The codings of a ServiceRequest's ``code``."""
    return codings(service_request.get("code"))
