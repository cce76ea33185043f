"""SHACL-Core compiled to SPARQL and run in the store's own engine (Oxigraph).

Each constraint of a shape becomes one SELECT whose solutions are its validation results: the focus nodes
come from the shape's targets (``sh:targetClass`` with every subclass the data declares, ``sh:targetNode``),
the value nodes from its path (a predicate or an inverse predicate), and the constraint is a FILTER or a
GROUP BY / HAVING the engine evaluates over its indexes. Nothing is copied out of the store, so a graph of
millions of triples validates in seconds and in the store's memory (pyshacl on rdflib needed the whole
graph converted, and minutes).

The semantics are SHACL's (https://www.w3.org/TR/shacl/#core-components), checked against pyshacl by
``tests/test_shacl_differential.py`` on the shipped graph and every broken fixture: a value that cannot be
compared (``sh:minInclusive`` on a string) is a violation; ``sh:datatype`` also requires a well-formed
lexical form for the XSD types the engine can cast; counts are of distinct values (a triple asserted in
two graphs counts once).

What is not compiled here (logical constraints, ``sh:node``, qualified shapes, ``sh:closed``, complex
paths...) is left to pyshacl: :func:`compile_shapes` returns those shapes as a residual graph, so any valid
shapes graph still validates, only slower. Every IRI and literal put into a query text is serialised by
pyoxigraph (IRIs checked, literals escaped), never pasted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH, XSD

from iakg.rdf.namespaces import curie

#: the constraint parameters compiled here; a property or node shape with any other is left to pyshacl
COMPILED = {SH.minCount, SH.maxCount, SH["class"], SH.datatype, SH.nodeKind, SH.minInclusive, SH.maxInclusive,
            SH.minExclusive, SH.maxExclusive, SH.minLength, SH.maxLength, SH.pattern, SH.flags, SH.languageIn,
            SH.uniqueLang, SH["in"], SH.hasValue, SH.lessThan, SH.lessThanOrEquals, SH.equals, SH.disjoint}
#: what a shape may also carry without being a constraint
_DESCRIPTIVE = {RDF.type, SH.path, SH.message, SH.severity, SH.deactivated, SH.name, SH.description, SH.order,
                SH.group, SH.defaultValue, SH.targetClass, SH.targetNode, SH.property, SH.sparql,
                rdflib.RDFS.label, rdflib.RDFS.comment}
#: XSD types whose lexical form the engine checks by casting (an ill-typed literal fails sh:datatype)
_CASTABLE = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.boolean, XSD.date, XSD.dateTime, XSD.time}
_NODE_KINDS = {
    SH.IRI: "isIRI(?v)", SH.BlankNode: "isBlank(?v)", SH.Literal: "isLiteral(?v)",
    SH.BlankNodeOrIRI: "(isBlank(?v) || isIRI(?v))", SH.BlankNodeOrLiteral: "(isBlank(?v) || isLiteral(?v))",
    SH.IRIOrLiteral: "(isIRI(?v) || isLiteral(?v))"}
#: property-pair constraints: (quantifier over the other property's values ?o, failing test, wording)
_PAIRS = {SH.lessThan: ("EXISTS", "!COALESCE(?v < ?o, false)", "is not less than"),
          SH.lessThanOrEquals: ("EXISTS", "!COALESCE(?v <= ?o, false)", "is not less than or equal to"),
          SH.disjoint: ("EXISTS", "sameTerm(?v, ?o)", "is also a value of"),
          SH.equals: ("NOT EXISTS", "sameTerm(?v, ?o)", "is not a value of")}
_COMPARE = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}


@dataclass(frozen=True)
class Check:
    """One compiled query of a shape: each solution binds ``?this`` (the focus node), ``?v`` (the value node,
    when results name one) and, for each constraint it checks, a boolean variable true where that
    constraint fails (the query selects only solutions where one does). ``flags`` maps each such variable
    to (has value, default message)."""

    shape: str           # the node shape it belongs to (CURIE)
    path: str | None     # the result path: an IRI, ``^IRI`` for an inverse path, None on a node shape
    severity: str        # Violation, Warning, Info
    message: str         # the shape's sh:message ("" if none: each flag's default is used)
    query: str
    flags: tuple[tuple[str, bool, str], ...]


def _n3(term) -> str:
    """A shapes-graph term as SPARQL text, serialised by pyoxigraph (an IRI is checked, a literal escaped)."""
    if isinstance(term, rdflib.URIRef):
        return str(ox.NamedNode(str(term)))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return str(ox.Literal(str(term), language=term.language))
        if term.datatype is not None:
            return str(ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype))))
        return str(ox.Literal(str(term)))
    raise ValueError(f"cannot compile the shapes term {term!r}")


def _list(shapes: rdflib.Graph, head) -> list:
    return list(rdflib.collection.Collection(shapes, head)) if head is not None else []


def compile_shapes(shapes: rdflib.Graph, subclasses: dict[str, set[str]],
                   focus: set[str] | None = None) -> tuple[list[Check], rdflib.Graph]:
    """The compiled checks of ``shapes`` (class targets widened by ``subclasses``, or narrowed to the IRIs
    in ``focus``), and the residual shapes graph of the node shapes that could not be compiled (empty if
    all could)."""
    checks: list[Check] = []
    residual_shapes = []
    for shape in sorted(set(shapes.subjects(SH.targetClass, None)) | set(shapes.subjects(SH.targetNode, None)),
                        key=str):
        if shapes.value(shape, SH.deactivated) == rdflib.Literal(True):
            continue
        compiled = _compile_node_shape(shapes, shape, subclasses, focus)
        if compiled is None:
            residual_shapes.append(shape)
        else:
            checks.extend(compiled)
    residual = rdflib.Graph()
    if residual_shapes:  # pyshacl gets the whole shapes graph (sh:node may refer to any shape), without
        for triple in shapes:  # the targets of the compiled shapes, nor the SPARQL constraints (run apart)
            target_of_compiled = triple[0] not in residual_shapes and triple[1] in (SH.targetClass, SH.targetNode)
            if not target_of_compiled and triple[1] != SH.sparql:
                residual.add(triple)
    return checks, residual


Node = ox.NamedNode | ox.BlankNode | ox.Literal


def run(store: ox.Store, default: list, checks: list[Check]) -> Iterator[tuple[Check, str, Node, Node | None]]:
    """(check, message, focus node, value node or None) of every validation result of ``checks``."""
    true = ox.Literal("true", datatype=ox.NamedNode(str(XSD.boolean)))
    for check in checks:
        solutions = store.query(check.query, default_graph=default)
        assert isinstance(solutions, ox.QuerySolutions)
        for row in solutions:
            for name, has_value, default_message in check.flags:
                if row[name] == true:
                    yield check, check.message or default_message, row["this"], row["v"] if has_value else None


def target_pattern(shapes: rdflib.Graph, shape, subclasses: dict[str, set[str]], focus: set[str] | None) -> str:
    """The group pattern binding ``?this`` to the focus nodes of ``shape``."""
    parts = []
    classes = set()
    for cls in shapes.objects(shape, SH.targetClass):
        classes.add(str(cls))
        classes.update(subclasses.get(str(cls), set()))
    if classes:
        values = " ".join(str(ox.NamedNode(c)) for c in sorted(classes))
        parts.append(f"{{ VALUES ?target_class_ {{ {values} }} ?this a ?target_class_ }}")
    nodes = [n for n in shapes.objects(shape, SH.targetNode)]
    if nodes:
        parts.append(f"{{ VALUES ?this {{ {' '.join(_n3(n) for n in sorted(nodes, key=str))} }} }}")
    pattern = " UNION ".join(parts)
    if focus is not None:
        chosen = " ".join(str(ox.NamedNode(iri)) for iri in sorted(focus))
        pattern = f"VALUES ?this {{ {chosen} }} {pattern}"
    # each focus node once, however many of the target classes it has or graphs assert its type
    return f"{{ SELECT DISTINCT ?this WHERE {{ {pattern} }} }}"


def _compile_node_shape(shapes: rdflib.Graph, shape, subclasses: dict[str, set[str]],
                        focus: set[str] | None) -> list[Check] | None:
    """The checks of a node shape and its property shapes; None if any part is beyond what is compiled."""
    targets = target_pattern(shapes, shape, subclasses, focus)
    owner = curie(str(shape))
    checks = []
    parts = [(shape, None)] + [(prop, shapes.value(prop, SH.path)) for prop in shapes.objects(shape, SH.property)]
    for node, path in parts:
        if node is not shape and shapes.value(node, SH.deactivated) == rdflib.Literal(True):
            continue
        if any(p not in COMPILED and p not in _DESCRIPTIVE for p in shapes.predicates(node, None)):
            return None
        if node is not shape and not isinstance(path, rdflib.URIRef):
            inverse = shapes.value(path, SH.inversePath) if path is not None else None
            if not isinstance(inverse, rdflib.URIRef) or len(set(shapes.predicate_objects(path))) != 1:
                return None
            step, shown = f"?v {_n3(inverse)} ?this", f"^{inverse}"
        elif node is not shape:
            step, shown = f"?this {_n3(path)} ?v", str(path)
        else:
            step, shown = "BIND(?this AS ?v)", None
        severity = curie(str(shapes.value(node, SH.severity) or SH.Violation)).replace("sh:", "")
        message = str(shapes.value(node, SH.message) or shapes.value(shape, SH.message) or "")
        for query, flags in _queries(shapes, node, targets, step, subclasses):
            checks.append(Check(owner, shown, severity, message, query, flags))
    return checks


def _queries(shapes: rdflib.Graph, node, targets: str, step: str, subclasses: dict[str, set[str]]
             ) -> Iterator[tuple[str, tuple[tuple[str, bool, str], ...]]]:
    """The queries of one shape: its value-node conditions in one query, its counts in another, and the
    few constraints that need a query of their own."""
    conditions = list(_value_conditions(shapes, node, subclasses))
    if conditions:
        flags = tuple((f"f{i}", True, default) for i, (_, default) in enumerate(conditions))
        binds = " ".join(f"BIND(COALESCE({condition}, false) AS ?f{i})" for i, (condition, _) in enumerate(conditions))
        test = " || ".join(f"?f{i}" for i in range(len(conditions)))
        yield f"SELECT DISTINCT ?this ?v {' '.join('?' + f[0] for f in flags)} WHERE {{ {targets} {step} {binds} " \
              f"FILTER({test}) }}", flags
    low = [int(str(c)) for c in shapes.objects(node, SH.minCount)]
    high = [int(str(c)) for c in shapes.objects(node, SH.maxCount)]
    counts: list[tuple[str, str]] = [(f"COUNT(DISTINCT ?v) < {n}", f"Less than {n} values") for n in low if n > 0]
    counts += [(f"COUNT(DISTINCT ?v) > {n}", f"More than {n} values") for n in high]
    if counts:
        flags = tuple((f"n{i}", False, default) for i, (_, default) in enumerate(counts))
        selected = " ".join(f"({test} AS ?n{i})" for i, (test, _) in enumerate(counts))
        values = f"OPTIONAL {{ {step} }}" if any(n > 0 for n in low) else step
        yield f"SELECT ?this {selected} WHERE {{ {targets} {values} }} GROUP BY ?this " \
              f"HAVING ({' || '.join(test for test, _ in counts)})", flags
    if shapes.value(node, SH.uniqueLang) == rdflib.Literal(True):
        yield f"SELECT ?this (true AS ?u) WHERE {{ {targets} {step} FILTER(lang(?v) != \"\") }} " \
              "GROUP BY ?this (LCASE(lang(?v))) HAVING (COUNT(DISTINCT ?v) > 1)", \
              (("u", False, "More than one value shares a language"),)
    for value in shapes.objects(node, SH.hasValue):
        yield f"SELECT DISTINCT ?this (true AS ?h) WHERE {{ {targets} FILTER NOT EXISTS {{ {step} " \
              f"FILTER(sameTerm(?v, {_n3(value)})) }} }}", (("h", False, f"Missing the value {value}"),)
    for other in shapes.objects(node, SH.equals):  # values of the other property missing from this path
        yield f"SELECT DISTINCT ?this ?v (true AS ?e) WHERE {{ {targets} ?this {_n3(other)} ?v " \
              f"FILTER NOT EXISTS {{ {step.replace('?v', '?o')} FILTER(sameTerm(?v, ?o)) }} }}", \
              (("e", True, f"Missing a value of {curie(str(other))}"),)


def _value_conditions(shapes: rdflib.Graph, node, subclasses: dict[str, set[str]]) -> Iterator[tuple[str, str]]:
    """(condition true where the value node ``?v`` fails, default message) of each value constraint."""
    for cls in shapes.objects(node, SH["class"]):
        classes = " ".join(str(ox.NamedNode(c)) for c in sorted({str(cls)} | subclasses.get(str(cls), set())))
        yield f"NOT EXISTS {{ VALUES ?type {{ {classes} }} ?v a ?type }}", \
            f"Value is not an instance of {curie(str(cls))}"
    for datatype in shapes.objects(node, SH.datatype):
        wrong = f"!isLiteral(?v) || datatype(?v) != {_n3(datatype)}"
        if datatype in _CASTABLE:  # a well-formed lexical form casts to its own type
            wrong += f" || !COALESCE(isLiteral({_n3(datatype)}(?v)), false)"
        yield wrong, f"Value is not of datatype {curie(str(datatype))}"
    for kind in shapes.objects(node, SH.nodeKind):
        if kind not in _NODE_KINDS:
            raise ValueError(f"unknown sh:nodeKind {kind}")
        yield f"!{_NODE_KINDS[rdflib.URIRef(str(kind))]}", f"Value is not of node kind {curie(str(kind))}"
    for parameter, operator in _COMPARE.items():
        for bound in shapes.objects(node, parameter):
            yield f"!COALESCE(?v {operator} {_n3(bound)}, false)", f"Value is not {operator} {bound}"
    for length in shapes.objects(node, SH.minLength):
        yield f"isBlank(?v) || STRLEN(STR(?v)) < {int(str(length))}", f"Value shorter than {length}"
    for length in shapes.objects(node, SH.maxLength):
        yield f"isBlank(?v) || STRLEN(STR(?v)) > {int(str(length))}", f"Value longer than {length}"
    flags = shapes.value(node, SH.flags)
    for pattern in shapes.objects(node, SH.pattern):
        regex = f"REGEX(STR(?v), {_n3(rdflib.Literal(str(pattern)))}"
        regex += f", {_n3(rdflib.Literal(str(flags)))})" if flags is not None else ")"
        yield f"isBlank(?v) || !COALESCE({regex}, false)", f"Value does not match {pattern}"
    for head in shapes.objects(node, SH.languageIn):
        tags = [f"langMatches(lang(?v), {_n3(rdflib.Literal(str(tag)))})" for tag in _list(shapes, head)]
        yield f"!isLiteral(?v) || !({' || '.join(tags) or 'false'})", "Language not allowed"
    for head in shapes.objects(node, SH["in"]):
        members = " ".join(_n3(m) for m in _list(shapes, head))
        yield f"NOT EXISTS {{ VALUES ?member {{ {members} }} FILTER(sameTerm(?v, ?member)) }}", \
            "Value is not in the allowed list"
    for parameter, (quantifier, test, wording) in _PAIRS.items():  # compared with another property's values
        for other in shapes.objects(node, parameter):
            yield f"{quantifier} {{ ?this {_n3(other)} ?o . FILTER({test}) }}", f"Value {wording} {curie(str(other))}"
