"""Release notes: the diff of two releases (``iakg.io.diff``, ``iakg.io.changeset``) for people (Markdown),
for programs (JSON) and as RDF (a changeset); ``iakg build`` writes them against the previous release.

A release is named by a reference: a recorded version (``0.2.0``), ``working`` (the graph as it is now), a
release folder written by ``iakg build``, or an N-Quads file (``.nq`` or ``.nq.gz``).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

from iakg.digest import of_bytes
from iakg.errors import InputError, KGError
from iakg.io.changes import Named, Report
from iakg.io.changeset import CS, delta, rdf
from iakg.io.diff import KINDS, Side, clinical
from iakg.io.releases import content, identity, index
from iakg.rdf.namespaces import GRAPH_DESCRIPTION, curie

WORKING = "working"
CHANGESET_PREFIXES = {"cs": CS}  #: written in a changeset's Turtle beside the project's prefixes


def resolve(reference: str, working: Callable[[], bytes]) -> Named:
    """The content of the release ``reference`` names (see the module's docstring); ``working()`` gives the
    working graph's content N-Quads."""
    if reference == WORKING:
        data = working()
    else:
        _, records = index()
        if reference in {r.version for r in records}:
            data = content(reference)
        else:
            data = _read(Path(reference))
    found = of_bytes(data)
    return Named(data, identity(found), found, reference)


def _read(path: Path) -> bytes:
    """The content N-Quads (the description graph left out) of a release folder or N-Quads file."""
    _, records = index()
    known = ", ".join(r.version for r in records)
    target = path / "iakg.nq" if path.is_dir() else path
    if not target.is_file():
        raise InputError(str(path), f"not a recorded release ({known}), '{WORKING}', a release folder or an "
                                    "N-Quads file")
    try:
        data = target.read_bytes()
        if target.suffix == ".gz":
            data = gzip.decompress(data)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(str(target), f"cannot read it: {getattr(exc, 'strerror', None) or exc}") from None
    end = f" <{GRAPH_DESCRIPTION}> .".encode()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(str(target), f"not UTF-8 N-Quads (byte {exc.start})") from None
    return b"".join(line + b"\n" for line in data.splitlines() if line.strip() and not line.endswith(end))


def compare(old: Named, new: Named) -> Report:
    """The clinical changes and the statement-level delta from ``old`` to ``new``."""
    try:
        before, after = Side(old.nquads), Side(new.nquads)
    except (SyntaxError, ValueError) as exc:
        raise KGError(f"not a readable N-Quads release: {exc}") from None
    changes = clinical(before, after)
    labels = {**before.labels, **after.labels}
    return Report(old, new, changes, delta(old.nquads, new.nquads), labels)


def _cell(text: str | None) -> str:
    if text is None:
        return ""
    return " ".join(text.split()).replace("|", "\\|")


def markdown(report: Report) -> str:
    """The release notes in Markdown: the clinical changes by kind, then what else changed."""
    old, new = report.old.identity.version, report.new.identity.version
    counts = {a: sum(1 for c in report.changes if c.action == a) for a in ("added", "removed", "changed")}
    removed, added = report.delta.removed, report.delta.added
    out = [f"## Changes from dataset {old} to {new}", "",
           f"{len(report.changes)} clinical changes ({counts['added']} added, {counts['removed']} removed, "
           f"{counts['changed']} changed); {len(removed)} statements removed and {len(added)} added"
           f"{_about(len(report.delta.units))}. Made by `iakg diff {_reference(report.old)} "
           f"{_reference(report.new)}`.", ""]
    if not report.changes and not report.delta.units:
        out += ["No change: the two releases hold the same statements.", ""]
    for name, kind in KINDS.items():
        mine = [c for c in report.changes if c.kind == name]
        if not mine:
            continue
        out += [f"### {kind.title}", "", "| what | change | before | after |", "|---|---|---|---|"]
        out += [f"| {_cell(c.item)} | {c.action} | {_cell(c.old)} | {_cell(c.new)} |" for c in mine]
        out.append("")
    explained = {s for c in report.changes for s in c.subjects}
    others = sorted({u.subject.value for u in report.delta.units} - explained)
    if others:
        names = [_short(report.labels.get(f"<{iri}>") or curie(iri)) for iri in others]
        shown = ", ".join(_cell(n) for n in names[:40]) + (f" and {len(names) - 40} more" if len(names) > 40 else "")
        out += ["### Other statements", "",
                f"Statements also changed about {len(others)} resource{'' if len(others) == 1 else 's'} with no "
                "clinical change listed above "
                f"(labels, definitions, the ontology, the shapes, the query catalogue): {shown}.", ""]
    by_graph = _by_graph(report)
    if by_graph:
        out += ["Statements by graph (removed, added): " + "; ".join(
            f"{g.rsplit('/', 1)[-1] or 'default'} -{r} +{a}" for g, (r, a) in by_graph.items()) + ".", ""]
    return "\n".join(out)


def _about(resources: int) -> str:
    """How many resources the statements are about (nothing when none changed)."""
    if not resources:
        return ""
    return f", about {resources} resource{'' if resources == 1 else 's'}"


def _reference(named: Named) -> str:
    """How to name a release again: its version once recorded, else what it was called."""
    return named.identity.version if named.identity.recorded else named.reference or named.identity.version


def _short(text: str, most: int = 60) -> str:
    return text if len(text) <= most else text[:most - 1].rstrip() + "…"


def _by_graph(report: Report) -> dict[str, tuple[int, int]]:
    graphs: dict[str, list[int]] = {}
    for q in report.delta.removed:
        graphs.setdefault(getattr(q.graph_name, "value", ""), [0, 0])[0] += 1
    for q in report.delta.added:
        graphs.setdefault(getattr(q.graph_name, "value", ""), [0, 0])[1] += 1
    return {g: (r, a) for g, (r, a) in sorted(graphs.items())}


def as_json(report: Report) -> dict:
    """The release notes as JSON: both releases, every clinical change, the statements by graph."""
    def side(named: Named) -> dict:
        return {"version": named.identity.version, "released": named.identity.recorded,
                "issued": named.identity.issued, "digest": named.digest}

    return {"old": side(report.old), "new": side(report.new),
            "changes": [{"kind": c.kind, "action": c.action, "item": c.item, "old": c.old, "new": c.new,
                         "subjects": list(c.subjects)} for c in report.changes],
            "statements": {"removed": len(report.delta.removed), "added": len(report.delta.added),
                           "resources": len(report.delta.units),
                           "by_graph": {g: {"removed": r, "added": a} for g, (r, a) in _by_graph(report).items()}}}


def changeset(report: Report) -> list:
    """The changeset triples (``iakg.io.changeset.rdf``)."""
    return rdf(report.delta, report.changes, report.old_iri, report.new_iri)
