"""The shipped dataset as a store: the ontology, the data, extra files, the catalogue's description and,
when asked, the OWL RL closure, each in its own named graph."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from iakg import resources
from iakg.catalogue import description, listing
from iakg.rdf.namespaces import GRAPH_CATALOGUE, GRAPH_DATA, GRAPH_EXTRA, GRAPH_ONTOLOGY
from iakg.rdf.reasoning import materialise
from iakg.rdf.safety import offline
from iakg.rdf.store import Inputs, build_store, drop_duplicates, prepared_store
from iakg.version import __version__


def inputs(extra_files: Iterable[Path | str] = ()) -> Inputs:
    """The files of the dataset and their named graphs: shipped ontology and data, then ``extra_files``."""
    return ([(resources.ONTOLOGY_FILE, GRAPH_ONTOLOGY)] + [(p, GRAPH_DATA) for p in resources.data_files()]
            + [(Path(p), GRAPH_EXTRA) for p in extra_files])


def open_store(extra_files: Iterable[Path | str] = (), reason: bool = False,
               cache_dir: Path | str | None = None) -> ox.Store:
    """The dataset in an embedded store (in memory, or prepared on disk under ``cache_dir``), offline.

    The listing index (``iakg.catalogue.listing``) is built into a prepared store always, and into one in
    memory when its files hold at least ``listing.INDEX_FROM_BYTES``: below that a whole listing costs about
    what a page of it does, and the answering path (a cold ``iakg recommend``) is spared building it."""
    files = inputs(extra_files)
    indexed = cache_dir is not None or sum(_size(path) for path, _ in files) >= listing.INDEX_FROM_BYTES

    def finish(store: ox.Store) -> None:
        drop_duplicates(store, [GRAPH_ONTOLOGY, GRAPH_DATA])  # a triple in two graphs would answer twice
        add_catalogue(store)
        if reason:
            materialise(store)
        if indexed:
            listing.build(store)  # last: the listings as every query sees them (closure included)

    with offline():
        if cache_dir is not None:
            # the key names what a prepared store holds beyond its files: a store prepared before the listing
            # index existed is prepared again rather than answering every page with the full listing
            return prepared_store(files, cache_dir, f"{__version__}\0{reason}\0listing-index", finish)
        return build_store(files, finish)


def _size(path: Path) -> int:
    """The size of an input file (0 if it cannot be read: loading it says why)."""
    try:
        return path.stat().st_size
    except (OSError, ValueError):
        return 0


def add_catalogue(store: ox.Store, endpoint: str | None = None) -> None:
    """Describe the query catalogue in its own named graph (replacing any earlier description)."""
    graph = ox.NamedNode(GRAPH_CATALOGUE)
    store.clear_graph(graph)
    store.load(input=description(endpoint=endpoint), format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
