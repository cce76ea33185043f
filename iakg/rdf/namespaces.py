"""Every namespace and fixed IRI of the project, defined once."""

from __future__ import annotations

BASE = "https://w3id.org/iakg/"

IAKG = BASE + "ontology#"  #: ontology terms (classes, properties)
IAKGD = BASE + "id/"  #: resources of the graph (topics, scenarios, procedures...)
IAKGSH = BASE + "shapes#"  #: SHACL shapes
GRAPH = BASE + "graph/"  #: named graphs of a loaded dataset
QUERY = BASE + "query/"  #: catalogue queries, described as sh:SPARQLExecutable

ONTOLOGY_IRI = BASE + "ontology"
PATIENT_CONTEXT_IRI = BASE + "context/patient.jsonld"  #: the JSON-LD context of patient files
CONTEXT_IRI = BASE + "context/iakg.jsonld"  #: the JSON-LD context of the exports
DATASET_IRI = BASE + "dataset"  #: the VoID/DCAT description of the dataset

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SKOSXL = "http://www.w3.org/2008/05/skos-xl#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
SH = "http://www.w3.org/ns/shacl#"
SCHEMA = "https://schema.org/"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"

#: prefix -> namespace, as used in Turtle output, SPARQL headers and CURIEs in messages.
PREFIXES: dict[str, str] = {
    "iakg": IAKG,
    "iakgd": IAKGD,
    "iakgsh": IAKGSH,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "skosxl": SKOSXL,  # the lexicon's labels (data/lexicon.ttl)
    "dcterms": DCTERMS,
    "prov": PROV,
    "sh": SH,
    "schema": SCHEMA,
    "void": VOID,
    "dcat": DCAT,
    "vann": "http://purl.org/vocab/vann/",
    "foaf": "http://xmlns.com/foaf/0.1/",  # the dataset description's publisher
    "vcard": "http://www.w3.org/2006/vcard/ns#",  # its contact point
}

#: named graphs that keep the parts of a loaded dataset apart
GRAPH_ONTOLOGY = GRAPH + "ontology"
GRAPH_DATA = GRAPH + "data"
GRAPH_EXTRA = GRAPH + "extra"
GRAPH_INFERRED = GRAPH + "inferred"
GRAPH_CATALOGUE = GRAPH + "catalogue"
GRAPH_LISTING = GRAPH + "listing"  #: the listing index (derived, like the inferred graph: iakg.catalogue.listing)
GRAPH_SHAPES = GRAPH + "shapes"
GRAPH_DESCRIPTION = GRAPH + "description"


def expand(name: str) -> str:
    """The IRI a CURIE of the project's prefixes stands for (``iakgd:x`` -> ``https://w3id.org/iakg/id/x``); any
    other text (a full IRI, an unknown prefix, a bare name) comes back unchanged. The one place CURIEs are
    expanded: the command line, the Python API, the table importer and CDS Hooks all read names this way."""
    prefix, colon, local = name.partition(":")
    if colon and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return name


def is_curie(name: str) -> bool:
    """Whether ``name`` is written as ``prefix:local`` (a known prefix or not), not as a full ``scheme://`` IRI."""
    prefix, colon, local = name.partition(":")
    return bool(colon) and not local.startswith("//")


def curie(iri: str) -> str:
    """Shorten an IRI with the project's prefixes (``iakg:category``); unknown IRIs come back whole."""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri
