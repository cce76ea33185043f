"""Presenting answers: human tables, JSON, CSV and TSV, chosen by name from one registry."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from .engine import Result
from .model import Recommendation
from .terms import IRI, to_n3


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table with aligned columns."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()  # noqa: E731
    out = [line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells]
    return "\n".join(out)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, IRI):
        from .namespaces import curie

        return curie(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return " ".join(str(value).split())


# ---------------------------------------------------------------- recommendation
def recommendation_table(answer: Recommendation) -> str:
    """The recommendation as a person reads it."""
    head = f"{answer.scenario.label}\n<{answer.scenario.iri}>\n"
    if not answer.procedures:
        return head + "\nThe source gives no appropriateness ratings for this scenario."
    rows = [(i, p.label, p.category_text, p.radiation.symbol if p.radiation else "not stated",
             p.radiation.dose_range if p.radiation else "", p.condition or "")
            for i, p in enumerate(answer.procedures, 1)]
    return head + "\n" + table(["#", "procedure", "appropriateness", "radiation", "adult dose", "condition"], rows)


def recommendation_json(answer: Recommendation) -> str:
    """The recommendation as stable JSON (see README, "JSON output")."""
    return json.dumps(answer.to_dict(), ensure_ascii=False, indent=2)


# ---------------------------------------------------------------- raw query results
def result_table(result: Result) -> str:
    if result.kind == "ask":
        return "yes" if result.boolean else "no"
    if result.kind == "graph":
        return result.ntriples.rstrip("\n")
    rows = result.rows()
    return table(result.variables, [[r[v] for v in result.variables] for r in rows]) + f"\n({len(rows)} rows)"


def result_json(result: Result) -> str:
    """SPARQL 1.1 Query Results JSON (graph results: N-Triples text)."""
    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": result.boolean})
    if result.kind == "graph":
        return result.ntriples
    return json.dumps({"head": {"vars": result.variables}, "results": {"bindings": result.bindings}},
                      ensure_ascii=False, indent=2)


def _delimited(result: Result, plain: bool, dialect: str) -> str:
    if result.kind != "select":
        return result_json(result) if result.kind == "ask" else result.ntriples
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


RESULT_FORMATS: dict[str, Callable[[Result], str]] = {
    "table": result_table,
    "json": result_json,
    "csv": lambda r: _delimited(r, True, "excel"),
    "tsv": lambda r: _delimited(r, False, "excel-tab"),
}

RECOMMENDATION_FORMATS: dict[str, Callable[[Recommendation], str]] = {
    "table": recommendation_table,
    "json": recommendation_json,
}
