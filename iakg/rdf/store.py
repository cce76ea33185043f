"""Loading RDF files into an embedded Oxigraph store, each part of the dataset in its own named graph."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from iakg import resources
from iakg.errors import InputError
from iakg.rdf.namespaces import GRAPH_CATALOGUE, GRAPH_DATA, GRAPH_EXTRA, GRAPH_ONTOLOGY

#: file extensions we read, by the format registry of pyoxigraph
SUPPORTED_EXTENSIONS = (".ttl", ".nt", ".nq", ".trig", ".jsonld", ".json", ".rdf", ".owl", ".n3")


def rdf_format(path: Path) -> ox.RdfFormat:
    """The RDF format of a file, chosen by its extension."""
    ext = path.suffix.lower()
    fmt = ox.RdfFormat.from_extension({".json": "jsonld", ".owl": "rdf"}.get(ext, ext)[1:]) if ext else None
    if fmt is None:
        raise InputError(str(path), f"unsupported file extension {ext or '(none)'!r}; use one of "
                         + ", ".join(SUPPORTED_EXTENSIONS))
    return fmt


def load_file(store: ox.Store, path: Path | str, graph: str, bulk: bool = False) -> None:
    """Parse one file into ``graph`` of ``store``; raise InputError with line and column on bad syntax.

    ``bulk`` uses Oxigraph's bulk loader (for building on-disk stores).
    """
    path = Path(path)
    fmt = rdf_format(path)
    if not path.is_file():
        raise InputError(str(path), "no such file" if not path.exists() else "not a regular file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise InputError(str(path), "the file is empty: no RDF to load")
    target = None if fmt.supports_datasets else ox.NamedNode(graph)
    try:
        (store.bulk_load if bulk else store.load)(data, format=fmt, base_iri=path.resolve().as_uri(),
                                                  to_graph=target)
    except SyntaxError as exc:
        raise InputError(str(path), exc.msg, exc.lineno, exc.offset) from None
    except MemoryError as exc:
        raise InputError(str(path), f"too large for the parser: {exc} (a single literal or token is limited "
                                    "to 16 MB)") from None
    except (ValueError, OSError) as exc:
        raise InputError(str(path), str(exc)) from None


def build_store(extra_files: Iterable[Path | str] = ()) -> ox.Store:
    """An in-memory store holding the shipped ontology and data, plus any extra files."""
    store = ox.Store()
    load_file(store, resources.ONTOLOGY_FILE, GRAPH_ONTOLOGY)
    for path in resources.data_files():
        load_file(store, path, GRAPH_DATA)
    for path in extra_files:
        load_file(store, path, GRAPH_EXTRA)
    add_catalogue(store)
    return store


def prepared_store(extra_files: Iterable[Path | str] = (), cache_dir: Path | str = ".iakg-cache",
                   reason: bool = False) -> ox.Store:
    """An on-disk store of the shipped graph plus ``extra_files``, built once and reopened read-only after.

    The store lives in ``cache_dir/<key>``, where the key hashes this version of iakg and the name and bytes
    of every input file, so a changed file (or a new iakg) builds a new store. Building writes beside the
    target and renames it into place, so an interrupted build is never used.
    """
    import hashlib
    import os
    import shutil

    from iakg import __version__
    files = [resources.ONTOLOGY_FILE, *resources.data_files()] + [Path(f) for f in extra_files]
    digest = hashlib.sha256(f"{__version__}\0{reason}".encode())
    for path in files:
        rdf_format(path)
        try:
            digest.update(f"\0{path.name}\0".encode() + path.read_bytes())
        except OSError as exc:
            raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    target = Path(cache_dir) / digest.hexdigest()[:24]
    if not (target / "READY").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        building = target.with_name(f".{target.name}.{os.getpid()}.part")
        shutil.rmtree(building, ignore_errors=True)
        store = ox.Store(str(building))
        try:
            load_file(store, resources.ONTOLOGY_FILE, GRAPH_ONTOLOGY, bulk=True)
            for path in resources.data_files():
                load_file(store, path, GRAPH_DATA, bulk=True)
            for path in extra_files:
                load_file(store, path, GRAPH_EXTRA, bulk=True)
            add_catalogue(store)
            if reason:
                from iakg.rdf.reasoning import materialise

                materialise(store)
            store.flush()
            del store
            (building / "READY").write_text(__version__)
            if target.exists():
                shutil.rmtree(target)
            os.replace(building, target)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    return ox.Store.read_only(str(target))


def add_catalogue(store: ox.Store, endpoint: str | None = None) -> None:
    """Describe the query catalogue in its own named graph (replacing any earlier description)."""
    from iakg.catalogue import describe

    graph = ox.NamedNode(GRAPH_CATALOGUE)
    store.clear_graph(graph)
    store.extend([ox.Quad(t.subject, t.predicate, t.object, graph) for t in describe(endpoint=endpoint)])
