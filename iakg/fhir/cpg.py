"""The guidance as FHIR clinical practice guidelines: one Bundle (type ``collection``) holding, for each topic, a
PlanDefinition per scenario, an ActivityDefinition per rated procedure and a Library of the patient facts,
with the patient-facts CodeSystem, the CodeSystem of action kinds and the rating extension's
StructureDefinition (docs/fhir-cpg.md).

A scenario's PlanDefinition holds, as actions with FHIRPath applicability conditions (``iakg.fhir.logic``):
the scenario applies (sub-actions: the rated procedures), one action per exclusion criterion (excluded), one
per inclusion criterion (not applicable), and "undetermined", whose sub-actions ask for each deciding fact
that is not known. A scenario the matcher never considers (no inclusion criterion on a fact) keeps its
ratings under an "applies" action whose condition is ``false``: nothing in the source says who is in it.

Everything is derived from the graph with the queries the answers use; the same graph gives the same bytes.
"""

from __future__ import annotations

from typing import Any

from iakg import catalogue
from iakg.domain import guidance
from iakg.domain.model import RatedProcedure, Recommendation, Scenario
from iakg.fhir import BASE, CATEGORY_SYSTEM, FACTS_SYSTEM, URI_SYSTEM
from iakg.fhir.codesystem import codesystem
from iakg.fhir.definitions import (
    ACTION_KIND_SYSTEM,
    RATING_EXTENSION,
    RESEARCH,
    Ids,
    action_kinds,
    activity,
    common,
    concept,
    identifier,
    library,
    name,
    rating_extension,
    with_narrative,
)
from iakg.fhir.logic import (
    NOT_ADDRESSED,
    OUTSIDE_SCOPE,
    POPULATION,
    Compiler,
    Eligibility,
    eligibility,
    is_false,
    not_false,
    not_true,
)

FHIRPATH = "text/fhirpath"
NO_TOPIC = "https://w3id.org/iakg/fhir/no-topic"  #: the group of scenarios no topic lists or shares a source with


def bundle(engine: Any, version: str, date: str | None) -> dict[str, Any]:
    """The Bundle of the whole graph (JSON as a dict, every list in a fixed order)."""
    facts = guidance.patient_facts(engine)
    rules = eligibility(engine)
    compiler = Compiler(facts, [d for e in rules.values() for d in e.derivations])
    scenarios, topics = _scenarios(engine)
    targets = [Scenario(iri, label) for iri, (label, _) in sorted(scenarios.items())]
    recommendations = guidance.recommend_many(engine, targets)
    procedures = _procedures(engine)
    provenance = _provenance(engine, list(scenarios) + [p.rating for r in recommendations.values()
                                                         for p in r.procedures])
    strengths = {r["rating"]: (r["strength"], r["label"])
                 for r in engine.execute(catalogue.internal("fhir-evidence-strength")).rows()}
    scenario_ids = Ids(scenarios)
    procedure_ids = Ids(procedures)
    topic_ids = Ids(topics)
    context = _Context(compiler, scenario_ids, procedure_ids, procedures, provenance, strengths)

    entries = [codesystem(facts, version, date), action_kinds(version, date), rating_extension(version, date)]
    by_key = {f.key: f for f in facts}
    for topic, topic_label in sorted(topics.items(), key=lambda t: (t[1], t[0])):
        used = [rules[s] for s, (_, owners) in sorted(scenarios.items()) if topic in owners and s in rules]
        keys = sorted({k for e in used for k in e.deciding})
        entries.append(library(topic, topic_label, topic_ids[topic], [by_key[k] for k in keys if k in by_key],
                               [d for e in used for d in e.derivations], version, date))
    for iri, (label, owners) in sorted(scenarios.items()):  # once each, with the Library of every topic it is in
        libraries = [f"{BASE}/Library/{topic_ids[t]}" for t in sorted(owners)]
        entries.append(context.plan(iri, label, rules.get(iri), recommendations[iri], libraries, version, date))
    rated = sorted({p.procedure for r in recommendations.values() for p in r.procedures})
    entries += [activity(procedures[p], procedure_ids[p], version, date) for p in rated]
    return {"resourceType": "Bundle", "id": "iakg-cpg", "type": "collection",
            "entry": [{"fullUrl": r["url"], "resource": with_narrative(r)} for r in entries]}


def _scenarios(engine: Any) -> tuple[dict[str, tuple[str, list[str]]], dict[str, str]]:
    """Scenario IRI -> (label, its topics); topic IRI -> label (``NO_TOPIC`` for scenarios with none)."""
    scenarios: dict[str, tuple[str, list[str]]] = {}
    topics: dict[str, str] = {}
    for r in engine.execute(catalogue.internal("fhir-scenarios")).rows():
        label, owners = scenarios.setdefault(r["scenario"], (r["label"], []))
        if r["topic"] is not None and r["topic"] not in owners:
            owners.append(r["topic"])
            topics[r["topic"]] = r["topicLabel"]
    for _, owners in scenarios.values():
        if not owners:
            owners.append(NO_TOPIC)
            topics[NO_TOPIC] = "Scenarios no topic lists"
    return scenarios, topics


def _procedures(engine: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in engine.execute(catalogue.internal("fhir-procedures")).rows():
        p = out.setdefault(r["procedure"], {"iri": r["procedure"], "label": r["label"],
                                            "definition": r["definition"], "loinc": [], "levels": {}})
        if r["loinc"] is not None and r["loinc"] not in p["loinc"]:
            p["loinc"].append(r["loinc"])
        for scale in ("adult", "pediatric"):
            if r[f"{scale}Level"] is not None:
                p["levels"][scale] = r[f"{scale}Level"]
    return out


def _provenance(engine: Any, iris: list[str]) -> dict[str, dict[str, list[str]]]:
    """IRI -> its quotes, sections and source documents (``title`` or IRI), each sorted."""
    from iakg.rdf.terms import IRI

    out: dict[str, dict[str, set[str]]] = {}
    if not iris:
        return {}
    query = catalogue.internal("fhir-provenance")
    for r in engine.execute(query, {"resource": [IRI(i) for i in sorted(set(iris))]}).rows():
        found = out.setdefault(r["resource"], {"quotes": set(), "sections": set(), "sources": set()})
        if r["quote"] is not None:
            found["quotes"].add(r["quote"])
        if r["section"] is not None:
            found["sections"].add(r["section"])
        if r["source"] is not None:
            found["sources"].add(r["title"] or r["source"])
    return {iri: {k: sorted(v) for k, v in found.items()} for iri, found in out.items()}


class _Context:
    """What every PlanDefinition is built from."""

    def __init__(self, compiler: Compiler, scenario_ids: Ids, procedure_ids: Ids,
                 procedures: dict[str, dict[str, Any]], provenance: dict[str, dict[str, list[str]]],
                 strengths: dict[str, tuple[str, str]]):
        self.compiler, self.scenario_ids, self.procedure_ids = compiler, scenario_ids, procedure_ids
        self.procedures, self.provenance, self.strengths = procedures, provenance, strengths

    def plan(self, iri: str, label: str, rules: Eligibility | None, recommendation: Recommendation,
             libraries: list[str], version: str, date: str | None) -> dict[str, Any]:
        resource_id = self.scenario_ids[iri]
        found = self.provenance.get(iri, {})
        resource: dict[str, Any] = {
            "resourceType": "PlanDefinition", "id": resource_id, "url": f"{BASE}/PlanDefinition/{resource_id}",
            "identifier": identifier(iri), "name": name(resource_id), "title": label,
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
                                 "code": "eca-rule"}]},
            **common(version, date),
            "description": _description(recommendation, rules),
            "usage": RESEARCH,
            "relatedArtifact": [{"type": "documentation", "display": "The scenario in the graph", "url": iri}]
            + _citations(found),
            "library": libraries,
        }
        if rules is not None and rules.matched:
            resource["action"] = self.actions(rules, recommendation)
        else:  # the matcher never considers it: its ratings are listed, never applied automatically
            resource["action"] = [self.applies(recommendation, [_condition(
                "false", "The source states no inclusion criterion on a patient fact for this scenario: no patient "
                         "is matched to it")])]
        return resource

    def actions(self, rules: Eligibility, recommendation: Recommendation) -> list[dict[str, Any]]:
        c = self.compiler
        holds = {criterion.iri: c.holds(criterion) for criterion in rules.criteria}
        groups, outside = rules.of(POPULATION), rules.of(OUTSIDE_SCOPE)
        # in one of the population groups: true, false (in none), or empty
        member = " or ".join(holds[g.iri] for g in groups)
        member = f"({member})" if len(groups) > 1 else member
        covered = [_condition(not_false(member), "In one of the population groups, or not known")] if groups else []
        covered += [_condition(not_true(holds[o.iri]), f"{o.label}: not known to hold") for o in outside]
        none_excludes = [_condition(not_true(holds[e.iri]), f"{e.label}: not known to hold")
                         for e in rules.exclusions]
        applies = [_condition(member, "In one of the population groups")] if groups else (
            [_condition("false", "The source does not say whom the scenario is for")]
            if rules.population_required else [])
        applies += [_condition(holds[i.iri], f"{i.label}: holds") for i in rules.inclusions]
        applies += [_condition(is_false(holds[e.iri]), f"{e.label}: does not hold") for e in rules.exclusions]
        applies += covered[1 if groups else 0:]  # no outside-scope situation holds
        actions = [self.applies(recommendation, applies)]
        if groups:
            actions.append({"id": "not-covered-population", "code": [_kind("not-covered")],
                            "title": "Not covered: the patient is in none of the scenario's population groups",
                            "description": "The source is for: " + "; ".join(g.label for g in groups) + ".",
                            "condition": [_condition(is_false(member), "In none of the population groups")]})
        for n, o in enumerate(outside, 1):
            actions.append({"id": f"not-covered-{n}", "title": f"Not covered: {o.label}",
                            "code": [_kind("not-covered")], "condition": [_condition(holds[o.iri], o.label)]})
        for n, e in enumerate(rules.exclusions, 1):
            action = {"id": f"excluded-{n}", "title": f"Excluded: {e.label}", "code": [_kind("excluded")],
                      "condition": covered + [_condition(holds[e.iri], f"{e.label}: holds")]}
            if e.redirect is not None:
                action["description"] = f"The patient belongs to: {e.redirect_label or e.redirect}."
                if e.redirect in self.scenario_ids:
                    action["definitionCanonical"] = f"{BASE}/PlanDefinition/{self.scenario_ids[e.redirect]}"
            actions.append(action)
        for n, i in enumerate(rules.inclusions, 1):
            actions.append({"id": f"not-applicable-{n}", "title": f"Does not apply: {i.label} does not hold",
                            "code": [_kind("not-applicable")],
                            "condition": covered + none_excludes + [_condition(is_false(holds[i.iri]),
                                                                               f"{i.label}: does not hold")]})
        for n, a in enumerate(rules.of(NOT_ADDRESSED), 1):  # beside any verdict but "not covered"
            actions.append({"id": f"not-addressed-{n}", "title": f"The source does not address: {a.label}",
                            "code": [_kind("not-addressed")],
                            "condition": covered + [_condition(holds[a.iri], a.label)]})
        actions.append({"id": "undetermined", "title": "Undetermined: ask for the facts that decide",
                        "code": [_kind("undetermined")],
                        "condition": covered + none_excludes + [
                            _condition(not_false(holds[i.iri]), f"{i.label}: not known to fail")
                            for i in rules.inclusions],
                        "groupingBehavior": "logical-group", "selectionBehavior": "all",
                        "action": self.asks(rules, member, groups)})
        return actions

    def asks(self, rules: Eligibility, member: str, groups: list[Any]) -> list[dict[str, Any]]:
        """The undetermined group's sub-actions: a fact a criterion tests, when not known; a population group's
        fact, when not known and the patient is in no group yet; the source naming no population."""
        c = self.compiler
        labels = {f.key: f.label for f in c.facts.values()}
        criteria = list(dict.fromkeys(k.key for k in rules.inclusions + rules.exclusions))
        # a deciding fact a rule reads, while not known, leaves the fact it may establish open: asked for too
        waiting = {source: [k for k in criteria if source in c.pending(k)] for k in criteria for source in c.pending(k)}
        asks = []
        for n, key in enumerate(dict.fromkeys(criteria + [g.key for g in groups] + list(waiting)), 1):
            derived = [d for d in rules.derivations if d.established == key]
            text = "Not known: the scenario's status depends on it."
            if derived:
                text += " Also established by: " + "; ".join(f"{d.label} ({d.key})" for d in derived) + "."
            if key in criteria or key in [g.key for g in groups]:
                conditions = [_condition(c.unknown(key), f"{key} is not known")]
                if key not in criteria:
                    conditions.append(_condition(not_true(member), "In none of the population groups yet"))
            else:
                opened = waiting[key]
                text = ("Not known: a rule of the source may establish " + ", ".join(opened) + " from it, so the "
                        "scenario's status depends on it.")
                conditions = [_condition(" or ".join(c.waits_for(k, key) for k in opened),
                                         f"{key} is not known and " + ", ".join(opened) + " is open")]
            asks.append({"id": f"ask-{n}", "title": f"Ask for: {labels.get(key, key)}", "description": text,
                         "code": [_kind("ask-for-fact"), {"coding": [{"system": FACTS_SYSTEM, "code": key}]}],
                         "condition": conditions})
        if rules.population_required and not groups:
            asks.append({"id": "population-not-stated", "code": [_kind("population-not-stated")],
                         "title": "The source does not say whom this scenario is for: it is never applied"})
        return asks

    def applies(self, recommendation: Recommendation, conditions: list[dict[str, Any]]) -> dict[str, Any]:
        rated = [self.rated(n, p, recommendation) for n, p in enumerate(recommendation.procedures, 1)]
        action: dict[str, Any] = {
            "id": "applies", "title": f"Applies: {recommendation.scenario.label}",
            "description": (f"The source rates {len(rated)} procedure(s) for this scenario." if rated else
                            "The source gives no appropriateness rating for this scenario."),
            "code": [_kind("applies")], "condition": conditions}
        if rated:
            action.update({"groupingBehavior": "logical-group", "selectionBehavior": "any", "action": rated})
        return action

    def rated(self, n: int, p: RatedProcedure, recommendation: Recommendation) -> dict[str, Any]:
        category = {"coding": [{"system": CATEGORY_SYSTEM, "code": p.category.rsplit("/", 1)[-1],
                                "display": p.category_label},
                               {"system": URI_SYSTEM, "code": p.category, "display": p.category_label}],
                    "text": p.category_text}
        parts: list[dict[str, Any]] = [{"url": "rating", "valueUri": p.rating},
                                       {"url": "category", "valueCodeableConcept": category},
                                       {"url": "panelDisagreement", "valueBoolean": p.disagreement}]
        if p.rating in self.strengths:
            parts.append({"url": "strengthOfEvidence", "valueCodeableConcept": concept(*self.strengths[p.rating])})
        levels = self.procedures.get(p.procedure, {}).get("levels", {})
        for scale, level in (("adult", p.radiation), ("pediatric", p.pediatric_radiation)):
            if scale in levels and level is not None:
                # the band of this scale (a paediatric level's band is the paediatric one, never the label's)
                shown = f"{level.symbol} ({level.dose_range})"
                parts.append({"url": f"{scale}RadiationLevel",
                              "valueCodeableConcept": concept(levels[scale], shown)})
        if p.condition:
            parts.append({"url": "ratingCondition", "valueString": p.condition})
        for part, value in (("score", p.score), ("median", p.median)):
            if value is not None:
                parts.append({"url": part, "valueInteger": value})
        action: dict[str, Any] = {
            "id": f"rated-{n}", "extension": [{"url": RATING_EXTENSION, "extension": parts}],
            "title": f"{p.label}: {p.category_text}",
            "textEquivalent": f"{p.label}: {p.category_text} for {recommendation.scenario.label}"
                              + (f" ({p.condition})" if p.condition else "") + ".",
            "code": [_kind("rated-procedure")]}
        if p.rationale:
            action["description"] = p.rationale
        documentation = [{"type": "justification", "label": "rationale", "display": p.rationale}] if p.rationale else []
        found = self.provenance.get(p.rating, {})
        documentation += _citations(found, "justification")
        if documentation:
            action["documentation"] = documentation
        action["definitionCanonical"] = f"{BASE}/ActivityDefinition/{self.procedure_ids[p.procedure]}"
        return action


def _citations(found: dict[str, list[str]], kind: str = "citation") -> list[dict[str, Any]]:
    """The source's verbatim words (one artifact per quote, citing the sources and sections), or the sources."""
    where = "; ".join(found.get("sources", []))
    if found.get("sections"):
        where += " (section: " + "; ".join(f"\u201c{s}\u201d" for s in found["sections"]) + ")"
    if found.get("quotes"):
        return [{"type": kind, "label": "quote", "display": quote, **({"citation": where} if where else {})}
                for quote in found["quotes"]]
    return [{"type": "citation", "display": source} for source in found.get("sources", [])]


def _description(recommendation: Recommendation, rules: Eligibility | None) -> str:
    text = f"Scenario: {recommendation.scenario.label}."
    if rules is not None and rules.criteria:
        text += " Inclusion: " + "; ".join(i.label for i in rules.inclusions) + "." if rules.inclusions else ""
        text += " Exclusion: " + "; ".join(e.label for e in rules.exclusions) + "." if rules.exclusions else ""
    return text + " " + RESEARCH


def _condition(expression: str, description: str) -> dict[str, Any]:
    return {"kind": "applicability",
            "expression": {"description": description, "language": FHIRPATH, "expression": expression}}


def _kind(code: str) -> dict[str, Any]:
    return {"coding": [{"system": ACTION_KIND_SYSTEM, "code": code}]}
