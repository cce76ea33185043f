"""What a person and a program read from the command line: query tables that fit a 100-column terminal
without splitting a word, ASK and graph results in every format, and empty answers that say so."""

from __future__ import annotations

import csv
import io
import json
import sys
from unittest import mock

import pytest

from iakg.present.text import table

PNET = "iakgd:pnet-post-resection-surveillance"


def _run(argv, monkeypatch, capsys, terminal: bool = True) -> str:
    from iakg.cli import main

    monkeypatch.setenv("COLUMNS", "100")
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
