"""SPARQL errors a person can act on: one line, the line and column of the text they wrote, plain words.

Two parsers read a query (see :mod:`iakg.rdf.sparql_text`). rdflib's grammar finds syntax errors with a good
position, but it accepts what SPARQL forbids after parsing: an undeclared prefix (it only resolves prefixes
later), or a variable selected beside an aggregate without being grouped (section 11.4). Oxigraph refuses
those, but its parser (rust-peg) reports the furthest place any alternative reached, with every token it
could have read there: an undeclared ``ex:x`` inside a FILTER came back as "error at 6:1 (past the end of a
5-line file): expected one of COALESCE, CONTAINS, ...", an undeclared ``rdfs:`` as five lines of Unicode
ranges, and a grouping error at the end of the query.

So :func:`check_tree` finds these on rdflib's parse tree, before the engine reads the text, and locates them
in the text with the grammar's terminals; and :func:`engine_error` makes what the engine still refuses one
line, at the user's own line and column (the engine may have read a prologue line or bound values the user
never wrote).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from iakg.errors import QueryError
from iakg.rdf.namespaces import PREFIXES
from iakg.rdf.sparql_text import located, offset, prefixed_names, select_keywords, variable

_SELECTS = ("SelectQuery", "SubSelect")
_PATTERNS = ("Builtin_EXISTS", "Builtin_NOTEXISTS", "SubSelect")  # a group inside an expression: not its level


def _name(node: Any) -> str:
    return str(getattr(node, "name", ""))


def _children(node: Any) -> Iterator[Any]:
    """The children of a parse tree node, in the order they are written."""
    if _name(node):  # a CompValue (an ordered dict of its named parts)
        yield from dict.values(node)
    elif isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
        yield from node


def _walk(node: Any, stop: tuple[str, ...] = ()) -> Iterator[Any]:
    """Every node under ``node`` (itself first), in the order they are written; not below a node named in
    ``stop`` (other than ``node`` itself)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is node or _name(current) not in stop:
            stack.extend(reversed(list(_children(current))))


def _aggregates(part: Any) -> bool:
    return part is not None and any(_name(n).startswith("Aggregate_") for n in _walk(part, _PATTERNS))


def _part(node: Any, key: str) -> Any:
    return dict.get(node, key)


def _grouped(node: Any) -> set[str]:
    """The variables a SELECT's GROUP BY names: ``?v``, ``(?v)`` or ``(expression AS ?v)``."""
    names: set[str] = set()
    clause = _part(node, "groupby")
    for condition in (_part(clause, "condition") or []) if clause is not None else []:
        if _name(condition) == "GroupAs" and _part(condition, "var") is not None:
            names.add(str(_part(condition, "var")))
            continue
        inner = _part(condition, "expr") if _name(condition) == "GroupAs" else condition
        while _name(inner) and list(dict.keys(inner)) == ["expr"]:  # (?v): an expression that is a variable
            inner = _part(inner, "expr")
        if type(inner).__name__ == "Variable":
            names.add(str(inner))
    return names


def _declaration(prefix: str) -> str:
    known = PREFIXES.get(prefix)
    return f"PREFIX {prefix}: <{known}>" if known else "PREFIX"


def check_tree(tree: Any, text: str) -> None:
    """Raise a located :class:`QueryError` for what rdflib parsed in ``text`` (a prepared text) but the
    engine refuses: an undeclared prefix; a SELECT with GROUP BY or an aggregate that selects ``*`` or a
    variable that is neither grouped nor aggregated."""
    declared = {str(_part(d, "prefix") or "") for d in tree[0] if _name(d) == "PrefixDecl"}
    used = {str(_part(n, "prefix") or "") for n in _walk(tree) if _name(n) == "pname"}
    if used - declared:
        for at, prefix in prefixed_names(text):
            if prefix not in declared:
                raise located(text, at, f"unknown prefix '{prefix}:'; declare it with {_declaration(prefix)}")
        missing = sorted(used - declared)[0]
        raise QueryError(f"invalid SPARQL: unknown prefix '{missing}:'; declare it with {_declaration(missing)}")
    keywords = select_keywords(text)
    selects = [n for n in _walk(tree) if _name(n) in _SELECTS]
    for index, node in enumerate(selects):
        if _part(node, "groupby") is None and not any(
                _aggregates(_part(node, key)) for key in ("projection", "having", "orderby")):
            continue
        keyword = keywords[index] if len(keywords) == len(selects) else None
        projection = _part(node, "projection")
        if not projection:
            message = "SELECT * cannot be used with GROUP BY or an aggregate; select the grouped variables and " \
                      "the aggregates by name"
            raise located(text, keyword, message) if keyword is not None else QueryError(f"invalid SPARQL: {message}")
        grouped = _grouped(node)
        for item in projection:
            name = _part(item, "var")
            if name is not None and _part(item, "expr") is None and str(name) not in grouped:
                message = (f"?{name} is selected but neither grouped nor aggregated; add GROUP BY ?{name}, or "
                           f"select an aggregate of it such as SAMPLE(?{name})")
                if keyword is None:
                    raise QueryError(f"invalid SPARQL: {message}")
                where = variable(text, str(name), keyword)
                raise located(text, keyword if where is None else where, message)


#: what the engine says after parsing, in a person's words (its other messages are the tokens it expected)
_SAID = {
    "The SELECT contains a variable that is unbound": "a selected variable is neither grouped nor aggregated; add "
                                                      "it to GROUP BY or select an aggregate of it",
    "The SELECT contains an expression with a variable that is unbound": "an expression in SELECT uses a "
        "variable that is neither grouped nor aggregated; group by it or aggregate it",
    "SELECT * is not authorized with GROUP BY": "SELECT * cannot be used with GROUP BY or an aggregate; select "
                                                "the grouped variables and the aggregates by name",
    "Duplicated variable name in SELECT": "a variable is selected twice",
    "The SELECT overrides an existing variable using an expression": "(... AS ?v) names a variable the query "
                                                                     "already binds; choose another name",
    "IRI parsing failed": "not a valid IRI",
}
_AT = re.compile(r"error at (\d+):(\d+): expected (?:one of )?(.*)", re.DOTALL)
_EXPECTED = re.compile(r"\[(?:'[^']*'|[^\]'])*\]|\"(?:[^\"\\]|\\.)*\"|[^,]+")


def engine_error(message: str, ran: str, text: str, to_text: Callable[[int], int] = lambda at: at) -> QueryError | None:
    """The one-line error for the engine's parse error ``message`` on ``ran``, located in ``text``, the text the
    user wrote (``to_text`` maps an offset of ``ran`` to one of ``text``); None if ``message`` is no parse error."""
    found = _AT.match(message.strip())
    if found is None:
        return None
    at = to_text(offset(ran, int(found.group(1)), int(found.group(2))))
    at = max(0, min(at, len(text.rstrip())))  # the furthest place tried may be past the last token
    expected = [e.strip() for e in _EXPECTED.findall(found.group(3)) if e.strip()]
    sentences = [e for e in expected if " " in e and not e.startswith(("[", '"'))]
    if "Prefix not found" in sentences:  # at the end of the prefixed name (check_tree finds these first)
        names = [(start, prefix) for start, prefix in prefixed_names(text) if start < at]
        if names:
            start, prefix = names[-1]
            return located(text, start, f"unknown prefix '{prefix}:'; declare it with {_declaration(prefix)}")
    for sentence in sentences:
        if sentence in _SAID:
            keywords = [k for k in select_keywords(text) if k <= at] if sentence.startswith(("The SELECT", "SELECT",
                                                                                            "Dupl")) else []
            return located(text, keywords[-1] if keywords else at, _SAID[sentence])
    if sentences:
        return located(text, at, sentences[0])
    tokens = [e for e in expected if not e.startswith("[") and e != "<unreported>"]
    shown = ", ".join(tokens[:6]) + (", ..." if len(tokens) > 6 else "")
    return located(text, at, "the query cannot be read here" + (f"; expected {shown}" if shown else ""))

