"""No surprise network access: a process-wide guard built on Python's audit hooks (PEP 578).

rdflib documents audit hooks as the way to control what it may open or fetch (e.g. an ``owl:imports``
or a remote JSON-LD ``@context``). The CLI installs this guard before it reads anything, so parsing,
querying, validating and reasoning cannot reach the network; the only hosts allowed are those the user
named (``--endpoint``) and the loopback engine of ``kg serve``. Library users may call
:func:`forbid_network` themselves (an audit hook cannot be removed once added).
"""

from __future__ import annotations

import re
import sys
import urllib.parse

from .errors import KGError

_allowed: set[str] = set()
_installed = False


class NetworkAccessError(KGError):
    """Something tried to reach a host nobody asked for."""


def allow(url: str | None) -> None:
    """Let the guard through to the host of ``url`` (an endpoint the user named)."""
    if url:
        host = urllib.parse.urlsplit(url).hostname
        if host:
            _allowed.add(host.lower())
            try:  # connections are made to addresses: allow the ones this name resolves to
                import socket

                _allowed.update(info[4][0].lower() for info in socket.getaddrinfo(host, None))
            except OSError:
                pass


def forbid_network(allowed_urls: tuple[str, ...] = ()) -> None:
    """Refuse every outgoing connection and URL open, except to the hosts of ``allowed_urls``."""
    global _installed
    for url in allowed_urls:
        allow(url)
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


def _hook(event: str, args: tuple) -> None:
    if event == "urllib.Request":
        host = urllib.parse.urlsplit(args[0]).hostname or ""
        if host.lower() not in _allowed:
            raise NetworkAccessError(f"refused to open {args[0][:200]}: kg reads only the files it is given "
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


def forbidden_keyword(query: str) -> str | None:
    """The first update or federation keyword used in ``query`` (outside strings, IRIs and comments)."""
    found = _FORBIDDEN.search(_STRINGS_IRIS_COMMENTS.sub(" ", query))
    return found.group(1).upper() if found else None
