"""The ``iakg`` command: a thin shell over the Python API, its commands read from a registry."""

from __future__ import annotations

import sys

from iakg import __version__
from iakg.errors import KGError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

# ``from iakg.cli import main`` (the console script) imports next to nothing: main() imports the rest after
# it has set the collector's threshold (see there).


def parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser, one sub-command per registered command (or the command ``only`` alone: what
    running one command needs, so a command starts without configuring, or importing, every other)."""
    import argparse

    from iakg.cli.registry import COMMANDS, graph_options
    from iakg.cli.terminal import HelpFormatter

    top = argparse.ArgumentParser(prog="iakg", description="Imaging appropriateness knowledge graph.",
                                  formatter_class=HelpFormatter)
    top.add_argument("--version", action="version", version=f"iakg {__version__}")
    common = graph_options()
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, cmd in [(only, COMMANDS.get(only))] if only else COMMANDS.items():
        p = sub.add_parser(name, parents=[common] if cmd.graph_options else [], help=cmd.help, description=cmd.help,
                           formatter_class=HelpFormatter)
        if cmd.configure is not None:
            cmd.configure(p)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 shape violations, 2 bad input, 130 interrupted)."""
    import gc

    # A command's start allocates some 25,000 objects (modules, classes, terms) and frees few, so collecting
    # cycles every 700 allocations (Python's default) costs ~3 ms of a cold answer and finds next to nothing.
    # The first generation's threshold is raised while the command runs (a server collects every 20,000).
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 20_000), *thresholds[1:])
    from iakg.cli.deferred import defer

    defer("inspect")  # dataclasses imports it for a use none of ours needs (iakg/cli/deferred.py)
    try:
        return _run(argv)
    finally:
        gc.set_threshold(*thresholds)


def _run(argv: list[str] | None) -> int:
    try:
        return _command(sys.argv[1:] if argv is None else argv)
    except KGError as exc:  # e.g. a plugin that does not load, while the parser is built
        print(f"iakg: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("iakg: interrupted", file=sys.stderr)
        return 130


def _command(argv: list[str]) -> int:
    from iakg.cli.registry import COMMANDS
    from iakg.rdf.safety import forbid_network

    first = next((a for a in argv if not a.startswith("-")), None)
    before = set(argv[:argv.index(first)]) if first is not None else set()
    alone = first is not None and first in COMMANDS and not {"-h", "--help", "--version"} & before
    args = parser(first if alone else None).parse_args(argv)
    named = [getattr(args, name, None) for name in ("endpoint", "query_endpoint")]
    if args.command == "serve":
        named.append("http://127.0.0.1/")  # the private engine of the endpoint
    from iakg.present import text

    width = text.WIDTH
    try:  # main() leaves the process as it found it: the guard and the tables' width are restored
        _fit_tables(bool(getattr(args, "wide", False)))
        with forbid_network(tuple(url for url in named if url)):
            return COMMANDS.get(args.command).run(args)
    finally:
        text.WIDTH = width


def _fit_tables(wide: bool) -> None:
    """Tables and prose fit the terminal they are printed on (cells wrap) unless ``--wide``; output to a
    pipe or a file is left as wide as its content, for the programs that read it."""
    from iakg.cli.terminal import columns
    from iakg.present import text

    text.WIDTH = columns(100) if sys.stdout.isatty() and not wide else None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
