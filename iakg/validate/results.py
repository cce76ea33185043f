"""SHACL validation results as the W3C vocabulary states them (https://www.w3.org/TR/shacl/#results-validation-result):
the exact RDF terms of each result, whichever validator found it (the compiled queries or pyshacl), and the
forms they are shown in: a property path as SPARQL text, a result as JSON.

A path is kept as a small expression, hashable and independent of the graph it was read from: an IRI, or a
``(kind, operand)`` pair where kind is ``inverse``, ``zeroOrMore``, ``oneOrMore`` or ``zeroOrOne``, or
``sequence`` / ``alternative`` with a tuple of operands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rdflib
from rdflib.namespace import RDF, SH, XSD

from iakg.rdf.namespaces import curie

Term = rdflib.term.Node  #: an IRI, a blank node or a literal, as rdflib has them
Path = rdflib.URIRef | tuple

#: the unary path kinds: SHACL's predicate, and the SPARQL operator that writes it (prefix for ^, suffix else)
_UNARY = {"inverse": (SH.inversePath, "^"), "zeroOrMore": (SH.zeroOrMorePath, "*"),
          "oneOrMore": (SH.oneOrMorePath, "+"), "zeroOrOne": (SH.zeroOrOnePath, "?")}


@dataclass(frozen=True)
class Result:
    """One validation result: focus node, path (None on a node shape), value (None where the component
    reports none), the shape that produced it, its constraint component, severity and messages."""

    focus: Term
    path: Path | None
    value: Term | None
    source_shape: Term
    component: Term
    severity: Term
    messages: tuple[Term, ...] = ()


class PathError(ValueError):
    """A node that is not a well-formed SHACL property path."""


def read_path(graph: rdflib.Graph, node: Any, depth: int = 0) -> Path:
    """The path expression of ``node`` in ``graph`` (a shapes graph or a report); PathError if ill-formed."""
    if depth > 64:
        raise PathError("a property path nested more than 64 deep")
    if isinstance(node, rdflib.URIRef):
        return node
    if not isinstance(node, rdflib.BNode):
        raise PathError(f"{node!r} is not a property path")
    if graph.value(node, RDF.first) is not None:  # a list: a sequence path
        items = list(rdflib.collection.Collection(graph, node))
        if len(items) < 2:
            raise PathError("a sequence path needs at least two members")
        return "sequence", tuple(read_path(graph, i, depth + 1) for i in items)
    pairs = set(graph.predicate_objects(node))
    if len(pairs) != 1:
        raise PathError("a property path node has exactly one of sh:inversePath, sh:alternativePath, ...")
    [(predicate, operand)] = pairs
    if predicate == SH.alternativePath:
        items = list(rdflib.collection.Collection(graph, operand))
        if len(items) < 2:
            raise PathError("an alternative path needs at least two members")
        return "alternative", tuple(read_path(graph, i, depth + 1) for i in items)
    for kind, (shacl, _) in _UNARY.items():
        if predicate == shacl:
            return kind, read_path(graph, operand, depth + 1)
    raise PathError(f"{predicate} does not make a property path")


def path_text(path: Path, short: bool = False) -> str:
    """A path in SPARQL property-path syntax (``<p>``, ``^<p>``, ``<p>/<q>``, ``(<p>|<q>)*``); ``short``
    writes known IRIs as CURIEs (for people, not for parsing)."""
    if isinstance(path, rdflib.URIRef):
        return curie(str(path)) if short and curie(str(path)) != str(path) else f"<{path}>"
    kind, operand = path
    if kind == "sequence":
        return "/".join(_grouped(p, short) for p in operand)
    if kind == "alternative":
        return "|".join(_grouped(p, short) for p in operand)
    symbol = _UNARY[kind][1]
    return symbol + _grouped(operand, short) if kind == "inverse" else _grouped(operand, short) + symbol


def _grouped(path: Path, short: bool) -> str:
    text = path_text(path, short)
    return text if isinstance(path, rdflib.URIRef) or path[0] not in ("sequence", "alternative") else f"({text})"


def simple_path(path: Path | None) -> str | None:
    """The path as :class:`~iakg.validate.shacl.Violation` gives it: an IRI, ``^IRI`` for an inverse
    predicate, else its SPARQL text."""
    if path is None:
        return None
    if isinstance(path, rdflib.URIRef):
        return str(path)
    if path[0] == "inverse" and isinstance(path[1], rdflib.URIRef):
        return f"^{path[1]}"
    return path_text(path)


def add_path(graph: rdflib.Graph, path: Path) -> Any:
    """Write ``path`` into ``graph`` as SHACL states it (fresh blank nodes); the node that stands for it."""
    if isinstance(path, rdflib.URIRef):
        return path
    kind, operand = path
    node = rdflib.BNode()
    if kind in ("sequence", "alternative"):
        head = rdflib.BNode()
        rdflib.collection.Collection(graph, head, [add_path(graph, p) for p in operand])
        if kind == "sequence":
            return head
        graph.add((node, SH.alternativePath, head))
        return node
    graph.add((node, _UNARY[kind][0], add_path(graph, operand)))
    return node


def normal(term: Any) -> Any:
    """A term as RDF 1.1 has it: a literal typed xsd:string is the simple literal (rdflib keeps them apart)."""
    if isinstance(term, rdflib.Literal) and term.datatype == XSD.string and not term.language:
        return rdflib.Literal(str(term))
    return term


def term_json(term: Any) -> dict[str, str] | None:
    """A term in the form of SPARQL 1.1 JSON results (``type``, ``value``, ``datatype`` or ``xml:lang``)."""
    if term is None:
        return None
    if isinstance(term, rdflib.URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, rdflib.BNode):
        return {"type": "bnode", "value": str(term)}
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype is not None and term.datatype != XSD.string:
        out["datatype"] = str(term.datatype)
    return out


def result_json(result: Result, message: str) -> dict[str, Any]:
    """One result as the JSON of ``iakg validate --format json``: ``resultMessage`` is the message shown (the
    shape's own, else a default), ``shapeMessages`` every ``sh:message`` of the shape (each language)."""
    return {"focusNode": term_json(result.focus),
            "resultPath": None if result.path is None else path_text(result.path),
            "value": term_json(result.value), "sourceShape": term_json(result.source_shape),
            "sourceConstraintComponent": str(result.component), "resultSeverity": str(result.severity),
            "resultMessage": message, "shapeMessages": [term_json(m) for m in result.messages]}
