"""The ``kg`` command: a thin shell over the Python API."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .errors import KGError, UnknownNameError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kg", description="Imaging appropriateness knowledge graph.")
    parser.add_argument("--version", action="version", version=f"kg {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", action="append", default=[], metavar="FILE",
                        help="extra RDF file merged with the shipped graph (repeatable)")
    common.add_argument("--reason", action="store_true",
                        help="add the OWL RL closure (kept in its own named graph) before answering")
    common.add_argument("--endpoint", metavar="URL",
                        help="answer from this SPARQL 1.1 endpoint instead of the embedded graph")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("recommend", parents=[common], help="rated procedures for a scenario")
    p.add_argument("scenario", help="scenario IRI, local name or a unique part of its label")
    p.add_argument("--format", choices=["table", "json"], default="table")

    p = sub.add_parser("scenarios", parents=[common], help="list the clinical scenarios")
    p.add_argument("--format", choices=["table", "json"], default="table")

    p = sub.add_parser("query", parents=[common], help="run a SPARQL file or a catalogue query")
    p.add_argument("query", help="path to a .rq file, or the name of a catalogue query (see 'kg queries')")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="bind a parameter (repeatable); IRIs may be prefixed names such as iakgd:x")
    p.add_argument("--format", choices=["table", "json", "csv", "tsv"], default="table")

    sub.add_parser("queries", help="list the query catalogue")

    p = sub.add_parser("validate", help="validate the graph (plus FILES) against the SHACL shapes")
    p.add_argument("files", nargs="*", type=Path, help="extra RDF files merged with the shipped graph")
    return parser


def _graph(args):
    """The graph the command answers from: an endpoint, or the embedded store."""
    from .api import KnowledgeGraph, load

    if args.endpoint:
        if args.data or args.reason:
            raise KGError("--data and --reason apply to the embedded graph, not to --endpoint")
        return KnowledgeGraph.remote(args.endpoint)
    return load(args.data, reason=args.reason)


def _recommend(args) -> int:
    from .present import RECOMMENDATION_FORMATS

    answer = _graph(args).recommend(args.scenario)
    print(RECOMMENDATION_FORMATS[args.format](answer))
    return 0


def _scenarios(args) -> int:
    from dataclasses import asdict

    from .present import table

    scenarios = _graph(args).scenarios()
    if args.format == "json":
        print(json.dumps([asdict(s) for s in scenarios], ensure_ascii=False, indent=2))
    else:
        print(table(["scenario", "label", "ratings"],
                    [(s.iri.rsplit("/", 1)[-1], s.label, s.ratings) for s in scenarios]))
    return 0


def _query(args) -> int:
    from . import catalogue
    from .present import RESULT_FORMATS

    values = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep:
            raise catalogue.ParameterError(f"--param {item!r}: expected NAME=VALUE")
        values[name] = value
    path = Path(args.query)
    if path.suffix == ".rq" or path.exists():
        try:
            query = catalogue.parse_query_file(path)
        except OSError as exc:
            raise KGError(f"{path}: cannot read: {exc.strerror or exc}") from None
        declared = {p.name for p in query.parameters}
        bindings = query.bind(values) if declared else {
            k: catalogue.Parameter(k, "iri" if ":" in v else "string", "").convert(v) for k, v in values.items()}
    else:
        query = catalogue.get(args.query)
        bindings = query.bind(values)
    result = _graph(args).query(query.text, bindings)
    sys.stdout.write(RESULT_FORMATS[args.format](result).rstrip("\n") + "\n")
    return 0


def _queries(args) -> int:
    from . import catalogue
    from .present import table

    rows = [(q.name, q.title, " ".join(f"{p.name}:{p.type}" for p in q.parameters))
            for q in catalogue.catalogue().values()]
    print(table(["name", "title", "parameters"], rows))
    return 0


def _validate(args) -> int:
    from .api import load

    report = load(args.files).validate()
    if report.conforms:
        print("conforms: the graph satisfies every shape" + (f" ({len(args.files)} extra file(s) merged)"
                                                            if args.files else ""))
        return 0
    for violation in report.violations:
        print(violation)
    print(f"{len(report.violations)} violation(s)", file=sys.stderr)
    return 1


COMMANDS = {"recommend": _recommend, "scenarios": _scenarios, "query": _query, "queries": _queries,
            "validate": _validate}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except UnknownNameError as exc:
        print(f"kg: {exc}", file=sys.stderr)
        return 2
    except KGError as exc:
        print(f"kg: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
