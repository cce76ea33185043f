"""The kg command end to end, as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import FIXTURES, ROOT

EXAMPLE = str(ROOT / "examples" / "index-patient.json")

PNET = "pnet-post-resection-surveillance"


def kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "iakg", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("argv", [["recommend", PNET], ["match", EXAMPLE],
                                  ["dose", "--scenario", PNET, "--years", "5", "--every", "12"]])
def test_answers_fit_a_100_column_terminal(argv, monkeypatch, capsys):
    from iakg.cli import main

    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 100
    if argv[0] != "recommend":
        return
    rows = {line[0]: line for line in out.splitlines() if line[:1].isdigit()}
    assert "CT abdomen" in rows["1"] and "DOTATATE PET/CT" in rows["4"] and "FDG PET/CT" in rows["5"]
    assert "(Disagreement)" in out


def test_recommend_table():
    out = kg("recommend", PNET, "--wide")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "Routine surveillance after complete resection of a pancreatic neuroendocrine tumor"
    rows = [line for line in lines if line[:1].isdigit()]
    assert [r.split("  ")[1].strip() for r in rows] == [
        "CT abdomen and pelvis with IV contrast", "CT chest abdomen pelvis with IV contrast",
        "MRI abdomen and pelvis without and with IV contrast", "DOTATATE PET/CT", "FDG PET/CT"]
    assert "May be appropriate (Disagreement)" in rows[2] and "1-10 mSv" in rows[0]


def test_recommend_json():
    out = kg("recommend", "iakgd:" + PNET, "--format", "json")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    first, last = answer["procedures"][0], answer["procedures"][-1]
    assert first["label"] == "CT abdomen and pelvis with IV contrast"
    assert first["radiation"] == {"symbol": "☢☢☢", "rank": 3, "dose_min_msv": 1, "dose_max_msv": 10,
                                  "population": "adult", "varies": False, "unconfirmed": False,
                                  "dose_range": "1-10 mSv"}
    # rated apart from the adult level, cited to the ACR appendix page of GI topic 290 (not 0.3-3 mSv)
    assert first["pediatric_radiation"]["symbol"] == "☢☢☢☢"
    assert first["pediatric_radiation"]["dose_range"] == "3-10 mSv"
    assert (last["label"], last["category_text"], last["radiation"]) == (
        "FDG PET/CT", "Usually not appropriate", None)


def test_unknown_scenario_gives_close_matches_and_exit_2():
    out = kg("recommend", "pnet-post-resection-surveilance")
    assert out.returncode == 2
    assert "unknown scenario" in out.stderr and PNET in out.stderr
    assert out.stdout == ""


def test_invalid_data_file_names_file_line_and_column(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b "unterminated .\n', encoding="utf-8")
    out = kg("validate", str(bad))
    assert out.returncode == 2
    assert f"{bad}:2:" in out.stderr and "Traceback" not in out.stderr


def test_missing_file_and_wrong_extension(tmp_path):
    out = kg("validate", str(tmp_path / "nope.ttl"))
    assert out.returncode == 2 and "no such file" in out.stderr
    odd = tmp_path / "data.xyz"
    odd.write_text("x", encoding="utf-8")
    out = kg("validate", str(odd))
    assert out.returncode == 2 and "unsupported file extension" in out.stderr


def test_non_conforming_file_lists_violations_and_exits_1():
    out = kg("validate", str(FIXTURES / "broken" / "AppropriatenessRatingShape.ttl"))
    assert out.returncode == 1
    assert "second rating of the same pair <https://example.org/broken/rating-duplicate> iakg:ratedProcedure" \
        in out.stdout


def test_validate_shipped_graph():
    out = kg("validate")
    assert out.returncode == 0 and out.stdout.startswith("conforms")


def test_scenarios_and_query_formats():
    out = kg("scenarios")
    assert out.returncode == 0 and PNET in out.stdout
    out = kg("query", "radiation-level", "--param", "procedure=iakgd:ct-abdomen-pelvis-with-iv-contrast",
             "--format", "json")
    data = json.loads(out.stdout)
    assert data["results"]["bindings"][0]["radiation"]["value"] == "☢☢☢"
    out = kg("query", "disagreement", "--format", "csv")
    assert out.stdout.splitlines()[0] == "scenario,procedure,procedureLabel,categoryLabel"
    assert "MRI abdomen and pelvis without and with IV contrast" in out.stdout


def test_query_file_and_unknown_query(tmp_path):
    rq = tmp_path / "ask.rq"
    rq.write_text("PREFIX iakg: <https://w3id.org/iakg/ontology#>\nASK { ?r a iakg:AppropriatenessRating }\n")
    out = kg("query", str(rq))
    assert (out.returncode, out.stdout.strip()) == (0, "yes")
    out = kg("query", "recomendation")
    assert out.returncode == 2 and "recommendation" in out.stderr


def test_reason_flag_answers_the_same():
    plain, reasoned = kg("recommend", PNET, "--format", "json"), kg("recommend", PNET, "--format", "json", "--reason")
    assert json.loads(plain.stdout) == json.loads(reasoned.stdout)


def test_match_example_patient():
    out = kg("match", EXAMPLE)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("APPLICABLE: Routine surveillance after complete resection")
    assert "  First choice: CT abdomen and pelvis with IV contrast (Usually appropriate)" in out.stdout
    assert "late arterial phase + portal venous phase (the source: essential)" in out.stdout
    assert "  Surveillance: every 12 months" in out.stdout and "may be imaged annually" in out.stdout


def test_match_json_and_csv():
    answer = json.loads(kg("match", EXAMPLE, "--format", "json").stdout)
    assert answer["plans"][0]["interval"]["matches"][0]["every"] == "12 months"
    assert answer["scenarios"][0]["status"] == "applicable"
    rows = kg("match", EXAMPLE, "--format", "csv").stdout.splitlines()
    # population + 8 criteria of routine surveillance, population + 3 of the suspected-recurrence scenario
    assert rows[0] == "scenario,status,kind,criterion,key,expected,actual,outcome,redirect" and len(rows) == 14


def test_match_unknown_fact_exit_2(tmp_path):
    patient = tmp_path / "p.json"
    patient.write_text('{"tumourGrade": "G1"}', encoding="utf-8")
    out = kg("match", str(patient))
    assert out.returncode == 2 and "unknown patient fact 'tumourGrade'" in out.stderr and "tumorGrade" in out.stderr
    assert "Traceback" not in out.stderr


def test_dose_and_interval_commands():
    out = kg("dose", "ct-abdomen-pelvis-with-iv-contrast", "--years", "5", "--every", "12", "--format", "tsv")
    assert out.stdout.splitlines()[1].endswith("\t5\t5-50 mSv\t")
    out = kg("interval", PNET, "--grade", "G1")
    assert out.stdout.strip() == "cannot decide; also state: stageGroup"
    out = kg("dose", "--years", "5", "--every", "12")
    assert out.returncode == 2 and "give a procedure" in out.stderr


def test_facts_context_is_json_ld():
    context = json.loads(kg("facts", "--context", "--format", "json").stdout)
    assert context["@context"]["tumorGrade"]["@type"] == "@vocab"


def test_typed_commands_in_every_format():
    for command in (["topics"], ["procedures"], ["next-steps", PNET], ["alternatives", PNET], ["diagnoses", PNET],
                    ["pitfalls", PNET], ["faq", PNET], ["related", PNET], ["scenarios"], ["recommend", PNET]):
        for fmt in ("table", "json", "csv", "tsv"):
            out = kg(*command, "--format", fmt)
            assert out.returncode == 0 and out.stdout.strip(), (command, fmt, out.stderr)
            if fmt == "json":
                json.loads(out.stdout)


def test_query_file_errors_name_the_file_line_and_column(tmp_path):
    bad = tmp_path / "syn.rq"
    bad.write_text("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTR(?o = 1)\n}\n")
    out = kg("query", str(bad))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr == f"iakg: {bad}:3:3: Expected SelectQuery\n"
    binary = tmp_path / "bin.rq"
    binary.write_bytes(b"\xff\xfe\x00S")
    out = kg("query", str(binary))
    assert (out.returncode, out.stderr) == (2, f"iakg: {binary}: not UTF-8 text\n")
