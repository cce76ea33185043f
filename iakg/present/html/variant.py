"""The variant (scenario) view's data: the table's rows and columns, the reader's dose plan, the protocol and
the alternatives grouped, for variant.html and resource.html, from the answers of the typed API."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from iakg.domain.dose import MIN_INTERVAL_MONTHS
from iakg.domain.model import Scenario

#: the variant table's columns that a source may leave unstated for every option: (row key, name); a column
#: empty in every row is not drawn, and the table says once what the source does not state
VARIANT_COLUMNS = (("soe", "strength of evidence"), ("rating", "rating (median)"),
                   ("adult", "adult radiation level"), ("child", "paediatric radiation level"),
                   ("condition", "condition"))


def variant_table(scenario: Scenario, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What variant.html draws: the rows (:func:`_rated_row`), the columns that hold a value in some row, and
    the names of those the source states for no option (said once under the table)."""
    shown = {key for key, _ in VARIANT_COLUMNS if any(row[key] is not None for row in rows)}
    return {"scenario": scenario, "rows": rows, "columns": shown,
            "unstated": [name for key, name in VARIANT_COLUMNS if key not in shown and key != "condition" and rows]}


def _first(obj: Any, *names: str) -> Any:
    """The first attribute of ``obj`` among ``names`` that is set (fields another branch is adding)."""
    for name in names:
        value = getattr(obj, name, None)
        if value not in (None, ""):
            return value
    return None


def _rated_row(rated: Any, evidence: list[dict[str, Any]]) -> dict[str, Any]:
    adult = rated.radiation
    child = _first(rated, "pediatric_radiation", "paediatric_radiation", "radiation_pediatric")
    median = _first(rated, "median", "rating_median")
    score = _first(rated, "score", "rating_score")
    return {"rated": rated, "adult": adult, "child": child,
            "soe": _first(rated, "evidence", "strength_of_evidence", "soe"),
            "score": score, "median": median, "evidence": evidence,
            "rating": score if score is not None else median, "condition": rated.condition or None}


def _plan(years: str | None, every: str | None, rules: list[Any]) -> dict[str, Any]:
    """The reader's plan (years, interval in months); defaults: 5 years at the shortest interval the
    scenario's rules state; with no rule, no interval is assumed (``every`` None until the reader gives one).
    Bad input is reported on the page, not raised."""
    default_every = min((r.min_months for r in rules), default=None)
    plan: dict[str, Any] = {"years": Decimal(5), "every": default_every, "chosen": bool(years or every),
                            "from_rules": bool(rules)}
    try:
        if years:
            plan["years"] = Decimal(years)
        if every:
            plan["every"] = Decimal(every)
        if not (0 < plan["years"] <= 100 and (plan["every"] is None
                                              or MIN_INTERVAL_MONTHS <= plan["every"] <= 1200)):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        plan.update(error=f"years must be a number between 0 and 100, the interval between {MIN_INTERVAL_MONTHS} "
                          "and 1200 months", years=Decimal(5), every=default_every)
    return plan


def _by_procedure(phases: Any) -> list[dict[str, Any]]:
    """Protocol phases grouped by procedure, in acquisition order."""
    groups: dict[str, dict[str, Any]] = {}
    for need in phases:
        groups.setdefault(need.procedure.iri, {"procedure": need.procedure, "phases": []})["phases"].append(need)
    for group in groups.values():
        group["essential"] = all(n.essential for n in group["phases"])
    return list(groups.values())


def _by_contraindication(options: Any) -> list[dict[str, Any]]:
    """Alternatives grouped by the contraindication that calls for them, in the source's order of preference."""
    groups: dict[str, dict[str, Any]] = {}
    for option in options:
        group = groups.setdefault(option.contraindication.iri, {"contraindication": option.contraindication,
                                                                "hedge": option.contraindication_hedge,
                                                                "agent": option.agent, "options": []})
        group["options"].append(option)
    return list(groups.values())
