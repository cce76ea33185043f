"""The static site: every page of the graph written as files with the same URLs as ``iakg serve``.

``/id/x`` is written as ``id/x.html`` (static hosts such as GitHub Pages, Netlify or ``nginx try_files $uri.html``
serve it at ``/id/x``); ``/`` is ``index.html``, ``/ontology`` is ``ontology.html`` (the ontology
documentation; its version IRI ``/ontology/<version>`` too), ``/editor`` is ``editor.html``, and
``search.html`` lists every resource (a static host cannot search). Beside each page lie its RDF files,
``id/x.ttl`` and ``id/x.jsonld`` (the ontology's as ``ontology.ttl``/``.jsonld``, the dataset description's as
``dataset.ttl``/``.jsonld``), which the pages link to: the same paths ``iakg serve`` answers. Links are
root-relative: serve the folder at the root of a host.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from iakg.catalogue import internal
from iakg.present.html.pages import (
    RDF_FILES,
    STATIC_DIR,
    STATIC_RDF_FILES,
    Pages,
    description_rows,
    description_triples,
    link_path,
    rdf_path,
)
from iakg.rdf.namespaces import DATASET_IRI, GRAPH_ONTOLOGY, ONTOLOGY_IRI


def file_for(path: str) -> str:
    """The file of a URL path in the static site (``/id/x`` -> ``id/x.html``, ``/`` -> ``index.html``)."""
    path = path.split("#", 1)[0].split("?", 1)[0].strip("/")
    return (path if path.endswith(".html") else f"{path}.html") if path else "index.html"


def write_site(graph: Any, folder: Path, nquads: bytes | None = None, endpoint: str = "/sparql",
               progress: Callable[[int], None] | None = None) -> int:
    """Write every page of ``graph`` under ``folder`` (which must exist); return the number of pages.

    ``nquads`` is the release (for the dataset description on the home page); ``endpoint`` is the SPARQL
    URL the editor page talks to (the static site has none of its own)."""
    description = (lambda: description_rows(nquads)) if nquads is not None else None
    pages = Pages(graph, static=True, endpoint=endpoint, description=description)
    pages.prefetch()
    written = 0

    def put(path: str, text: str | None) -> None:
        nonlocal written
        if text is None:
            return
        target = folder / file_for(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written += 1
        if progress and written % 1000 == 0:
            progress(written)

    def put_rdf(iri: str, data: Callable[[str], bytes]) -> None:
        """The RDF files of the page of ``iri`` (``data(extension)`` gives each), beside the page."""
        for extension in STATIC_RDF_FILES:
            path = rdf_path(iri, extension)
            body = data(extension)
            if path and body:
                target = folder / path.lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(body)

    put("/", pages.home())
    if nquads is not None:
        from iakg.rdf.writers import document

        described = description_triples(nquads)
        put_rdf(DATASET_IRI, lambda ext: document(described, RDF_FILES[ext][0]))
    put("/ontology", pages.ontology())
    put_rdf(ONTOLOGY_IRI, lambda ext: pages.graph_rdf(GRAPH_ONTOLOGY, ext))
    for row in graph.query(internal("site-ontology-version")).rows():
        if link_path(row["v"]):
            put("/ontology" + row["v"][len(ONTOLOGY_IRI):], pages.ontology())  # the version IRI
    put("/editor", pages.editor())
    put("/search", pages.index())
    for row in graph.query(internal("site-resources")).rows():
        path = link_path(row["s"])
        if path:
            put(path, pages.resource(row["s"]))
            put_rdf(row["s"], functools.partial(pages.rdf, row["s"]))
    shutil.copytree(STATIC_DIR, folder / "static", dirs_exist_ok=True)
    return written
