"""Loading RDF files into an embedded Oxigraph store, each part of the dataset in its own named graph."""

from __future__ import annotations

import contextlib
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
    import os
    import stat

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
    import re

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


class _Unusable(Exception):
    """The cache cannot be used as it is (its reason is the message): work without it."""


def _private_dir(cache_dir: Path) -> Path:
    """The cache folder, created 0700. One that is not a folder, belongs to another user or that every user may
    write into is not used, nor changed (and in any folder, a store is trusted only if every file is this
    user's and its seal was made with the folder's secret)."""
    import os
    import stat

    try:
        cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = os.lstat(cache_dir)
    except OSError as exc:
        raise _Unusable(exc.strerror or str(exc)) from None
    if not stat.S_ISDIR(info.st_mode):
        raise _Unusable("it is not a folder")
    if info.st_uid != os.getuid():
        raise _Unusable("it belongs to another user")
    if stat.S_IMODE(info.st_mode) & 0o002:  # group-writable is a umask of 002: ownership and seals still hold
        raise _Unusable("every user may write into it (make it private: chmod 700, and empty it)")
    return cache_dir


def _own_file(fd: int, what: str) -> None:
    import os
    import stat

    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise _Unusable(f"{what} is not a private file of this user")


def _salt(cache_dir: Path, create: bool) -> bytes | None:
    """A random secret of this cache folder (0600, ours), mixed into every key and into the seal of every store:
    a key cannot be computed, nor a store sealed, outside. None if it does not exist and ``create`` is false
    (it is created only under the folder's exclusive lock)."""
    import os
    import secrets

    path = cache_dir / ".salt"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        if not create:
            return None
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        os.write(fd, secrets.token_bytes(32))
        os.fsync(fd)
        os.lseek(fd, 0, os.SEEK_SET)
    with os.fdopen(fd, "rb") as handle:
        _own_file(handle.fileno(), ".salt")
        salt = handle.read(64)
    if len(salt) != 32:
        raise _Unusable(".salt is damaged")
    return salt


def _manifest(folder: Path) -> str:
    """A digest of every file of an on-disk store (names, sizes, bytes), written when built, checked on open.
    Every entry must be a regular file or folder of this user (never a link)."""
    import hashlib
    import os
    import stat

    digest = hashlib.sha256()
    uid = os.getuid()
    for path in sorted(folder.rglob("*")):
        info = os.lstat(path)
        if info.st_uid != uid or not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            raise ValueError(f"{path} is not this user's file")
        if not stat.S_ISREG(info.st_mode) or path.name == "READY":
            continue
        digest.update(f"{path.relative_to(folder)}\0{info.st_size}\0".encode())
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _seal(salt: bytes, key: str, manifest: str) -> str:
    """What READY holds: the key, and the manifest signed with the folder's secret (HMAC-SHA256)."""
    import hashlib
    import hmac

    return key.replace("\n", " ") + "\n" + hmac.new(salt, manifest.encode(), hashlib.sha256).hexdigest()


def prepared_store(inputs: Inputs, cache_dir: Path | str, key: str, finish: Finish | None = None) -> ox.Store:
    """An on-disk store of ``inputs``, built once and reopened read-only after.

    The store lives in ``cache_dir/<digest>`` (the folder private to the user, 0700), where the digest hashes
    the folder's random secret, ``key`` (the caller's version and options) and the name and bytes of every
    input file, so a changed file builds a new store. A digest of the store's files, signed with the folder's
    secret, is written when it is built and checked on every open: an edited, damaged or planted store is
    rebuilt, never answered from. Processes share the folder under a lock (``.lock``): one builds, the others
    wait and open what it built. Building writes beside the target and renames it into place, so an
    interrupted build is never used.

    A cache that cannot be used (the folder is a file or another user's, every user may write into it, a
    read-only or full disk...) is reported in one line (logger ``iakg.cache``) and the store is built in
    memory instead: the answer is the same, only slower.
    """
    cache = Path(cache_dir)
    for path, _ in inputs:
        rdf_format(path)
    try:  # a bad input file (InputError) is the user's error, never a reason to drop the cache
        return _prepared(inputs, cache, key, finish)
    except _Unusable as exc:
        reason = str(exc)
    except OSError as exc:
        reason = exc.strerror or str(exc)
    import logging

    logging.getLogger("iakg.cache").warning("iakg: warning: the cache folder %s cannot be used (%s); working "
                                            "without it", cache, reason)
    return build_store(inputs, finish)


def _prepared(inputs: Inputs, cache_dir: Path, key: str, finish: Finish | None) -> ox.Store:
    import fcntl
    import os

    cache = _private_dir(cache_dir)
    import hashlib

    contents = [(path.name, hashlib.sha256(read_input(path)).digest()) for path, _ in inputs]  # one file at a time
    lock = os.open(cache / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        _own_file(lock, ".lock")
        fcntl.flock(lock, fcntl.LOCK_SH)  # processes check at once; one builds (exclusive), the others wait
        salt = _salt(cache, create=False)
        if salt is not None:
            found = _open_sealed(_target(cache, salt, key, contents), salt, key)
            if found is not None:
                return found
        fcntl.flock(lock, fcntl.LOCK_EX)
        salt = _salt(cache, create=True)
        assert salt is not None
        target = _target(cache, salt, key, contents)
        found = _open_sealed(target, salt, key)  # another process may have built it while this one waited
        if found is not None:
            return found
        if target.is_symlink() or target.exists():
            _remove(target)  # edited, damaged or not ours: rebuilt below
        import shutil  # building only: opening a cached store (a cold answer) needs none of it

        building = target.with_name(f".{target.name}.{os.getpid()}.part")
        shutil.rmtree(building, ignore_errors=True)
        try:
            store = ox.Store(str(building))
            for path, graph in inputs:
                load_file(store, path, graph, bulk=True)
            if finish is not None:
                finish(store)
            store.flush()
            del store
            (building / "READY").write_text(_seal(salt, key, _manifest(building)))
            os.replace(building, target)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        return ox.Store.read_only(str(target))
    finally:
        os.close(lock)  # releases the lock


def _target(cache: Path, salt: bytes, key: str, contents: list[tuple[str, bytes]]) -> Path:
    """Where the store of these inputs lives: a digest of the folder's secret, the key and every input file's
    name and digest."""
    import hashlib

    digest = hashlib.sha256(salt + key.encode())
    for name, data in contents:
        digest.update(f"\0{name}\0".encode() + data)
    return cache / digest.hexdigest()[:24]


def _open_sealed(target: Path, salt: bytes, key: str) -> ox.Store | None:
    """The store at ``target`` opened read-only if it is whole, this user's and sealed with the secret, else None."""
    ready = target / "READY"
    if target.is_symlink() or ready.is_symlink() or not ready.is_file():
        return None
    try:
        if ready.read_text() == _seal(salt, key, _manifest(target)):
            return ox.Store.read_only(str(target))
    except (OSError, ValueError):
        pass
    return None


def _remove(path: Path) -> None:
    """Remove a store folder (or whatever stands at its name), moved aside first so that a half-removed one is
    never under the store's name."""
    import os
    import shutil

    if path.is_symlink() or not path.is_dir():
        path.unlink()
        return
    aside = path.with_name(f".{path.name}.{os.getpid()}.old")
    os.replace(path, aside)
    shutil.rmtree(aside, ignore_errors=True)
