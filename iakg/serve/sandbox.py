"""The sandbox of the engine of ``iakg serve``: a seccomp filter under which it can open no outgoing connection.

The query check refuses SERVICE; this is the defence behind it, so that the next parser difference cannot
become a request from the server (SSRF). libseccomp (through pyseccomp) compiles the filter in the parent;
the engine's process only loads it with ``prctl`` before it runs Oxigraph.
"""

from __future__ import annotations

import ctypes
import logging
import os
import socket
import sys
from collections.abc import Callable

log = logging.getLogger("iakg.serve.engine")


class _Filter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Filter))]


_CONFINED: list = []  # the compiled filter, built once in this process


def no_outgoing_connections() -> Callable[[], None] | None:
    """A function to call in the engine's process before it runs Oxigraph (``preexec_fn``), that installs a
    seccomp filter under which the process can never open an outgoing connection: ``connect`` is refused
    (EPERM) for every socket, and so are datagram and raw sockets of IPv4/IPv6, packet sockets, ``sendto`` or
    ``sendmsg`` with TCP Fast Open, ``sendto`` to an address, and io_uring (which could connect on its own).
    Its listening socket (socket, bind, listen, accept) works as before. So a query that reached the engine
    with a SERVICE (a parser difference the check missed) fails there, instead of fetching.

    The filter is compiled here, in the parent, by libseccomp (pyseccomp); the child only loads it with
    ``prctl`` (no allocation after the fork). None where seccomp is unavailable (not Linux, no libseccomp):
    the caller logs that the engine runs without it."""
    if not _CONFINED:
        _CONFINED.append(_compile())
    program = _CONFINED[0]
    if program is None:
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def confine() -> None:
        if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(program), 0, 0) != 0:
            os._exit(126)  # PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP(SECCOMP_MODE_FILTER): never run unconfined

    return confine


def _compile() -> _Program | None:
    import errno
    import tempfile

    if not sys.platform.startswith("linux"):
        return None
    try:
        import pyseccomp as seccomp

        refuse = seccomp.ERRNO(errno.EPERM)
        rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        rules.add_rule(refuse, "connect")
        for family in (socket.AF_INET, socket.AF_INET6):
            for kind in (socket.SOCK_DGRAM, socket.SOCK_RAW):
                rules.add_rule(refuse, "socket", seccomp.Arg(0, seccomp.EQ, family),
                               seccomp.Arg(1, seccomp.MASKED_EQ, 0xF, kind))
        rules.add_rule(refuse, "socket", seccomp.Arg(0, seccomp.EQ, socket.AF_PACKET))
        fast_open = 0x20000000  # MSG_FASTOPEN: a TCP connection opened by sending
        rules.add_rule(refuse, "sendto", seccomp.Arg(3, seccomp.MASKED_EQ, fast_open, fast_open))
        rules.add_rule(refuse, "sendmsg", seccomp.Arg(2, seccomp.MASKED_EQ, fast_open, fast_open))
        rules.add_rule(refuse, "sendmmsg", seccomp.Arg(3, seccomp.MASKED_EQ, fast_open, fast_open))
        rules.add_rule(refuse, "sendto", seccomp.Arg(4, seccomp.NE, 0))
        for call in ("io_uring_setup", "io_uring_enter", "io_uring_register"):
            rules.add_rule(refuse, call)
        with tempfile.TemporaryFile() as out:
            rules.export_bpf(out)
            out.seek(0)
            code = out.read()
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        log.warning("the engine runs without its seccomp filter (%s): a SERVICE the check missed could "
                    "connect from it", exc)
        return None
    count = len(code) // ctypes.sizeof(_Filter)
    filters = (_Filter * count).from_buffer_copy(code)
    program = _Program(count, ctypes.cast(filters, ctypes.POINTER(_Filter)))
    program._keep = filters  # the filters live as long as the program
    return program
