"""The ``table`` importer: guideline variant tables (CSV or TSV, header block or sidecar) into topics."""

from __future__ import annotations

from pathlib import Path

from iakg.errors import Problem, TableError
from iakg.io.importers import register
from iakg.io.importers.build import Builder, Topic
from iakg.io.importers.table import read
from iakg.io.importers.vocabulary import Vocabulary, fold
from iakg.rdf.engine import QueryEngine


@register("table", (".csv", ".tsv", ".tab", ".xlsx", ".ods"),
          "a guideline's variant tables (CSV, TSV, or an XLSX or ODS workbook)")
def read_tables(paths: list[Path], engine: QueryEngine, sidecar: Path | None = None) -> list[tuple[Topic, str, bool]]:
    """The topics of table files, built against the graph ``engine`` answers from; ``TableError`` lists
    every located problem of every file."""
    problems: list[Problem] = []
    builder = Builder(Vocabulary(engine))
    topics: list[tuple[Topic, str, bool]] = []
    for path in paths:
        sections, found = read(Path(path), sidecar if len(paths) == 1 else None)
        problems += found
        for section in sections:  # every problem of the file at once: the cells are read even after layout ones
            if not section.readable:
                continue
            topic = builder.build(section)
            if topic is not None:
                fixture = fold(section.meta["test_fixture"].text) in ("true", "yes", "1") \
                    if "test_fixture" in section.meta else False
                topics.append((topic, str(path), fixture))
    problems += builder.problems
    if problems:
        raise TableError(problems)
    return topics
