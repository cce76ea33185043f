"""Loading RDF files into an embedded Oxigraph store, each part of the dataset in its own named graph."""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Callable, Iterator
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


#: named graphs the project writes itself: a file never puts anything in them (validation must see it all)
RESERVED_GRAPHS = "https://w3id.org/iakg/graph/"

#: how deep a JSON-LD document may nest (pyoxigraph's parser recurses; thousands of levels crash it)
MAX_JSON_DEPTH = 100


def read_input(path: Path | str) -> bytes:
    """The bytes of an input file: a regular file only (never a FIFO, device or folder), read whole."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except (OSError, ValueError) as exc:
        raise InputError(repr(str(path))[1:-1], f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(str(path), "not a regular file: it is a folder")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(str(path), "not a regular file (a device, FIFO or socket is never read)")
    try:
        with open(path, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped since the check
                raise InputError(str(path), "not a regular file")
            return handle.read()
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None


def refuse_dangerous(path: Path, data: bytes, fmt: ox.RdfFormat) -> None:
    """Refuse, before parsing, what would make a parser expand or recurse without bound: XML entity
    declarations (a kilobyte can expand to gigabytes) and JSON nested more than :data:`MAX_JSON_DEPTH`."""
    if fmt == ox.RdfFormat.RDF_XML:
        found = re.search(rb"<!(ENTITY|DOCTYPE)", data)
        if found:
            line = data.count(b"\n", 0, found.start()) + 1
            raise InputError(str(path), "XML DOCTYPE and entity declarations are refused (entity expansion); "
                                        "write the IRIs out in full", line)
    elif fmt == ox.RdfFormat.JSON_LD:
        depth = 0
        for match in re.finditer(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', data):
            token = match.group()
            if token in (b"[", b"{"):
                depth += 1
                if depth > MAX_JSON_DEPTH:
                    line = data.count(b"\n", 0, match.start()) + 1
                    raise InputError(str(path), f"JSON nested more than {MAX_JSON_DEPTH} levels deep is refused",
                                     line)
            elif token in (b"]", b"}"):
                depth -= 1


def _check_graphs(path: Path, quads: list[ox.Quad], graph: str) -> None:
    for quad in quads:
        name = quad.graph_name
        if isinstance(name, ox.BlankNode):
            raise InputError(str(path), "a formula (an N3 rule or quoted graph) is refused: iakg loads facts "
                                        "only, so that validation sees everything that answers")
        if isinstance(name, ox.NamedNode) and name.value.startswith(RESERVED_GRAPHS) and name.value != graph:
            raise InputError(str(path), f"the named graph <{name.value}> is reserved for the project; a file "
                                        "may not write into it")


def load_file(store: ox.Store, path: Path | str, graph: str, bulk: bool = False) -> None:
    """Parse one file into ``graph`` of ``store``; raise InputError with line and column on bad syntax.

    Quads of a dataset file (TriG, N-Quads, JSON-LD) keep their named graphs, except the project's reserved
    ones, which are refused; N3 formulas are refused. ``bulk`` uses Oxigraph's bulk loader.
    """
    path = Path(path)
    fmt = rdf_format(path)
    if fmt.supports_datasets or fmt == ox.RdfFormat.N3:
        store.extend(parse_file(path, graph))
        return
    data = _checked_input(path, fmt)
    with _located(path):
        (store.bulk_load if bulk else store.load)(data, format=fmt, base_iri=path.resolve().as_uri(),
                                                 to_graph=ox.NamedNode(graph))


def parse_file(path: Path | str, graph: str) -> list[ox.Quad]:
    """The quads of one file as written (a store makes typed literals canonical: ``"4.0"^^xsd:decimal``
    becomes ``"4"``), its default graph put in ``graph``; errors as :func:`load_file` raises them."""
    path = Path(path)
    fmt = rdf_format(path)
    data = _checked_input(path, fmt)
    with _located(path):
        quads = list(ox.parse(data, format=fmt, base_iri=path.resolve().as_uri()))
    _check_graphs(path, quads, graph)
    target = ox.NamedNode(graph)
    return [q if not isinstance(q.graph_name, ox.DefaultGraph) else ox.Quad(q.subject, q.predicate, q.object, target)
            for q in quads]


def _checked_input(path: Path, fmt: ox.RdfFormat) -> bytes:
    data = read_input(path)
    if not data.strip():
        raise InputError(str(path), "the file is empty: no RDF to load")
    refuse_dangerous(path, data, fmt)
    return data


@contextlib.contextmanager
def _located(path: Path) -> Iterator[None]:
    """Parser errors as InputError: file, line and column, one line."""
    try:
        yield
    except SyntaxError as exc:
        raise InputError(str(path), exc.msg, exc.lineno, exc.offset) from None
    except MemoryError as exc:
        raise InputError(str(path), f"too large for the parser: {exc} (a single literal or token is limited "
                                    "to 16 MB)") from None
    except (ValueError, OSError) as exc:
        raise InputError(str(path), str(exc)) from None


def drop_duplicates(store: ox.Store, first: list[str]) -> None:
    """Keep each triple in one graph only, so that the union default graph never answers it twice.

    A triple of a graph in ``first`` (the shipped ones) is kept there; elsewhere, the copy in the graph
    whose IRI sorts first is kept. Done once, after loading, inside the engine (one SPARQL update).
    """
    if all(graph.value in first for graph in store.named_graphs()):  # e.g. the shipped graph alone: nothing to drop
        return
    keep = ", ".join(f"<{g}>" for g in first)
    store.update(f"""DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{
      GRAPH ?g {{ ?s ?p ?o }} FILTER(?g NOT IN ({keep}))
      GRAPH ?h {{ ?s ?p ?o }} FILTER(?h != ?g && (?h IN ({keep}) || STR(?h) < STR(?g)))
    }}""")


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


def _private_dir(cache_dir: Path) -> Path:
    """The cache folder, created 0700; refused if another user owns it or others may write to it."""
    cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = cache_dir.stat()
    if info.st_uid != os.getuid():
        raise InputError(str(cache_dir), "the cache folder belongs to another user; iakg will not trust it")
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(cache_dir, 0o700)
    return cache_dir


def _salt(cache_dir: Path) -> bytes:
    """A random secret of this cache folder (0600), mixed into every key: a key cannot be computed outside."""
    import secrets

    path = cache_dir / ".salt"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_bytes(32))
    return path.read_bytes()


def _manifest(folder: Path) -> str:
    """A digest of every file of an on-disk store (names, sizes, bytes), written when built, checked on open."""
    from iakg.digest import of_files
    return of_files((str(path.relative_to(folder)), path) for path in sorted(
        p for p in folder.rglob("*") if p.is_file() and p.name != "READY"))


def prepared_store(inputs: Inputs, cache_dir: Path | str, key: str, finish: Finish | None = None) -> ox.Store:
    """An on-disk store of ``inputs``, built once and reopened read-only after.

    The store lives in ``cache_dir/<digest>`` (the folder private to the user, 0700), where the digest hashes
    the folder's random secret, ``key`` (the caller's version and options) and the name and bytes of every
    input file, so a changed file builds a new store. A digest of the store's own files is written when it
    is built and checked on every open: an edited or damaged store is rebuilt, never answered from. Building
    writes beside the target and renames it into place, so an interrupted build is never used.
    """
    import shutil

    from iakg.digest import PREFIX, of_chunks  # (a prepared store only)

    cache = _private_dir(Path(cache_dir))

    def chunks() -> Iterator[bytes]:
        yield _salt(cache) + key.encode()
        for path, _ in inputs:
            rdf_format(path)
            yield f"\0{path.name}\0".encode() + read_input(path)
    target = cache / of_chunks(chunks()).removeprefix(PREFIX)[:24]
    ready = target / "READY"
    if ready.exists():
        try:
            if ready.read_text().split("\n")[-1] == _manifest(target):
                return ox.Store.read_only(str(target))
        except (OSError, ValueError):
            pass
        shutil.rmtree(target, ignore_errors=True)  # edited or damaged: rebuilt below
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
        (building / "READY").write_text(key.replace("\n", " ") + "\n" + _manifest(building))
        if target.exists():
            shutil.rmtree(target)
        os.replace(building, target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return ox.Store.read_only(str(target))
