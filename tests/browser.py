"""Helpers of the browser tests: the pages served by uvicorn on a free loopback port, and Debian's chromium
run headless (dump the DOM, take a screenshot). Screenshots go to ``artifacts/`` (git-ignored; CI keeps it)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--force-device-scale-factor=1"]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """Headless chromium with one profile for the test module (one user-data-dir, removed at the end)."""

    def __init__(self) -> None:
        self.exe = chromium()
        self.profile = tempfile.mkdtemp(prefix="iakg-chromium-")

    def _run(self, url: str, *extra: str, budget_ms: int = 5000) -> subprocess.CompletedProcess:
        return subprocess.run([self.exe, *FLAGS, f"--user-data-dir={self.profile}",
                               f"--virtual-time-budget={budget_ms}", *extra, url],
                              capture_output=True, text=True, timeout=120)

    def dom(self, url: str, width: int = 1280, height: int = 900, budget_ms: int = 5000, *extra: str) -> str:
        """The DOM after the page's scripts ran (for up to ``budget_ms`` of virtual time)."""
        done = self._run(url, "--dump-dom", f"--window-size={width},{height}", *extra, budget_ms=budget_ms)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    def screenshot(self, url: str, out: Path, width: int, height: int) -> Path:
        out.parent.mkdir(parents=True, exist_ok=True)
        done = self._run(url, f"--screenshot={out}", f"--window-size={width},{height}")
        assert done.returncode == 0 and out.is_file(), done.stderr[-2000:]
        return out

    def close(self) -> None:
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """One headless chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: no port,
    nothing else can connect): open a URL at a given window width, run JavaScript in it, take a screenshot of
    the whole page. Used as a context manager; one browser for many pages."""

    def __init__(self) -> None:
        import os

        self.profile = tempfile.mkdtemp(prefix="iakg-chromium-")
        ours_in, theirs_out = os.pipe()  # chromium reads commands on its fd 3 and writes answers on its fd 4
        theirs_in, ours_out = os.pipe()
        self.process = subprocess.Popen(
            [chromium(), *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=lambda: (os.dup2(theirs_in, 3), os.dup2(theirs_out, 4)))
        os.close(theirs_in)
        os.close(theirs_out)
        self._write, self._read = os.fdopen(ours_out, "wb", buffering=0), os.fdopen(ours_in, "rb", buffering=0)
        self._buffer, self._next, self.events = b"", 0, []  # type: ignore[var-annotated]
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session=True)

    def call(self, method: str, session: bool = False, **params) -> dict:
        import json

        self._next += 1
        message = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self._write.write(json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive()
            if answer.get("id") == self._next:
                assert "error" not in answer, f"{method}: {answer['error']}"
                return answer.get("result", {})
            self.events.append(answer)

    def _receive(self, timeout: float = 60) -> dict:
        import json
        import select

        while b"\0" not in self._buffer:
            assert timeout > 0 and select.select([self._read], [], [], timeout)[0], "chromium did not answer in time"
            chunk = self._read.read(1 << 16)
            assert chunk, "chromium closed its DevTools pipe"
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, url: str, width: int = 1280, height: int = 900, wait_for: str | None = None,
             timeout: float = 30) -> None:
        """Load ``url`` in a window ``width`` x ``height`` (a phone's viewport below 500 px: the page's meta
        viewport applies); then wait until the JavaScript expression ``wait_for`` is true, if given."""
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=width < 500)
        self.events.clear()
        navigated = self.call("Page.navigate", session=True, url=url)
        deadline = time.monotonic() + timeout
        while "loaderId" in navigated and not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._receive(deadline - time.monotonic()))  # (no loader: within the same page)
        if wait_for is not None:
            self.open_wait(wait_for, deadline - time.monotonic())

    def open_wait(self, condition: str, timeout: float = 30) -> None:
        """Wait until the JavaScript expression ``condition`` is true in the open page."""
        deadline = time.monotonic() + timeout
        while not self.evaluate(condition):
            assert time.monotonic() < deadline, f"{condition} never became true"
            time.sleep(0.05)

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (JSON-able)."""
        answer = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True,
                           awaitPromise=True)
        assert "exceptionDetails" not in answer, answer["exceptionDetails"]
        return answer["result"].get("value")

    def screenshot(self, out: Path, selector: str | None = None) -> Path:
        """The whole page (not just the window), or the first element ``selector`` matches, as a PNG."""
        import base64

        clip = {}
        if selector is not None:
            box = self.evaluate(f"(() => {{const b = document.querySelector({selector!r}).getBoundingClientRect();"
                                " return {x: b.x + scrollX, y: b.y + scrollY, width: b.width, height: b.height};})()")
            clip = {"clip": {**box, "scale": 1}}
        shot = self.call("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True, **clip)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(shot["data"]))
        return out

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (AssertionError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._write.close()
        self._read.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Page:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class LiveServer:
    """An ASGI app under uvicorn on 127.0.0.1, port 0 (a free one), in a thread; ``url`` once started."""

    def __init__(self, app) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "uvicorn did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
