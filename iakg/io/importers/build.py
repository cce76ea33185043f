"""A read table section made into RDF: the topic, its source, scenarios, procedures and ratings.

Every cell is checked here and every problem located (file:row:column with the cell's text); a section with
problems yields none of its triples. IRIs are minted from names as the shipped data does (lower-case words
joined by hyphens); every rating names its source document, section (the variant heading) and row.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from iakg.errors import Problem
from iakg.io.importers import cells
from iakg.io.importers.cells import CellError
from iakg.io.importers.nodes import N, Topic, en, slug, typed
from iakg.io.importers.procedures import resolve
from iakg.io.importers.sources import source_document
from iakg.io.importers.table import Cell, Section
from iakg.io.importers.terms import add_terms, new_procedure
from iakg.io.importers.vocabulary import KnownProcedure, Vocabulary, fold
from iakg.rdf.namespaces import IAKG, IAKGD, PROV, RDF, RDFS, SKOS, expand

DEFAULT_SCHEMES = {
    "category_scheme": IAKGD + "appropriateness-categories",
    "level_scheme": IAKGD + "relative-radiation-levels",
    "soe_scheme": IAKGD + "strength-of-evidence",
    "population_scheme": IAKGD + "population-groups",
    "phase_scheme": IAKGD + "phases-of-care",
    "status_scheme": IAKGD + "condition-statuses",
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Builder:
    """Turns sections into topics against one vocabulary snapshot, collecting located problems."""

    def __init__(self, vocab: Vocabulary):
        self.vocab = vocab
        self.problems: list[Problem] = []

    def build(self, section: Section) -> Topic | None:
        before = len(self.problems)
        meta = section.meta
        text = {k: c.text for k, c in meta.items()}
        ns = expand((text.get("namespace") or IAKGD).strip().strip("<>"))  # a CURIE or an IRI, <> or not
        schemes = {k: expand((text.get(k) or v).strip().strip("<>")) for k, v in DEFAULT_SCHEMES.items()}
        for key, iri in (("namespace", ns), *schemes.items()):
            try:
                N(iri + "x")  # an IRI the engine reads (a '>' or a space in it would end the file's IRI)
            except ValueError as exc:
                self._err(section, meta.get(key), f"not an IRI ({exc}): give a full http(s) IRI or a CURIE")
        if len(self.problems) > before:
            return None
        fixture = fold(text.get("test_fixture", "")) in ("true", "yes", "1")
        topic_slug = slug(text.get("id") or text.get("title", ""))
        topic = Topic(topic_slug, text.get("title", ""))
        t_iri = ns + "topic-" + topic_slug
        topic.where[t_iri] = f"{section.path}:{section.header_row or 1}:1"

        def fx(s: str) -> None:
            if fixture:
                topic.add(s, IAKG + "isTestFixture", typed("true", "boolean"))

        add_terms(self, topic, section, ns, fx)
        # ------------------------------------------------ source document (one per source), publisher, panel, disease
        publisher = self._named(topic, "GuidanceBody", text.get("publisher", ""), ns, fx)
        src = source_document(self, topic, section, text, meta, ns + "source-" + topic_slug, publisher, fx)
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
        if panel_size is not None:
            topic.add(t_iri, IAKG + "panelSize", typed(panel_size, "integer"))
        if text.get("publisher_topic_id"):
            topic.add(t_iri, IAKG + "publisherTopicId", ox.Literal(text["publisher_topic_id"]))

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
                    h = cells.heading(vcell.text, self.vocab, schemes["population_scheme"], schemes["phase_scheme"],
                                      schemes["status_scheme"])
                except CellError as exc:  # its rows are still checked, cell by cell (no triples come of them)
                    self._err(section, vcell, str(exc))
                    heading, scenario, order = cells.Heading(0, ""), "", 0
                    h = heading
                if h.number == 0:
                    pass
                elif heading is None or h != heading:
                    if heading is not None and h.number == heading.number:
                        self._err(section, vcell, f"variant {h.number} has two different headings")
                    heading, order = h, 0
                    scenario = self._scenario(topic, section, vcell, h, ns, src, disease, t_iri, schemes, fx)
            elif heading is None:
                self._err(section, vcell, "the first row needs its variant heading")
                continue
            order += 1
            assert heading is not None
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
        if h.populations:
            topic.add(iri, IAKG + "populationDescription", en(h.population_text))
            for c in h.populations:
                topic.add(iri, IAKG + "population", N(c.iri))
        else:  # the heading names none: said explicitly, never assumed to be everyone
            topic.add(iri, IAKG + "populationNotStated", typed("true", "boolean"))
        if h.phase is not None:
            topic.add(iri, IAKG + "clinicalPhase", en(h.phase_text))
            topic.add(iri, IAKG + "phaseOfCare", N(h.phase.iri))
        if len(h.statuses) == 1:  # "Suspected ...": kept; two statuses in one heading are not guessed between
            topic.add(iri, IAKG + "conditionStatus", N(h.statuses[0].iri))
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
        proc_known: KnownProcedure | None = None
        if cells.empty(pcell.text):
            self._err(section, pcell, "the row names no procedure")
        else:
            try:
                known, parsed = resolve(pcell.text, self.vocab)
                proc = known.iri if known else new_procedure(self, topic, pcell.text, parsed, ns, src, fx)
                proc_known = self.vocab.procedures[proc]
            except CellError as exc:
                self._err(section, pcell, str(exc))
        if proc_known is not None and (scenario, proc_known.iri) in seen:
            self._err(section, pcell, f"variant {h.number} rates this procedure twice "
                                      f"(first at row {seen[(scenario, proc_known.iri)].row})")
            proc_known = None
        elif proc_known is not None:
            seen[(scenario, proc_known.iri)] = pcell
        for key, pediatric in (("adult_rrl", False), ("peds_rrl", True)):
            self._level(topic, section, get(key), proc_known, pediatric, schemes["level_scheme"], src, levels)
        ccell = get("category")
        category, disagreement = None, False
        try:
            category, disagreement = cells.category(ccell.text, self.vocab, schemes["category_scheme"])
        except CellError as exc:
            self._err(section, ccell, str(exc))
        rest = self._numbers(section, get, schemes, category, disagreement, panel_size)
        if proc_known is None or category is None or not scenario:
            return  # every cell of the row was checked; a row with problems adds nothing
        proc = proc_known.iri
        rating = f"{ns}rating-{topic.slug}-variant-{h.number}-{proc.rsplit('/', 1)[-1].rsplit('#', 1)[-1]}"
        label = f"{proc_known.label} for {topic.title}, variant {h.number}: {category.label}"
        topic.where[rating] = f"{section.path}:{pcell.row}:{pcell.column}"
        topic.where.setdefault(proc, f"{section.path}:{pcell.row}:{pcell.column}")
        topic.add(rating, RDF + "type", N(IAKG + "AppropriatenessRating"))
        topic.add(rating, RDFS + "label", en(label + (" (Disagreement)" if disagreement else "")))
        topic.add(rating, IAKG + "ratedScenario", N(scenario))
        topic.add(rating, IAKG + "ratedProcedure", N(proc))
        topic.add(rating, IAKG + "category", N(category.iri))
        topic.add(rating, IAKG + "panelDisagreement", typed("true" if disagreement else "false", "boolean"))
        soe, numbers, counts = rest
        if soe is not None:
            topic.add(rating, IAKG + "strengthOfEvidence", N(soe.iri))
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

    def _numbers(self, section: Section, get, schemes: dict[str, str], category, disagreement: bool,
                 panel_size: int | None) -> tuple:
        """The row's SOE, rating, median and tabulation, each cell checked (problems recorded, never raised)."""
        soe = None
        if not cells.empty(get("soe").text):
            try:
                soe = cells.concept(get("soe").text, self.vocab, schemes["soe_scheme"], "strength of evidence")
            except CellError as exc:
                self._err(section, get("soe"), str(exc))
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
        return soe, numbers, counts

    def _check_scores(self, section: Section, get, numbers: dict, counts: list[int] | None, category,
                      disagreement: bool, panel_size: int | None) -> None:
        """A row's votes are checked against its own median and rating (panels differ from row to row as
        members abstain); ``Panel size``, when given, is the most votes a row may have."""
        if counts is not None and sum(counts) > 0:
            size = sum(counts)
            if panel_size is not None and size > panel_size:
                self._err(section, get("t1"), f"the tabulation counts {size} votes, more than the panel size "
                                              f"{panel_size}")
            median = cells.median_of(counts)
            if numbers.get("median") is not None and numbers["median"] != median:
                self._err(section, get("median"), f"the median of the tabulated votes is {median}")
            voted = [score for score, n in enumerate(counts, 1) if n]
            rating = numbers.get("rating")
            if rating is not None and not voted[0] <= rating <= voted[-1]:
                self._err(section, get("rating"), f"the rating {rating} lies outside the tabulated votes "
                                                  f"({voted[0]}-{voted[-1]})")
        if category is None:
            return
        if not disagreement and category.min_score is not None and category.max_score is not None:
            low, high = category.min_score, category.max_score
            for key in ("rating", "median"):
                value = numbers.get(key)
                if value is not None and not low <= value <= high:
                    self._err(section, get(key), f"{key} {value} lies outside the band {low}-{high} of "
                                                 f"{category.label!r} (only a (Disagreement) rating may)")

    def _level(self, topic: Topic, section: Section, cell: Cell, proc: KnownProcedure | None, pediatric: bool,
               scheme: str, src: str, levels: dict) -> None:
        try:
            level = cells.level(cell.text, self.vocab, scheme, pediatric)
        except CellError as exc:
            self._err(section, cell, str(exc))
            return
        if level is None or proc is None:
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

