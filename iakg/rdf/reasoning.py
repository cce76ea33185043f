"""OWL RL inference inside the engine: a fixed set of SPARQL rules iterated to a fixpoint in pyoxigraph.

The rules are the OWL 2 RL rules (W3C OWL 2 Profiles, section 4.3) that fire on the axioms an ontology
of this project may use (``RULES``; ``AXIOMS`` names those axioms). The inferred triples go to their own
named graph, apart from asserted ones.

What is computed, exactly: the OWL RL closure (as owlrl computes it, without axiomatic and datatype
triples) less the *trivial* triples that every OWL RL closure holds whatever the data (``TRIVIAL``):
reflexive ``owl:sameAs``/``rdfs:subClassOf``/``owl:equivalentClass``/``rdfs:subPropertyOf``/
``owl:equivalentProperty`` statements, anything about ``owl:Thing``/``owl:Nothing``, and statements about
the built-in vocabularies (XSD datatypes, RDF/RDFS/OWL terms). ``tests/test_reasoning.py`` checks equality
with owlrl on that part, on the shipped graph and the test fixtures, and that the ontology uses no axiom
outside ``AXIOMS`` (class expressions, equality, keys, property chains, ... would need more rules).
"""

from __future__ import annotations

import time

import pyoxigraph as ox

from iakg.errors import ReasoningError
from iakg.rdf.namespaces import GRAPH_CATALOGUE, GRAPH_INFERRED, GRAPH_LISTING

#: seconds the closure may take before it is stopped (``iakg --reason-timeout`` sets it; None: no bound)
TIMEOUT_S: float | None = 120.0

_PREFIXES = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
             "owl": "http://www.w3.org/2002/07/owl#"}

#: the OWL vocabulary the rules understand: schema axioms an ontology may state
AXIOMS = ("rdfs:subClassOf", "rdfs:subPropertyOf", "rdfs:domain", "rdfs:range", "owl:equivalentClass",
          "owl:equivalentProperty", "owl:inverseOf", "owl:TransitiveProperty", "owl:SymmetricProperty")

#: OWL 2 RL rule name -> (template, pattern): ``INSERT { template } WHERE { pattern }`` over the asserted and
#: inferred triples. Three strata, each run to its fixpoint in turn: schema, property assertions, typing.
SCHEMA = {  # schema vocabulary (table 9)
    "scm-sco": ("?a rdfs:subClassOf ?c", "?a rdfs:subClassOf ?b . ?b rdfs:subClassOf ?c"),
    "scm-spo": ("?a rdfs:subPropertyOf ?c", "?a rdfs:subPropertyOf ?b . ?b rdfs:subPropertyOf ?c"),
    "scm-eqc1": ("?a rdfs:subClassOf ?b . ?b rdfs:subClassOf ?a", "?a owl:equivalentClass ?b"),
    "scm-eqc2": ("?a owl:equivalentClass ?b", "?a rdfs:subClassOf ?b . ?b rdfs:subClassOf ?a"),
    "scm-eqp1": ("?a rdfs:subPropertyOf ?b . ?b rdfs:subPropertyOf ?a", "?a owl:equivalentProperty ?b"),
    "scm-eqp2": ("?a owl:equivalentProperty ?b", "?a rdfs:subPropertyOf ?b . ?b rdfs:subPropertyOf ?a"),
    "scm-dom1": ("?p rdfs:domain ?d", "?p rdfs:domain ?c . ?c rdfs:subClassOf ?d"),
    "scm-dom2": ("?p rdfs:domain ?c", "?p rdfs:subPropertyOf ?q . ?q rdfs:domain ?c"),
    "scm-rng1": ("?p rdfs:range ?d", "?p rdfs:range ?c . ?c rdfs:subClassOf ?d"),
    "scm-rng2": ("?p rdfs:range ?c", "?p rdfs:subPropertyOf ?q . ?q rdfs:range ?c"),
}
PROPERTIES = {  # property assertions (table 5); prp-eqp1/2 follow from scm-eqp1 and prp-spo1
    "prp-spo1": ("?x ?q ?y", "?p rdfs:subPropertyOf ?q . ?x ?p ?y FILTER(isIRI(?q))"),
    "prp-symp": ("?y ?p ?x", "?p a owl:SymmetricProperty . ?x ?p ?y FILTER(!isLiteral(?y))"),
    "prp-trp": ("?x ?p ?z", "?p a owl:TransitiveProperty . ?x ?p ?y . ?y ?p ?z"),
    "prp-inv": ("?y ?q ?x", "{ ?p owl:inverseOf ?q } UNION { ?q owl:inverseOf ?p } ?x ?p ?y "
                            "FILTER(!isLiteral(?y) && isIRI(?q))"),
}
TYPING = {  # rdf:type statements (tables 5 and 7); cax-eqc1/2 follow from scm-eqc1 and cax-sco
    "prp-dom": ("?x a ?c", "SELECT DISTINCT ?x ?c { ?p rdfs:domain ?c . ?x ?p ?y }"),
    "prp-rng": ("?y a ?c", "SELECT DISTINCT ?y ?c { ?p rdfs:range ?c . ?x ?p ?y FILTER(!isLiteral(?y)) }"),
    "cax-sco": ("?x a ?d", "SELECT DISTINCT ?x ?d { ?c rdfs:subClassOf ?d . ?x a ?c }"),
}
RULES = {**SCHEMA, **PROPERTIES, **TYPING}

#: true when a rule of an earlier stratum could read what a later one writes (only if built-in vocabulary
#: is itself given a domain, a super-property, ...): then every rule runs until nothing new comes
_ENTANGLED = """ASK {
  { ?v rdfs:subPropertyOf|rdfs:domain|rdfs:range|owl:inverseOf|owl:equivalentProperty ?o }
  UNION { ?o rdfs:subPropertyOf|owl:inverseOf|owl:equivalentProperty ?v }
  UNION { ?v a owl:SymmetricProperty } UNION { ?v a owl:TransitiveProperty }
  FILTER(isIRI(?v) && (STRSTARTS(STR(?v), STR(rdf:)) || STRSTARTS(STR(?v), STR(rdfs:))
                       || STRSTARTS(STR(?v), STR(owl:))))
}"""

#: the triples left out of the closure: true in every OWL RL closure, whatever the data (a SPARQL filter)
TRIVIAL = """(
  (?s = ?o && ?p IN (owl:sameAs, rdfs:subClassOf, owl:equivalentClass, rdfs:subPropertyOf, owl:equivalentProperty))
  || ?s IN (owl:Thing, owl:Nothing) || ?o IN (owl:Thing, owl:Nothing)
  || (isIRI(?s) && (STRSTARTS(STR(?s), STR(xsd:)) || STRSTARTS(STR(?s), STR(rdf:))
                    || STRSTARTS(STR(?s), STR(rdfs:)) || STRSTARTS(STR(?s), STR(owl:))))
)"""

_PREFIX_TEXT = "".join(f"PREFIX {k}: <{v}>\n" for k, v in {**_PREFIXES,
                                                            "xsd": "http://www.w3.org/2001/XMLSchema#"}.items())
_DEFAULT = "urn:iakg:reasoning:default-graph"  #: where triples of the default graph wait while rules run


def materialise(store: ox.Store, exclude_graphs: tuple[str, ...] = (GRAPH_CATALOGUE, GRAPH_LISTING),
                timeout_s: float | None = None) -> int:
    """Compute the closure of the triples of ``store`` (less ``exclude_graphs``) inside the engine and keep
    the non-trivial new ones in the inferred graph; return how many that graph holds.

    Each rule is a SPARQL CONSTRUCT reading the asserted graphs and the inferred graph merged (``FROM``); its
    triples stream back and are added to the inferred graph. Streaming lets the work be bounded: past
    ``timeout_s`` (default ``TIMEOUT_S``) seconds it stops with ``ReasoningError`` and the inferred graph is
    emptied (a long transitive or ``owl:sameAs`` chain has a closure quadratic in its length).
    """
    inferred = ox.NamedNode(GRAPH_INFERRED)
    limit = TIMEOUT_S if timeout_s is None else timeout_s
    deadline = None if limit is None else time.monotonic() + limit

    def check() -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise ReasoningError(f"the OWL RL closure ran past {limit:g} s and was stopped (a long "
                                 "owl:TransitiveProperty or owl:sameAs chain?); nothing was kept: raise "
                                 "--reason-timeout or leave out --reason")

    moved = any(True for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    if moved:  # USING names graphs only: park the default graph's triples in a named one meanwhile
        store.update(f"ADD DEFAULT TO <{_DEFAULT}>")
    graphs = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    graphs -= {*exclude_graphs, GRAPH_INFERRED}
    source = "".join(f"FROM <{g}>\n" for g in sorted(graphs | {GRAPH_INFERRED}))
    try:
        def run(rules: dict[str, tuple[str, str]], once: bool = False) -> None:
            texts = [f"{_PREFIX_TEXT}CONSTRUCT {{ {t} }}\n{source}WHERE {{ {w} }}" for t, w in rules.values()]
            size, previous = len(store), -1
            while size != previous:  # naive evaluation: every rule on the whole graph until nothing new
                for text in texts:
                    found = []
                    for count, triple in enumerate(store.query(text), 1):  # type: ignore[arg-type]
                        found.append(ox.Quad(triple.subject, triple.predicate, triple.object, inferred))
                        if count % 1024 == 0:
                            check()
                    check()
                    store.extend(found)
                if once:
                    return
                previous, size = size, len(store)

        entangled = bool(store.query(_PREFIX_TEXT + _ENTANGLED.replace("ASK {", f"ASK {source} {{", 1)))
        if entangled:
            run(RULES)
        else:  # typing reads properties and the (closed) schema but writes rdf:type alone: one pass will do
            run(SCHEMA)
            run(PROPERTIES)
            run(TYPING, once=True)
        # keep only what is new and not trivial
        asserted = " ".join(f"<{g}>" for g in sorted(graphs))
        store.update(f"{_PREFIX_TEXT}DELETE {{ GRAPH <{GRAPH_INFERRED}> {{ ?s ?p ?o }} }} WHERE {{ "
                     f"GRAPH <{GRAPH_INFERRED}> {{ ?s ?p ?o }} FILTER({TRIVIAL} || EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} "
                     f"VALUES ?g {{ {asserted} }} }}) }}")
    except ReasoningError:
        store.clear_graph(inferred)
        raise
    finally:
        if moved:
            store.update(f"MOVE <{_DEFAULT}> TO DEFAULT")
    return sum(1 for _ in store.quads_for_pattern(None, None, None, inferred))
