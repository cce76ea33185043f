"""The query catalogue: one SPARQL file per question, with a header of title, description and parameters
(:mod:`iakg.catalogue.queries`), run with its parameters checked (here), pages read through the dataset's
listing index where it has one (:mod:`iakg.catalogue.listing`)."""

from __future__ import annotations

from typing import Any

from iakg.catalogue.listing import page
from iakg.catalogue.queries import (
    CatalogueQuery,
    Parameter,
    catalogue,
    describe,
    description,
    expand_iri,
    get,
    internal,
    parse_query_file,
)
from iakg.errors import ParameterError
from iakg.rdf.engine import QueryEngine, Result

__all__ = ["CatalogueQuery", "Parameter", "catalogue", "check_page", "describe", "description", "execute",
           "expand_iri", "get", "internal", "parse_query_file", "run"]


def run(engine: QueryEngine, name: str, limit: int = 0, offset: int = 0, **params: Any) -> list[dict[str, Any]]:
    """Run catalogue query ``name`` on ``engine`` with its parameters checked and converted; its rows (with
    ``limit``/``offset``: a page of them, see :func:`execute`)."""
    query = get(name)
    return execute(engine, query, query.bind(params), limit, offset).rows()


def count(engine: Any, name: str, **params: Any) -> int:
    """How many rows catalogue query ``name`` answers with these parameters (a listing with none bound: read
    from the dataset's listing index where it has one, else by running it whole)."""
    query = get(name)
    bindings = query.bind(params)
    if not any(v is not None for v in bindings.values()):
        from iakg.catalogue.listing import rows

        indexed = rows(engine, query)
        if indexed is not None:
            return indexed
    return len(engine.execute(query.text, bindings).bindings)


def check_page(limit: int, offset: int) -> None:
    """Refuse a page that is not whole numbers >= 0 (ParameterError)."""
    if not (isinstance(limit, int) and isinstance(offset, int)) or limit < 0 or offset < 0:
        raise ParameterError(f"limit {limit!r} and offset {offset!r}: give whole numbers >= 0")


def execute(engine: QueryEngine, query: CatalogueQuery, bindings: dict[str, Any] | None = None, limit: int = 0,
            offset: int = 0) -> Result:
    """The result of ``query`` with ``bindings`` (already checked): every row, or a page of at most ``limit``
    rows (0: every row) after ``offset``. A page of an indexed listing (``# index:``) with no parameter
    bound is read through the dataset's listing index where it has one; the rows are the same either way."""
    check_page(limit, offset)
    if query.index and limit and not any(v is not None for v in (bindings or {}).values()):
        found = page(engine, query, limit, offset)
        if found is not None:
            return found
    return engine.execute(query.paged(limit, offset), bindings)
