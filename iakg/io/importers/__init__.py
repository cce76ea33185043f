"""Importers: ways to author content in another shape than Turtle (``iakg import <name> FILE``).

Each importer is registered in ``IMPORTERS`` under a name with the file extensions it reads and a function
``read(paths, engine) -> list[Topic]`` that raises ``TableError`` with located problems. ``import_files``
runs one: it builds the topics against the graph, writes each as Turtle, validates the result against the
whole graph and only then writes the files (nothing is written on any error).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from iakg.errors import KGError, Problem, TableError, ValidationError
from iakg.io.atomic import check_target, write_files
from iakg.io.dataset import open_store
from iakg.rdf.engine import LocalEngine
from iakg.rdf.namespaces import GRAPH_DATA, GRAPH_EXTRA, GRAPH_ONTOLOGY, PREFIXES
from iakg.rdf.safety import offline
from iakg.registry import Registry


@dataclass(frozen=True)
class Importer:
    """One input shape: its name, the extensions it reads and its reader."""

    name: str
    extensions: tuple[str, ...]
    read: Callable[[list[Path], Any, Path | None], list[Any]]
    help: str = ""


#: the built-in importers register themselves when their module is imported (``table``: CSV, TSV, XLSX, ODS)
IMPORTERS: Registry[Importer] = Registry("importer", ("iakg.io.importers.tables",))


def register(name: str, extensions: tuple[str, ...], help: str = ""
             ) -> Callable[[Callable[..., list[Any]]], Callable[..., list[Any]]]:
    """Decorator: register ``read(paths, engine, sidecar)`` as importer ``name``."""
    def add(read: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
        IMPORTERS.register(name, Importer(name, extensions, read, help))
        return read
    return add


def turtle(topic: Any, origin: str, fixture: bool = False) -> bytes:
    """A topic's triples as readable, deterministic Turtle: prefixes, then one block per subject."""
    triples = topic.triples()
    iris = {t.predicate.value for t in triples} | {str(term.value) for t in triples for term in (t.subject, t.object)
                                                   if isinstance(term, ox.NamedNode)}
    iris |= {t.object.datatype.value for t in triples if isinstance(t.object, ox.Literal)}
    prefixes = {p: ns for p, ns in PREFIXES.items() if any(i.startswith(ns) for i in iris)}
    for ns in sorted({s.rsplit("/", 1)[0] + "/" for s in topic.subjects} - set(PREFIXES.values())):
        prefixes[f"t{len(prefixes)}" if "t" in prefixes else "t"] = ns
    body = (ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes) or b"").decode("utf-8")
    source = body.splitlines()
    lines: list[str] = []
    for i, line in enumerate(source):
        lines.append(line.replace("\t", "    "))
        following = source[i + 1] if i + 1 < len(source) else ""
        if line.startswith("@prefix"):
            if not following.startswith("@prefix"):
                lines.append("")
        elif line.endswith(" ."):
            lines.append("")
    title, origin = (" ".join(str(x).split()) for x in (topic.title, origin))  # a comment line stays one line
    head = [f"# {title}", f"# Imported from the table {origin} {IMPORTED_MARK}: edit the table and "
            "import it again rather than editing this file."]
    if fixture:
        head.insert(0, "# TEST FIXTURE - NOT CLINICAL GUIDANCE (fictional content for the tests).")
    return ("\n".join(head) + "\n\n" + "\n".join(lines).rstrip() + "\n").encode("utf-8")


#: the header line that marks a Turtle file as written by ``iakg import``: only such a file is replaced
IMPORTED_MARK = "by `iakg import table`"


def imported_by_iakg(path: Path) -> bool:
    """True if the file at ``path`` starts with the comment header ``iakg import`` writes (see :func:`turtle`)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096).decode("utf-8", "replace").splitlines()
    except OSError:
        return False
    for line in head[:4]:
        if not line.startswith("#"):
            return False
        if line.startswith("# Imported from the table ") and IMPORTED_MARK in line:
            return True
    return False


def import_files(name: str, paths: Iterable[Path], out_dir: Path, data: Iterable[Path] = (),
                 sidecar: Path | None = None, validate: bool = True, store: ox.Store | None = None,
                 force: bool = False, moved: list[tuple[Path, Path]] | None = None) -> list[tuple[Path, bytes]]:
    """Import ``paths`` with importer ``name`` into Turtle files in ``out_dir``, validated against the
    shipped graph plus ``data``; return what was written. Raises ``TableError`` (located problems, exit 2)
    or ``ValidationError`` (shape violations, exit 1) having written nothing.

    A file already in ``out_dir`` is replaced only if ``iakg import`` wrote it (its header says so); any
    other is refused (``KGError``, exit 2, before anything is written) unless ``force``: then it is moved
    aside to ``NAME.moved-aside-<time>-<pid>``, never deleted, and (old, new) is appended to ``moved``."""
    outputs, _ = convert(name, list(paths), data, sidecar, validate, store)
    targets = [(out_dir / file_name, text) for file_name, text in outputs]
    foreign = set()
    for target, _text in targets:  # every target checked before any file is written
        if target.parent.is_dir():
            check_target(target)  # a folder, symlink or special file is refused even with --force
        if target.is_file() and not target.is_symlink() and not imported_by_iakg(target):
            if not force:
                raise KGError(f"{target}: the file exists and `iakg import` did not write it; nothing was written "
                              "(choose another --out, or --force to move it aside, never deleted)")
            foreign.add(target)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KGError(f"{out_dir}: cannot create the folder: {exc.strerror or exc}") from None
    aside = write_files(targets, foreign)
    if moved is not None:
        moved += list(aside.items())
    return targets


def convert(name: str, paths: list[Path], data: Iterable[Path] = (), sidecar: Path | None = None,
            validate: bool = True, store: ox.Store | None = None) -> tuple[list[tuple[str, bytes]], ox.Store]:
    """The Turtle files (name, bytes) of the topics in ``paths``, checked; and the store holding them."""
    importer = IMPORTERS.get(name)
    if store is None:
        store = open_store(list(data))
    topics = importer.read(paths, LocalEngine(store), sidecar)
    outputs: list[tuple[str, bytes]] = []
    extra = ox.NamedNode(GRAPH_EXTRA)
    focus: set[str] = set()
    seen: dict[str, str] = {}
    for topic, origin, fixture in topics:
        if topic.slug in seen:
            raise TableError([Problem(origin, 1, 1, topic.title, f"topic id {topic.slug!r} is also used by "
                                                                 f"{seen[topic.slug]}")])
        seen[topic.slug] = origin
        text = turtle(topic, Path(origin).name, fixture)
        outputs.append((f"{topic.slug}.ttl", text))
        focus.update(topic.subjects)
        # the file just written is what is validated (and the engine parses it faster than Python builds quads)
        store.load(text, format=ox.RdfFormat.TURTLE, to_graph=extra)
    if validate:
        from iakg.validate.shacl import validate_store

        with offline():
            report = validate_store(store, [GRAPH_ONTOLOGY, GRAPH_DATA, GRAPH_EXTRA], focus)
        if not report.conforms:
            where = {iri: place for topic, _, _ in topics for iri, place in topic.where.items()}

            report.violations = [replace(v, message=f"{where[v.focus]}: {v.message}") if v.focus in where else v
                                 for v in report.violations]  # located at the cell the resource came from
            raise ValidationError(report)
    return outputs, store
