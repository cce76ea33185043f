"""A record of graphs that passed validation, by content digest, so that exporting, building, serving or
publishing a graph already validated does not validate it again.

The digest hashes the package version, the validator's source, the shapes and the name and bytes of every
input file: any change to the data, the shapes or the validating code is a new digest. Records are empty
files named by digest in ``$IAKG_CACHE_DIR/validated`` (else ``$XDG_CACHE_HOME/iakg/validated``, else
``~/.cache/iakg/validated``). ``IAKG_NO_VALIDATION_RECORD=1`` turns them off: nothing is read or written there,
and every export, build, serve and publish validates.
Only a conforming graph is recorded; a record that cannot be read or written only costs a validation.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from iakg import resources
from iakg.digest import PREFIX, of_files
from iakg.version import __version__


def folder() -> Path:
    """Where the records live."""
    if os.environ.get("IAKG_CACHE_DIR"):
        return Path(os.environ["IAKG_CACHE_DIR"]) / "validated"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "iakg" / "validated"


def digest(files: Iterable[Path | str]) -> str | None:
    """The content digest of a dataset made of ``files`` checked against the shipped shapes (None if a file
    cannot be read: then nothing is skipped)."""
    validator = sorted(Path(__file__).parent.glob("*.py"))  # a changed validator is a new digest too
    try:
        found = of_files(((p.name, p) for p in [*validator, resources.SHAPES_FILE, *map(Path, files)]),
                         f"iakg {__version__}\0".encode())
    except OSError:
        return None
    return found.removeprefix(PREFIX)  # a file name


def enabled() -> bool:
    """Whether records are kept (not when ``IAKG_NO_VALIDATION_RECORD`` is set to anything but "" or "0")."""
    return os.environ.get("IAKG_NO_VALIDATION_RECORD", "") in ("", "0")


def validated(key: str | None) -> bool:
    """Whether a graph of this digest passed validation before."""
    return key is not None and enabled() and (folder() / key).is_file()


def remember(key: str | None) -> None:
    """Record that the graph of this digest conforms (silently nothing if the folder is not writable)."""
    if key is None or not enabled():
        return
    try:
        folder().mkdir(parents=True, exist_ok=True)
        (folder() / key).touch()
    except OSError:
        pass
