"""Route group ``pages``: HTML pages by content negotiation on the resources' own paths.

``/id/...``, ``/query/...``, ``/dataset``, ``/`` and ``/ontology`` (with its version IRI) answer HTML when the
client asks for it (``Accept: text/html`` ranked above the RDF types, or ``?format=html``) and RDF otherwise
(Turtle by default; N-Triples and JSON-LD by Accept or ``?format=nt|jsonld``), so a browser and an RDF client
use the same IRIs. ``/search``, ``/editor`` (YASGUI over this server's ``/sparql``) and ``/static`` are pages
only.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from iakg import resources
from iakg.catalogue import internal
from iakg.errors import BindingError
from iakg.io.formats import serialize
from iakg.present.html import STATIC_DIR, Pages, description_rows
from iakg.rdf.binding import to_term
from iakg.rdf.namespaces import BASE, DATASET_IRI, ONTOLOGY_IRI, PREFIXES
from iakg.rdf.terms import IRI
from iakg.serve.routes import ServeContext, route_group
from iakg.serve.sparql import accepted

HTML_TYPES = ("text/html", "application/xhtml+xml")
RDF_TYPES = {"text/turtle": "ttl", "application/n-triples": "nt", "application/ld+json": "jsonld"}
FORMAT_TYPES = {"ttl": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json"}


def negotiate(request: Request) -> str:
    """``html``, ``ttl``, ``nt`` or ``jsonld``: ``?format=`` first, then the Accept header's ranking."""
    asked = request.query_params.get("format", "").lower()
    if asked in ("html", *FORMAT_TYPES):
        return asked
    for kind in accepted(request.headers.get("accept", "")):
        if kind in HTML_TYPES:
            return "html"
        if kind in RDF_TYPES:
            return RDF_TYPES[kind]
    return "ttl"


def rdf_of(graph: Any, iri: str, fmt: str) -> bytes:
    """The description (DESCRIBE) of ``iri`` in ``fmt``; empty bytes if the graph says nothing about it."""
    text = graph.query(internal("describe-resource"), {"resource": IRI(iri)}).ntriples
    if not text.strip():
        return b""
    if fmt == "nt":
        return text.encode("utf-8")
    triples = list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))
    target = ox.RdfFormat.JSON_LD if fmt == "jsonld" else ox.RdfFormat.TURTLE
    prefixes = PREFIXES if fmt == "ttl" else None
    return ox.serialize(triples, format=target, prefixes=prefixes) or b""


@route_group("pages")
def pages(ctx: ServeContext) -> list[BaseRoute]:
    """The pages of ``ctx.graph``; the editor talks to ``ctx.options.sparql_path`` (default ``/sparql``)."""
    graph = ctx.graph
    sparql_path = ctx.options.sparql_path
    endpoint_url = ctx.base_url + sparql_path  # the description names the endpoint that serves it
    described: list = []

    def dataset_description():
        """The VoID/DCAT description naming this endpoint, computed once (a release is costly on a large graph)."""
        if not described:
            described.append(graph.release(endpoint=endpoint_url).description())
        return described[0]

    site = Pages(graph, endpoint=sparql_path, description=lambda: description_rows(dataset_description().nquads))

    async def run(fn, *args) -> Any:
        return await asyncio.to_thread(fn, *args)  # rendering queries the store: off the event loop

    def rdf_response(data: bytes, fmt: str) -> Response:
        if not data:
            return PlainTextResponse("no such resource\n", status_code=404, headers={"Vary": "Accept"})
        return Response(data, media_type=FORMAT_TYPES[fmt], headers={"Vary": "Accept"})

    def html(text: str | None, status: int = 200) -> HTMLResponse:
        return HTMLResponse(text or "", status_code=status, headers={"Vary": "Accept"})

    description: dict[str, bytes] = {}

    def dataset_rdf(fmt: str) -> bytes:
        """The VoID/DCAT description (computed with the release, once) in ``fmt``."""
        if fmt not in description:
            description[fmt] = serialize(dataset_description(), fmt)
        return description[fmt]

    async def resource(request: Request) -> Response:
        path = unquote(request.url.path.lstrip("/"))
        iri = BASE + path if path not in ("", "dataset") else DATASET_IRI
        fmt = negotiate(request)
        try:
            to_term(IRI(iri))  # what the engine's IRI parser refuses has no page (never a 500 or its message)
        except BindingError:
            return rdf_response(b"", "ttl") if fmt != "html" else html(await run(site.not_found, iri), 404)
        if fmt != "html":  # the description is this server's own (it names this endpoint), never a stored copy
            data = await run(dataset_rdf, fmt) if iri == DATASET_IRI else await run(rdf_of, graph, iri, fmt)
            return rdf_response(data, fmt)
        if iri == DATASET_IRI:
            return html(await run(site.home))
        page = await run(site.resource, iri, request.query_params.get("years"), request.query_params.get("every"))
        return html(page) if page is not None else html(await run(site.not_found, iri), 404)

    async def ontology(request: Request) -> Response:
        fmt = negotiate(request)
        if fmt == "html":
            return html(await run(site.ontology))
        if fmt == "ttl":
            return Response(resources.ONTOLOGY_FILE.read_bytes(), media_type="text/turtle",
                            headers={"Vary": "Accept"})
        return rdf_response(await run(rdf_of, graph, ONTOLOGY_IRI, fmt), fmt)

    async def search(request: Request) -> Response:
        return html(await run(site.search, request.query_params.get("q", "")))

    async def editor(request: Request) -> Response:
        return html(await run(site.editor))

    async def index_redirect(request: Request) -> Response:
        return RedirectResponse("/search", status_code=301)

    return [
        Route("/", resource, methods=["GET", "HEAD"]),
        Route("/dataset", resource, methods=["GET", "HEAD"]),
        Route("/id/{path:path}", resource, methods=["GET", "HEAD"]),
        Route("/query/{name}", resource, methods=["GET", "HEAD"]),
        Route("/ontology", ontology, methods=["GET", "HEAD"]),
        Route("/ontology/{version}", ontology, methods=["GET", "HEAD"]),
        Route("/search", search, methods=["GET", "HEAD"]),
        Route("/search.html", index_redirect, methods=["GET", "HEAD"]),
        Route("/editor", editor, methods=["GET", "HEAD"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
