"""Route groups ``sparql`` and ``resources``: the SPARQL 1.1 Protocol (read-only) and resource dereferencing.

``/sparql`` (alias ``/query``): GET and POST (``application/x-www-form-urlencoded`` or
``application/sparql-query``), HEAD, CORS; GET without a query answers the service description (``sd:``).
``default-graph-uri`` / ``named-graph-uri`` (and ``FROM`` / ``FROM NAMED``) choose the dataset; without them
the default graph is the union of the named graphs. Every query is parsed first (:func:`check_query`):
updates and SERVICE get 403, text that does not parse 400. The query then runs in the supervised engine
(``iakg.serve.engine``), bounded in time (the engine is restarted when a query passes the cap), memory and
result size.

Formats are negotiated by ``iakg.serve.media`` (406 when the client accepts none of the query form's);
ASK as CSV or TSV is written as ``iakg query`` writes it (``iakg.present.results``).

Resources: ``/id/...``, ``/query/<name>``, ``/ontology``, ``/dataset`` and the version IRIs ``/ontology/<version>`` and
``/dataset/<version>`` answer the DESCRIBE of ``https://w3id.org/iakg/<path>`` in the pages' RDF formats
(Turtle, JSON-LD, N-Triples, RDF/XML); a recorded dataset version answers what ``releases/releases.json``
records of it too (``iakg.io.releases.description``), alone for a version the graph does not describe. When
the client prefers ``text/html`` and the serving options hold a ``resource_html`` callable (``(request, iri) ->
Response | None``), that callable answers instead.
"""

from __future__ import annotations

import json
import urllib.parse

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from iakg.catalogue import internal
from iakg.errors import BindingError, KGError, QueryError
from iakg.io import releases
from iakg.present.html import RDF_FILES
from iakg.present.results import RESULT_FORMATS
from iakg.rdf.binding import bind_values
from iakg.rdf.engine import Result
from iakg.rdf.namespaces import BASE, DATASET_IRI
from iakg.rdf.safety import RefusedQuery, cached_verdict, check_query, dataset_of, prepare
from iakg.rdf.terms import IRI
from iakg.rdf.writers import document
from iakg.serve.checks import CheckPool
from iakg.serve.media import GRAPH_TYPES, RDF_TYPES, RESULT_TYPES, negotiate, refusal
from iakg.serve.proxy import Proxy
from iakg.serve.routes import ServeContext, route_group

#: an ASK answer in these formats is written by iakg itself: SPARQL 1.1 CSV/TSV define none, and the engine's
#: bare ``true`` is not the table ``iakg query --format csv`` prints (iakg.present.results); media type -> format
BOOLEAN_DELIMITED = {"text/csv": "csv", "text/tab-separated-values": "tsv"}
MAX_QUERY_BYTES = 16_384


def error(status: int, message: str) -> Response:
    return PlainTextResponse(message.strip() + "\n", status)


# ---------------------------------------------------------------------- the SPARQL protocol
class SparqlProtocol:
    """``/sparql``: a plain ASGI app (no Request or Response objects: this path is the endpoint's hot one). The
    server's front layer (``iakg.serve.layers.Front``) sends protocol requests straight here, past the routing and
    the general middleware; it is also the route's app, so the two ways in answer alike.

    ``fast = True`` marks it for the front layer, which keeps for it what the middleware did: the request size
    limit, CORS for simple requests (``Access-Control-Allow-Origin: *`` on every answer) and the access log.
    """

    fast = True
    HEADERS = ((b"vary", b"Accept"), (b"access-control-allow-origin", b"*"))  #: beside type and length

    def __init__(self, proxy: Proxy, endpoint_url: str, checks: CheckPool | None = None):
        self.proxy, self.endpoint_url, self.checks = proxy, endpoint_url, checks

    async def __call__(self, scope, receive, send) -> None:
        status, body, kind = await self.answer(scope, receive)
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", kind.encode("latin-1")), (b"content-length", str(len(body)).encode()),
            *self.HEADERS]})
        await send({"type": "http.response.body", "body": body})

    async def answer(self, scope, receive) -> tuple[int, bytes, str]:
        """(status, body, content type) of one protocol request."""
        params = urllib.parse.parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name, value)  # the first of a repeated header, as Starlette's Headers.get reads
        query: str | None = None
        if scope["method"] == "POST":
            kind = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
            body = (await _body(receive)).decode("utf-8", "replace")  # size bounded by the front layer
            if kind == "application/sparql-update":
                return _error(403, "this endpoint is read-only: SPARQL Update is refused")
            if kind == "application/sparql-query":
                query = body
            elif kind == "application/x-www-form-urlencoded":
                params += urllib.parse.parse_qsl(body, keep_blank_values=True)
            else:  # none at all too: the protocol names the two forms of a POST, a body is not guessed at
                return _error(415, f"unsupported Content-Type {kind or '(none)'!r}: use application/sparql-query "
                                   "or application/x-www-form-urlencoded")
        names = [name for name, _ in params]
        if "update" in names or "using-graph-uri" in names or "using-named-graph-uri" in names:
            return _error(403, "this endpoint is read-only: SPARQL Update is refused")
        queries = [value for name, value in params if name == "query"]
        if query is None:
            if len(queries) > 1:
                return _error(400, "more than one 'query' parameter")
            query = queries[0] if queries else None
        elif queries:
            return _error(400, "a query both in the body and in the URL")
        accept = headers.get(b"accept", b"").decode("latin-1")
        if query is None:
            if scope["method"] == "POST":
                return _error(400, "missing 'query' parameter")
            wanted = negotiate(accept, GRAPH_TYPES)
            if wanted is None:
                return _error(406, refusal(GRAPH_TYPES, "the service description"))
            return 200, service_description(self.endpoint_url, wanted), wanted
        if len(query.encode("utf-8")) > MAX_QUERY_BYTES:
            return _error(413, f"query larger than {MAX_QUERY_BYTES} bytes (the limit that keeps its check "
                               "quick): split or simplify it")
        client = (scope.get("client") or ("", 0))[0]
        try:
            query = prepare(query)  # the one text both the check and the engine read (iakg.rdf.sparql_text)
            form = cached_verdict(query) or (await self.checks.check(query, client) if self.checks is not None
                                             else await run_in_threadpool(check_query, query))
        except RefusedQuery as exc:
            return _error(403, str(exc))
        except QueryError as exc:
            return _error(400, str(exc))
        dataset = [(name, value) for name, value in params if name in ("default-graph-uri", "named-graph-uri")]
        if not dataset:  # FROM / FROM NAMED, sent as protocol parameters: the engine's union default ignores them
            defaults, named = dataset_of(query)
            dataset = [("default-graph-uri", g) for g in defaults] + [("named-graph-uri", g) for g in named]
        offered = GRAPH_TYPES if form in ("construct", "describe") else RESULT_TYPES
        wanted = negotiate(accept, offered)
        if wanted is None:
            return _error(406, refusal(offered, f"a {form.upper()} query" if form else "this query"))
        if form == "ask" and wanted in BOOLEAN_DELIMITED:
            return await self._boolean(query, dataset, wanted, client)
        return await self.proxy.run([("query", query), *dataset], wanted, client)

    async def _boolean(self, query: str, dataset: list[tuple[str, str]], wanted: str, client: str
                       ) -> tuple[int, bytes, str]:
        """An ASK answer as CSV or TSV, written as ``iakg query`` writes it (iakg.present.results)."""
        status, body, kind = await self.proxy.run([("query", query), *dataset], RESULT_TYPES[0], client)
        if status != 200:
            return status, body, kind
        try:
            boolean = json.loads(body)["boolean"]
        except (ValueError, KeyError, TypeError):
            return _error(502, "the query engine's answer to an ASK query is not a SPARQL JSON boolean")
        text = RESULT_FORMATS[BOOLEAN_DELIMITED[wanted]](Result("ask", boolean=bool(boolean)))
        return 200, text.encode("utf-8"), f"{wanted}; charset=utf-8"


async def _body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _error(status: int, message: str) -> tuple[int, bytes, str]:
    return status, (message.strip() + "\n").encode("utf-8"), "text/plain; charset=utf-8"


@route_group("sparql")
def sparql_routes(ctx: ServeContext) -> list[Route]:
    proxy = ctx.proxy
    if proxy is None:  # no engine to run query texts: a context of the pages or CDS Hooks alone
        return []
    endpoint = SparqlProtocol(proxy, ctx.base_url + "/sparql", ctx.checks)
    return [Route("/sparql", endpoint, methods=["GET", "POST"]),
            Route("/query", endpoint, methods=["GET", "POST"])]


def service_description(endpoint_url: str, media_type: str) -> bytes:
    """The SPARQL 1.1 Service Description of this endpoint."""
    sd = "http://www.w3.org/ns/sparql-service-description#"
    fmt = "http://www.w3.org/ns/formats/"
    me = ox.NamedNode(endpoint_url)
    triples = [ox.Triple(me, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                         ox.NamedNode(sd + "Service")),
               ox.Triple(me, ox.NamedNode(sd + "endpoint"), me),
               ox.Triple(me, ox.NamedNode(sd + "supportedLanguage"), ox.NamedNode(sd + "SPARQL11Query")),
               ox.Triple(me, ox.NamedNode(sd + "feature"), ox.NamedNode(sd + "UnionDefaultGraph"))]
    for name in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                 "Turtle", "JSON-LD", "N-Triples", "RDF_XML", "N-Quads", "TriG"):
        triples.append(ox.Triple(me, ox.NamedNode(sd + "resultFormat"), ox.NamedNode(fmt + name)))
    dataset = ox.BlankNode("dataset")
    triples += [ox.Triple(me, ox.NamedNode(sd + "defaultDataset"), dataset),
                ox.Triple(dataset, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                          ox.NamedNode(sd + "Dataset")),
                ox.Triple(dataset, ox.NamedNode("http://rdfs.org/ns/void#inDataset"), ox.NamedNode(DATASET_IRI))]
    fmt_of = ox.RdfFormat.from_media_type(media_type)
    assert fmt_of is not None, media_type  # one of GRAPH_TYPES
    prefixes = {"sd": sd, "fmt": fmt} if fmt_of in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
    text = ox.serialize(triples, format=fmt_of, prefixes=prefixes) if prefixes else \
        ox.serialize(triples, format=fmt_of)
    return text or b""


# ---------------------------------------------------------------------- resources
def _recorded(version: str) -> bytes:
    """The records' description of dataset release ``version`` as N-Triples (empty if it is not recorded, or the
    records cannot be read)."""
    try:
        return ox.serialize(releases.description(version), format=ox.RdfFormat.N_TRIPLES) or b""
    except KGError:
        return b""


@route_group("resources", fallback=True)
def resource_routes(ctx: ServeContext) -> list[Route]:
    proxy = ctx.proxy
    if proxy is None:
        return []

    offered = (*RDF_TYPES, "text/html")
    writer = {media: fmt for fmt, media, _ in RDF_FILES.values()}  # media type -> iakg.rdf.writers.document's

    async def describe(request: Request, iri: str, query: str = "describe-resource", bound: str = "resource",
                       release: str | None = None) -> Response:
        """The description of ``iri`` (or of what ``query`` finds with it bound to ``bound``), with the records'
        description of dataset release ``release`` if there is one (the only one, for a release before this)."""
        html = ctx.options.resource_html
        wanted = negotiate(request.headers.get("accept"), offered)
        if wanted is None:
            return error(406, refusal(offered))
        if wanted == "text/html":
            if html is not None:
                answer = await html(request, iri)
                if answer is not None:
                    return answer
            wanted = "text/turtle"
        try:  # the IRI reaches the query as a bound value (checked by the engine's own IRI parser)
            text = bind_values(internal(query), {bound: IRI(iri)})
        except BindingError:
            return error(404, "no such resource")
        # N-Triples from the engine, written as the pages write a description (iakg.rdf.writers.document)
        status, body, kind = await proxy.run([("query", text)], "application/n-triples",
                                             request.client.host if request.client else "")
        if status != 200:
            return Response(body, status, media_type=kind)
        if release is not None:  # what the records say of the version too (the current one is also described)
            body = body.rstrip(b"\n") + b"\n" + await run_in_threadpool(_recorded, release)
        if not body.strip():
            return error(404, f"nothing is known about <{iri}>")
        return Response(await run_in_threadpool(document, body, writer[wanted]), media_type=wanted,
                        headers={"Vary": "Accept"})

    async def resource(request: Request) -> Response:
        return await describe(request, BASE + urllib.parse.unquote(request.url.path.lstrip("/")))

    async def versioned(request: Request) -> Response:
        """A version IRI: the ontology or dataset whose ``owl:versionIRI`` it is, and for a recorded dataset
        version (this one, or one released before: an ``owl:priorVersion``) what ``releases/releases.json``
        records of it."""
        iri = BASE + urllib.parse.unquote(request.url.path.lstrip("/"))
        release = request.path_params["version"] if request.url.path.startswith("/dataset/") else None
        return await describe(request, iri, "describe-version", "version", release)

    async def home(request: Request) -> Response:
        return await describe(request, DATASET_IRI)

    return [Route("/", home, methods=["GET"]),
            Route("/ontology", resource, methods=["GET"]),
            Route("/dataset", resource, methods=["GET"]),
            Route("/ontology/{version}", versioned, methods=["GET"]),
            Route("/dataset/{version}", versioned, methods=["GET"]),
            Route("/id/{path:path}", resource, methods=["GET"]),
            Route("/query/{path:path}", resource, methods=["GET"])]  # the catalogue's query IRIs

