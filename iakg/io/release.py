"""``iakg build``: a release folder with every export, the JSON-LD contexts, shapes, queries and checksums."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from iakg import resources
from iakg.io.atomic import umask, write_file, write_folder
from iakg.io.export import RELATIVE_BASE, context
from iakg.io.formats import FORMATS
from iakg.io.writers import turtle

MANIFEST = "manifest.json"

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
    ``base_url``: where the folder will be published; ``void.ttl`` gives each dump's download URL under it
    (without it, as references relative to ``void.ttl`` itself).
    """
    from iakg.domain.patient import context as patient_context

    release = graph.release()
    dumps = [fmt for _, fmt in FORMATS.items() if fmt.in_release]
    files: dict[str, bytes] = {f"iakg.{fmt.extension}": fmt.write(release) for fmt in dumps}
    files["context.jsonld"] = _json(context())
    files["patient-context.jsonld"] = _json(patient_context(graph.patient_facts()))
    written = [(f"iakg.{fmt.extension}", fmt.media_type, len(files[f"iakg.{fmt.extension}"])) for fmt in dumps
               if fmt.rdf]  # the whole dataset; views (the CSV table) are not dumps of it
    base = base_url.rstrip("/") + "/" if base_url else None
    void = release.description(written, base)
    files["void.ttl"] = turtle(void.quads(), relative_to=None if base else RELATIVE_BASE)
    files["ontology.ttl"] = resources.ONTOLOGY_FILE.read_bytes()
    files["shapes.ttl"] = resources.SHAPES_FILE.read_bytes()
    for path in resources.query_files():
        files[f"queries/{path.name}"] = path.read_bytes()
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items()))
    files["SHA256SUMS"] = sums.encode()
    from iakg import __version__

    files[MANIFEST] = _json({"version": __version__, "digest": "sha256:" + hashlib.sha256(files["iakg.nq"]).hexdigest(),
                             "validated": validated, "conforms": validated, "store": "iakg.nq"})

    def fill(folder: Path) -> None:
        for name, data in files.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            write_file(target, data, 0o666 & ~umask())
        if also is not None:
            also(folder, release.nquads)

    aside = write_folder(out, fill, force)
    if aside is not None and moved is not None:
        moved.append(aside)
    return sorted((name, len(data)) for name, data in files.items())


def _json(value) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")




def verified(folder: Path) -> dict:
    """The manifest of a built release, checked against its store file (raises InputError if it does not match:
    the validation recorded at build time would not hold)."""
    from iakg.errors import InputError

    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        store = Path(folder) / manifest["store"]
        digest = hashlib.sha256()
        with open(store, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise InputError(str(path), f"not a release folder written by 'iakg build': {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(str(path), f"unreadable manifest: {exc}") from None
    if "sha256:" + digest.hexdigest() != manifest.get("digest"):
        raise InputError(str(store), "changed since it was built (digest differs from manifest.json); "
                                     "build the release again")
    if not manifest.get("conforms"):
        raise InputError(str(path), "this release was built with --force and does not conform; it is not served")
    return manifest
