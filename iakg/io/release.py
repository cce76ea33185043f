"""``iakg build``: a release folder with every export, the JSON-LD contexts, shapes, queries and checksums."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from iakg import resources
from iakg.catalogue import listing
from iakg.digest import PREFIX, of_bytes, of_files
from iakg.domain.patient import context as patient_context
from iakg.errors import InputError
from iakg.io import notes
from iakg.io.atomic import umask, write_file, write_folder
from iakg.io.export import context
from iakg.io.formats import FORMATS
from iakg.rdf.writers import turtle
from iakg.version import __version__

MANIFEST = "manifest.json"
#: where a release's dumps are downloaded from when ``iakg build --base-url`` does not say: the project's own
#: IRI space, one folder per dataset version (absolute: void.ttl reads the same without a base IRI)
DEFAULT_BASE = "https://w3id.org/iakg/release/{version}/"
ENGINE_STORE = "store"  #: the prepared Oxigraph store of a release, opened read-only by ``iakg serve DIST``
_STORE_FORMAT = "oxigraph-0.5"  #: pyoxigraph and the oxigraph server share this on-disk format (both pinned <0.6)
_NOT_CONTENT = ("LOCK", "LOG")  #: RocksDB's lock and info log: not the store's content, left out of its digest

def build(graph, out: Path, also: Callable[[Path, bytes], None] | None = None, force: bool = False,
          moved: list[Path] | None = None, validated: bool = True,
          base_url: str | None = None) -> list[tuple[str, int]]:
    """Write the release of ``graph`` into ``out`` (swapped in whole); return (file, size) pairs.

    ``also(folder, nquads)`` writes more into the folder before it is swapped in (``iakg build`` adds the
    static site, ``site/``, this way; those files are not in SHA256SUMS). ``out`` may be new, empty or an
    earlier release; a foreign non-empty folder is refused unless ``force`` (then it is moved aside, never
    deleted, and its new name appended to ``moved``). Every file is flushed to disk before the swap.
    ``validated``: the caller validated ``graph`` and it conforms (``iakg build`` without ``--force``);
    manifest.json records it, so that serving the release need not validate again.
    ``base_url``: where the folder will be published; ``void.ttl`` gives each dump's absolute download URL
    under it (default :data:`DEFAULT_BASE`: ``https://w3id.org/iakg/release/<dataset version>/``, so that the
    description reads the same wherever it is read from, a parser given no base IRI included).
    """
    release = graph.release()
    dumps = [fmt for _, fmt in FORMATS.items() if fmt.in_release]
    files: dict[str, bytes] = {f"iakg.{fmt.extension}": fmt.write(release) for fmt in dumps}
    files["context.jsonld"] = _json(context())
    files["patient-context.jsonld"] = _json(patient_context(graph.patient_facts()))
    written = [(f"iakg.{fmt.extension}", fmt.media_type, len(files[f"iakg.{fmt.extension}"])) for fmt in dumps
               if fmt.rdf]  # the whole dataset; views (the CSV table) are not dumps of it
    version = release.identity.version if release.identity else __version__
    base = base_url.rstrip("/") + "/" if base_url else DEFAULT_BASE.format(version=version)
    files["void.ttl"] = turtle(release.description(written, base).quads())
    files.update(release_notes(release))
    files["ontology.ttl"] = resources.ONTOLOGY_FILE.read_bytes()
    files["shapes.ttl"] = resources.SHAPES_FILE.read_bytes()
    for path in resources.query_files():
        files[f"queries/{path.name}"] = path.read_bytes()
    sums = "".join(f"{of_bytes(data).removeprefix(PREFIX)}  {name}\n"
                   for name, data in sorted(files.items()))
    files["SHA256SUMS"] = sums.encode()
    named = release.identity
    manifest = {"version": __version__, "dataset_version": named.version if named else None,
                "prior_version": named.prior if named else None,
                "digest": of_bytes(files["iakg.nq"]),
                "validated": validated, "conforms": validated, "store": "iakg.nq"}

    def fill(folder: Path) -> None:
        for name, data in files.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            write_file(target, data, 0o666 & ~umask())
        write_store(files["iakg.nq"], folder / ENGINE_STORE)
        manifest["engine_store"] = {"path": ENGINE_STORE, "format": _STORE_FORMAT,
                                    "digest": store_digest(folder / ENGINE_STORE)}
        write_file(folder / MANIFEST, _json(manifest), 0o666 & ~umask())
        if also is not None:
            also(folder, release.nquads)

    aside = write_folder(out, fill, force)
    if aside is not None and moved is not None:
        moved.append(aside)
    sizes = {name: len(data) for name, data in files.items()}
    sizes[MANIFEST] = len(_json(manifest))
    sizes[ENGINE_STORE + "/"] = sum(p.stat().st_size for p in (Path(out) / ENGINE_STORE).iterdir() if p.is_file())
    return sorted(sizes.items())


NOTES = ("RELEASE-NOTES.md", "changes.json", "changes.ttl")  #: the release notes against the prior version


def release_notes(release) -> dict[str, bytes]:
    """The release notes of ``release`` against the version released before it (``iakg.io.notes``): Markdown,
    JSON and the RDF changeset; a first release says so."""
    from iakg.rdf.writers import turtle

    named = release.identity
    if named is None or named.prior is None:
        version = named.version if named else "this release"
        return {NOTES[0]: f"## Dataset {version}\n\nThe first recorded release: nothing to compare with.\n".encode()}
    report = notes.compare(notes.resolve(named.prior, release.content), notes.resolve(notes.WORKING, release.content))
    return {NOTES[0]: notes.markdown(report).encode("utf-8"), NOTES[1]: _json(notes.as_json(report)),
            NOTES[2]: turtle(notes.changeset(report), prefixes=notes.CHANGESET_PREFIXES)}


def write_store(nquads: bytes, location: Path) -> None:
    """The prepared on-disk Oxigraph store of ``nquads`` at ``location``: bulk-loaded, with its listing index
    (``iakg.catalogue.listing``: derived, not in the N-Quads), flushed and compacted, so that the server opens
    it read-only as it is (no write-ahead log to replay, nothing to load)."""
    store = ox.Store(str(location))
    try:
        store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
        listing.build(store)
        store.flush()
        store.optimize()
    finally:
        del store
    import gc

    gc.collect()  # the store is closed when the object goes: before the folder is fsynced and swapped in


def store_digest(location: Path) -> str:
    """``sha256:`` digest of a store folder's files (names and contents), RocksDB's lock and log left out."""
    return of_files((path.name, path) for path in sorted(
        p for p in Path(location).iterdir() if p.is_file() and not p.name.startswith(_NOT_CONTENT)))


def engine_store(folder: Path, manifest: dict) -> Path | None:
    """The prepared store of a verified release this engine can open, or None (a release built before there
    was one, or in another store format: then its N-Quads are loaded)."""
    entry = manifest.get("engine_store")
    if not isinstance(entry, dict) or entry.get("format") != _STORE_FORMAT:
        return None
    return Path(folder) / str(entry["path"])


def _json(value) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")




def verified(folder: Path, served: bool = False) -> dict:
    """The manifest of a built release, checked against its content (raises InputError if it does not match:
    the validation recorded at build time would not hold).

    ``served``: check what ``iakg serve`` opens, the prepared store (when the release has one in this
    engine's format) rather than the N-Quads file it was made from.
    """
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        prepared = engine_store(Path(folder), manifest) if served else None
        if prepared is not None:
            checked, expected, actual = prepared, manifest["engine_store"].get("digest"), store_digest(prepared)
        else:
            checked, expected = Path(folder) / manifest["store"], manifest.get("digest")
            actual = of_files([(None, checked)])
    except OSError as exc:
        raise InputError(str(path), f"not a release folder written by 'iakg build': {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(str(path), f"unreadable manifest: {exc}") from None
    if actual != expected:
        raise InputError(str(checked), "changed since it was built (digest differs from manifest.json); "
                                       "build the release again")
    if not manifest.get("conforms"):
        raise InputError(str(path), "this release was built with --force and does not conform; it is not served")
    return manifest
