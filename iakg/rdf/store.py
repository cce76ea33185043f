"""Loading RDF files into an embedded Oxigraph store, each part of the dataset in its own named graph."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from iakg.errors import InputError

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


Inputs = list[tuple[Path, str]]  #: files and the named graph each is loaded into
Finish = Callable[[ox.Store], None]  #: what to add once the files are in (e.g. a description, a closure)


def build_store(inputs: Inputs, finish: Finish | None = None) -> ox.Store:
    """An in-memory store holding ``inputs``, each file in its named graph."""
    store = ox.Store()
    for path, graph in inputs:
        load_file(store, path, graph)
    if finish is not None:
        finish(store)
    return store


def prepared_store(inputs: Inputs, cache_dir: Path | str, key: str, finish: Finish | None = None) -> ox.Store:
    """An on-disk store of ``inputs``, built once and reopened read-only after.

    The store lives in ``cache_dir/<digest>``, where the digest hashes ``key`` (the caller's version and
    options) and the name and bytes of every input file, so a changed file builds a new store. Building
    writes beside the target and renames it into place, so an interrupted build is never used.
    """
    import hashlib
    import os
    import shutil

    digest = hashlib.sha256(key.encode())
    for path, _ in inputs:
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
            for path, graph in inputs:
                load_file(store, path, graph, bulk=True)
            if finish is not None:
                finish(store)
            store.flush()
            del store
            (building / "READY").write_text(key)
            if target.exists():
                shutil.rmtree(target)
            os.replace(building, target)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    return ox.Store.read_only(str(target))
