"""Shared fixtures: the shipped graph loaded once, and the IRIs the tests talk about."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
from pathlib import Path

import pytest

import iakg
from iakg.rdf.namespaces import IAKGD

# records of validated graphs (iakg.validate.record) go to a folder of this run, not the user's cache
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="iakg-tests-cache-")

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


def cli_in_process(argv: list[str]) -> int:
    """The CLI in process without iakg.cli.main's process-wide network guard (later tests start servers):
    the command's exit code, its one-line error on stderr."""
    from iakg.cli import parser
    from iakg.cli.registry import COMMANDS
    from iakg.errors import KGError

    args = parser().parse_args(argv)
    try:
        return COMMANDS.get(args.command).run(args)
    except KGError as exc:
        print(f"iakg: {exc}", file=sys.stderr)
        return exc.exit_code
