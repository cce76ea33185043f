"""The registry of output formats: each a name, a file extension, a media type and a writer of a release.

A new format is one ``FORMATS.register(...)`` call (see docs/ARCHITECTURE.md); ``iakg export --format``,
``iakg build`` and the endpoint's content negotiation read their choices from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from iakg.registry import Registry

if TYPE_CHECKING:
    from iakg.io.export import Release


@dataclass(frozen=True)
class Format:
    """One way to write the published dataset."""

    name: str
    extension: str
    media_type: str
    write: Callable[[Release], bytes]
    in_release: bool = True  #: ``iakg build`` writes ``iakg.<extension>`` in this format
    rdf: bool = True  #: a full RDF serialisation of the dataset (parsing it back is isomorphic); False for views


def _builtins() -> None:
    import iakg.io.export  # noqa: F401  (registers ttl, nt, jsonld, trig, nq)

    # table: table-shaped topics back to their CSV layout (registered after the RDF formats, so the order of
    # the choices does not depend on what was imported first; its module is imported only to write one)
    FORMATS.register("table", Format("table", "csv", "text/csv", _table, in_release=False, rdf=False))
    # fhir-cpg: the guidance as FHIR clinical practice guidelines (a view: one JSON Bundle, docs/fhir-cpg.md)
    FORMATS.register("fhir-cpg", Format("fhir-cpg", "json", "application/fhir+json", _fhir_cpg, in_release=False,
                                        rdf=False))


def _table(release: Release) -> bytes:
    from iakg.io.importers.export_table import write_release

    return write_release(release)


def _fhir_cpg(release: Release) -> bytes:
    import json

    import pyoxigraph as ox

    from iakg import __version__
    from iakg.fhir.cpg import bundle
    from iakg.rdf.engine import LocalEngine

    store = ox.Store()
    store.bulk_load(release.nquads, format=ox.RdfFormat.N_QUADS)
    # the resources are content: the dataset's version names them, and its issue date dates them (none while
    # the content is a development version)
    named = release.identity
    version, issued = (named.version, named.issued) if named is not None else (__version__, None)
    resource = bundle(LocalEngine(store), version, issued)
    return (json.dumps(resource, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


FORMATS: Registry[Format] = Registry("format", _builtins)


def register(name: str, extension: str, media_type: str, in_release: bool = True
             ) -> Callable[[Callable[[Release], bytes]], Callable[[Release], bytes]]:
    """Decorator: register ``write`` as format ``name``."""
    def add(write: Callable[[Release], bytes]) -> Callable[[Release], bytes]:
        FORMATS.register(name, Format(name, extension, media_type, write, in_release))
        return write
    return add
