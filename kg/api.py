"""The Python API: a loaded knowledge graph that answers appropriateness questions with typed objects."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import catalogue
from .engine import LocalEngine, RemoteEngine, Result
from .errors import AmbiguousNameError, KGError, UnknownNameError
from .model import RadiationLevel, RatedProcedure, Recommendation, Scenario
from .namespaces import IAKGD
from .terms import IRI

if TYPE_CHECKING:  # imported lazily: answering a question needs neither rdflib nor pyshacl
    import rdflib

    from .validation import ValidationReport


class KnowledgeGraph:
    """The imaging-appropriateness graph, queried through one engine (embedded store or endpoint)."""

    def __init__(self, engine: LocalEngine | RemoteEngine, files: tuple[Path, ...] = ()):
        self.engine = engine
        self.extra_files = files

    @classmethod
    def load(cls, extra_files: Iterable[Path | str] = (), reason: bool = False) -> KnowledgeGraph:
        """Load the shipped ontology and data (plus ``extra_files``) into an embedded store.

        With ``reason=True`` the OWL RL closure is computed and kept in its own named graph.
        """
        from .store import build_store

        files = tuple(Path(f) for f in extra_files)
        kg = cls(LocalEngine(build_store(files)), files)
        if reason:
            from .reasoning import materialise

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
        """Run a catalogue query by name with bound parameters; return its rows as Python values."""
        query = catalogue.get(name)
        return self.engine.execute(query.text, params).rows()

    # ------------------------------------------------------------------ scenarios
    def scenarios(self) -> list[Scenario]:
        """Every clinical scenario, rated ones first."""
        return [Scenario(r["scenario"], r["label"], r["topic"], r["topicLabel"], r["ratings"])
                for r in self.run("scenarios")]

    def scenario(self, name: str) -> Scenario:
        """Find a scenario by IRI, CURIE, local name or a unique (case-insensitive) label match."""
        return _resolve("scenario", name, self.scenarios(), lambda s: s.iri, lambda s: s.label)

    # ------------------------------------------------------------------ recommendation
    def recommend(self, scenario: str | Scenario) -> Recommendation:
        """Rated procedures for a scenario, from most to least appropriate, then by radiation."""
        target = scenario if isinstance(scenario, Scenario) else self.scenario(scenario)
        rows = self.run("recommendation", scenario=IRI(target.iri))
        return Recommendation(target, [_rated(r) for r in rows])

    def dump(self, path: Path | str) -> None:
        """Write the whole dataset (named graphs kept) as N-Quads, e.g. to load into a server."""
        import pyoxigraph as ox

        self._store().dump(output=str(path), format=ox.RdfFormat.N_QUADS)

    # ------------------------------------------------------------------ validation and rdflib
    def validate(self) -> ValidationReport:
        """Validate the asserted graph (ontology + data + extra files) against the shipped shapes."""
        from .validation import validate_graph

        return validate_graph(self.asserted_graph())

    def asserted_graph(self) -> rdflib.Graph:
        """The asserted ontology and data (no inferred triples, no query catalogue) as an rdflib Graph."""
        from .namespaces import GRAPH_CATALOGUE, GRAPH_INFERRED
        from .rdflib_bridge import to_rdflib

        return to_rdflib(self._store(), exclude_graphs=(GRAPH_INFERRED, GRAPH_CATALOGUE))

    def _store(self):
        """The embedded store; a remote graph has none to dump, convert or validate."""
        if not isinstance(self.engine, LocalEngine):
            raise KGError(f"this needs the embedded graph; {self.engine.url} is a remote endpoint")
        return self.engine.store


def load(extra_files: Iterable[Path | str] = (), reason: bool = False) -> KnowledgeGraph:
    """Load the shipped graph: ``kg.load().recommend("pnet-post-resection-surveillance")``."""
    return KnowledgeGraph.load(extra_files, reason)


def _rated(row: dict[str, Any]) -> RatedProcedure:
    radiation = None
    if row["radiation"] is not None:
        radiation = RadiationLevel(row["radiation"], row["radiationRank"], row["doseMinMSv"], row["doseMaxMSv"])
    return RatedProcedure(row["procedure"], row["procedureLabel"], row["category"], row["categoryLabel"],
                          row["categoryRank"], row["disagreement"], radiation, row["condition"],
                          row["rationale"], row["rating"])


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
