"""The terminal a command prints to: its width, read without importing ``shutil``.

``shutil.get_terminal_size`` is the usual way, but ``shutil`` imports zlib, bz2 and lzma (about 2 ms of
every cold command); argparse calls it for each ``add_argument``. :func:`columns` follows the same rules
(``COLUMNS``, then the terminal on ``sys.__stdout__``, then the fallback) with ``os`` alone, and
:class:`HelpFormatter` is argparse's own formatter given that width.
"""

from __future__ import annotations

import argparse
import os
import sys


def columns(fallback: int = 80) -> int:
    """The width of the terminal: ``$COLUMNS`` if a positive integer, else the terminal on stdout, else
    ``fallback`` (what ``shutil.get_terminal_size(...).columns`` answers)."""
    try:
        width = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        width = 0
    if width > 0:
        return width
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or fallback  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):  # no stdout (None), closed, or not a terminal
        return fallback


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help formatter, as wide as :func:`columns` says (argparse itself asks ``shutil``)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, columns() - 2 if width is None else width)
