"""The ``cds`` route group: CDS Hooks 2.0 discovery, hook calls and feedback over HTTP (docs/cds-hooks.md).

Mounted only when the serving options ask for it (``ServeOptions(cds=True)``, ``iakg serve --cds``), with their
``cds_mapping`` (site mapping file), ``cds_feedback_log`` (JSONL path) and ``cds_max_body_bytes`` (default
2 MB). The decision logic is ``iakg.cds``; this module moves bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from iakg.errors import CdsRequestError, KGError
from iakg.serve.routes import ServeContext, route_group
from iakg.version import __version__

if TYPE_CHECKING:
    from iakg.cds import CdsService

_CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Content-Type, Authorization",
         "Access-Control-Allow-Methods": "GET, POST, OPTIONS"}


def _release() -> str:
    return f"iakg graph release {__version__}"


def service(ctx: ServeContext) -> CdsService:
    """The CDS service of a serving context (mapping and feedback log from its options)."""
    from iakg.cds import CdsService, load_mapping  # imported when the group is mounted (`iakg serve --cds`)

    mapping = load_mapping(ctx.options.cds_mapping)
    cds = CdsService(ctx.graph.engine, ctx.base_url, _release(), mapping, ctx.options.cds_feedback_log)
    if cds.feedback_problem is not None:  # checked at start: said once, and feedback gets 503 (never a 500)
        import logging

        logging.getLogger("iakg.serve").warning("iakg: warning: CDS feedback will not be recorded: %s",
                                                cds.feedback_problem)
    return cds


@route_group("cds")
def cds_routes(ctx: ServeContext) -> Sequence[BaseRoute]:
    if not ctx.options.cds:  # asked for: `iakg serve --cds`, ServeOptions(cds=True)
        return []
    from iakg.cds import codesystem

    cds = service(ctx)
    limit = ctx.options.cds_max_body_bytes

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status, headers=_CORS)

    async def body(request: Request) -> Any:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise CdsRequestError(413, f"request body over {limit} bytes")
        data = b""
        async for chunk in request.stream():
            data += chunk
            if len(data) > limit:
                raise CdsRequestError(413, f"request body over {limit} bytes")
        try:
            return json.loads(data)
        except ValueError as exc:  # not JSON, not UTF-8, or a number past Python's 4,300-digit conversion limit
            raise CdsRequestError(400, f"the body is not usable JSON: {exc}") from None
        except RecursionError:
            raise CdsRequestError(400, "the body is nested too deeply") from None

    async def discovery(request: Request) -> Response:
        return JSONResponse(cds.discovery(), headers=_CORS)

    async def call(request: Request) -> Response:
        try:
            answer = await run_in_threadpool(cds.call, request.path_params["id"], await body(request))
        except CdsRequestError as exc:
            return error(exc.status, str(exc))
        except KGError as exc:  # the graph could not answer (e.g. a remote endpoint is down)
            return error(503, str(exc))
        return JSONResponse(answer, headers=_CORS)

    async def feedback(request: Request) -> Response:
        try:
            answer = await run_in_threadpool(cds.feedback, request.path_params["id"], await body(request))
        except CdsRequestError as exc:
            return error(exc.status, str(exc))
        return JSONResponse(answer, headers=_CORS)

    async def options(request: Request) -> Response:
        return Response(status_code=204, headers=_CORS)

    facts_codesystem = codesystem(cds.view.facts(), _release().rsplit(" ", 1)[-1])

    async def patient_facts(request: Request) -> Response:
        return JSONResponse(facts_codesystem, media_type="application/fhir+json")

    return [
        Route("/cds-services", discovery, methods=["GET"]),
        Route("/cds-services", options, methods=["OPTIONS"]),
        Route("/cds-services/{id}", call, methods=["POST"]),
        Route("/cds-services/{id}/feedback", feedback, methods=["POST"]),
        Route("/cds-services/{id:path}", options, methods=["OPTIONS"]),
        Route("/fhir/CodeSystem/patient-facts", patient_facts, methods=["GET"]),
    ]
