"""Coverage of a site's order log: how many orders the graph scores, and what it would take to score the rest.

An order log is a CSV file with a header row: an ``order`` column (a LOINC code the graph holds, a procedure
IRI or ``iakgd:`` CURIE, a local ``system|code`` the site mapping lists, or a procedure's label), an optional
``reason`` column (the free-text reason for exam) and optional columns named after patient facts (``iakg
facts``; ``true``/``false`` or a value's notation). Each order is decided as the CDS service decides a draft
order (``iakg.cds.decide``): coded facts first, the reason's text read when they do not decide.

Outcomes: **scored** (a scenario that applies rates the procedure), **need-more-info** (scenarios rate it but
facts that decide are missing), **no-criteria** (nothing in the graph applies, the patient is outside what the
source covers, or the scenario that applies does not rate the procedure), **not-recognised** (the order is not a
procedure the graph or the mapping
knows). Orders scored only with facts read from text are counted apart: those facts still need confirming.
The reasons of the orders not scored are grouped (digits masked, so "2019" and "2021" fall together) and the
most frequent are returned with what the resolver made of them, for an author to write the missing guidance.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from iakg.cds.decide import (
    MISSING,
    NO_CRITERIA,
    NOT_COVERED_KIND,
    RATED,
    UNMAPPED,
    UNRATED,
    Decision,
    decide,
)
from iakg.cds.fhir import URI_SYSTEM, Facts
from iakg.cds.graph import GraphView
from iakg.cds.mapping import Mapping
from iakg.domain.model_coverage import (
    NEED_MORE_INFO,
    NO_CRITERIA_APPLY,
    NOT_RECOGNISED,
    OUTCOMES,
    SCORED,
    CoverageReport,
    Unmatched,
)
from iakg.errors import InputError
from iakg.rdf.engine import QueryEngine
from iakg.rdf.namespaces import PREFIXES

#: a decision's kind -> the coverage outcome (a patient the source does not cover: nothing in the graph applies)
_OUTCOME = {RATED: SCORED, MISSING: NEED_MORE_INFO, NO_CRITERIA: NO_CRITERIA_APPLY, UNRATED: NO_CRITERIA_APPLY,
            NOT_COVERED_KIND: NO_CRITERIA_APPLY, UNMAPPED: NOT_RECOGNISED}
ORDER_COLUMNS = ("order", "order code", "order_code", "code", "procedure")
REASON_COLUMNS = ("reason", "reason for exam", "reason_for_exam", "reason text", "indication")
#: the longest CSV field read (a reason is a line or two)
MAX_FIELD = 10_000


class _Orders:
    """Decisions for an order log, cached by (procedure, facts) and reasons by their text."""

    def __init__(self, engine: QueryEngine, mapping: Mapping):
        from iakg.domain.resolve import resolver

        self.view = GraphView(engine)
        self.mapping = mapping
        self.resolver = resolver(engine)
        self.facts = {f.key: f for f in self.view.facts()}
        self.labels = {p.label.lower(): iri for iri, p in self.view.procedures().items()}
        self._decisions: dict[tuple[str, frozenset], Decision] = {}
        self._reasons: dict[str, Any] = {}
        self._orders: dict[str, str | None] = {}

    def procedure(self, order: str) -> str | None:
        """The procedure IRI of an order cell, or None when neither the graph nor the mapping knows it."""
        if order in self._orders:
            return self._orders[order]
        text = order.strip()
        iri = self.view.loinc().get(text)
        if iri is None and "|" in text:
            system, _, code = text.partition("|")
            target = self.mapping.orders.get((system.strip(), code.strip()))
            iri = _expand(target) if target else None
        if iri is None:
            candidate = _expand(text)
            iri = candidate if candidate in self.view.procedures() else self.labels.get(text.lower())
        self._orders[order] = iri
        return iri

    def decision(self, iri: str, facts: Facts) -> Decision:
        key = (iri, frozenset(facts.values.items()))
        found = self._decisions.get(key)
        if found is None:
            order = {"resourceType": "ServiceRequest", "code": {"coding": [{"system": URI_SYSTEM, "code": iri}]}}
            found = self._decisions[key] = decide(order, facts, self.view, self.mapping)
        return found

    def reason(self, text: str) -> Any:
        found = self._reasons.get(text)
        if found is None:
            found = self._reasons[text] = self.resolver.resolve(text)
        return found


def _expand(name: str) -> str:
    prefix, _, local = name.partition(":")
    return PREFIXES[prefix] + local if prefix in PREFIXES and not local.startswith("//") else name


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    return next((lowered.index(n) for n in names if n in lowered), None)


def coverage(engine: QueryEngine, path: Path | str, mapping: Mapping | None = None, top: int = 10,
             progress: Callable[[int, int], None] | None = None) -> CoverageReport:
    """The coverage report of an order log (see the module's docstring); ``progress(rows, distinct reasons)`` is
    called every 10,000 rows."""
    from iakg.cds.mapping import load as load_mapping

    path = Path(path)
    orders = _Orders(engine, mapping or load_mapping())
    counts: Counter = Counter()
    from_text = 0
    missing: Counter = Counter()
    groups: dict[str, Unmatched] = {}
    if path.exists() and not path.is_file():  # a folder, a FIFO or a device: never read (a FIFO would block)
        raise InputError(str(path), "not a regular file")
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(str(path), exc.strerror or "cannot be read") from None
    with handle:
        rows = csv.reader(handle)
        try:
            header = next(rows, None)
            if header is None:
                raise InputError(str(path), "empty: expected a header row with an 'order' column")
            at_order, at_reason = _column(header, ORDER_COLUMNS), _column(header, REASON_COLUMNS)
            if at_order is None:
                raise InputError(str(path), "no order column: name one of " + ", ".join(ORDER_COLUMNS), 1, 1)
            fact_columns = [(i, h.strip()) for i, h in enumerate(header) if h.strip() in orders.facts]
            for row in rows:
                line = rows.line_num
                if not any(cell.strip() for cell in row):
                    continue
                cells = row + [""] * (len(header) - len(row))
                long = next((i for i, cell in enumerate(cells) if len(cell) > MAX_FIELD), None)
                if long is not None:
                    raise InputError(str(path), f"a field of more than {MAX_FIELD} characters", line, long + 1)
                facts = Facts()
                for i, key in fact_columns:
                    if cells[i].strip():
                        facts.state(key, _fact_value(orders.facts[key], cells[i].strip(), path, line, i + 1),
                                    "column")
                reason = cells[at_reason].strip() if at_reason is not None else ""
                iri = orders.procedure(cells[at_order])
                if iri is None:
                    outcome, resolution = NOT_RECOGNISED, orders.reason(reason) if reason else None
                else:
                    decision = orders.decision(iri, facts)
                    resolution = None
                    if decision.kind == MISSING and reason:
                        resolution = orders.reason(reason)
                        merged = facts.copy()
                        for key, value in resolution.facts.items() if resolution.names_condition else ():
                            if key not in merged.values and key not in merged.conflicting:
                                merged.state(key, value, "free text")
                        decision = orders.decision(iri, merged)
                        from_text += decision.kind == RATED
                    outcome = _OUTCOME[decision.kind]
                    if outcome == NEED_MORE_INFO:
                        missing.update(decision.missing)
                counts[outcome] += 1
                if outcome != SCORED and reason:
                    _group(groups, reason, outcome, cells[at_order].strip(), iri, orders, resolution)
                if progress is not None and (sum(counts.values()) % 10_000 == 0):
                    progress(sum(counts.values()), len(orders._reasons))
        except csv.Error as exc:
            raise InputError(str(path), f"not a CSV file: {exc}", rows.line_num) from None
        except UnicodeDecodeError as exc:
            raise InputError(str(path), f"not UTF-8 text: {exc.reason}") from None
    ranked = sorted(groups.values(), key=lambda u: (-u.count, u.reason))[:top]
    return CoverageReport(str(path), sum(counts.values()), {o: counts.get(o, 0) for o in OUTCOMES}, from_text,
                          len(orders._reasons), ranked, missing)


def _fact_value(fact: Any, cell: str, path: Path, line: int, column: int) -> Any:
    if fact.values:
        if cell in fact.values:
            return cell
        raise InputError(str(path), f"{fact.key}: {cell[:40]!r} is not one of " + ", ".join(fact.values), line, column)
    if fact.datatype.endswith("#boolean"):
        if cell.lower() in ("true", "false"):
            return cell.lower() == "true"
        raise InputError(str(path), f"{fact.key}: expected true or false, got {cell[:40]!r}", line, column)
    return cell


def _group(groups: dict[str, Unmatched], reason: str, outcome: str, order: str, iri: str | None, orders: _Orders,
           resolution: Any) -> None:
    key = " ".join(re.sub(r"\s*\d+", "", reason.lower()).split())
    group = groups.get(key)
    if group is None:
        resolution = resolution or orders.reason(reason)
        group = groups[key] = Unmatched(reason, why=resolution.why, facts=dict(resolution.facts))
        for m in resolution.mentions:
            if m.role == "disease" and group.disease is None:
                group.disease = m.concept.label
            elif m.role == "population" and group.population is None:
                group.population = m.concept.label
            elif m.role == "phase" and group.phase is None:
                group.phase = m.concept.label
    group.count += 1
    group.outcomes[outcome] += 1
    group.procedures[orders.view.label(iri) if iri else order] += 1
