"""Binding parameter values into a query as a VALUES block at the start of its WHERE group.

The block is built from RDF terms serialised by pyoxigraph (IRIs are checked, literals escaped), and
variable names are checked, so a value can never change the query's shape. The same text works in
process and at any SPARQL 1.1 endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pyoxigraph as ox

from iakg.errors import BindingError
from iakg.rdf.namespaces import XSD
from iakg.rdf.terms import IRI

_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.I)




def to_term(value: Any) -> ox.NamedNode | ox.Literal:
    """An RDF term for a Python value: IRI -> resource; bool/int/Decimal/float -> typed literal; str -> string."""
    try:
        if isinstance(value, IRI):
            return ox.NamedNode(value)
        if isinstance(value, bool):
            return ox.Literal("true" if value else "false", datatype=ox.NamedNode(XSD + "boolean"))
        if isinstance(value, int):
            return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
        if isinstance(value, Decimal):
            return ox.Literal(format(value, "f"), datatype=ox.NamedNode(XSD + "decimal"))
        if isinstance(value, float):
            return ox.Literal(repr(value), datatype=ox.NamedNode(XSD + "double"))
        if isinstance(value, str):
            return ox.Literal(value)
    except ValueError as exc:
        raise BindingError(f"cannot bind {str(value)[:80]!r}: {exc}") from None
    raise BindingError(f"cannot bind a {type(value).__name__} as a query parameter")


@lru_cache(maxsize=512)  # the catalogue's texts are constant: scan each once, not on every call
def _where_group_start(query: str) -> int:
    """Index just after the '{' that opens the query's WHERE group (skipping IRIs, strings, comments)."""
    form = None
    depth = 0
    groups_closed = 0
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c == "#":
            end = query.find("\n", i)
            i = n if end < 0 else end
            continue
        if c == "<" and re.match(r"<[^\s<>\"{}|^`\\]*>", query[i:]):
            i = query.index(">", i) + 1
            continue
        if c in "\"'":
            long_quote = query[i:i + 3] in ('"""', "'''")
            quote = query[i:i + 3] if long_quote else c
            j = i + len(quote)
            while j < n and not query.startswith(quote, j):
                j += 2 if query[j] == "\\" else 1
            i = j + len(quote)
            continue
        if form is None:
            match = _FORM.match(query, i)
            if match and (i == 0 or not (query[i - 1].isalnum() or query[i - 1] in "_:?$")):
                form = match.group(1).upper()
                i = match.end()
                continue
        if c == "{" and form is not None:
            if depth == 0:
                # CONSTRUCT's template comes first; its WHERE group is the next top-level one,
                # unless the short form CONSTRUCT WHERE { ... } is used.
                short_form = re.search(r"\bWHERE\s*$", query[:i], re.I) is not None
                if form != "CONSTRUCT" or groups_closed >= 1 or short_form:
                    return i + 1
            depth += 1
        elif c == "}" and form is not None:
            depth -= 1
            if depth == 0:
                groups_closed += 1
        i += 1
    raise BindingError("cannot bind parameters: the query has no WHERE group")


def _terms(value: Any) -> str:
    """One term, or the terms of a list, tuple or set (one row each: the query answers for each of them;
    none at all, for no row)."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return " ".join(sorted({str(to_term(v)) for v in value}))
    return str(to_term(value))


def bind_values(query: str, bindings: Mapping[str, Any] | None) -> str:
    """The query with ``bindings`` (variable -> value; None values skipped) joined in as a VALUES block; a
    list, tuple or set binds the variable to each of its values in turn."""
    items = [(k, v) for k, v in (bindings or {}).items() if v is not None]
    if not items:
        return query
    for name, _ in items:
        if not _VARIABLE.match(name):
            raise BindingError(f"{name[:80]!r} is not a variable name")
    # one single-variable block per parameter: the portable form (Virtuoso 7 rejects a multi-variable
    # block next to an OPTIONAL); the join of one-row blocks equals the one multi-variable row
    blocks = " ".join(f"VALUES ?{name} {{ {_terms(value)} }}" for name, value in items)
    at = _where_group_start(query)
    return f"{query[:at]} {blocks} {query[at:]}"


def written_offset(query: str, bound: str, at: int) -> int:
    """The offset in ``query`` of offset ``at`` of ``bound``, :func:`bind_values` of it: where the user's text
    is (a place inside the VALUES block it does not hold is the block's place)."""
    inserted = len(bound) - len(query)
    if not inserted:
        return at
    start = _where_group_start(query)
    return at if at <= start else max(start, at - inserted)


def join_group(query: str, group: str) -> str:
    """The query with ``group`` (a group graph pattern the caller built from terms serialised by pyoxigraph,
    never from user text) joined at the start of its WHERE group: how a SHACL-SPARQL constraint gets the
    focus nodes of its shape bound to ``$this`` inside the engine."""
    at = _where_group_start(query)
    return f"{query[:at]} {group} {query[at:]}"
