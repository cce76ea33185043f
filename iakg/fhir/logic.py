"""A scenario's eligibility as FHIRPath that keeps three values: true, false and unknown.

The rules are read from the graph with the queries ``iakg match`` runs (``eligibility``, ``fact-evidence``,
``criteria-scenarios``), so the export follows whatever the matcher reads. Each patient fact is the FHIRPath
environment variable ``%<key>`` (a parameter of the topic's Library): a boolean, a Coding of the patient-facts
CodeSystem (``<key>.<notation>``), or the empty collection when the fact is not known. FHIRPath's ``and``,
``or`` and ``not()`` are three-valued over the empty collection, and a comparison with an empty operand is
empty, so "not known" is never read as false.

A fact the source derives from others (``iakg:FactEvidence``, e.g. a rising chromogranin A establishes a
suspicion of recurrence) is ``iif(<a rule fires>, true, iif(<a deciding fact is not known>, {}, %<key>))``:
true when a rule's stated fact has the rule's value (or the patient states it true); else unknown while a fact
a rule reads that an inclusion criterion tests (a deciding fact) is not known, since the rule may still fire;
else what the patient states, as ``iakg.domain.matching`` derives it (one step, from the stated facts only).

The scenario's status, as the matcher decides it, is split into conditions of a few facts each (a
PlanDefinition's conditions of one action are combined with AND):

========================  =============================================================================
excluded                  an exclusion criterion holds (one action per exclusion)
not applicable            no exclusion holds and this inclusion criterion fails (one action per inclusion)
undetermined (ask)        no exclusion holds, no inclusion fails, and this deciding fact is not known
applicable                every inclusion criterion holds and every exclusion criterion fails
========================  =============================================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from iakg.catalogue import run
from iakg.domain.model_guidance import PatientFact
from iakg.errors import KGError
from iakg.fhir import FACTS_SYSTEM
from iakg.rdf.namespaces import XSD
from iakg.rdf.terms import IRI

#: the kinds of condition the ``eligibility`` query reports (its ``kind`` column): criteria, the scenario's
#: population groups (the patient must be in one), and limits of the source's scope (a patient "outside scope"
#: is not covered; a situation "not addressed" changes no verdict)
INCLUSION, EXCLUSION, POPULATION, OUTSIDE_SCOPE, NOT_ADDRESSED = (
    "inclusion", "exclusion", "population", "outside scope", "not addressed")
KINDS = (INCLUSION, EXCLUSION, POPULATION, OUTSIDE_SCOPE, NOT_ADDRESSED)
#: names FHIRPath (and the FHIR specification) give their own environment variables
RESERVED = frozenset({"context", "resource", "rootResource", "ucum", "sct", "loinc", "terminologies", "server",
                      "factory", "this", "index", "total"})
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Criterion:
    """One inclusion or exclusion criterion: the fact it tests and the value that meets it."""

    iri: str
    label: str
    kind: str  #: ``inclusion`` or ``exclusion``
    key: str
    expected: Any  #: as a patient file states it: a bool, a concept's notation, a literal
    redirect: str | None = None
    redirect_label: str | None = None


@dataclass(frozen=True)
class Derivation:
    """A rule of the source that establishes a fact (``established``) from a stated one."""

    iri: str
    label: str
    key: str
    expected: Any
    established: str
    qualifier: str | None = None
    #: the fact it reads is tested by an inclusion criterion: while not known, the established fact is open
    deciding: bool = False


@dataclass(frozen=True)
class Eligibility:
    """What decides whether a scenario applies: its criteria, and the rules that derive the facts they test."""

    scenario: str
    label: str
    criteria: tuple[Criterion, ...]
    derivations: tuple[Derivation, ...]
    matched: bool  #: the matcher considers the scenario (it has an inclusion criterion on a fact)
    #: the matcher never applies a scenario that names no population group (the source does not say whom it is
    #: for): such a scenario is undetermined whatever the patient states
    population_required: bool = False

    def of(self, kind: str) -> list[Criterion]:
        return [c for c in self.criteria if c.kind == kind]

    @property
    def inclusions(self) -> list[Criterion]:
        return self.of(INCLUSION)

    @property
    def exclusions(self) -> list[Criterion]:
        return self.of(EXCLUSION)

    @property
    def tested(self) -> list[str]:
        """The keys whose values decide the status, in order (each once): every kind but "not addressed"."""
        return list(dict.fromkeys(c.key for c in self.criteria if c.kind != NOT_ADDRESSED))

    @property
    def deciding(self) -> list[str]:
        """Every fact whose value can change the scenario's status: the tested facts, then the facts the
        derivation rules read."""
        return list(dict.fromkeys(self.tested + [d.key for d in self.derivations]))


def expected(value: Any) -> Any:
    """A criterion's value as a patient file states it: a concept's notation, else its IRI's last segment (as
    the matcher reads it), else the literal."""
    return value.rsplit("/", 1)[-1] if isinstance(value, IRI) else value


def eligibility(engine: Any) -> dict[str, Eligibility]:
    """Every scenario with criteria, by IRI, read with the matcher's own queries."""
    matched = {r["scenario"] for r in run(engine, "criteria-scenarios")}
    rows: dict[str, list[dict[str, Any]]] = {}
    for r in run(engine, "eligibility"):
        rows.setdefault(r["scenario"], []).append(r)
    included = {r["key"] for found in rows.values() for r in found if r["kind"] == INCLUSION}
    rules: dict[str, list[Derivation]] = {}
    for r in run(engine, "fact-evidence"):
        value = r["expectedNotation"] if r["expectedNotation"] is not None else expected(r["expected"])
        rules.setdefault(r["establishedKey"], []).append(
            Derivation(r["evidence"], r["label"], r["key"], value, r["establishedKey"], r["qualifier"],
                       r["key"] in included))
    out = {}
    unknown = sorted({r["kind"] for found in rows.values() for r in found} - set(KINDS))
    if unknown:
        raise KGError(f"the eligibility query reports conditions of kind {unknown[0]!r}, which the FHIR export "
                      "cannot write as FHIRPath: teach iakg/fhir/logic.py and iakg/fhir/cpg.py what it means")
    for scenario, found in sorted(rows.items()):
        criteria = tuple(Criterion(r["criterion"], r["criterionLabel"], r["kind"], r["key"], expected(r["expected"]),
                                   r["redirectsTo"], r["redirectLabel"]) for r in found)
        keys = dict.fromkeys(c.key for c in criteria)
        derivations = tuple(d for key in keys for d in rules.get(key, ()))
        out[scenario] = Eligibility(scenario, found[0]["scenarioLabel"], criteria, derivations, scenario in matched,
                                    population_required())
    return out


def population_required() -> bool:
    """Whether ``iakg match`` requires a population group (it then says so with its own outcome for a scenario
    naming none, ``UNSTATED_BY_SOURCE``): the export follows the matcher it mirrors."""
    from iakg.domain import matching

    return getattr(matching, "UNSTATED_BY_SOURCE", None) is not None


class Compiler:
    """FHIRPath text for the facts of one graph (their keys and datatypes)."""

    def __init__(self, facts: Iterable[PatientFact], derivations: Iterable[Derivation] = ()):
        self.facts = {f.key: f for f in facts}
        self.rules: dict[str, list[Derivation]] = {}
        for d in derivations:
            if d not in self.rules.setdefault(d.established, []):
                self.rules[d.established].append(d)

    def variable(self, key: str) -> str:
        """``%key`` (delimited with backticks when the key is not a plain identifier)."""
        if key in RESERVED:
            raise KGError(f"patient fact key {key!r} is a name FHIRPath reserves (%{key}); rename the fact")
        return f"%{key}" if _PLAIN.fullmatch(key) else "%`" + key.replace("\\", "\\\\").replace("`", "\\`") + "`"

    def equals(self, key: str, value: Any, term: str | None = None) -> str:
        """``term = value`` for fact ``key`` (``term`` defaults to the fact's variable): true, false, or empty
        when the fact is not known."""
        term = term or self.variable(key)
        fact = self.facts.get(key)
        if fact is not None and fact.values:
            return f"({term}.system = {literal(FACTS_SYSTEM)} and {term}.code = {literal(f'{key}.{value}')})"
        return f"({term} = {literal(value)})"

    def effective(self, key: str) -> str:
        """The fact's value after the source's derivations: ``iif(<a rule fires>, true, %key)``, unknown
        (``{}``) while no rule fires and a deciding fact a rule reads is not known."""
        rules = self.rules.get(key, [])
        if not rules:
            return self.variable(key)
        fires = " or ".join(self.equals(r.key, r.expected) for r in rules)
        waits = " or ".join(dict.fromkeys(f"{self.variable(r.key)}.empty()" for r in rules if r.deciding))
        if not waits:
            return f"iif({fires}, true, {self.variable(key)})"
        # stated true is settled; else unknown while a deciding fact is
        return f"iif({fires} or {self.equals(key, True)}, true, iif({waits}, {{}}, {self.variable(key)}))"

    def pending(self, key: str) -> list[str]:
        """The deciding facts the rules establishing ``key`` read (each once)."""
        return list(dict.fromkeys(r.key for r in self.rules.get(key, []) if r.deciding))

    def holds(self, criterion: Criterion) -> str:
        """Whether the criterion holds: true, false, or empty when its fact is not known."""
        return self.equals(criterion.key, criterion.expected, self.effective(criterion.key))

    def unknown(self, key: str) -> str:
        """True when the fact is not stated and no rule establishes it (after derivation it is not known)."""
        if not self.rules.get(key):
            return f"{self.variable(key)}.empty()"
        return f"({self.variable(key)}.empty() and {self.effective(key)}.empty())"

    def waits_for(self, key: str, source: str) -> str:
        """True when ``key`` is open because the deciding fact ``source`` is not known (and no rule fires)."""
        return f"({self.variable(source)}.empty() and {self.effective(key)}.empty())"


def is_false(expression: str) -> str:
    return f"{expression}.not()"


def not_true(expression: str) -> str:
    """True when ``expression`` is false or empty (unknown)."""
    return f"iif({expression}, false, true)"


def not_false(expression: str) -> str:
    """True when ``expression`` is true or empty (unknown)."""
    return f"iif({expression}.not(), false, true)"


def literal(value: Any) -> str:
    """A FHIRPath literal for a boolean, a number or a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)) or (isinstance(value, float) and value == value):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def parameter_type(fact: PatientFact) -> str:
    """The FHIR type of the fact's Library parameter."""
    if fact.values:
        return "Coding"
    return {XSD + "boolean": "boolean", XSD + "integer": "integer", XSD + "decimal": "decimal",
            XSD + "date": "date", XSD + "dateTime": "dateTime"}.get(fact.datatype, "string")
