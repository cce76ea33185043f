"""The Python API: a loaded knowledge graph that answers appropriateness questions with typed objects.

``KnowledgeGraph`` is a facade: it holds an engine (the embedded store, a remote endpoint, or any
``iakg.rdf.engine.QueryEngine``) and delegates every question to the layer that answers it (``domain``,
``catalogue``, ``validate``, ``io``). Every annotation resolves at run time (``typing.get_type_hints``).

```python
import iakg

graph = iakg.load()                                          # shipped graph, embedded store, no server
scenario = "pnet-post-resection-surveillance"

answer = graph.recommend(scenario)                          # Recommendation
print(answer.procedures[0].label, answer.procedures[0].category_text)

result = graph.match("examples/index-patient.json")         # or a dict of facts
plan = result.plans[0]
print(plan.first_choice.label, [m.every for m in plan.interval.matches], result.missing)

graph.topics(); graph.scenarios(); graph.procedures(); graph.patient_facts()
graph.scenarios(limit=50, offset=100)                      # a page (any listing; docs/listings.md)
graph.next_steps(scenario, result="indeterminate")         # list[Branch] with ordered Steps
graph.alternatives(scenario)                               # list[AlternativeOption], best first
graph.surveillance_interval(scenario, grade="G2")          # IntervalAnswer(matches, missing)
graph.cumulative_dose("ct-abdomen-pelvis-with-iv-contrast", years=5, every_months=12).total_range  # '5-50 mSv'
graph.compare_radiation(scenario, years=5, every_months="6-12")
graph.diagnoses(scenario); graph.pitfalls(scenario); graph.faq(scenario)
graph.related(scenario).of("ancestor topic")               # hierarchy followed transitively
graph.run("next-steps", scenario="iakgd:" + scenario)      # a catalogue query, parameters checked
graph.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows()                  # any SPARQL
graph.validate().conforms                                  # SHACL; validate(changed=[file]) is targeted
iakg.load(["big.nt"], cache_dir=".iakg-cache")             # prepared on-disk store, reopened in ms
iakg.load(["my-topic.ttl"], reason=True)                   # merge a file, add the OWL RL closure
iakg.KnowledgeGraph.remote("http://127.0.0.1:7878/query")  # the same API over a SPARQL endpoint

from iakg.rdf.rdflib_bridge import asserted_graph
asserted_graph(graph.store())                              # rdflib.Graph of the asserted triples
```

Answers are frozen dataclasses: ``iakg.domain.model`` (``recommend`` and the parts all answers share),
``iakg.domain.model_guidance`` and ``iakg.domain.model_statements`` (the other answers), ``iakg.domain.matching``
(``match``); ``iakg.domain.model.to_dict`` gives the JSON form. Errors are ``iakg.KGError`` subclasses:
``iakg.UnknownNameError`` (``.matches``), ``iakg.InputError`` (``.path/.line/.column``). Parameters are bound
as a ``VALUES`` block of RDF terms serialised by pyoxigraph: user input is never formatted into query text.
``run()`` checks and converts parameters as ``iakg query`` does; for ``query()``, wrap IRIs in ``iakg.IRI`` so
that they bind as resources (a plain ``str`` binds a text literal: when one that looks like an IRI leaves the
answer empty, ``query()`` warns). A ``Result`` holds SELECT rows (``.rows()``, ``.bindings``), an ASK answer
(``.boolean``) or CONSTRUCT/DESCRIBE triples (``.ntriples``); ``.rows()`` of the last two raises ``KGError``.
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from iakg import catalogue
from iakg.domain import dose, guidance, intervals
from iakg.domain.guidance import ScenarioLike
from iakg.domain.matching import MatchResult
from iakg.domain.matching import match as match_patient
from iakg.domain.model import Recommendation, Scenario
from iakg.domain.model_coverage import CoverageReport
from iakg.domain.model_guidance import (
    FAQ,
    AlternativeOption,
    Branch,
    ConceptScheme,
    Diagnosis,
    IntervalAnswer,
    IntervalRule,
    PatientFact,
    Pitfall,
    Procedure,
    Related,
    Topic,
)
from iakg.domain.model_resolution import Resolution
from iakg.domain.model_statements import DoseComparison, DoseEstimate, Escalation, FeatureOf, Hedged
from iakg.errors import KGError
from iakg.io.changes import Report
from iakg.io.dataset import open_store
from iakg.io.published import Release
from iakg.rdf.engine import LocalEngine, QueryEngine, RemoteEngine, Result
from iakg.validate import validate as validate_store
from iakg.validate.report import ValidationReport


class KnowledgeGraph:
    """The imaging-appropriateness graph, queried through one engine (embedded store or endpoint)."""

    def __init__(self, engine: QueryEngine, files: tuple[Path, ...] = ()) -> None:
        """A graph answering through ``engine`` (usually made by :meth:`load` or :meth:`remote`)."""
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
        files = tuple(Path(f) for f in extra_files)
        return cls(LocalEngine(open_store(files, reason, cache_dir)), files)

    @classmethod
    def remote(cls, url: str, timeout: float = 30.0) -> KnowledgeGraph:
        """The same API over a SPARQL 1.1 endpoint holding the graph (e.g. ``oxigraph serve``)."""
        return cls(RemoteEngine(url, timeout))

    # ------------------------------------------------------------------ raw SPARQL
    def query(self, sparql: str, bindings: Mapping[str, Any] | None = None) -> Result:
        """Run any SPARQL query; ``bindings`` maps variable names to values (use ``IRI`` for resources: a plain
        ``str`` binds a text literal, and one that looks like an IRI with an empty answer gets a warning)."""
        result = self.engine.execute(sparql, bindings)
        if bindings and not (result.bindings or result.ntriples or result.boolean):
            _warn_text_iris(bindings)
        return result

    def run(self, name: str, limit: int = 0, offset: int = 0, **params: Any) -> list[dict[str, Any]]:
        """Run a catalogue query by name with its parameters (checked and converted as ``iakg query`` does,
        so ``scenario="iakgd:..."`` works); return its rows as Python values: every row, or a page of at
        most ``limit`` rows after ``offset``."""
        return catalogue.run(self.engine, name, limit, offset, **params)

    def run_result(self, name: str, limit: int = 0, offset: int = 0, **params: Any) -> Result:
        """:meth:`run` as a :class:`Result` (SPARQL JSON terms, ASK boolean or triples), as ``iakg query`` prints."""
        query = catalogue.get(name)
        return catalogue.execute(self.engine, query, query.bind(params), limit, offset)

    def count(self, name: str, **params: Any) -> int:
        """How many rows catalogue query ``name`` answers (e.g. ``count("scenarios")``: the length of the whole
        listing, read from the dataset's listing index where it has one), to say "50 of 183" under a page."""
        return catalogue.count(self.engine, name, **params)

    # ------------------------------------------------------------------ the guidance
    def scenarios(self, iri: str | None = None, limit: int = 0, offset: int = 0) -> list[Scenario]:
        """Every clinical scenario (or the one with ``iri``), rated ones first; with ``limit``, a page of at most
        that many after ``offset`` (a lookup in the dataset's listing index, not the whole listing)."""
        return guidance.scenarios(self.engine, iri, limit, offset)

    def scenario(self, name: str) -> Scenario:
        """Find a scenario by IRI, CURIE, local name or a unique (case-insensitive) label match."""
        return guidance.scenario(self.engine, name)

    def concept_schemes(self, iri: str | None = None) -> list[ConceptScheme]:
        """Every concept scheme (or the one with ``iri``) with its concepts' labels and notations: what a
        table's cells may name (``iakg schemes``)."""
        return guidance.concept_schemes(self.engine, iri)

    def topics(self, limit: int = 0, offset: int = 0) -> list[Topic]:
        """Every topic hub, topic and protocol guide, with its parent; with ``limit``, a page after ``offset``."""
        return guidance.topics(self.engine, limit, offset)

    def recommend(self, scenario: ScenarioLike) -> Recommendation:
        """Rated procedures for a scenario, from most to least appropriate, then by radiation."""
        return guidance.recommend(self.engine, scenario)

    def recommend_many(self, scenarios: list[Scenario]) -> dict[str, Recommendation]:
        """:meth:`recommend` for many scenarios (by IRI) in a few whole-graph reads."""
        return guidance.recommend_many(self.engine, scenarios)

    def patient_facts(self, limit: int = 0, offset: int = 0) -> list[PatientFact]:
        """The facts a patient file can state, by key (what ``match`` reads); with ``limit``, a page after
        ``offset``."""
        catalogue.check_page(limit, offset)
        facts = guidance.patient_facts(self.engine)
        return facts[offset:offset + limit if limit else None]

    def match(self, patient: Mapping[str, Any] | str | Path) -> MatchResult:
        """Match a patient (a dict or a JSON file, see docs/patient-files.md) against every scenario."""
        return match_patient(self.engine, patient)

    def resolve(self, text: str) -> Resolution:
        """Rank the scenarios for a free-text reason for exam, or abstain and say why (docs/resolve.md)."""
        from iakg.domain.resolve import resolve

        return resolve(self.engine, text)

    def coverage(self, orders: Path | str, mapping: Path | str | None = None, top: int = 10,
                 progress: Any = None) -> CoverageReport:
        """How many orders of a site's log (CSV: order, reason, fact columns) the graph scores, and the most
        frequent reasons it cannot score yet (``iakg.cds.coverage``); ``mapping`` is a site mapping file."""
        from iakg.cds.coverage import coverage
        from iakg.cds.mapping import load as load_mapping

        return coverage(self.engine, orders, load_mapping(mapping) if mapping else None, top, progress)

    def next_steps(self, scenario: ScenarioLike, result: str | None = None) -> list[Branch]:
        """The workflow branches after a study (one per result, or only ``result``), steps in order."""
        return guidance.next_steps(self.engine, scenario, result)

    def alternatives(self, scenario: ScenarioLike, contraindication: str | None = None) -> list[AlternativeOption]:
        """What to order instead when a contraindication rules out a contrast agent, best first."""
        return guidance.alternatives(self.engine, scenario, contraindication)

    def surveillance_interval(self, scenario: ScenarioLike, grade: str | None = None,
                              stage: str | None = None) -> IntervalAnswer:
        """The surveillance interval(s) for a tumour grade and stage group (notations, e.g. ``G1``, ``early``)."""
        return intervals.surveillance_interval(self.engine, scenario, grade, stage)

    def interval_rules(self, scenario: ScenarioLike) -> list[IntervalRule]:
        """Every surveillance interval rule of a scenario, longest interval first."""
        return intervals.rules(self.engine, scenario)

    def procedures(self, iri: str | None = None, limit: int = 0, offset: int = 0) -> list[Procedure]:
        """Every imaging procedure (or the one with ``iri``) with its radiation level, if a source states one;
        with ``limit``, a page of at most that many after ``offset``."""
        return guidance.procedures(self.engine, iri, limit, offset)

    def procedure(self, name: str) -> Procedure:
        """Find a procedure by IRI, CURIE, local name or a unique (case-insensitive) label match."""
        return guidance.procedure(self.engine, name)

    def cumulative_dose(self, procedure: str | Procedure, years: float | Decimal, every_months: Any,
                        population: str = "adult") -> DoseEstimate:
        """Cumulative effective dose of a procedure repeated every N months (or a (min, max) range) for years."""
        return dose.cumulative_dose(self.engine, procedure, years, every_months, population)

    def compare_radiation(self, scenario: ScenarioLike, years: float | Decimal, every_months: Any,
                          population: str = "adult") -> list[DoseEstimate]:
        """The cumulative dose of each rated option of a scenario, least radiation first (unstated last)."""
        return dose.compare_radiation(self.engine, scenario, years, every_months, population)

    def scenario_doses(self, scenario: ScenarioLike, years: float | Decimal, every_months: Any,
                       population: str = "adult", include_all: bool = False) -> DoseComparison:
        """The cumulative dose of a scenario's rated options with their appropriateness, what the numbers are
        and the source's caveats; the lowest-rated options are left out unless ``include_all``."""
        return dose.scenario_doses(self.engine, scenario, years, every_months, population, include_all)

    def escalation(self, scenario: ScenarioLike) -> list[Escalation]:
        """When the source says to escalate in a scenario, and to what."""
        return guidance.escalation(self.engine, scenario)

    def imaging_features(self, scenario: ScenarioLike) -> list[FeatureOf]:
        """The imaging features the source describes for each diagnosis of a scenario."""
        return guidance.imaging_features(self.engine, scenario)

    def markers(self, scenario: ScenarioLike) -> list[Hedged]:
        """The biochemical markers a scenario monitors and their roles."""
        return guidance.markers(self.engine, scenario)

    def dose_caveats(self, scenario: ScenarioLike) -> list[Hedged]:
        """The source's caveats on a scenario's dose, and flagged inconsistencies of its dose statements."""
        return guidance.dose_caveats(self.engine, scenario)

    def source_inconsistencies(self, resource: str) -> list[str]:
        """The inconsistencies of the source the graph flags on a resource."""
        return guidance.source_inconsistencies(self.engine, resource)

    def diagnoses(self, scenario: ScenarioLike) -> list[Diagnosis]:
        """The diagnoses a scenario's imaging works up, the most common first."""
        return guidance.diagnoses(self.engine, scenario)

    def pitfalls(self, scenario: ScenarioLike) -> list[Pitfall]:
        """The pitfalls of a scenario in the source's order."""
        return guidance.pitfalls(self.engine, scenario)

    def faq(self, scenario: ScenarioLike) -> list[FAQ]:
        """The questions and answers the source gives for a scenario or its topic."""
        return guidance.faq(self.engine, scenario)

    def related(self, scenario: ScenarioLike) -> Related:
        """Topic, ancestor topics (transitively), related topics, protocol guides, and linked scenarios."""
        return guidance.related(self.engine, scenario)

    # ------------------------------------------------------------------ publishing
    def release(self, inferred: bool = False, endpoint: str | None = None) -> Release:
        """The dataset as published (``iakg.io.export.Release``): content with shapes (and the inferred closure
        if asked) plus its VoID/DCAT description, canonical and sorted."""
        from iakg.io.export import release  # the export machinery (canonical sorting, description): when used

        return release(self.store(), inferred, endpoint)

    def diff(self, old: str, new: str = "working") -> Report:
        """What changed from release ``old`` to release ``new`` (``iakg.io.notes``): each is a recorded version
        (``"0.2.0"``), ``"working"`` (this graph), a release folder or an N-Quads file. The report has the
        clinical changes (``.changes``) and every statement removed and added (``.delta``); render it with
        ``iakg.io.notes.markdown``, ``as_json`` or ``changeset``."""
        from iakg.io import notes  # the diff machinery (the kinds of clinical facts, changesets): when used

        def working() -> bytes:
            return self.release().content()

        return notes.compare(notes.resolve(old, working), notes.resolve(new, working))

    def release_quads(self, inferred: bool = False, endpoint: str | None = None) -> list[ox.Quad]:
        """The release's quads as a list (pyoxigraph ``Quad`` objects)."""
        return list(self.release(inferred, endpoint).quads())

    def export(self, fmt: str = "ttl", inferred: bool = False, endpoint: str | None = None) -> bytes:
        """The published dataset in a registered format (``iakg.io.formats``): byte-identical for equal input."""
        from iakg.io.formats import FORMATS  # the format registry and, through it, its writers: when used

        return FORMATS.get(fmt).write(self.release(inferred, endpoint))

    def dump(self, path: Path | str) -> None:
        """Write the whole dataset (named graphs kept) as N-Quads, e.g. to load into a server."""
        self.store().dump(output=str(path), format=ox.RdfFormat.N_QUADS)

    # ------------------------------------------------------------------ validation and rdflib
    def validate(self, changed: Iterable[Path | str] = (), compiled: bool = True) -> ValidationReport:
        """Validate the asserted graph (ontology + data + extra files) against the shipped shapes.

        With ``changed`` files (already loaded), only the resources they describe are validated, against
        the whole graph: a targeted check of new or changed data that stays fast on a large graph.
        ``compiled=False`` runs SHACL-Core in pyshacl instead of the compiled queries. Other shapes:
        :func:`validate_files`.
        """
        return validate_store(self.store(), [Path(p) for p in changed], compiled)

    def store(self) -> ox.Store:
        """The embedded pyoxigraph store (e.g. ``iakg.rdf.rdflib_bridge.asserted_graph(graph.store())`` for the
        asserted triples as an rdflib Graph); a remote graph has none to dump, convert or validate (KGError)."""
        if not isinstance(self.engine, LocalEngine):
            where = self.engine.url if isinstance(self.engine, RemoteEngine) else "its engine"
            raise KGError(f"this needs the embedded graph; {where} is not one")
        return self.engine.store


_LOOKS_LIKE_IRI = re.compile(r"(?:https?|urn):\S+")


def _warn_text_iris(bindings: Mapping[str, Any]) -> None:
    """Warn about a binding that is a plain ``str`` looking like an IRI (it bound a text literal, which an empty
    answer suggests was not meant): the easy trap of ``query()``. Only called when the answer is empty."""
    for name, value in bindings.items():
        if type(value) is str and _LOOKS_LIKE_IRI.fullmatch(value):
            warnings.warn(f"binding {name!r} is a str, so it bound the text {value[:80]!r}, not a resource, and the "
                          f"answer is empty: wrap it in iakg.IRI(...) to bind the resource", UserWarning, stacklevel=3)


def validate_files(files: Iterable[Path | str], shapes: Iterable[Path | str] | None = None,
                   compiled: bool = True) -> ValidationReport:
    """Validate RDF ``files``: with ``shapes`` (files), the files alone against those shapes alone, as SHACL
    states it; without, the shipped graph with the files merged in, against the shipped shapes, with the
    lint pass (``iakg.load(files).validate()``). ``compiled=False`` runs every shape in pyshacl."""
    if shapes is None:
        return load(files).validate(compiled=compiled)
    from iakg.validate import validate_files as validate_alone

    return validate_alone(files, shapes, compiled)


def load(extra_files: Iterable[Path | str] = (), reason: bool = False,
         cache_dir: Path | str | None = None) -> KnowledgeGraph:
    """Load the shipped graph: ``iakg.load().recommend("pnet-post-resection-surveillance")``."""
    return KnowledgeGraph.load(extra_files, reason, cache_dir)
