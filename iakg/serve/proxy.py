"""The engine's client: checked queries sent to the supervised Oxigraph process, what comes back bounded."""

from __future__ import annotations

import asyncio
import urllib.parse

import aiohttp
from starlette.concurrency import run_in_threadpool

from iakg.rdf.safety import BASE_IRI
from iakg.serve.engine import Engine

CANCELLED = b"The SPARQL operation has been cancelled"
#: put before every query the engine runs: relative IRIs resolve against the dataset's base, never against the
#: engine's private URL (a query's own BASE still applies after it); on its own line, after the check
_BASE = f"BASE <{BASE_IRI}>\n"


class Proxy:
    """Sends checked queries to the engine over kept-alive connections and bounds what comes back.

    The client is aiohttp's: measured against the engine on this machine it costs about a tenth of httpx's
    CPU per request (C-accelerated HTTP parser, one write per request), which is most of what the endpoint
    adds to the engine's own latency.
    """

    def __init__(self, engine: Engine, timeout_s: float, max_result_bytes: int):
        self.engine, self.timeout_s, self.max_result_bytes = engine, timeout_s, max_result_bytes
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:  # created on the server's event loop, on first use
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=256, keepalive_timeout=30, enable_cleanup_closed=True),
                timeout=aiohttp.ClientTimeout(total=self.timeout_s + 2, connect=5),
                auto_decompress=False, skip_auto_headers=("User-Agent", "Accept-Encoding"))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def run(self, form: list[tuple[str, str]], accept: str, client: str = "") -> tuple[int, bytes, str]:
        """(status, body, content type) of ``form`` (query and dataset parameters) run by the engine for
        ``client``. A query (or client) that stopped the engine before is refused (403) for a while."""
        text = next((value for name, value in form if name == "query"), "")
        refused = self.engine.refusal(text, client)
        if refused is not None:
            return 403, (refused + "\n").encode(), "text/plain; charset=utf-8"
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
                return 503, b"the query engine is restarting; retry shortly\n", "text/plain; charset=utf-8"
            generation = self.engine.generation
            try:
                return await self._once(self.engine.url, form, accept, generation, (text, client))
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError):
                if self.engine.refusal(text, client) is not None:  # this query is what stopped the engine
                    return 503, (f"the query stopped the engine ({self.engine.last_reason}); it was restarted\n"
                                 .encode()), "text/plain; charset=utf-8"
                if attempt == 0 and generation != self.engine.generation or not self.engine.wait_ready(0):
                    continue  # the engine was being restarted under us (another query's cap): once more
                self.engine.restart("the engine stopped answering", generation)
                return 503, b"the query engine failed and is being restarted; retry\n", "text/plain; charset=utf-8"
        return 503, b"the query engine is restarting; retry shortly\n", "text/plain; charset=utf-8"

    async def _once(self, url: str, form: list[tuple[str, str]], accept: str, generation: int,
                    who: tuple[str, str]) -> tuple[int, bytes, str]:
        cap = self.max_result_bytes
        form = [(name, _BASE + value if name == "query" else value) for name, value in form]
        data = urllib.parse.urlencode(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
        try:
            response = await self.session.post(url, data=data, headers=headers)
        except asyncio.TimeoutError:
            return self._timed_out(generation, who)
        try:
            declared = response.content_length
            if declared is not None and declared > cap:
                response.close()  # the connection is dropped: the engine stops writing
                return self._too_large(cap)
            chunks, size = [], 0
            try:
                async for chunk in response.content.iter_any():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > cap:
                        response.close()
                        return self._too_large(cap)
            except asyncio.TimeoutError:
                response.close()
                return self._timed_out(generation, who)
            body = b"".join(chunks)
        finally:
            response.release()
        kind = response.headers.get("Content-Type", "application/octet-stream")
        if body.endswith(CANCELLED) or (response.status >= 500 and b"timeout" in body.lower()):
            return self._timed_out(generation, who)
        return response.status, body, kind

    @staticmethod
    def _too_large(cap: int) -> tuple[int, bytes, str]:
        return 413, f"result larger than the cap of {cap} bytes; narrow the query (LIMIT)\n".encode(), \
            "text/plain; charset=utf-8"

    def _timed_out(self, generation: int, who: tuple[str, str]) -> tuple[int, bytes, str]:
        # the engine's own cancellation does not always stop the work: restart it so that it really stops
        self.engine.blame([who])  # and the query is refused when sent again, for a while
        self.engine.restart(f"a query exceeded the time cap of {self.timeout_s} s", generation)
        return 503, f"query exceeded the time cap of {self.timeout_s} s\n".encode(), "text/plain; charset=utf-8"
