"""The endpoint's client of its engine keeps connections alive: a pool of idle ones may all be stale at once (the
engine closed them, or they lead to an engine that was restarted). One stale connection must never read as "the
engine is gone": that restarted a healthy engine and answered 503 "the query engine failed" (seen in CI under load,
tests/test_serve.py). Here the engine is a small HTTP server answering one request per connection although it
says keep-alive, so every idle connection is stale."""

from __future__ import annotations

import asyncio

from iakg.serve.proxy import Proxy

BODY = b'{"head":{},"boolean":true}'


class OneRequestServer:
    """Answers the first request of each connection (keep-alive), closes on the second without answering."""

    def __init__(self) -> None:
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        answered = False
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            await reader.readexactly(length)
            if answered:
                writer.close()
                return
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                         b"Connection: keep-alive\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
            await writer.drain()
            answered = True


class Engine:
    """What the proxy asks of the supervised engine; it records restarts."""

    def __init__(self, url: str) -> None:
        self.url, self.generation, self.last_reason, self.restarts = url, 1, "", []

    def wait_ready(self, timeout: float) -> bool:
        return True

    def refusal(self, text: str, client: str) -> None:
        return None

    def begin(self, text: str, client: str) -> int:
        return 0

    def end(self, token: int, answered: bool) -> None:
        pass

    def blame(self, who: list) -> None:
        pass

    def restart(self, reason: str, generation: int | None = None) -> None:
        self.restarts.append(reason)


def test_a_pool_of_stale_connections_is_not_an_engine_gone():
    async def scenario() -> tuple[list[int], list[str], int]:
        fake = OneRequestServer()
        server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        engine = Engine(f"http://127.0.0.1:{port}/query")
        proxy = Proxy(engine, timeout_s=5, max_result_bytes=10_000)  # type: ignore[arg-type]
        form = [("query", "ASK {}")]
        # three at once: three connections, each answered once, then idle in the pool (all stale)
        await asyncio.gather(*(proxy.run(form, "application/sparql-results+json") for _ in range(3)))
        statuses = [(await proxy.run(form, "application/sparql-results+json"))[0] for _ in range(3)]
        await proxy.close()
        server.close()
        await server.wait_closed()
        return statuses, engine.restarts, fake.connections

    statuses, restarts, connections = asyncio.run(scenario())
    assert statuses == [200, 200, 200] and restarts == []
    assert connections >= 6  # every later query needed a new connection, none was taken for a dead engine
