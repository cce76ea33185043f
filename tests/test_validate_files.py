"""Validating any files against any shapes (``iakg validate --shapes``, ``iakg.validate_files``): the files
alone against the shapes alone, what each exit code means, the JSON, and unusable input refused on one line."""

from __future__ import annotations

import json

import pytest

import iakg
from iakg.cli import main

SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:PersonShape a sh:NodeShape ; sh:targetClass ex:Person ;
  sh:property [ sh:path ex:age ; sh:datatype xsd:integer ; sh:maxCount 1 ; sh:message "one whole age"@en ] ;
  sh:property [ sh:path ex:knows ; sh:node ex:NamedShape ] .
ex:NamedShape a sh:NodeShape ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .
"""
DATA = """@prefix ex: <http://example.org/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:ann a ex:Person ; ex:age 30 ; ex:knows ex:bob .
ex:bob ex:name "Bob" .
ex:cat a ex:Person ; ex:age "thirty" , 31 ; ex:knows ex:dan .
ex:dan ex:age 40 .
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "shapes.ttl").write_text(SHAPES, encoding="utf-8")
    (tmp_path / "data.ttl").write_text(DATA, encoding="utf-8")
    return tmp_path / "data.ttl", tmp_path / "shapes.ttl"


def test_the_files_alone_against_the_shapes_alone(files):
    data, shapes = files
    report = iakg.validate_files([data], shapes=[shapes])
    found = sorted((v.focus.rsplit("/", 1)[1], v.component.rsplit("#", 1)[1], v.value) for v in report.violations)
    assert found == [("cat", "DatatypeConstraintComponent", "thirty"), ("cat", "MaxCountConstraintComponent", None),
                     ("cat", "NodeConstraintComponent", "http://example.org/dan")]
    assert not any(v.result is None for v in report.violations), "no lint, no shipped shapes"
    # PersonShape reaches NamedShape through sh:node: handed to pyshacl whole, and said so
    assert report.handed_over == ["http://example.org/PersonShape"] and report.compiled == []
    assert {v.message for v in report.violations if v.component.endswith("MaxCountConstraintComponent")} == \
        {"one whole age"}
    same = iakg.validate_files([data], shapes=[shapes], compiled=False)
    assert sorted(map(str, same.violations)) == sorted(map(str, report.violations))


def test_a_shapes_file_that_is_only_compiled(tmp_path):
    flat = SHAPES.replace(" ;\n  sh:property [ sh:path ex:knows ; sh:node ex:NamedShape ]", "")
    (tmp_path / "shapes.ttl").write_text(flat, encoding="utf-8")
    (tmp_path / "data.ttl").write_text(DATA, encoding="utf-8")
    report = iakg.validate_files([tmp_path / "data.ttl"], shapes=[tmp_path / "shapes.ttl"])
    assert report.compiled == ["http://example.org/PersonShape"] and report.handed_over == []
    assert len(report.violations) == 2


def test_cli_exit_codes_and_json(files, capsys):
    data, shapes = files
    assert main(["validate", "--shapes", str(shapes), str(data)]) == 1
    out, err = capsys.readouterr()
    assert "one whole age" in out and err.strip() == "3 violation(s)"
    assert main(["validate", "--shapes", str(shapes), "--format", "json", str(data)]) == 1
    answer = json.loads(capsys.readouterr().out)
    assert answer["conforms"] is False and len(answer["results"]) == 3
    typed = next(r for r in answer["results"] if r["sourceConstraintComponent"].endswith("DatatypeConstraintComponent"))
    assert typed["focusNode"] == {"type": "uri", "value": "http://example.org/cat"}
    assert typed["value"] == {"type": "literal", "value": "thirty"}
    assert typed["resultPath"] == "<http://example.org/age>"
    assert typed["sourceShape"]["type"] == "bnode"
    assert typed["shapeMessages"] == [{"type": "literal", "value": "one whole age", "xml:lang": "en"}]
    conforming = data.with_name("ok.ttl")
    conforming.write_text("@prefix ex: <http://example.org/> . ex:ann a ex:Person ; ex:age 3 .\n", encoding="utf-8")
    assert main(["validate", "--shapes", str(shapes), str(conforming)]) == 0
    assert capsys.readouterr().out.startswith("conforms")


def test_shipped_graph_json_keeps_the_lint_apart(capsys):
    assert main(["validate", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"conforms": True, "results": []}


@pytest.mark.parametrize("argv, message", [
    (["--shapes", "{shapes}"], "give at least one data file"),
    (["--shapes", "{missing}", "{data}"], "no such file"),
    (["--shapes", "{shapes}", "--changed", "{data}", "{data}"], "targeted validation is of the shipped graph"),
    (["--shapes", "{bad}", "{data}"], "the shapes cannot be run (pyshacl"),
    (["--shapes", "{data}", "{broken}"], ":2:"),
])
def test_unusable_input_exits_2_on_one_line(files, capsys, argv, message):
    data, shapes = files
    bad = data.with_name("bad.ttl")
    bad.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .\n"
                   "ex:S a sh:NodeShape ; sh:targetClass ex:Person ; sh:property [ sh:path ex:age ; "
                   "sh:node ex:T ; sh:minCount \"many\" ] .\n", encoding="utf-8")
    broken = data.with_name("broken.ttl")
    broken.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n", encoding="utf-8")
    names = {"shapes": shapes, "data": data, "missing": data.with_name("missing.ttl"), "bad": bad, "broken": broken}
    code = main(["validate", *(a.format(**names) for a in argv)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1, err
