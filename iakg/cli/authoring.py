"""``iakg import``: author content as tables. ``import table FILE...`` writes validated Turtle per topic;
``import template`` prints an empty table with its header block, column headers and a one-row example.
``iakg coverage ORDERS.csv`` tells what share of a site's orders the graph scores, and prefills such a table
for each frequent reason it cannot score yet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from iakg.cli.progress import stage
from iakg.cli.registry import command
from iakg.errors import KGError, ValidationError
from iakg.io.importers import IMPORTERS, convert, import_files
from iakg.present.text import say

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TEMPLATE_ROWS = [
    ["Title", "Fictional example topic: imaging (replace me)"],
    ["Id", "fictional-example-topic"],
    ["Description", "One sentence saying what the topic covers."],
    ["Panel", "Fictional Imaging Panel"],
    ["Panel size", "12"],
    ["Source", "Title of the document the table is read from"],
    ["Source URL", "https://example.org/where-the-table-is"],
    ["Source date", "2026-01-31"],
    ["Publisher", "Fictional Guidance Society"],
    ["Disease", "Fictional example disease"],
    ["Disease definition", "Needed only when the disease is not in the graph yet."],
    ["Test fixture", "true"],
]
TEMPLATE_EXAMPLE = ["Variant 1: Adult. Fictional example disease suspected. Initial imaging.",
                    "US abdomen", "Usually appropriate", "Limited", "O 0 mSv", "O 0 mSv [ped]", "8", "8",
                    "0", "0", "0", "0", "0", "1", "2", "6", "3"]


def _import_options(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="importer", required=True, metavar="IMPORTER")
    for name, importer in IMPORTERS.items():
        q = sub.add_parser(name, help=importer.help, description=f"Import {importer.help}: one validated Turtle "
                           "file per topic; nothing is written if any cell or shape is wrong.")
        q.add_argument("files", nargs="+", type=Path, metavar="FILE",
                       help="table files (" + ", ".join(importer.extensions) + "); a FILE.yaml/.yml/.json "
                            "beside a file of one topic gives its header keys")
        q.add_argument("--out", type=Path, default=Path("."), metavar="DIR",
                       help="folder for the Turtle files, one per topic (default: the current folder)")
        q.add_argument("--sidecar", type=Path, metavar="FILE", help="the header keys in this YAML or JSON file "
                       "(one table file only)")
        q.add_argument("--data", action="append", default=[], type=Path, metavar="FILE",
                       help="extra RDF file of the graph the table is matched and validated against (repeatable)")
        q.add_argument("--check", action="store_true", help="check and validate only; write nothing")
        q.add_argument("--force", action="store_true", help="move aside (renamed, never deleted) a file in --out "
                       "that has a topic's name but was not written by iakg import")
    t = sub.add_parser("template", help="print an empty table: header block, column headers, one example row",
                       description="Print an empty table with its header block, its column headers and a "
                                   "one-row (fictional) example.")
    t.add_argument("--tsv", action="store_true", help="tab-separated instead of comma-separated")


@command("import", "author content from tables: import table FILE..., import template", _import_options)
def _import(args: argparse.Namespace) -> int:
    if args.importer == "template":
        print(template("\t" if args.tsv else ","), end="")
        return 0

    try:
        return _run(args, convert, import_files)
    except ValidationError as exc:
        for violation in exc.report.violations:
            say(str(violation))
        print("iakg: the imported topics break the shapes; nothing was written", file=sys.stderr)
        raise


def _run(args: argparse.Namespace, convert, import_files) -> int:
    if args.sidecar and len(args.files) != 1:
        raise KGError("--sidecar describes one table file; give one FILE")

    stage(f"reading {len(args.files)} table file(s), matching and validating them")
    if args.check:
        outputs, _ = convert(args.importer, args.files, args.data, args.sidecar)
        for name, _text in outputs:
            print(f"ok: {name} (not written: --check)")
        return 0
    moved: list[tuple[Path, Path]] = []
    for path, text in import_files(args.importer, args.files, args.out, args.data, args.sidecar,
                                   force=args.force, moved=moved):
        print(f"wrote {path} ({len(text)} bytes)")
    for old, new in moved:
        print(f"iakg: the file that was at {old} is now {new}", file=sys.stderr)
    print("conforms: the imported topics satisfy every shape against the whole graph", file=sys.stderr)
    return 0


def template(delimiter: str = ",") -> str:
    """An empty table: the header block, the column headers and one fictional example row."""
    import csv
    import io

    from iakg.io.importers.export_table import HEADER

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerows(TEMPLATE_ROWS)
    writer.writerow(HEADER)
    writer.writerow(TEMPLATE_EXAMPLE)
    return out.getvalue()


def _coverage_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("orders", type=Path, metavar="ORDERS.csv",
                   help="the order log: a header row, an 'order' column (LOINC code, procedure IRI or CURIE, "
                        "local system|code of the site mapping, or a procedure's label), an optional 'reason' "
                        "column and optional columns named after patient facts")
    p.add_argument("--cds-mapping", type=Path, metavar="FILE", help="the site mapping (default: the shipped one)")
    p.add_argument("--top", type=int, default=10, metavar="N", help="how many unmatched reasons to list (default: 10)")
    p.add_argument("--templates", type=Path, metavar="DIR",
                   help="write a prefilled authoring table (docs/authoring.md) per unmatched reason into DIR")
    p.add_argument("--data", action="append", default=[], type=Path, metavar="FILE",
                   help="extra RDF file merged with the shipped graph (repeatable)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")


@command("coverage", "how many orders of a site's log the graph scores, and the reasons it cannot yet",
         _coverage_options)
def _coverage(args: argparse.Namespace) -> int:
    import json

    from iakg.api import load
    from iakg.cds.coverage import OUTCOMES
    from iakg.cli.progress import stage
    from iakg.errors import KGError

    if args.top < 0:
        raise KGError("--top: give a whole number >= 0")
    stage("loading the graph")
    graph = load(args.data)

    def progress(rows: int, reasons: int) -> None:
        print(f"iakg: coverage: {_count(rows, 'order')} read, {_count(reasons, 'distinct reason')}", file=sys.stderr,
              flush=True)

    stage("reading the orders")
    report = graph.coverage(args.orders, args.cds_mapping, args.top, progress)
    templates = [coverage_template(u) for u in report.unmatched]
    if args.templates is not None:
        from iakg.io.atomic import write_bytes

        args.templates.mkdir(parents=True, exist_ok=True)
        for i, text in enumerate(templates, 1):
            write_bytes(args.templates / f"unmatched-{i:02d}.csv", text.encode("utf-8"))
    if args.format == "json":
        out = report.to_dict()
        for item, text in zip(out["unmatched"], templates):
            item["template"] = text
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    print(f"{_count(report.orders, 'order')}, {_count(report.distinct_reasons, 'distinct reason')} ({report.source})")
    for outcome in OUTCOMES:
        print(f"  {outcome:<15} {report.counts[outcome]:>9,}  {report.share(outcome):6.1%}")
    if report.scored_from_text:
        print(f"  of the scored, {report.scored_from_text:,} only with facts read from the reason text (to confirm)")
    if report.missing:
        say("\nFacts most often missing (need-more-info orders): " + ", ".join(
            f"{key} ({n:,})" for key, n in report.missing.most_common(8)))
    if report.unmatched:
        print("\nMost frequent reasons not scored:")
    for i, u in enumerate(report.unmatched, 1):
        procedures = ", ".join(f"{p} ({n})" for p, n in u.procedures.most_common(3))
        say(f"{i:>3}. {_count(u.count, 'order')}: \"{u.reason}\"\n     {u.why}\n     ordered: {procedures}")
    if report.unmatched and args.templates is None:
        print("\n--templates DIR writes a prefilled authoring table for each (docs/authoring.md).")
    return 0


def coverage_template(unmatched: Any) -> str:
    """An authoring table (docs/authoring.md) prefilled from an unmatched reason: what the resolver read, the
    procedures ordered for it, and empty rating cells for an author to fill from a source (nothing invented)."""
    import csv
    import io

    from iakg.io.importers.export_table import HEADER

    disease = unmatched.disease or "<the condition the reason is about>"
    population = unmatched.population or "<Adult|Child|Adult or child>"
    phase = unmatched.phase or "<phase of care, e.g. Surveillance>"
    rows = [["Title", f"<topic title> (drafted from {_count(unmatched.count, 'order')}: {unmatched.reason[:80]})"],
            ["Id", "<topic-id>"],
            ["Description", f"Drafted by iakg coverage from the reason \"{unmatched.reason[:200]}\"; "
                            f"the resolver said: {unmatched.why[:300]}"],
            ["Source", "<the document the ratings are read from>"], ["Source URL", "<https://...>"],
            ["Source date", "<YYYY-MM-DD>"], ["Publisher", "<guidance body>"], ["Disease", disease],
            ["Disease definition", "<needed only when the disease is not in the graph yet>"]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows)
    writer.writerow(HEADER)
    for i, (procedure, _) in enumerate(unmatched.procedures.most_common()):
        variant = f"Variant 1: {population}. {unmatched.reason[:200]}. {phase}." if i == 0 else ""
        writer.writerow([variant, procedure] + [""] * (len(HEADER) - 2))
    return out.getvalue()


def _count(n: int, noun: str) -> str:
    """``1 order``, ``2 orders``: a count and its noun."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
