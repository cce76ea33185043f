"""``iakg query`` and ``iakg queries``: SPARQL files and the query catalogue from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from iakg import catalogue
from iakg.cli.registry import command, endpoint_hint, graph, page_options
from iakg.errors import KGError, QueryError
from iakg.present.results import RESULT_FORMATS
from iakg.present.text import table


def _query_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", help="path to a .rq file, or the name of a catalogue query (see 'iakg queries')")
    page_options(p)  # a page of a catalogue SELECT query (a .rq file runs as written)
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="bind a parameter (repeatable); IRIs may be prefixed names such as iakgd:x")


@command("query", "run a SPARQL file or a catalogue query", _query_options, graph_options=True)
def _query(args: argparse.Namespace) -> int:
    values = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep:
            raise catalogue.ParameterError(f"--param {item!r}: expected NAME=VALUE")
        values[name] = value
    path = Path(args.query)
    named = False
    if path.suffix == ".rq" or path.exists():
        if path.exists() and not path.is_file():
            raise KGError(f"{path}: not a regular file (a folder, device, FIFO or socket is never read)")
        try:
            query = catalogue.parse_query_file(path)
        except OSError as exc:
            raise KGError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        except UnicodeDecodeError:
            raise KGError(f"{path}: not UTF-8 text") from None
        declared = {p.name for p in query.parameters}
        bindings = query.bind(values) if declared else {
            k: catalogue.Parameter(k, "iri" if ":" in v else "string", "").convert(v) for k, v in values.items()}
    else:
        query = catalogue.get(args.query)
        query.bind(values)  # checked before the graph is loaded
        named = True
    source = graph(args)
    note = None
    if named:  # a page of a catalogue query (through the listing index where it has one)
        from iakg.cli.registry import page_limit, page_note

        limit = page_limit(args)
        result = source.run_result(query.name, limit, args.offset, **values)
        if args.format == "table" and query.form == "select" and limit:
            shown = len(result.bindings)
            total = source.count(query.name, **values) if shown >= limit or args.offset else shown
            note = page_note(shown, total, limit, args.offset)
    else:
        try:
            result = source.query(query.text, bindings)
        except QueryError as exc:
            if exc.position is None:
                raise
            line, column, message = exc.position  # the file's own line: bindings go in as VALUES after it
            raise QueryError(f"{path}:{line}:{column}: {message}") from None
    if result.kind == "graph" and args.format == "json":  # a graph in JSON is JSON-LD, compacted as exports are
        from iakg.rdf.writers import document

        sys.stdout.write(document(result.ntriples, "jsonld").decode("utf-8").rstrip("\n") + "\n")
    else:
        sys.stdout.write(RESULT_FORMATS[args.format](result).rstrip("\n") + "\n")
    if note:
        print(note)
    if not result.bindings and not result.ntriples and not result.boolean:
        endpoint_hint(source, args)
    return 0


def _queries_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["table", "json"], default="table",
                   help="table: name, title and parameters; json: every query with its title, description, "
                        "form, parameters and example (default: table)")


@command("queries", "list the query catalogue", _queries_options)
def _queries(args: argparse.Namespace) -> int:
    queries = catalogue.catalogue().values()
    if args.format == "json":
        import json

        print(json.dumps([{"name": q.name, "title": q.title, "description": q.description, "form": q.form,
                           "parameters": [{"name": p.name, "type": p.type, "optional": p.optional,
                                           "description": p.description} for p in q.parameters],
                           "example": q.example} for q in queries], ensure_ascii=False, indent=2))
        return 0
    rows = [(q.name, q.title, " ".join(f"{p.name}:{p.type}" + ("?" if p.optional else "") for p in q.parameters))
            for q in queries]
    print(table(["name", "title", "parameters (? = optional)"], rows))
    return 0
