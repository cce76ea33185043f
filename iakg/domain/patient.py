"""Patient files: documented JSON, turned into RDF through a JSON-LD context generated from the graph.

A patient file is one JSON object whose keys are the graph's patient-fact keys (``iakg facts`` lists them),
plus optional ``@id``, ``@context``, ``label`` and ``note``. Booleans are JSON true/false; a fact whose
values come from a concept scheme takes the concept's notation (``"tumorGrade": "G1"``). Each fact IRI is
used as the property (OWL 2 punning), so a new topic's facts need no code change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from iakg.domain.model import PatientFact
from iakg.errors import InputError, KGError, UnknownNameError
from iakg.rdf.namespaces import IAKG, PATIENT_CONTEXT_IRI, RDFS, XSD

_INFORMATIVE = {"label": RDFS + "label", "note": RDFS + "comment"}
_KEYWORDS = {"@id", "@context", "@type"}


def context(facts: list[PatientFact]) -> dict[str, Any]:
    """The JSON-LD context of patient files: one term per fact key, scoped value terms for schemes."""
    terms: dict[str, Any] = {"@version": 1.1, "iakg": IAKG, "Patient": IAKG + "Patient"}
    terms.update({k: {"@id": iri} for k, iri in _INFORMATIVE.items()})
    for fact in sorted(facts, key=lambda f: f.key):
        if fact.values:
            terms[fact.key] = {"@id": fact.iri, "@type": "@vocab", "@context": dict(sorted(fact.values.items()))}
        else:
            terms[fact.key] = {"@id": fact.iri, "@type": fact.datatype}
    return {"@context": terms}


def read(source: Mapping[str, Any] | str | Path) -> tuple[dict[str, Any], str]:
    """A patient as a JSON object and the name to report errors against (a file path, or ``patient``)."""
    if isinstance(source, Mapping):
        return dict(source), "patient"
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # ValueError: a NUL in the name
        raise InputError(repr(str(path))[1:-1], f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(str(path), exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise InputError(str(path), "JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise InputError(str(path), "a patient file holds one JSON object")
    return data, str(path)


def check(data: dict[str, Any], facts: list[PatientFact], where: str) -> None:
    """Reject unknown keys (with close matches) and values of the wrong type, before any RDF is made."""
    import difflib

    by_key = {f.key: f for f in facts}
    for key, value in data.items():
        if key in _KEYWORDS:
            continue
        if key in _INFORMATIVE:
            if not isinstance(value, str):
                raise InputError(where, f"{key}: expected a string")
            continue
        fact = by_key.get(key)
        if fact is None:
            names = list(by_key) + list(_INFORMATIVE)
            raise UnknownNameError("patient fact", key, difflib.get_close_matches(key, names, 5, 0.5))
        if value is None:
            continue  # null means "not known", the same as leaving the key out
        if fact.values:
            if value not in fact.values:
                raise InputError(where, f"{key}: {str(value)[:40]!r} is not one of " + ", ".join(fact.values))
        elif fact.datatype == XSD + "boolean" and not isinstance(value, bool):
            raise InputError(where, f"{key}: expected true or false, got {json.dumps(value)[:40]}")
    given = data.get("@context", PATIENT_CONTEXT_IRI)
    if given != PATIENT_CONTEXT_IRI:
        raise InputError(where, f"@context must be {PATIENT_CONTEXT_IRI} or left out; other contexts are "
                                "never fetched")


def to_rdf(data: dict[str, Any], facts: list[PatientFact]) -> list[ox.Triple]:
    """The patient's triples, by JSON-LD processing with the generated context (no network access)."""
    document = {k: v for k, v in data.items() if v is not None and k != "@context"}
    document.setdefault("@type", "Patient")
    document["@context"] = context(facts)["@context"]
    try:
        quads = ox.parse(json.dumps(document).encode(), format=ox.RdfFormat.JSON_LD)
        return [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    except (SyntaxError, ValueError) as exc:
        raise KGError(f"patient: JSON-LD processing failed: {exc}") from None


def values(triples: list[ox.Triple], facts: list[PatientFact]) -> dict[str, Any]:
    """The stated facts by key: booleans as bool, scheme values as their notation."""
    by_iri = {f.iri: f for f in facts}
    out: dict[str, Any] = {}
    for t in triples:
        fact = by_iri.get(t.predicate.value)
        if fact is None:
            continue
        if isinstance(t.object, ox.NamedNode):
            out[fact.key] = next(n for n, iri in fact.values.items() if iri == t.object.value)
        elif isinstance(t.object, ox.Literal):
            out[fact.key] = t.object.value == "true" if t.object.datatype.value == XSD + "boolean" else t.object.value
    return out
