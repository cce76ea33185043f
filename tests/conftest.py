"""Shared fixtures: the shipped graph loaded once, and the IRIs the tests talk about."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import iakg
from iakg.rdf.namespaces import IAKGD

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The shared folder beside the checkout (main), or beside its worktree folder (a worktree under wt/), or
# where IAKG_SHARED says.
_SHARED = next((p for p in ([Path(os.environ["IAKG_SHARED"])] if os.environ.get("IAKG_SHARED") else [])
                + [ROOT.parent / "shared", ROOT.parent.parent / "shared"] if p.is_dir()), ROOT.parent / "shared")
SOURCE = _SHARED / "sources" / "000_2136f127cbc7aa0f.txt"
TERMINOLOGY = _SHARED / "reference" / "terminology.md"

PNET = iakg.IRI(IAKGD + "pnet-post-resection-surveillance")


def d(local: str) -> iakg.IRI:
    """An IRI of the shipped data by local name."""
    return iakg.IRI(IAKGD + local)


@pytest.fixture(scope="session", autouse=True)
def _cache_of_this_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Records of validated graphs (iakg.validate.record) and prepared stores go to folders of this run, not
    the user's cache (nor a cache the developer's environment names); the environment is restored after."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        patch.delenv("IAKG_CACHE_DIR", raising=False)
        # iakg fits its text to COLUMNS even on a pipe; readline (which pytest imports) exports COLUMNS=80 to
        # child processes without putting it in os.environ: the commands the tests run see no COLUMNS unless a
        # test sets one
        patch.delenv("COLUMNS", raising=False)
        os.unsetenv("COLUMNS")
        yield


@pytest.fixture(scope="session")
def graph() -> iakg.KnowledgeGraph:
    return iakg.load()


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it receives."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                pass

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()
