"""``iakg validate``, ``export``, ``build``, ``serve`` and ``publish``: the graph checked, written and served."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from iakg.cli.progress import stage
from iakg.cli.registry import command, data_option, reason_timeout
from iakg.errors import KGError, ValidationError
from iakg.io.atomic import check_target, write_bytes
from iakg.io.dataset import inputs
from iakg.io.formats import FORMATS
from iakg.present.text import say
from iakg.rdf.engine import check_url
from iakg.validate import record


def _validate_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", type=Path, metavar="FILES",
                   help="RDF files: merged with the shipped graph, or with --shapes the data graph alone")
    p.add_argument("--shapes", action="append", default=[], type=Path, metavar="FILE",
                   help="validate FILES alone against the shapes of FILE alone (repeatable: their union is the "
                        "shapes graph); no shipped data, shapes or lint, as SHACL states it")
    p.add_argument("--changed", action="append", default=[], type=Path, metavar="FILE",
                   help="validate only the resources FILE describes (it is merged too): a targeted check of "
                        "new or changed data, fast on a large graph (repeatable; not with --shapes)")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text (one line per result) or json: conforms and each result's focus node, path, "
                        "value, source shape, constraint component, severity and message (default: text)")
    p.add_argument("--pyshacl", action="store_true",
                   help="run every shape in pyshacl, none as compiled queries (slower: a cross-check)")


@command("validate", "validate the graph (plus FILES), or FILES against --shapes, with SHACL", _validate_options)
def _validate(args: argparse.Namespace) -> int:
    from iakg.errors import InputError

    if args.shapes:
        from iakg.api import validate_files

        if args.changed:
            raise InputError("--changed", "targeted validation is of the shipped graph; not with --shapes")
        stage("validating the files against the shapes")
        report = validate_files(args.files, shapes=args.shapes, compiled=not args.pyshacl)
        done = f"conforms: {len(args.files)} file(s) satisfy every shape of {len(args.shapes)} shapes file(s)"
    else:
        from iakg.api import load

        stage("loading the graph")
        graph = load([*args.files, *args.changed])
        stage("validating it against the shapes")
        report = graph.validate(changed=args.changed, compiled=not args.pyshacl)
        done = "conforms: the graph satisfies every shape" + (f" ({len(args.files)} extra file(s) merged)"
                                                             if args.files else "")
    if args.format == "json":
        import json

        print(json.dumps(report.as_json(), indent=1, ensure_ascii=False))
        return 0 if report.conforms else 1
    if report.conforms:
        print(done)
        return 0
    for violation in report.violations:
        say(str(violation))
    print(f"{len(report.violations)} violation(s)", file=sys.stderr)
    return 1


def checked(args: argparse.Namespace) -> Any:
    """The embedded graph, refused (exit 1 with the listing) if it breaks the shapes, unless --force."""
    from iakg.api import load

    stage("loading the graph")
    graph = load(args.data)
    key = record.digest(path for path, _ in inputs(args.data))
    if not getattr(args, "force", False) and not record.validated(key):  # same content: validated already
        stage("validating it against the shapes")
        report = graph.validate()
        if report.conforms:
            record.remember(key)
        else:
            for violation in report.violations:
                say(str(violation), sys.stderr)
            say("iakg: the graph breaks the shapes; nothing was written or served"
                + (" (--force overrides)" if hasattr(args, "force") else ""), sys.stderr)
            raise ValidationError(report)
    return graph


def _force_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--force", action="store_true", help=f"{what} even if the graph breaks the shapes")
    data_option(p)


def _export_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMATS, default="ttl", metavar="FORMAT",
                   help="output format: %(choices)s (default: ttl)")
    p.add_argument("--out", help="output file (written atomically); default: standard output")
    p.add_argument("--inferred", action="store_true", help="include the OWL RL closure (its own named graph)")
    p.add_argument("--reason-timeout", type=float, default=120.0, metavar="SECONDS",
                   help="stop computing the closure past this many seconds, with an error (default: 120)")
    _force_option(p, "export")


@command("export", "write the dataset (validated) in one of the registered formats", _export_options)
def _export(args: argparse.Namespace) -> int:
    if args.out is not None:
        check_target(args.out)  # before the work: a folder, special file or "" is refused at once
        if Path(args.out).suffix.lower() in (".xlsx", ".xlsm", ".xls"):  # no format writes a workbook

            raise KGError(f"--format {args.format} writes {FORMATS.get(args.format).extension.upper()}, not a "
                          f"workbook: name --out {args.out!r} with .{FORMATS.get(args.format).extension}")
    if args.inferred:
        reason_timeout(args.reason_timeout)
    graph = checked(args)
    stage(f"writing the {args.format} export")
    return emit(args.out, graph.export(args.format, inferred=args.inferred))


def emit(out: Path | str | None, data: bytes) -> int:
    """Write ``data`` to ``out`` atomically (saying so on stderr), or to standard output; exit code 0."""
    if out:
        write_bytes(out, data)
        print(f"wrote {out} ({len(data)} bytes)", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return 0


def _build_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="dist",
                   help="release folder (default: dist): new, empty or an earlier release; a folder iakg did "
                        "not write is refused")
    p.add_argument("--no-site", action="store_true", help="leave out the static site (OUT/site/)")
    p.add_argument("--base-url", metavar="URL",
                   help="where the release folder will be published: void.ttl gives each dump's download URL "
                        "under it (default: https://w3id.org/iakg/release/VERSION/, the dataset's version)")
    p.add_argument("--site-endpoint", default="/sparql", metavar="URL",
                   help="SPARQL endpoint the static site's query editor talks to (default: /sparql)")
    p.add_argument("--force", action="store_true",
                   help="build even if the graph breaks the shapes, and move a foreign --out folder aside "
                        "(renamed, never deleted)")
    data_option(p)


@command("build", "write a release folder: every export, contexts, shapes, queries, checksums, the static site",
         _build_options)
def _build(args: argparse.Namespace) -> int:
    from iakg.io.release import build

    if not args.out:
        raise KGError("--out is empty: give the release folder")
    out = Path(args.out)
    if args.base_url is not None:
        parts = urlsplit(args.base_url)
        if parts.scheme not in ("http", "https", "file") or not (parts.netloc or parts.scheme == "file") \
                or any(c in args.base_url for c in ' <>"{}|\\^`'):
            raise KGError(f"--base-url {args.base_url!r}: give an absolute http(s) or file URL")
    graph = checked(args)
    pages = 0

    def site(folder: Path, nquads: bytes) -> None:
        nonlocal pages
        from iakg.present.html.site import write_site

        stage("writing the static site")
        (folder / "site").mkdir()
        pages = write_site(graph, folder / "site", nquads, endpoint=args.site_endpoint)

    moved: list[Path] = []
    stage("writing the dumps, contexts, description and queries")
    for name, size in build(graph, out, None if args.no_site else site, force=args.force, moved=moved,
                            validated=not args.force, base_url=args.base_url):
        print(f"{size:>10}  {out / name}")
    if not args.no_site:
        print(f"{pages:>10}  pages in {out / 'site'}/ (static site)")
    for path in moved:
        print(f"iakg: the folder that was at {args.out} is now {path}", file=sys.stderr)
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
    p.add_argument("--cds", action="store_true",
                   help="also serve the CDS Hooks service at /cds-services (docs/cds-hooks.md)")
    p.add_argument("--cds-mapping", type=Path, metavar="FILE", help="site mapping of local codes (default: shipped)")
    p.add_argument("--cds-feedback", type=Path, metavar="FILE",
                   help="JSONL log of card feedback (default: $XDG_STATE_HOME/iakg/cds-feedback.jsonl)")
    data_option(p)


@command("serve", "serve the validated graph read-only over the SPARQL 1.1 Protocol", _serve_options)
def _serve(args: argparse.Namespace) -> int:
    import socket


    if not (math.isfinite(args.timeout_s) and args.timeout_s > 0):
        raise KGError(f"--timeout-s {args.timeout_s}: give a positive number of seconds")
    if not 0 <= args.port <= 65535:
        raise KGError(f"--port {args.port}: give a port from 0 to 65535")
    if args.max_result_bytes <= 0:
        raise KGError(f"--max-result-bytes {args.max_result_bytes}: give a positive number")
    try:  # the host resolves and the port is free: checked here so that both fail in one line
        with socket.create_server((args.host, args.port)):
            pass
    except (OSError, OverflowError, UnicodeError) as exc:
        raise KGError(f"cannot serve on {args.host}:{args.port}: {getattr(exc, 'strerror', None) or exc}") from None

    if args.max_memory_mb <= 0:
        raise KGError(f"--max-memory-mb {args.max_memory_mb}: give a positive number")
    from iakg.io.release import verified
    from iakg.serve.app import ServeOptions, serve

    graph, release = None, None
    if args.release is not None:
        if args.data:
            raise KGError("serve a release folder or --data files, not both")
        release = args.release
        manifest = verified(release, served=True)  # the release carries its digest and validation result
        print(f"serving release {manifest['version']} ({manifest['digest']}), validated at build: "
              f"{'conforms' if manifest['conforms'] else 'does NOT conform'}", file=sys.stderr, flush=True)
    else:
        print("validating the graph against the shapes...", file=sys.stderr, flush=True)
        graph = checked(args)
        print("valid; loading it into the engine", file=sys.stderr, flush=True)
    options = ServeOptions(timeout_s=args.timeout_s, max_result_bytes=args.max_result_bytes,
                           max_memory_bytes=args.max_memory_mb * 2**20, cds=args.cds, cds_mapping=args.cds_mapping,
                           cds_feedback_log=args.cds_feedback)
    return serve(graph, args.host, args.port, options, release=release)


def _codesystem_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, help="output file (written atomically); default: standard output")
    data_option(p)


@command("cds-codesystem", "write the graph's patient facts as a FHIR R4 CodeSystem (JSON)", _codesystem_options)
def _cds_codesystem(args: argparse.Namespace) -> int:
    import json

    from iakg.api import load
    from iakg.cds import codesystem

    graph = load(args.data)
    named = graph.release().identity  # the facts are content: the dataset's version names them
    assert named is not None  # a release made from a store is always named
    resource = codesystem(graph.patient_facts(), named.version, named.issued)
    return emit(args.out, (json.dumps(resource, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def _publish_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--endpoint", required=True, metavar="URL",
                   help="Graph Store Protocol URL, e.g. http://host:7878/store")
    p.add_argument("--query-endpoint", metavar="URL", help="SPARQL query URL to count back (default: .../query)")
    p.add_argument("--graph", default="https://w3id.org/iakg/dataset", help="named graph to replace")
    _force_option(p, "publish")


@command("publish", "load the release into a SPARQL 1.1 Graph Store Protocol endpoint", _publish_options)
def _publish(args: argparse.Namespace) -> int:
    from iakg.io.publish import publish

    check_url(args.endpoint, "--endpoint")
    if args.query_endpoint:
        check_url(args.query_endpoint, "--query-endpoint")
    sent, counted = publish(checked(args), args.endpoint, args.graph, args.query_endpoint)
    print(f"sent {sent} triples to <{args.graph}> at {args.endpoint}; counted back {counted}")
    return 0 if sent == counted else 1
