"""Reading a workbook (XLSX or ODS) as tables: each sheet's rows as cell texts, read by openpyxl (XLSX) or
python-calamine (ODS, the OpenDocument spreadsheet LibreOffice saves).

openpyxl is the well-kept reader of XLSX (read-only mode streams the sheet instead of loading the workbook;
with defusedxml installed it refuses XML entity tricks). For ODS, python-calamine: a maintained binding of the
Rust calamine reader (no Python XML parsing, so no entity expansion; one wheel, no system libraries), where
odfpy builds a DOM of the whole document in Python and pyexcel-ods wraps that. A cell's value becomes the text a person
sees: integers without ".0", dates as YYYY-MM-DD, formulas never evaluated (the cached value is read,
or the cell is empty). Limits keep a hostile workbook from exhausting memory: the uncompressed size of the
sheets and the number of rows and columns are capped.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path

MAX_UNCOMPRESSED_BYTES = 200_000_000   # all parts of the workbook, uncompressed (a zip bomb stops here)
MAX_ROWS = 200_000
MAX_COLUMNS = 64


def sheets(path: Path, data: bytes, error: type[Exception]) -> Iterator[tuple[str, Iterator[tuple[int, list[str]]]]]:
    """(``book.xlsx[Sheet]``, its records (row number, cell texts)) for each worksheet of the workbook
    ``data`` read from ``path``; ``error(message, row)`` is raised for what is not a readable workbook."""
    kind = "ODS" if path.suffix.lower() == ".ods" else "XLSX"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            size = sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile) as exc:
        raise error(f"not a readable {kind} workbook: {_one_line(exc)}") from None
    if size > MAX_UNCOMPRESSED_BYTES:
        raise error(f"the workbook unpacks to {size} bytes, over the limit of {MAX_UNCOMPRESSED_BYTES}")
    if kind == "ODS":
        yield from _ods_sheets(path, data, error)
        return
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file: all are "not a workbook"
        raise error(f"not a readable XLSX workbook: {type(exc).__name__}: {_one_line(exc)}") from None
    try:
        for sheet in book.worksheets:
            yield f"{path}[{sheet.title}]", _records(sheet, error)
    finally:
        book.close()


def _records(sheet, error: type[Exception]) -> Iterator[tuple[int, list[str]]]:
    try:
        yield from _bounded(sheet.iter_rows(values_only=True), error)
    except error:
        raise
    except Exception as exc:
        raise error(f"cannot read the sheet {sheet.title!r}: {type(exc).__name__}: {_one_line(exc)}") from None


def _ods_sheets(path: Path, data: bytes, error: type[Exception]
                ) -> Iterator[tuple[str, Iterator[tuple[int, list[str]]]]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(book.sheet_names)
    except Exception as exc:  # calamine raises its own kinds for a damaged file: all are "not a workbook"
        raise error(f"not a readable ODS workbook: {type(exc).__name__}: {_one_line(exc)}") from None
    for name in names:
        yield f"{path}[{name}]", _ods_records(book, name, error)


def _ods_records(book, name: str, error: type[Exception]) -> Iterator[tuple[int, list[str]]]:
    try:
        sheet = book.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as exc:
        raise error(f"cannot read the sheet {name!r}: {type(exc).__name__}: {_one_line(exc)}") from None
    yield from _bounded(rows, error)


def _bounded(rows: Iterable[Sequence[object]], error: type[Exception]) -> Iterator[tuple[int, list[str]]]:
    """A sheet's rows as numbered lists of cell texts (trailing empty cells dropped), within the row and
    column bounds (``error`` with the row's number past them)."""
    for number, row in enumerate(rows, 1):
        if number > MAX_ROWS:
            raise error(f"more than {MAX_ROWS} rows in a sheet", number)
        cells = [text(value) for value in row[:MAX_COLUMNS + 1]]
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) > MAX_COLUMNS:
            raise error(f"more than {MAX_COLUMNS} columns in a sheet", number)
        yield number, cells


def text(value: object) -> str:
    """A cell's value as the text a person sees in it."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _one_line(exc: BaseException, limit: int = 200) -> str:
    """An exception's message on one line (openpyxl's span several), cut at ``limit`` characters."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
