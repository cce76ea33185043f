"""Converting the embedded store to rdflib (the currency of pyshacl, owlrl and rdflib users)."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from iakg.rdf.namespaces import GRAPH_CATALOGUE, GRAPH_INFERRED, GRAPH_LISTING, PREFIXES


def _term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, normalize: bool | None = None
          ) -> rdflib.URIRef | rdflib.BNode | rdflib.Literal:
    """The rdflib term; ``normalize=False`` keeps a literal's lexical form (rdflib makes ``"1"^^xsd:boolean``
    ``"true"`` by default)."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Triple):
        raise ValueError(f"an RDF 1.2 triple term has no rdflib form here: {term}")
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


def asserted_graph(store: ox.Store) -> rdflib.Graph:
    """The asserted ontology and data of a loaded dataset as an rdflib Graph: no inferred triples, no query
    catalogue, no listing index (``asserted_graph(iakg.load().store())``)."""
    return to_rdflib(store, exclude_graphs=(GRAPH_INFERRED, GRAPH_CATALOGUE, GRAPH_LISTING))


def quads_to_rdflib(quads: Iterable[ox.Quad]) -> rdflib.Graph:
    """The triples of ``quads`` (their graphs merged), literals as written (neither a store nor rdflib made
    them canonical)."""
    graph = rdflib.Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    for quad in quads:
        graph.add((_term(quad.subject), _term(quad.predicate), _term(quad.object, normalize=False)))
    return graph


def add_to_store(store: ox.Store, triples: Iterable[tuple[Node, Node, Node]], graph: str) -> int:
    """Add rdflib triples to a named graph of ``store``; return how many were added."""
    target = ox.NamedNode(graph)
    count = 0
    quads = []
    for s, p, o in triples:
        subject, predicate = _ox(s), _ox(p)
        if isinstance(subject, ox.Literal) or not isinstance(predicate, ox.NamedNode):
            raise ValueError(f"not an RDF triple: {s!r} {p!r} {o!r}")
        quads.append(ox.Quad(subject, predicate, _ox(o), target))
        count += 1
    store.extend(quads)
    return count


def _ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if not isinstance(term, rdflib.Literal):
        raise ValueError(f"no pyoxigraph term for {term!r}")
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))
