"""The query engine of ``iakg serve``: an Oxigraph server process, supervised.

User queries run in a separate process (``oxigraph serve-read-only`` on a private loopback port) because a
process can be killed: a query over its time or memory cap is stopped by restarting the engine, which
opens the same read-only store again in a fraction of a second. A supervisor thread restarts the engine
when it dies or grows past its memory cap; if it cannot be brought back, ``on_fatal`` is called (the
command exits non-zero so that systemd, a container runtime or any supervisor restarts it). The engine's
output is read line by line and logged (logger ``iakg.serve.engine``), never left in a pipe to fill.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from iakg.errors import KGError
from iakg.serve.sandbox import no_outgoing_connections

log = logging.getLogger("iakg.serve.engine")

BAN_S = 600  #: a query that stopped the engine is refused for this long; a client with MAX_STRIKES such, too
MAX_STRIKES = 3
MAX_REMEMBERED = 4096  #: bound of the tables of answered and refused queries


def oxigraph_executable() -> str:
    """The ``oxigraph`` server command installed beside this Python, or on PATH."""
    beside = Path(sys.executable).with_name("oxigraph")
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        raise KGError("the Oxigraph server is not installed: pip install oxigraph")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def load_store(nquads: Path, location: Path) -> None:
    """Bulk-load an N-Quads file into an on-disk Oxigraph store at ``location``."""
    loaded = subprocess.run([oxigraph_executable(), "load", "--location", str(location), "--file", str(nquads)],
                            capture_output=True, text=True, timeout=3600)
    if loaded.returncode != 0:
        raise KGError(f"oxigraph load failed: {loaded.stderr[-1000:]}")


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (Linux /proc; 0 where unknown)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


class Engine:
    """A supervised ``oxigraph serve-read-only`` over the store at ``location``.

    ``generation`` grows by one at every (re)start; ``restart(reason)`` kills the running process (and with
    it every query it computes) and starts a new one. ``max_memory_bytes`` (0: no cap) is watched every
    ``poll_s``. Restarts a client caused (a cap, an exit while queries ran) never stop the service: only
    ``max_restarts`` restarts no client caused within ``window_s`` seconds (the engine exiting with nothing
    running, or failing to start) give up and call ``on_fatal``.
    """

    def __init__(self, location: Path, timeout_s: float, max_memory_bytes: int = 0,
                 on_fatal: Callable[[str], None] | None = None, poll_s: float = 0.1,
                 max_restarts: int = 20, window_s: float = 60.0, wait: bool = True, sandbox: bool = True):
        self.location = location
        self.sandbox = sandbox
        self.timeout_s = timeout_s
        self.max_memory_bytes = max_memory_bytes
        self.on_fatal = on_fatal
        self.poll_s = poll_s
        self.max_restarts, self.window_s = max_restarts, window_s
        self.generation = 0
        self.restarts: list[float] = []
        self.last_reason = ""
        self.process: subprocess.Popen | None = None
        self.url = ""
        self._lock = threading.RLock()
        self._ready = threading.Event()
        self._wake = threading.Event()
        self._pending: tuple[str, int] | None = None
        self._stopping = False
        self._failed: BaseException | None = None
        # what clients run, so that a restart they cause is theirs: it never counts towards giving up, and the
        # query that caused it (and a client that keeps causing them) is refused for a while (see blame)
        self._running: dict[int, tuple[str, str]] = {}  # token -> (query text, client)
        self._next_token = 0
        self._answered: dict[int, None] = {}  # hashes of texts answered before (never blamed for a cap)
        self._banned: dict[str, float] = {}  # query text -> until (monotonic)
        self._strikes: dict[str, list[float]] = {}  # client -> times its queries caused a restart
        self._failures: list[float] = []  # restarts no client caused (an exit with no query running, a failed start)
        # every engine is started by the supervisor thread, which lives as long as the server: the kernel's
        # parent-death signal is tied to the thread that forked, not to the process
        self._watch = threading.Thread(target=self._supervise, name="iakg-engine-supervisor", daemon=True)
        self._watch.start()
        if wait:
            self.started()

    def started(self) -> None:
        """Wait for the first start of the engine (raising why it failed, if it did)."""
        self._ready.wait()
        if self._failed is not None:
            raise self._failed

    # ------------------------------------------------------------------ life cycle
    def _start(self) -> None:
        port = free_port()
        confine = no_outgoing_connections() if self.sandbox else None
        process = subprocess.Popen(
            [oxigraph_executable(), "serve-read-only", "--location", str(self.location),
             "--bind", f"127.0.0.1:{port}", "--union-default-graph",
             "--timeout-s", str(max(1, round(self.timeout_s)))],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if confine is None else _then(_die_with_parent, confine))
        threading.Thread(target=_drain, args=(process,), name=f"iakg-engine-log-{process.pid}", daemon=True).start()
        url = f"http://127.0.0.1:{port}/query"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    process.wait()
                    raise KGError(f"the Oxigraph engine did not start (exit {process.returncode}); "
                                  "see the log lines above") from None
                time.sleep(0.005)
        self.process, self.url = process, url
        self.generation += 1
        self._ready.set()
        log.info("engine %d ready (pid %d) at %s", self.generation, process.pid, url)

    # ------------------------------------------------------------------ what clients run
    def begin(self, text: str, client: str) -> int:
        """Note that ``client`` runs ``text``; :meth:`end` with the token returned."""
        with self._lock:
            self._next_token += 1
            self._running[self._next_token] = (text, client)
            return self._next_token

    def end(self, token: int, answered: bool) -> None:
        with self._lock:
            text, _ = self._running.pop(token, ("", ""))
            if answered and text:
                if len(self._answered) >= MAX_REMEMBERED:
                    self._answered.clear()
                self._answered[hash(text)] = None

    def refusal(self, text: str, client: str) -> str | None:
        """Why ``text`` from ``client`` is refused now (it caused a restart, or the client keeps causing them),
        or None."""
        now = time.monotonic()
        with self._lock:
            until = self._banned.get(text)
            if until is not None and until > now:
                return (f"this query stopped the engine (past its memory or time cap) less than "
                        f"{BAN_S // 60} minutes ago; it is refused until then: narrow it")
            strikes = [t for t in self._strikes.get(client, ()) if now - t < BAN_S]
            if len(strikes) >= MAX_STRIKES:
                return (f"queries from this client stopped the engine {len(strikes)} times in "
                        f"{BAN_S // 60} minutes; its queries are refused for a while")
        return None

    def blame(self, texts: list[tuple[str, str]]) -> None:
        """A restart caused by these (query text, client): each text is refused for BAN_S, each client gets a
        strike. Texts answered before are not blamed (another query running at the same time is the cause)."""
        now = time.monotonic()
        with self._lock:
            if len(self._banned) >= MAX_REMEMBERED:
                self._banned = {t: u for t, u in self._banned.items() if u > now}
            for text, client in texts:
                if hash(text) in self._answered:
                    continue
                self._banned[text] = now + BAN_S
                if client:
                    self._strikes.setdefault(client, []).append(now)
                    self._strikes[client] = self._strikes[client][-MAX_STRIKES:]
            if len(self._strikes) >= MAX_REMEMBERED:
                self._strikes = {c: t for c, t in self._strikes.items() if t and now - t[-1] < BAN_S}

    def _running_now(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._running.values())

    def restart(self, reason: str, generation: int | None = None) -> None:
        """Ask for the engine to be killed (stopping every query it runs) and started again; ``generation``,
        if given, is the one the caller saw: a restart someone else already asked for is not repeated."""
        with self._lock:
            if self._stopping or (generation is not None and generation != self.generation):
                return
            if self._pending is None:
                self._ready.clear()
                self._pending = (reason, self.generation)
        self._wake.set()

    def _do_restart(self, reason: str, by_client: bool = True) -> None:
        """Restart the engine. A restart a client caused (a cap, or an exit while queries ran) never counts
        towards giving up: only restarts no client caused do (an exit with nothing running, a failed start)."""
        self.last_reason = reason
        log.warning("restarting the engine: %s", reason)
        self._kill()
        now = time.monotonic()
        self.restarts = [t for t in self.restarts if now - t < self.window_s] + [now]
        if not by_client:
            self._failures = [t for t in self._failures if now - t < self.window_s] + [now]
        if len(self._failures) > self.max_restarts:
            self._fatal(f"the engine failed {len(self._failures)} times in {self.window_s:.0f} s with no "
                        "query running")
            return
        for attempt in range(self.max_restarts + 1):
            try:
                self._start()
                return
            except KGError as exc:
                self._failures.append(time.monotonic())
                if attempt == self.max_restarts or self._stopping:
                    self._fatal(str(exc))
                    return
                time.sleep(min(0.1 * 2 ** attempt, 2.0))

    def _fatal(self, message: str) -> None:
        log.error("giving up: %s", message)
        self._stopping = True
        if self.on_fatal is not None:
            self.on_fatal(message)

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._ready.clear()
        self._wake.set()
        self._watch.join(timeout=15)
        self._kill_on_stop()

    def rss(self) -> int:
        return rss_bytes(self.process.pid) if self.process is not None else 0

    # ------------------------------------------------------------------ supervision
    def _supervise(self) -> None:
        try:
            self._start()
        except BaseException as exc:
            self._failed, self._stopping = exc, True
            self._ready.set()
            return
        while not self._stopping:
            self._wake.wait(self.poll_s)
            self._wake.clear()
            if self._stopping:
                break
            with self._lock:
                pending, self._pending = self._pending, None
            process, generation = self.process, self.generation
            if pending is not None:
                self._do_restart(pending[0])
            elif process is not None and process.poll() is not None:
                self._ready.clear()
                running = self._running_now()
                self.blame(running)  # a query that makes the engine exit is refused when sent again
                self._do_restart(f"the engine exited with status {process.returncode}", by_client=bool(running))
            elif process is not None and self.max_memory_bytes and rss_bytes(process.pid) > self.max_memory_bytes:
                self._ready.clear()
                self.blame(self._running_now())  # the query that blew the cap is refused when sent again
                self._do_restart(f"a query exceeded the memory cap of {self.max_memory_bytes // 2**20} MB")
            del generation
        self._kill_on_stop()

    def _kill_on_stop(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _drain(process: subprocess.Popen) -> None:
    """Read the engine's output to its end, one log record a line (a full pipe would block the engine)."""
    assert process.stdout is not None
    for raw in process.stdout:
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            log.info("engine %d: %s", process.pid, line[:2000])
    process.stdout.close()


def _then(first: Callable[[], None], second: Callable[[], None]) -> Callable[[], None]:
    def both() -> None:
        first()
        second()
    return both


def _die_with_parent() -> None:
    """In the engine's process: on Linux, ask for SIGKILL when the parent dies (even by kill -9)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass
