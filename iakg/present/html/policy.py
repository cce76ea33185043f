"""The pages' Content-Security-Policy (issue 31): every page carries it, as a header and a ``<meta>``."""

from __future__ import annotations


def content_security_policy(endpoint: str = "/sparql", frames: bool = True) -> str:
    """The Content-Security-Policy of every page: scripts, styles and images from this site only (no inline
    script), connections to this site and to the editor's ``endpoint`` when it is elsewhere, no plugins, no
    ``<base>``, forms to this site; ``frames`` adds ``frame-ancestors 'none'`` (a header only: a ``<meta>``
    policy cannot carry it)."""
    from urllib.parse import urlsplit

    parts = urlsplit(endpoint)
    elsewhere = f" {parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""
    policy = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
              f"font-src 'self' data:; connect-src 'self'{elsewhere}; object-src 'none'; base-uri 'none'; "
              "form-action 'self'")
    return policy + ("; frame-ancestors 'none'" if frames else "")
