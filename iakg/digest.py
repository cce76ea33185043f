"""SHA-256 digests, written ``sha256:HEX``: of bytes, and of files read a megabyte at a time (each after its name
and size, so that a renamed or split file is another digest). The one way iakg hashes what it checks later:
release manifests and records, prepared stores, validation records."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

PREFIX = "sha256:"


def of_bytes(data: bytes) -> str:
    """``sha256:HEX`` of ``data``."""
    return PREFIX + hashlib.sha256(data).hexdigest()


def of_chunks(chunks: Iterable[bytes]) -> str:
    """``sha256:HEX`` of the chunks joined, without joining them (a large text is never held whole)."""
    hasher = hashlib.sha256()
    for chunk in chunks:
        hasher.update(chunk)
    return PREFIX + hasher.hexdigest()


def of_files(files: Iterable[tuple[str | None, Path]], start: bytes = b"") -> str:
    """``sha256:HEX`` of ``start``, then of each (name, path): ``name\\0size\\0`` when a name is given, and the
    file's bytes. Raises ``OSError`` if a file cannot be read."""
    hasher = hashlib.sha256(start)
    for name, path in files:
        if name is not None:
            hasher.update(f"{name}\0{path.stat().st_size}\0".encode())
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(block)
    return PREFIX + hasher.hexdigest()
