"""Exports: the whole dataset as Turtle, N-Triples, JSON-LD, TriG or N-Quads, byte-identical for equal input.

Determinism: blank nodes get RDFC-1.0 canonical labels (the W3C dataset canonicalisation), and quads are
sorted before they are serialised. Losslessness: every triple is written; re-import is isomorphic.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyoxigraph as ox

from . import resources
from .namespaces import (DATASET_IRI, DCAT, DCTERMS, GRAPH_DESCRIPTION, GRAPH_INFERRED, GRAPH_SHAPES, IAKG, IAKGD,
                         ONTOLOGY_IRI, OWL, PREFIXES, RDF, XSD)

#: format name -> (pyoxigraph format, file extension, media type)
FORMATS = {
    "ttl": (ox.RdfFormat.TURTLE, "ttl", "text/turtle"),
    "nt": (ox.RdfFormat.N_TRIPLES, "nt", "application/n-triples"),
    "jsonld": (ox.RdfFormat.JSON_LD, "jsonld", "application/ld+json"),
    "trig": (ox.RdfFormat.TRIG, "trig", "application/trig"),
    "nq": (ox.RdfFormat.N_QUADS, "nq", "application/n-quads"),
}
DATASET_FORMATS = ("trig", "nq")  # the others merge the named graphs into one graph


def context() -> dict:
    """The JSON-LD context of the exports: the project's prefixes (published as ``context.jsonld``)."""
    return {"@context": dict(PREFIXES)}


def content(store: ox.Store, inferred: bool = False) -> list[ox.Quad]:
    """The dataset's content: every named graph of ``store`` plus the shapes, canonical and sorted.

    The inferred graph is left out unless ``inferred``; the description is made from the content.
    """
    skip = {GRAPH_DESCRIPTION} | (set() if inferred else {GRAPH_INFERRED})
    quads = [q for q in store if not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in skip)]
    shapes = ox.NamedNode(GRAPH_SHAPES)
    quads += [ox.Quad(q.subject, q.predicate, q.object, shapes)
              for q in ox.parse(path=str(resources.SHAPES_FILE), format=ox.RdfFormat.TURTLE)]
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(dataset, key=_order)


def digest(quads: list[ox.Quad]) -> str:
    """``sha256:HEX`` of the quads as sorted N-Quads lines."""
    text = "".join(f"{q} .\n" for q in sorted(quads, key=_order))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def description(quads: list[ox.Quad], version: str, issued: str, endpoint: str | None = None) -> list[ox.Quad]:
    """VoID and DCAT triples about the dataset, every figure counted from ``quads``."""
    triples = {(q.subject, q.predicate, q.object) for q in quads}
    rdf_type = RDF + "type"
    typed = [(s, o) for s, p, o in triples if p.value == rdf_type]
    used = {p.value for _, p, _ in triples} | {o.value for _, o in typed}
    vocabularies = sorted(ns for ns in PREFIXES.values() if any(iri.startswith(ns) for iri in used))
    sources = sorted({s.value for s, o in typed if o.value == IAKG + "SourceDocument"})
    rated = sorted({o.value for s, p, o in triples if p.value == IAKG + "ratedScenario" and o.value.startswith(IAKGD)})

    me, graph = ox.NamedNode(DATASET_IRI), ox.NamedNode(GRAPH_DESCRIPTION)
    out: list[ox.Quad] = []

    def add(p: str, o) -> None:
        out.append(ox.Quad(me, ox.NamedNode(p), o, graph))

    def count(p: str, n: int) -> None:
        add(p, ox.Literal(str(n), datatype=ox.NamedNode(XSD + "integer")))

    add(rdf_type, ox.NamedNode("http://rdfs.org/ns/void#Dataset"))
    add(rdf_type, ox.NamedNode(DCAT + "Dataset"))
    add(DCTERMS + "title", ox.Literal("Imaging Appropriateness Knowledge Graph", language="en"))
    add(DCTERMS + "description", ox.Literal(
        "Radiology appropriateness guidance (clinical scenarios, rated imaging procedures, radiation levels, "
        "workflow, surveillance intervals, contraindications, provenance) as RDF, with its OWL ontology, SHACL "
        "shapes and SPARQL query catalogue.", language="en"))
    add(OWL + "versionInfo", ox.Literal(version))
    add(DCAT + "version", ox.Literal(version))
    add(DCTERMS + "issued", ox.Literal(issued, datatype=ox.NamedNode(XSD + "date")))
    add(DCTERMS + "modified", ox.Literal(issued, datatype=ox.NamedNode(XSD + "date")))
    add(DCTERMS + "license", ox.NamedNode("https://creativecommons.org/licenses/by/4.0/"))
    add(DCTERMS + "conformsTo", ox.NamedNode(ONTOLOGY_IRI))
    add(IAKG + "contentDigest", ox.Literal(digest(quads)))
    void = "http://rdfs.org/ns/void#"
    count(void + "triples", len(triples))
    count(void + "entities", len({s for s, _ in typed if isinstance(s, ox.NamedNode)}))
    count(void + "classes", len({o for _, o in typed}))
    count(void + "properties", len({p for _, p, _ in triples}))
    count(void + "distinctSubjects", len({s for s, _, _ in triples}))
    count(void + "distinctObjects", len({o for _, _, o in triples}))
    add(void + "uriSpace", ox.Literal(IAKGD))
    for iri in vocabularies:
        add(void + "vocabulary", ox.NamedNode(iri))
    for iri in sources:
        add(DCTERMS + "source", ox.NamedNode(iri))
    for iri in rated[:3]:
        add(void + "exampleResource", ox.NamedNode(iri))
    if endpoint:
        add(void + "sparqlEndpoint", ox.NamedNode(endpoint))
    return sorted(out, key=_order)


def serialize(quads: list[ox.Quad], fmt: str) -> bytes:
    """The quads in one format; triple formats merge the graphs (duplicates removed)."""
    rdf_format = FORMATS[fmt][0]
    if fmt in DATASET_FORMATS:
        return ox.serialize(quads, format=rdf_format, prefixes=PREFIXES if fmt == "trig" else None)
    triples = sorted({ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads}, key=_order)
    if fmt == "jsonld":
        return _compact_jsonld(ox.serialize(triples, format=rdf_format))
    return ox.serialize(triples, format=rdf_format, prefixes=PREFIXES if fmt == "ttl" else None)


def _compact_jsonld(expanded: bytes) -> bytes:
    """Shorten expanded JSON-LD with the export context (IRIs to prefixed names, rdf:type to @type)."""
    nodes = json.loads(expanded)

    def iri(value: str) -> str:
        for prefix, ns in PREFIXES.items():
            if value.startswith(ns) and len(value) > len(ns) and not value[len(ns):].startswith("/"):
                return f"{prefix}:{value[len(ns):]}"
        return value

    def node(obj: dict) -> dict:
        out = {"@id": iri(obj["@id"])} if "@id" in obj else {}
        types = [iri(t["@id"]) for t in obj.get(RDF + "type", [])]
        if types:
            out["@type"] = types
        for key, values in obj.items():
            if key in ("@id", RDF + "type"):
                continue
            out[iri(key)] = [value(v) for v in values]
        return out

    def value(v: dict) -> dict:
        if "@id" in v:
            return {"@id": iri(v["@id"])}
        return {**v, "@type": iri(v["@type"])} if "@type" in v else v

    document = {**context(), "@graph": [node(n) for n in nodes]}
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _order(quad: ox.Quad) -> tuple[str, str, str, str]:
    return (str(quad.graph_name), str(quad.subject), str(quad.predicate), str(quad.object))


def extension(fmt: str) -> str:
    return FORMATS[fmt][1]


def default_name(fmt: str) -> Path:
    return Path(f"iakg.{extension(fmt)}")
