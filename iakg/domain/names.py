"""Name resolution: the scenario or procedure a person means by an IRI, a CURIE, a local name or a label."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from iakg.errors import AmbiguousNameError, UnknownNameError
from iakg.rdf.namespaces import IAKGD, expand, is_curie

T = TypeVar("T")


def find(kind: str, name: str, listing: Callable[[str | None], Sequence[T]]) -> T:
    """The item ``name`` denotes: first by exact IRI (one bound query each), else by label over ``listing()``."""
    for iri in candidate_iris(name):
        found = listing(iri)
        if found:
            return found[0]
    return resolve(kind, name, listing(None), lambda item: item.iri, lambda item: item.label)  # type: ignore[attr-defined]


def candidate_iris(name: str) -> list[str]:
    """The IRIs a name may denote exactly: itself if an IRI, a CURIE expanded, or a local name under iakgd:."""
    text = name.strip()
    if not text or any(c in text for c in " <>\"{}|^`\\") or len(text) > 2048:
        return []
    if ":" not in text:
        return [IAKGD + text]
    iri = expand(text)
    return [iri] if iri != text or not is_curie(text) else []  # an unknown prefix names nothing


def _local(iri: str) -> str:
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def resolve(kind: str, name: str, items: Sequence[T], iri_of: Callable[[T], str], label_of: Callable[[T], str]) -> T:
    """Resolve ``name`` among ``items``: exact IRI/CURIE/local name, then unique label match."""
    text = name.strip()
    expanded = expand(text)
    for item in items:
        iri = iri_of(item)
        if expanded == iri or text == _local(iri):
            return item
    needle = text.casefold()
    exact = [i for i in items if label_of(i).casefold() == needle]
    # part of a label or of a local name: "pnet" is in one label ("... pNET metastases ...") but starts five
    # local names (pnet-...), so it names none of them; only a part that one item holds picks that item
    partial = exact or [i for i in items if needle and (needle in label_of(i).casefold()
                                                        or needle in _local(iri_of(i)).casefold())]
    if len(partial) == 1:
        return partial[0]
    if len(partial) > 1:
        raise AmbiguousNameError(kind, name, [_local(iri_of(i)) for i in partial])
    names: dict[str, Any] = {iri_of(i).rsplit("/", 1)[-1]: i for i in items}
    names.update({label_of(i): i for i in items})
    import difflib  # only for the message of a name not found

    close = difflib.get_close_matches(text, list(names), n=5, cutoff=0.3)
    suggestions = list(dict.fromkeys(iri_of(names[c]).rsplit("/", 1)[-1] for c in close))
    raise UnknownNameError(kind, name, suggestions)
