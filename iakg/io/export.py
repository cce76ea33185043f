"""Exports: the whole dataset as Turtle, N-Triples, JSON-LD, TriG or N-Quads, byte-identical for equal input.

Determinism: blank nodes get RDFC-1.0 canonical labels (the W3C dataset canonicalisation), and quads are
sorted before they are serialised. Losslessness: every triple is written; re-import is isomorphic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pyoxigraph as ox

from iakg import resources
from iakg.io.formats import FORMATS, register
from iakg.io.writers import jsonld, turtle
from iakg.rdf.namespaces import (
    DATASET_IRI,
    DCAT,
    DCTERMS,
    GRAPH_DESCRIPTION,
    GRAPH_INFERRED,
    GRAPH_LISTING,
    GRAPH_SHAPES,
    IAKG,
    IAKGD,
    ONTOLOGY_IRI,
    OWL,
    PREFIXES,
    RDF,
    RDFS,
    SCHEMA,
    VOID,
    XSD,
)


def context() -> dict:
    """The JSON-LD context of the exports: the project's prefixes (published as ``context.jsonld``)."""
    return {"@context": dict(PREFIXES)}


class Release:
    """The published dataset as sorted canonical N-Quads (graph-major), and its serialisations."""

    def __init__(self, nquads: bytes):
        self.nquads = nquads

    def description(self, dumps: Iterable[tuple[str, str, int]] = (), base: str | None = None) -> Release:
        """The release's VoID/DCAT description graph alone (its N-Quads lines).

        ``dumps``: (file name, media type, size in bytes) of each dump written (``iakg build``): each becomes a
        ``dcat:distribution`` and a ``void:dataDump``, at ``base`` + name (``base`` defaults to
        ``RELATIVE_BASE``, which ``turtle(..., relative_to=RELATIVE_BASE)`` writes as relative references:
        resolved against where the description file is read from). The dumps themselves cannot carry these
        triples (a file cannot state its own size), so the description embedded in them has none.
        """
        suffix = f"<{GRAPH_DESCRIPTION}> .".encode()
        lines = [line + b"\n" for line in self.nquads.splitlines() if line.endswith(suffix)]
        lines += [_nquad(_entry(q)).encode("utf-8") for q in distributions(dumps, base or RELATIVE_BASE)]
        return Release(b"".join(sorted(lines)))

    def quads(self):
        """The quads, in order (an iterator)."""
        return ox.parse(self.nquads, format=ox.RdfFormat.N_QUADS)

    def serialize(self, fmt: str) -> bytes:
        """The dataset in a registered format (see ``iakg.io.formats``)."""
        return FORMATS.get(fmt).write(self)

    def triples(self) -> bytes:
        """The graphs merged into sorted N-Triples (duplicates across graphs removed)."""
        return "".join(sorted({f"{q.subject} {q.predicate} {q.object} .\n" for q in self.quads()})).encode("utf-8")


@register("ttl", "ttl", "text/turtle")
def _turtle(release: Release) -> bytes:
    return turtle(ox.parse(release.triples(), format=ox.RdfFormat.N_TRIPLES))


@register("nt", "nt", "application/n-triples")
def _ntriples(release: Release) -> bytes:
    return release.triples()


@register("jsonld", "jsonld", "application/ld+json")
def _jsonld_format(release: Release) -> bytes:
    return jsonld(ox.parse(release.triples(), format=ox.RdfFormat.N_TRIPLES))


@register("trig", "trig", "application/trig")
def _trig(release: Release) -> bytes:
    return ox.serialize(release.quads(), format=ox.RdfFormat.TRIG, prefixes=PREFIXES) or b""


@register("nq", "nq", "application/n-quads")
def _nquads(release: Release) -> bytes:
    return release.nquads


def release(store: ox.Store, inferred: bool = False, endpoint: str | None = None) -> Release:
    """The release of a dataset store (adding the OWL RL closure first if ``inferred`` and not there yet)."""
    from iakg import RELEASE_DATE, __version__

    if inferred and not any(True for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH_INFERRED))):
        from iakg.catalogue import listing
        from iakg.rdf.reasoning import materialise

        materialise(store)
        listing.build(store)  # the closure may add rows to a listing
    return build(store, __version__, RELEASE_DATE, inferred, endpoint)


def build(store: ox.Store, version: str, issued: str, inferred: bool = False,
          endpoint: str | None = None) -> Release:
    """The release of ``store``: every named graph (the inferred one only if asked; never the derived listing
    index, rebuilt from the content wherever the release is loaded) plus the shapes,
    blank nodes relabelled by RDFC-1.0, sorted, with the VoID/DCAT description computed from it.

    Only quads that mention a blank node are canonicalised (RDFC-1.0 labels depend on those alone),
    so a large ground graph is streamed as text and never held as Python objects twice.
    """
    skip = {GRAPH_DESCRIPTION, GRAPH_LISTING} | (set() if inferred else {GRAPH_INFERRED})
    stats = _Stats()
    entries: list[str] = []
    blank: list[ox.Quad] = []

    def take(quad: ox.Quad) -> None:
        if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
            blank.append(quad)
        else:
            stats.add(quad)
            entries.append(_entry(quad))

    for quad in store:
        if not (isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value in skip):
            take(quad)
    shapes = ox.NamedNode(GRAPH_SHAPES)
    for quad in ox.parse(path=str(resources.SHAPES_FILE), format=ox.RdfFormat.TURTLE):
        take(ox.Quad(quad.subject, quad.predicate, quad.object, shapes))
    dataset = ox.Dataset(blank)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    for quad in dataset:
        stats.add(quad)
        entries.append(_entry(quad))
    entries.sort()
    content_digest = "sha256:" + _digest_lines(entries)
    for quad in described(stats, content_digest, version, issued, endpoint, _topic_labels(store, skip)):
        entries.append(_entry(quad))
    entries.sort()
    text = "".join(map(_nquad, entries))
    return Release(text.encode("utf-8"))


def digest(quads) -> str:
    """``sha256:HEX`` of quads (already canonical), as the description's ``iakg:contentDigest`` computes it."""
    return "sha256:" + _digest_lines(sorted(map(_entry, quads)))


def _entry(quad: ox.Quad) -> str:
    """A quad as a sort key: graph first (graph-major order), then its N-Triples statement."""
    return f"{quad.graph_name}\t{quad.subject} {quad.predicate} {quad.object}"


def _nquad(entry: str) -> str:
    """The N-Quads line of a sort key made by ``_entry``."""
    graph, spo = entry.split("\t", 1)
    return f"{spo} {graph} .\n"


def _digest_lines(entries: list[str]) -> str:
    hasher = hashlib.sha256()
    for entry in entries:
        hasher.update(_nquad(entry).encode("utf-8"))
    return hasher.hexdigest()


def described(stats: _Stats, content_digest: str, version: str, issued: str, endpoint: str | None,
              keywords: list[ox.Literal]) -> list[ox.Quad]:
    """The description quads, their counts covering the description itself: the dumps hold both, so
    ``void:triples`` is the number of distinct triples a dump holds. Counted again with the description's
    own triples until the figures stop changing (once or twice: only a count's own literal can move them)."""
    quads = description(stats, content_digest, version, issued, endpoint, keywords)
    for _ in range(10):
        total = stats.copy()
        for quad in quads:
            total.add(quad)
        again = description(total, content_digest, version, issued, endpoint, keywords)
        if again == quads:
            break
        quads = again
    return quads


def _topic_labels(store: ox.Store, skip: set[str]) -> list[ox.Literal]:
    """The labels of the topics (``iakg:Topic`` and its subclasses) in the released graphs: the keywords.

    Two queries: the classes first (a path from its bound end), then their instances' labels; one query
    joining both evaluated the path once per typed resource (minutes on a catalogue-scale graph).
    """
    classes = store.query(f"SELECT DISTINCT ?class WHERE {{ ?class <{RDFS}subClassOf>* <{IAKG}Topic> }}",
                          use_default_graph_as_union=True)
    assert isinstance(classes, ox.QuerySolutions)
    values = " ".join(str(solution["class"]) for solution in classes if isinstance(solution["class"], ox.NamedNode))
    solutions = store.query(f"""SELECT DISTINCT ?label WHERE {{
        VALUES ?class {{ {values} }}
        GRAPH ?g {{ ?topic a ?class ; <{RDFS}label> ?label }}
        FILTER(?g NOT IN ({", ".join(f"<{g}>" for g in sorted(skip))}))
    }}""")
    assert isinstance(solutions, ox.QuerySolutions)
    labels = {solution["label"] for solution in solutions}
    return sorted((label for label in labels if isinstance(label, ox.Literal)), key=str)


class _Stats:
    """What the VoID description counts, gathered while the quads stream past."""

    def __init__(self):  # large sets hold hashes of the terms' text: exact counts, a fraction of the memory
        self.triples: set[int] = set()
        self.subjects: set[int] = set()
        self.objects: set[int] = set()
        self.predicates: set[str] = set()
        self.classes: set[str] = set()
        self.entities: set[str] = set()
        self.sources: set[str] = set()
        self.rated: set[str] = set()
        self.described: set[str] = set()  # subjects in the void:uriSpace: the entities

    def copy(self) -> _Stats:
        other = _Stats()
        for name, value in vars(self).items():
            setattr(other, name, set(value))
        return other

    def add(self, q: ox.Quad) -> None:
        s, p, o = str(q.subject), q.predicate.value, str(q.object)
        self.triples.add(hash((s, p, o)))
        self.subjects.add(hash(s))
        self.objects.add(hash(o))
        self.predicates.add(p)
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(IAKGD):
            self.described.add(q.subject.value)
        if p == RDF + "type" and isinstance(q.object, ox.NamedNode):
            self.classes.add(q.object.value)
            if isinstance(q.subject, ox.NamedNode):
                self.entities.add(q.subject.value)
                if q.object.value == IAKG + "SourceDocument":
                    self.sources.add(q.subject.value)
        elif p == IAKG + "ratedScenario" and isinstance(q.object, ox.NamedNode) and q.object.value.startswith(IAKGD):
            self.rated.add(q.object.value)


def description(stats: _Stats, content_digest: str, version: str, issued: str,
                endpoint: str | None = None, keywords: Iterable[ox.Literal] = ()) -> list[ox.Quad]:
    """VoID and DCAT triples about the dataset, every figure counted from ``stats``.

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
    add(DCTERMS + "issued", ox.Literal(issued, datatype=ox.NamedNode(XSD + "date")))
    add(DCTERMS + "modified", ox.Literal(issued, datatype=ox.NamedNode(XSD + "date")))
    add(DCTERMS + "license", ox.NamedNode("https://creativecommons.org/licenses/by/4.0/"))
    add(DCTERMS + "conformsTo", ox.NamedNode(ONTOLOGY_IRI))
    add(IAKG + "contentDigest", ox.Literal(content_digest))
    count(void + "triples", len(stats.triples))
    count(void + "entities", len(stats.described))
    count(void + "classes", len(stats.classes))
    count(void + "properties", len(stats.predicates))
    count(void + "distinctSubjects", len(stats.subjects))
    count(void + "distinctObjects", len(stats.objects))
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


def _project() -> tuple[str | None, dict[str, str]]:
    """The package's author and its project URLs (lower-cased labels), from the installed metadata."""
    from importlib import metadata

    try:
        meta = metadata.metadata("imaging-appropriateness-kg")
    except metadata.PackageNotFoundError:
        return None, {}
    urls = {}
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        urls[label.strip().lower()] = url.strip()
    return (meta.get_all("Author") or [None])[0] or None, urls


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
