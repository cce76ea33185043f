"""``iakg validate``, ``export``, ``build``, ``serve`` and ``publish``: the graph checked, written and served."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from iakg.cli.registry import command, data_option
from iakg.errors import KGError, ValidationError


def _validate_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", type=Path, help="extra RDF files merged with the shipped graph")
    p.add_argument("--changed", action="append", default=[], type=Path, metavar="FILE",
                   help="validate only the resources FILE describes (it is merged too): a targeted check of "
                        "new or changed data, fast on a large graph (repeatable)")


@command("validate", "validate the graph (plus FILES) against the SHACL shapes", _validate_options)
def _validate(args: argparse.Namespace) -> int:
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


def checked(args: argparse.Namespace) -> Any:
    """The embedded graph, refused (exit 1 with the listing) if it breaks the shapes, unless --force."""
    from iakg.api import load
    from iakg.io.dataset import inputs
    from iakg.validate import record

    graph = load(args.data)
    key = record.digest(path for path, _ in inputs(args.data))
    if not getattr(args, "force", False) and not record.validated(key):  # same content: validated already
        report = graph.validate()
        if report.conforms:
            record.remember(key)
        else:
            for violation in report.violations:
                print(violation, file=sys.stderr)
            print("iakg: the graph breaks the shapes; nothing was written or served"
                  + (" (--force overrides)" if hasattr(args, "force") else ""), file=sys.stderr)
            raise ValidationError(report)
    return graph


def _force_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--force", action="store_true", help=f"{what} even if the graph breaks the shapes")
    data_option(p)


def _export_options(p: argparse.ArgumentParser) -> None:
    from iakg.io.formats import FORMATS

    p.add_argument("--format", choices=FORMATS, default="ttl", metavar="FORMAT",
                   help="output format: %(choices)s (default: ttl)")
    p.add_argument("--out", type=Path, help="output file (written atomically); default: standard output")
    p.add_argument("--inferred", action="store_true", help="include the OWL RL closure (its own named graph)")
    _force_option(p, "export")


@command("export", "write the dataset (validated) in one of the registered formats", _export_options)
def _export(args: argparse.Namespace) -> int:
    from iakg.io.atomic import write_bytes

    data = checked(args).export(args.format, inferred=args.inferred)
    if args.out:
        write_bytes(args.out, data)
        print(f"wrote {args.out} ({len(data)} bytes)", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return 0


def _build_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("dist"), help="release folder (default: dist)")
    p.add_argument("--no-site", action="store_true", help="leave out the static site (OUT/site/)")
    p.add_argument("--site-endpoint", default="/sparql", metavar="URL",
                   help="SPARQL endpoint the static site's query editor talks to (default: /sparql)")
    _force_option(p, "build")


@command("build", "write a release folder: every export, contexts, shapes, queries, checksums, the static site",
         _build_options)
def _build(args: argparse.Namespace) -> int:
    from iakg.io.release import build

    graph = checked(args)
    pages = 0

    def site(folder: Path, nquads: bytes) -> None:
        nonlocal pages
        from iakg.present.html.site import write_site

        (folder / "site").mkdir()
        pages = write_site(graph, folder / "site", nquads, endpoint=args.site_endpoint)

    for name, size in build(graph, args.out, None if args.no_site else site,
                            validated=not getattr(args, "force", False)):
        print(f"{size:>10}  {args.out / name}")
    if not args.no_site:
        print(f"{pages:>10}  pages in {args.out / 'site'}/ (static site)")
    return 0


def _serve_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("release", nargs="?", type=Path,
                   help="a release folder written by 'iakg build': served as built, without validating again")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=7878, help="port (default: 7878; 0 picks a free one)")
    p.add_argument("--timeout-s", type=float, default=10.0, help="query time cap in seconds (default: 10)")
    p.add_argument("--max-result-bytes", type=int, default=10_000_000, help="result size cap (default: 10 MB)")
    p.add_argument("--max-memory-mb", type=int, default=2048,
                   help="engine memory cap: past it the running queries are stopped (default: 2048)")
    data_option(p)


@command("serve", "serve the validated graph read-only over the SPARQL 1.1 Protocol", _serve_options)
def _serve(args: argparse.Namespace) -> int:
    from iakg.io.release import verified
    from iakg.serve.app import serve

    graph, release = None, None
    if args.release is not None:
        if args.data:
            raise KGError("serve a release folder or --data files, not both")
        release = args.release
        manifest = verified(release)  # the release carries its digest and validation result
        print(f"serving release {manifest['version']} ({manifest['digest']}), validated at build: "
              f"{'conforms' if manifest['conforms'] else 'does NOT conform'}", file=sys.stderr, flush=True)
    else:
        print("validating the graph against the shapes...", file=sys.stderr, flush=True)
        graph = checked(args)
        print("valid; loading it into the engine", file=sys.stderr, flush=True)
    return serve(graph, args.host, args.port, args.timeout_s, args.max_result_bytes,
                 args.max_memory_mb * 2**20, release=release)


def _publish_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--endpoint", required=True, metavar="URL",
                   help="Graph Store Protocol URL, e.g. http://host:7878/store")
    p.add_argument("--query-endpoint", metavar="URL", help="SPARQL query URL to count back (default: .../query)")
    p.add_argument("--graph", default="https://w3id.org/iakg/dataset", help="named graph to replace")
    _force_option(p, "publish")


@command("publish", "load the release into a SPARQL 1.1 Graph Store Protocol endpoint", _publish_options)
def _publish(args: argparse.Namespace) -> int:
    from iakg.io.publish import publish

    sent, counted = publish(checked(args), args.endpoint, args.graph, args.query_endpoint)
    print(f"sent {sent} triples to <{args.graph}> at {args.endpoint}; counted back {counted}")
    return 0 if sent == counted else 1
