"""The site mapping: local codes to the graph's patient facts and procedures, and rating categories to PAMA codes.

The mapping is a JSON file a site edits (docs/cds-hooks.md); the shipped one (``iakg/cds/mapping.json``) holds
no codes, only the rating map. Codes of the graph's own CodeSystem and the LOINC codes the graph holds need
no entry. A mapping is checked when it is loaded: a bad file is refused with its path and the entry at fault.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iakg.errors import InputError

SHIPPED = Path(__file__).resolve().parent / "mapping.json"

#: The Argonaut PAMA rating codes (argonautproject/cds-hooks-for-pama, docs/index.md)
PAMA_CODES = ("appropriate", "not-appropriate", "no-criteria-apply")


@dataclass(frozen=True)
class FactRule:
    """A local code that states a patient fact.

    On a Condition, AllergyIntolerance or a ServiceRequest reason, the code states ``fact = value`` (``true``
    when no value is given). On an Observation, ``value`` fixes the value; without it the observation's own
    value is read (``valueBoolean``, or ``valueCodeableConcept`` translated through ``values``).
    """

    system: str
    code: str
    fact: str
    value: Any = None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Mapping:
    """A loaded, checked mapping file."""

    path: str
    rating_map: dict[str, str]
    orders: dict[tuple[str, str], str]  #: (system, code) -> procedure IRI
    facts: dict[tuple[str, str], tuple[FactRule, ...]]

    def rating(self, category: str) -> str | None:
        """The PAMA code for a category IRI (matched by its local name), or None when the map has none."""
        return self.rating_map.get(category.rsplit("/", 1)[-1].rsplit("#", 1)[-1])


def load(path: Path | str | None = None) -> Mapping:
    """Read and check a mapping file (the shipped one when ``path`` is None)."""
    where = Path(path) if path is not None else SHIPPED
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(where), "no such mapping file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(where), f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(str(where), exc.msg, exc.lineno, exc.colno) from None
    except (ValueError, RecursionError) as exc:  # e.g. a number past Python's 4,300-digit limit, deep nesting
        raise InputError(str(where), f"not usable JSON: {exc}") from None
    return parse(data, str(where))


def parse(data: Any, where: str = "mapping") -> Mapping:
    """Check a mapping given as a JSON value; raise :class:`InputError` naming the entry at fault."""
    if not isinstance(data, dict):
        raise InputError(where, "a mapping file holds one JSON object")
    unknown = set(data) - {"comment", "ratingMap", "orders", "facts"}
    if unknown:
        raise InputError(where, f"unknown key(s): {', '.join(sorted(unknown))} (expected ratingMap, orders, facts)")
    rating_map = data.get("ratingMap", {})
    if not isinstance(rating_map, dict):
        raise InputError(where, "ratingMap: expected an object of category -> PAMA code")
    for category, code in rating_map.items():
        if code not in PAMA_CODES:
            raise InputError(where, f"ratingMap.{category}: {code!r} is not one of {', '.join(PAMA_CODES)}")
    orders: dict[tuple[str, str], str] = {}
    for i, entry in enumerate(_list(data, "orders", where)):
        system, code = _coding(entry, f"orders[{i}]", where)
        procedure = entry.get("procedure")
        if not isinstance(procedure, str) or not procedure:
            raise InputError(where, f"orders[{i}].procedure: expected the procedure's IRI")
        orders[(system, code)] = procedure
    facts: dict[tuple[str, str], list[FactRule]] = {}
    for i, entry in enumerate(_list(data, "facts", where)):
        system, code = _coding(entry, f"facts[{i}]", where)
        fact = entry.get("fact")
        if not isinstance(fact, str) or not fact:
            raise InputError(where, f"facts[{i}].fact: expected a patient-fact key (iakg facts lists them)")
        values = entry.get("values", {})
        if not isinstance(values, dict):
            raise InputError(where, f"facts[{i}].values: expected an object of local code -> value")
        facts.setdefault((system, code), []).append(FactRule(system, code, fact, entry.get("value"), values))
    return Mapping(where, dict(rating_map), orders, {k: tuple(v) for k, v in facts.items()})


def _list(data: dict, key: str, where: str) -> list[dict]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise InputError(where, f"{key}: expected a list of objects")
    return value


def _coding(entry: dict, at: str, where: str) -> tuple[str, str]:
    system, code = entry.get("system"), entry.get("code")
    if not isinstance(system, str) or not system or not isinstance(code, str) or not code:
        raise InputError(where, f"{at}: expected a system and a code (strings)")
    return system, code
