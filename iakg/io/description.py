"""The release's VoID/DCAT description: what it counts and says about the dataset (``iakg.io.export`` builds
the release around it).

The figures cover what a dump holds. The store's graphs are counted once, in the engine (``queries/internal/
export-*.rq``) and over their sorted statements; the few statements the store does not hold (the shipped
shapes, the description itself) are then added one by one, each term looked up in the store, so nothing is
counted twice. ``described`` counts the description with itself until its figures stop changing.
"""

from __future__ import annotations

import bisect
import functools
import os
import sys
from collections.abc import Iterable

import pyoxigraph as ox

from iakg.catalogue import internal
from iakg.io import rights
from iakg.rdf.binding import bind_values
from iakg.rdf.namespaces import (
    DATASET_IRI,
    DCAT,
    DCTERMS,
    GRAPH_DESCRIPTION,
    IAKG,
    IAKGD,
    ONTOLOGY_IRI,
    OWL,
    PREFIXES,
    RDF,
    SCHEMA,
    VOID,
    XSD,
)
from iakg.rdf.terms import IRI


def statement(quad: ox.Quad | ox.Triple) -> bytes:
    """A statement as the engine writes it in N-Triples, without the line's end (" .\n")."""
    return f"{quad.subject} {quad.predicate} {quad.object}".encode()


def described(stats: Stats, content_digest: str, version: str, issued: str | None, endpoint: str | None,
              keywords: list[ox.Literal], prior: str | None = None) -> list[ox.Quad]:
    """The description quads, their counts covering the description itself: the dumps hold both, so
    ``void:triples`` is the number of distinct triples a dump holds. Counted again with the description's
    own triples until the figures stop changing (once or twice: only a count's own literal can move them)."""
    quads = description(stats, content_digest, version, issued, endpoint, keywords, prior)
    me, graph = ox.NamedNode(DATASET_IRI), ox.NamedNode(GRAPH_DESCRIPTION)
    fixed = {ox.Quad(me, ox.NamedNode(p), keyword, graph) for keyword in keywords  # in every round: counted once
             for p in (DCAT + "keyword", SCHEMA + "keywords")} & set(quads)
    with_fixed = stats.copy()
    for quad in fixed:
        with_fixed.add(quad)
    for _ in range(10):
        total = with_fixed.copy()
        for quad in quads:
            if quad not in fixed:
                total.add(quad)
        again = description(total, content_digest, version, issued, endpoint, keywords, prior)
        if again == quads:
            break
        quads = again
    return quads


def topic_labels(store: ox.Store, skip: set[str]) -> list[ox.Literal]:
    """The labels of the topics (``iakg:Topic`` and its subclasses) in the released graphs: the keywords.

    Two queries: the classes first (a path from its bound end), then their instances' labels; one query
    joining both evaluated the path once per typed resource (minutes on a catalogue-scale graph).
    """
    classes = store.query(internal("export-topic-classes"), use_default_graph_as_union=True)
    assert isinstance(classes, ox.QuerySolutions)
    topic_classes = [IRI(solution["class"].value) for solution in classes
                     if isinstance(solution["class"], ox.NamedNode)]
    released = [g for g in store.named_graphs() if not (isinstance(g, ox.NamedNode) and g.value in skip)]
    solutions = store.query(bind_values(internal("export-topic-labels"), {"class": topic_classes}),
                            named_graphs=released)
    assert isinstance(solutions, ox.QuerySolutions)
    labels = {solution["label"] for solution in solutions}
    return sorted((label for label in labels if isinstance(label, ox.Literal)), key=str)


class Stats:
    """What the VoID description counts: the store's graphs counted once (in the engine, and over their sorted
    lines), then the few statements added to them (the shapes, the description itself) one by one, each term
    looked up in the store so that nothing is counted twice."""

    def __init__(self, store: ox.Store, graphs: list, statements: list[bytes]):
        self._store, self._graphs, self._statements = store, graphs, statements
        self._released = set(graphs)
        self._memo: dict[ox.Quad, tuple[bytes, bool]] = {}  # quad -> (statement, in the content): see add
        self._terms: dict[tuple[str, str], bool] = {}  # ("s" or "o", term) -> in the store's graphs
        self.triples = len(statements)  # the distinct statements of the content, shapes included
        self.subjects = self.objects = self.described = 0
        self.predicates: set[str] = set()
        self.classes: set[str] = set()
        self.sources: set[str] = set()
        self.rated: set[str] = set()
        self.rights: list = []  # the parts of the dataset under one set of terms (iakg.io.rights.Part)
        self._added: tuple[set[bytes], set[str], set[str]] = (set(), set(), set())  # statements, subjects, objects

    @classmethod
    def of(cls, store: ox.Store, graphs: list, lines: list[list[bytes]], statements: list[bytes]) -> Stats:
        """The figures of ``graphs`` in ``store`` (their sorted ``lines``) and ``statements`` (every line)."""
        stats = cls(store, graphs, statements)
        if not graphs:
            return stats
        [row] = stats._select("export-counts")
        stats.subjects, stats.objects = int(row["subjects"].value), int(row["objects"].value)
        stats.predicates = set(row["predicates"].value.split())  # IRIs have no spaces
        stats.classes = {r["class"].value for r in stats._select("export-classes")}
        stats.sources = {r["source"].value for r in stats._select("export-sources")}
        stats.rated = {r["scenario"].value for r in stats._select("export-rated")}  # the first three: all it shows

        stats.rights = rights.parts(store, graphs, len(statements))
        prefix = f"<{IAKGD}".encode()  # statements about the uriSpace's resources: one run of each sorted graph
        stats.described = len({line[:line.index(b" ")] for graph in lines
                               for line in graph[bisect.bisect_left(graph, prefix):
                                                 bisect.bisect_left(graph, prefix[:-1] + b"0")]})
        return stats

    def _select(self, name: str) -> ox.QuerySolutions:
        """The solutions of ``queries/internal/NAME.rq`` over the released graphs (merged as the default graph)."""
        solutions = self._store.query(internal(name), default_graph=self._graphs)
        assert isinstance(solutions, ox.QuerySolutions)
        return solutions

    def copy(self) -> Stats:
        other = Stats(self._store, self._graphs, self._statements)
        other._memo, other._terms = self._memo, self._terms
        for name, value in vars(self).items():
            if not name.startswith("_"):
                setattr(other, name, set(value) if isinstance(value, set) else value)
        other._added = tuple(set(added) for added in self._added)  # type: ignore[assignment]
        return other

    def _in_store(self, key: tuple[str, str], subject=None, obj=None) -> bool:
        """Whether the term is the subject (or object) of a statement of the released graphs of the store."""
        found = self._terms.get(key)
        if found is None:
            found = self._terms[key] = any(quad.graph_name in self._released
                                           for quad in self._store.quads_for_pattern(subject, None, obj))
        return found

    def add_content(self, triples: Iterable[ox.Quad | ox.Triple]) -> None:
        """Count statements of the content the store's graphs do not hold (the shipped shapes): the
        statements themselves are counted already (see ``of``), their terms may be new."""
        _, subjects, objects = self._added
        for t in triples:
            s, o = str(t.subject), str(t.object)
            if s not in subjects:
                subjects.add(s)
                if isinstance(t.subject, ox.BlankNode) or not self._in_store(("s", s), subject=t.subject):
                    self.subjects += 1
                    if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(IAKGD):
                        self.described += 1
            if o not in objects:
                objects.add(o)
                if isinstance(t.object, ox.BlankNode) or not self._in_store(("o", o), obj=t.object):
                    self.objects += 1
            self._kinds(t)

    def _kinds(self, t: ox.Quad | ox.Triple) -> None:
        """The predicate, class, source document or rated scenario a statement names."""
        p = t.predicate.value
        self.predicates.add(p)
        if p == RDF + "type" and isinstance(t.object, ox.NamedNode):
            self.classes.add(t.object.value)
            if isinstance(t.subject, ox.NamedNode) and t.object.value == IAKG + "SourceDocument":
                self.sources.add(t.subject.value)
        elif p == IAKG + "ratedScenario" and isinstance(t.object, ox.NamedNode) and t.object.value.startswith(IAKGD):
            self.rated.add(t.object.value)

    def add(self, q: ox.Quad) -> None:
        """Count a statement the content does not hold (the description's own)."""
        found = self._memo.get(q)  # the description is counted again until its figures stop changing
        if found is None:
            line = statement(q)
            at = bisect.bisect_left(self._statements, line)
            found = self._memo[q] = (line, at < len(self._statements) and self._statements[at] == line)
        line, in_content = found
        if not in_content and line not in self._added[0]:
            self._added[0].add(line)
            self.triples += 1
        self.add_content((q,))


def description(stats: Stats, content_digest: str, version: str, issued: str | None,
                endpoint: str | None = None, keywords: Iterable[ox.Literal] = (), prior: str | None = None
                ) -> list[ox.Quad]:
    """VoID and DCAT triples about the dataset, every figure counted from ``stats``.

    ``issued`` is None for a version not released (``iakg.io.releases``): then no issue date is stated.
    ``prior``: the version released before this one (``owl:priorVersion``). The licence and rights are
    computed from the sources (``iakg.io.rights``).

    Publisher and contact point come from the package's metadata (pyproject's authors and
    ``[project.urls]``): the contact point is the issue tracker if one is listed there, else it is left out.
    """
    used = stats.predicates | stats.classes
    vocabularies = sorted(ns for ns in PREFIXES.values() if any(iri.startswith(ns) for iri in used))
    me, graph = ox.NamedNode(DATASET_IRI), ox.NamedNode(GRAPH_DESCRIPTION)
    out: list[ox.Quad] = []

    def add(p: str, o) -> None:
        out.append(ox.Quad(me, ox.NamedNode(p), o, graph))

    def count(p: str, n: int) -> None:
        add(p, ox.Literal(str(n), datatype=ox.NamedNode(XSD + "integer")))

    void = "http://rdfs.org/ns/void#"
    add(RDF + "type", ox.NamedNode(void + "Dataset"))
    add(RDF + "type", ox.NamedNode(DCAT + "Dataset"))
    add(DCTERMS + "title", ox.Literal("Imaging Appropriateness Knowledge Graph", language="en"))
    add(DCTERMS + "description", ox.Literal(
        "Radiology appropriateness guidance (clinical scenarios, rated imaging procedures, radiation levels, "
        "workflow, surveillance intervals, contraindications, provenance) as RDF, with its OWL ontology, SHACL "
        "shapes and SPARQL query catalogue.", language="en"))
    add(OWL + "versionInfo", ox.Literal(version))
    add(OWL + "versionIRI", ox.NamedNode(f"{DATASET_IRI}/{version}"))
    add(DCAT + "version", ox.Literal(version))
    if prior:
        add(OWL + "priorVersion", ox.NamedNode(f"{DATASET_IRI}/{prior}"))
    if issued:
        add(DCTERMS + "issued", ox.Literal(issued, datatype=ox.NamedNode(XSD + "date")))
        add(DCTERMS + "modified", ox.Literal(issued, datatype=ox.NamedNode(XSD + "date")))
    if stats.rights:
        out.extend(rights.quads(stats.rights))
    add(DCTERMS + "conformsTo", ox.NamedNode(ONTOLOGY_IRI))
    add(IAKG + "contentDigest", ox.Literal(content_digest))
    count(void + "triples", stats.triples)
    count(void + "entities", stats.described)
    count(void + "classes", len(stats.classes))
    count(void + "properties", len(stats.predicates))
    count(void + "distinctSubjects", stats.subjects)
    count(void + "distinctObjects", stats.objects)
    add(void + "uriSpace", ox.Literal(IAKGD))
    for iri in vocabularies:
        add(void + "vocabulary", ox.NamedNode(iri))
    for iri in sorted(stats.sources):
        add(DCTERMS + "source", ox.NamedNode(iri))
    for iri in sorted(stats.rated)[:3]:
        add(void + "exampleResource", ox.NamedNode(iri))
    if endpoint:
        add(void + "sparqlEndpoint", ox.NamedNode(endpoint))
    for keyword in keywords:
        add(DCAT + "keyword", keyword)
        add(SCHEMA + "keywords", keyword)
    name, urls = _project()
    if name:
        publisher = ox.NamedNode(DATASET_IRI + "#publisher")
        add(DCTERMS + "publisher", publisher)
        out.append(ox.Quad(publisher, ox.NamedNode(RDF + "type"), ox.NamedNode(FOAF + "Agent"), graph))
        out.append(ox.Quad(publisher, ox.NamedNode(FOAF + "name"), ox.Literal(name), graph))
        if "source" in urls:
            out.append(ox.Quad(publisher, ox.NamedNode(FOAF + "homepage"), ox.NamedNode(urls["source"]), graph))
    tracker = next((urls[k] for k in ("issues", "issue tracker", "bug tracker", "tracker", "bugs") if k in urls),
                   None)
    if tracker:
        contact = ox.NamedNode(DATASET_IRI + "#contact")
        add(DCAT + "contactPoint", contact)
        out.append(ox.Quad(contact, ox.NamedNode(RDF + "type"), ox.NamedNode(VCARD + "Kind"), graph))
        out.append(ox.Quad(contact, ox.NamedNode(VCARD + "fn"), ox.Literal(f"{name or 'the project'}: issue tracker"),
                           graph))
        out.append(ox.Quad(contact, ox.NamedNode(VCARD + "hasURL"), ox.NamedNode(tracker), graph))
    return out


#: the base of the download URLs when none is given: written as relative references (``writers.turtle``)
RELATIVE_BASE = "https://relative.invalid/release/"
FOAF = PREFIXES["foaf"]
VCARD = PREFIXES["vcard"]


@functools.lru_cache(maxsize=1)
def _project() -> tuple[str | None, dict[str, str]]:
    """The package's author and its project URLs (lower-cased labels), from the installed metadata."""
    headers = _metadata_headers()
    if headers is None:  # not an unpacked install: ask importlib.metadata (an import of ~40 ms)
        from importlib import metadata

        try:
            meta = metadata.metadata(_DISTRIBUTION)
        except metadata.PackageNotFoundError:
            return None, {}
        headers = [(key, meta.get_all(key) or []) for key in ("Author", "Project-URL")]
    found = dict(headers)
    urls = {}
    for entry in found.get("Project-URL", []):
        label, _, url = entry.partition(",")
        urls[label.strip().lower()] = url.strip()
    authors = found.get("Author") or []
    return (authors[0] if authors else None) or None, urls


_DISTRIBUTION = "imaging-appropriateness-kg"


def _metadata_headers() -> list[tuple[str, list[str]]] | None:
    """The Author and Project-URL headers of the installed package's METADATA file (core metadata: e-mail
    style headers), found as ``importlib.metadata`` finds it (the first ``*.dist-info`` on ``sys.path``);
    None when there is no such file to read."""
    prefix = _DISTRIBUTION.replace("-", "_") + "-"
    for entry in sys.path:
        try:
            names = sorted(n for n in os.listdir(entry or ".") if n.startswith(prefix) and n.endswith(".dist-info"))
        except OSError:
            continue
        for name in names:
            try:
                with open(os.path.join(entry or ".", name, "METADATA"), encoding="utf-8") as handle:
                    text = handle.read()
            except OSError:
                continue
            found: dict[str, list[str]] = {"Author": [], "Project-URL": []}
            last: list[str] | None = None
            for line in text.split("\n\n", 1)[0].splitlines():
                if line[:1] in (" ", "\t") and last:  # a folded header continues
                    last[-1] += " " + line.strip()
                    continue
                key, _, value = line.partition(":")
                last = found.get(key.strip())
                if last is not None:
                    last.append(value.strip())
            return list(found.items())
    return None


def distributions(dumps: Iterable[tuple[str, str, int]], base: str) -> list[ox.Quad]:
    """A ``dcat:Distribution`` and a ``void:dataDump`` per dump file (name, media type, bytes) under ``base``."""
    me, graph = ox.NamedNode(DATASET_IRI), ox.NamedNode(GRAPH_DESCRIPTION)
    out = []
    for name, media_type, size in dumps:
        url = ox.NamedNode(base + name)
        dist = ox.NamedNode(f"{DATASET_IRI}#dump-{name}")
        out += [ox.Quad(me, ox.NamedNode(DCAT + "distribution"), dist, graph),
                ox.Quad(me, ox.NamedNode(VOID + "dataDump"), url, graph),
                ox.Quad(dist, ox.NamedNode(RDF + "type"), ox.NamedNode(DCAT + "Distribution"), graph),
                ox.Quad(dist, ox.NamedNode(DCTERMS + "title"), ox.Literal(name), graph),
                ox.Quad(dist, ox.NamedNode(DCAT + "downloadURL"), url, graph),
                ox.Quad(dist, ox.NamedNode(DCAT + "mediaType"),
                        ox.NamedNode("https://www.iana.org/assignments/media-types/" + media_type), graph),
                ox.Quad(dist, ox.NamedNode(DCAT + "byteSize"),
                        ox.Literal(str(size), datatype=ox.NamedNode(XSD + "nonNegativeInteger")), graph)]
    return out
