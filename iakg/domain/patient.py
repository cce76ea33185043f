"""Patient files: documented JSON, turned into RDF through a JSON-LD context generated from the graph.

A patient file is one JSON object whose keys are the graph's patient-fact keys (``iakg facts`` lists them),
plus optional ``@id``, ``@context``, ``label`` and ``note``. Booleans are JSON true/false; a fact whose
values come from a concept scheme takes the concept's notation (``"tumorGrade": "G1"``). Each fact IRI is
used as the property (OWL 2 punning), so a new topic's facts need no code change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from iakg.domain.model_guidance import PatientFact
from iakg.errors import InputError, KGError, UnknownNameError
from iakg.rdf.namespaces import IAKG, PATIENT_CONTEXT_IRI, RDFS, XSD
from iakg.rdf.store import read_input

_INFORMATIVE = {"label": RDFS + "label", "note": RDFS + "comment"}
_KEYWORDS = {"@id", "@context", "@type"}

#: a patient file is a handful of facts: larger files, long texts and long numbers are refused
MAX_FILE_BYTES = 1_000_000
MAX_TEXT = 10_000

#: relative ``@id``s ("patient-17", "#p17", "") resolve against this base: an identifier, never lost
PATIENT_BASE = "https://w3id.org/iakg/patient/"


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
    data, where, _ = read_located(source)
    return data, where


def read_located(source: Mapping[str, Any] | str | Path) -> tuple[dict[str, Any], str, dict[str, tuple[int, int]]]:
    """:func:`read`, and where each key of a file is (line, column; empty for a dict). A key given twice is
    refused at its second place: JSON parsers keep one of the two silently (12 months would become 6-12)."""
    if isinstance(source, Mapping):
        return dict(source), "patient", {}

    path = Path(source)
    try:
        size = path.stat().st_size
    except (OSError, ValueError):
        size = 0
    if size > MAX_FILE_BYTES:
        raise InputError(str(path), f"a patient file of {size} bytes is refused (at most {MAX_FILE_BYTES})")
    raw = read_input(path)  # a regular file only: never a FIFO or a device
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(str(path), f"a patient file of more than {MAX_FILE_BYTES} bytes is refused")
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise InputError(str(path), exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise InputError(str(path), "JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise InputError(str(path), f"unusable JSON value: {str(exc)[:80]}") from None
    if not isinstance(data, dict):
        raise InputError(str(path), "a patient file holds one JSON object")
    places: dict[str, tuple[int, int]] = {}
    for key, line, column in _keys(text):
        if key in places:
            first = places[key][0]
            raise InputError(str(path), f"{key[:60]!r} is given twice (first on line {first}): state each fact "
                                        "once", line, column)
        places[key] = (line, column)
    return data, str(path), places


_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"\s*:?|[{}\[\]\n]')


def _keys(text: str) -> list[tuple[str, int, int]]:
    """(key, line, column) of every key of the outermost object of a JSON text already known to be valid:
    strings, brackets and line breaks are its only tokens that matter (a valid string holds no raw break)."""
    found: list[tuple[str, int, int]] = []
    depth, line, line_start = 0, 1, 0
    for token in _TOKENS.finditer(text):
        kind = token.group()
        if kind in ("{", "["):
            depth += 1
        elif kind in ("}", "]"):
            depth -= 1
        elif kind != "\n" and depth == 1 and kind.endswith(":"):
            found.append((json.loads(kind[:-1].rstrip()), line, token.start() - line_start + 1))
        breaks = kind.count("\n")  # a line break alone, or in the blanks after a string
        if breaks:
            line, line_start = line + breaks, token.start() + kind.rindex("\n") + 1
    return found


def check_exclusive(stated: Mapping[str, Any], rows: list[dict[str, Any]], where: str,
                    places: Mapping[str, tuple[int, int]] | None = None) -> None:
    """Refuse a patient stating two conditions the source treats as distinct clinical questions its workflow
    does not cover together (rows of the ``exclusive-conditions`` query), naming both (at the second one's place
    in a file)."""
    holding: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["key"] in stated and stated[row["key"]] == row["expected"]:
            holding.setdefault(row["set"], []).append(row)
    for found in holding.values():
        if len(found) > 1:
            places = places or {}
            first, second = sorted(found[:2], key=lambda r: places.get(r["key"], (0, 0)))
            line, column = places.get(second["key"], (None, None))
            raise InputError(where, f"{first['key']}={_text(first['expected'])} and {second['key']}="
                                    f"{_text(second['expected'])} are distinct clinical questions "
                                    f"({first['conditionLabel']}; {second['conditionLabel']}), each with its own "
                                    f"imaging pathway in the source: this workflow does not cover them together "
                                    f"({found[0]['setLabel']}); state the facts of one question", line, column)


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def check(data: dict[str, Any], facts: list[PatientFact], where: str,
          places: Mapping[str, tuple[int, int]] | None = None) -> None:
    """Reject unknown keys (with close matches) and values of the wrong type, before any RDF is made; in a file,
    at the key's line and column (``places``, from :func:`read_located`)."""
    import difflib

    def refuse(key: str, message: str) -> InputError:
        line, column = (places or {}).get(key, (None, None))
        return InputError(where, f"{key}: {message}", line, column)

    by_key = {f.key: f for f in facts}
    identifier = data.get("@id", "")
    if not isinstance(identifier, str) or len(identifier) > 2_000 or any(c in identifier for c in "<>\"{}|^`\\ "):
        raise refuse("@id", "expected an identifier (an IRI or a local name such as \"patient-17\")")
    if "@id" in data and not _resolves(identifier):
        raise refuse("@id", f"{identifier[:40]!r} is not an IRI or a local name such as \"patient-17\"")
    if "@type" in data and data["@type"] not in ("Patient", IAKG + "Patient"):
        raise refuse("@type", "a patient file describes one Patient; leave @type out")
    for key, value in data.items():
        if key in _KEYWORDS:
            continue
        if key in _INFORMATIVE:
            if not isinstance(value, str):
                raise refuse(key, "expected a string")
            if len(value) > MAX_TEXT:
                raise refuse(key, f"{len(value)} characters; at most {MAX_TEXT}")
            continue
        fact = by_key.get(key)
        if fact is None:
            names = {name.lower(): name for name in list(by_key) + list(_INFORMATIVE)}  # "MEN1" finds men1
            line, column = (places or {}).get(key, (None, None))
            raise UnknownNameError("patient fact", key, [names[n] for n in difflib.get_close_matches(
                key.lower(), list(names), 5, 0.5)], f"{where}:{line}:{column}" if line else "")
        if value is None:
            continue  # null means "not known", the same as leaving the key out
        if isinstance(value, (list, dict)) or (isinstance(value, str) and len(value) > MAX_TEXT):
            raise refuse(key, f"expected one value, not {type(value).__name__}")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not (
                abs(value) < 10**15 and value == value):
            raise refuse(key, f"the number {str(value)[:20]} is out of range")
        if fact.values:
            if value not in fact.values:
                raise refuse(key, f"{str(value)[:40]!r} is not one of " + ", ".join(fact.values))
        elif fact.datatype == XSD + "boolean" and not isinstance(value, bool):
            raise refuse(key, f"expected true or false, got {json.dumps(value)[:40]}")
    given = data.get("@context", PATIENT_CONTEXT_IRI)
    if given != PATIENT_CONTEXT_IRI:
        raise refuse("@context", f"must be {PATIENT_CONTEXT_IRI} or left out; other contexts are never fetched")


def _resolves(identifier: str) -> bool:
    """Whether JSON-LD processing keeps a node with this ``@id`` (an invalid IRI would drop every fact)."""
    probe = json.dumps({"@id": identifier, IAKG + "probe": "x"}).encode()
    try:
        return len(list(ox.parse(probe, format=ox.RdfFormat.JSON_LD, base_iri=PATIENT_BASE))) == 1
    except (SyntaxError, ValueError):
        return False


def to_rdf(data: dict[str, Any], facts: list[PatientFact]) -> list[ox.Triple]:
    """The patient's triples, by JSON-LD processing with the generated context (no network access)."""
    document = {k: v for k, v in data.items() if v is not None and k != "@context"}
    document.setdefault("@type", "Patient")
    # the terms of the facts the file states (a term the document does not use changes nothing, and a context
    # of every fact costs most of the JSON-LD processing)
    document["@context"] = context([f for f in facts if f.key in document])["@context"]
    try:
        quads = ox.parse(json.dumps(document).encode(), format=ox.RdfFormat.JSON_LD, base_iri=PATIENT_BASE)
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
