"""What the CDS service reads from the graph, cached: the graph is read-only while it is served.

Typed answers come from ``iakg.domain`` (recommend, match, alternatives); the few lookups the domain has no
question for (a procedure's LOINC codes, which scenarios rate a procedure, a rating's evidence quote) are
small SPARQL queries with bound parameters, never formatted strings.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from iakg.catalogue import internal, run
from iakg.domain import guidance
from iakg.domain.model import Recommendation
from iakg.domain.model_guidance import PatientFact, Procedure
from iakg.errors import KGError
from iakg.rdf.engine import QueryEngine
from iakg.rdf.terms import IRI


@dataclass(frozen=True)
class Evidence:
    """Where a rating comes from: the verbatim quote, the section and the source document with its terms."""

    quote: str | None
    section: str | None
    source: str | None
    title: str | None
    license: str | None = None
    rights: str | None = None


class GraphView:
    """Cached lookups over one engine (embedded store or endpoint)."""

    def __init__(self, engine: QueryEngine):
        self.engine = engine
        self._lock = threading.Lock()
        self._cache: dict[tuple, Any] = {}

    def _cached(self, key: tuple, compute):
        try:
            return self._cache[key]
        except KeyError:
            pass
        value = compute()
        with self._lock:
            self._cache[key] = value
        return value

    def facts(self) -> list[PatientFact]:
        """The graph's patient facts."""
        return self._cached(("facts",), lambda: guidance.patient_facts(self.engine))

    def procedures(self) -> dict[str, Procedure]:
        """Every imaging procedure by IRI."""
        return self._cached(("procedures",), lambda: {p.iri: p for p in guidance.procedures(self.engine)})

    def loinc(self) -> dict[str, str]:
        """LOINC code -> procedure IRI, for the codes the graph holds."""
        def compute() -> dict[str, str]:
            return {r["code"]: r["procedure"] for r in self.engine.execute(internal("cds-procedure-codes")).rows()}
        return self._cached(("loinc",), compute)

    def selecting_keys(self) -> frozenset[str]:
        """Fact keys that can select a scenario in ``match``: tested by an inclusion criterion, or evidence from
        which the source derives another fact."""
        def compute() -> frozenset[str]:
            keys = {r["key"] for r in self.engine.execute(internal("cds-selecting-facts")).rows()}
            try:
                keys |= {r["key"] for r in run(self.engine, "fact-evidence")}
            except KGError:  # a graph or catalogue without derivation rules
                pass
            return frozenset(keys)
        return self._cached(("selecting",), compute)

    def flagged(self) -> frozenset[str]:
        """The resources whose source contradicts itself about them (``iakg:sourceInconsistency``): a flagged
        procedure's recorded radiation level is not a bound the answers rely on (e.g. DOTATATE PET/CT, whose dose
        the source calls higher than CT's while giving it the same level)."""
        return self._cached(("flagged",), lambda: frozenset(r["resource"] for r in run(
            self.engine, "source-inconsistencies")))

    def codes_of(self, procedure: str) -> list[str]:
        """The LOINC codes the graph holds for a procedure."""
        return sorted(code for code, iri in self.loinc().items() if iri == procedure)

    def rated_in(self, procedure: str) -> list[str]:
        """The scenarios that rate a procedure."""
        def compute() -> list[str]:
            rows = self.engine.execute(internal("cds-scenarios-rating"), {"procedure": IRI(procedure)}).rows()
            return [r["scenario"] for r in rows]
        return self._cached(("rated_in", procedure), compute)

    def recommend(self, scenario: str) -> Recommendation:
        """The rated procedures of a scenario."""
        return self._cached(("recommend", scenario), lambda: guidance.recommend(self.engine, scenario))

    def criteria(self, scenario: str) -> list[dict[str, Any]]:
        """The eligibility criteria of a scenario (rows of the ``eligibility`` query)."""
        return self._cached(("criteria", scenario), lambda: run(self.engine, "eligibility", scenario=IRI(scenario)))

    def evidence(self, rating: str) -> Evidence:
        """The quote, section and source of a rating."""
        def compute() -> Evidence:
            rows = self.engine.execute(internal("cds-rating-evidence"), {"rating": IRI(rating)}).rows()
            first = rows[0] if rows else {}
            return Evidence(first.get("quote"), first.get("section"), first.get("source"), first.get("title"),
                            first.get("license"), first.get("rights"))
        return self._cached(("evidence", rating), compute)

    def pitfalls(self, procedure: str) -> list[dict[str, Any]]:
        """The pitfalls the source names about ordering a procedure (rows of ``order-pitfalls``)."""
        return self._cached(("pitfalls", procedure), lambda: run(self.engine, "order-pitfalls",
                                                                 procedure=IRI(procedure)))

    def contraindications(self) -> list[dict[str, Any]]:
        """Every contraindication with its fact key and the procedures it rules out."""
        return self._cached(("contraindications",), lambda: run(self.engine, "contraindications"))

    def barred(self, stated: dict[str, Any]) -> dict[str, str]:
        """The procedures a stated fact rules out -> the contraindication's label."""
        return {r["procedure"]: r["contraindicationLabel"] for r in self.contraindications()
                if stated.get(r["key"]) is True}

    def contrast_agents(self, procedure: str) -> frozenset[str]:
        """The contrast agents a procedure uses."""
        def compute() -> dict[str, frozenset[str]]:
            found: dict[str, set[str]] = {}
            for r in self.engine.execute(internal("cds-contrast-agents")).rows():
                found.setdefault(r["procedure"], set()).add(r["agent"])
            return {k: frozenset(v) for k, v in found.items()}
        return self._cached(("agents",), compute).get(procedure, frozenset())

    def protocol(self, procedure: str, scenario: str) -> str | None:
        """The protocol the source gives a procedure in a scenario, as a card says it: ``multiphasic: late
        arterial phase + portal venous phase (the source: essential)``; None when it gives none."""
        def compute() -> str | None:
            needs = guidance.protocol(self.engine, procedure, scenario, self.label(procedure))
            if not needs:
                return None
            essential = " (the source: essential)" if all(n.essential for n in needs) else ""
            return "multiphasic: " + " + ".join(n.phase.label for n in needs) + essential
        return self._cached(("protocol", procedure, scenario), compute)

    def exclusive(self) -> list[dict[str, Any]]:
        """The conditions the source treats as distinct questions not covered together (``exclusive-conditions``)."""
        return self._cached(("exclusive",), lambda: run(self.engine, "exclusive-conditions"))

    def lowest(self, category: str) -> bool:
        """Whether a category is the lowest of its scheme (e.g. "Usually not appropriate")."""
        return self._cached(("lowest", category), lambda: bool(run(self.engine, "lowest-ranked",
                                                                    concept=IRI(category))))

    def label(self, iri: str) -> str:
        """A procedure's label (its IRI when the graph has none)."""
        procedure = self.procedures().get(iri)
        return procedure.label if procedure else iri
