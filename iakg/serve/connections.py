"""Connection limits of ``iakg serve``: uvicorn's HTTP protocol (httptools), with bounds it does not set itself.

uvicorn closes a kept-alive connection idle between requests (``timeout_keep_alive``), but a connection that
sends nothing, or a request head that never ends, stayed open for ever; a request head had no size bound
(a 100 MB header was read); and one client could hold every connection the server accepts (1,024 idle
connections locked every other client out with 503). Here, per connection:

- a request head (request line and headers) must arrive within ``head_timeout_s`` of the connection's
  opening or of the request's first byte, and a request body within ``body_timeout_s`` of its head: else
  the connection is closed (a connection that sends nothing is closed after ``head_timeout_s``);
- a request head longer than ``max_head_bytes`` gets 431 and the connection is closed, before more is read;
- a client (an IP address) holds at most ``per_client`` connections at once: one more gets 429 and is
  closed, so one client cannot take the connections every other client needs.

Everything else (parsing, keep-alive, flow control, the ASGI cycle) is uvicorn's own code, subclassed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    head_timeout_s: float = 5.0
    body_timeout_s: float = 10.0
    max_head_bytes: int = 64 * 1024
    per_client: int = 32


def protocol(limits: Limits) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with ``limits`` (a class of its own, with its own count of connections
    by client: give it to ``uvicorn.Config(http=...)``)."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    open_by_client: dict[str, int] = {}

    class Bounded(HttpToolsProtocol):
        _host = ""
        _counted = False
        _timer: asyncio.TimerHandle | None = None
        _in_head = True  # between requests, or reading a request's head
        _head_bytes = 0
        _tail = b""  # the last bytes of the head so far (its end, CRLF CRLF, may straddle two reads)

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._host = self.client[0] if self.client else ""
            open_by_client[self._host] = open_by_client.get(self._host, 0) + 1
            self._counted = True
            if open_by_client[self._host] > limits.per_client:
                self._refuse(429, f"more than {limits.per_client} connections from one client")
                return
            self._arm(limits.head_timeout_s)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._counted:
                self._counted = False
                left = open_by_client.get(self._host, 1) - 1
                if left > 0:
                    open_by_client[self._host] = left
                else:
                    open_by_client.pop(self._host, None)
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._in_head:  # measured before the parser reads it: a head over the bound is never parsed
                if self._timer is None:  # the first byte of a request after a kept-alive pause
                    self._arm(limits.head_timeout_s)
                seen = self._tail + data
                end = seen.find(b"\r\n\r\n")
                size = self._head_bytes + (len(data) if end < 0 else end + 4 - len(self._tail))
                if size > limits.max_head_bytes:
                    self._refuse(431, f"request head larger than {limits.max_head_bytes} bytes")
                    return
                self._head_bytes += len(data)
                self._tail = seen[-3:]
            super().data_received(data)

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._disarm()
            self._arm(limits.body_timeout_s)  # until the whole body is in (at once for a request without one)
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._disarm()
            self._in_head, self._head_bytes, self._tail = True, 0, b""  # the next request's head afresh
            super().on_message_complete()

        def _arm(self, seconds: float) -> None:
            self._disarm()
            self._timer = self.loop.call_later(seconds, self._expired)

        def _disarm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _expired(self) -> None:
            self._timer = None
            if not self.transport.is_closing():
                if self._in_head and self._head_bytes:
                    self._refuse(408, "the request did not arrive in time")
                else:
                    self.transport.close()

        def _refuse(self, status: int, message: str) -> None:
            self._disarm()
            phrase = {408: "Request Timeout", 429: "Too Many Requests",
                      431: "Request Header Fields Too Large"}[status]
            body = (message + "\n").encode()
            self.transport.write(f"HTTP/1.1 {status} {phrase}\r\ncontent-type: text/plain; charset=utf-8\r\n"
                                 f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode() + body)
            self.transport.close()

    return Bounded
