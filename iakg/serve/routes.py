"""The route table of the HTTP server: named route groups, each a function of the serving context.

A group is registered with :func:`route_group` where it is defined (the SPARQL protocol, resource pages,
CDS Hooks...); the server mounts every registered group, so adding routes never means editing the server.
Third parties add groups through the ``iakg.route_groups`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from iakg.registry import Registry

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from iakg.api import KnowledgeGraph


@dataclass
class ServeContext:
    """What a route group needs: the graph that answers (typed API), where the server is, and its settings."""

    graph: KnowledgeGraph  #: answers typed questions (recommend, match...) for pages and CDS Hooks
    base_url: str  #: the public base URL of this server, e.g. ``http://127.0.0.1:7878``
    options: dict[str, Any] = field(default_factory=dict)  #: server settings (time cap, limits, flags)


RouteGroup = Callable[[ServeContext], "Sequence[BaseRoute]"]


def _builtins() -> None:
    """Import the modules whose route groups register themselves (filled in as groups are added)."""
    # the first route matching a path answers it: pages negotiate HTML or RDF on the resource paths, and the
    # sparql module's "resources" group, a fallback (see mounted()), answers the rest, e.g. /dataset/<version>
    import iakg.serve.app  # /health
    import iakg.serve.cds  # CDS Hooks (order-time decision support)
    import iakg.serve.pages  # HTML pages by content negotiation
    import iakg.serve.sparql  # noqa: F401 - the SPARQL protocol and resource dereferencing


ROUTES: Registry[RouteGroup] = Registry("route group", _builtins)


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
    groups = list(ROUTES.items())
    return [g for g in groups if g[0] not in FALLBACKS] + [g for g in groups if g[0] in FALLBACKS]
