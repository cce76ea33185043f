"""Content negotiation, one code for every route of the server: the SPARQL protocol's results, its graph results
and service description, the resources' descriptions and the linked-data pages (``iakg.serve.pages``).

A client gets the first offered type it accepts best (HTTP's ``Accept``, RFC 9110 §12.5.1); ``*/*`` and ``type/*``
count, and so do the other names pyoxigraph (and so the engine) reads a format by (``application/json``,
``application/xml``, ``application/x-turtle``...). No ``Accept`` at all is ``*/*``: the first type offered.
When none of the types in ``Accept`` is offered the answer is 406, naming those that are (:func:`refusal`).
"""

from __future__ import annotations

import pyoxigraph as ox

from iakg.present.html import RDF_FILES

#: the RDF formats a resource is described in: the linked-data pages' files (Turtle first, what ``*/*`` gets)
RDF_TYPES: tuple[str, ...] = tuple(media for _, media, _ in RDF_FILES.values())
#: graph results (CONSTRUCT, DESCRIBE) and the service description: the pages' formats, and the graph as a
#: dataset of its default graph (N-Quads, TriG), as the engine writes them
GRAPH_TYPES: tuple[str, ...] = (*RDF_TYPES, "application/n-quads", "application/trig")
#: SELECT and ASK results (JSON first)
RESULT_TYPES: tuple[str, ...] = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                                 "text/tab-separated-values")


def accepted(header: str | None) -> list[str]:
    """Media types of an Accept header, highest quality first (in the header's order among equals)."""
    ranked = []
    for index, part in enumerate((header or "").split(",")):
        kind, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    pass
        if kind and q > 0:
            ranked.append((-q, index, kind.lower()))
    return [kind for _, _, kind in sorted(ranked)]


def negotiate(header: str | None, offered: tuple[str, ...]) -> str | None:
    """The first of ``offered`` the client accepts best (``*/*``, ``type/*`` and pyoxigraph's other names of a
    format count); None if none."""
    for kind in accepted(header) or ["*/*"]:
        if kind in offered:
            return kind
        if kind == "*/*":
            return offered[0]
        if kind.endswith("/*"):
            match = next((o for o in offered if o.startswith(kind[:-1])), None)
            if match:
                return match
            continue
        for named in _names(kind):
            if named in offered:
                return named
    return None


def _names(kind: str) -> tuple[str, ...]:
    """The media types of the RDF format and the results format pyoxigraph reads ``kind`` as (``application/json``:
    SPARQL results JSON and JSON-LD; ``text/xml``: results XML and RDF/XML)."""
    found = (ox.RdfFormat.from_media_type(kind), ox.QueryResultsFormat.from_media_type(kind))
    return tuple(fmt.media_type.split(";")[0] for fmt in found if fmt is not None)  # CSV's: "; charset=utf-8"


def refusal(offered: tuple[str, ...], what: str = "") -> str:
    """The one line of a 406 answer: what is offered (for ``what``, e.g. ``a SELECT query``)."""
    return f"none of the types in Accept is offered{' for ' + what if what else ''}: " + ", ".join(offered)
