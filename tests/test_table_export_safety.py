"""Table export and import keep spreadsheet formulas out: text cells are guarded, numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox

import iakg
from iakg.cli import main
from iakg.io.importers import convert
from iakg.io.importers.cells import guard, unguard
from iakg.io.importers.export_table import export_tables

FX = "https://example.org/fixture/"
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
    exported = export_tables(iakg.load([ttl]).engine, [FX + "topic-" + first[0][0].removesuffix(".ttl")])
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


def test_the_shipped_hand_authored_topic_exports_from_its_structured_fields(tmp_path):
    """No free text is pasted into the heading: population group, definition and phase, each a field."""
    out = tmp_path / "t.csv"
    assert main(["export", "--format", "table", "--out", str(out)]) == 0
    records = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    headings = [r[0] for r in records if r and r[0].startswith("Variant ")]
    assert headings == ["Variant 1: Adult. Routine, scheduled surveillance imaging of an asymptomatic adult after "
                        "complete surgical resection of a well-differentiated pancreatic neuroendocrine tumor, with "
                        "no known or suspected recurrence. Surveillance."]
    assert ["Publisher", "American College of Radiology"] in records


def test_export_table_to_a_workbook_name_is_refused(tmp_path, capsys):
    out = tmp_path / "x.xlsx"
    assert main(["export", "--format", "table", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "not a workbook" in err and ".csv" in err and "\n" not in err
    assert not out.exists()


def test_template_round_trips_its_panel_size(tmp_path, capsys):
    assert main(["import", "template"]) == 0
    template = tmp_path / "t.csv"
    template.write_text(capsys.readouterr().out, encoding="utf-8")
    assert "Panel size,12" in template.read_text(encoding="utf-8")
    outputs, _ = convert("table", [template])
    ttl = tmp_path / outputs[0][0]
    ttl.write_bytes(outputs[0][1])
    exported = export_tables(iakg.load([ttl]).engine, ["https://w3id.org/iakg/id/topic-" + outputs[0][0][:-4]])
    assert "Panel size,12\n" in exported
    (tmp_path / "again.csv").write_text(exported, encoding="utf-8")
    again, _ = convert("table", [tmp_path / "again.csv"])
    assert _triples(again) == _triples(outputs)


READ_HEAD = "Title,x\nSource,s\nPublisher,p\nDisease,d\nVariant,Procedure,Appropriateness Category\n"


def test_an_unreadable_cell_is_the_only_problem(tmp_path):
    from iakg.io.importers.table import read

    path = tmp_path / "big.csv"
    path.write_text(READ_HEAD + '"' + "a" * 200_000 + '",US abdomen,Usually appropriate\n', encoding="utf-8")
    _, problems = read(path)
    assert [(p.row, p.message) for p in problems] == [
        (6, "not a valid table: field larger than field limit (131072)")]


def test_a_latin1_table_is_located_at_the_bad_byte(tmp_path):
    from iakg.io.importers.table import read

    path = tmp_path / "latin.csv"
    path.write_bytes((READ_HEAD + '"Variant 1: caf\xe9. x. y.",US abdomen,Usually appropriate\n').encode("latin-1"))
    _, problems = read(path)
    assert [(p.row, p.column) for p in problems] == [(6, 16)]
    assert "not UTF-8" in problems[0].message and "0xe9" in problems[0].message
