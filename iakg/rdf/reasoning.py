"""OWL RL / RDFS inference with owlrl; inferred triples go to their own named graph, apart from asserted ones."""

from __future__ import annotations

import pyoxigraph as ox

from iakg.rdf.namespaces import GRAPH_CATALOGUE, GRAPH_INFERRED


def materialise(store: ox.Store, profile: str = "owlrl") -> int:
    """Compute the closure of the asserted triples and store only the new ones in the inferred graph."""
    import owlrl
    import rdflib

    from iakg.rdf.rdflib_bridge import add_to_store, to_rdflib

    closure = to_rdflib(store, exclude_graphs=(GRAPH_INFERRED, GRAPH_CATALOGUE))
    asserted = set(closure)
    semantics = owlrl.OWLRL_Semantics if profile == "owlrl" else owlrl.RDFS_Semantics
    owlrl.DeductiveClosure(semantics, axiomatic_triples=False, datatype_axioms=False).expand(closure)
    # owlrl works on generalised RDF; only valid RDF triples (IRI/blank subject, IRI predicate) are kept.
    inferred = (t for t in closure if t not in asserted
                and not isinstance(t[0], rdflib.Literal) and isinstance(t[1], rdflib.URIRef))
    return add_to_store(store, inferred, GRAPH_INFERRED)
