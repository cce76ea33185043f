"""Route groups ``sparql`` and ``resources``: the SPARQL 1.1 Protocol (read-only) and resource dereferencing.

``/sparql`` (alias ``/query``): GET and POST (``application/x-www-form-urlencoded`` or
``application/sparql-query``), HEAD, CORS; GET without a query answers the service description (``sd:``).
``default-graph-uri`` / ``named-graph-uri`` (and ``FROM`` / ``FROM NAMED``) choose the dataset; without them
the default graph is the union of the named graphs. Every query is parsed first (:func:`check_query`):
updates and SERVICE get 403, text that does not parse 400. The query then runs in the supervised engine
(``iakg.serve.engine``), bounded in time (the engine is restarted when a query passes the cap), memory and
result size.

Resources: ``/id/...``, ``/query/<name>``, ``/ontology``, ``/dataset`` and the version IRIs ``/ontology/<version>`` and
``/dataset/<version>`` answer the DESCRIBE of ``https://w3id.org/iakg/<path>`` in Turtle, N-Triples or
JSON-LD. When the client prefers ``text/html`` and the serving options hold a ``resource_html`` callable
(``(request, iri) -> Response | None``), that callable answers instead.
"""

from __future__ import annotations

import urllib.parse

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from iakg.catalogue import internal
from iakg.errors import BindingError, QueryError
from iakg.rdf.binding import bind_values
from iakg.rdf.namespaces import BASE, DATASET_IRI
from iakg.rdf.safety import RefusedQuery, cached_verdict, check_query, dataset_of, prepare
from iakg.rdf.terms import IRI
from iakg.serve.checks import CheckPool
from iakg.serve.proxy import Proxy
from iakg.serve.routes import ServeContext, route_group

RDF_TYPES = ("text/turtle", "application/n-triples", "application/ld+json")
RESULT_TYPES = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values")
# The query text limit bounds the safety check (rdflib's pyparsing parse, one at a time): its time grows
# about linearly with size for adversarial shapes (a long || chain: ~0.1-0.3 s per kB on a loaded 2-core
# machine, so 96 kB took 20-45 s, past the time cap, holding every other client's check). 16 kB keeps that
# parse within a few seconds, and the largest catalogue query (4 kB) far inside. See docs/serving.md.
MAX_QUERY_BYTES = 16_384


def error(status: int, message: str) -> Response:
    return PlainTextResponse(message.strip() + "\n", status)


def accepted(header: str | None) -> list[str]:
    """Media types of an Accept header, highest quality first."""
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
    """The first of ``offered`` the client accepts best (``*/*`` and ``type/*`` count); None if none."""
    for kind in accepted(header) or ["*/*"]:
        if kind in offered:
            return kind
        if kind == "*/*":
            return offered[0]
        if kind.endswith("/*"):
            match = next((o for o in offered if o.startswith(kind[:-1])), None)
            if match:
                return match
    return None


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
            wanted = negotiate(accept or None, RDF_TYPES) or "text/turtle"
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
        offered = RDF_TYPES if form in ("construct", "describe") else RESULT_TYPES
        wanted = negotiate(accept, offered) or offered[0]
        return await self.proxy.run([("query", query), *dataset], wanted, client)


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
                 "Turtle", "N-Triples", "JSON-LD"):
        triples.append(ox.Triple(me, ox.NamedNode(sd + "resultFormat"), ox.NamedNode(fmt + name)))
    dataset = ox.BlankNode("dataset")
    triples += [ox.Triple(me, ox.NamedNode(sd + "defaultDataset"), dataset),
                ox.Triple(dataset, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                          ox.NamedNode(sd + "Dataset")),
                ox.Triple(dataset, ox.NamedNode("http://rdfs.org/ns/void#inDataset"), ox.NamedNode(DATASET_IRI))]
    fmt_of = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
              "application/ld+json": ox.RdfFormat.JSON_LD}[media_type]
    prefixes = {"sd": sd, "fmt": fmt} if fmt_of == ox.RdfFormat.TURTLE else None
    text = ox.serialize(triples, format=fmt_of, prefixes=prefixes) if prefixes else \
        ox.serialize(triples, format=fmt_of)
    return text or b""


# ---------------------------------------------------------------------- resources


@route_group("resources", fallback=True)
def resource_routes(ctx: ServeContext) -> list[Route]:
    proxy = ctx.proxy
    if proxy is None:
        return []

    async def describe(request: Request, iri: str, query: str = "describe-resource", bound: str = "resource"
                       ) -> Response:
        html = ctx.options.resource_html
        wanted = negotiate(request.headers.get("accept"), (*RDF_TYPES, "text/html")) or "text/turtle"
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
        status, body, kind = await proxy.run([("query", text)], wanted, request.client.host if request.client else "")
        if status == 200 and not body.strip(b" \n[]{}"):
            return error(404, f"nothing is known about <{iri}>")
        return Response(body, status, media_type=kind, headers={"Vary": "Accept"})

    async def resource(request: Request) -> Response:
        return await describe(request, BASE + urllib.parse.unquote(request.url.path.lstrip("/")))

    async def versioned(request: Request) -> Response:
        """A version IRI: the ontology or dataset whose ``owl:versionIRI`` it is."""
        iri = BASE + urllib.parse.unquote(request.url.path.lstrip("/"))
        return await describe(request, iri, "describe-version", "version")

    async def home(request: Request) -> Response:
        return await describe(request, DATASET_IRI)

    return [Route("/", home, methods=["GET"]),
            Route("/ontology", resource, methods=["GET"]),
            Route("/dataset", resource, methods=["GET"]),
            Route("/ontology/{version}", versioned, methods=["GET"]),
            Route("/dataset/{version}", versioned, methods=["GET"]),
            Route("/id/{path:path}", resource, methods=["GET"]),
            Route("/query/{path:path}", resource, methods=["GET"])]  # the catalogue's query IRIs

