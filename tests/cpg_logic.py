"""Evaluating the fhir-cpg export's PlanDefinitions for a patient, with fhirpathpy, as a CPG engine would.

Each patient fact is bound as the FHIRPath environment variable of its key (the Library's parameters): a
boolean, a Coding of the patient-facts CodeSystem, or the empty collection when the fact is not stated. An
action applies when every one of its conditions gives true (a condition that is empty is not met) and its
parent action applies.

Conditions are compiled once and each result is kept per values of the variables the expression names: an
expression is a pure function of those variables (and is evaluated with those alone bound, so an expression
naming a variable the scan missed raises fhirpathpy's "undefined environment variable" rather than give a
wrong answer). A truth table of 3^10 rows thus costs a few hundred fhirpathpy evaluations, not millions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import fhirpathpy

from iakg.fhir import FACTS_SYSTEM, URI_SYSTEM
from iakg.fhir.definitions import ACTION_KIND_SYSTEM, RATING_EXTENSION

_VARIABLE = re.compile(r"%(?:`((?:[^`\\]|\\.)*)`|([A-Za-z_][A-Za-z0-9_]*))")


class Conditions:
    """FHIRPath conditions over patient facts (``{key: value}``; a key left out is not known)."""

    def __init__(self, coded: set[str]):
        self.coded = coded  #: the keys whose values are Codings
        self._compiled: dict[str, tuple[Any, tuple[str, ...]]] = {}
        self._memo: dict[tuple[str, tuple[Any, ...]], bool] = {}
        self.evaluations = 0  #: fhirpathpy evaluations actually run
        # per action (kept alive here, so that its id is never reused): the variables its conditions name
        self._action_names: dict[int, tuple[dict[str, Any], tuple[str, ...]]] = {}
        self._action_memo: dict[tuple[int, tuple[Any, ...]], bool] = {}

    def bind(self, key: str, value: Any) -> list[Any]:
        if value is None:
            return []
        if key in self.coded:
            return [{"system": FACTS_SYSTEM, "code": f"{key}.{value}"}]
        return [value]

    def all_met(self, action: dict[str, Any], patient: dict[str, Any]) -> bool:
        """Whether every condition of ``action`` is met (kept per values of the variables they name)."""
        names = self._action_names.get(id(action))
        if names is None:
            texts = [c["expression"]["expression"] for c in action.get("condition", [])]
            found = {a or b for text in texts for a, b in _VARIABLE.findall(text)}
            names = self._action_names[id(action)] = (action, tuple(sorted(found)))
        key = (id(action), tuple(patient.get(n) for n in names[1]))
        result = self._action_memo.get(key)
        if result is None:
            result = self._action_memo[key] = all(self.met(c["expression"]["expression"], patient)
                                                  for c in action.get("condition", []))
        return result

    def met(self, expression: str, patient: dict[str, Any]) -> bool:
        compiled = self._compiled.get(expression)
        if compiled is None:
            names = tuple(sorted({a or b for a, b in _VARIABLE.findall(expression)}))
            compiled = self._compiled[expression] = (fhirpathpy.compile(expression), names)
        function, names = compiled
        key = (expression, tuple(patient.get(n) for n in names))
        found = self._memo.get(key)
        if found is None:
            result = function({}, {n: self.bind(n, patient.get(n)) for n in names})
            assert result in ([True], [False], []), f"{expression} gave {result!r}: not one boolean or none"
            found = self._memo[key] = result == [True]
            self.evaluations += 1
        return found


@dataclass
class Outcome:
    """What a scenario's PlanDefinition says for one patient."""

    statuses: set[str] = field(default_factory=set)
    rated: set[tuple[str, str]] = field(default_factory=set)  #: (procedure IRI, category IRI)
    asked: set[str] = field(default_factory=set)  #: fact keys
    not_addressed: set[str] = field(default_factory=set)  #: action titles: situations the source is silent on
    redirects: set[str] = field(default_factory=set)  #: PlanDefinition URLs

    @property
    def status(self) -> str | None:
        assert len(self.statuses) <= 1, f"actions of two statuses apply at once: {self.statuses}"
        return next(iter(self.statuses), None)


STATUS = {"applies": "applicable", "excluded": "excluded", "not-applicable": "not applicable",
          "undetermined": "undetermined", "not-covered": "not covered"}


def kind(action: dict[str, Any]) -> str:
    return next(c["code"] for concept in action.get("code", []) for c in concept["coding"]
                if c["system"] == ACTION_KIND_SYSTEM)


def fact_key(action: dict[str, Any]) -> str:
    return next(c["code"] for concept in action["code"] for c in concept["coding"] if c["system"] == FACTS_SYSTEM)


def rating(action: dict[str, Any]) -> dict[str, Any]:
    """The rating extension's parts of a rated procedure's action, by url."""
    [extension] = [e for e in action.get("extension", []) if e["url"] == RATING_EXTENSION]
    return {part["url"]: part for part in extension["extension"]}


def category(action: dict[str, Any]) -> str:
    concept = rating(action)["category"]["valueCodeableConcept"]
    return next(c["code"] for c in concept["coding"] if c["system"] == URI_SYSTEM)


def outcome(plan: dict[str, Any], patient: dict[str, Any], conditions: Conditions,
            procedures: dict[str, str]) -> Outcome:
    """Apply ``plan`` to ``patient``: which status actions apply, the rated procedures, the facts asked for.
    ``procedures``: ActivityDefinition URL -> procedure IRI."""
    out = Outcome()

    def applies(action: dict[str, Any]) -> bool:
        return conditions.all_met(action, patient)

    for action in plan.get("action", []):
        if not applies(action):
            continue
        what = kind(action)
        children = [a for a in action.get("action", []) if applies(a)]
        if what == "undetermined":
            if children:
                out.statuses.add(STATUS[what])
                out.asked |= {fact_key(a) for a in children if kind(a) == "ask-for-fact"}
            continue
        if what == "not-addressed":  # beside the verdict, never a verdict
            out.not_addressed.add(action["title"])
            continue
        out.statuses.add(STATUS[what])
        if what == "applies":
            out.rated |= {(procedures[a["definitionCanonical"]], category(a)) for a in children
                          if kind(a) == "rated-procedure"}
        elif what == "excluded" and "definitionCanonical" in action:
            out.redirects.add(action["definitionCanonical"])
    return out
