"""What a person and a program read from the command line: query tables that fit a 100-column terminal
without splitting a word, ASK and graph results in every format, and empty answers that say so."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from unittest import mock

import pytest

from iakg.present.text import table

PNET = "iakgd:pnet-post-resection-surveillance"


def _run(argv, monkeypatch, capsys, terminal: bool = True, columns: int = 100) -> str:
    from iakg.cli import main

    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setattr(sys.stdout, "isatty", lambda: terminal)
    with mock.patch("iakg.rdf.safety.forbid_network"):
        assert main(argv) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("argv", [["query", "recommendation", "--param", f"scenario={PNET}"],
                                  ["query", "provenance", "--param", f"scenario={PNET}"],
                                  ["scenarios"], ["procedures"], ["topics"],
                                  ["query", "eligibility", "--param", f"scenario={PNET}"]])
def test_tables_fit_100_columns_and_never_split_a_word(argv, monkeypatch, capsys):
    wide = _run([*argv, "--wide"], monkeypatch, capsys)
    fitted = _run(argv, monkeypatch, capsys)
    assert max(len(line) for line in fitted.splitlines()) <= 100
    # every word of the wide table (IRIs as CURIEs, labels, numbers) is whole somewhere in the fitted one
    fitted_words = set(fitted.split())
    for word in set(wide.split()) - {"-" * n for n in range(200)}:
        if not set(word) <= {"-"}:
            assert word in fitted_words, word


def test_a_table_too_wide_for_its_words_becomes_records():
    iri = "iakgd:" + "x" * 60
    shown = table(["a", "b", "c"], [[iri, iri, "short"], [None, "y", "z"]], width=100)
    assert shown.splitlines()[0].startswith("-[ row 1 ]")
    assert f"a  {iri}" in shown.splitlines() and "c  short" in shown.splitlines()
    assert "a  " not in shown.split("-[ row 2 ]")[1]  # an empty value is left out of its record
    assert max(len(line) for line in shown.splitlines()) <= 100


def test_unbound_columns_are_named_not_drawn(monkeypatch, capsys):
    out = _run(["query", "recommendation", "--param", f"scenario={PNET}", "--wide"], monkeypatch, capsys)
    header = out.splitlines()[0].split()
    assert "procedure" in header and "adultUnconfirmed" not in header
    assert "unbound in every row: " in out and "adultUnconfirmed" in out.splitlines()[-1]


def test_ask_in_every_format(tmp_path, monkeypatch, capsys):
    ask = tmp_path / "ask.rq"
    ask.write_text("ASK { ?s a <https://w3id.org/iakg/ontology#ClinicalScenario> }", encoding="utf-8")
    assert _run(["query", str(ask)], monkeypatch, capsys).strip() == "yes"
    assert json.loads(_run(["query", str(ask), "--format", "json"], monkeypatch, capsys)) == {
        "head": {}, "boolean": True}
    assert list(csv.reader(io.StringIO(_run(["query", str(ask), "--format", "csv"], monkeypatch, capsys)))) == [
        ["_askResult"], ["true"]]
    assert _run(["query", str(ask), "--format", "tsv"], monkeypatch, capsys).split() == ["?_askResult", "true"]


def test_a_graph_in_json_is_compacted_json_ld_and_in_csv_one_row_a_triple(tmp_path, monkeypatch, capsys):
    import pyoxigraph as ox
    from pyld import jsonld

    construct = tmp_path / "c.rq"
    construct.write_text("PREFIX iakgd: <https://w3id.org/iakg/id/>\n"
                         "CONSTRUCT { iakgd:fdg-pet-ct ?p ?o } WHERE { iakgd:fdg-pet-ct ?p ?o }", encoding="utf-8")
    nt = _run(["query", str(construct)], monkeypatch, capsys)
    expected = set(ox.parse(nt.encode(), format=ox.RdfFormat.N_TRIPLES))
    document = json.loads(_run(["query", str(construct), "--format", "json"], monkeypatch, capsys))
    assert "@context" in document  # compacted, as the exports are
    back = jsonld.to_rdf(document, {"format": "application/n-quads"})
    assert set(ox.parse(back.encode(), format=ox.RdfFormat.N_TRIPLES)) == expected
    rows = list(csv.reader(io.StringIO(_run(["query", str(construct), "--format", "csv"], monkeypatch, capsys))))
    assert rows[0] == ["subject", "predicate", "object"] and len(rows) == len(expected) + 1
    tsv = _run(["query", str(construct), "--format", "tsv"], monkeypatch, capsys).splitlines()
    assert tsv[0].split("\t") == ["?subject", "?predicate", "?object"] and len(tsv) == len(expected) + 1


@pytest.mark.parametrize("name", ["related", "pitfalls", "diagnoses", "faq", "features"])
def test_an_empty_answer_says_so(name, monkeypatch, capsys):
    out = _run([name, "iakgd:pnet-initial-staging"], monkeypatch, capsys)
    assert out.startswith("no ") and "stated" in out and "---" not in out
    assert json.loads(_run([name, "iakgd:pnet-initial-staging", "--format", "json"], monkeypatch, capsys)) in (
        [], {"scenario": mock.ANY, "links": []})


def test_interval_csv_says_which_facts_would_decide(monkeypatch, capsys):
    rows = list(csv.reader(io.StringIO(_run(["interval", PNET, "--format", "csv"], monkeypatch, capsys))))
    assert rows == [["every", "interval", "grades", "stages", "qualifier", "missing"],
                    ["", "", "", "", "", "stageGroup tumorGrade"]]
    rows = list(csv.reader(io.StringIO(_run(["interval", PNET, "--grade", "G1", "--stage", "early", "--format",
                                             "csv"], monkeypatch, capsys))))
    assert rows[1][:4] == ["12 months", "Annual imaging for low-grade (G1), early-stage tumors", "G1", "early"]
    assert rows[1][4] == "may be imaged annually"


def _headers_in_line(out: str) -> list[tuple[list[str], str]]:
    """Each table of ``out``: its header lines and its rule (the line of dash runs under them)."""
    lines = out.splitlines()
    found = []
    for i, rule in enumerate(lines):
        if rule.startswith("-  ---") and set(rule) <= {"-", " "}:
            top = i
            while top > 0 and lines[top - 1].strip() and not lines[top - 1].startswith(("Plan for", "APPLICABLE")):
                top -= 1
            found.append((lines[top:i], rule))
    return found


@pytest.mark.parametrize("width", [80, 100, 120])
@pytest.mark.parametrize("argv", [["recommend", "pnet-post-resection-surveillance"],
                                  ["match", "examples/index-patient.json"],
                                  ["match", "tests/fixtures/patients/claustrophobia-indeterminate.json"]])
def test_every_header_starts_at_its_column_and_stays_in_it(argv, width, monkeypatch, capsys):
    from conftest import ROOT

    monkeypatch.chdir(ROOT)
    out = _run(argv, monkeypatch, capsys, columns=width)
    tables = _headers_in_line(out)
    assert tables and max(len(line) for line in out.splitlines()) <= width
    for header, rule in tables:
        spans = [(m.start(), m.end()) for m in re.finditer(r"-+", rule)]
        assert header[0].startswith("#") and spans[0] == (0, 1)
        for line in header:
            gaps = [line[end:start] for (_, end), (start, _) in zip(spans, spans[1:])]
            assert all(not gap.strip() for gap in gaps), (width, line, rule)  # nothing spills past a column
            assert len(line) <= len(rule), (width, line, rule)
        assert all(header[0][a] != " " for a, _ in spans), (width, header[0], rule)  # each starts at its column
        names = [" ".join(" ".join(line[a:b].split()) for line in header).strip() for a, b in spans]
        assert names[0] == "#" and names[-1] == "condition" and "procedure's peds RRL" in names, names


def test_output_to_a_pipe_fits_an_explicit_columns_and_is_left_wide_without_it(monkeypatch, capsys):
    argv = ["query", "provenance", "--param", f"scenario={PNET}"]
    piped = _run(argv, monkeypatch, capsys, terminal=False, columns=100)
    assert max(len(line) for line in piped.splitlines()) <= 100
    monkeypatch.delenv("COLUMNS")
    from iakg.cli import main

    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    with mock.patch("iakg.rdf.safety.forbid_network"):
        assert main(argv) == 0
    assert max(len(line) for line in capsys.readouterr().out.splitlines()) > 100
    rows = list(csv.reader(io.StringIO(_run([*argv, "--format", "csv"], monkeypatch, capsys, columns=40))))
    assert len({len(row) for row in rows}) == 1 and max(len(",".join(row)) for row in rows) > 40  # never wrapped


def test_a_header_wider_than_its_column_wraps_between_words():
    shown = table(["n", "a long header name", "z"], [[1, "x", "yy " * 30]], width=24).splitlines()
    assert shown[0].split() == ["n", "a", "long", "header", "z"] and shown[1].split() == ["name"]
    assert shown[1].index("name") == shown[0].index("a long") == shown[2].index("-", 1)
    assert shown[0].index("z") == shown[2].rindex(" ") + 1 and max(len(line) for line in shown) <= 24


def _iakg(*argv: str, columns: str | None) -> subprocess.CompletedProcess[str]:
    from conftest import ROOT

    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | ({"COLUMNS": columns} if columns else {})
    return subprocess.run([sys.executable, "-m", "iakg", *argv], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_violations_and_the_coverage_report_fit_columns_and_errors_stay_one_line(tmp_path):
    violating = tmp_path / "violating.ttl"
    violating.write_text("@prefix iakg: <https://w3id.org/iakg/ontology#> .\n"
                         "<http://example.org/r> a iakg:AppropriatenessRating .\n", encoding="utf-8")
    whole = _iakg("validate", str(violating), columns=None)
    assert whole.returncode == 1 and max(len(line) for line in whole.stdout.splitlines()) > 100
    fitted = _iakg("validate", str(violating), columns="100")
    assert fitted.returncode == 1 and max(len(line) for line in fitted.stdout.splitlines()) <= 100
    assert fitted.stdout.split() == whole.stdout.split()  # the same words, wrapped
    report = _iakg("coverage", "examples/orders.csv", columns="100")
    assert "Facts most often missing" in report.stdout and max(map(len, report.stdout.splitlines())) <= 100
    machine = _iakg("coverage", "examples/orders.csv", "--format", "json", columns="40")
    assert json.loads(machine.stdout)["orders"] == 8
    assert max(map(len, machine.stdout.splitlines())) > 40  # a machine format is never wrapped
    # an error on standard error that is not a terminal (a log, a program) stays one line whatever COLUMNS says
    error = _iakg("recommend", "no-such-scenario-with-a-long-name-" + "x" * 60, columns="40")
    assert error.returncode == 2 and len(error.stderr.strip().splitlines()) == 1


def test_a_diagnostic_wraps_on_a_terminal_and_not_in_a_log(monkeypatch):
    from iakg.present.text import say

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    message = "iakg: " + " ".join(["word"] * 30) + " iakgd:" + "x" * 50
    monkeypatch.setenv("COLUMNS", "40")
    terminal, log = Terminal(), io.StringIO()
    say(message, terminal)
    say(message, log)
    assert log.getvalue() == message + "\n"
    lines = terminal.getvalue().splitlines()
    assert len(lines) > 3 and all(len(line) <= 40 for line in lines[:-1]) and lines[-1] == "  iakgd:" + "x" * 50
