"""A read table section made into RDF: the topic, its source, scenarios, procedures and ratings.

Every cell is checked here and every problem located (file:row:column with the cell's text); a section with
problems yields none of its triples. IRIs are minted from names as the shipped data does (lower-case words
joined by hyphens); every rating names its source document, section (the variant heading) and row.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from iakg.errors import Problem
from iakg.io.importers import cells
from iakg.io.importers.cells import CellError
from iakg.io.importers.procedures import resolve
from iakg.io.importers.table import Cell, Section
from iakg.io.importers.vocabulary import KnownProcedure, Vocabulary, fold
from iakg.rdf.namespaces import DCTERMS, IAKG, IAKGD, PREFIXES, PROV, RDF, RDFS, SKOS, XSD

DEFAULT_SCHEMES = {
    "category_scheme": IAKGD + "appropriateness-categories",
    "level_scheme": IAKGD + "relative-radiation-levels",
    "soe_scheme": IAKGD + "strength-of-evidence",
    "population_scheme": IAKGD + "population-groups",
    "phase_scheme": IAKGD + "phases-of-care",
}
#: the rights of a source whose table states neither its licence nor its rights (never an assumed licence)
NOT_STATED_RIGHTS = "Not stated in the table's header: the source's own terms apply; no licence is assumed."
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def slug(text: str) -> str:
    """The IRI segment minted from a name: lower-case letters and digits, words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold().replace("/", " ")).strip("-")


def expand(text: str) -> str:
    """An IRI from a CURIE of the project's prefixes (``iakgd:x``) or a full IRI."""
    text = text.strip().strip("<>")
    prefix, _, local = text.partition(":")
    if prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return text


@functools.lru_cache(maxsize=65536)  # a table names the same few hundred predicates and concepts again and again
def N(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


@functools.lru_cache(maxsize=4096)  # scores, counts and row numbers repeat on every row
def typed(value: object, datatype: str) -> ox.Literal:
    return ox.Literal(str(value), datatype=N(XSD + datatype))


@dataclass
class Topic:
    """The RDF of one imported topic: its triples by subject, in the order they are written."""

    slug: str
    title: str
    subjects: dict[str, list[tuple[str, ox.NamedNode | ox.Literal]]] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)  #: subject IRI -> "file:row:column" of its cell

    def add(self, s: str, p: str, o: ox.NamedNode | ox.Literal) -> None:
        self.subjects.setdefault(s, []).append((p, o))

    def triples(self) -> list[ox.Triple]:
        return [ox.Triple(N(s), N(p), o) for s, pos in self.subjects.items() for p, o in pos]


class Builder:
    """Turns sections into topics against one vocabulary snapshot, collecting located problems."""

    def __init__(self, vocab: Vocabulary):
        self.vocab = vocab
        self.problems: list[Problem] = []

    def build(self, section: Section) -> Topic | None:
        before = len(self.problems)
        meta = section.meta
        text = {k: c.text for k, c in meta.items()}
        ns = expand(text.get("namespace") or IAKGD)
        schemes = {k: expand(text.get(k) or v) for k, v in DEFAULT_SCHEMES.items()}
        fixture = fold(text.get("test_fixture", "")) in ("true", "yes", "1")
        topic_slug = slug(text.get("id") or text.get("title", ""))
        topic = Topic(topic_slug, text.get("title", ""))
        t_iri = ns + "topic-" + topic_slug
        topic.where[t_iri] = f"{section.path}:{section.header_row or 1}:1"
        src = ns + "source-" + topic_slug

        def fx(s: str) -> None:
            if fixture:
                topic.add(s, IAKG + "isTestFixture", typed("true", "boolean"))

        # ------------------------------------------------ source document, publisher, panel, disease
        topic.add(src, RDF + "type", N(IAKG + "SourceDocument"))
        topic.add(src, RDFS + "label", en(text.get("source", "")))
        topic.add(src, DCTERMS + "title", ox.Literal(text.get("source", "")))
        if text.get("source_url"):
            if not re.match(r"^https?://\S+$", text["source_url"]):
                self._err(section, meta["source_url"], "a source URL is an http(s) address")
            topic.add(src, IAKG + "sourceUrl", typed(text["source_url"], "anyURI"))
        if text.get("source_license"):  # a licence IRI the header states; else the rights as written, or none
            if not re.match(r"^https?://\S+$", text["source_license"]):
                self._err(section, meta["source_license"], "a licence is the http(s) address of the licence")
            topic.add(src, DCTERMS + "license", N(text["source_license"]))
        if text.get("source_rights") or not text.get("source_license"):
            topic.add(src, DCTERMS + "rights", en(text.get("source_rights") or NOT_STATED_RIGHTS))
        for key, prop in (("source_date", DCTERMS + "issued"), ("review_date", IAKG + "reviewDate")):
            if text.get(key):
                if not _DATE.match(text[key]):
                    self._err(section, meta[key], "a date is written YYYY-MM-DD")
                topic.add(src, prop, typed(text[key], "date"))
        publisher = self._named(topic, "GuidanceBody", text.get("publisher", ""), ns, fx)
        topic.add(src, DCTERMS + "publisher", N(publisher))
        fx(src)
        panel = None
        if text.get("panel"):
            panel = self._named(topic, "ExpertPanel", text["panel"], ns, fx, prefix="panel-")
            if panel in topic.subjects:  # made by this topic: it belongs to the publisher
                topic.add(panel, IAKG + "panelOf", N(publisher))
        disease = self.vocab.find("Disease", text.get("disease", ""))
        if disease is None and text.get("disease"):
            disease = ns + slug(text["disease"])
            if not text.get("disease_definition"):
                self._err(section, meta["disease"], "the disease is not in the graph: give a 'Disease definition' "
                                                    "to create it")
            topic.add(disease, RDF + "type", N(IAKG + "Disease"))
            topic.add(disease, RDFS + "label", en(text["disease"]))
            topic.add(disease, SKOS + "definition", en(text.get("disease_definition", "")))
            topic.add(disease, PROV + "wasDerivedFrom", N(src))
            fx(disease)
            self.vocab.add_named("Disease", text["disease"], disease)
        panel_size = None
        if text.get("panel_size"):
            try:
                panel_size = cells.integer(text["panel_size"], 1, 10_000, "the panel size")
            except CellError as exc:
                self._err(section, meta["panel_size"], str(exc))

        # ------------------------------------------------ the topic
        topic.add(t_iri, RDF + "type", N(IAKG + "Topic"))
        topic.add(t_iri, RDFS + "label", en(topic.title))
        topic.add(t_iri, SKOS + "definition", en(text.get("description") or
                                                 f"The variant tables of {text.get('source', '')}."))
        if disease:
            topic.add(t_iri, IAKG + "coversDisease", N(disease))
        if panel:
            topic.add(t_iri, IAKG + "expertPanel", N(panel))
        topic.add(t_iri, PROV + "wasDerivedFrom", N(src))
        fx(t_iri)

        # ------------------------------------------------ rows
        heading: cells.Heading | None = None
        scenario = ""
        seen: dict[tuple[str, str], Cell] = {}
        order = 0
        levels: dict[tuple[str, bool], tuple[str, Cell]] = {}
        for row in section.rows:
            vcell = row["variant"]
            if vcell.text:
                try:
                    h = cells.heading(vcell.text)
                except CellError as exc:
                    self._err(section, vcell, str(exc))
                    continue
                if heading is None or h != heading:
                    if heading is not None and h.number == heading.number:
                        self._err(section, vcell, f"variant {h.number} has two different headings")
                    heading, order = h, 0
                    scenario = self._scenario(topic, section, vcell, h, ns, src, disease, t_iri, schemes, fx)
            elif heading is None:
                self._err(section, vcell, "the first row needs its variant heading")
                continue
            order += 1
            self._row(topic, section, row, heading, scenario, order, ns, src, publisher, panel, panel_size,
                      schemes, seen, levels, fx)
        if len(self.problems) > before:
            return None
        return topic

    # ---------------------------------------------------------------- pieces
    def _err(self, section: Section, cell: Cell | None, message: str) -> None:
        self.problems.append(section.problem(cell, message))

    def _named(self, topic: Topic, kind: str, label: str, ns: str, fx, prefix: str = "") -> str:
        """The graph's ``kind`` resource called ``label``, or a new one described in this topic."""
        found = self.vocab.find(kind, label)
        if found is not None:
            return found
        iri = ns + prefix + slug(label)
        topic.add(iri, RDF + "type", N(IAKG + kind))
        topic.add(iri, RDFS + "label", en(label))
        fx(iri)
        self.vocab.add_named(kind, label, iri)
        return iri

    def _scenario(self, topic: Topic, section: Section, cell: Cell, h: cells.Heading, ns: str, src: str,
                  disease: str | None, t_iri: str, schemes: dict[str, str], fx) -> str:
        iri = f"{ns}{topic.slug}-variant-{h.number}"
        topic.where.setdefault(iri, f"{section.path}:{cell.row}:{cell.column}")
        if iri in topic.subjects:
            self._err(section, cell, f"variant {h.number} appears twice (its rows must be together)")
            return iri
        topic.add(t_iri, IAKG + "hasScenario", N(iri))
        topic.add(iri, RDF + "type", N(IAKG + "ClinicalScenario"))
        topic.add(iri, RDFS + "label", en(f"{topic.title}, variant {h.number}: {h.description}"))
        topic.add(iri, SKOS + "definition", en(h.description))
        topic.add(iri, IAKG + "variantNumber", typed(h.number, "integer"))
        topic.add(iri, IAKG + "populationDescription", en(h.population))
        try:
            for c in cells.populations(h.population, self.vocab, schemes["population_scheme"]):
                topic.add(iri, IAKG + "population", N(c.iri))
        except CellError as exc:
            self._err(section, cell, str(exc))
        topic.add(iri, IAKG + "clinicalPhase", en(h.phase))
        try:
            phase = cells.concept(h.phase, self.vocab, schemes["phase_scheme"], "phase of care")
            topic.add(iri, IAKG + "phaseOfCare", N(phase.iri))
        except CellError as exc:
            self._err(section, cell, str(exc))
        if disease:
            topic.add(iri, IAKG + "concernsDisease", N(disease))
        topic.add(iri, PROV + "wasDerivedFrom", N(src))
        topic.add(iri, IAKG + "evidenceQuote", ox.Literal(h.text()))
        fx(iri)
        return iri

    def _row(self, topic: Topic, section: Section, row: dict[str, Cell], h: cells.Heading, scenario: str,
             order: int, ns: str, src: str, publisher: str, panel: str | None, panel_size: int | None,
             schemes: dict[str, str], seen: dict, levels: dict, fx) -> None:
        def get(key: str) -> Cell:
            return row.get(key) or Cell("", row["variant"].row, 0)

        pcell = get("procedure")
        if cells.empty(pcell.text):
            self._err(section, pcell, "the row names no procedure")
            return
        try:
            known, parsed = resolve(pcell.text, self.vocab)
        except CellError as exc:
            self._err(section, pcell, str(exc))
            return
        proc = known.iri if known else self._procedure(topic, pcell.text, parsed, ns, src, fx)
        proc_known = self.vocab.procedures[proc]
        if (scenario, proc) in seen:
            self._err(section, pcell, f"variant {h.number} rates this procedure twice "
                                      f"(first at row {seen[(scenario, proc)].row})")
            return
        seen[(scenario, proc)] = pcell
        for key, pediatric in (("adult_rrl", False), ("peds_rrl", True)):
            self._level(topic, section, get(key), proc_known, pediatric, schemes["level_scheme"], src, levels)
        rating = f"{ns}rating-{topic.slug}-variant-{h.number}-{proc.rsplit('/', 1)[-1].rsplit('#', 1)[-1]}"
        ccell = get("category")
        try:
            category, disagreement = cells.category(ccell.text, self.vocab, schemes["category_scheme"])
        except CellError as exc:
            self._err(section, ccell, str(exc))
            return
        label = f"{proc_known.label} for {topic.title}, variant {h.number}: {category.label}"
        topic.where[rating] = f"{section.path}:{pcell.row}:{pcell.column}"
        topic.where.setdefault(proc, f"{section.path}:{pcell.row}:{pcell.column}")
        topic.add(rating, RDF + "type", N(IAKG + "AppropriatenessRating"))
        topic.add(rating, RDFS + "label", en(label + (" (Disagreement)" if disagreement else "")))
        topic.add(rating, IAKG + "ratedScenario", N(scenario))
        topic.add(rating, IAKG + "ratedProcedure", N(proc))
        topic.add(rating, IAKG + "category", N(category.iri))
        topic.add(rating, IAKG + "panelDisagreement", typed("true" if disagreement else "false", "boolean"))
        soe = get("soe")
        if not cells.empty(soe.text):
            try:
                c = cells.concept(soe.text, self.vocab, schemes["soe_scheme"], "strength of evidence")
                topic.add(rating, IAKG + "strengthOfEvidence", N(c.iri))
            except CellError as exc:
                self._err(section, soe, str(exc))
        numbers: dict[str, int | None] = {}
        for key, what in (("rating", "the rating"), ("median", "the median")):
            try:
                numbers[key] = cells.integer(get(key).text, 1, 9, what)
            except CellError as exc:
                self._err(section, get(key), str(exc))
        try:
            counts = cells.tabulation([get(f"t{i}").text for i in range(1, 10)])
        except CellError as exc:
            self._err(section, get("t1"), str(exc))
            counts = None
        self._check_scores(section, get, numbers, counts, category, disagreement, panel_size)
        if numbers.get("rating") is not None:
            topic.add(rating, IAKG + "ratingScore", typed(numbers["rating"], "integer"))
        if numbers.get("median") is not None:
            topic.add(rating, IAKG + "medianScore", typed(numbers["median"], "integer"))
        for i, n in enumerate(counts or [], 1):
            topic.add(rating, IAKG + f"votesForScore{i}", typed(n, "integer"))
        topic.add(rating, IAKG + "sourceRowOrder", typed(order, "integer"))
        topic.add(rating, IAKG + "ratingAuthority", N(publisher))
        if panel:
            topic.add(rating, IAKG + "expertPanel", N(panel))
        topic.add(rating, PROV + "wasDerivedFrom", N(src))
        topic.add(rating, IAKG + "sourceSection", ox.Literal(h.text()))
        fx(rating)

    def _check_scores(self, section: Section, get, numbers: dict, counts: list[int] | None, category,
                      disagreement: bool, panel_size: int | None) -> None:
        if counts is not None and sum(counts) > 0:
            size = sum(counts)
            expected = panel_size if panel_size is not None else self._panel_sizes.setdefault(id(section), size)
            if size != expected:
                self._err(section, get("t1"), f"the tabulation counts {size} votes; the panel has {expected} "
                                              "(every row's counts sum to one panel size)")
            median = cells.median_of(counts)
            if numbers.get("median") is not None and numbers["median"] != median:
                self._err(section, get("median"), f"the median of the tabulated votes is {median}")
        if not disagreement and category.min_score is not None and category.max_score is not None:
            low, high = category.min_score, category.max_score
            for key in ("rating", "median"):
                value = numbers.get(key)
                if value is not None and not low <= value <= high:
                    self._err(section, get(key), f"{key} {value} lies outside the band {low}-{high} of "
                                                 f"{category.label!r} (only a (Disagreement) rating may)")

    @property
    def _panel_sizes(self) -> dict[int, int]:
        if not hasattr(self, "_sizes"):
            self._sizes: dict[int, int] = {}
        return self._sizes

    def _procedure(self, topic: Topic, name: str, parsed, ns: str, src: str, fx) -> str:
        label = " ".join(name.split())
        iri = ns + slug(label)
        topic.add(iri, RDF + "type", N(IAKG + parsed.modality))
        topic.add(iri, RDFS + "label", en(label))
        for region in parsed.regions:
            topic.add(iri, IAKG + "bodyRegion", N(region))
        if parsed.contrast:
            topic.add(iri, IAKG + "contrastUse", N(parsed.contrast))
        if parsed.tracer:
            topic.add(iri, IAKG + "radiopharmaceutical", N(parsed.tracer))
        topic.add(iri, PROV + "wasDerivedFrom", N(src))
        fx(iri)
        self.vocab.add_procedure(KnownProcedure(iri, label, {IAKG + parsed.modality}, set(parsed.regions),
                                                parsed.contrast, parsed.tracer))
        return iri

    def _level(self, topic: Topic, section: Section, cell: Cell, proc: KnownProcedure, pediatric: bool,
               scheme: str, src: str, levels: dict) -> None:
        try:
            level = cells.level(cell.text, self.vocab, scheme, pediatric)
        except CellError as exc:
            self._err(section, cell, str(exc))
            return
        if level is None:
            return
        have = proc.pediatric if pediatric else proc.adult
        column = "Peds RRL" if pediatric else "Adult RRL"
        if have is not None and have != level.iri:
            earlier = levels.get((proc.iri, pediatric))
            where = f" (row {earlier[1].row})" if earlier else " (in the graph)"
            self._err(section, cell, f"{column} of {proc.label!r} is already {self._level_name(have)}{where}")
            return
        if have is None:
            prop = "pediatricRadiationLevel" if pediatric else "radiationLevel"
            topic.add(proc.iri, IAKG + prop, N(level.iri))
            topic.add(proc.iri, IAKG + prop + "Source", N(src))
            if pediatric:
                proc.pediatric = level.iri
            else:
                proc.adult = level.iri
            levels[(proc.iri, pediatric)] = (level.iri, cell)

    def _level_name(self, iri: str) -> str:
        for concepts in self.vocab.schemes.values():
            if iri in concepts:
                return concepts[iri].notation or iri
        return iri

