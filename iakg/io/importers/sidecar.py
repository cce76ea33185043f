"""Reading a table's sidecar (``FILE.yaml``/``.yml``/``.json``): the topic's header keys, bounded.

A sidecar is a small mapping of keys to values. It is read only if it is a regular file (``/dev/zero`` or a
FIFO is refused, never read), of at most :data:`MAX_BYTES`, nested at most :data:`MAX_DEPTH` levels; YAML
anchors and aliases are refused before anything is built from them (260 bytes of nested aliases once cost 69 s
and 18.7 GB). PyYAML reads the YAML (its event stream is checked first, then ``safe_load`` builds plain values).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from iakg.errors import InputError

MAX_BYTES = 256 * 1024
MAX_DEPTH = 8


class SidecarError(ValueError):
    """A sidecar that cannot be used; ``line`` is where (1-based)."""

    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.line = line


def read(path: Path) -> tuple[Any, str]:
    """The sidecar's value and its text; SidecarError (located) for what cannot be used."""
    import os

    from iakg.rdf.store import read_input

    try:
        size = os.stat(path).st_size
    except OSError:
        size = 0
    if size > MAX_BYTES:
        raise SidecarError(f"the sidecar is larger than {MAX_BYTES // 1024} kB (it holds a few header keys)")
    try:
        data = read_input(path)  # a regular file only: never a FIFO, device or folder
    except InputError as exc:
        raise SidecarError(exc.message) from None
    if len(data) > MAX_BYTES:
        raise SidecarError(f"the sidecar is larger than {MAX_BYTES // 1024} kB (it holds a few header keys)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SidecarError(f"not UTF-8 text ({exc.reason})", data.count(b"\n", 0, exc.start) + 1) from None
    if path.suffix.lower() == ".json":
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise SidecarError(f"not JSON: {exc}", getattr(exc, "lineno", 1)) from None
        except RecursionError:
            raise SidecarError(f"nested more than {MAX_DEPTH} levels") from None
        if _depth(value) > MAX_DEPTH:
            raise SidecarError(f"nested more than {MAX_DEPTH} levels")
        return value, text
    return _yaml(text), text


def _yaml(text: str) -> Any:
    import yaml  # PyYAML: a well-kept YAML reader

    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            line = event.start_mark.line + 1 if event.start_mark else 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise SidecarError("YAML anchors and aliases (& and *) are refused: write each value out", line)
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise SidecarError(f"nested more than {MAX_DEPTH} levels", line)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SidecarError(f"not YAML: {' '.join(str(exc).split())}", mark.line + 1 if mark else 1) from None


def _depth(value: Any) -> int:
    stack, deepest = [(value, 1)], 0
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if deepest > MAX_DEPTH:
                return deepest
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest
