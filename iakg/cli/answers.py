"""The typed answering commands: each asks the API one question and hands the answer to ``present``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from iakg.cli.registry import Answer, answer
from iakg.domain.dose import POPULATIONS
from iakg.domain.model_statements import DOSE_BANDS_NOTE
from iakg.domain.patient import context
from iakg.errors import KGError
from iakg.present.matching import MATCH_HEADERS, interval_text, match_rows, match_text
from iakg.present.text import (
    DOSE_HEADERS,
    RECOMMENDATION_HEADERS,
    dose_rows,
    dose_text,
    hedged,
    recommendation_rows,
    recommendation_text,
    table,
)
from iakg.rdf.namespaces import expand


def _patient(p: argparse.ArgumentParser) -> None:
    p.add_argument("patient", type=Path, help="patient JSON file (see docs/patient-files.md)")


@answer("recommend", "rated procedures for a scenario, most appropriate first", scenario=True)
def _recommend(g: Any, args: argparse.Namespace) -> Answer:
    result = g.recommend(args.scenario)
    return result, RECOMMENDATION_HEADERS, recommendation_rows(result), recommendation_text(result)


@answer("match", "which scenario applies to a patient, and the plan for it", configure=_patient)
def _match(g: Any, args: argparse.Namespace) -> Answer:
    result = g.match(args.patient)
    return result, MATCH_HEADERS, match_rows(result), match_text(result)


@answer("scenarios", "list the clinical scenarios", listing=lambda g: g.count("scenarios"))
def _scenarios(g: Any, args: argparse.Namespace) -> Answer:
    items = g.scenarios(limit=args.limit, offset=args.offset)
    return items, ("scenario", "label", "topic", "ratings"), [(s.iri, s.label, s.topic, s.ratings) for s in items], None


@answer("topics", "list topic hubs, topics and protocol guides", listing=lambda g: g.count("topics"))
def _topics(g: Any, args: argparse.Namespace) -> Answer:
    items = g.topics(limit=args.limit, offset=args.offset)
    return items, ("topic", "kind", "label", "parent", "scenarios"), [
        (t.iri, t.kind, t.label, t.parent, t.scenarios) for t in items], None


def _schemes_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("scheme", nargs="?", help="one scheme (IRI or prefixed name, e.g. iakgd:strength-of-evidence)")


@answer("schemes", "list the concept schemes a table's cells may name, with their concepts' notations",
        configure=_schemes_options)
def _schemes(g: Any, args: argparse.Namespace) -> Answer:
    items = g.concept_schemes(expand(args.scheme.strip().strip("<>")) if args.scheme else None)
    return items, ("scheme", "label", "concepts"), [
        (s.iri, s.label, " | ".join(n or label or iri for iri, label, n in s.concepts)) for s in items], None


def _facts_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--context", action="store_true", help="print the JSON-LD context of patient files")


@answer("facts", "list the facts a patient file can state", configure=_facts_options,
        listing=lambda g: len(g.patient_facts()))
def _facts(g: Any, args: argparse.Namespace) -> Answer:
    if args.context:  # the JSON-LD context is whole: a patient file may use any fact
        items = g.patient_facts()
        return context(items), ("key", "iri"), [(f.key, f.iri) for f in items], None
    items = g.patient_facts(limit=args.limit, offset=args.offset)
    return items, ("key", "label", "values"), [
        (f.key, f.label, " | ".join(f.values) if f.values else f.datatype.rsplit("#", 1)[-1]) for f in items], None


@answer("procedures", "list imaging procedures with their radiation levels",
        listing=lambda g: g.count("procedures"))
def _procedures(g: Any, args: argparse.Namespace) -> Answer:
    items = g.procedures(limit=args.limit, offset=args.offset)
    return items, ("procedure", "label", "radiation", "adult_dose", "pediatric_radiation", "pediatric_dose"), [
        (p.iri, p.label, p.radiation.symbol if p.radiation else None,
         p.radiation.dose_range if p.radiation else None,
         p.pediatric_radiation.symbol if p.pediatric_radiation else None,
         p.pediatric_radiation.dose_range if p.pediatric_radiation else None) for p in items], None


def _result_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--result", help="only this result (e.g. negative, positive, indeterminate; checked against "
                                    "the graph's study results)")


@answer("next-steps", "what to do after a study, per result", scenario=True, configure=_result_option)
def _next_steps(g: Any, args: argparse.Namespace) -> Answer:
    items = g.next_steps(args.scenario, args.result)
    return items, ("result", "order", "step", "procedures", "interval_months", "alternatives", "hedge"), [
        (b.result, s.order, s.label, " | ".join(p.label for p in s.procedures), s.interval_months, b.alternatives,
         s.qualifier) for b in items for s in b.steps], "\n".join(
        f"If {b.result}" + (" (one of)" if b.alternatives else " (each, in no order the source gives)"
                            if len(b.steps) > 1 else "") + ":"
        + "".join(f"\n  - {hedged(s.label, s.qualifier)}" + (f" (repeats {s.follow_up_label})" if s.follow_up_label
                                                               else "")
                  + (" (or)" if b.alternatives and s is not b.steps[-1] else "")
                  for s in b.steps) for b in items) or "no next steps for this scenario"


def _contraindication_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--contraindication", help="only this contraindication (IRI or CURIE)")


@answer("alternatives", "what to order when a contrast agent is contraindicated", scenario=True,
        configure=_contraindication_option)
def _alternatives(g: Any, args: argparse.Namespace) -> Answer:
    items = g.alternatives(args.scenario, args.contraindication)
    return items, ("contraindication", "preference", "procedure", "label", "caveat"), [
        (a.contraindication.label, a.preference, a.procedure.iri, a.procedure.label, a.caveat) for a in items], \
        _alternatives_text(items)


def _alternatives_text(items: list) -> str:
    lines: list[str] = []
    for a in items:
        head = f"{a.contraindication.label} ({a.contraindication_hedge or 'rules out ' + a.agent}):"
        if head not in lines:
            lines.append(head)
        lines.append(f"  {a.preference}. {a.procedure.label}" + (f": {a.caveat}" if a.caveat else ""))
    return "\n".join(lines) or "no alternatives stated"


@answer("escalation", "when the source says to escalate, and to what", scenario=True)
def _escalation(g: Any, args: argparse.Namespace) -> Answer:
    items = g.escalation(args.scenario)
    text = "\n".join(f"If: {e.trigger} -> {e.action.label} ({e.qualifier or 'the source'})" for e in items)
    return items, ("advice", "trigger", "action", "hedge"), [
        (e.iri, e.trigger, e.action.label, e.qualifier) for e in items], text or "no escalation advice stated"


@answer("features", "the imaging features of each diagnosis a scenario works up", scenario=True,
        empty="no imaging features stated for this scenario's diagnoses")
def _features(g: Any, args: argparse.Namespace) -> Answer:
    items = g.imaging_features(args.scenario)
    return items, ("diagnosis", "feature", "definition"), [
        (f.diagnosis.label, f.feature.label, f.definition) for f in items], None


@answer("markers", "the biochemical markers a scenario monitors, and their roles", scenario=True)
def _markers(g: Any, args: argparse.Namespace) -> Answer:
    items = g.markers(args.scenario)
    text = "\n".join(f"{m.label}: {hedged(m.text, m.qualifier)}" for m in items)
    return items, ("marker", "label", "role", "hedge"), [(m.iri, m.label, m.text, m.qualifier) for m in items], \
        text or "no markers stated"


def _interval_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--grade", help="tumour grade notation, e.g. G1")
    p.add_argument("--stage", help="stage group notation, e.g. early")


@answer("interval", "surveillance interval for a tumour grade and stage group", scenario=True,
        configure=_interval_options)
def _interval(g: Any, args: argparse.Namespace) -> Answer:
    result = g.surveillance_interval(args.scenario, args.grade, args.stage)

    # a row a matching interval; none matching: one row saying which facts would decide (CSV and TSV too)
    rows: list[tuple[Any, ...]] = [(m.every, m.label, " ".join(m.grades), " ".join(m.stages), m.qualifier, None)
                                   for m in result.matches]
    text = "\n".join(interval_text(m) for m in result.matches) or None
    if not result.matches:
        rows = [(None, None, None, None, None, " ".join(result.missing))] if result.missing else []
        text = ("cannot decide; also state: " + ", ".join(result.missing) if result.missing
                else "no surveillance interval of this scenario applies")
    return result, ("every", "interval", "grades", "stages", "qualifier", "missing"), rows, text


def _dose_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("procedure", nargs="?", help="procedure IRI, local name or unique part of its label")
    p.add_argument("--scenario", help="compare every rated option of this scenario instead")
    p.add_argument("--years", required=True, help="length of the plan in years")
    p.add_argument("--every", required=True, metavar="MONTHS", help="interval in months, e.g. 12 or 6-12")
    p.add_argument("--population", choices=list(POPULATIONS), default="adult",
                   help="the radiation level scale to read: the procedure's adult RRL band or its paediatric one "
                        "(default: adult)")
    p.add_argument("--all", action="store_true",
                   help="with --scenario, also list options rated in the lowest category (usually not appropriate)")


@answer("dose", "cumulative radiation dose of a surveillance plan", configure=_dose_options)
def _dose(g: Any, args: argparse.Namespace) -> Answer:
    if bool(args.procedure) == bool(args.scenario):
        raise KGError("give a procedure, or --scenario to compare a scenario's rated options")

    if args.scenario:
        result = g.scenario_doses(args.scenario, args.years, args.every, args.population, include_all=args.all)
        return result, DOSE_HEADERS, dose_rows(result), dose_text(result)
    items = [g.cumulative_dose(args.procedure, args.years, args.every, args.population)]
    headers = ("procedure", "label", "radiation", "studies", "cumulative_dose", "note")
    rows = [(e.procedure.iri, e.procedure.label, e.radiation.symbol if e.radiation else "not stated", e.studies,
             e.total_range, e.note) for e in items]
    flags = [f"Source inconsistency: {text}" for text in g.source_inconsistencies(items[0].procedure.iri)]
    text = "\n".join([DOSE_BANDS_NOTE, "", table(headers[1:], [r[1:] for r in rows]), *flags])
    return items, headers, rows, text


@answer("diagnoses", "what a scenario's imaging looks for", scenario=True,
        empty="no diagnoses stated for this scenario")
def _diagnoses(g: Any, args: argparse.Namespace) -> Answer:
    items = g.diagnoses(args.scenario)
    return items, ("diagnosis", "label", "most_common", "sites"), [
        (d.iri, d.label, d.most_common, " | ".join(s.label for s in d.sites)) for d in items], None


@answer("pitfalls", "pitfalls of a scenario", scenario=True,
        empty="no pitfalls stated for this scenario")
def _pitfalls(g: Any, args: argparse.Namespace) -> Answer:
    items = g.pitfalls(args.scenario)
    return items, ("order", "pitfall", "critical", "consequence", "instead"), [
        (p.order, p.label, "critical error (the source)" if p.critical else "", p.consequence,
         p.instead.label if p.instead else None) for p in items], None


@answer("faq", "questions and answers for a scenario", scenario=True,
        empty="no questions and answers stated for this scenario")
def _faq(g: Any, args: argparse.Namespace) -> Answer:
    items = g.faq(args.scenario)
    text = "\n\n".join(f"{f.order}. {f.question}\n   {f.answer}" for f in items)
    return items, ("order", "question", "answer"), [(f.order, f.question, f.answer) for f in items], text


@answer("related", "topics, guides and scenarios linked to a scenario", scenario=True,
        empty="no related topics, guides or scenarios stated for this scenario")
def _related(g: Any, args: argparse.Namespace) -> Answer:
    result = g.related(args.scenario)
    return result, ("relation", "target", "label", "via"), [
        (link.relation, link.target.iri, link.target.label, link.via.label if link.via else None)
        for link in result.links], None


def _reason(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", help="the reason for exam as written, in quotes (e.g. \"s/p Whipple for pNET, NED\")")


@answer("resolve", "which scenario a free-text reason for exam is about, or why none", configure=_reason)
def _resolve(g: Any, args: argparse.Namespace) -> Answer:
    from iakg.present.resolution import RESOLVE_HEADERS, resolve_rows, resolve_text

    result = g.resolve(args.text)
    return result, RESOLVE_HEADERS, resolve_rows(result), resolve_text(result)
