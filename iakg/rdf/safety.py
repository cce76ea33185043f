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
                import socket

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
_TRUSTED: dict[str, str] = {}  # a shipped query's text (as written) -> its form
_PREPARED: dict[str, str] = {}  # a query's text as given -> the text checked and run (see prepare)

#: relative IRIs in a query resolve against the dataset's base, never against an engine's own URL
BASE_IRI = "https://w3id.org/iakg/"


def dataset_of(query: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The FROM and FROM NAMED graph IRIs of a query that :func:`check_query` accepted."""
    return _DATASETS.get(query) or ((), ())


def trust(query: str, form: str) -> None:
    """Record ``query`` as checked with ``form``, without parsing it: for the shipped catalogue only, whose
    every query the test suite checks with :func:`_check` (tests/test_cold_start.py). The answering path
    then needs no SPARQL parser (rdflib) at all; a query without FROM/FROM NAMED only. The verdict holds for
    the prepared text (:func:`prepare`), which is what runs."""
    _TRUSTED.setdefault(query, form)
    prepared = _PREPARED.get(query)
    if prepared is not None:
        _VERDICTS.setdefault(prepared, form)


def prepare(query: str) -> str:
    """The one text that is checked and run for ``query``: :func:`iakg.rdf.sparql_text.normalise` of it
    (escapes processed, comments removed, line ends and strings written one way; QueryError for what two
    parsers could read differently). Remembered by text; a shipped query's verdict follows it."""
    prepared = _PREPARED.get(query)
    if prepared is None:
        from iakg.rdf.sparql_text import normalise

        prepared = normalise(query)
        if len(_PREPARED) >= _MAX_VERDICTS:
            _PREPARED.clear()
        _PREPARED[query] = prepared
        form = _TRUSTED.get(query)
        if form is not None:
            _VERDICTS.setdefault(prepared, form)
    return prepared


def unescape(query: str) -> str:
    """``query`` with its codepoint escapes processed once (:func:`prepare` does this and more)."""
    from iakg.rdf.sparql_text import unescape as processed

    return processed(query)


def cached_verdict(query: str) -> str | None:
    """The form of an already checked ``query`` (raising its refusal again), or None if not checked yet."""
    verdict = _VERDICTS.get(query)
    if isinstance(verdict, QueryError):
        raise verdict
    return verdict


def check_query(query: str) -> str:
    """See :func:`_check`; verdicts are remembered by query text (a bounded table). ``query`` must be the
    text the engine will run, as :func:`prepare` returns it: any other text is refused, so that no caller
    can check one text and run another."""
    verdict = _VERDICTS.get(query)
    if verdict is None:
        remember(query, verdict_of(query))
        verdict = _VERDICTS[query]
    if isinstance(verdict, QueryError):
        raise verdict
    return verdict


#: ("ok", form, FROM IRIs, FROM NAMED IRIs), ("refused", message) or ("invalid", message, position or None)
Verdict = tuple[Any, ...]


def verdict_of(query: str) -> Verdict:
    """The check's verdict on ``query`` in plain values (picklable: the server computes it in a worker process,
    ``iakg.serve.checks``); :func:`remember` records it."""
    try:
        from iakg.rdf.sparql_text import normalise

        if normalise(query) != query:
            raise QueryError("invalid SPARQL: the text must be prepared (safety.prepare) before the check")
        with _PARSING:  # pyparsing's grammar objects are shared state: one parse at a time
            form, defaults, named = _check(query)
    except RefusedQuery as exc:
        return ("refused", str(exc))
    except QueryError as exc:
        return ("invalid", str(exc), getattr(exc, "position", None))
    return ("ok", form, defaults, named)


def remember(query: str, verdict: Verdict) -> None:
    """Record a verdict of :func:`verdict_of` for ``query`` (a bounded table)."""
    if len(_VERDICTS) >= _MAX_VERDICTS:
        _VERDICTS.clear()
        _DATASETS.clear()
    if verdict[0] == "ok":
        _VERDICTS[query] = verdict[1]
        _DATASETS[query] = (tuple(verdict[2]), tuple(verdict[3]))
    elif verdict[0] == "refused":
        _VERDICTS[query] = RefusedQuery(verdict[1])
    else:
        error = QueryError(verdict[1])
        if verdict[2] is not None:
            error.position = tuple(verdict[2])
        _VERDICTS[query] = error


def _check(query: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Parse ``query`` with a real SPARQL grammar (rdflib's parser) and refuse what must not run.

    Returns the query form (``select``, ``ask``, ``construct`` or ``describe``) and the IRIs of its FROM and
    FROM NAMED clauses. Raises :class:`RefusedQuery`
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
    from iakg.rdf.sparql_errors import check_tree

    check_tree(tree, query)  # what the engine refuses after parsing (an undeclared prefix...), located
    body = tree[1]
    defaults, named = [], []
    clauses = dict.get(body, "datasetClause") if isinstance(body, dict) else None
    for clause in clauses or []:
        if dict.get(clause, "named") is not None:
            named.append(str(dict.get(clause, "named")))
        elif dict.get(clause, "default") is not None:
            defaults.append(str(dict.get(clause, "default")))
    form = {"SelectQuery": "select", "AskQuery": "ask", "ConstructQuery": "construct",
            "DescribeQuery": "describe"}.get(getattr(body, "name", ""), "select")
    return form, tuple(defaults), tuple(named)
