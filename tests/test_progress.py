"""Progress lines on stderr for long work: one per stage on a terminal, none in a pipe."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from conftest import ROOT


def run_with_stderr_on_a_terminal(*args: str) -> tuple[int, str, bytes]:
    """Run ``iakg ARGS`` with stderr on a pseudo-terminal (stdout a pipe); return (exit code, stderr, stdout)."""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "iakg", *args], stdout=subprocess.PIPE, stderr=follower,
                                stdin=subprocess.DEVNULL, cwd=ROOT)
        os.close(follower)
        out = proc.stdout.read() if proc.stdout else b""
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = proc.wait(timeout=300)
    finally:
        os.close(leader)
    return code, b"".join(chunks).decode("utf-8", "replace"), out


def test_validate_says_each_stage_on_a_terminal():
    code, err, out = run_with_stderr_on_a_terminal("validate")
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("iakg: ")]
    assert [line.split("...")[0] for line in lines] == ["iakg: loading the graph",
                                                        "iakg: validating it against the shapes"]
    assert b"iakg:" not in out  # progress never reaches stdout


def test_no_progress_in_a_pipe():
    done = subprocess.run([sys.executable, "-m", "iakg", "validate"], capture_output=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0 and done.stderr == b""
