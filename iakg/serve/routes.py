"""The route table of the HTTP server: named route groups, each a function of the serving context.

A group is registered with :func:`route_group` where it is defined (the SPARQL protocol, resource pages,
CDS Hooks...); the server mounts every registered group, so adding routes never means editing the server.
Third parties add groups through the ``iakg.route_groups`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from iakg.api import KnowledgeGraph
from iakg.registry import Registry
from iakg.serve.checks import CheckPool
from iakg.serve.connections import Limits
from iakg.serve.engine import Engine
from iakg.serve.proxy import Proxy

#: ``(request, iri) -> response`` answering a resource's HTML when a client prefers it (None: not this one)
ResourceHtml = Callable[[Request, str], Awaitable[Response | None]]


@dataclass(frozen=True)
class ServeOptions:
    """How a graph is served: the settings of ``iakg serve``, with its defaults (the library's are the same:
    the CDS Hooks service, with its feedback log, is mounted only when asked for, as ``iakg serve --cds``)."""

    timeout_s: float = 10.0  #: a query's time cap in seconds (the engine is restarted past it)
    max_result_bytes: int = 10_000_000  #: a result's size cap
    max_memory_bytes: int = 2 * 2**30  #: the engine's memory cap: past it the running queries are stopped
    max_request_bytes: int = 1_000_000  #: a request body's size cap
    sparql_path: str = "/sparql"  #: where the pages' query editor sends its queries
    cds: bool = False  #: mount the CDS Hooks service at /cds-services (``iakg serve --cds``)
    cds_mapping: Path | None = None  #: the site's code mapping (None: the shipped one)
    cds_feedback_log: Path | None = None  #: JSONL log of card feedback (None: under $XDG_STATE_HOME/iakg)
    cds_max_body_bytes: int = 2_000_000  #: a CDS Hooks request body's size cap
    resource_html: ResourceHtml | None = None  #: answers a resource's HTML before the RDF fallback does
    limits: Limits = Limits()  #: connection limits: idle and slow requests, head size, connections per client


@dataclass
class ServeContext:
    """What a route group needs: the graph that answers (typed API), where the server is, its settings and,
    in a running endpoint, the supervised engine that runs clients' query texts and its client."""

    graph: KnowledgeGraph  #: answers typed questions (recommend, match...) for pages and CDS Hooks
    base_url: str  #: the public base URL of this server, e.g. ``http://127.0.0.1:7878``
    options: ServeOptions = field(default_factory=ServeOptions)
    engine: Engine | None = None  #: the supervised Oxigraph process (a running endpoint only)
    proxy: Proxy | None = None  #: sends checked queries to ``engine`` (a running endpoint only)
    checks: CheckPool | None = None  #: the query check in worker processes (a running endpoint; else in process)


RouteGroup = Callable[[ServeContext], Sequence[BaseRoute]]

#: the modules whose route groups register themselves, imported when the table is first read. The first route
#: matching a path answers it: pages negotiate HTML or RDF on the resource paths, and the sparql module's
#: "resources" group, a fallback (see mounted()), answers the rest, e.g. /dataset/<version>
ROUTES: Registry[RouteGroup] = Registry("route group", ("iakg.serve.app",  # /health
                                                        "iakg.serve.cds",  # CDS Hooks (order-time decision support)
                                                        "iakg.serve.pages",  # HTML pages by content negotiation
                                                        "iakg.serve.sparql"))  # SPARQL protocol, dereferencing


FALLBACKS: set[str] = set()  #: groups mounted after every other one (they answer what no other group does)


def route_group(name: str, fallback: bool = False) -> Callable[[RouteGroup], RouteGroup]:
    """Decorator: register ``fn(context) -> routes`` as route group ``name``. A ``fallback`` group is mounted
    after the others whatever the order modules were imported in: the first route matching a path answers
    it, so a catch-all group must never shadow a more specific one."""
    def add(fn: RouteGroup) -> RouteGroup:
        ROUTES.register(name, fn)
        if fallback:
            FALLBACKS.add(name)
        return fn
    return add


def mounted() -> list[tuple[str, RouteGroup]]:
    """Every registered group in mounting order: the others in registration order, then the fallbacks."""
    groups = ROUTES.items()
    return [g for g in groups if g[0] not in FALLBACKS] + [g for g in groups if g[0] in FALLBACKS]
