"""Authoring from an XLSX workbook (openpyxl): the same topics as from CSV, problems located by sheet, row
and column, and a damaged or oversized workbook refused in one line with nothing written."""

from __future__ import annotations

import csv
import zipfile

import pyoxigraph as ox
import pytest
from conftest import FIXTURES
from workbooks import write_xlsx

from iakg.errors import TableError
from iakg.io.importers import convert
from iakg.io.importers import workbook as workbook_module

TABLES = FIXTURES / "tables"


def _typed(cell: str) -> object:
    """What a person typing the CSV cell into a spreadsheet gets: numbers become numbers."""
    try:
        return int(cell)
    except ValueError:
        return cell


def _rows(path) -> list[list[object]]:
    delimiter = "\t" if path.suffix == ".tsv" else ","
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [[_typed(c) for c in row] for row in csv.reader(f, delimiter=delimiter)]


def _triples(outputs) -> set[ox.Triple]:
    return {t for _, text in outputs for t in ox.parse(text, format=ox.RdfFormat.TURTLE)}


def test_a_workbook_of_two_sheets_imports_as_its_csv_tables_do(tmp_path):
    """Two fictional topics, one per sheet, typed in as a spreadsheet would hold them (numbers as numbers)."""
    sources = [TABLES / "cystoma.csv", TABLES / "pelvic-ache.csv"]
    from_csv, _ = convert("table", sources)
    assert len(from_csv) == 2
    book = tmp_path / "topics.xlsx"
    # pelvic-ache.csv takes part of its header from a sidecar: the sheet carries those keys itself
    import json

    sidecar = json.loads((TABLES / "pelvic-ache.json").read_text(encoding="utf-8"))
    write_xlsx(book, {"Cystoma": _rows(sources[0]),
                 "Pelvic ache": [[key, value] for key, value in sidecar.items()] + _rows(sources[1])})
    from_book, _ = convert("table", [book])
    assert [name for name, _ in from_book] == [name for name, _ in from_csv]
    assert _triples(from_book) == _triples(from_csv)


def test_a_bad_cell_is_located_by_sheet_row_and_column(tmp_path):
    rows = _rows(TABLES / "cystoma.csv")
    header = next(i for i, row in enumerate(rows) if row and row[0] == "Variant")
    rows[header + 1][2] = "Rather appropriate"
    book = tmp_path / "bad.xlsx"
    write_xlsx(book, {"First": rows})
    with pytest.raises(TableError) as err:
        convert("table", [book])
    problem = err.value.problems[0]
    assert (problem.path, problem.row, problem.column) == (f"{book}[First]", header + 2, 3)
    assert "unknown appropriateness category" in problem.message


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04broken"])
def test_a_file_that_is_not_a_workbook_is_one_located_problem(tmp_path, content):
    path = tmp_path / "table.xlsx"
    path.write_bytes(content)
    with pytest.raises(TableError) as err:
        convert("table", [path])
    [problem] = err.value.problems
    assert problem.path == str(path) and "not a readable XLSX workbook" in problem.message


def test_a_zip_that_unpacks_too_large_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook_module, "MAX_UNCOMPRESSED_BYTES", 10_000)
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 50_000)
    with pytest.raises(TableError, match="unpacks to 50000 bytes"):
        convert("table", [path])


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), (3, "3"), (3.0, "3"), (2.5, "2.5"), (0.1, "0.1"), (True, "TRUE"), ("  x ", "  x ")])
def test_cell_values_read_as_a_person_sees_them(value, text):
    assert workbook_module.text(value) == text


def test_cli_imports_a_workbook(tmp_path, capsys):
    from test_import_table import main

    book = tmp_path / "cystoma.xlsx"
    write_xlsx(book, {"Cystoma": _rows(TABLES / "cystoma.csv")})
    assert main(["import", "table", str(book), "--out", str(tmp_path / "out")]) == 0
    assert [p.name for p in (tmp_path / "out").iterdir()]


@pytest.mark.parametrize("name", ["table.csv", "table.xlsx"])
def test_a_fifo_is_never_read(tmp_path, name):
    import os

    path = tmp_path / name
    os.mkfifo(path)
    with pytest.raises(TableError) as err:
        convert("table", [path])  # would block forever if it were opened
    assert "not a regular file" in err.value.problems[0].message


def test_xml_entities_in_a_sheet_are_refused(tmp_path):
    """A billion-laughs sheet: openpyxl parses through defusedxml, so the entity is never expanded."""
    plain = tmp_path / "plain.xlsx"
    write_xlsx(plain, {"Sheet": [["Title", "x"]]})
    bomb = tmp_path / "bomb.xlsx"
    entities = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(bomb, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = entities + data.replace(b"<v>", b"<v>&b;", 1)
            target.writestr(item, data)
    with pytest.raises(TableError) as err:
        convert("table", [bomb])
    [problem] = err.value.problems
    assert "not a readable XLSX workbook" in problem.message and "\n" not in problem.message, problem.message
