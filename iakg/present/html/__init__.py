"""HTML pages of the graph: one per resource, the ontology documentation, the home page and the query editor.

Server-side rendered with Jinja2 (no JavaScript is needed to read a page; only the query editor runs
YASGUI, vendored in ``static/yasgui``). The same :class:`Pages` renders for ``iakg serve`` (``/id/...`` with
``Accept: text/html``) and for the static site ``iakg build`` writes (:mod:`iakg.present.html.site`).
"""

from __future__ import annotations

from iakg.present.html.pages import RDF_FILES, STATIC_DIR, Pages, description_rows, link_path, rdf_path

__all__ = ["RDF_FILES", "STATIC_DIR", "Pages", "description_rows", "link_path", "rdf_path"]
