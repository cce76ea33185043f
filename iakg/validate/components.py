"""The SHACL Core constraint components (SHACL section 4) as SPARQL: for one shape, the queries whose
solutions are its validation results. Each value-node constraint is a boolean of one query; counts are a
GROUP BY; the few that need it have a query of their own."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, RDFS, SH, XSD

from iakg.rdf.namespaces import curie
from iakg.validate.shapes import ShapesView, Uncompiled, instances, iri, n3, rdf_list

#: each compiled constraint parameter and its constraint component
COMPONENTS = {
    SH.minCount: SH.MinCountConstraintComponent, SH.maxCount: SH.MaxCountConstraintComponent,
    SH["class"]: SH.ClassConstraintComponent, SH.datatype: SH.DatatypeConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent, SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent, SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.maxExclusive: SH.MaxExclusiveConstraintComponent, SH.minLength: SH.MinLengthConstraintComponent,
    SH.maxLength: SH.MaxLengthConstraintComponent, SH.pattern: SH.PatternConstraintComponent,
    SH.languageIn: SH.LanguageInConstraintComponent, SH.uniqueLang: SH.UniqueLangConstraintComponent,
    SH["in"]: SH.InConstraintComponent, SH.hasValue: SH.HasValueConstraintComponent,
    SH.lessThan: SH.LessThanConstraintComponent, SH.lessThanOrEquals: SH.LessThanOrEqualsConstraintComponent,
    SH.equals: SH.EqualsConstraintComponent, SH.disjoint: SH.DisjointConstraintComponent}
#: the compiled constraint parameters (sh:flags belongs to sh:pattern)
COMPILED = set(COMPONENTS) | {SH.flags}

#: XSD types whose lexical form the engine checks by casting (an ill-typed literal fails sh:datatype)
_CASTABLE = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.boolean, XSD.date, XSD.dateTime, XSD.time}
#: datatypes whose sh:datatype is exactly "the literal has this datatype" (no lexical space to check)
_UNCHECKED = {XSD.string, RDF.langString, XSD.anyURI}
_NODE_KINDS = {
    SH.IRI: "isIRI(?v)", SH.BlankNode: "isBlank(?v)", SH.Literal: "isLiteral(?v)",
    SH.BlankNodeOrIRI: "(isBlank(?v) || isIRI(?v))", SH.BlankNodeOrLiteral: "(isBlank(?v) || isLiteral(?v))",
    SH.IRIOrLiteral: "(isIRI(?v) || isLiteral(?v))"}
#: property-pair comparisons: a result for each pair of a value node and a value ?o of the other property
#: that fails the test (SHACL: "for each pair"), and the wording
_ORDER = {SH.lessThan: ("!COALESCE(?v < ?o, false)", "is not less than"),
          SH.lessThanOrEquals: ("!COALESCE(?v <= ?o, false)", "is not less than or equal to")}
_COMPARE = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}
_TRUE = rdflib.Literal(True)


def count(term) -> int:
    """A non-negative integer parameter (sh:minCount, sh:minLength...)."""
    if not isinstance(term, rdflib.Literal) or term.datatype != XSD.integer or not isinstance(term.value, int) \
            or term.value < 0:
        raise Uncompiled(f"{term!r} is not a non-negative xsd:integer")
    return term.value


@dataclass(frozen=True)
class Flag:
    """One constraint a query checks: the boolean variable true where it fails, whether its results name a
    value node, the default message, the constraint component."""

    var: str
    has_value: bool
    message: str
    component: rdflib.URIRef




def queries(shapes: ShapesView, node, targets: str, step: str, subclasses: dict[str, set[str]],
             class_paths: bool) -> Iterator[tuple[str, tuple[Flag, ...]]]:
    """The queries of one shape: its value-node conditions in one query, its counts in another, and the
    few constraints that need a query of their own."""
    conditions = list(_value_conditions(shapes, node, subclasses, class_paths))
    if conditions:
        flags = tuple(Flag(f"f{i}", True, default, component)
                      for i, (_, default, component) in enumerate(conditions))
        binds = " ".join(f"BIND(COALESCE({condition}, false) AS ?f{i})"
                         for i, (condition, _, _) in enumerate(conditions))
        test = " || ".join(f"?f{i}" for i in range(len(conditions)))
        yield f"SELECT DISTINCT ?this ?v {' '.join('?' + f.var for f in flags)} WHERE {{ {targets} {step} " \
              f"{binds} FILTER({test}) }}", flags
    low = [count(c) for c in shapes.objects(node, SH.minCount)]
    high = [count(c) for c in shapes.objects(node, SH.maxCount)]
    counts = [(f"COUNT(DISTINCT ?v) < {n}", f"Less than {n} values", SH.MinCountConstraintComponent)
              for n in low if n > 0]
    counts += [(f"COUNT(DISTINCT ?v) > {n}", f"More than {n} values", SH.MaxCountConstraintComponent) for n in high]
    if counts:
        flags = tuple(Flag(f"n{i}", False, default, component) for i, (_, default, component) in enumerate(counts))
        selected = " ".join(f"({test} AS ?n{i})" for i, (test, _, _) in enumerate(counts))
        values = f"OPTIONAL {{ {step} }}" if any(n > 0 for n in low) else step
        yield f"SELECT ?this {selected} WHERE {{ {targets} {values} }} GROUP BY ?this " \
              f"HAVING ({' || '.join(test for test, _, _ in counts)})", flags
    unique = shapes.value(node, SH.uniqueLang)
    if unique is not None and (not isinstance(unique, rdflib.Literal) or unique.datatype != XSD.boolean):
        raise Uncompiled("sh:uniqueLang is a boolean")
    if unique is not None and str(unique) == "true":  # SHACL names the term true ("1" is not it)
        yield f"SELECT ?this (true AS ?u) WHERE {{ {targets} {step} FILTER(lang(?v) != \"\") }} " \
              "GROUP BY ?this (LCASE(lang(?v))) HAVING (COUNT(DISTINCT ?v) > 1)", \
              (Flag("u", False, "More than one value shares a language", SH.UniqueLangConstraintComponent),)
    for value in shapes.objects(node, SH.hasValue):
        yield f"SELECT DISTINCT ?this (true AS ?h) WHERE {{ {targets} FILTER NOT EXISTS {{ {step} " \
              f"FILTER(sameTerm(?v, {n3(value)})) }} }}", \
              (Flag("h", False, f"Missing the value {value}", SH.HasValueConstraintComponent),)
    for parameter, (test, wording) in _ORDER.items():  # one solution per failing pair (?v, ?o)
        for other in shapes.objects(node, parameter):
            yield f"SELECT DISTINCT ?this ?v ?o (true AS ?p) WHERE {{ {targets} {step} . ?this {iri(other)} ?o " \
                  f"FILTER({test}) }}", (Flag("p", True, f"Value {wording} {curie(str(other))}",
                                               COMPONENTS[parameter]),)
    for other in shapes.objects(node, SH.equals):  # each way: a value missing from the other side
        flag = (Flag("e", True, f"Not the same values as {curie(str(other))}", SH.EqualsConstraintComponent),)
        yield f"SELECT DISTINCT ?this ?v (true AS ?e) WHERE {{ {targets} {step} " \
              f"FILTER NOT EXISTS {{ ?this {iri(other)} ?o FILTER(sameTerm(?v, ?o)) }} }}", flag
        yield f"SELECT DISTINCT ?this ?v (true AS ?e) WHERE {{ {targets} ?this {iri(other)} ?v " \
              f"FILTER NOT EXISTS {{ {step.replace('?v', '?o')} FILTER(sameTerm(?v, ?o)) }} }}", flag


def _value_conditions(shapes: ShapesView, node, subclasses: dict[str, set[str]], class_paths: bool
                      ) -> Iterator[tuple[str, str, rdflib.URIRef]]:
    """(condition true where the value node ``?v`` fails, default message, component) of each value
    constraint."""
    for cls in shapes.objects(node, SH["class"]):
        yield f"NOT EXISTS {{ {instances('?v', cls, subclasses, class_paths)} }}", \
            f"Value is not an instance of {curie(str(cls))}", SH.ClassConstraintComponent
    for datatype in shapes.objects(node, SH.datatype):
        yield _datatype_fails(datatype), f"Value is not of datatype {curie(str(datatype))}", \
            SH.DatatypeConstraintComponent
    for kind in shapes.objects(node, SH.nodeKind):
        if kind not in _NODE_KINDS:
            raise Uncompiled(f"unknown sh:nodeKind {kind}")
        yield f"!{_NODE_KINDS[rdflib.URIRef(str(kind))]}", f"Value is not of node kind {curie(str(kind))}", \
            SH.NodeKindConstraintComponent
    for parameter, operator in _COMPARE.items():
        for bound in shapes.objects(node, parameter):
            if not isinstance(bound, rdflib.Literal):
                raise Uncompiled(f"{parameter} is a literal")
            yield f"!COALESCE(?v {operator} {n3(bound)}, false)", f"Value is not {operator} {bound}", \
                COMPONENTS[parameter]
    for length in shapes.objects(node, SH.minLength):
        yield f"isBlank(?v) || STRLEN(STR(?v)) < {count(length)}", f"Value shorter than {length}", \
            SH.MinLengthConstraintComponent
    for length in shapes.objects(node, SH.maxLength):
        yield f"isBlank(?v) || STRLEN(STR(?v)) > {count(length)}", f"Value longer than {length}", \
            SH.MaxLengthConstraintComponent
    flags = shapes.value(node, SH.flags)
    if flags is not None and (shapes.value(node, SH.pattern) is None or not _plain(flags)):
        raise Uncompiled("sh:flags is a string beside sh:pattern")
    for pattern in shapes.objects(node, SH.pattern):
        if not _plain(pattern):
            raise Uncompiled("sh:pattern is a string")
        arguments = n3(rdflib.Literal(str(pattern)))
        arguments += f", {n3(rdflib.Literal(str(flags)))}" if flags is not None else ""
        if not _engine_regex(arguments):
            raise Uncompiled(f"the engine cannot run the regular expression {pattern}")
        regex = f"REGEX(STR(?v), {arguments})"
        yield f"isBlank(?v) || !COALESCE({regex}, false)", f"Value does not match {pattern}", \
            SH.PatternConstraintComponent
    for head in shapes.objects(node, SH.languageIn):
        tags = rdf_list(shapes, head)
        if not all(_plain(t) for t in tags):
            raise Uncompiled("sh:languageIn lists strings")
        tests = [f"langMatches(lang(?v), {n3(rdflib.Literal(str(tag)))})" for tag in tags]
        yield f"!isLiteral(?v) || !({' || '.join(tests) or 'false'})", "Language not allowed", \
            SH.LanguageInConstraintComponent
    for head in shapes.objects(node, SH["in"]):
        members = rdf_list(shapes, head)
        test = " || ".join(f"sameTerm(?v, {n3(m)})" for m in members) or "false"
        yield f"!({test})", "Value is not in the allowed list", SH.InConstraintComponent
    for other in shapes.objects(node, SH.disjoint):
        yield f"EXISTS {{ ?this {iri(other)} ?o . FILTER(sameTerm(?v, ?o)) }}", \
            f"Value is also a value of {curie(str(other))}", SH.DisjointConstraintComponent


@functools.lru_cache(maxsize=256)
def _engine_regex(arguments: str) -> bool:
    """Whether the engine accepts a pattern and its flags (an invalid one, or a look-behind its regex
    library lacks, would fail every value silently: such a shape goes to pyshacl)."""
    answer = _SCRATCH.query(f'SELECT (COALESCE(REGEX("", {arguments}), "error") AS ?r) {{}}')
    assert isinstance(answer, ox.QuerySolutions)
    return next(iter(answer))["r"] != ox.Literal("error")


_SCRATCH = ox.Store()


def _plain(term) -> bool:
    """A string literal (simple or xsd:string), as sh:pattern, sh:flags and language tags are."""
    return isinstance(term, rdflib.Literal) and term.language is None and term.datatype in (None, XSD.string)


def _datatype_fails(datatype) -> str:
    """The condition true where ``?v`` is not a literal of ``datatype`` (well-formed, where it can tell)."""
    if not isinstance(datatype, rdflib.URIRef):
        raise Uncompiled("sh:datatype is an IRI")
    wrong = f"!isLiteral(?v) || datatype(?v) != {n3(datatype)}"
    if datatype in _CASTABLE:  # a well-formed lexical form casts to its own type
        return wrong + f" || !COALESCE(isLiteral({n3(datatype)}(?v)), false)"
    if datatype in _UNCHECKED or not str(datatype).startswith((str(XSD), str(RDF), str(RDFS))):
        return wrong
    raise Uncompiled(f"sh:datatype {datatype}: its lexical space is not checked here")
