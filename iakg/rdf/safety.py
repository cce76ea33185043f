"""No surprise network access: a guard built on Python's audit hooks (PEP 578).

rdflib documents audit hooks as the way to control what it may open or fetch (e.g. an ``owl:imports``
or a remote JSON-LD ``@context``). Two scopes share one hook:

- in the library, :func:`offline` is active while iakg parses, queries its embedded store, validates and
  reasons (``load``, ``query`` on the embedded graph, ``validate``, patient files): any URL open or
  connection in that time is refused, and the host application is untouched outside those calls;
- the CLI calls :func:`forbid_network` before it reads anything: for the whole process, the only hosts
  allowed are those the user named (``--endpoint``) and the loopback engine of ``iakg serve``.
"""

from __future__ import annotations

import contextvars
import re
import sys
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from iakg.errors import NetworkAccessError

_allowed: set[str] = set()
_installed = False
_everywhere = False  # set by forbid_network (the CLI): the guard holds outside offline() too
_offline = contextvars.ContextVar("kg_offline", default=False)




def allow(url: str | None) -> None:
    """Let the guard through to the host of ``url`` (an endpoint the user named)."""
    if url:
        host = urllib.parse.urlsplit(url).hostname
        if host:
            _allowed.add(host.lower())
            try:  # connections are made to addresses: allow the ones this name resolves to
                import socket

                _allowed.update(str(info[4][0]).lower() for info in socket.getaddrinfo(host, None))
            except OSError:
                pass


def forbid_network(allowed_urls: tuple[str, ...] = ()) -> None:
    """For the rest of the process, refuse every outgoing connection and URL open, except to the hosts of
    ``allowed_urls`` (an audit hook cannot be removed once added)."""
    global _everywhere
    for url in allowed_urls:
        allow(url)
    _everywhere = True
    _install()


@contextmanager
def offline() -> Iterator[None]:
    """Within this block (this thread or task), refuse every URL open and connection, loopback included,
    unless :func:`forbid_network` allowed the host."""
    _install()
    token = _offline.set(True)
    try:
        yield
    finally:
        _offline.reset(token)


def _install() -> None:
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


def _hook(event: str, args: tuple) -> None:
    if not (_everywhere or _offline.get()):
        return
    if event == "urllib.Request":
        host = urllib.parse.urlsplit(args[0]).hostname or ""
        if host.lower() not in _allowed:
            raise NetworkAccessError(f"refused to open {args[0][:200]}: iakg reads only the files it is given "
                                     "(an owl:imports, SERVICE or remote @context is never fetched)")
    elif event == "socket.connect":
        address = args[1]
        host = str(address[0]).lower() if isinstance(address, tuple) and address else ""
        if host and host not in _allowed and not _is_loopback_of_allowed(host):
            raise NetworkAccessError(f"refused to connect to {host}: not an endpoint you named")


def _is_loopback_of_allowed(host: str) -> bool:
    """``localhost`` names resolve to loopback addresses; allow those when a loopback host was named."""
    loopback = {"127.0.0.1", "::1", "localhost"}
    return host in loopback and bool(_allowed & loopback)


_STRINGS_IRIS_COMMENTS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\x00-\x20]*>|#[^\n]*', re.S)
_FORBIDDEN = re.compile(
    r"(?<![\w:?$.-])(SERVICE|LOAD|CLEAR|DROP|CREATE|INSERT|DELETE|ADD|MOVE|COPY)(?![\w:-])", re.I)


@lru_cache(maxsize=512)  # called with the constant catalogue texts on every answer
def forbidden_keyword(query: str) -> str | None:
    """The first update or federation keyword used in ``query`` (outside strings, IRIs and comments)."""
    found = _FORBIDDEN.search(_STRINGS_IRIS_COMMENTS.sub(" ", query))
    return found.group(1).upper() if found else None
