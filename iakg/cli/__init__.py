"""The ``kg`` command: a thin shell over the Python API."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from iakg import __version__
from iakg.errors import KGError, ValidationError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="iakg", description="Imaging appropriateness knowledge graph.")
    parser.add_argument("--version", action="version", version=f"iakg {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", action="append", default=[], metavar="FILE",
                        help="extra RDF file merged with the shipped graph (repeatable)")
    common.add_argument("--reason", action="store_true",
                        help="add the OWL RL closure (kept in its own named graph) before answering")
    common.add_argument("--cache-dir", metavar="DIR", default=os.environ.get("IAKG_CACHE_DIR"),
                        help="keep a prepared on-disk store here, keyed by the input files' hash "
                             "(default: $IAKG_CACHE_DIR; none)")
    common.add_argument("--endpoint", metavar="URL",
                        help="answer from this SPARQL 1.1 endpoint instead of the embedded graph")
    common.add_argument("--format", choices=["table", "json", "csv", "tsv"], default="table",
                        help="output format (default: table)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str, scenario: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help, description=help)
        if scenario:
            p.add_argument("scenario", help="scenario IRI, CURIE, local name or a unique part of its label")
        return p

    command("recommend", "rated procedures for a scenario, most appropriate first", scenario=True)
    p = command("match", "which scenario applies to a patient, and the plan for it")
    p.add_argument("patient", type=Path, help="patient JSON file (see README, 'Patient files')")
    command("scenarios", "list the clinical scenarios")
    command("topics", "list topic hubs, topics and protocol guides")
    p = command("facts", "list the facts a patient file can state")
    p.add_argument("--context", action="store_true", help="print the JSON-LD context of patient files")
    command("procedures", "list imaging procedures with their radiation levels")
    p = command("next-steps", "what to do after a study, per result", scenario=True)
    p.add_argument("--result", help="only this result (e.g. negative, positive, indeterminate)")
    p = command("alternatives", "what to order when a contrast agent is contraindicated", scenario=True)
    p.add_argument("--contraindication", help="only this contraindication (IRI or CURIE)")
    p = command("interval", "surveillance interval for a tumour grade and stage group", scenario=True)
    p.add_argument("--grade", help="tumour grade notation, e.g. G1")
    p.add_argument("--stage", help="stage group notation, e.g. early")
    p = command("dose", "cumulative radiation dose of a surveillance plan")
    p.add_argument("procedure", nargs="?", help="procedure IRI, local name or unique part of its label")
    p.add_argument("--scenario", help="compare every rated option of this scenario instead")
    p.add_argument("--years", required=True, help="length of the plan in years")
    p.add_argument("--every", required=True, metavar="MONTHS", help="interval in months, e.g. 12 or 6-12")
    p.add_argument("--population", choices=["adult", "pediatric"], default="adult")
    command("diagnoses", "what a scenario's imaging looks for", scenario=True)
    command("pitfalls", "pitfalls of a scenario", scenario=True)
    command("faq", "questions and answers for a scenario", scenario=True)
    command("related", "topics, guides and scenarios linked to a scenario", scenario=True)

    p = command("query", "run a SPARQL file or a catalogue query")
    p.add_argument("query", help="path to a .rq file, or the name of a catalogue query (see 'iakg queries')")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="bind a parameter (repeatable); IRIs may be prefixed names such as iakgd:x")
    p = sub.add_parser("export", help="write the dataset (validated) as ttl, nt, jsonld, trig or nq")
    p.add_argument("--format", choices=["ttl", "nt", "jsonld", "trig", "nq"], default="ttl")
    p.add_argument("--out", type=Path, help="output file (written atomically); default: standard output")
    p.add_argument("--inferred", action="store_true", help="include the OWL RL closure (its own named graph)")
    p.add_argument("--force", action="store_true", help="export even if the graph breaks the shapes")
    p.add_argument("--data", action="append", default=[], metavar="FILE", help="extra RDF file to merge")
    p = sub.add_parser("build", help="write a release folder: every export, contexts, shapes, queries, checksums")
    p.add_argument("--out", type=Path, default=Path("dist"), help="release folder (default: dist)")
    p.add_argument("--force", action="store_true", help="build even if the graph breaks the shapes")
    p.add_argument("--data", action="append", default=[], metavar="FILE", help="extra RDF file to merge")
    p = sub.add_parser("serve", help="serve the validated graph read-only over the SPARQL 1.1 Protocol")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=7878, help="port (default: 7878; 0 picks a free one)")
    p.add_argument("--timeout-s", type=float, default=10.0, help="query time cap in seconds (default: 10)")
    p.add_argument("--max-result-bytes", type=int, default=10_000_000, help="result size cap (default: 10 MB)")
    p.add_argument("--data", action="append", default=[], metavar="FILE", help="extra RDF file to merge")
    p = sub.add_parser("publish", help="load the release into a SPARQL 1.1 Graph Store Protocol endpoint")
    p.add_argument("--endpoint", required=True, metavar="URL", help="Graph Store Protocol URL, e.g. http://host:7878/store")
    p.add_argument("--query-endpoint", metavar="URL", help="SPARQL query URL to count back (default: .../query)")
    p.add_argument("--graph", default="https://w3id.org/iakg/dataset", help="named graph to replace")
    p.add_argument("--force", action="store_true", help="publish even if the graph breaks the shapes")
    p.add_argument("--data", action="append", default=[], metavar="FILE", help="extra RDF file to merge")
    p = sub.add_parser("queries", help="list the query catalogue")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p = sub.add_parser("validate", help="validate the graph (plus FILES) against the SHACL shapes")
    p.add_argument("files", nargs="*", type=Path, help="extra RDF files merged with the shipped graph")
    p.add_argument("--changed", action="append", default=[], type=Path, metavar="FILE",
                   help="validate only the resources FILE describes (it is merged too): a targeted check of "
                        "new or changed data, fast on a large graph (repeatable)")
    return parser


def _graph(args):
    """The graph the command answers from: an endpoint, or the embedded store."""
    from iakg.api import KnowledgeGraph, load

    if args.endpoint:
        if args.data or args.reason:
            raise KGError("--data and --reason apply to the embedded graph, not to --endpoint")
        return KnowledgeGraph.remote(args.endpoint)
    return load(args.data, reason=args.reason, cache_dir=args.cache_dir)


# ---------------------------------------------------------------- typed commands: (answer, headers, rows[, text])
def _recommend(g, args):
    from iakg.present.text import RECOMMENDATION_HEADERS, recommendation_rows, recommendation_text

    answer = g.recommend(args.scenario)
    return answer, RECOMMENDATION_HEADERS, recommendation_rows(answer), recommendation_text(answer)


def _match(g, args):
    from iakg.present.text import MATCH_HEADERS, match_rows, match_text

    result = g.match(args.patient)
    return result, MATCH_HEADERS, match_rows(result), match_text(result)


def _scenarios(g, args):
    items = g.scenarios()
    return items, ("scenario", "label", "topic", "ratings"), [(s.iri, s.label, s.topic, s.ratings) for s in items]


def _topics(g, args):
    items = g.topics()
    return items, ("topic", "kind", "label", "parent", "scenarios"), [
        (t.iri, t.kind, t.label, t.parent, t.scenarios) for t in items]


def _facts(g, args):
    from iakg.domain.patient import context

    items = g.patient_facts()
    if args.context:
        return context(items), ("key", "iri"), [(f.key, f.iri) for f in items]
    return items, ("key", "label", "values"), [
        (f.key, f.label, " | ".join(f.values) if f.values else f.datatype.rsplit("#", 1)[-1]) for f in items]


def _procedures(g, args):
    items = g.procedures()
    return items, ("procedure", "label", "radiation", "adult_dose"), [
        (p.iri, p.label, p.radiation.symbol if p.radiation else None,
         p.radiation.dose_range if p.radiation else None) for p in items]


def _next_steps(g, args):
    items = g.next_steps(args.scenario, args.result)
    return items, ("result", "order", "step", "procedures", "interval_months", "alternatives"), [
        (b.result, s.order, s.label, " | ".join(p.label for p in s.procedures), s.interval_months, b.alternatives)
        for b in items for s in b.steps]


def _alternatives(g, args):
    items = g.alternatives(args.scenario, args.contraindication)
    return items, ("contraindication", "preference", "procedure", "label", "caveat"), [
        (a.contraindication.label, a.preference, a.procedure.iri, a.procedure.label, a.caveat) for a in items]


def _interval(g, args):
    answer = g.surveillance_interval(args.scenario, args.grade, args.stage)
    rows = [(m.every, m.label, " ".join(m.grades), " ".join(m.stages)) for m in answer.matches]
    text = None
    if not answer.matches:
        text = ("cannot decide; also state: " + ", ".join(answer.missing) if answer.missing
                else "no surveillance interval of this scenario applies")
    return answer, ("every", "interval", "grades", "stages"), rows, text


def _dose(g, args):
    if bool(args.procedure) == bool(args.scenario):
        raise KGError("give a procedure, or --scenario to compare a scenario's rated options")
    if args.scenario:
        items = g.compare_radiation(args.scenario, args.years, args.every, args.population)
    else:
        items = [g.cumulative_dose(args.procedure, args.years, args.every, args.population)]
    return items, ("procedure", "label", "radiation", "studies", "cumulative_dose"), [
        (e.procedure.iri, e.procedure.label, e.radiation.symbol if e.radiation else "not stated", e.studies,
         e.total_range) for e in items]


def _diagnoses(g, args):
    items = g.diagnoses(args.scenario)
    return items, ("diagnosis", "label", "most_common", "sites"), [
        (d.iri, d.label, d.most_common, " | ".join(s.label for s in d.sites)) for d in items]


def _pitfalls(g, args):
    items = g.pitfalls(args.scenario)
    return items, ("order", "pitfall", "consequence"), [(p.order, p.label, p.consequence) for p in items]


def _faq(g, args):
    items = g.faq(args.scenario)
    text = "\n\n".join(f"{f.order}. {f.question}\n   {f.answer}" for f in items)
    return items, ("order", "question", "answer"), [(f.order, f.question, f.answer) for f in items], text


def _related(g, args):
    answer = g.related(args.scenario)
    return answer, ("relation", "target", "label", "via"), [
        (link.relation, link.target.iri, link.target.label, link.via.label if link.via else None)
        for link in answer.links]


TYPED = {"recommend": _recommend, "match": _match, "scenarios": _scenarios, "topics": _topics, "facts": _facts,
         "procedures": _procedures, "next-steps": _next_steps, "alternatives": _alternatives,
         "interval": _interval, "dose": _dose, "diagnoses": _diagnoses, "pitfalls": _pitfalls, "faq": _faq,
         "related": _related}


def _typed(args) -> int:
    from iakg.present.text import render

    answer, headers, rows, *text = TYPED[args.command](_graph(args), args)
    print(render(args.format, answer, headers, rows, text[0] if text else None))
    return 0


# ---------------------------------------------------------------- SPARQL and validation
def _query(args) -> int:
    from iakg import catalogue
    from iakg.present.text import RESULT_FORMATS

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
    from iakg import catalogue
    from iakg.present.text import table

    queries = catalogue.catalogue().values()
    if args.format == "json":
        print(json.dumps([{"name": q.name, "title": q.title, "description": q.description, "form": q.form,
                           "parameters": [{"name": p.name, "type": p.type, "optional": p.optional,
                                           "description": p.description} for p in q.parameters],
                           "example": q.example} for q in queries], ensure_ascii=False, indent=2))
        return 0
    rows = [(q.name, q.title, " ".join(f"{p.name}:{p.type}" + ("?" if p.optional else "") for p in q.parameters))
            for q in queries]
    print(table(["name", "title", "parameters (? = optional)"], rows))
    return 0


def _validate(args) -> int:
    from iakg.api import load

    report = load([*args.files, *args.changed]).validate(changed=args.changed)
    if report.conforms:
        print("conforms: the graph satisfies every shape" + (f" ({len(args.files)} extra file(s) merged)"
                                                            if args.files else ""))
        return 0
    for violation in report.violations:
        print(violation)
    print(f"{len(report.violations)} violation(s)", file=sys.stderr)
    return 1


def _checked(args):
    """The embedded graph, refused (exit 1 with the listing) if it breaks the shapes, unless --force."""
    from iakg.api import load

    graph = load(args.data)
    if not getattr(args, "force", False):
        report = graph.validate()
        if not report.conforms:
            for violation in report.violations:
                print(violation, file=sys.stderr)
            print("iakg: the graph breaks the shapes; nothing was written or served"
                  + (" (--force overrides)" if hasattr(args, "force") else ""), file=sys.stderr)
            raise ValidationError(report)
    return graph


def _export(args) -> int:
    from iakg.io.atomic import write_bytes

    data = _checked(args).export(args.format, inferred=args.inferred)
    if args.out:
        write_bytes(args.out, data)
        print(f"wrote {args.out} ({len(data)} bytes)", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return 0


def _build(args) -> int:
    from iakg.io.release import build

    for name, size in build(_checked(args), args.out):
        print(f"{size:>10}  {args.out / name}")
    return 0


def _serve(args) -> int:
    from iakg.serve.gateway import serve

    serve(_checked(args), args.host, args.port, args.timeout_s, args.max_result_bytes)
    return 0


def _publish(args) -> int:
    from iakg.io.publish import publish

    sent, counted = publish(_checked(args), args.endpoint, args.graph, args.query_endpoint)
    print(f"sent {sent} triples to <{args.graph}> at {args.endpoint}; counted back {counted}")
    return 0 if sent == counted else 1


COMMANDS = {"query": _query, "queries": _queries, "validate": _validate, "export": _export, "build": _build,
            "serve": _serve, "publish": _publish}


def main(argv: list[str] | None = None) -> int:
    from iakg.rdf.safety import forbid_network

    args = _parser().parse_args(argv)
    named = [getattr(args, name, None) for name in ("endpoint", "query_endpoint")]
    if args.command == "serve":
        named.append("http://127.0.0.1/")  # the private engine of the endpoint
    forbid_network(tuple(url for url in named if url))
    try:
        return COMMANDS.get(args.command, _typed)(args)
    except KGError as exc:
        print(f"iakg: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("iakg: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
