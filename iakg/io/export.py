"""Exports: the whole dataset as Turtle, N-Triples, JSON-LD, TriG or N-Quads, byte-identical for equal input.

Determinism: blank nodes get RDFC-1.0 canonical labels (the W3C dataset canonicalisation), and quads are
sorted before they are serialised. Losslessness: every triple is written; re-import is isomorphic.
"""

from __future__ import annotations

import hashlib
import json

import pyoxigraph as ox

from iakg import resources
from iakg.io.formats import FORMATS, register
from iakg.rdf.namespaces import (
    DATASET_IRI,
    DCAT,
    DCTERMS,
    GRAPH_DESCRIPTION,
    GRAPH_INFERRED,
    GRAPH_SHAPES,
    IAKG,
    IAKGD,
    ONTOLOGY_IRI,
    OWL,
    PREFIXES,
    RDF,
    XSD,
)


def context() -> dict:
    """The JSON-LD context of the exports: the project's prefixes (published as ``context.jsonld``)."""
    return {"@context": dict(PREFIXES)}


class Release:
    """The published dataset as sorted canonical N-Quads (graph-major), and its serialisations."""

    def __init__(self, nquads: bytes):
        self.nquads = nquads

    def description(self) -> Release:
        """The release's VoID/DCAT description graph alone (its N-Quads lines)."""
        suffix = f"<{GRAPH_DESCRIPTION}> .".encode()
        return Release(b"".join(line + b"\n" for line in self.nquads.splitlines() if line.endswith(suffix)))

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
    parsed = ox.parse(release.triples(), format=ox.RdfFormat.N_TRIPLES)
    return ox.serialize(parsed, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b""


@register("nt", "nt", "application/n-triples")
def _ntriples(release: Release) -> bytes:
    return release.triples()


@register("jsonld", "jsonld", "application/ld+json")
def _jsonld_format(release: Release) -> bytes:
    return _jsonld(ox.parse(release.triples(), format=ox.RdfFormat.N_TRIPLES))


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
        from iakg.rdf.reasoning import materialise

        materialise(store)
    return build(store, __version__, RELEASE_DATE, inferred, endpoint)


def build(store: ox.Store, version: str, issued: str, inferred: bool = False,
          endpoint: str | None = None) -> Release:
    """The release of ``store``: every named graph (the inferred one only if asked) plus the shapes,
    blank nodes relabelled by RDFC-1.0, sorted, with the VoID/DCAT description computed from it.

    Only quads that mention a blank node are canonicalised (RDFC-1.0 labels depend on those alone),
    so a large ground graph is streamed as text and never held as Python objects twice.
    """
    skip = {GRAPH_DESCRIPTION} | (set() if inferred else {GRAPH_INFERRED})
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
    for quad in description(stats, content_digest, version, issued, endpoint):
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

    def add(self, q: ox.Quad) -> None:
        s, p, o = str(q.subject), q.predicate.value, str(q.object)
        self.triples.add(hash((s, p, o)))
        self.subjects.add(hash(s))
        self.objects.add(hash(o))
        self.predicates.add(p)
        if p == RDF + "type" and isinstance(q.object, ox.NamedNode):
            self.classes.add(q.object.value)
            if isinstance(q.subject, ox.NamedNode):
                self.entities.add(q.subject.value)
                if q.object.value == IAKG + "SourceDocument":
                    self.sources.add(q.subject.value)
        elif p == IAKG + "ratedScenario" and isinstance(q.object, ox.NamedNode) and q.object.value.startswith(IAKGD):
            self.rated.add(q.object.value)


def description(stats: _Stats, content_digest: str, version: str, issued: str,
                endpoint: str | None = None) -> list[ox.Quad]:
    """VoID and DCAT triples about the dataset, every figure counted from its content."""
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
    count(void + "entities", len(stats.entities))
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
    return out


def _jsonld(triples) -> bytes:
    """JSON-LD from triples sorted by subject, one node object per subject, streamed.

    The context is the project's prefixes, so IRIs are written as prefixed names and ``rdf:type`` as
    ``@type``; the document is complete without fetching anything.
    """
    import io

    def iri(value: str) -> str:
        for prefix, ns in PREFIXES.items():
            if value.startswith(ns) and len(value) > len(ns) and not value[len(ns):].startswith("/"):
                return f"{prefix}:{value[len(ns):]}"
        return value

    def ref(term) -> str:
        return f"_:{term.value}" if isinstance(term, ox.BlankNode) else iri(term.value)

    def value(term) -> dict:
        if not isinstance(term, ox.Literal):
            return {"@id": ref(term)}
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype.value == XSD + "string":
            return {"@value": term.value}
        return {"@value": term.value, "@type": iri(term.datatype.value)}

    out = io.StringIO()
    out.write(json.dumps(context(), ensure_ascii=False, indent=1)[:-2] + ',\n "@graph": [')
    node: dict = {}
    subject = None
    first = True

    def flush() -> None:
        nonlocal first
        if node:
            out.write(("\n  " if first else ",\n  ") + json.dumps(node, ensure_ascii=False))
            first = False

    for triple in triples:
        if triple.subject != subject:
            flush()
            subject = triple.subject
            node = {"@id": ref(subject)}
        if triple.predicate.value == RDF + "type" and isinstance(triple.object, ox.NamedNode):
            node.setdefault("@type", []).append(iri(triple.object.value))
        else:
            node.setdefault(iri(triple.predicate.value), []).append(value(triple.object))
    flush()
    out.write("\n ]\n}\n")
    return out.getvalue().encode("utf-8")
