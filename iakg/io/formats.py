"""The registry of output formats: each a name, a file extension, a media type and a writer of a release.

A new format is one ``FORMATS.register(...)`` call (see docs/ARCHITECTURE.md); ``iakg export --format``,
``iakg build`` and the endpoint's content negotiation read their choices from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from iakg.io.published import Release
from iakg.registry import Registry


@dataclass(frozen=True)
class Format:
    """One way to write the published dataset."""

    name: str
    extension: str
    media_type: str
    write: Callable[[Release], bytes]
    in_release: bool = True  #: ``iakg build`` writes ``iakg.<extension>`` in this format
    rdf: bool = True  #: a full RDF serialisation of the dataset (parsing it back is isomorphic); False for views


#: the built-in formats register themselves when their module is imported (ttl, nt, jsonld, trig, nq, table)
FORMATS: Registry[Format] = Registry("format", ("iakg.io.export",))


def register(name: str, extension: str, media_type: str, in_release: bool = True, rdf: bool = True
             ) -> Callable[[Callable[[Release], bytes]], Callable[[Release], bytes]]:
    """Decorator: register ``write`` as format ``name`` (``in_release``: ``iakg build`` writes it; ``rdf``: a full
    RDF serialisation of the dataset, not a view of it)."""
    def add(write: Callable[[Release], bytes]) -> Callable[[Release], bytes]:
        FORMATS.register(name, Format(name, extension, media_type, write, in_release, rdf))
        return write
    return add


def serialize(release: Release, fmt: str) -> bytes:
    """``release`` written in the registered format ``fmt``."""
    return FORMATS.get(fmt).write(release)
