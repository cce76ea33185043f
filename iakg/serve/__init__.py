"""The HTTP server of ``iakg serve`` (see docs/serving.md)."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:  # lazy: importing iakg.serve does not start Starlette
    if name in ("Endpoint", "serve", "build_app"):
        from iakg.serve import app

        return getattr(app, name)
    raise AttributeError(name)
