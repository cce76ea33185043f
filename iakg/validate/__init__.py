"""Validation: the dataset against the shipped SHACL shapes, run in the store's own engine (SHACL-Core compiled
to SPARQL by :mod:`iakg.validate.core`, SHACL-SPARQL as written), then the lint pass."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

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
from iakg.rdf.store import load_file
from iakg.validate.report import ValidationReport


def validate(store: ox.Store, changed: list[Path] | None = None) -> ValidationReport:
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
        return validate_store(store, graphs, focus)
