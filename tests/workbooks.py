"""Writing the test workbooks: XLSX with openpyxl, ODS as the OpenDocument zip (the project reads ODS with
python-calamine, which cannot write; an ODS is a zip of a few XML parts, written here with the standard library)."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
       'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
       'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def typed(cell: str) -> object:
    """What a person typing the CSV cell into a spreadsheet gets: whole numbers become numbers."""
    try:
        return int(cell)
    except ValueError:
        return cell


def csv_rows(path: Path) -> list[list[object]]:
    delimiter = "\t" if path.suffix == ".tsv" else ","
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [[typed(c) for c in row] for row in csv.reader(f, delimiter=delimiter)]


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)


def _cell(value: object) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, int):
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def write_ods(path: Path, sheets: dict[str, list[list[object]]], content: str | None = None) -> None:
    body = "".join(f'<table:table table:name="{escape(title)}">'
                   + "".join("<table:table-row>" + "".join(map(_cell, row)) + "</table:table-row>" for row in rows)
                   + "</table:table>" for title, rows in sheets.items())
    xml = content or (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_NS} office:version="1.2">'
                      f"<office:body><office:spreadsheet>{body}</office:spreadsheet></office:body>"
                      "</office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", xml, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
