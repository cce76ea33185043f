"""Running SPARQL: one result type for every backend (the embedded store now, endpoints later).

Parameters are never formatted into query text: they are bound as a VALUES block of RDF terms
serialised by pyoxigraph (see ``binding``), the same way for every backend.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import pyoxigraph as ox

from iakg.errors import KGError, QueryError
from iakg.rdf.binding import bind_values, written_offset
from iakg.rdf.safety import BASE_IRI, check_query, dataset_of, offline, prepare
from iakg.rdf.sparql_errors import engine_error
from iakg.rdf.terms import to_python

Term = dict[str, str]  # a SPARQL 1.1 Query Results JSON term




@dataclass
class Result:
    """The answer to one query: SELECT rows, an ASK boolean, or CONSTRUCT/DESCRIBE triples."""

    kind: str  # "select", "ask" or "graph"
    variables: list[str] = field(default_factory=list)
    bindings: list[dict[str, Term]] = field(default_factory=list)
    boolean: bool | None = None
    ntriples: str = ""  # graph results, one N-Triples statement a line

    def rows(self) -> list[dict[str, Any]]:
        """SELECT rows as dicts of plain Python values (unbound variables are None). An ASK or CONSTRUCT/DESCRIBE
        result has no rows: :class:`~iakg.errors.KGError`, saying where its answer is (``.boolean``,
        ``.ntriples``)."""
        if self.kind == "ask":
            raise KGError(f"rows() reads a SELECT result; this is an ASK result: read .boolean ({self.boolean})")
        if self.kind == "graph":
            raise KGError("rows() reads a SELECT result; this is a CONSTRUCT/DESCRIBE result (a graph): read "
                          ".ntriples (N-Triples text; iakg.rdf.writers.document(text, 'ttl') writes Turtle)")
        return [{v: to_python(b.get(v)) for v in self.variables} for b in self.bindings]


class QueryEngine(Protocol):
    """What answers SPARQL for the rest of the package: :class:`LocalEngine` (the embedded store),
    :class:`RemoteEngine` (an endpoint), or any object with this method. ``bindings`` maps variable names to
    values bound as a VALUES block (``iakg.rdf.binding``), never formatted into the text."""

    def execute(self, query: str, bindings: Mapping[str, Any] | None = None) -> Result:
        """Run ``query`` with ``bindings``; raise :class:`~iakg.errors.QueryError` if it cannot be answered."""
        ...


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _json_term(term: Any) -> Term:
    """One RDF term as a SPARQL 1.1 Query Results JSON term."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        if term.language:
            return {"type": "literal", "value": term.value, "xml:lang": term.language}
        if term.datatype.value != _XSD_STRING:
            return {"type": "literal", "value": term.value, "datatype": term.datatype.value}
        return {"type": "literal", "value": term.value}
    return {"type": "triple", "value": str(term)}


class LocalEngine:
    """SPARQL over an embedded pyoxigraph store; the default graph is the union of all named graphs."""

    #: in-process bounds: more rows than this, or longer than this many seconds producing them, is refused
    max_rows = 1_000_000
    timeout_s = 300.0

    def __init__(self, store: ox.Store):
        self.store = store

    def _rows(self, answer: Any) -> Any:
        """Yield the solutions (or triples) of ``answer``, stopping with a clear error past the bounds."""
        deadline = time.monotonic() + self.timeout_s
        for count, row in enumerate(answer, 1):
            if count > self.max_rows:
                raise QueryError(f"the result passed {self.max_rows:,} rows and was stopped; add LIMIT or narrow "
                                 "the query")
            if count % 1024 == 0 and time.monotonic() > deadline:
                raise QueryError(f"the query ran past {self.timeout_s:g} s and was stopped (a cross product?); "
                                 "narrow it")
            yield row

    def execute(self, query: str, bindings: Mapping[str, Any] | None = None) -> Result:
        query = prepare(query)  # the one text both the check and the engine read (see iakg.rdf.sparql_text)
        check_query(query)  # parsed, not scanned: SERVICE (the embedded engine would fetch it) and updates refused
        defaults, named = dataset_of(query)
        answer = None
        text = query
        try:
            with offline():  # results are computed lazily, while they are serialised
                text = bind_values(query, bindings)
                if defaults or named:  # FROM / FROM NAMED choose the dataset, as at the endpoint
                    answer = self.store.query(text, base_iri=BASE_IRI,
                                              default_graph=[ox.NamedNode(g) for g in defaults],
                                              named_graphs=[ox.NamedNode(g) for g in named])
                else:  # the default graph is the union of the named graphs
                    answer = self.store.query(text, base_iri=BASE_IRI, use_default_graph_as_union=True)
                if isinstance(answer, ox.QueryBoolean):
                    return Result("ask", boolean=bool(answer))
                if isinstance(answer, ox.QuerySolutions):
                    names = [v.value for v in answer.variables]
                    solutions = [{name: _json_term(term) for name, term in zip(names, solution) if term is not None}
                                for solution in self._rows(answer)]
                    return Result("select", names, solutions)
                text = "".join(f"{triple} .\n" for triple in self._rows(answer))
                return Result("graph", ntriples=text)
        except SyntaxError as exc:  # what the check's grammar let through: one line, at the user's place
            said = str(exc.msg or exc)
            raise engine_error(said, text, query, lambda at: written_offset(query, text, at)) or QueryError(
                f"invalid SPARQL: {' '.join(said.split())[:300]}") from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise QueryError(f"query failed: {exc}") from None
        finally:  # pyoxigraph's results belong to this thread: never left for another thread's collector
            answer = None


def redact(text: str) -> str:
    """``text`` with the user and password of every URL in it shown as ``***`` (messages never print them)."""
    return re.sub(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]*@", r"\1***@", text)


def check_url(url: str, what: str = "--endpoint") -> str:
    """``url`` if it is an absolute http(s) URL with a host and no credentials in it, else a one-line error
    (that never repeats a password)."""
    shown = redact(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        raise QueryError(f"{what} {shown!r}: not a URL ({redact(str(exc))})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise QueryError(f"{what} {shown!r}: give an absolute http:// or https:// URL")
    if "@" in parts.netloc:
        raise QueryError(f"{what} {shown!r}: credentials are never taken from a URL (it is shown in process lists "
                         "and logs); use IAKG_PUBLISH_USER/IAKG_PUBLISH_PASSWORD or a netrc entry")
    return url


class RemoteEngine:
    """SPARQL over any SPARQL 1.1 Protocol endpoint, through SPARQLWrapper (same Result as in process).

    The endpoint should query the union of its graphs by default (Oxigraph: ``--union-default-graph``).
    """

    def __init__(self, url: str, timeout: float = 30.0):
        self.url = check_url(url)
        if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
            raise QueryError(f"timeout {timeout!r}: give a positive number of seconds")
        self.timeout = timeout

    def execute(self, query: str, bindings: Mapping[str, Any] | None = None) -> Result:
        from SPARQLWrapper import JSON, N3, POST, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        from iakg.rdf.safety import prepare

        client = SPARQLWrapper(self.url)
        client.setTimeout(int(self.timeout))
        client.setMethod(POST)
        # the prepared text (comments removed by the grammar's rules): SPARQLWrapper finds the query's form with a
        # regular expression that reads a comment's words too ("# load ..." made a SELECT an update it refused)
        client.setQuery(bind_values(prepare(query), bindings))
        graph_form = client.queryType in ("CONSTRUCT", "DESCRIBE")
        client.setReturnFormat(N3 if graph_form else JSON)
        if graph_form:
            client.addCustomHttpHeader("Accept", "application/n-triples")
        try:
            response = client.query()
            if graph_form:
                return Result("graph", ntriples=response.response.read().decode("utf-8"))
            data: Any = response.convert()
        except SPARQLWrapperException as exc:
            # the payload (the remote engine's own message) is often several lines: one line, bounded
            said = " ".join(str(exc).replace("\\n", " ").split())
            raise QueryError(f"endpoint {self.url} refused the query: {said[:300]}") from None
        except OSError as exc:
            raise QueryError(f"cannot reach endpoint {self.url}: {exc}") from None
        except (ValueError, TypeError, UnicodeDecodeError) as exc:  # HTML or broken JSON instead of results
            raise QueryError(f"endpoint {self.url} did not answer with SPARQL results ({str(exc)[:80]}); "
                             "is it a SPARQL query URL?") from None
        try:
            if "boolean" in data:
                return Result("ask", boolean=bool(data["boolean"]))
            variables, bindings = data["head"]["vars"], data["results"]["bindings"]
            if not isinstance(variables, list) or not isinstance(bindings, list):
                raise TypeError("not lists")
            return Result("select", variables, bindings)
        except (KeyError, TypeError, AttributeError):
            raise QueryError(f"endpoint {self.url} did not answer with SPARQL 1.1 JSON results; is it a SPARQL "
                             "query URL?") from None
