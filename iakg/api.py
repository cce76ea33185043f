"""The Python API: a loaded knowledge graph that answers appropriateness questions with typed objects."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iakg import catalogue
from iakg.rdf.engine import LocalEngine, RemoteEngine, Result
from iakg.errors import AmbiguousNameError, KGError, UnknownNameError
from iakg.domain.model import (FAQ, AlternativeOption, Branch, Diagnosis, DoseEstimate, IntervalAnswer, IntervalRule, Link,
                    PatientFact, Pitfall, Procedure, RadiationLevel, RatedProcedure, Recommendation, Ref, Related, Scenario, Step, Topic)
from iakg.rdf.namespaces import IAKGD
from iakg.rdf.terms import IRI

if TYPE_CHECKING:  # imported lazily: answering a question needs neither rdflib nor pyshacl
    import rdflib

    from iakg.domain.matching import MatchResult
    from iakg.validate.shacl import ValidationReport

ScenarioLike = str | Scenario


class KnowledgeGraph:
    """The imaging-appropriateness graph, queried through one engine (embedded store or endpoint)."""

    def __init__(self, engine: LocalEngine | RemoteEngine, files: tuple[Path, ...] = ()):
        self.engine = engine
        self.extra_files = files

    @classmethod
    def load(cls, extra_files: Iterable[Path | str] = (), reason: bool = False,
             cache_dir: Path | str | None = None) -> KnowledgeGraph:
        """Load the shipped ontology and data (plus ``extra_files``) into an embedded store.

        With ``reason=True`` the OWL RL closure is computed and kept in its own named graph. With
        ``cache_dir`` the store is prepared on disk once (keyed by the input files' hash) and reopened
        read-only in milliseconds after; use it for large extra files.
        """
        from iakg.rdf.safety import offline
        from iakg.rdf.store import build_store, prepared_store

        files = tuple(Path(f) for f in extra_files)
        with offline():
            if cache_dir is not None:
                return cls(LocalEngine(prepared_store(files, cache_dir, reason)), files)
            kg = cls(LocalEngine(build_store(files)), files)
            if reason:
                from iakg.rdf.reasoning import materialise

                materialise(kg.engine.store)
            return kg

    @classmethod
    def remote(cls, url: str, timeout: float = 30.0) -> KnowledgeGraph:
        """The same API over a SPARQL 1.1 endpoint holding the graph (e.g. ``oxigraph serve``)."""
        return cls(RemoteEngine(url, timeout))

    # ------------------------------------------------------------------ raw SPARQL
    def query(self, sparql: str, bindings: Mapping[str, Any] | None = None) -> Result:
        """Run any SPARQL query; ``bindings`` maps variable names to values (use ``IRI`` for resources)."""
        return self.engine.execute(sparql, bindings)

    def run(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run a catalogue query by name with its parameters (checked and converted as ``iakg query`` does,
        so ``scenario="iakgd:..."`` works); return its rows as Python values."""
        query = catalogue.get(name)
        return self.engine.execute(query.text, query.bind(params)).rows()

    # ------------------------------------------------------------------ scenarios
    def scenarios(self, iri: str | None = None) -> list[Scenario]:
        """Every clinical scenario (or the one with ``iri``), rated ones first."""
        params = {} if iri is None else {"scenario": IRI(iri)}
        return [Scenario(r["scenario"], r["label"], r["topic"], r["topicLabel"], r["ratings"])
                for r in self.run("scenarios", **params)]

    def scenario(self, name: str) -> Scenario:
        """Find a scenario by IRI, CURIE, local name or a unique (case-insensitive) label match."""
        return _find("scenario", name, self.scenarios)

    # ------------------------------------------------------------------ topics
    def topics(self) -> list[Topic]:
        """Every topic hub, topic and protocol guide, with its parent."""
        return [Topic(r["topic"], r["label"], r["kind"], r["parent"], r["scenarios"]) for r in self.run("topics")]

    # ------------------------------------------------------------------ recommendation
    def recommend(self, scenario: ScenarioLike) -> Recommendation:
        """Rated procedures for a scenario, from most to least appropriate, then by radiation."""
        target = self._scenario(scenario)
        rows = self.run("recommendation", scenario=IRI(target.iri))
        return Recommendation(target, [_rated(r) for r in rows])

    def patient_facts(self) -> list[PatientFact]:
        """The facts a patient file can state, by key (what ``match`` reads)."""
        facts: dict[str, PatientFact] = {}
        for r in self.run("patient-facts"):
            fact = facts.setdefault(r["key"], PatientFact(r["key"], r["fact"], r["label"], r["datatype"], {},
                                                          r["valueClass"]))
            if r["value"] is not None:
                fact.values[r["notation"]] = r["value"]
        return list(facts.values())

    def match(self, patient: Mapping[str, Any] | str | Path) -> MatchResult:
        """Match a patient (a dict or a JSON file, see README "Patient files") against every scenario."""
        from iakg.domain.matching import match

        return match(self, patient)

    # ------------------------------------------------------------------ what comes next
    def next_steps(self, scenario: ScenarioLike, result: str | None = None) -> list[Branch]:
        """The workflow branches after a study (one per result, or only ``result``), steps in order."""
        params: dict[str, Any] = {"scenario": IRI(self._scenario(scenario).iri)}
        if result is not None:
            params["result"] = result
        branches: dict[str, dict] = {}
        for r in self.run("next-steps", **params):
            branch = branches.setdefault(r["result"], {"alternatives": r["alternatives"], "steps": {}})
            step = branch["steps"].setdefault(r["order"], {"row": r, "procedures": []})
            if r["procedure"] is not None:
                step["procedures"].append(Ref(r["procedure"], r["procedureLabel"]))
        order = {"negative": 0, "positive": 1, "indeterminate": 2}
        return [Branch(name, b["alternatives"], tuple(
                    Step(o, s["row"]["stepLabel"], s["row"]["actionLabel"], tuple(s["procedures"]),
                         s["row"]["intervalMonths"], s["row"]["qualifier"]) for o, s in sorted(b["steps"].items())))
                for name, b in sorted(branches.items(), key=lambda kv: (order.get(kv[0], 9), kv[0]))]

    def alternatives(self, scenario: ScenarioLike, contraindication: str | None = None) -> list[AlternativeOption]:
        """What to order instead when a contraindication rules out a contrast agent, best first."""
        params: dict[str, Any] = {"scenario": IRI(self._scenario(scenario).iri)}
        if contraindication is not None:
            params["contraindication"] = catalogue.expand_iri(contraindication, "contraindication")
        return [AlternativeOption(Ref(r["contraindication"], r["contraindicationLabel"]), r["agentLabel"],
                                  r["preference"], Ref(r["procedure"], r["procedureLabel"]), r["caveat"])
                for r in self.run("contrast-alternatives", **params)]

    def surveillance_interval(self, scenario: ScenarioLike, grade: str | None = None,
                              stage: str | None = None) -> IntervalAnswer:
        """The surveillance interval(s) for a tumour grade and stage group (notations, e.g. ``G1``, ``early``).

        A rule that needs grade AND stage matches only when both do; otherwise either is enough. When an
        unknown grade or stage could change the answer, ``missing`` names it instead of guessing.
        """
        target = self._scenario(scenario)
        rules = self.interval_rules(target)
        facts = self.patient_facts()
        grade_key = _fact_holding(facts, [g for r in rules for g in r.grades], grade, "grade")
        stage_key = _fact_holding(facts, [s for r in rules for s in r.stages], stage, "stage")
        matches, missing = [], set()
        for rule in rules:
            tests = []
            if rule.grades:
                tests.append(None if grade is None else grade in rule.grades)
                if grade is None:
                    missing.add(grade_key)
            if rule.stages:
                tests.append(None if stage is None else stage in rule.stages)
                if stage is None:
                    missing.add(stage_key)
            verdict = _all(tests) if rule.requires_both else _any(tests)
            if verdict:
                matches.append(rule)
        if matches:  # a known match decides; unknown facts no longer matter
            missing = set()
        return IntervalAnswer(target.iri, grade, stage, tuple(matches), tuple(sorted(missing)))

    def interval_rules(self, scenario: ScenarioLike) -> list[IntervalRule]:
        """Every surveillance interval rule of a scenario, longest interval first."""
        rules: dict[str, dict] = {}
        for r in self.run("surveillance-intervals", scenario=IRI(self._scenario(scenario).iri)):
            rule = rules.setdefault(r["interval"], {"row": r, "grades": [], "stages": []})
            for key, column in (("grades", "grade"), ("stages", "stage")):
                if r[column] is not None and r[column] not in rule[key]:
                    rule[key].append(r[column])
        return [IntervalRule(iri, x["row"]["intervalLabel"], tuple(sorted(x["grades"])), tuple(sorted(x["stages"])),
                             x["row"]["requiresGradeAndStage"], x["row"]["minMonths"], x["row"]["maxMonths"],
                             x["row"]["qualifier"]) for iri, x in rules.items()]

    # ------------------------------------------------------------------ procedures and radiation
    def procedures(self, iri: str | None = None) -> list[Procedure]:
        """Every imaging procedure (or the one with ``iri``) with its radiation level, if a source states one."""
        params = {} if iri is None else {"procedure": IRI(iri)}
        return [Procedure(r["procedure"], r["label"], _radiation(r)) for r in self.run("procedures", **params)]

    def procedure(self, name: str) -> Procedure:
        """Find a procedure by IRI, CURIE, local name or a unique (case-insensitive) label match."""
        return _find("procedure", name, self.procedures)

    def cumulative_dose(self, procedure: str | Procedure, years: float | Decimal, every_months: Any,
                        population: str = "adult") -> DoseEstimate:
        """Cumulative effective dose of a procedure repeated every N months (or a (min, max) range) for years."""
        from iakg.domain.dose import estimate

        target = procedure if isinstance(procedure, Procedure) else self.procedure(procedure)
        return estimate(target, years, every_months, population)

    def compare_radiation(self, scenario: ScenarioLike, years: float | Decimal, every_months: Any,
                          population: str = "adult") -> list[DoseEstimate]:
        """The cumulative dose of each rated option of a scenario, least radiation first (unstated last)."""
        from iakg.domain.dose import estimate

        rated = self.recommend(scenario).procedures
        estimates = [estimate(Procedure(p.procedure, p.label, p.radiation), years, every_months, population)
                     for p in rated]
        return sorted(estimates, key=lambda e: (e.radiation is None, e.radiation.rank if e.radiation else 0,
                                                e.procedure.label))

    # ------------------------------------------------------------------ what the imaging looks for
    def diagnoses(self, scenario: ScenarioLike) -> list[Diagnosis]:
        """The diagnoses a scenario's imaging works up, the most common first."""
        found: dict[str, dict] = {}
        for r in self.run("diagnoses", scenario=IRI(self._scenario(scenario).iri)):
            d = found.setdefault(r["diagnosis"], {"row": r, "sites": []})
            d["sites"].append(Ref(r["site"], r["siteLabel"]))
        return [Diagnosis(iri, d["row"]["diagnosisLabel"], d["row"]["mostCommon"], tuple(d["sites"]))
                for iri, d in found.items()]

    def pitfalls(self, scenario: ScenarioLike) -> list[Pitfall]:
        """The pitfalls of a scenario in the source's order."""
        return [Pitfall(r["pitfall"], r["pitfallLabel"], r["order"], r["consequence"])
                for r in self.run("pitfalls", scenario=IRI(self._scenario(scenario).iri))]

    def faq(self, scenario: ScenarioLike) -> list[FAQ]:
        """The questions and answers the source gives for a scenario or its topic."""
        return [FAQ(r["entry"], r["order"], r["question"], r["answer"])
                for r in self.run("faq", scenario=IRI(self._scenario(scenario).iri))]

    # ------------------------------------------------------------------ links
    def related(self, scenario: ScenarioLike) -> Related:
        """Topic, ancestor topics (transitively), related topics, protocol guides, and linked scenarios."""
        target = self._scenario(scenario)
        links = [Link(r["relation"], Ref(r["target"], r["targetLabel"]))
                 for r in self.run("related", scenario=IRI(target.iri))]
        links += [Link(r["relation"], Ref(r["other"], r["otherLabel"]), Ref(r["via"], r["viaLabel"]))
                  for r in self.run("cross-topic", scenario=IRI(target.iri))]
        return Related(target, tuple(links))

    # ------------------------------------------------------------------ publishing
    def release(self, inferred: bool = False, endpoint: str | None = None):
        """The dataset as published (``iakg.io.export.Release``): content with shapes (and the inferred closure
        if asked) plus its VoID/DCAT description, canonical and sorted."""
        from iakg import RELEASE_DATE
        from iakg import __version__
        from iakg.io.export import build

        store = self._store()
        if inferred:
            from iakg.rdf.namespaces import GRAPH_INFERRED
            from iakg.rdf.reasoning import materialise

            if not any(True for _ in store.quads_for_pattern(None, None, None, _named(GRAPH_INFERRED))):
                materialise(store)
        return build(store, __version__, RELEASE_DATE, inferred, endpoint)

    def release_quads(self, inferred: bool = False, endpoint: str | None = None) -> list:
        """The release's quads as a list (pyoxigraph ``Quad`` objects)."""
        return list(self.release(inferred, endpoint).quads())

    def export(self, fmt: str = "ttl", inferred: bool = False, endpoint: str | None = None) -> bytes:
        """The published dataset in ``fmt`` (ttl, nt, jsonld, trig, nq): byte-identical for equal input."""
        from iakg.io.export import FORMATS

        if fmt not in FORMATS:
            raise KGError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
        return self.release(inferred, endpoint).serialize(fmt)

    def dump(self, path: Path | str) -> None:
        """Write the whole dataset (named graphs kept) as N-Quads, e.g. to load into a server."""
        import pyoxigraph as ox

        self._store().dump(output=str(path), format=ox.RdfFormat.N_QUADS)

    # ------------------------------------------------------------------ validation and rdflib
    def validate(self, changed: Iterable[Path | str] = ()) -> ValidationReport:
        """Validate the asserted graph (ontology + data + extra files) against the shipped shapes.

        With ``changed`` files (already loaded), only the resources they describe are validated, against
        the whole graph: a targeted check of new or changed data that stays fast on a large graph.
        """
        from iakg.rdf.namespaces import GRAPH_DATA, GRAPH_EXTRA, GRAPH_ONTOLOGY
        from iakg.rdf.safety import offline
        from iakg.validate.shacl import validate_store

        focus = None
        changed = [Path(p) for p in changed]
        if changed:
            import pyoxigraph as ox

            from iakg.rdf.store import load_file

            scratch = ox.Store()
            for path in changed:
                load_file(scratch, path, GRAPH_EXTRA)
            focus = {q.subject.value for q in scratch if isinstance(q.subject, ox.NamedNode)}
        with offline():
            return validate_store(self._store(), [GRAPH_ONTOLOGY, GRAPH_DATA, GRAPH_EXTRA], focus)

    def asserted_graph(self) -> rdflib.Graph:
        """The asserted ontology and data (no inferred triples, no query catalogue) as an rdflib Graph."""
        from iakg.rdf.namespaces import GRAPH_CATALOGUE, GRAPH_INFERRED
        from iakg.rdf.rdflib_bridge import to_rdflib

        return to_rdflib(self._store(), exclude_graphs=(GRAPH_INFERRED, GRAPH_CATALOGUE))

    def _scenario(self, scenario: ScenarioLike) -> Scenario:
        return scenario if isinstance(scenario, Scenario) else self.scenario(scenario)

    def _store(self):
        """The embedded store; a remote graph has none to dump, convert or validate."""
        if not isinstance(self.engine, LocalEngine):
            raise KGError(f"this needs the embedded graph; {self.engine.url} is a remote endpoint")
        return self.engine.store


def load(extra_files: Iterable[Path | str] = (), reason: bool = False,
         cache_dir: Path | str | None = None) -> KnowledgeGraph:
    """Load the shipped graph: ``iakg.load().recommend("pnet-post-resection-surveillance")``."""
    return KnowledgeGraph.load(extra_files, reason, cache_dir)


def _radiation(row: dict[str, Any]) -> RadiationLevel | None:
    if row.get("radiation") is None:
        return None
    return RadiationLevel(row["radiation"], row["radiationRank"], row["doseMinMSv"], row["doseMaxMSv"],
                          row.get("pediatricMinMSv"), row.get("pediatricMaxMSv"))


def _rated(row: dict[str, Any]) -> RatedProcedure:
    return RatedProcedure(row["procedure"], row["procedureLabel"], row["category"], row["categoryLabel"],
                          row["categoryRank"], row["disagreement"], _radiation(row), row["condition"],
                          row["rationale"], row["rating"])


def _named(iri: str):
    import pyoxigraph as ox

    return ox.NamedNode(iri)


def _fact_holding(facts: list[PatientFact], notations: list[str], given: str | None, what: str) -> str:
    """The key of the patient fact whose values include ``notations``; check ``given`` is one of its values."""
    for fact in facts:
        if notations and set(notations) <= set(fact.values):
            if given is not None and given not in fact.values:
                raise UnknownNameError(what, given, difflib.get_close_matches(given, list(fact.values), 5, 0.0)[:5])
            return fact.key
    return what


def _find(kind: str, name: str, listing):
    """The item ``name`` denotes: first by exact IRI (one bound query each), else by label over ``listing()``."""
    for iri in _candidate_iris(name):
        found = listing(iri)
        if found:
            return found[0]
    return _resolve(kind, name, listing(), lambda item: item.iri, lambda item: item.label)


def _candidate_iris(name: str) -> list[str]:
    """The IRIs a name may denote exactly: itself if an IRI, a CURIE expanded, or a local name under iakgd:."""
    text = name.strip()
    if not text or any(c in text for c in " <>\"{}|^`\\") or len(text) > 2048:
        return []
    prefix, sep, local = text.partition(":")
    if sep and not local.startswith("//"):
        return [catalogue.PREFIXES[prefix] + local] if prefix in catalogue.PREFIXES else []
    return [text] if sep else [IAKGD + text]


def _all(tests: list[bool | None]) -> bool | None:
    """Three-valued AND: False if any test fails, None if any is unknown, else True."""
    return False if False in tests else (None if None in tests else bool(tests))


def _any(tests: list[bool | None]) -> bool | None:
    """Three-valued OR: True if any test holds, None if any is unknown, else False."""
    return True if True in tests else (None if None in tests else False)


def _resolve(kind, name, items, iri_of, label_of):
    """Resolve ``name`` among ``items``: exact IRI/CURIE/local name, then unique label match."""
    text = name.strip()
    expanded = IAKGD + text[len("iakgd:"):] if text.startswith("iakgd:") else text
    for item in items:
        iri = iri_of(item)
        if expanded == iri or text == iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]:
            return item
    needle = text.casefold()
    exact = [i for i in items if label_of(i).casefold() == needle]
    partial = exact or [i for i in items if needle and needle in label_of(i).casefold()]
    if len(partial) == 1:
        return partial[0]
    if len(partial) > 1:
        raise AmbiguousNameError(kind, name, [iri_of(i).rsplit("/", 1)[-1] for i in partial])
    names = {iri_of(i).rsplit("/", 1)[-1]: i for i in items}
    names.update({label_of(i): i for i in items})
    close = difflib.get_close_matches(text, list(names), n=5, cutoff=0.3)
    suggestions = list(dict.fromkeys(iri_of(names[c]).rsplit("/", 1)[-1] for c in close))
    raise UnknownNameError(kind, name, suggestions)
