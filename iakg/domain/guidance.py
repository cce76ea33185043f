"""What the guidance says: topics, scenarios, ratings, procedures, workflow, diagnoses, pitfalls, FAQ, links.

Each function takes an engine (embedded or remote) and answers from the query catalogue with the typed
objects of :mod:`iakg.domain.model`.
"""

from __future__ import annotations

from typing import Any

from iakg import catalogue
from iakg.catalogue import run
from iakg.domain.model import (
    PhaseNeed,
    RadiationLevel,
    RatedProcedure,
    Recommendation,
    Ref,
    Scenario,
    ScenarioProfile,
)
from iakg.domain.model_guidance import (
    FAQ,
    AlternativeOption,
    Branch,
    ConceptScheme,
    Diagnosis,
    Link,
    PatientFact,
    Pitfall,
    Procedure,
    Related,
    Step,
    Topic,
)
from iakg.domain.model_statements import Escalation, FeatureOf, Hedged
from iakg.domain.names import find
from iakg.errors import ParameterError
from iakg.rdf.engine import QueryEngine
from iakg.rdf.terms import IRI

ScenarioLike = str | Scenario
RESULT_ORDER = {"negative": 0, "positive": 1, "indeterminate": 2}


def scenarios(engine: QueryEngine, iri: str | None = None, limit: int = 0, offset: int = 0) -> list[Scenario]:
    """Every clinical scenario (or the one with ``iri``), rated ones first; a page of at most ``limit`` (0:
    every one) after ``offset`` (read through the listing index where the dataset has one)."""
    params = {} if iri is None else {"scenario": IRI(iri)}
    return [Scenario(r["scenario"], r["label"], r["topic"], r["topicLabel"], r["ratings"])
            for r in run(engine, "scenarios", limit, offset, **params)]


def scenario(engine: QueryEngine, name: ScenarioLike) -> Scenario:
    """A scenario by IRI, CURIE, local name or a unique (case-insensitive) label match."""
    if isinstance(name, Scenario):
        return name
    return find("scenario", name, lambda iri: scenarios(engine, iri))


def topics(engine: QueryEngine, limit: int = 0, offset: int = 0) -> list[Topic]:
    """Every topic hub, topic and protocol guide, with its parent; a page of at most ``limit`` (0: every one)
    after ``offset``."""
    return [Topic(r["topic"], r["label"], r["kind"], r["parent"], r["scenarios"])
            for r in run(engine, "topics", limit, offset)]


def concept_schemes(engine: QueryEngine, iri: str | None = None) -> list[Any]:
    """Every concept scheme (or the one with ``iri``) with its concepts and their notations."""
    params: dict[str, Any] = {} if iri is None else {"scheme": IRI(iri)}
    found: dict[str, tuple[str | None, list[tuple[str, str | None, str | None]]]] = {}
    for r in run(engine, "concept-schemes", 0, 0, **params):
        label, concepts = found.setdefault(r["scheme"], (r["schemeLabel"], []))
        if all(c[0] != r["concept"] for c in concepts):
            concepts.append((r["concept"], r["label"], r["notation"]))
    return [ConceptScheme(s, label, tuple(cs)) for s, (label, cs) in found.items()]


def recommend(engine: QueryEngine, name: ScenarioLike) -> Recommendation:
    """Rated procedures for a scenario, from most to least appropriate, then by radiation, then in the
    source's row order; with the scenario's profile (variant, phase, population...)."""
    target = scenario(engine, name)
    rows = run(engine, "recommendation", scenario=IRI(target.iri))
    rated = [_rated(r) for r in rows]
    return Recommendation(target, rated, _phases(engine, rated, target), scenario_profile(engine, target))


def _phases(engine: QueryEngine, rated: list[RatedProcedure], target: Scenario) -> tuple[PhaseNeed, ...]:
    """The phases of every rated procedure in the scenario, in the rated order: one ``phases`` query with
    the procedures bound together (rather than one query a procedure)."""
    if not rated:
        return ()
    found: dict[str, list[PhaseNeed]] = {}
    labels = {p.procedure: p.label for p in rated}
    for r in run(engine, "phases", procedure=[IRI(p) for p in labels], scenario=IRI(target.iri)):
        procedure = r["procedure"]
        found.setdefault(procedure, []).append(PhaseNeed(Ref(procedure, labels[procedure]), r["order"],
                                                         Ref(r["phase"], r["phaseLabel"]), r["essential"],
                                                         r["purpose"]))
    return tuple(need for p in labels for need in found.get(p, []))


def recommend_many(engine: QueryEngine, targets: list[Scenario]) -> dict[str, Recommendation]:
    """:func:`recommend` for many scenarios at once, by IRI: the same answers from a few whole-graph reads
    (the catalogue's ``recommendation`` and ``scenario-profile`` queries with no scenario bound) instead of
    several queries a scenario. For the static site, which shows every scenario of a large catalogue."""
    owner = {r["rating"]: r["scenario"] for r in engine.execute(catalogue.internal("recommend-many-owners")).rows()}
    wanted = {t.iri for t in targets}
    rows: dict[str, list[dict[str, Any]]] = {}
    for r in engine.execute(catalogue.get("recommendation").text).rows():  # ordered; grouping keeps the order
        scenario_iri = owner.get(r["rating"])
        if scenario_iri in wanted:
            rows.setdefault(scenario_iri, []).append(r)
    profiles: dict[str, list[dict[str, Any]]] = {}
    for r in engine.execute(catalogue.get("scenario-profile").text).rows():
        profiles.setdefault(r["scenario"], []).append(r)
    with_phases = {r["procedure"] for r in engine.execute(catalogue.internal("recommend-many-phased")).rows()}
    found = {}
    for target in targets:
        rated = [_rated(r) for r in rows.get(target.iri, [])]
        phases = _phases(engine, [p for p in rated if p.procedure in with_phases], target)
        found[target.iri] = Recommendation(target, rated, phases, _profile(profiles.get(target.iri, [])))
    return found


def scenario_profile(engine: QueryEngine, name: ScenarioLike) -> ScenarioProfile:
    """What the variant heading and the topic say of a scenario (empty fields where the source is silent)."""
    return _profile(run(engine, "scenario-profile", scenario=IRI(scenario(engine, name).iri)))


def _profile(rows: list[dict[str, Any]]) -> ScenarioProfile:
    if not rows:
        return ScenarioProfile()
    first = rows[0]
    populations = tuple(dict.fromkeys(r["population"] for r in rows if r["population"] is not None))
    return ScenarioProfile(first["variant"], first["phase"], populations, first["conditionStatus"],
                           first["panel"], first["sourceUrl"], first["reviewed"], bool(first["populationNotStated"]))


def patient_facts(engine: QueryEngine) -> list[PatientFact]:
    """The facts a patient file can state, by key (what ``match`` reads)."""
    facts: dict[str, PatientFact] = {}
    for r in run(engine, "patient-facts"):
        fact = facts.setdefault(r["key"], PatientFact(r["key"], r["fact"], r["label"], r["datatype"], {},
                                                      r["valueClass"]))
        if r["value"] is not None:
            fact.values[r["notation"]] = r["value"]
    return list(facts.values())


def next_steps(engine: QueryEngine, name: ScenarioLike, result: str | None = None) -> list[Branch]:
    """The workflow branches after a study (one per result, or only ``result``), steps in order."""
    params: dict[str, Any] = {"scenario": IRI(scenario(engine, name).iri)}
    if result is not None:
        allowed = study_results(engine)
        if result not in allowed:
            raise ParameterError(f"result {str(result)[:40]!r} is not one of: " + ", ".join(allowed))
        params["result"] = result
    branches: dict[str, dict[str, Any]] = {}
    for r in run(engine, "next-steps", **params):
        branch = branches.setdefault(r["result"], {"alternatives": r["alternatives"], "steps": {}})
        step = branch["steps"].setdefault(r["order"], {"row": r, "procedures": []})
        if r["procedure"] is not None:
            step["procedures"].append(Ref(r["procedure"], r["procedureLabel"]))
    return [Branch(result_name, b["alternatives"], tuple(
                Step(o, s["row"]["stepLabel"], s["row"]["actionLabel"], tuple(s["procedures"]),
                     s["row"]["intervalMonths"], s["row"]["qualifier"], s["row"]["followUpOf"],
                     s["row"]["followUpLabel"])
                for o, s in sorted(b["steps"].items())))
            for result_name, b in sorted(branches.items(), key=lambda kv: (RESULT_ORDER.get(kv[0], 9), kv[0]))]


def alternatives(engine: QueryEngine, name: ScenarioLike, contraindication: str | None = None
                 ) -> list[AlternativeOption]:
    """What to order instead when a contraindication rules out a contrast agent, best first."""
    params: dict[str, Any] = {"scenario": IRI(scenario(engine, name).iri)}
    if contraindication is not None:
        params["contraindication"] = _contraindication(engine, contraindication)
    return [AlternativeOption(Ref(r["contraindication"], r["contraindicationLabel"]), r["agentLabel"],
                              r["preference"], Ref(r["procedure"], r["procedureLabel"]), r["caveat"], r["hedge"],
                              r["caveatKey"])
            for r in run(engine, "contrast-alternatives", **params)]


def procedures(engine: QueryEngine, iri: str | None = None, limit: int = 0, offset: int = 0) -> list[Procedure]:
    """Every imaging procedure (or the one with ``iri``) with its radiation level, if a source states one; a
    page of at most ``limit`` (0: every one) after ``offset``."""
    params = {} if iri is None else {"procedure": IRI(iri)}
    return [Procedure(r["procedure"], r["label"], _radiation(r), _pediatric_radiation(r))
            for r in run(engine, "procedures", limit, offset, **params)]


def procedure(engine: QueryEngine, name: str | Procedure) -> Procedure:
    """A procedure by IRI, CURIE, local name or a unique (case-insensitive) label match."""
    if isinstance(name, Procedure):
        return name
    return find("procedure", name, lambda iri: procedures(engine, iri))


def diagnoses(engine: QueryEngine, name: ScenarioLike) -> list[Diagnosis]:
    """The diagnoses a scenario's imaging works up, the most common first."""
    found: dict[str, dict[str, Any]] = {}
    for r in run(engine, "diagnoses", scenario=IRI(scenario(engine, name).iri)):
        d = found.setdefault(r["diagnosis"], {"row": r, "sites": []})
        d["sites"].append(Ref(r["site"], r["siteLabel"]))
    return [Diagnosis(iri, d["row"]["diagnosisLabel"], d["row"]["mostCommon"], tuple(d["sites"]))
            for iri, d in found.items()]


def pitfalls(engine: QueryEngine, name: ScenarioLike) -> list[Pitfall]:
    """The pitfalls of a scenario in the source's order (critical ones marked, with the study named instead)."""
    found: dict[str, Pitfall] = {}
    for r in run(engine, "pitfalls", scenario=IRI(scenario(engine, name).iri)):
        found.setdefault(r["pitfall"], Pitfall(r["pitfall"], r["pitfallLabel"], r["order"], r["consequence"],
                                               r["critical"] is True,
                                               Ref(r["instead"], r["insteadLabel"]) if r["instead"] else None))
    return list(found.values())


def faq(engine: QueryEngine, name: ScenarioLike) -> list[FAQ]:
    """The questions and answers the source gives for a scenario or its topic."""
    return [FAQ(r["entry"], r["order"], r["question"], r["answer"])
            for r in run(engine, "faq", scenario=IRI(scenario(engine, name).iri))]


def related(engine: QueryEngine, name: ScenarioLike) -> Related:
    """Topic, ancestor topics (transitively), related topics, protocol guides, and linked scenarios."""
    target = scenario(engine, name)
    links = [Link(r["relation"], Ref(r["target"], r["targetLabel"]))
             for r in run(engine, "related", scenario=IRI(target.iri))]
    links += [Link(r["relation"], Ref(r["other"], r["otherLabel"]), Ref(r["via"], r["viaLabel"]))
              for r in run(engine, "cross-topic", scenario=IRI(target.iri))]
    return Related(target, tuple(links))


def _radiation(row: dict[str, Any]) -> RadiationLevel | None:
    """The adult level of a row: its symbol with the level's adult band."""
    if row.get("radiation") is None:
        return None
    return RadiationLevel(row["radiation"], row.get("radiationRank"), row.get("doseMinMSv"), row.get("doseMaxMSv"),
                          "adult", bool(row.get("radiationVaries")), bool(row.get("adultUnconfirmed")))


def _pediatric_radiation(row: dict[str, Any]) -> RadiationLevel | None:
    """The paediatric level of a row: its own symbol with the level's paediatric band (never the adult one)."""
    if row.get("pediatricRadiation") is None:
        return None
    return RadiationLevel(row["pediatricRadiation"], row.get("pediatricRank"), row.get("pediatricMinMSv"),
                          row.get("pediatricMaxMSv"), "pediatric", bool(row.get("pediatricVaries")))


def _rated(row: dict[str, Any]) -> RatedProcedure:
    counts = [row.get(f"votes{n}") for n in range(1, 10)]
    votes = None if any(c is None for c in counts) else tuple(int(c) for c in counts if c is not None)
    return RatedProcedure(row["procedure"], row["procedureLabel"], row["category"], row["categoryLabel"],
                          row["categoryRank"], row["disagreement"], _radiation(row), row["condition"],
                          row["rationale"], row["rating"], _pediatric_radiation(row), row.get("evidence"),
                          row.get("score"), row.get("median"),
                          votes, row.get("rowOrder"))


# ---------------------------------------------------------------- clinical statements (issue 13)
def study_results(engine: QueryEngine) -> list[str]:
    """The notations a study result can take (``negative``, ``positive``, ...)."""
    return [r["notation"] for r in run(engine, "study-results")]


def _contraindication(engine: QueryEngine, name: str) -> IRI:
    """A contraindication by IRI, CURIE or local name; ParameterError listing the known ones otherwise."""
    known = {r["contraindication"]: r["contraindicationLabel"] for r in run(engine, "contraindications")}
    iri: IRI | None
    try:
        iri = catalogue.expand_iri(name, "contraindication")
    except ParameterError:
        iri = None
    if iri is None or iri not in known:
        by_local = {k.rsplit("/", 1)[-1]: k for k in known}
        if name in by_local:
            return IRI(by_local[name])
        raise ParameterError(f"contraindication {name[:60]!r} is not one of: "
                             + ", ".join(sorted(by_local)))
    return iri


def escalation(engine: QueryEngine, name: ScenarioLike) -> list[Escalation]:
    """When the source says to escalate in a scenario, and to what, with its hedge."""
    return [Escalation(r["advice"], r["label"], r["trigger"], Ref(r["action"], r["actionLabel"]), r["qualifier"])
            for r in run(engine, "escalation", scenario=IRI(scenario(engine, name).iri))]


def imaging_features(engine: QueryEngine, name: ScenarioLike) -> list[FeatureOf]:
    """The imaging features the source describes for each diagnosis of a scenario, most common diagnosis first."""
    return [FeatureOf(Ref(r["diagnosis"], r["diagnosisLabel"]), Ref(r["feature"], r["featureLabel"]),
                      r["definition"])
            for r in run(engine, "imaging-features", scenario=IRI(scenario(engine, name).iri))]


def markers(engine: QueryEngine, name: ScenarioLike) -> list[Hedged]:
    """The biochemical markers a scenario monitors and what the source says each is for."""
    return [Hedged(r["marker"], r["label"], r["role"], r["qualifier"], r["quote"])
            for r in run(engine, "markers", scenario=IRI(scenario(engine, name).iri))]


def dose_caveats(engine: QueryEngine, name: ScenarioLike) -> list[Hedged]:
    """The source's caveats on a scenario's radiation dose, and inconsistencies flagged in its dose statements."""
    return [Hedged(r["subject"], f'{r["kind"]}: {r["subjectLabel"]}', r["text"], r["qualifier"], r["quote"])
            for r in run(engine, "dose-caveats", scenario=IRI(scenario(engine, name).iri))]


def protocol(engine: QueryEngine, procedure: str, name: ScenarioLike | None = None,
             label: str | None = None) -> list[PhaseNeed]:
    """The contrast phases a procedure's protocol includes (in a scenario), in acquisition order."""
    params: dict[str, Any] = {"procedure": IRI(procedure)}
    if name is not None:
        params["scenario"] = IRI(scenario(engine, name).iri)
    if label is None:  # the caller usually knows it; the procedures query is costly on a large graph
        label = next((p.label for p in procedures(engine, procedure)), procedure)
    return [PhaseNeed(Ref(procedure, label), r["order"], Ref(r["phase"], r["phaseLabel"]), r["essential"],
                      r["purpose"]) for r in run(engine, "phases", **params)]


def source_inconsistencies(engine: QueryEngine, resource: str) -> list[str]:
    """The flags the graph puts on a resource where the source contradicts itself."""
    return [r["text"] for r in run(engine, "source-inconsistencies", resource=IRI(resource))]
