"""The listing index: where each row of a listing query falls, so that a page of it is a lookup.

A listing query (``# index: VAR`` in its header, e.g. ``scenarios``) orders every row of the graph, so a page
of it with LIMIT/OFFSET still costs the whole listing: the aggregate over every row, then the sort (about
0.4 s at scale 10). When a dataset is assembled, :func:`build` runs each listing query once and keeps, in the
derived named graph ``GRAPH_LISTING``, the position of each row in the query's own order:

    _:listing iakg:listingOf query:scenarios ; iakg:listingRows 17607 .
    _:entry iakg:listingOf query:scenarios ; iakg:listingPosition 1234 ; iakg:listedItem <scenario> .

A page is then two small queries: the items at positions ``offset .. offset + limit - 1`` (the positions bound
with VALUES: one index lookup each), and the catalogue query itself with its index variable bound to those
items (VALUES), which computes those rows alone and orders them by the query's own ORDER BY: the same rows,
in the same order, as that slice of the whole listing. That holds when the query has one row per value of
its index variable and its order is total (checked when the index is built: otherwise that query is not
indexed) and while the index is current (the rows computed are checked against the items looked up; a
mismatch falls back to the full query).

The index is derived, like the OWL RL closure: it is never validated nor exported, and it is built again
whenever the dataset is assembled (a load, a prepared store, a release with its closure). A graph without it
(an endpoint holding only the published release) answers pages with the full query and LIMIT/OFFSET.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from iakg.rdf.namespaces import GRAPH_LISTING, IAKG, QUERY, XSD

#: a page of more rows than this is read with the full query (it costs about as much as the whole listing)
MAX_INDEXED_PAGE = 1000


@lru_cache(maxsize=64)
def _lookups(name: str) -> tuple[str, str]:
    """The two lookup queries of listing ``name`` (a catalogue query's name, never user text): the items at
    bound positions, and the listing's row count (is there an index at all?). Checked by the tests."""
    from iakg.rdf.safety import trust

    listing = f"<{QUERY}{name}>"
    items = (f"PREFIX iakg: <{IAKG}>\nSELECT ?position ?item WHERE {{ GRAPH <{GRAPH_LISTING}> {{\n"
             f"  ?entry iakg:listingPosition ?position ; iakg:listingOf {listing} ; iakg:listedItem ?item }} }}")
    rows = (f"PREFIX iakg: <{IAKG}>\nSELECT ?rows WHERE {{ GRAPH <{GRAPH_LISTING}> {{\n"
            f"  ?listing iakg:listingOf {listing} ; iakg:listingRows ?rows }} }}")
    for text in (items, rows):
        trust(text, "select")  # constant texts: the answering path needs no SPARQL parser for them
    return items, rows


def build(store: Any) -> int:
    """(Re)build the listing index of a pyoxigraph ``store`` from its current content; how many listings it
    indexes (a listing whose rows are not one per index value, or whose values are not IRIs, is left out)."""
    import pyoxigraph as ox

    from iakg.catalogue import catalogue

    graph = ox.NamedNode(GRAPH_LISTING)
    store.clear_graph(graph)
    integer = ox.NamedNode(XSD + "integer")
    of, rows_p, item_p, position_p = (ox.NamedNode(IAKG + name) for name in (
        "listingOf", "listingRows", "listedItem", "listingPosition"))
    built = 0
    for query in catalogue().values():
        if not query.index:
            continue
        answer = store.query(query.text, use_default_graph_as_union=True)
        items = [solution[query.index] for solution in answer]
        if len(set(items)) != len(items) or not all(isinstance(i, ox.NamedNode) for i in items):
            continue
        target, listing = ox.NamedNode(QUERY + query.name), ox.BlankNode()
        quads = [ox.Quad(listing, of, target, graph),
                 ox.Quad(listing, rows_p, ox.Literal(str(len(items)), datatype=integer), graph)]
        for position, item in enumerate(items):
            entry = ox.BlankNode()
            quads += [ox.Quad(entry, position_p, ox.Literal(str(position), datatype=integer), graph),
                      ox.Quad(entry, of, target, graph), ox.Quad(entry, item_p, item, graph)]
        store.extend(quads)
        built += 1
    return built


def page(engine: Any, query: Any, limit: int, offset: int) -> Any:
    """The page ``[offset, offset + limit)`` of listing ``query`` (no parameter bound) read through the listing
    index of ``engine``'s dataset, as a Result; None if the dataset has no index of it, the page is large, or
    the index does not match the rows (the caller then runs the full query)."""
    from iakg.rdf.terms import IRI

    if not query.index or limit <= 0 or limit > MAX_INDEXED_PAGE:
        return None
    items_text, rows_text = _lookups(query.name)
    found = engine.execute(items_text, {"position": list(range(offset, offset + limit))}).bindings
    if not found and not engine.execute(rows_text).bindings:
        return None  # no index of this listing here (past its end, the page is just empty)
    items = [IRI(item) for _, item in sorted((int(r["position"]["value"]), r["item"]["value"]) for r in found)]
    result = engine.execute(query.text, {query.index: items})
    if [r.get(query.index, {}).get("value") for r in result.bindings] != items:
        return None  # the index is not current: the full query answers
    return result
