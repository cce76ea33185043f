"""The server's plain ASGI layers: the request size limit, the access log, the security headers, and the front
layer that answers the SPARQL protocol's routes directly (past the routing and the middleware stack, which
cost about as much as the engine's whole answer to a small query: docs/serving.md)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

access_log = logging.getLogger("iakg.serve.access")
MAX_REQUEST_BYTES = 1_000_000


class RequestLimit:
    """Refuses a body larger than ``limit`` before reading it: a Content-Length that is not a plain
    non-negative number is 400, one over the limit 413; a body without a length is counted as it arrives."""

    def __init__(self, app, limit: int = MAX_REQUEST_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        refused = _refused_length(scope, self.limit)
        if refused is not None:
            return await _plain(send, *refused)
        try:
            await self.app(scope, _bounded(receive, self.limit), send)
        except _TooLarge:
            await _plain(send, 413, f"request body larger than {self.limit} bytes")


def _refused_length(scope, limit: int) -> tuple[int, str] | None:
    """(status, message) when the request's Content-Length is not a plain number (400) or over ``limit`` (413)."""
    lengths = [v for k, v in scope["headers"] if k == b"content-length"]
    if lengths:
        text = lengths[0].decode("latin-1").strip()
        if len(lengths) > 1 or not text.isdigit():
            return 400, "invalid Content-Length"
        if int(text) > limit:
            return 413, f"request body larger than {limit} bytes"
    return None


def _bounded(receive, limit: int):
    """``receive`` raising _TooLarge once the body read passes ``limit`` (a body without a length is counted)."""
    seen = 0

    async def bounded():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge
        return message

    return bounded


class _TooLarge(Exception):
    pass


class Front:
    """The server's outer ASGI layer. A request to a route whose app is marked ``fast`` (the SPARQL protocol:
    ``answer(scope, receive) -> (status, body, content type)``) is answered here directly, with what the
    middleware stack gives the other routes done inline (the body size limit, CORS for simple requests, the
    access log); every other request goes to ``app``, the Starlette app with its middleware. Measured on the
    endpoint's hot path (``ASK {}`` kept alive): the five stacked layers, the routing and the Request/Response
    objects cost about as much as the engine's whole answer (docs/serving.md)."""

    def __init__(self, app, fast: dict[str, Any], limit: int, headers: list[tuple[bytes, bytes]] | None = None):
        self.app, self.fast, self.limit = app, fast, limit
        self.headers = headers or []  #: on every answer of the fast routes too (the security headers)

    async def __call__(self, scope, receive, send):
        handler = self.fast.get(scope["path"]) if scope["type"] == "http" else None
        if handler is None or scope["method"] not in ("GET", "HEAD", "POST"):
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        refused = _refused_length(scope, self.limit)
        if refused is None:
            try:
                status, body, kind = await handler.answer(scope, _bounded(receive, self.limit)
                                                          if scope["method"] == "POST" else receive)
            except _TooLarge:
                refused = 413, f"request body larger than {self.limit} bytes"
        if refused is not None:
            await _plain(send, *refused, self.headers)
            status, body = refused[0], b""
        else:
            await send({"type": "http.response.start", "status": status, "headers": [
                (b"content-type", kind.encode("latin-1")), (b"content-length", str(len(body)).encode()),
                *handler.HEADERS, *self.headers]})
            await send({"type": "http.response.body", "body": body})
        if access_log.isEnabledFor(logging.INFO):
            _log(scope, status, len(body), start)


def _log(scope, status: int, size: int, start: float) -> None:
    access_log.info(json.dumps({
        "method": scope["method"], "path": scope["path"], "status": status or 500, "bytes": size,
        "ms": round((time.perf_counter() - start) * 1000, 2),
        "client": (scope.get("client") or ("", 0))[0]}, separators=(",", ":")))


async def _plain(send, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = (message + "\n").encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Every response carries the pages' Content-Security-Policy (no inline script, connections to this site
    and the editor's endpoint only, no framing) and ``X-Content-Type-Options: nosniff``."""

    def __init__(self, app, policy: str):
        self.app = app
        self.headers = [(b"content-security-policy", policy.encode()), (b"x-content-type-options", b"nosniff")]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def secured(message):
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in self.headers if k not in names)]
            await send(message)

        await self.app(scope, receive, secured)


class AccessLog:
    """One JSON line per request on logger ``iakg.serve.access``: method, path, status, bytes, ms."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start, status, size = time.perf_counter(), 0, 0

        async def counting(message):
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                _log(scope, status, size, start)
