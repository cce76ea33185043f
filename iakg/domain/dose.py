"""Radiation accounting: the cumulative effective dose of a surveillance plan, from the graph's numbers."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from iakg.catalogue import run
from iakg.domain.guidance import dose_caveats, recommend
from iakg.domain.guidance import procedure as find_procedure
from iakg.domain.guidance import scenario as find_scenario
from iakg.domain.model import RatedProcedure, Recommendation, Ref
from iakg.domain.model_guidance import Procedure
from iakg.domain.model_statements import DOSE_BANDS_NOTE, DoseComparison, DoseEstimate, DoseOption
from iakg.errors import DoseError
from iakg.rdf.engine import QueryEngine
from iakg.rdf.terms import IRI

POPULATIONS = ("adult", "pediatric")

#: the shortest interval between studies a plan may state (a bound on input, not a clinical statement)
MIN_INTERVAL_MONTHS = Decimal("0.1")


def parse_every(value: Any) -> tuple[Decimal, Decimal]:
    """An interval in months: a number, a (min, max) pair or text such as ``12`` or ``6-12``."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        low, high = (_positive(v, "interval") for v in value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[\d.]+\s*-\s*[\d.]+\s*", value):
        low, high = (_positive(v, "interval") for v in value.split("-"))
    else:
        low = high = _positive(value, "interval")
    if low > high:
        raise DoseError(f"interval {low}-{high} months: the shorter interval comes first")
    if low < MIN_INTERVAL_MONTHS:
        raise DoseError(f"interval {low} months: at least {MIN_INTERVAL_MONTHS} months (about 3 days) between "
                        "studies")
    return low, high


def estimate(procedure: Procedure, years: Any, every_months: Any, population: str = "adult",
             note: str | None = None) -> DoseEstimate:
    """Cumulative dose of ``procedure`` once every ``every_months`` for ``years`` (one study per full interval).

    With an interval range (e.g. 6-12 months) the study count and the dose are ranges: the long interval
    and the low end of the level's dose range give the minimum, the short interval and the high end the
    maximum. The dose is None when no source states the procedure's radiation level.

    ``pediatric`` uses the procedure's own paediatric level and that level's paediatric band (the two
    scales are rated apart); where no source states one, the dose is "not stated" and ``note`` says why.
    """
    if population not in POPULATIONS:
        raise DoseError(f"population {population!r}: use one of {', '.join(POPULATIONS)}")
    span = _positive(years, "years")
    low, high = parse_every(every_months)
    months = span * 12
    note = _level_note(procedure, population) if note is None else note
    studies_min, studies_max = int(months // high), int(months // low)
    level = procedure.level_for(population)
    per_min = per_max = None
    if level is not None and not level.varies:
        per_min, per_max = level.dose_min_msv, level.dose_max_msv
    total_min = None if per_min is None else Decimal(studies_min) * Decimal(per_min)
    total_max = None if per_max is None else Decimal(studies_max) * Decimal(per_max)
    return DoseEstimate(Ref(procedure.iri, procedure.label), level, population, span, low, high,
                        studies_min, studies_max, total_min, total_max, note)


def _level_note(procedure: Procedure, population: str) -> str | None:
    level = procedure.level_for(population)
    scale = "paediatric" if population == "pediatric" else "adult"
    if level is None:
        return f"no source states {'an' if scale == 'adult' else 'a'} {scale} radiation level for this procedure"
    if level.varies:
        return f"the {scale} radiation level varies with the case: no dose band is given"
    if level.dose_min_msv is None:
        return f"no source states the {scale} dose band of level {level.symbol}"
    if level.unconfirmed:
        return f"the {scale} band of level {level.symbol} is unconfirmed (third-party sources only)"
    return None


def _positive(value: Any, what: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DoseError(f"{what}: {str(value)[:40]!r} is not a number") from None
    if not number.is_finite() or number <= 0 or number > 1200:
        raise DoseError(f"{what}: {value} must be a positive number of at most 1200")
    return number


def cumulative_dose(engine: QueryEngine, procedure: str | Procedure, years: Any, every_months: Any,
                    population: str = "adult") -> DoseEstimate:
    """Cumulative effective dose of a procedure repeated every N months (or a (min, max) range) for years."""
    return estimate(find_procedure(engine, procedure), years, every_months, population)


def compare_radiation(engine: QueryEngine, scenario: Any, years: Any, every_months: Any,
                      population: str = "adult") -> list[DoseEstimate]:
    """The cumulative dose of each rated option of a scenario, least radiation first (unstated last)."""
    answer = recommend(engine, scenario)
    estimates = [_option_estimate(answer, p, years, every_months, population) for p in answer.procedures]
    return sorted(estimates, key=lambda e: (e.radiation is None or e.radiation.rank is None,
                                            (e.radiation.rank or 0) if e.radiation else 0, e.procedure.label))


def _option_estimate(answer: Recommendation, p: RatedProcedure, years: Any, every_months: Any,
                     population: str) -> DoseEstimate:
    """The estimate of one rated option, on the population's own scale, with why a dose may be missing."""
    procedure = Procedure(p.procedure, p.label, p.radiation, p.pediatric_radiation)
    note = _level_note(procedure, population)
    if population == "pediatric" and answer.profile is not None and answer.profile.adults_only:
        note = "this scenario is for adults" + (f"; {note}" if note else "")
    return estimate(procedure, years, every_months, population, note)


def scenario_doses(engine: QueryEngine, scenario: Any, years: Any, every_months: Any, population: str = "adult",
                   include_all: bool = False) -> DoseComparison:
    """The cumulative dose of a scenario's rated options, most appropriate first, then least radiation.

    Options rated in the lowest category of their scheme (e.g. "Usually not appropriate") are left out
    unless ``include_all``; the answer names them, says what the numbers are (relative radiation level
    bands, not patient doses) and carries the source's dose caveats and flagged inconsistencies.
    """
    target = find_scenario(engine, scenario)
    outside = not_covered(engine, target.iri, population)
    if outside is not None:  # as for a patient: no rating, no plan and no doses for a population not covered
        return DoseComparison(target, DOSE_BANDS_NOTE, (), (), (), outside)
    answer = recommend(engine, target)
    options, left_out = compare_options(engine, answer, years, every_months, population, include_all)
    return DoseComparison(target, DOSE_BANDS_NOTE, options, left_out, tuple(dose_caveats(engine, target)))


def compare_options(engine: Any, answer: Recommendation, years: Any, every_months: Any, population: str = "adult",
                    include_all: bool = False) -> tuple[tuple[DoseOption, ...], tuple[Ref, ...]]:
    """The dose options of a recommendation already read (what :func:`scenario_doses` and the scenario page
    show) and the lowest-category options left out unless ``include_all``."""
    rated = answer.procedures
    lowest = max((p.category_rank for p in rated), default=None)
    lowest = lowest if lowest is not None and any(p.category_rank != lowest for p in rated) else None
    options, left_out = [], []
    for p in rated:
        worst = lowest is not None and p.category_rank == lowest and _lowest_in_scheme(engine, p.category)
        if worst and not include_all:
            left_out.append(Ref(p.procedure, p.label))
            continue
        options.append(DoseOption(_option_estimate(answer, p, years, every_months, population), p.category_text,
                                  p.category_rank, bool(worst)))
    return tuple(options), tuple(left_out)


def not_covered(engine: QueryEngine, scenario: str, population: str) -> str | None:
    """Why a scenario does not cover ``population`` (``it is for adults``), read from its population groups
    (their paediatric flag): None when a group of that scale is among them, or the source names none."""
    groups = [r for r in run(engine, "eligibility", scenario=IRI(scenario)) if r["kind"] == "population"]
    if not groups or any(bool(r["pediatric"]) == (population == "pediatric") for r in groups):
        return None
    return "it is for " + " or ".join(dict.fromkeys(r["altLabel"] or r["criterionLabel"] for r in groups))


def _lowest_in_scheme(engine: QueryEngine, category: str) -> bool:
    """Whether no category of the category's scheme ranks after it (catalogue query ``lowest-ranked``)."""
    return bool(run(engine, "lowest-ranked", concept=IRI(category)))
