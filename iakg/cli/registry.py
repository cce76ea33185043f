"""The command registry: each ``iakg`` command is a name, a help line, its arguments and a function.

Commands register themselves with :func:`command` (or :func:`answer` for the typed answering commands);
the parser, its choices and its help are built from the registry. Third parties add commands through the
``iakg.commands`` entry-point group (an object with the fields of :class:`Command`).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iakg.catalogue import internal
from iakg.cli.progress import stage
from iakg.errors import KGError, ValidationError
from iakg.present.text import RENDERERS, render, say
from iakg.rdf import reasoning
from iakg.registry import Registry

Configure = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Command:
    """One command of the ``iakg`` program."""

    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    configure: Configure | None = None
    graph_options: bool = False  #: takes --data, --reason, --cache-dir, --endpoint and --format


#: the built-in commands register themselves when their module is imported (the answering commands first)
COMMANDS: Registry[Command] = Registry("command", ("iakg.cli.answers", "iakg.cli.authoring", "iakg.cli.publishing",
                                                   "iakg.cli.sparql", "iakg.cli.releases"))


def command(name: str, help: str, configure: Configure | None = None, graph_options: bool = False
            ) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Decorator: register ``run(args) -> exit code`` as command ``name``."""
    def add(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS.register(name, Command(name, help, run, configure, graph_options))
        return run
    return add


#: What a typed answering command returns: the answer object, table headers, rows and optional prose.
Answer = tuple[Any, Sequence[str], Sequence[Sequence[Any]], str | None]


#: rows of a listing page when --limit is not given
PAGE = 50


def page_options(parser: argparse.ArgumentParser) -> None:
    """``--limit``, ``--all`` and ``--offset`` of a listing: a table shows a page of PAGE rows by default and
    says how many there are; a machine format (json, csv, tsv) is never cut unless ``--limit`` asks."""
    parser.add_argument("--limit", type=_count, default=None, metavar="N",
                        help=f"at most N rows (default: {PAGE} in a table, every row in json, csv and tsv; "
                             "0: every row)")
    parser.add_argument("--all", action="store_true", help="every row (the same as --limit 0)")
    parser.add_argument("--offset", type=_count, default=0, metavar="N", help="skip the first N rows (default: 0)")


def page_limit(args: argparse.Namespace) -> int:
    """The number of rows a listing asks for (0: every row): ``--limit``, or ``--all``, or by default a page
    of PAGE rows in a table and every row in a machine format (a program reading JSON is never cut short)."""
    if args.all:
        return 0
    if args.limit is not None:
        return int(args.limit)
    return PAGE if getattr(args, "format", "table") == "table" else 0


def page_note(shown: int, total: int, limit: int, offset: int) -> str | None:
    """The line under a table that is one page of a longer listing (None when every row is shown)."""
    if not limit or (offset == 0 and shown >= total):
        return None
    if shown == 0:
        return f"no rows past row {offset} of {total}"
    if offset + shown >= total:
        return f"rows {offset + 1}-{offset + shown} of {total} (the last page); --all for every row"
    return (f"rows {offset + 1}-{offset + shown} of {total}; --all for every row, "
            f"--limit N --offset {offset + shown} for the next page")


def _count(text: str) -> int:
    if not text.isdigit() or len(text) > 9:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return int(text)


def answer(name: str, help: str, scenario: bool = False, configure: Configure | None = None,
           listing: Callable[[Any], int] | None = None, empty: str = "nothing stated in the graph"
           ) -> Callable[[Callable[[Any, argparse.Namespace], Answer]], Callable[[Any, argparse.Namespace], Answer]]:
    """Decorator: register a typed answering command ``fn(graph, args) -> Answer`` printed in ``--format``.
    A ``listing`` (a function giving the whole listing's length from the graph) takes ``--limit``, ``--all`` and
    ``--offset``: ``fn`` asks the API for the page ``args.limit``/``args.offset`` (the limit resolved by
    :func:`page_limit`), and a table that shows only part of the listing says so under it. A table with no
    row prints ``empty`` (a machine format prints its empty form: ``[]``, or a CSV header)."""
    def setup(parser: argparse.ArgumentParser) -> None:
        if scenario:
            parser.add_argument("scenario", help="scenario IRI, CURIE, local name or a unique part of its label")
        if configure is not None:
            configure(parser)
        if listing is not None:
            page_options(parser)

    def add(fn: Callable[[Any, argparse.Namespace], Answer]) -> Callable[[Any, argparse.Namespace], Answer]:
        def run(args: argparse.Namespace) -> int:
            source = graph(args)
            if listing is not None:
                args.limit = page_limit(args)
            try:
                result, headers, rows, text = fn(source, args)
            except KGError:  # e.g. an unknown scenario: perhaps the endpoint holds none at all
                endpoint_hint(source, args)
                raise
            rows = list(rows)
            if not result and not rows:
                endpoint_hint(source, args)
            if args.format == "table" and not text and not rows:
                text = empty
            print(render(args.format, result, headers, rows, text))
            if listing is not None and args.format == "table":
                note = page_note(len(rows), listing(source) if args.limit else len(rows), args.limit, args.offset)
                if note:
                    print(note)
            return 0

        COMMANDS.register(name, Command(name, help, run, setup, graph_options=True))
        return fn
    return add


def graph_options() -> argparse.ArgumentParser:
    """The options every answering command shares: where the graph comes from and the output format."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", action="append", default=[], metavar="FILE",
                        help="extra RDF file merged with the shipped graph (repeatable)")
    common.add_argument("--reason", action="store_true",
                        help="add the OWL RL closure (kept in its own named graph) before answering")
    common.add_argument("--reason-timeout", type=float, default=120.0, metavar="SECONDS",
                        help="stop --reason past this many seconds, with an error (default: 120)")
    common.add_argument("--cache-dir", metavar="DIR", default=os.environ.get("IAKG_CACHE_DIR"),
                        help="keep a prepared on-disk store here, keyed by the input files' hash "
                             "(default: $IAKG_CACHE_DIR; none)")
    common.add_argument("--endpoint", metavar="URL",
                        help="answer from this SPARQL 1.1 endpoint instead of the embedded graph")
    common.add_argument("--format", choices=RENDERERS, default="table", metavar="FORMAT",  # listed only for help
                        help="output format: %(choices)s (default: table)")
    common.add_argument("--wide", action="store_true",
                        help="tables and text as wide as their content (default: they wrap to fit the terminal, "
                             "or COLUMNS when it is set; output to a pipe or file without COLUMNS is not wrapped)")
    return common


def data_option(parser: argparse.ArgumentParser) -> None:
    """``--data FILE`` (repeatable) for the commands that publish the embedded graph."""
    parser.add_argument("--data", action="append", default=[], metavar="FILE", type=Path,
                        help="extra RDF file to merge (repeatable)")


def graph(args: argparse.Namespace) -> Any:
    """The graph a command answers from: an endpoint, or the embedded store."""
    from iakg.api import KnowledgeGraph, load

    if args.endpoint:
        if args.data or args.reason:
            raise KGError("--data and --reason apply to the embedded graph, not to --endpoint")
        return KnowledgeGraph.remote(args.endpoint)

    if args.reason:
        reason_timeout(args.reason_timeout)
    if args.data or args.reason:  # the shipped graph alone loads in a blink
        stage("loading the graph" + (" and adding its OWL RL closure" if args.reason else ""))
    graph = load(args.data, reason=args.reason, cache_dir=args.cache_dir)
    if args.data:
        stage("validating what --data adds")
        _refuse_inconsistent(graph, args.data)
    return graph




def endpoint_hint(source: Any, args: argparse.Namespace) -> None:
    """After an empty answer (or a name not found) from ``--endpoint``: one line on stderr if that endpoint
    holds no ``iakg:ClinicalScenario`` in its default graph (the one the catalogue queries), saying whether
    its named graphs hold some (a store whose default graph is not their union) or none (the wrong endpoint)."""
    url = getattr(args, "endpoint", None)
    if not url:
        return
    try:
        if source.query(internal("endpoint-has-scenarios")).boolean:
            return
        named = bool(source.query(internal("endpoint-named-scenarios")).boolean)
    except KGError:  # the hint is a courtesy: an endpoint that cannot say is left alone
        return
    if named:
        print(f"iakg: hint: the endpoint at {url} holds iakg:ClinicalScenario only in named graphs, and its default "
              "graph (the one queries read) is not their union: serve it with the union as default graph "
              "(oxigraph: --union-default-graph) or load the data into the default graph", file=sys.stderr)
    else:
        print(f"iakg: hint: the endpoint at {url} holds no iakg:ClinicalScenario; is it the right one?",
              file=sys.stderr)


def reason_timeout(seconds: float) -> None:
    """Bound the OWL RL closure of this run to ``seconds`` (checked: a positive finite number)."""
    if not (math.isfinite(seconds) and seconds > 0):
        raise KGError(f"--reason-timeout {seconds}: give a positive number of seconds")
    reasoning.TIMEOUT_S = seconds


def _refuse_inconsistent(graph: Any, files: Sequence[str | Path]) -> None:
    """Validate what ``--data`` adds (targeted: only the resources those files describe, against the whole
    graph) and refuse to answer from a graph that breaks the shapes: a silent wrong answer is worse than none."""
    report = graph.validate(changed=files)
    if not report.conforms:
        for violation in report.violations:
            say(str(violation), sys.stderr)
        say("iakg: the data added with --data breaks the shapes; no answer was given", sys.stderr)
        raise ValidationError(report)
