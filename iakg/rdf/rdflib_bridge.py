"""Converting the embedded store to rdflib (the currency of pyshacl, owlrl and rdflib users)."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
import rdflib

from iakg.rdf.namespaces import PREFIXES


def _term(term, normalize: bool | None = None):
    """The rdflib term; ``normalize=False`` keeps a literal's lexical form (rdflib makes ``"1"^^xsd:boolean``
    ``"true"`` by default)."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value), normalize=normalize)


def to_rdflib(store: ox.Store, exclude_graphs: Iterable[str] = (),
              include_graphs: Iterable[str] | None = None) -> rdflib.Graph:
    """The triples of ``store`` (the union of its graphs, or of ``include_graphs``, less ``exclude_graphs``)."""
    excluded = set(exclude_graphs)
    included = None if include_graphs is None else set(include_graphs)
    graph = rdflib.Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    for quad in store:
        name = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else None
        if name in excluded or (included is not None and name not in included):
            continue
        graph.add((_term(quad.subject), _term(quad.predicate), _term(quad.object)))
    return graph


def quads_to_rdflib(quads: Iterable[ox.Quad]) -> rdflib.Graph:
    """The triples of ``quads`` (their graphs merged), literals as written (neither a store nor rdflib made
    them canonical)."""
    graph = rdflib.Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    for quad in quads:
        graph.add((_term(quad.subject), _term(quad.predicate), _term(quad.object, normalize=False)))
    return graph


def add_to_store(store: ox.Store, triples: Iterable, graph: str) -> int:
    """Add rdflib triples to a named graph of ``store``; return how many were added."""
    target = ox.NamedNode(graph)
    count = 0
    quads = []
    for s, p, o in triples:
        quads.append(ox.Quad(_ox(s), _ox(p), _ox(o), target))
        count += 1
    store.extend(quads)
    return count


def _ox(term):
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))
