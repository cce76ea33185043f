"""Query results as people and programs read them: a table fitted to the terminal, SPARQL 1.1 JSON, CSV and
TSV (with ASK and graph results given a form in each)."""

from __future__ import annotations

import io
from collections.abc import Callable

from iakg.present.text import fit, printable, table
from iakg.rdf.engine import Result
from iakg.rdf.terms import to_n3

ASK_COLUMN = "_askResult"  #: the one column of an ASK answer in CSV and TSV (Apache Jena's name)


def result_table(result: Result) -> str:
    """A query result for a person: ASK as yes/no, a graph as N-Triples, rows as a table fitted to the
    terminal; a variable unbound in every row is named under the table rather than given an empty column."""
    if result.kind == "ask":
        return "yes" if result.boolean else "no"
    if result.kind == "graph":
        return result.ntriples.rstrip("\n")
    rows = result.rows()
    shown = [v for v in result.variables if any(r[v] is not None for r in rows)] if rows else result.variables
    count = f"{len(rows)} row" + ("" if len(rows) == 1 else "s")
    out = printable(table(shown, [[r[v] for v in shown] for r in rows])) + f"\n({count})"
    empty = [v for v in result.variables if v not in shown]
    if empty:
        out += "\n" + fit("unbound in every row: " + ", ".join(empty))
    return out


def result_json(result: Result) -> str:
    """SPARQL 1.1 Query Results JSON (graph results: N-Triples text)."""
    import json

    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": result.boolean})
    if result.kind == "graph":
        return result.ntriples
    return json.dumps({"head": {"vars": result.variables}, "results": {"bindings": result.bindings}},
                      ensure_ascii=False, indent=2)


def _delimited(result: Result, plain: bool, dialect: str) -> str:
    """SPARQL 1.1 CSV (``plain``) or TSV. Neither format defines ASK or graph results: ASK is one column
    ``_askResult`` holding ``true`` or ``false`` (Apache Jena's form, which its CSV and TSV readers take back as
    a boolean; ``iakg serve`` answers the same, through this function); a graph is three columns ``subject``,
    ``predicate``, ``object`` (N-Triples terms in TSV, plain values in CSV), one row a triple."""
    if result.kind == "ask":
        value = "true" if result.boolean else "false"
        return f"{ASK_COLUMN}\r\n{value}\r\n" if plain else f"?{ASK_COLUMN}\n{value}\n"
    if result.kind == "graph":
        return _triples_delimited(result.ntriples, plain, dialect)
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect=dialect, lineterminator="\r\n" if plain else "\n")
    if plain:  # SPARQL 1.1 CSV: plain lexical values
        writer.writerow(result.variables)
        for b in result.bindings:
            writer.writerow([b[v]["value"] if v in b else "" for v in result.variables])
        return buffer.getvalue()
    lines = ["\t".join("?" + v for v in result.variables)]  # SPARQL 1.1 TSV: terms in N-Triples syntax
    lines += ["\t".join(to_n3(b[v]) if v in b else "" for v in result.variables) for b in result.bindings]
    return "\n".join(lines) + "\n"


def _triples_delimited(ntriples: str, plain: bool, dialect: str) -> str:
    import csv

    import pyoxigraph as ox

    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect=dialect, lineterminator="\r\n" if plain else "\n")
    writer.writerow(["subject", "predicate", "object"] if plain else ["?subject", "?predicate", "?object"])
    for t in ox.parse(ntriples.encode(), format=ox.RdfFormat.N_TRIPLES):
        terms = (t.subject, t.predicate, t.object)
        if plain:
            writer.writerow([f"_:{x.value}" if isinstance(x, ox.BlankNode) else x.value for x in terms])
        else:
            buffer.write("\t".join(str(x) for x in terms) + "\n")
    return buffer.getvalue()


RESULT_FORMATS: dict[str, Callable[[Result], str]] = {
    "table": result_table,
    "json": result_json,
    "csv": lambda r: _delimited(r, True, "excel"),
    "tsv": lambda r: _delimited(r, False, "excel-tab"),
}
