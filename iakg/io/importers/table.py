"""Reading a guideline table: CSV, TSV or XLSX, a header block or a sidecar for the topic, one row per rated procedure.

A file holds one or more topics. Each starts with its header block: rows of two cells, a key and its value
(``Title``, ``Source URL``...), then the column header row (``Variant, Procedure, Appropriateness Category,
SOE, Adult RRL, Peds RRL, Rating, Median, 1 ... 9``), then the rows. A sidecar ``FILE.yaml``/``.json`` beside
the table may give the keys instead (for a file of one topic). Column and key names are matched case and
spacing tolerant. The csv module (or openpyxl, for a workbook) reads the file; this module only gives the
cells their meaning.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from iakg.errors import InputError, Problem
from iakg.io.importers.cells import unguard
from iakg.io.importers.workbook import sheets
from iakg.rdf.store import read_input

#: canonical column key -> how the published tables name it (the first name is the one written back)
COLUMNS: dict[str, tuple[str, ...]] = {
    "variant": ("Variant",),
    "procedure": ("Procedure",),
    "category": ("Appropriateness Category", "Category"),
    "soe": ("SOE", "Strength of Evidence"),
    "adult_rrl": ("Adult RRL", "Adult Relative Radiation Level"),
    "peds_rrl": ("Peds RRL", "Pediatric RRL", "Paediatric RRL", "Peds Relative Radiation Level"),
    "rating": ("Rating",),
    "median": ("Median",),
    **{f"t{i}": (str(i), f"Final Tabulations {i}", f"Final Tabulation {i}", f"Tabulation {i}") for i in range(1, 10)},
}
REQUIRED_COLUMNS = ("variant", "procedure", "category")

#: canonical header key -> its name in a header block or sidecar (the first is written back)
META_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("Title",),
    "id": ("Id",),
    "publisher_topic_id": ("Publisher topic ID", "Topic ID", "TopicId"),
    "description": ("Description",),
    "panel": ("Panel", "Expert panel"),
    "panel_size": ("Panel size",),
    "source": ("Source", "Source document"),
    "source_url": ("Source URL",),
    "source_date": ("Source date",),
    "source_license": ("Source licence", "Source license", "Licence", "License"),
    "source_rights": ("Source rights", "Rights"),
    "review_date": ("Review date", "Last review date"),
    "publisher": ("Publisher",),
    "disease": ("Disease",),
    "disease_definition": ("Disease definition",),
    "category_scheme": ("Category scheme",),
    "level_scheme": ("Level scheme",),
    "soe_scheme": ("SOE scheme",),
    "population_scheme": ("Population scheme",),
    "phase_scheme": ("Phase scheme",),
    "status_scheme": ("Condition status scheme",),
    "modality_terms": ("Modality terms",),
    "technique_terms": ("Technique terms",),
    "region_terms": ("Region terms", "Body region terms"),
    "contrast_terms": ("Contrast terms",),
    "radiopharmaceutical_terms": ("Radiopharmaceutical terms",),
    "namespace": ("Namespace",),
    "test_fixture": ("Test fixture",),
}
REQUIRED_META = ("title", "source", "publisher", "disease")


def norm(name: str) -> str:
    """A column or key name as it is compared: lower-case, no colon, spaces collapsed."""
    return " ".join(re.sub(r"[_\s]+", " ", name.strip().rstrip(":")).casefold().split())


_COLUMN_NAMES = {norm(n): key for key, names in COLUMNS.items() for n in names}
_META_NAMES = {norm(n): key for key, names in META_KEYS.items() for n in names}


@dataclass(frozen=True)
class Cell:
    """A cell's text and where it stands (1-based row and column)."""

    text: str
    row: int
    column: int
    path: str = ""  #: the file the cell is in when it is not the table's own (a sidecar's key)


@dataclass
class Section:
    """One topic of a table file: its header keys and its rows (column key -> cell)."""

    path: str
    meta: dict[str, Cell] = field(default_factory=dict)
    header_row: int = 0
    rows: list[dict[str, Cell]] = field(default_factory=list)
    columns: set[str] = field(default_factory=set)

    @property
    def readable(self) -> bool:
        """True when its rows can be read cell by cell: a column header row with the required columns."""
        return all(key in self.columns for key in REQUIRED_COLUMNS)

    def problem(self, cell: Cell | None, message: str, row: int | None = None) -> Problem:
        if cell is None:
            return Problem(self.path, row or self.header_row, 1, "", message)
        return Problem(cell.path or self.path, cell.row, cell.column, cell.text, message)


WORKBOOK_EXTENSIONS = (".xlsx", ".ods")

#: characters that break a line for Python (str.splitlines) but not for csv: never inside a cell
_LINE_BREAKS = re.compile("[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def dialect_for(path: Path) -> str:
    """The delimiter of a table file by its extension."""
    return "\t" if path.suffix.lower() in (".tsv", ".tab") else ","


def read(path: Path, sidecar: Path | None = None) -> tuple[list[Section], list[Problem]]:
    """The topics of a table file (CSV, TSV, or an XLSX workbook: each sheet read in turn, its problems
    located as ``book.xlsx[Sheet]:row:column``), and the problems found while reading its layout."""
    sections: list[Section] = []
    problems: list[Problem] = []
    try:
        for label, records in _sheets(path):
            found, more, stopped = _sections(label, records)
            sections += found
            problems += more
            if stopped:  # the file cannot be read past a cell: that is the one problem, not what follows it
                return [], problems
    except TableReadError as exc:
        return [], [Problem(str(path), exc.row, exc.column, "", str(exc))]
    if not sections:
        problems.append(Problem(str(path), 1, 1, "", "the table is empty"))
    sidecar = sidecar or _sidecar_of(path)
    if sidecar is not None and sections:
        if len(sections) > 1:
            problems.append(Problem(str(sidecar), 1, 1, "", "a sidecar describes a file of one topic only"))
        elif not _merge_sidecar(sections[0], sidecar, problems):
            return sections, problems  # the keys it would give are not missing: the sidecar is the problem
    for s in sections:
        for key in REQUIRED_META:
            if key not in s.meta or not s.meta[key].text:
                where = f" (the header block or the sidecar {sidecar.name})" if sidecar else \
                    " (a header block row, or a sidecar FILE.yaml beside the table)"
                problems.append(s.problem(None, f"the topic needs a {META_KEYS[key][0]!r}{where}",
                                          row=s.header_row or 1))
        if not s.rows:
            problems.append(s.problem(None, "the topic has no rows", row=s.header_row or 1))
    return sections, problems


class TableReadError(ValueError):
    """A file that is not a table (bad CSV quoting, a damaged workbook); ``row`` is where reading stopped."""

    def __init__(self, message: str, row: int = 1, column: int = 1):
        super().__init__(message)
        self.row, self.column = row, column


Records = Iterable[tuple[int, list[str]]]


def _sheets(path: Path) -> Iterator[tuple[str, Records]]:
    """(label, records) of each table in the file: one for CSV/TSV, one per sheet of a workbook."""
    if path.suffix.lower() in WORKBOOK_EXTENSIONS:
        try:
            data = read_input(path)
        except InputError as exc:  # the file itself (missing, a folder): no line or column to name
            raise TableReadError(exc.message, 0, 0) from None
        yield from sheets(path, data, TableReadError)
        return
    try:
        data = read_input(path)
    except InputError as exc:
        raise TableReadError(exc.message, 0, 0) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        row = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8-sig" if line_start == 0 else "utf-8", "replace")) + 1
        raise TableReadError(f"cannot read the file: not UTF-8 text ({exc.reason}: byte 0x{data[exc.start]:02x} "
                             "at this line and column; save the table as UTF-8)", row, column) from None
    yield str(path), _csv_records(text, dialect_for(path))


def _csv_records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, its cells) of CSV or TSV text (the csv module reads it)."""
    # records end at CR or LF only (csv's own rule): a Unicode line separator is a character of its cell
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for record in reader:
            yield start, record
            start = reader.line_num + 1
    except csv.Error as exc:
        raise TableReadError(f"not a valid table: {exc}", reader.line_num) from None


def _sections(label: str, records: Records) -> tuple[list[Section], list[Problem], bool]:
    """The topics of one table's records (``label`` names the file, or the workbook's sheet, in problems), and
    whether reading stopped at a record that cannot be read (then the sections are incomplete)."""
    problems: list[Problem] = []
    sections: list[Section] = []
    current = Section(label)
    columns: dict[int, str] = {}
    try:
        for line, record in records:
            cells = [unguard(c.strip()) for c in record]  # '=... is an exported text cell, not a formula
            if not any(cells):
                continue
            for i, c in enumerate(cells):
                odd = _LINE_BREAKS.search(c)
                if odd:  # one located problem; the row is read on (as with a space) so that nothing else trips
                    problems.append(Problem(label, line, i + 1, c, f"a line separator (U+{ord(odd.group()):04X}) "
                                                                   "in a cell: write a space, or keep the text on one "
                                                                   "line"))
                    cells[i] = _LINE_BREAKS.sub(" ", c)
            first = norm(cells[0])
            if first in _META_NAMES and not (columns and first in _COLUMN_NAMES):
                if current.rows:  # a new header block after rows: the next topic
                    sections.append(current)
                    current, columns = Section(label), {}
                key = _META_NAMES[first]
                value = next((c for c in cells[1:] if c), "")
                col = 1 + next((i for i, c in enumerate(cells[1:], 1) if c), 1)
                if key in current.meta:
                    problems.append(Problem(label, line, 1, cells[0], f"{cells[0]!r} is given twice"))
                current.meta[key] = Cell(value, line, col)
                continue
            if not columns:
                if first in _COLUMN_NAMES:
                    columns = _header(cells, line, label, problems)
                    current.header_row = line
                    current.columns = set(columns.values())
                    continue
                problems.append(Problem(label, line, 1, cells[0],
                                        "expected a header key (e.g. Title) or the column header row (Variant, "
                                        "Procedure, Appropriateness Category, ...)"))
                continue
            row = {key: Cell(cells[i] if i < len(cells) else "", line, i + 1) for i, key in columns.items()}
            for i in range(len(cells)):
                if i not in columns and cells[i]:
                    problems.append(Problem(label, line, i + 1, cells[i], "a cell outside the table's columns"))
            current.rows.append(row)
    except TableReadError as exc:
        problems.append(Problem(label, exc.row, exc.column, "", str(exc)))
        return sections, problems, True
    if current.meta or current.rows:
        sections.append(current)
    return sections, problems, False


def _header(cells: list[str], line: int, path: str, problems: list[Problem]) -> dict[int, str]:
    columns: dict[int, str] = {}
    for i, name in enumerate(cells):
        if not name:
            continue
        key = _COLUMN_NAMES.get(norm(name))
        if key is None:
            problems.append(Problem(path, line, i + 1, name, "unknown column; known: "
                                    + ", ".join(names[0] for names in COLUMNS.values())))
        elif key in columns.values():
            problems.append(Problem(path, line, i + 1, name, "the column is given twice"))
        else:
            columns[i] = key
    for key in REQUIRED_COLUMNS:
        if key not in columns.values():
            problems.append(Problem(path, line, 1, "", f"the table needs a {COLUMNS[key][0]!r} column"))
    return columns


def _sidecar_of(path: Path) -> Path | None:
    for ext in (".yaml", ".yml", ".json"):
        candidate = path.with_suffix(ext)
        if candidate.is_file():
            return candidate
    return None


def _merge_sidecar(section: Section, sidecar: Path, problems: list[Problem]) -> bool:
    """Add the sidecar's keys (YAML via PyYAML, or JSON; read bounded by ``sidecar.read``) to the section's
    header; a key given twice is an error."""
    from iakg.io.importers import sidecar as sidecars

    try:
        data, text = sidecars.read(sidecar)
    except sidecars.SidecarError as exc:
        problems.append(Problem(str(sidecar), exc.line, 1, "", f"cannot read the sidecar: {exc}"))
        return False
    if not isinstance(data, dict):
        problems.append(Problem(str(sidecar), 1, 1, "", "a sidecar is a mapping of header keys to values"))
        return False
    lines = text.splitlines()
    for name, value in data.items():
        row = next((i for i, ln in enumerate(lines, 1) if str(name) in ln), 1)
        key = _META_NAMES.get(norm(str(name)))
        if key is None:
            problems.append(Problem(str(sidecar), row, 1, str(name), "unknown key; known: "
                                    + ", ".join(names[0] for names in META_KEYS.values())))
        elif key in section.meta:
            problems.append(Problem(str(sidecar), row, 1, str(name), "the key is also in the table's header block"))
        elif isinstance(value, dict):
            problems.append(Problem(str(sidecar), row, 1, str(name), "a key's value is text or a list of texts"))
        else:
            if isinstance(value, bool):  # YAML's true is the table's "true"
                value = "true" if value else "false"
            if isinstance(value, list):  # a list (of procedure terms) is read as "a; b; c"
                value = "; ".join("" if v is None else str(v).strip() for v in value)
            section.meta[key] = Cell("" if value is None else str(value).strip(), row, 1, str(sidecar))
    return True
