"""The ``iakg`` command: a thin shell over the Python API, its commands read from a registry."""

from __future__ import annotations

import argparse
import sys

from iakg.cli.registry import COMMANDS, graph_options
from iakg.errors import KGError
from iakg.present import text
from iakg.rdf.safety import forbid_network
from iakg.version import __version__


def parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser, one sub-command per registered command (or the command ``only`` alone: what
    running one command needs, so a command starts without configuring, or importing, every other)."""
    top = argparse.ArgumentParser(prog="iakg", description="Imaging appropriateness knowledge graph.")
    top.add_argument("--version", action="version", version=f"iakg {__version__}")
    common = graph_options()
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, cmd in [(only, COMMANDS.get(only))] if only else COMMANDS.items():
        p = sub.add_parser(name, parents=[common] if cmd.graph_options else [], help=cmd.help, description=cmd.help)
        if cmd.configure is not None:
            cmd.configure(p)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 shape violations, 2 bad input, 130 interrupted)."""
    try:
        return _command(sys.argv[1:] if argv is None else argv)
    except KGError as exc:  # e.g. a plugin that does not load, while the parser is built
        text.say(f"iakg: {exc}", sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("iakg: interrupted", file=sys.stderr)
        return 130


def _command(argv: list[str]) -> int:
    first = next((a for a in argv if not a.startswith("-")), None)
    before = set(argv[:argv.index(first)]) if first is not None else set()
    alone = first is not None and first in COMMANDS and not {"-h", "--help", "--version"} & before
    args = parser(first if alone else None).parse_args(argv)
    named = [getattr(args, name, None) for name in ("endpoint", "query_endpoint")]
    if args.command == "serve":
        named.append("http://127.0.0.1/")  # the private engine of the endpoint
    width = text.WIDTH
    try:  # main() leaves the process as it found it: the guard and the tables' width are restored
        _fit_tables(bool(getattr(args, "wide", False)))
        with forbid_network(tuple(url for url in named if url)):
            return COMMANDS.get(args.command).run(args)
    finally:
        text.WIDTH = width


def _fit_tables(wide: bool) -> None:
    """Tables and prose fit the terminal they are printed on (cells and lines wrap) unless ``--wide``; output
    to a pipe or a file is left as wide as its content, for the programs that read it, unless ``COLUMNS`` is
    set. Machine formats (json, csv, tsv, RDF) are never fitted."""
    text.WIDTH = None if wide else text.terminal_width(sys.stdout)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
