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
