"""The listing index: where each row of a listing query falls, so that a page of it is a lookup.

A listing query (``# index: VAR`` in its header, e.g. ``scenarios``) orders every row of the graph, so a page
of it with LIMIT/OFFSET still costs the whole listing: the aggregate over every row, then the sort (about
0.4 s at scale 10). When a dataset is assembled, :func:`build` runs each listing query once and keeps, in the
derived named graph ``GRAPH_LISTING``, the item of each row of the query's own order, row N of query NAME
being the resource ``query:NAME#row-N``:

    query:scenarios#listing iakg:listingOf query:scenarios ; iakg:listingRows 17607 .
    query:scenarios#row-1234 iakg:listingPosition 1234 ; iakg:listedItem <scenario> .

A page is then two small queries: the items of rows ``offset .. offset + limit - 1`` (their IRIs bound with
VALUES: one lookup each), and the catalogue query itself with its index variable bound to those items
(VALUES), which computes those rows alone and orders them by the query's own ORDER BY: the same rows, in the
same order, as that slice of the whole listing. That holds when the query has one row per value of its index
variable and its order is total (checked when the index is built: otherwise that query is not indexed) and
while the index is current (the rows computed are checked against the items looked up; a mismatch falls
back to the full query).

The index is derived, like the OWL RL closure: it is never validated nor exported, and it is built again
whenever the dataset is assembled (a load, a prepared store, a release with its closure). A graph without it
(an endpoint holding only the published release) answers pages with the full query and LIMIT/OFFSET.
"""

from __future__ import annotations

import pyoxigraph as ox

from iakg.catalogue.queries import CatalogueQuery, catalogue, internal
from iakg.rdf.engine import QueryEngine, Result
from iakg.rdf.namespaces import GRAPH_LISTING, IAKG, QUERY, XSD
from iakg.rdf.terms import IRI

#: a page of more rows than this is read with the full query (it costs about as much as the whole listing)
MAX_INDEXED_PAGE = 1000
#: a dataset loaded in memory from fewer bytes of files than this gets no index (its whole listing costs
#: about a millisecond: the shipped graph is 0.14 MB, the benchmark's scale 0.1 2.2 MB)
INDEX_FROM_BYTES = 1_000_000


def row(name: str, position: int) -> str:
    """The IRI of row ``position`` of the listing of catalogue query ``name``."""
    return f"{QUERY}{name}#row-{position}"


def build(store: ox.Store) -> int:
    """(Re)build the listing index of a pyoxigraph ``store`` from its current content; how many listings it
    indexes (a listing whose rows are not one per index value, or whose values are not IRIs, is left out)."""
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
        if not isinstance(answer, ox.QuerySolutions):  # an indexed listing is a SELECT (tests/test_listings.py)
            continue
        items = [solution[query.index] for solution in answer]
        if len(set(items)) != len(items) or not all(isinstance(i, ox.NamedNode) for i in items):
            continue
        listing = ox.NamedNode(f"{QUERY}{query.name}#listing")
        quads = [ox.Quad(listing, of, ox.NamedNode(QUERY + query.name), graph),
                 ox.Quad(listing, rows_p, ox.Literal(str(len(items)), datatype=integer), graph)]
        for position, item in enumerate(items):
            entry = ox.NamedNode(row(query.name, position))
            quads += [ox.Quad(entry, position_p, ox.Literal(str(position), datatype=integer), graph),
                      ox.Quad(entry, item_p, item, graph)]
        store.extend(quads)
        built += 1
    return built


def rows(engine: QueryEngine, query: CatalogueQuery) -> int | None:
    """How many rows listing ``query`` has, read from ``engine``'s listing index (None: no index of it)."""
    if not query.index:
        return None
    found = engine.execute(internal("listing-rows"), {"listing": IRI(f"{QUERY}{query.name}#listing")}).bindings
    return int(found[0]["rows"]["value"]) if found else None


def page(engine: QueryEngine, query: CatalogueQuery, limit: int, offset: int) -> Result | None:
    """The page ``[offset, offset + limit)`` of listing ``query`` (no parameter bound) read through the listing
    index of ``engine``'s dataset, as a Result; None if the dataset has no index of it, the page is large, or
    the index does not match the rows (the caller then runs the full query)."""
    if not query.index or limit <= 0 or limit > MAX_INDEXED_PAGE:
        return None
    entries = [IRI(row(query.name, n)) for n in range(offset, offset + limit)]
    found = {r["entry"]["value"]: r["item"]["value"] for r in
             engine.execute(internal("listing-items"), {"entry": entries}).bindings}
    if not found and not engine.execute(internal("listing-rows"),
                                        {"listing": IRI(f"{QUERY}{query.name}#listing")}).bindings:
        return None  # no index of this listing here (past its end, the page is just empty)
    items = [IRI(found[e]) for e in entries if e in found]
    result = engine.execute(query.text, {query.index: items})
    if [r.get(query.index, {}).get("value") for r in result.bindings] != items:
        return None  # the index is not current: the full query answers
    return result
