"""No surprise network access: a guard built on Python's audit hooks (PEP 578).

rdflib documents audit hooks as the way to control what it may open or fetch (e.g. an ``owl:imports``
or a remote JSON-LD ``@context``). Two scopes share one hook:

- in the library, :func:`offline` is active while iakg parses, queries its embedded store, validates and
  reasons (``load``, ``query`` on the embedded graph, ``validate``, patient files): any URL open or
  connection in that time is refused, and the host application is untouched outside those calls;
- the CLI runs its command inside :func:`forbid_network`, entered before it reads anything: in the whole
  process, the only hosts allowed are those the user named (``--endpoint``) and the loopback engine of
  ``iakg serve``; when the command returns, the guard is as it was (nothing outlives ``iakg.cli.main``).
"""

from __future__ import annotations

import contextvars
import re
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from iakg.errors import NetworkAccessError, QueryError

_allowed: set[str] = set()
_installed = False
_everywhere = False  # set inside forbid_network (the CLI's command): the guard holds outside offline() too
_offline = contextvars.ContextVar("kg_offline", default=False)




def _allow(url: str | None) -> None:
    """Let the guard through to the host of ``url`` (an endpoint the user named)."""
    if url:
        host = urllib.parse.urlsplit(url).hostname
        if host:
            _allowed.add(host.lower())
            try:  # connections are made to addresses: allow the ones this name resolves to
                import socket  # (only when a host is named)

                _allowed.update(str(info[4][0]).lower() for info in socket.getaddrinfo(host, None))
            except OSError:
                pass


@contextmanager
def forbid_network(allowed_urls: tuple[str, ...] = ()) -> Iterator[None]:
    """While the block runs, refuse every outgoing connection and URL open in the whole process (every thread),
    except to the hosts of ``allowed_urls``; after it, the guard is as it was before. (The audit hook itself
    stays once added, as audit hooks do; it lets everything through when no guard is on.)"""
    global _everywhere
    allowed, everywhere = set(_allowed), _everywhere
    for url in allowed_urls:
        _allow(url)
    _everywhere = True
    _install()
    try:
        yield
    finally:
        _allowed.clear()
        _allowed.update(allowed)
        _everywhere = everywhere


@contextmanager
def offline() -> Iterator[None]:
    """Within this block (this thread or task), refuse every URL open and connection, loopback included,
    unless :func:`forbid_network` allowed the host."""
    _install()
    token = _offline.set(True)
    try:
        yield
    finally:
        _offline.reset(token)


def _install() -> None:
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not (_everywhere or _offline.get()):
        return
    if event == "urllib.Request":
        host = urllib.parse.urlsplit(args[0]).hostname or ""
        if host.lower() not in _allowed:
            raise NetworkAccessError(f"refused to open {args[0][:200]}: iakg reads only the files it is given "
                                     "(an owl:imports, SERVICE or remote @context is never fetched)")
    elif event == "socket.connect":
        address = args[1]
        host = str(address[0]).lower() if isinstance(address, tuple) and address else ""
        if host and host not in _allowed and not _is_loopback_of_allowed(host):
            raise NetworkAccessError(f"refused to connect to {host}: not an endpoint you named")


def _is_loopback_of_allowed(host: str) -> bool:
    """``localhost`` names resolve to loopback addresses; allow those when a loopback host was named."""
    loopback = {"127.0.0.1", "::1", "localhost"}
    return host in loopback and bool(_allowed & loopback)


class RefusedQuery(QueryError):
    """A query this library will not run: an update, or federation (SERVICE). ``status`` is the HTTP status."""

    status = 403


_FEDERATION = {"ServiceGraphPattern"}


_VERDICTS: dict[str, str | QueryError] = {}
_PARSING = threading.Lock()
_MAX_VERDICTS = 4096


_DATASETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def dataset_of(query: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The FROM and FROM NAMED graph IRIs of a query that :func:`check_query` accepted."""
    return _DATASETS.get(query) or ((), ())


def trust(query: str, form: str) -> None:
    """Record ``query`` as checked with ``form``, without parsing it: for the shipped catalogue only, whose
    every query the test suite checks with :func:`_check` (tests/test_cold_start.py). The answering path
    then needs no SPARQL parser (rdflib) at all; a query without FROM/FROM NAMED only."""
    _VERDICTS.setdefault(query, form)


def cached_verdict(query: str) -> str | None:
    """The form of an already checked ``query`` (raising its refusal again), or None if not checked yet."""
    verdict = _VERDICTS.get(query)
    if isinstance(verdict, QueryError):
        raise verdict
    return verdict


_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def unescape(query: str) -> str:
    """``query`` with its codepoint escapes (``\\uXXXX``, ``\\UXXXXXXXX``) replaced by the characters they
    stand for, once, as SPARQL 1.1 (section 19.2) says is done before parsing.

    This is the text both the check and the engine must be given. rdflib's parser, which the check uses,
    expands the escapes of the whole text first, as the spec says; Oxigraph reads an escape inside a string
    token as a character of the string. Given the raw text they could see two different queries (a quote
    written ``\\u0022`` hid a SERVICE from the check). With the escapes processed here, neither parser has
    any left to read differently. A code point that is no character (a surrogate, NUL, past U+10FFFF) is
    refused, and so is an escape that writes another escape (``\\u005Cu0022``). This is lexical
    normalisation before parsing; what may run is still decided on the parse tree (:func:`_check`)."""
    if "\\u" not in query and "\\U" not in query:
        return query
    def character(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            raise QueryError(f"invalid SPARQL: {match.group(0)} is not a character")
        return chr(code)

    text = _ESCAPE.sub(character, query)
    if re.search(r"\\[uU][0-9A-Fa-f]{4}", text):
        raise QueryError("invalid SPARQL: a codepoint escape that writes another escape is refused")
    return text


def check_query(query: str) -> str:
    """See :func:`_check`; verdicts are remembered by query text (a bounded table). ``query`` must be the
    text the engine will run, escapes processed (:func:`unescape`): a text that still holds a codepoint
    escape is refused, so that no caller can check one text and run another."""
    verdict = _VERDICTS.get(query)
    if verdict is None:
        try:
            if unescape(query) != query:
                raise QueryError("invalid SPARQL: codepoint escapes must be processed (safety.unescape) "
                                 "before the check")
            with _PARSING:  # pyparsing's grammar objects are shared state: one parse at a time
                verdict = _check(query)
        except QueryError as exc:
            verdict = exc
        if len(_VERDICTS) >= _MAX_VERDICTS:
            _VERDICTS.clear()
            _DATASETS.clear()
        _VERDICTS[query] = verdict
    if isinstance(verdict, QueryError):
        raise verdict
    return verdict


def warm_up(query: str) -> None:
    """Parse ``query`` now (no verdict kept): the parser's grammar is built on its first use, which a server
    does while it starts rather than on its first client's query."""
    with _PARSING:
        _check(query)


def _check(query: str) -> str:
    """Parse ``query`` with a real SPARQL grammar (rdflib's parser) and refuse what must not run.

    Returns the query form (``select``, ``ask``, ``construct`` or ``describe``). Raises :class:`RefusedQuery`
    for SPARQL Update and for any SERVICE pattern, wherever it sits (sub-query, OPTIONAL, MINUS, EXISTS...),
    however it is written (case, escapes, comments): the parse tree is walked, the text is never scanned.
    Raises :class:`QueryError` when the text does not parse.
    """
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
    from rdflib.plugins.sparql.parserutils import CompValue

    try:
        tree = parseQuery(query)
    except ParseException as exc:
        try:
            parseUpdate(query)
        except ParseException:
            error = QueryError(f"invalid SPARQL: line {exc.lineno}, column {exc.column}: {exc.msg}")
            error.position = (exc.lineno, exc.column, str(exc.msg))  # for file:line:col messages (iakg query)
            raise error from None
        except Exception:
            pass
        raise RefusedQuery("SPARQL Update is refused: this graph is read-only") from None
    except Exception as exc:
        raise QueryError(f"invalid SPARQL: {exc}") from None

    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name in _FEDERATION:
                raise RefusedQuery("SERVICE is refused: iakg answers from its own graph and never fetches "
                                   "a remote one")
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
    body = tree[1]
    defaults, named = [], []
    clauses = dict.get(body, "datasetClause") if isinstance(body, dict) else None
    for clause in clauses or []:
        if dict.get(clause, "named") is not None:
            named.append(str(dict.get(clause, "named")))
        elif dict.get(clause, "default") is not None:
            defaults.append(str(dict.get(clause, "default")))
    _DATASETS[query] = (tuple(defaults), tuple(named))
    return {"SelectQuery": "select", "AskQuery": "ask", "ConstructQuery": "construct",
            "DescribeQuery": "describe"}.get(getattr(body, "name", ""), "select")
