"""Route group ``pages``: HTML pages by content negotiation on the resources' own paths.

``/id/...``, ``/query/...``, ``/dataset``, ``/`` and ``/ontology`` (with its version IRI) answer HTML when the
client asks for it (``Accept: text/html`` ranked above the RDF types, or ``?format=html``) and RDF otherwise
(Turtle by default; JSON-LD, N-Triples and RDF/XML by Accept, ``?format=jsonld|nt|rdf`` or a file extension;
406 when none is acceptable: ``iakg.serve.media``), so a browser and an RDF client
use the same IRIs. ``/search``, ``/editor`` (YASGUI over this server's ``/sparql``) and ``/static`` are pages
only.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from iakg import resources
from iakg.domain.patient import context as patient_context
from iakg.errors import BindingError
from iakg.io.export import context
from iakg.io.formats import serialize
from iakg.present.html import RDF_FILES, STATIC_DIR, Pages, description_rows
from iakg.rdf.binding import to_term
from iakg.rdf.namespaces import BASE, DATASET_IRI, GRAPH, GRAPH_ONTOLOGY
from iakg.rdf.terms import IRI
from iakg.rdf.writers import document
from iakg.serve.media import negotiate as negotiate_media
from iakg.serve.media import refusal
from iakg.serve.routes import ServeContext, route_group

HTML_TYPES = ("text/html", "application/xhtml+xml")
#: media type -> extension of the RDF files a resource is offered as (iakg.present.html.RDF_FILES)
RDF_TYPES = {media: extension for extension, (_, media, _) in RDF_FILES.items()}
OFFERED = (*RDF_TYPES, *HTML_TYPES)  #: Turtle first: what a client that accepts anything gets
#: the parts of a loaded dataset that /graph/NAME serves (the derived listing index is not content)
SERVED_GRAPHS = ("ontology", "data", "extra", "catalogue", "inferred")


class NotAcceptable(Exception):
    """The client accepts none of the formats offered (406)."""


def negotiate(request: Request, default: str | None = None) -> str:
    """``html`` or an RDF file extension (``ttl``, ``jsonld``, ``nt``, ``rdf``): ``default`` (the extension
    of the path asked, e.g. ``/id/x.ttl``) first, then ``?format=``, then the Accept header's ranking
    (Turtle for ``*/*`` or none). Raises NotAcceptable when the client accepts none of them."""
    if default is not None:
        return default
    asked = request.query_params.get("format", "").lower()
    if asked:
        asked = {"rdfxml": "rdf", "xml": "rdf"}.get(asked, asked)
        if asked == "html" or asked in RDF_FILES:
            return asked
        raise NotAcceptable(f"format {asked[:20]!r} is not offered: html, " + ", ".join(RDF_FILES))
    kind = negotiate_media(request.headers.get("accept"), OFFERED)
    if kind is None:
        raise NotAcceptable(refusal(OFFERED))
    return "html" if kind in HTML_TYPES else RDF_TYPES[kind]


def split_extension(path: str) -> tuple[str, str | None]:
    """``id/x.ttl`` -> (``id/x``, ``ttl``): a path ending in the extension of an RDF file asks for that file."""
    stem, dot, extension = path.rpartition(".")
    if dot and extension in RDF_FILES and "/" not in extension:
        return stem, extension
    return path, None


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

    def rdf_response(data: bytes, extension: str) -> Response:
        if not data:
            return PlainTextResponse("no such resource\n", status_code=404, headers={"Vary": "Accept"})
        return Response(data, media_type=RDF_FILES[extension][1], headers={"Vary": "Accept"})

    def not_acceptable(exc: NotAcceptable) -> Response:
        return PlainTextResponse(f"{exc}\n", status_code=406, headers={"Vary": "Accept"})

    def html(text: str | None, status: int = 200) -> HTMLResponse:
        return HTMLResponse(text or "", status_code=status, headers={"Vary": "Accept"})

    description: dict[str, bytes] = {}

    def dataset_rdf(extension: str) -> bytes:
        """The VoID/DCAT description (computed with the release, once) as the RDF file ``extension``."""
        if extension not in description:
            description[extension] = document(serialize(dataset_description(), "nt"), RDF_FILES[extension][0])
        return description[extension]

    async def resource(request: Request) -> Response:
        path, extension = split_extension(unquote(request.url.path.lstrip("/")))
        iri = BASE + path if path not in ("", "dataset") else DATASET_IRI
        try:
            fmt = negotiate(request, extension)
        except NotAcceptable as exc:
            return not_acceptable(exc)
        try:
            to_term(IRI(iri))  # what the engine's IRI parser refuses has no page (never a 500 or its message)
        except BindingError:
            return rdf_response(b"", "ttl") if fmt != "html" else html(await run(site.not_found, iri), 404)
        if fmt != "html":  # the description is this server's own (it names this endpoint), never a stored copy
            data = await run(dataset_rdf, fmt) if iri == DATASET_IRI else await run(site.rdf, iri, fmt)
            return rdf_response(data, fmt)
        if iri == DATASET_IRI:
            return html(await run(site.home))
        page = await run(site.resource, iri, request.query_params.get("years"), request.query_params.get("every"),
                         request.query_params.get("all") == "1")
        return html(page) if page is not None else html(await run(site.not_found, iri), 404)

    def file_format(request: Request) -> str | Response:
        """The format asked for a shipped file (its ``extension``, else the Accept header), or the answer
        refusing it (404 for an extension that is no RDF file's, 406 for nothing acceptable)."""
        extension = request.path_params.get("extension")
        if extension is not None and extension not in RDF_FILES:
            return PlainTextResponse("no such resource\n", status_code=404)
        try:
            return negotiate(request, extension)
        except NotAcceptable as exc:
            return not_acceptable(exc)

    async def ontology(request: Request) -> Response:
        """The ontology: its documentation page, or the whole ontology in every RDF format (Turtle: the
        shipped file itself, with its comments)."""
        fmt = file_format(request)
        if isinstance(fmt, Response):
            return fmt
        if fmt == "html":
            return html(await run(site.ontology))
        if fmt == "ttl":
            return Response(resources.ONTOLOGY_FILE.read_bytes(), media_type="text/turtle",
                            headers={"Vary": "Accept"})
        return rdf_response(await run(site.graph_rdf, GRAPH_ONTOLOGY, fmt), fmt)

    def file_rdf(path: Path, extension: str) -> bytes:
        """A shipped Turtle file as the RDF file ``extension`` (Turtle: the file itself, with its comments)."""
        data = path.read_bytes()
        if extension == "ttl":
            return data
        triples = ox.serialize(ox.parse(data, format=ox.RdfFormat.TURTLE), format=ox.RdfFormat.N_TRIPLES) or b""
        return document(triples, RDF_FILES[extension][0])

    async def shapes(request: Request) -> Response:
        """The SHACL shapes the graph is validated with, in every RDF format (HTML: the Turtle, as text)."""
        fmt = file_format(request)
        if isinstance(fmt, Response):
            return fmt
        if fmt == "html":
            return html(await run(site.document, "SHACL shapes", "/shapes", resources.SHAPES_FILE.read_text("utf-8")))
        return rdf_response(await run(file_rdf, resources.SHAPES_FILE, fmt), fmt)

    async def named_graph(request: Request) -> Response:
        """``/graph/NAME``: every statement of that part of the dataset (ontology, data, catalogue...)."""
        name, extension = split_extension(request.path_params["name"])
        if name not in SERVED_GRAPHS:
            return PlainTextResponse("no such graph\n", status_code=404)
        try:
            fmt = negotiate(request, extension)
        except NotAcceptable as exc:
            return not_acceptable(exc)
        data = await run(site.graph_rdf, GRAPH + name, "ttl" if fmt == "html" else fmt)
        if fmt == "html" and data:
            return html(await run(site.document, f"Named graph {name}", f"/graph/{name}", data.decode("utf-8")))
        return rdf_response(data, "ttl" if fmt == "html" else fmt)

    async def json_context(request: Request) -> Response:
        """``/context/iakg.jsonld`` (the exports' JSON-LD context) and ``/context/patient.jsonld`` (patient files')."""
        name = request.path_params["name"]
        if name == "iakg.jsonld":
            body = context()
        elif name == "patient.jsonld":
            body = patient_context(graph.patient_facts())
        else:
            return PlainTextResponse("no such context\n", status_code=404)
        return Response(json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"),
                        media_type="application/ld+json")

    async def search(request: Request) -> Response:
        return html(await run(site.search, request.query_params.get("q", "")))

    async def editor(request: Request) -> Response:
        return html(await run(site.editor))

    async def favicon(request: Request) -> Response:
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")

    async def index_redirect(request: Request) -> Response:
        return RedirectResponse("/search", status_code=301)

    return [
        Route("/", resource, methods=["GET", "HEAD"]),
        Route("/dataset", resource, methods=["GET", "HEAD"]),
        Route("/dataset.{extension}", resource, methods=["GET", "HEAD"]),
        Route("/id/{path:path}", resource, methods=["GET", "HEAD"]),
        Route("/query/{name}", resource, methods=["GET", "HEAD"]),
        Route("/favicon.ico", favicon, methods=["GET", "HEAD"]),
        Route("/ontology", ontology, methods=["GET", "HEAD"]),
        Route("/ontology.{extension}", ontology, methods=["GET", "HEAD"]),
        Route("/ontology/{version}", ontology, methods=["GET", "HEAD"]),
        Route("/shapes", shapes, methods=["GET", "HEAD"]),
        Route("/shapes.{extension}", shapes, methods=["GET", "HEAD"]),
        Route("/graph/{name}", named_graph, methods=["GET", "HEAD"]),
        Route("/context/{name}", json_context, methods=["GET", "HEAD"]),
        Route("/search", search, methods=["GET", "HEAD"]),
        Route("/search.html", index_redirect, methods=["GET", "HEAD"]),
        Route("/editor", editor, methods=["GET", "HEAD"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
