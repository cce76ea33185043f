"""Presenting answers: human tables, JSON, CSV and TSV, chosen by name."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from decimal import Decimal
from itertools import zip_longest
from typing import Any, TextIO

from iakg.domain.model import Recommendation, to_dict
from iakg.rdf.namespaces import curie
from iakg.rdf.terms import IRI
from iakg.registry import Registry

#: control characters (C0 but tab and newline, DEL, C1) and bidi overrides/isolates, each replaced by U+FFFD;
#: a translation table rather than a regular expression, whose Unicode class takes ~1 ms to compile (cold start)
_UNSAFE = dict.fromkeys([*range(0x00, 0x09), *range(0x0b, 0x20), *range(0x7f, 0xa0), *range(0x202a, 0x202f),
                         *range(0x2066, 0x206a)], "\ufffd")


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (escape sequences, bidi overrides) become U+FFFD."""
    return text.translate(_UNSAFE)


def defuse(cell: str) -> str:
    """A CSV/TSV text cell that a spreadsheet will not run as a formula (a leading = + - @ gets a quote)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


#: Width tables and prose are fitted to (wrapping cells and lines); None leaves them as wide as their content
#: (``--wide``, or output to a pipe or file with no COLUMNS). The CLI sets it with :func:`terminal_width`.
WIDTH: int | None = None


def terminal_width(stream: TextIO) -> int | None:
    """The width to fit human-readable text to on ``stream``: ``COLUMNS`` when it is set (a whole number > 0),
    else the terminal's when ``stream`` is one, else None (as wide as the content, for programs that read it)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if stream.isatty():
        import shutil  # (with zlib, bz2, lzma: only when printing to a terminal)

        return shutil.get_terminal_size((100, 24)).columns
    return None


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], width: int | None = None) -> str:
    """A plain-text table with aligned columns. Wider than ``width`` (or ``WIDTH``), its widest columns wrap
    between words, headers too (a column is narrowed below its header only when nothing else can give); a word
    (an IRI, a number, a word of a header) is never split, so what is shown can be copied, and every header
    starts where its column does. When the words themselves cannot fit side by side, each row is shown as a
    record instead: one ``name  value`` line per column, wrapped to the width (as psql's expanded display)."""
    cells = [[printable(_cell(v)) for v in row] for row in rows]
    names = [printable(_cell(h)) for h in headers]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(names)]
    limit = width if width is not None else WIDTH
    if limit and widths and sum(widths) + 2 * (len(widths) - 1) > limit:
        floor = [max([_longest_word(h)] + [_longest_word(r[i]) for r in cells]) for i, h in enumerate(names)]
        whole = [max(f, len(h)) for f, h in zip(floor, names)]  # the header on one line
        budget = limit - 2 * (len(widths) - 1)
        if sum(floor) > budget:
            return records(names, cells, limit)
        while sum(widths) > budget:
            widest = max(range(len(widths)), key=lambda k: (widths[k] > whole[k], widths[k] > floor[k], widths[k]))
            widths[widest] -= 1
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()

    def lines(row: Sequence[str]) -> list[str]:
        parts = [_wrap(c, w) or [""] if len(c) > w else [c]
                 for c, w in zip(row, widths)]
        return [line([v or "" for v in values]) for values in zip_longest(*parts)]

    out = lines(names) + [line(["-" * w for w in widths])] + [x for r in cells for x in lines(r)]
    return "\n".join(out)


def records(headers: Sequence[str], cells: Sequence[Sequence[str]], width: int) -> str:
    """Rows too wide for a table, each as a record: ``name  value`` lines (values wrapped between words to
    ``width``; an empty value is left out), records apart by a blank line."""
    names = max(len(h) for h in headers)
    room = max(width - names - 2, 20)
    out: list[str] = []
    for n, row in enumerate(cells, 1):
        out.append(f"-[ row {n} ]" + "-" * max(0, min(width, 40) - len(f"-[ row {n} ]")))
        for header, value in zip(headers, row):
            if not value:
                continue
            parts = _wrap(value, room) if len(value) > room else [value]
            out += [(header if i == 0 else "").ljust(names) + "  " + part for i, part in enumerate(parts)]
    return "\n".join(out)


def _longest_word(cell: str) -> int:
    return max((len(word) for word in cell.split()), default=0)


def _wrap(cell: str, width: int) -> list[str]:
    import textwrap  # only when a cell is wider than its column (output to a pipe never wraps)

    return textwrap.wrap(cell, width, break_on_hyphens=False, break_long_words=False)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, IRI):
        return curie(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return " ".join(str(value).split())


def _plain(value: Any) -> str:
    """A cell of CSV/TSV output for a typed command: IRIs in full, booleans as true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return " ".join(str(value).split())


#: renders (answer, headers, rows, prose) as text
Renderer = Callable[[Any, Sequence[str], Sequence[Sequence[Any]], str | None], str]

#: output formats of the typed commands: name -> renderer(answer, headers, rows, prose)
RENDERERS: Registry[Renderer] = Registry("output format")


def renderer(name: str) -> Callable[[Renderer], Renderer]:
    """Decorator: register a renderer of typed answers as ``--format NAME``."""
    def add(fn: Renderer) -> Renderer:
        RENDERERS.register(name, fn)
        return fn
    return add


@renderer("table")
def _table(answer: Any, headers: Sequence[str], rows: Sequence[Sequence[Any]], text: str | None) -> str:
    return fit(text) if text is not None else table(headers, rows)


def fit(text: str, width: int | None = None) -> str:
    """Prose fitted to ``width`` (or ``WIDTH``): a longer line wraps between words, continuing two spaces further
    in (a word longer than the width, such as an IRI, is kept whole so that it can be copied)."""
    limit = width if width is not None else WIDTH
    if not limit:
        return text
    import textwrap

    out = []
    for line in text.split("\n"):
        if len(line) <= limit:
            out.append(line)
            continue
        indent = line[:len(line) - len(line.lstrip())]
        out += textwrap.wrap(line.strip(), limit, initial_indent=indent, subsequent_indent=indent + "  ",
                             break_on_hyphens=False, break_long_words=False)
    return "\n".join(out)


def say(message: str, stream: TextIO | None = None) -> None:
    """Print human-readable ``message`` fitted to the reader: on standard output to ``WIDTH`` (the terminal, or
    ``COLUMNS``; a pipe without COLUMNS gets it whole); on standard error (diagnostics) to the terminal only
    when it is one, so that a log or a program reading the errors gets one line per message."""
    import sys

    if stream is None or stream is sys.stdout:
        print(fit(message), file=stream)
        return
    if stream.isatty():
        import shutil

        message = fit(message, shutil.get_terminal_size((100, 24)).columns)
    print(message, file=stream, flush=True)


@renderer("json")
def _json(answer: Any, headers: Sequence[str], rows: Sequence[Sequence[Any]], text: str | None) -> str:
    import json

    return json.dumps(to_dict(answer), ensure_ascii=False, indent=2)


def _delimited_rows(dialect: str) -> Renderer:
    def render_rows(answer: Any, headers: Sequence[str], rows: Sequence[Sequence[Any]], text: str | None) -> str:
        import csv

        buffer = io.StringIO()
        writer = csv.writer(buffer, dialect=dialect, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows([[defuse(_plain(v)) if isinstance(v, str) else _plain(v) for v in row] for row in rows])
        return buffer.getvalue().rstrip("\n")
    return render_rows


renderer("csv")(_delimited_rows("excel"))
renderer("tsv")(_delimited_rows("excel-tab"))


def render(fmt: str, answer: Any, headers: Sequence[str], rows: Sequence[Sequence[Any]],
           text: str | None = None) -> str:
    """One typed answer in a registered format: ``json`` is its stable dict form, the others show ``rows``."""
    return RENDERERS.get(fmt)(answer, headers, rows, text)


# ---------------------------------------------------------------- recommendation
RECOMMENDATION_HEADERS = ("rank", "procedure", "label", "appropriateness", "evidence", "score", "median", "votes",
                          "radiation", "adult_dose", "pediatric_radiation", "pediatric_dose", "condition")


def _votes(votes: tuple[int, ...] | None) -> str | None:
    return None if votes is None else " ".join(map(str, votes))


def recommendation_rows(answer: Recommendation) -> list[tuple]:
    return [(i, p.procedure, p.label, p.category_text, p.evidence, p.score, p.median, _votes(p.votes),
             p.radiation.symbol if p.radiation else None, p.radiation.dose_range if p.radiation else None,
             p.pediatric_radiation.symbol if p.pediatric_radiation else None,
             p.pediatric_radiation.dose_range if p.pediatric_radiation else None, p.condition)
            for i, p in enumerate(answer.procedures, 1)]


def _profile_line(answer: Recommendation) -> str:
    profile = answer.profile
    if profile is None:
        return ""
    parts = [f"Variant {profile.variant}" if profile.variant is not None else None,
             " and ".join(profile.populations) if profile.populations else
             ("population not stated" if profile.population_not_stated else None),
             profile.condition_status and f"{profile.condition_status.lower()} condition", profile.phase,
             profile.panel and f"panel: {profile.panel}", profile.reviewed and f"reviewed {profile.reviewed}"]
    shown = [p for p in parts if p]
    return ("; ".join(shown) + "\n") if shown else ""


def recommendation_text(answer: Recommendation) -> str:
    """The recommendation as a person reads it. Strength of evidence and rating columns appear only when
    some row has them, so the table stays as narrow as the content allows."""
    head = f"{answer.scenario.label}\n<{answer.scenario.iri}>\n" + _profile_line(answer)
    if not answer.procedures:
        return head + "\nThe source gives no appropriateness ratings for this scenario."
    rated = answer.procedures
    columns: list[tuple[str, Any]] = [("#", None), ("procedure", lambda p: p.label),
                                      ("appropriateness", lambda p: p.category_text)]
    if any(p.evidence for p in rated):
        columns.append(("SOE", lambda p: p.evidence or ""))
    if any(p.score is not None or p.median is not None for p in rated):
        columns.append(("rating", lambda p: "" if p.score is None else str(p.score)))
        columns.append(("median", lambda p: "" if p.median is None else str(p.median)))
    columns += [("adult RRL", lambda p: p.radiation.text if p.radiation else "not stated"),
                ("procedure's peds RRL",
                 lambda p: p.pediatric_radiation.text if p.pediatric_radiation else "not stated"),
                ("condition", lambda p: p.condition or "")]
    rows = [[i] + [get(p) for _, get in columns[1:]] for i, p in enumerate(rated, 1)]
    out = head + "\n" + table([name for name, _ in columns], rows)
    if answer.profile is not None and answer.profile.adults_only:
        out += ("\nProcedure's peds RRL: the procedure's paediatric radiation level, not a rating of this "
                "scenario for children (it is for adults).")
    return out + "".join("\n" + line for line in protocol_lines(answer.protocol))


def hedged(text: str, qualifier: str | None) -> str:
    """A statement with the source's hedge beside it, unless the text already carries the hedge's words."""
    if not qualifier or qualifier.lower() in text.lower():
        return text
    return f"{text} [source: {qualifier}]"


def protocol_lines(phases) -> list[str]:
    """The protocol requirements of rated procedures, one line per procedure: its phases, essential or not."""
    by_procedure: dict[str, list] = {}
    for need in phases:
        by_procedure.setdefault(need.procedure.label, []).append(need)
    out = []
    for label, needs in by_procedure.items():
        essential = all(n.essential for n in needs)
        phases_text = " + ".join(n.phase.label for n in needs)
        out.append(f"Protocol for {label}: multiphasic, {phases_text}"
                   + (" (the source: essential)" if essential else ""))
        out += [f"  {n.phase.label}: {n.purpose}" for n in needs]
    return out




# ---------------------------------------------------------------- dose (issue 13)
DOSE_HEADERS = ("procedure", "label", "appropriateness", "radiation", "studies", "cumulative_dose", "note")


def dose_rows(answer) -> list[tuple]:
    return [(o.estimate.procedure.iri, o.estimate.procedure.label, o.appropriateness,
             o.estimate.radiation.symbol if o.estimate.radiation else "not stated", o.estimate.studies,
             o.estimate.total_range, o.estimate.note) for o in answer.options]


def dose_text(answer) -> str:
    """A scenario's dose comparison: what the numbers are, the options with appropriateness, the caveats."""
    if answer.not_covered:
        return (f"{answer.scenario.label}: not covered by this source for this population ({answer.not_covered}): "
                "no rating, no plan and no doses.")
    if not answer.options and not answer.left_out:
        return (f"{answer.scenario.label}: the source rates no procedure for this scenario, so there are no doses "
                "to compare (`iakg match` and `iakg next-steps` give what it says to do).")
    rows = [(o.estimate.procedure.label, o.appropriateness + (" (not recommended)" if o.lowest_category else ""),
             o.estimate.radiation.symbol if o.estimate.radiation else "not stated", o.estimate.studies,
             o.estimate.total_range) for o in answer.options]
    population = next((o.estimate.population for o in answer.options), "adult")
    scale = " Read on the paediatric scale." if population == "pediatric" else ""
    out = [answer.note + scale, "",
           table(["procedure", "appropriateness", "radiation", "studies", "cumulative dose"], rows)]
    notes = dict.fromkeys(f"{o.estimate.procedure.label}: {o.estimate.note}" for o in answer.options
                          if o.estimate.note)
    out += [f"Note: {n}" for n in notes]
    if answer.left_out:
        out.append("Left out as usually not appropriate (--all shows them): "
                   + ", ".join(r.label for r in answer.left_out))
    for c in answer.caveats:
        out.append(f"{c.label.split(':', 1)[0].capitalize()}: {hedged(c.text, c.qualifier)}")
    return "\n".join(out)
