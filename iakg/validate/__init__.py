"""Validation: the dataset against the shipped SHACL shapes, run in the store's own engine (SHACL-Core compiled
to SPARQL by :mod:`iakg.validate.core`, SHACL-SPARQL as written, the rest in pyshacl), then the lint pass; or
any RDF files against any shapes (:func:`validate_files`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from iakg.errors import InputError
from iakg.rdf.namespaces import (
    GRAPH_CATALOGUE,
    GRAPH_DATA,
    GRAPH_DESCRIPTION,
    GRAPH_EXTRA,
    GRAPH_INFERRED,
    GRAPH_LISTING,
    GRAPH_ONTOLOGY,
)
from iakg.rdf.safety import offline
from iakg.rdf.store import load_file, parse_file
from iakg.validate.report import ValidationReport, as_written


def validate(store: ox.Store, changed: list[Path] | None = None, compiled: bool = True) -> ValidationReport:
    """Validate the asserted graphs of ``store`` (ontology, data, extra files).

    With ``changed`` files (already loaded), only the resources they describe are validated, against the
    whole graph: a targeted check of new or changed data that stays fast on a large graph.
    """
    from iakg.validate.shacl import validate_store

    focus = None
    if changed:
        scratch = ox.Store()
        for path in changed:
            load_file(scratch, path, GRAPH_EXTRA)
        focus = {q.subject.value for q in scratch if isinstance(q.subject, ox.NamedNode)}
    # every graph that answers, except those the project writes itself (closure, catalogue, description, listing
    # index):
    # a file's own named graphs are validated too (reserved ones are refused when files are loaded)
    own = {GRAPH_INFERRED, GRAPH_CATALOGUE, GRAPH_DESCRIPTION, GRAPH_LISTING}
    graphs = [GRAPH_ONTOLOGY, GRAPH_DATA, GRAPH_EXTRA] + sorted(
        g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)
        and g.value not in own and g.value not in (GRAPH_ONTOLOGY, GRAPH_DATA, GRAPH_EXTRA))
    with offline():
        return validate_store(store, graphs, focus, compiled=compiled)


def validate_files(files: Iterable[Path | str], shapes: Iterable[Path | str], compiled: bool = True
                   ) -> ValidationReport:
    """Validate the RDF ``files`` alone (their union is the data graph) against the shapes of the ``shapes``
    files alone (their union is the shapes graph), as SHACL states it: no shipped data, shapes or lint.

    The shapes the compiler takes run in the engine, the others in pyshacl (all of them with
    ``compiled=False``). Results name terms as the files write them (the store keeps a typed literal in
    canonical form: ``"4.0"^^xsd:decimal`` is reported as written, not as ``"4"``). A file that cannot be
    read or parsed raises InputError (with line and column); shapes pyshacl cannot run raise ShapesError.
    """
    from iakg.rdf.rdflib_bridge import quads_to_rdflib
    from iakg.validate.shacl import validate_store

    files, shapes = [Path(p) for p in files], [Path(p) for p in shapes]
    if not shapes:
        raise InputError("--shapes", "give at least one shapes file")
    if not files:
        raise InputError("FILES", "give at least one data file to validate against the shapes")
    with offline():
        shape_quads = [q for path in shapes for q in parse_file(path, GRAPH_EXTRA)]
        data = ox.Store()
        data_quads = []
        for path in files:
            quads = parse_file(path, GRAPH_EXTRA)
            data.extend(quads)
            data_quads.extend(quads)
        graphs = sorted(g.value for g in data.named_graphs() if isinstance(g, ox.NamedNode))
        report = validate_store(data, graphs, lint=False, compiled=compiled, shapes=quads_to_rdflib(shape_quads))
        return as_written(report, [*data_quads, *shape_quads])
