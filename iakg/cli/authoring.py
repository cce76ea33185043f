"""``iakg import``: author content as tables. ``import table FILE...`` writes validated Turtle per topic;
``import template`` prints an empty table with its header block, column headers and a one-row example."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from iakg.cli.progress import stage
from iakg.cli.registry import command
from iakg.errors import KGError, ValidationError
from iakg.io.importers import IMPORTERS, convert, import_files

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
            print(violation)
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
