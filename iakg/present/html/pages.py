"""The pages: what each resource page shows, gathered through the graph's typed API and a few SPARQL reads.

``graph`` is a :class:`iakg.api.KnowledgeGraph` (passed in; the presentation layer does not import the API).
Every value reaches a query as a bound variable, never by string formatting.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from iakg import catalogue
from iakg.catalogue import internal
from iakg.domain.dose import compare_options
from iakg.domain.model import Scenario
from iakg.errors import DoseError
from iakg.present.html import apart, svg
from iakg.present.html.policy import content_security_policy
from iakg.present.html.procedure import levels_with_their_bands, pitfalls_of
from iakg.present.html.variant import _by_contraindication, _by_procedure, _plan, _rated_row, variant_table
from iakg.rdf.binding import bind_values
from iakg.rdf.engine import LocalEngine
from iakg.rdf.namespaces import BASE, DATASET_IRI, IAKG, IAKGD, ONTOLOGY_IRI, PREFIXES, QUERY, RDF, RDFS, curie
from iakg.rdf.terms import IRI
from iakg.version import __version__

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC_DIR = TEMPLATES.parent / "static"  #: CSS and the vendored YASGUI build
INCOMING_CAP = 100  #: links shown into a resource (a procedure of a large catalogue is rated thousands of times)
DERIVED_CAP = 2000  #: resources listed on a source document's page
HOME_SCENARIOS = 50  #: scenarios listed on the home page (rated ones first); the rest are on their topics' pages
#: what the home page says of the dataset up front, before its whole description: (property CURIE, name)
HOME_SUMMARY = (("dcat:version", "Version"), ("dcterms:modified", "Modified"), ("dcterms:license", "Licence"),
                ("void:triples", "Statements"), ("void:exampleResource", "Example"))

SCENARIO_TYPES = {IAKG + "ClinicalScenario"}
TOPIC_TYPES = {IAKG + "Topic", IAKG + "TopicHub", IAKG + "ProtocolGuide"}
SOURCE_TYPES = {IAKG + "SourceDocument"}


def term(value: Any, label: Any = None) -> Markup:
    """A value as HTML: a resource as a link (local page, else external), a literal as escaped text."""
    if not isinstance(value, IRI):
        return escape(value)
    return _link(str(value), None if label is None else str(label))


@lru_cache(maxsize=1 << 16)  # the static site links the same few thousand resources hundreds of thousands of times
def _link(value: str, label: str | None) -> Markup:
    text = escape(label if label is not None else curie(value))
    path = link_path(value)
    if path:
        return Markup(f'<a href="{escape(path)}">{text}</a>')
    if value.startswith(("http://", "https://")):
        return Markup(f'<a href="{escape(value)}" rel="external">{text}</a>')
    return Markup(f"<span>{text}</span>")


@lru_cache(maxsize=1 << 16)
def link_path(iri: str) -> str | None:
    """The local URL path of a resource page (``/id/x``, ``/ontology#Term``), or None if it has none here."""
    if iri.startswith(IAKG):
        return "/ontology#" + quote(iri[len(IAKG):], safe="")
    if iri == ONTOLOGY_IRI or iri == f"{ONTOLOGY_IRI}/{__version__}":  # an earlier version is not held here
        return "/ontology"
    if iri == DATASET_IRI:
        return "/"
    if iri.startswith((IAKGD, QUERY)):
        rest = iri[len(BASE):]
        if "#" in rest or "?" in rest or rest.endswith("/"):
            return None
        return "/" + quote(rest, safe="/-._~")
    return None


#: the RDF files of a resource page, by extension: (format of iakg.rdf.writers.document, media type, name)
RDF_FILES: dict[str, tuple[str, str, str]] = {
    "ttl": ("ttl", "text/turtle", "Turtle"),
    "jsonld": ("jsonld", "application/ld+json", "JSON-LD"),
    "nt": ("nt", "application/n-triples", "N-Triples"),
    "rdf": ("rdfxml", "application/rdf+xml", "RDF/XML"),
}
STATIC_RDF_FILES = ("ttl", "jsonld")  #: the files the static site writes beside each page


def rdf_path(iri: str, extension: str) -> str | None:
    """The URL path of the RDF file of a resource page: ``/id/x`` -> ``/id/x.ttl``; an ontology term's is the
    ontology's (``/ontology.ttl``), the home page's the dataset description's (``/dataset.ttl``)."""
    path = link_path(iri)
    if path is None:
        return None
    path = path.split("#", 1)[0]
    return ("/dataset" if path == "/" else path) + "." + extension


class Pages:
    """Renders the pages of one graph. ``static`` drops what needs a server (search, the dose form)."""

    def __init__(self, graph: Any, static: bool = False, endpoint: str = "/sparql",
                 description: Callable[[], list[dict[str, Any]]] | None = None):
        self.graph = graph
        self.static = static
        self.endpoint = endpoint
        self._describe_dataset = description  # the VoID/DCAT rows, when the store does not hold them
        self._index: tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]] | None = None
        self._recommendations: dict[str, Any] = {}  # by scenario IRI, read in one pass by prefetch()
        self._evidence: dict[str, list[dict[str, Any]]] | None = None  # evidence rows by scenario, likewise
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                               trim_blocks=True, lstrip_blocks=True)
        self.env.globals.update(href=link_path, curie=curie, term=term, static=static, endpoint=endpoint,
                                is_iri=lambda v: isinstance(v, IRI),
                                csp=content_security_policy(endpoint, frames=False), alternates=self.alternates)

    def alternates(self, iri: str) -> list[tuple[str, str, str]]:
        """The RDF files of a resource's page as (name, URL path, media type): every format on a server, the
        Turtle and JSON-LD files the static site writes beside its pages."""
        out = []
        for extension in STATIC_RDF_FILES if self.static else RDF_FILES:
            path = rdf_path(iri, extension)
            if path:
                out.append((RDF_FILES[extension][2], path, RDF_FILES[extension][1]))
        return out

    def rdf(self, iri: str, extension: str) -> bytes:
        """The description (DESCRIBE) of ``iri`` as the RDF file with ``extension`` (see :data:`RDF_FILES`);
        empty bytes when the graph says nothing about it."""
        from iakg.rdf.writers import document

        text = self.graph.query(internal("describe-resource"), {"resource": IRI(iri)}).ntriples
        return document(text, RDF_FILES[extension][0]) if text.strip() else b""

    def graph_rdf(self, graph: str, extension: str) -> bytes:
        """Every statement of the named graph ``graph`` as the RDF file with ``extension``; empty if none."""
        from iakg.rdf.writers import document

        text = self.graph.query(internal("page-named-graph"), {"graph": IRI(graph)}).ntriples
        return document(text, RDF_FILES[extension][0]) if text.strip() else b""

    # ------------------------------------------------------------------ reads
    def _rows(self, query: str, **bindings: Any) -> list[dict[str, Any]]:
        return self.graph.query(query, bindings).rows()

    def _render(self, template: str, **values: Any) -> str:
        return self.env.get_template(template).render(**values)

    def prefetch(self) -> None:
        """Read every statement once and answer :meth:`describe` from memory (the static site: thousands of
        pages, one pass over the graph instead of two queries a page)."""
        labels: dict[str, Any] = {}
        triples = self._rows(internal("page-all-statements"))
        for row in triples:
            if row["p"] == RDFS + "label":
                labels.setdefault(row["s"], row["o"])
        out: dict[str, dict[tuple, dict[str, Any]]] = {}
        into: dict[str, dict[tuple, dict[str, Any]]] = {}
        for row in triples:
            s, p, o = row["s"], row["p"], row["o"]
            out.setdefault(s, {}).setdefault((p, str(o)), {"p": p, "o": o, "pl": labels.get(p),
                                                           "ol": labels.get(o) if isinstance(o, IRI) else None})
            if isinstance(o, IRI) and isinstance(s, IRI):
                links = into.setdefault(o, {})
                if len(links) <= INCOMING_CAP:
                    links.setdefault((s, p), {"s": s, "p": p, "sl": labels.get(s), "pl": labels.get(p)})
        self._index = ({k: list(v.values()) for k, v in out.items()}, {k: list(v.values()) for k, v in into.items()})
        # every scenario's ratings, profile and evidence in a few whole-graph reads instead of several a page
        scenarios = [Scenario(s, str(labels.get(s) or curie(s))) for s, rows in self._index[0].items()
                     if any(r["p"] == RDF + "type" and r["o"] in SCENARIO_TYPES for r in rows)]
        self._recommendations = self.graph.recommend_many(scenarios)
        self._evidence = {}
        for row in self._rows(internal("page-rating-evidence")):
            self._evidence.setdefault(row.pop("scenario"), []).append(row)

    def describe(self, iri: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Outgoing (p, o) and incoming (s, p) statements with labels, duplicates (several labels) dropped."""
        if self._index is not None:
            return self._index[0].get(iri, []), self._index[1].get(iri, [])
        out: dict[tuple, dict[str, Any]] = {}
        for row in self._rows(internal("page-statements-from"), s=IRI(iri)):
            out.setdefault((row["p"], str(row["o"])), row)
        into: dict[tuple, dict[str, Any]] = {}
        for row in self._rows(internal("page-statements-into"), o=IRI(iri)):
            into.setdefault((row["s"], row["p"]), row)
        return list(out.values()), list(into.values())

    def told_apart(self, rows: list[dict[str, Any]], iri: str, label: str) -> list[dict[str, Any]]:
        """``rows`` with what tells apart the resources that share a label (:func:`apart.told_apart`)."""
        return apart.told_apart(rows, iri, label, lambda member: self.describe(member)[0])

    # ------------------------------------------------------------------ pages
    @cached_property
    def dataset(self) -> list[dict[str, Any]]:
        """The VoID/DCAT description of the dataset: from the store if it holds it, else from ``description``."""
        rows = self._rows(internal("page-dataset-description"))
        if not rows and self._describe_dataset is not None:
            rows = self._describe_dataset()
        return rows

    def home(self) -> str:
        """Content first: the topics with their scenarios (rated ones first, a bounded number), then what the
        dataset is (a few facts; its whole VoID/DCAT description folded)."""
        dataset = self.dataset
        about: dict[str, Any] = {}
        for row in dataset:
            about.setdefault(curie(row["p"]), row["o"])
        topics = self.graph.topics()
        children: dict[str | None, list[Any]] = {}
        for topic in topics:
            children.setdefault(topic.parent, []).append(topic)
        for kids in children.values():
            kids.sort(key=lambda t: t.label)
        scenarios = self.graph.scenarios(limit=HOME_SCENARIOS)
        total = self.graph.count("scenarios") if len(scenarios) >= HOME_SCENARIOS else len(scenarios)
        topic_iris = {t.iri for t in topics}
        by_topic: dict[str, list[Any]] = {}
        for scenario in scenarios:
            if scenario.topic in topic_iris:
                by_topic.setdefault(scenario.topic, []).append(scenario)
        loose = [s for s in scenarios if s.topic not in topic_iris]
        return self._render("home.html", iri=DATASET_IRI,
                            title=str(about.get("dcterms:title", "Imaging appropriateness graph")),
                            about=about, dataset=dataset, children=children, by_topic=by_topic, loose=loose,
                            shown=len(scenarios), total=total, more_scenarios=total > len(scenarios),
                            summary=HOME_SUMMARY)

    def search(self, text: str) -> str:
        text = text.strip()[:200]
        rows = self._rows(internal("page-search-labels"), q=text) if text else []
        hits = self.told_apart(list({r["s"]: r for r in rows if link_path(r["s"])}.values()), "s", "l")
        return self._render("search.html", title="Search", q=text, hits=hits)

    def index(self) -> str:
        """Every labelled resource with a page (the static site's stand-in for the search box)."""
        hits = self.told_apart(list({r["s"]: r for r in self._rows(internal("page-all-labels"))
                                     if link_path(r["s"])}.values()), "s", "l")
        return self._render("search.html", title="Index of resources", q="", hits=hits, everything=True)

    def editor(self) -> str:
        examples = [{"name": q.name, "title": q.title, "text": _with_example(q)}
                    for q in catalogue.catalogue().values()]
        names = {"prefixes": PREFIXES, "pages": [[IAKG, "/ontology#"], [IAKGD, "/id/"], [QUERY, "/query/"]]}
        return self._render("editor.html", title="SPARQL query editor", examples=examples,
                            examples_json=_script_json(examples), names_json=_script_json(names))

    @cached_property
    def _ontology(self) -> str:
        from iakg.present.html.ontology import terms

        header, found = terms(self.graph)
        return self._render("ontology.html", iri=ONTOLOGY_IRI, title="IAKG ontology", header=header, terms=found)

    def ontology(self) -> str:
        """The ontology documentation: every iakg: term with its definition and where the graph uses it."""
        return self._ontology

    def document(self, title: str, path: str, text: str) -> str:
        """A page showing an RDF document as text (the shapes, a named graph), with its files in every format."""
        files = [(name, extension) for extension, (_, _, name) in RDF_FILES.items()]
        return self._render("document.html", title=title, path=path, text=text, files=files)

    def not_found(self, iri: str) -> str:
        return self._render("not_found.html", title="Not found", missing=iri)

    def resource(self, iri: str, years: str | None = None, every: str | None = None,
                 every_option: bool = False) -> str | None:
        """The page of ``iri``, or None if the graph says nothing about it. A scenario's dose comparison plans
        ``years`` of one study ``every`` months (the reader's, else the defaults) and leaves the options rated
        in the lowest category out, as ``iakg dose`` does, unless ``every_option``."""
        out, into = self.describe(iri)
        if not out and not into:
            return None
        types = {IRI(r["o"]) for r in out if r["p"] == RDF + "type"}
        label = next((r["o"] for r in out if r["p"] == RDFS + "label"), None) or curie(iri)
        out = levels_with_their_bands(self.graph, iri, out)
        values: dict[str, Any] = {"iri": iri, "title": str(label), "types": sorted(types), "out": out,
                                  "into": self.told_apart(into[:INCOMING_CAP], "s", "sl"),
                                  "more_into": len(into) > INCOMING_CAP}
        if any(r["p"] == IAKG + "concerns" for r in into):  # a study a pitfall is about: said where it is ordered
            values["pitfalls"] = pitfalls_of(self.graph, iri)
        if types & SCENARIO_TYPES:
            values["variants"] = [self._variant(Scenario(iri, str(label)), years, every, every_option=every_option)]
        elif types & TOPIC_TYPES:
            values["variants"] = [self._variant(Scenario(r["s"], str(r["sl"] or curie(r["s"]))), years, every, True)
                                  for r in self._rows(internal("page-topic-scenarios"), topic=IRI(iri))]
        if types & SOURCE_TYPES:
            derived = self._rows(internal("page-derived-from-source"), o=IRI(iri))
            values["derived"] = self.told_apart(list({r["s"]: r for r in derived[:DERIVED_CAP]}.values()), "s", "sl")
            values["more_derived"] = len(derived) > DERIVED_CAP
            values["terms"] = self._rows(internal("page-source-terms"), source=IRI(iri))
        return self._render("resource.html", **values)

    # ------------------------------------------------------------------ the variant (scenario) view
    def _variant(self, scenario: Scenario, years: str | None, every: str | None, brief: bool = False,
                 every_option: bool = False) -> dict[str, Any]:
        """The variant view of a scenario (known to exist: it is not looked up by name again)."""
        graph, iri = self.graph, scenario.iri
        known = self._recommendations.get(iri)
        recommendation = replace(known, scenario=scenario) if known else graph.recommend(scenario)
        if self._evidence is not None:
            found = self._evidence.get(iri, [])
        else:
            found = self._rows(internal("page-rating-evidence"), scenario=IRI(iri))
            for row in found:
                row.pop("scenario", None)
        evidence: dict[str, list[dict[str, Any]]] = {}
        for row in found:
            items = evidence.setdefault(row["r"], [])
            if row not in items:
                items.append(row)
        rows = [_rated_row(r, evidence.get(r.rating, [])) for r in recommendation.procedures]
        variant = variant_table(recommendation.scenario, rows)
        variant["adults_only"] = bool(recommendation.profile and recommendation.profile.adults_only)
        if brief:
            return variant
        variant["criteria"] = graph.run("criteria", scenario=IRI(iri))
        # what the CLI prints with a scenario: how often, the protocol, what instead of contrast, dose caveats
        variant["intervals"] = graph.interval_rules(scenario)
        variant["protocol"] = _by_procedure(recommendation.protocol)
        variant["indications"] = list({r["indication"]: r for r in graph.run("indications", scenario=IRI(iri))}
                                      .values())  # one line per indication (a row per trigger fact)
        variant["alternatives"] = _by_contraindication(graph.alternatives(scenario))
        variant["caveats"] = graph.dose_caveats(scenario)
        branches = graph.next_steps(scenario)
        variant["branches"] = branches
        variant["workflow_svg"] = (svg.workflow(branches, link_path), svg.workflow(branches, link_path, True)) \
            if branches else None
        variant["pitfalls"] = graph.pitfalls(scenario)
        variant["escalation"] = graph.escalation(scenario)
        if not rows:  # no rated option: no dose plan to compare (none is invented)
            return variant
        variant["plan"] = plan = _plan(years, every, variant["intervals"])
        plan["every_option"] = every_option
        if plan["every"] is not None and not plan.get("error"):
            try:
                options, left_out = compare_options(graph.engine, recommendation, plan["years"], plan["every"],
                                                    include_all=every_option)
            except DoseError as exc:  # what the plan check let through and the domain refuses: said on the page
                plan["error"] = str(exc)
            else:
                estimates = [option.estimate for option in options]
                variant["doses"], variant["left_out"] = options, left_out
                variant["dose_svg"] = (svg.dose_chart(estimates, plan), svg.dose_chart(estimates, plan, True)) \
                    if estimates else None
        return variant


def description_triples(nquads: bytes) -> bytes:
    """The dataset's description (its graph in a release's N-Quads) as N-Triples."""
    import pyoxigraph as ox

    from iakg.rdf.namespaces import GRAPH_DESCRIPTION

    quads = ox.parse(nquads, format=ox.RdfFormat.N_QUADS)
    return ox.serialize([q.triple for q in quads if q.graph_name == ox.NamedNode(GRAPH_DESCRIPTION)],
                        format=ox.RdfFormat.N_TRIPLES) or b""


def description_rows(nquads: bytes) -> list[dict[str, Any]]:
    """The dataset's description as (p, o) rows, from a release's N-Quads (its description graph)."""
    lines = b"".join(line + b"\n" for line in nquads.splitlines() if line.endswith(b"/description> ."))
    store = ox.Store()
    store.load(lines, format=ox.RdfFormat.N_QUADS)
    return LocalEngine(store).execute(internal("page-dataset-description")).rows()


def _script_json(value: Any) -> str:
    """``value`` as JSON to sit in a ``<script type="application/json">`` block: no ``<`` (so no tag ends it)."""
    return json.dumps(value).replace("<", "\\u003c")


def _with_example(query: Any) -> str:
    """The query text with its example bindings as a VALUES block, so it runs as it is in the editor."""
    try:
        return bind_values(query.text, query.example_bindings()) if query.example else query.text
    except Exception:  # a query whose example does not bind still shows, unbound
        return query.text
