"""``iakg diff``: what changed between two releases, for people (Markdown), programs (JSON) or RDF stores."""

from __future__ import annotations

import argparse

from iakg.cli.progress import stage
from iakg.cli.registry import command, data_option

FORMATS = ("markdown", "json", "ttl", "nt")


def _diff_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", help="the earlier release: a recorded version (e.g. 0.2.0), 'working', a release folder "
                               "written by 'iakg build' or an N-Quads file (.nq, .nq.gz)")
    p.add_argument("new", nargs="?", default="working",
                   help="the later release, in the same forms (default: working, the graph as it is now)")
    p.add_argument("--format", choices=FORMATS, default="markdown",
                   help="markdown (release notes), json, or the changeset as ttl or nt (default: markdown)")
    p.add_argument("--out", help="output file (written atomically); default: standard output")
    data_option(p)


@command("diff", "what changed between two releases: clinical changes, and every statement as a changeset",
         _diff_options)
def _diff(args: argparse.Namespace) -> int:
    import json

    from iakg.api import load
    from iakg.cli.publishing import emit
    from iakg.io import notes

    stage("comparing the releases")
    report = load(args.data).diff(args.old, args.new)
    if args.format == "markdown":
        data = notes.markdown(report).encode("utf-8")
    elif args.format == "json":
        data = (json.dumps(notes.as_json(report), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    else:
        import pyoxigraph as ox

        from iakg.rdf.writers import turtle

        triples = notes.changeset(report)
        data = turtle(triples, prefixes=notes.CHANGESET_PREFIXES) if args.format == "ttl" else \
            ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    return emit(args.out, data)
