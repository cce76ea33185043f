"""Table export and import keep spreadsheet formulas out: text cells are guarded, numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox

import iakg
from iakg.io.importers import convert
from iakg.io.importers.cells import guard, unguard
from iakg.io.importers.export_table import export_tables

HEADER = ("Variant,Procedure,Appropriateness Category,SOE,Adult RRL,Peds RRL,Rating,Median,"
          "1,2,3,4,5,6,7,8,9\n")
HOSTILE = {"Title": '=HYPERLINK("http://x","y")', "Description": "@SUM(1+1)*cmd|' /C calc'!A0", "Panel": "+1+1"}


def _table(meta: dict[str, str]) -> str:
    rows = [[k, v] for k, v in {**meta, "Source": "-0.5", "Publisher": "Fictional Guidance Society",
                                "Disease": "Fictional thing", "Disease definition": "Made up.",
                                "Namespace": "https://example.org/fixture/", "Test fixture": "true"}.items()]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return (out.getvalue() + HEADER + '"Variant 1: Adult. Fictional thing suspected. Initial imaging.",'
            "US abdomen,Usually appropriate,,,,8,8,0,0,0,0,0,1,2,6,3\n")


def _triples(outputs) -> set[ox.Triple]:
    return {t for _, text in outputs for t in ox.parse(text, format=ox.RdfFormat.TURTLE)}


def test_guard_and_unguard():
    for text in ('=HYPERLINK("http://x","y")', "@SUM(1)", "+1+1", "-1", "-0.5", "\tx", "\rx"):
        assert guard(text) == "'" + text and unguard(guard(text)) == text
    for text in ("Title", "8", "'quoted"):
        assert guard(text) == text
    assert guard("'=x") == "''=x" and unguard("''=x") == "'=x"  # exactly one quote comes off


def test_formula_cells_are_guarded_on_export_and_round_trip(tmp_path):
    source = tmp_path / "hostile.csv"
    source.write_text(_table(HOSTILE), encoding="utf-8")
    first, _ = convert("table", [source])
    assert '=HYPERLINK("http://x","y")' in first[0][1].decode()  # the import keeps the text as written
    ttl = tmp_path / first[0][0]
    ttl.write_bytes(first[0][1])
    exported = export_tables(iakg.load([ttl]).engine)
    records = list(csv.reader(io.StringIO(exported)))
    cells = {r[0]: r[1] for r in records if len(r) == 2}
    for key, value in HOSTILE.items():
        assert cells[key] == "'" + value  # shown as text by a spreadsheet, never run
    assert cells["Source"] == "'-0.5"  # a text that looks like a number is text, and comes back as text
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for r in records for c in r)
    row = next(r for r in records if r[0].startswith("Variant 1"))
    assert row[6:] == ["8", "8", "0", "0", "0", "0", "0", "1", "2", "6", "3"]  # numbers are written as numbers
    again = tmp_path / "again.csv"
    again.write_text(exported, encoding="utf-8")
    second, _ = convert("table", [again])
    assert _triples(second) == _triples(first)
