"""Progress of long work (loading, validating, writing): one line on stderr per stage, only when stderr is a
terminal. Pipes, files and tests see nothing, so what programs read is never mixed with it."""

from __future__ import annotations

import sys
import time

_started: float | None = None


def stage(message: str) -> None:
    """Say on the terminal that the stage ``message`` begins, with the seconds since the first stage."""
    global _started
    stream = sys.stderr
    try:
        if not stream.isatty():
            return
    except (AttributeError, ValueError):  # a replaced or closed stream
        return
    now = time.monotonic()
    if _started is None:
        _started = now
    print(f"iakg: {message}... [{now - _started:.1f} s]", file=stream, flush=True)
