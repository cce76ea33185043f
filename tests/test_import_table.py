"""Authoring from tables: the fictional three-topic set imports, validates, answers, and round-trips."""

from __future__ import annotations

import csv
import shutil

import pyoxigraph as ox
import pytest
from conftest import FIXTURES, d

import iakg
from iakg.cli import main
from iakg.errors import TableError
from iakg.io.dataset import open_store
from iakg.io.importers import convert
from iakg.io.importers.cells import CellError, level, median_of
from iakg.io.importers.export_table import export_tables
from iakg.io.importers.procedures import resolve
from iakg.io.importers.vocabulary import Vocabulary
from iakg.rdf.engine import LocalEngine
from iakg.rdf.namespaces import IAKG

TABLES = FIXTURES / "tables"
FILES = [TABLES / "cystoma.csv", TABLES / "nodulosis.tsv", TABLES / "pelvic-ache.csv"]
FX = "https://example.org/fixture/"
HEADER = ("Variant,Procedure,Appropriateness Category,SOE,Adult RRL,Peds RRL,Rating,Median,"
          "1,2,3,4,5,6,7,8,9\n")
V1 = '"Variant 1: Adult. Fictional thing suspected. Initial imaging."'
META = ("Title,Fictional thing (test fixture)\nPanel size,12\nSource,Fictional source\n"
        "Publisher,Fictional Guidance Society\n"
        "Disease,Fictional thing\nDisease definition,Made up.\nNamespace,https://example.org/fixture/\n"
        "Test fixture,true\n")


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    out = tmp_path_factory.mktemp("imported")
    outputs, _ = convert("table", FILES)
    for name, text in outputs:
        (out / name).write_bytes(text)
    return out, outputs


@pytest.fixture(scope="module")
def base():
    return open_store()


@pytest.fixture(scope="module")
def vocab(base):
    return Vocabulary(LocalEngine(base))


def triples(texts) -> set[ox.Triple]:
    return {t for text in texts for t in ox.parse(text, format=ox.RdfFormat.TURTLE)}


def test_three_topics_import_and_validate_deterministically(imported):
    _, outputs = imported
    assert [name for name, _ in outputs] == ["fictional-hepatic-cystoma.ttl", "fictional-chest-nodulosis.ttl",
                                            "fictional-pelvic-ache.ttl"]
    again, _ = convert("table", FILES)
    assert again == outputs  # byte-identical: the same table gives the same Turtle
    text = outputs[0][1].decode()
    assert text.startswith("# TEST FIXTURE - NOT CLINICAL GUIDANCE")
    assert "@prefix iakg: <https://w3id.org/iakg/ontology#> ." in text


def test_every_variant_answers_recommend_in_the_source_order(imported):
    out, _ = imported
    graph = iakg.load(sorted(out.glob("*.ttl")))
    for path in FILES:
        rows, variant = {}, None
        delimiter = "\t" if path.suffix == ".tsv" else ","
        for r in csv.reader(path.open(encoding="utf-8"), delimiter=delimiter):
            if len(r) > 2 and r[0] != "Variant" and r[1]:
                variant = r[0].split(":")[0].split()[-1] if r[0] else variant
                rows.setdefault(variant, []).append(r[1])
        topic = {"cystoma.csv": "fictional-hepatic-cystoma", "nodulosis.tsv": "fictional-chest-nodulosis",
                 "pelvic-ache.csv": "fictional-pelvic-ache"}[path.name]
        for number, procedures in rows.items():
            answer = graph.recommend(f"{FX}{topic}-variant-{number}")
            labels = [p.label.casefold().replace("-", " ") for p in answer.procedures]
            assert labels == [p.casefold().replace("-", " ") for p in procedures], (path.name, number)


def test_rating_carries_the_columns_and_its_provenance(imported):
    _, outputs = imported
    graph = ox.Store()
    graph.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples(t for _, t in outputs))
    rating = ox.NamedNode(FX + "rating-fictional-hepatic-cystoma-variant-1-us-abdomen")
    props = {q.predicate.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]: q.object
             for q in graph.quads_for_pattern(rating, None, None)}
    assert props["ratingScore"].value == "8" and props["medianScore"].value == "8"
    assert props["sourceRowOrder"].value == "2" and props["votesForScore8"].value == "6"
    assert props["wasDerivedFrom"] == ox.NamedNode(FX + "source-fictional-hepatic-cystoma")
    assert props["sourceSection"].value.startswith("Variant 1: Adult.")
    # a name in the graph is reused, not created again; the shipped CT keeps its own statements
    ct = ox.NamedNode(d("ct-abdomen-pelvis-with-iv-contrast"))
    assert not list(graph.quads_for_pattern(ct, None, None))
    assert [q.object for q in graph.quads_for_pattern(
        ox.NamedNode(FX + "rating-fictional-hepatic-cystoma-variant-1-ct-abdomen-pelvis-with-iv-contrast"),
        ox.NamedNode("https://w3id.org/iakg/ontology#ratedProcedure"), None)] == [ct]


def test_import_export_import_is_isomorphic(imported, tmp_path):
    out, outputs = imported
    graph = iakg.load(sorted(out.glob("*.ttl")))
    table = tmp_path / "all.csv"
    imported = [FX + "topic-" + name.removesuffix(".ttl") for name, _ in outputs]
    table.write_text(export_tables(graph.engine, imported), encoding="utf-8")
    again, _ = convert("table", [table])
    assert triples(t for _, t in again) == triples(t for _, t in outputs)


def test_cli_import_writes_and_export_format_table(tmp_path, capsys):
    for f in FILES:  # sidecars travel with their tables
        for side in (f.with_suffix(".yaml"), f.with_suffix(".json")):
            if side.exists():
                shutil.copy(side, tmp_path / side.name)
        shutil.copy(f, tmp_path / f.name)
    out = tmp_path / "out"
    assert main(["import", "table", *(str(tmp_path / f.name) for f in FILES), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["fictional-chest-nodulosis.ttl",
                                                     "fictional-hepatic-cystoma.ttl", "fictional-pelvic-ache.ttl"]
    capsys.readouterr()
    data = [arg for p in sorted(out.iterdir()) for arg in ("--data", str(p))]
    assert main(["export", "--format", "table", *data]) == 0
    # the three imported topics and the shipped, hand-authored one
    assert capsys.readouterr().out.count("\nVariant,Procedure,") == 4


def test_template_imports(tmp_path, capsys):
    assert main(["import", "template"]) == 0
    (tmp_path / "t.csv").write_text(capsys.readouterr().out, encoding="utf-8")
    assert main(["import", "table", str(tmp_path / "t.csv"), "--check"]) == 0


BAD = {
    "unknown category": ("US abdomen,Rather appropriate,,,,8,8,,,,,,,,,", 3, "unknown appropriateness category"),
    "unknown level": ("US abdomen,Usually appropriate,,☢☢☢☢☢☢,,8,8,,,,,,,,,", 5, "unknown radiation level"),
    "wrong band": ("CT abdomen,Usually appropriate,,☢☢☢ 3-10 mSv,,8,8,,,,,,,,,", 5, "adult band 1-10 mSv"),
    "median outside 1-9": ("US abdomen,Usually appropriate,,,,8,10,,,,,,,,,", 8, "outside 1-9"),
    "tabulation over the panel size": ("US abdomen,Usually appropriate,,,,8,8,0,0,0,0,0,0,2,6,3\n,CT abdomen,"
                                       "Usually appropriate,,,,8,8,0,0,0,0,0,1,2,6,4", 9,
                                       "more than the panel size 12"),
    "rating outside the votes": ("US abdomen,Usually appropriate,,,,9,8,0,0,0,0,0,0,2,6,0", 7,
                                 "outside the tabulated votes (7-8)"),
    "duplicate procedure": ("US abdomen,Usually appropriate,,,,8,8,,,,,,,,,\n,us abdomen,Usually appropriate,,,,"
                            "7,7,,,,,,,,,", 2, "rates this procedure twice"),
    "no modality": ("Abdomen with IV contrast,Usually appropriate,,,,8,8,,,,,,,,,", 2, "names no modality"),
    "unparsed word": ("CT abdomen and teapot,Usually appropriate,,,,8,8,,,,,,,,,", 2, "cannot read 'teapot'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_located_and_nothing_is_written(case, base, tmp_path):
    row, column, message = BAD[case]
    path = tmp_path / "bad.csv"
    path.write_text(META + HEADER + V1 + "," + row + "\n", encoding="utf-8")
    with pytest.raises(TableError) as err:
        convert("table", [path], store=base)
    first = err.value.problems[-1] if case == "tabulation over the panel size" else err.value.problems[0]
    second_row = case in ("tabulation over the panel size", "duplicate procedure")
    assert (first.path, first.row, first.column) == (str(path), 11 if second_row else 10, column)
    assert message in first.message
    assert main(["import", "table", str(path), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_shape_violation_exits_1_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "child.csv"
    path.write_text(META + HEADER + '"Variant 1: Child. Fictional thing suspected. Initial imaging.",'
                    "CT abdomen,Usually appropriate,,☢☢☢ 1-10 mSv,,8,8,,,,,,,,,\n", encoding="utf-8")
    assert main(["import", "table", str(path), "--out", str(tmp_path / "out")]) == 1
    assert "no paediatric radiation level" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("text", "pediatric", "expected"), [
    ("☢☢☢ 1-10 mSv", False, "rrl-3"), ("O 0 mSv", False, "rrl-0"), ("☢☢☢☢ 3-10 mSv [ped]", True, "rrl-4"),
    ("Varies", False, "rrl-varies"), ("☢", True, "rrl-1"), ("n/a", False, None)])
def test_radiation_cells(text, pediatric, expected, vocab):
    found = level(text, vocab, d("relative-radiation-levels"), pediatric)
    assert (found.iri if found else None) == (d(expected) if expected else None)


def test_radiation_cell_errors(vocab):
    with pytest.raises(CellError, match="belongs in the Peds RRL column"):
        level("☢☢☢☢ 3-10 mSv [ped]", vocab, d("relative-radiation-levels"), False)


@pytest.mark.parametrize(("name", "expected"), [
    ("CT abdomen and pelvis with IV contrast", "ct-abdomen-pelvis-with-iv-contrast"),  # by label
    ("FDG-PET/CT", "fdg-pet-ct"), ("PET/CT DOTATATE", "dotatate-pet-ct"),  # by parsed parts
    ("CT chest, abdomen and pelvis with IV contrast", "ct-chest-abdomen-pelvis-with-iv-contrast")])
def test_procedure_names_match_the_graph(name, expected, vocab):
    known, _ = resolve(name, vocab)
    assert known is not None and known.iri == d(expected)


def test_procedure_name_parts_of_a_new_procedure(vocab):
    known, parsed = resolve("MRI chest without and with IV contrast", vocab)
    assert known is None and parsed is not None
    assert (parsed.procedure_class, parsed.regions, parsed.contrast) == (
        IAKG + "MRIProcedure", [d("region-chest")], d("without-and-with-iv-contrast"))
    # a labelled tracer is its own radiopharmaceutical: not the shipped DOTATATE, whose radionuclide is not stated
    known, parsed = resolve("Ga-68 DOTATATE PET/CT", vocab)
    assert known is None and parsed.tracer == d("ga-68-dotatate")
    with pytest.raises(CellError, match="cannot read 'gizmo'"):
        resolve("Gizmo PET/CT", vocab)


def test_printed_median_rounds_up_between_two_middle_votes():
    assert median_of([0, 0, 0, 1, 7, 8, 0, 0, 0]) == 6  # 16 votes: middle votes 5 and 6
    assert median_of([0] * 9) is None


def test_benchmark_table_is_valid_input(tmp_path):
    """The generated benchmark table (bench/importer.py) imports cleanly, so its timing measures real work."""
    import sys

    sys.path.insert(0, str(FIXTURES.parent.parent / "bench"))
    import importer

    path = tmp_path / "generated.csv"
    assert importer.generate(path, topics=2, variants=2) == 20
    outputs, _ = convert("table", [path])
    assert len(outputs) == 2


def test_import_never_replaces_a_file_it_did_not_write(tmp_path, capsys):
    """A hand-written Turtle file with a topic's name is refused (exit 2, nothing written, not even the other
    topics); a file iakg imported earlier is replaced; --force moves a foreign file aside, never deletes it."""
    from iakg.cli.authoring import template

    tables = []
    for ident in ("fictional-new-topic", "hand-written"):
        tables.append(tmp_path / f"{ident}.csv")
        tables[-1].write_text(template().replace("Id,fictional-example-topic", f"Id,{ident}")
                              .replace("Fictional example topic", ident), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "hand-written.ttl").write_text("# written by a person\n<a:b> <a:c> <a:d> .\n", encoding="utf-8")
    args = ["import", "table", *map(str, tables), "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "hand-written.ttl: the file exists and `iakg import` did not write it" in err and err.count("\n") == 1
    assert sorted(p.name for p in out.iterdir()) == ["hand-written.ttl"]
    assert (out / "hand-written.ttl").read_text().startswith("# written by a person")
    assert main([*args, "--force"]) == 0
    aside = [p for p in out.iterdir() if p.name.startswith("hand-written.ttl.moved-aside-")]
    assert len(aside) == 1 and aside[0].read_text().startswith("# written by a person")
    assert "is now" in capsys.readouterr().err
    assert main(args) == 0  # both files are iakg's own now: replaced without --force
    assert len(list(out.iterdir())) == 3
