"""The engine's client: checked queries sent to the supervised Oxigraph process, what comes back bounded.

The client is a kept-alive HTTP/1.1 connection per concurrent request, on asyncio, whose answers are read by
httptools (the C parser uvicorn reads requests with). It replaces aiohttp's client, which cost 0.13 ms of CPU
a request against the engine's 0.02 ms here: the general client (cookies, redirects, tracing, a stream reader
per response) did nothing this one request shape needs. See docs/serving.md for the figures.
"""

from __future__ import annotations

import asyncio
import functools
import urllib.parse

import httptools
from starlette.concurrency import run_in_threadpool

from iakg.rdf.safety import BASE_IRI
from iakg.rdf.sparql_errors import engine_error
from iakg.serve.engine import Engine

CANCELLED = b"The SPARQL operation has been cancelled"
TEXT = "text/plain; charset=utf-8"
#: put before every query the engine runs: relative IRIs resolve against the dataset's base, never against the
#: engine's private URL (a query's own BASE still applies after it); on its own line, after the check
_BASE = f"BASE <{BASE_IRI}>\n"
MAX_IDLE = 256  #: kept-alive connections to the engine kept open between requests (more are closed after use)


class EngineGone(ConnectionError):
    """The engine closed the connection (or sent what is not HTTP) before its answer was whole."""


class _TooLarge(Exception):
    pass


class _Connection(asyncio.Protocol):
    """One kept-alive connection to the engine: one request at a time, its answer gathered up to ``cap``."""

    def __init__(self, cap: int):
        self.cap = cap
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future | None = None
        self.kind = b"application/octet-stream"
        self.chunks: list[bytes] = []
        self.size = 0
        self.open = False
        self.reusable = False
        self.over = False  #: the answer passed the cap

    # ------------------------------------------------------------------ asyncio.Protocol
    def connection_made(self, transport) -> None:
        self.transport, self.open = transport, True

    def connection_lost(self, exc) -> None:
        self.open = False
        self._fail(EngineGone("the engine closed the connection"))

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # never asked for
            self._fail(EngineGone("the engine answered with a protocol upgrade"))
        except httptools.HttpParserError as exc:  # a callback's exception comes wrapped in one
            self._fail(_TooLarge() if self.over else EngineGone(f"the engine's answer is not HTTP: {exc}"))

    # ------------------------------------------------------------------ httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"content-type":
            self.kind = value
        elif name.lower() == b"content-length" and value.strip().isdigit() and int(value) > self.cap:
            self.over = True
            raise _TooLarge  # stops the parser; the connection is dropped: the engine stops writing

    def on_body(self, body: bytes) -> None:
        self.size += len(body)
        if self.size > self.cap:
            self.over = True
            raise _TooLarge
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.reusable = self.parser.should_keep_alive()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((self.parser.get_status_code(), b"".join(self.chunks), self.kind))

    # ------------------------------------------------------------------ use
    def _fail(self, exc: BaseException) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.close()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    def send(self, request: bytes) -> asyncio.Future:
        """Send ``request`` (whole, one write); the future of (status, body, content type)."""
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.kind, self.chunks, self.size, self.reusable, self.over = b"application/octet-stream", [], 0, False, False
        self.transport.write(request)
        return self.waiter

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.close()


@functools.lru_cache(maxsize=8)
def _parts(url: str) -> tuple[str, str, str, int]:
    """(path, host:port, host, port) of the engine's URL."""
    parts = urllib.parse.urlsplit(url)
    return parts.path, parts.netloc, parts.hostname or "127.0.0.1", parts.port or 80


class Proxy:
    """Sends checked queries to the engine over kept-alive connections and bounds what comes back: in time
    (``timeout_s``, past which the engine is restarted) and in size (``max_result_bytes``)."""

    def __init__(self, engine: Engine, timeout_s: float, max_result_bytes: int):
        self.engine, self.timeout_s, self.max_result_bytes = engine, timeout_s, max_result_bytes
        self._idle: list[_Connection] = []
        self._idle_url = ""  # the engine the idle connections lead to (a restart moves it to another port)

    async def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()

    async def run(self, form: list[tuple[str, str]], accept: str, client: str = "") -> tuple[int, bytes, str]:
        """(status, body, content type) of ``form`` (query and dataset parameters) run by the engine for
        ``client``. A query (or client) that stopped the engine before is refused (403) for a while."""
        text = next((value for name, value in form if name == "query"), "")
        refused = self.engine.refusal(text, client)
        if refused is not None:
            return 403, (refused + "\n").encode(), TEXT
        token = self.engine.begin(text, client)
        answer = (503, b"", "")
        try:
            answer = await self._run(form, accept, text, client)
            return answer
        finally:
            self.engine.end(token, answered=answer[0] == 200)

    async def _run(self, form: list[tuple[str, str]], accept: str, text: str,
                   client: str) -> tuple[int, bytes, str]:
        for attempt in range(2):
            if not self.engine.wait_ready(0) and not await run_in_threadpool(self.engine.wait_ready, 15):
                return 503, b"the query engine is restarting; retry shortly\n", TEXT
            generation = self.engine.generation
            try:
                return await self._once(self.engine.url, form, accept, generation, (text, client))
            except OSError:
                if self.engine.refusal(text, client) is not None:  # this query is what stopped the engine
                    return 503, (f"the query stopped the engine ({self.engine.last_reason}); it was restarted\n"
                                 .encode()), TEXT
                if attempt == 0 and generation != self.engine.generation or not self.engine.wait_ready(0):
                    continue  # the engine was being restarted under us (another query's cap): once more
                self.engine.restart("the engine stopped answering", generation)
                return 503, b"the query engine failed and is being restarted; retry\n", TEXT
        return 503, b"the query engine is restarting; retry shortly\n", TEXT

    async def _connection(self, url: str, host: str, port: int, reuse: bool = True) -> tuple[_Connection, bool]:
        """A kept-alive connection to the engine at ``url`` (an idle one if there is one and ``reuse``), and
        whether it was."""
        if self._idle_url != url:
            await self.close()
            self._idle_url = url
        while reuse and self._idle:
            connection = self._idle.pop()
            if connection.open:
                return connection, True
        loop = asyncio.get_running_loop()
        _, connection = await asyncio.wait_for(
            loop.create_connection(lambda: _Connection(self.max_result_bytes), host, port), 5)
        return connection, False

    async def _once(self, url: str, form: list[tuple[str, str]], accept: str, generation: int,
                    who: tuple[str, str]) -> tuple[int, bytes, str]:
        path, netloc, host, port = _parts(url)
        # the query as the body (application/sparql-query): no percent-encoding of a 4 kB text (0.25 ms a
        # request in Python); the dataset parameters, if any, in the URL, as the protocol has them. The base
        # line first: relative IRIs resolve against the dataset's base, never the engine's private URL
        query = next(value for name, value in form if name == "query")
        data = (_BASE + query).encode("utf-8")
        dataset = [(name, value) for name, value in form if name != "query"]
        target = path + ("?" + urllib.parse.urlencode(dataset) if dataset else "")
        request = (f"POST {target} HTTP/1.1\r\nHost: {netloc}\r\n"
                   f"Content-Type: application/sparql-query\r\nAccept: {accept}\r\n"
                   f"Content-Length: {len(data)}\r\n\r\n").encode("latin-1") + data
        for fresh in (False, True):
            # the retry is on a new connection: the idle ones may all be stale (the engine closed them, or
            # they belong to one that was restarted), and a second stale one must not read as "engine gone"
            connection, reused = await self._connection(url, host, port, reuse=not fresh)
            loop = asyncio.get_running_loop()
            started = loop.time()
            timer = loop.call_later(self.timeout_s + 2, connection.close)
            try:
                status, body, kind = await connection.send(request)
            except _TooLarge:
                return self._too_large(self.max_result_bytes)
            except EngineGone:
                # gone past the time cap: the engine's own cancellation (it may drop the connection instead of
                # answering "timeout", under load most often) or this proxy's timer; either way the time cap
                if loop.time() - started >= self.timeout_s:
                    return self._timed_out(generation, who)
                if reused and not fresh:
                    await self.close()  # the others idle beside it are as likely stale
                    continue  # an idle connection the engine had closed meanwhile: once more on a new one
                raise
            finally:
                timer.cancel()
            if connection.reusable and len(self._idle) < MAX_IDLE:
                self._idle.append(connection)
            else:
                connection.close()
            text = kind.decode("latin-1")
            if status == 400:  # the engine's parse error, at the client's line (not the base line's), one line
                said = engine_error(body.decode("utf-8", "replace"), _BASE + query, query,
                                    lambda at: at - len(_BASE))
                if said is not None:
                    return 400, f"{said}\n".encode(), TEXT
            if body.endswith(CANCELLED) or (status >= 500 and b"timeout" in body.lower()):
                return self._timed_out(generation, who)
            return status, body, text
        raise EngineGone("the engine closed the connection")

    @staticmethod
    def _too_large(cap: int) -> tuple[int, bytes, str]:
        return 413, f"result larger than the cap of {cap} bytes; narrow the query (LIMIT)\n".encode(), TEXT

    def _timed_out(self, generation: int, who: tuple[str, str]) -> tuple[int, bytes, str]:
        # the engine's own cancellation does not always stop the work: restart it so that it really stops
        self.engine.blame([who])  # and the query is refused when sent again, for a while
        self.engine.restart(f"a query exceeded the time cap of {self.timeout_s} s", generation)
        return 503, f"query exceeded the time cap of {self.timeout_s} s\n".encode(), TEXT
