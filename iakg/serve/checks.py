"""The query check of ``iakg serve`` in worker processes, each check bounded in time.

rdflib's SPARQL grammar (pyparsing) takes seconds on adversarial shapes (a 16 kB ``<f>(1,1,...)`` took 13.5 s)
and parses one text at a time per process. In process, one such query held every other client's check. Here
each check runs in a pool of worker processes (pebble: a worker past its time limit is killed and replaced),
so a slow check holds one worker for at most ``timeout_s`` and the others go on (a client has at most
``PER_CLIENT`` checks running at once: its own slow ones never take every worker); a text whose check ran out of
time is refused (400) and remembered, so sending it again costs nothing. Verdicts are remembered by text in
this process (:mod:`iakg.rdf.safety`): a repeated query never reaches the pool.

Workers are forked from a forkserver (a clean single-threaded process that has imported the grammar once), never
from the server's own threads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
from typing import Any

from iakg.catalogue import internal
from iakg.errors import QueryError
from iakg.rdf import safety

#: modules a worker needs, imported once in the forkserver so that a new worker starts in milliseconds
#: checks of one client that run at once (its others wait): a client's slow checks never take every worker
PER_CLIENT = 2
PRELOAD = ["iakg.rdf.safety", "iakg.rdf.sparql_text", "iakg.rdf.sparql_errors", "rdflib.plugins.sparql.parser"]


def _warm() -> None:
    """In a new worker: the grammar is built (it was imported by the forkserver)."""
    safety.verdict_of(internal("parser-warm-up"))


class CheckPool:
    """``await pool.check(text)``: the form of a prepared query text, or its refusal raised (RefusedQuery,
    QueryError), computed in a worker process within ``timeout_s`` seconds."""

    def __init__(self, workers: int = 2, timeout_s: float = 5.0):
        from pebble import ProcessPool

        context: Any = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        self.timeout_s = timeout_s
        self.pool = ProcessPool(max_workers=workers, initializer=_warm, context=context)
        self._running: dict[str, concurrent.futures.Future] = {}
        self._turns: dict[str, list] = {}  # client -> [its semaphore, how many of its checks wait or run]

    def warm(self) -> None:
        """Start the workers now (the first query should not pay for them)."""
        self.pool.schedule(safety.verdict_of, args=(internal("parser-warm-up"),)).result(timeout=120)

    async def check(self, query: str, client: str = "") -> str:
        form = safety.cached_verdict(query)  # raises a remembered refusal
        if form is not None:
            return form
        turn = self._turns.get(client)
        if turn is None:
            turn = self._turns[client] = [asyncio.Semaphore(PER_CLIENT), 0]
        turn[1] += 1
        try:
            async with turn[0]:  # a client's own checks wait for each other, never for another client's
                return await self._check(query)
        finally:
            turn[1] -= 1
            if not turn[1]:
                self._turns.pop(client, None)

    async def _check(self, query: str) -> str:
        form = safety.cached_verdict(query)
        if form is not None:
            return form
        future = self._running.get(query)  # the same text sent by several clients at once: checked once
        if future is None:
            future = self.pool.schedule(safety.verdict_of, args=(query,), timeout=self.timeout_s)
            self._running[query] = future
            future.add_done_callback(lambda done: self._running.pop(query, None))
        try:
            verdict = await asyncio.wrap_future(future)
        except (concurrent.futures.TimeoutError, TimeoutError):
            verdict = ("invalid", f"the query could not be checked within {self.timeout_s:g} s (the check "
                                  "parses it first); simplify it", None)
        except concurrent.futures.CancelledError:
            raise
        except Exception as exc:  # a worker that died (killed, out of memory): this text is not run
            raise QueryError(f"the query check failed ({type(exc).__name__}); retry") from None
        safety.remember(query, verdict)
        return safety.check_query(query)

    def close(self) -> None:
        self.pool.stop()
        self.pool.join(timeout=5)
