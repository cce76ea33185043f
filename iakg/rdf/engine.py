"""Running SPARQL: one result type for every backend (the embedded store now, endpoints later).

Parameters are never formatted into query text: they are bound as a VALUES block of RDF terms
serialised by pyoxigraph (see ``binding``), the same way for every backend.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from iakg.errors import QueryError
from iakg.rdf.binding import bind_values
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
        """SELECT rows as dicts of plain Python values (unbound variables are None)."""
        return [{v: to_python(b.get(v)) for v in self.variables} for b in self.bindings]


class LocalEngine:
    """SPARQL over an embedded pyoxigraph store; the default graph is the union of all named graphs."""

    def __init__(self, store: ox.Store):
        self.store = store

    def execute(self, query: str, bindings: Mapping[str, Any] | None = None) -> Result:
        from iakg.rdf.safety import check_query, offline

        check_query(query)  # parsed, not scanned: SERVICE (the embedded engine would fetch it) and updates refused
        try:
            with offline():  # results are computed lazily, while they are serialised
                answer = self.store.query(bind_values(query, bindings), use_default_graph_as_union=True)
                if isinstance(answer, ox.QueryBoolean):
                    return Result("ask", boolean=bool(answer))
                if isinstance(answer, ox.QuerySolutions):
                    data = json.loads(answer.serialize(format=ox.QueryResultsFormat.JSON) or b"{}")
                    return Result("select", data["head"]["vars"], data["results"]["bindings"])
                text = (answer.serialize(format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")
                return Result("graph", ntriples=text)
        except SyntaxError as exc:
            raise QueryError(f"invalid SPARQL: {exc}") from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise QueryError(f"query failed: {exc}") from None


class RemoteEngine:
    """SPARQL over any SPARQL 1.1 Protocol endpoint, through SPARQLWrapper (same Result as in process).

    The endpoint should query the union of its graphs by default (Oxigraph: ``--union-default-graph``).
    """

    def __init__(self, url: str, timeout: float = 30.0):
        self.url = url
        self.timeout = timeout

    def execute(self, query: str, bindings: Mapping[str, Any] | None = None) -> Result:
        from SPARQLWrapper import JSON, N3, POST, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        client = SPARQLWrapper(self.url)
        client.setTimeout(int(self.timeout))
        client.setMethod(POST)
        client.setQuery(bind_values(query, bindings))
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
            raise QueryError(f"endpoint {self.url} refused the query: {exc}") from None
        except OSError as exc:
            raise QueryError(f"cannot reach endpoint {self.url}: {exc}") from None
        if "boolean" in data:
            return Result("ask", boolean=bool(data["boolean"]))
        return Result("select", data["head"]["vars"], data["results"]["bindings"])
