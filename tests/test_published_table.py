"""A table shaped like a published variant table, quirks and all, imports with only a sidecar and every cell
comes back: through ``export --format table``, ``recommend --format json`` and SPARQL (the fictional
``tests/fixtures/tables/quirkoma.*``: a heading with no population, vote totals of 16 and 17, a median "n/a",
"Varies", fluoroscopy and nuclear medicine names, paediatric-only and adult-only rows, continuation rows; the
same table as CSV, XLSX and ODS). Also: every problem of a file at once, each in its own file; procedure names
across imaging; the shipped hand-authored topic round-trips through the table form."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest
import yaml
from conftest import FIXTURES
from workbooks import csv_rows, write_ods, write_xlsx

import iakg
from iakg.cli import main
from iakg.errors import TableError
from iakg.io.dataset import open_store
from iakg.io.importers import convert
from iakg.io.importers.export_table import export_tables
from iakg.io.importers.procedures import resolve
from iakg.io.importers.vocabulary import Vocabulary
from iakg.rdf.engine import LocalEngine
from iakg.rdf.namespaces import IAKG, IAKGD

TABLES = FIXTURES / "tables"
TABLE = TABLES / "quirkoma.csv"
SIDECAR = TABLES / "quirkoma.yaml"
FX = "https://example.org/fixture/"
TOPIC = FX + "topic-fictional-quirkoma"


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    outputs, _ = convert("table", [TABLE])
    [(name, text)] = outputs
    path = tmp_path_factory.mktemp("quirkoma") / name
    path.write_bytes(text)
    return path


@pytest.fixture(scope="module")
def graph(imported):
    return iakg.load([imported])


def _rows() -> list[list[str]]:
    with TABLE.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _variants() -> dict[int, list[list[str]]]:
    """The table's rows by variant number (a continuation row belongs to the heading above it)."""
    found: dict[int, list[list[str]]] = {}
    number = 0
    for row in _rows()[1:]:
        if row[0]:
            number = int(row[0].split(":")[0].split()[-1])
        found.setdefault(number, []).append(row)
    return found


def _triples(text: bytes) -> set[ox.Triple]:
    return set(ox.parse(text, format=ox.RdfFormat.TURTLE))


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_the_workbook_copies_hold_the_same_table(suffix, imported):
    """quirkoma.xlsx and .ods are the CSV typed into a spreadsheet (numbers as numbers), with the same sidecar."""
    outputs, _ = convert("table", [TABLE.with_suffix(suffix)])
    assert _triples(outputs[0][1]) == _triples(imported.read_bytes())


def test_it_imports_with_only_a_sidecar_and_validates(graph, imported):
    assert graph.validate().conforms
    text = imported.read_text(encoding="utf-8")
    assert text.startswith("# TEST FIXTURE - NOT CLINICAL GUIDANCE")
    # one source document, the publisher's topic identifier, the panel size as a maximum
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in _triples(imported.read_bytes()))
    sources = {q.subject for q in store.quads_for_pattern(None, ox.NamedNode(IAKG + "sourceUrl"), None)}
    assert sources == {ox.NamedNode(FX + "source-fictional-quirkoma")}
    topic = ox.NamedNode(TOPIC)
    assert [q.object.value for q in store.quads_for_pattern(topic, ox.NamedNode(IAKG + "publisherTopicId"), None)] \
        == ["F-0025"]
    assert [q.object.value for q in store.quads_for_pattern(topic, ox.NamedNode(IAKG + "panelSize"), None)] == ["17"]


def test_export_gives_back_every_cell(graph):
    exported = list(csv.reader(io.StringIO(export_tables(graph.engine, [TOPIC]))))
    header = exported.index(_rows()[0])
    assert exported[header:] == _rows()  # every cell, the "n/a" median and the empty levels included
    sidecar = yaml.safe_load(SIDECAR.read_text(encoding="utf-8"))
    keys = {k: v for k, v, *_ in exported[:header]}
    assert keys == {k: "; ".join(v) if isinstance(v, list) else str(v).lower() if isinstance(v, bool) else str(v)
                    for k, v in sidecar.items()}


def test_recommend_json_gives_back_every_cell(graph, imported, capsys):
    for number, rows in _variants().items():
        scenario = f"{FX}fictional-quirkoma-variant-{number}"
        assert main(["recommend", scenario, "--data", str(imported), "--format", "json"]) == 0
        answer = json.loads(capsys.readouterr().out)
        heading = rows[0][0]
        profile = answer["profile"]
        population = {1: [], 2: ["child"], 3: ["adult"]}[number]
        assert (profile["variant"], profile["populations"], profile["population_not_stated"]) == (
            number, population, number == 1)
        assert heading.endswith(f" {profile['phase']}.")
        assert profile["condition_status"] == {1: "Suspected", 2: "Known", 3: "Known"}[number]
        assert answer["scenario"]["label"].endswith(heading.split(": ", 1)[1].split(". ")[
            0 if number == 1 else 1])
        by_label = {p["label"]: p for p in answer["procedures"]}
        assert len(by_label) == len(rows)
        for row in rows:
            p = by_label[row[1]]
            assert p["category_text"] == row[2] and (p["evidence"] or "") == row[3]
            assert _level(p["radiation"], pediatric=False) == row[4]
            assert _level(p["pediatric_radiation"], pediatric=True) == row[5]
            assert (str(p["score"]), "n/a" if p["median"] is None else str(p["median"])) == (row[6], row[7])
            assert [str(v) for v in p["votes"]] == row[8:]
            assert p["row_order"] == rows.index(row) + 1


def _level(level: dict | None, pediatric: bool) -> str:
    if level is None:
        return ""
    if level["dose_range"] == "varies":
        return level["symbol"]
    band = level["dose_range"]  # the answer writes a band from 0 as "0-0.03 mSv", the table as "<0.03 mSv"
    band = "<" + band[2:] if band.startswith("0-") else band
    return f"{level['symbol']} {band}" + (" [ped]" if pediatric else "")


def test_sparql_gives_back_every_cell(graph):
    for number, rows in _variants().items():
        scenario = iakg.IRI(f"{FX}fictional-quirkoma-variant-{number}")
        got = {r["procedureLabel"]: r for r in graph.run("recommendation", scenario=scenario)}
        for row in rows:
            r = got[row[1]]
            category = r["categoryLabel"] + (" (Disagreement)" if r["disagreement"] else "")
            assert (category, r["evidence"] or "", r["score"]) == (row[2], row[3], int(row[6]))
            assert (r["median"] is None) == (row[7] == "n/a")
            assert [str(r[f"votes{n}"]) for n in range(1, 10)] == row[8:]
        [profile] = graph.run("scenario-profile", scenario=scenario)
        assert (profile["variant"], bool(profile["populationNotStated"])) == (number, number == 1)


def test_a_scenario_without_a_stated_population_is_not_for_adults(graph):
    """The dose plan no longer says "this scenario is for adults" of a heading that names no population."""
    plans = graph.compare_radiation(f"{FX}fictional-quirkoma-variant-1", 5, 12, "pediatric")
    assert not any((e.note or "").startswith("this scenario is for adults") for e in plans)
    plans = graph.compare_radiation(f"{FX}fictional-quirkoma-variant-3", 5, 12, "pediatric")
    assert all((e.note or "").startswith("this scenario is for adults") for e in plans)


def test_every_problem_of_a_file_at_once_each_in_its_own_file(tmp_path):
    rows = _rows()
    rows[2][2] = "Rather appropriate"           # row 3: unknown category
    rows[3][1] = "Fluoroscopy upper GI teapot"  # row 4: a word no vocabulary has
    rows[5][7] = "4"                            # row 6: median not the tabulation's
    rows[9][4] = "☢☢☢ 1-10 mSv"                 # row 10: an adult level where the graph has none... is fine
    rows[12][0] = "Variant 3: Adutl. Fictional quirkoma, known. Surveillance."  # row 13: a typo, not a description
    table = tmp_path / "bad.csv"
    with table.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    sidecar = tmp_path / "bad.yaml"
    sidecar.write_text(SIDECAR.read_text(encoding="utf-8").replace("Source URL: https", "Source URL: ftp")
                       .replace("Panel size: 17", "Panel size: 17\nColour: blue"), encoding="utf-8")
    with pytest.raises(TableError) as err:
        convert("table", [table])
    found = {(p.path, p.row, p.column) for p in err.value.problems}
    side_lines = sidecar.read_text(encoding="utf-8").splitlines()
    colour = next(i for i, line in enumerate(side_lines, 1) if line.startswith("Colour"))
    url = next(i for i, line in enumerate(side_lines, 1) if line.startswith("Source URL"))
    assert found == {(str(sidecar), colour, 1), (str(sidecar), url, 1), (str(table), 3, 3), (str(table), 4, 2),
                     (str(table), 6, 8), (str(table), 13, 1)}, err.value.problems


NAMES = {  # name as published -> (procedure class, regions, contrast, radiopharmaceutical, techniques)
    "Radiography chest": ("RadiographyProcedure", ["region-chest"], None, None, []),
    "Fluoroscopy upper GI series": ("FluoroscopyProcedure", [], None, None, ["technique-upper-gi-series"]),
    "Fluoroscopy contrast enema": ("FluoroscopyProcedure", [], None, None, ["technique-contrast-enema"]),
    "Fluoroscopy voiding cystourethrography": ("FluoroscopyProcedure", [], None, None, ["technique-vcug"]),
    "US duplex Doppler lower extremity": ("UltrasoundProcedure", ["region-lower-extremity"], None, None,
                                          ["technique-doppler"]),
    "US pelvis transvaginal": ("UltrasoundProcedure", ["region-pelvis"], None, None, ["technique-transvaginal"]),
    "CT head without IV contrast": ("CTProcedure", ["region-head"], "without-iv-contrast", None, []),
    "CTA chest with IV contrast": ("CTProcedure", ["region-chest"], "with-iv-contrast", None,
                                   ["technique-ct-angiography"]),
    "MRI brain without and with IV contrast": ("MRIProcedure", ["region-brain"], "without-and-with-iv-contrast",
                                               None, []),
    "MRA neck without IV contrast": ("MRIProcedure", ["region-neck"], "without-iv-contrast", None,
                                     ["technique-mr-angiography"]),
    "Mammography diagnostic": ("MammographyProcedure", [], None, None, ["technique-diagnostic"]),
    "Digital breast tomosynthesis diagnostic": ("MammographyProcedure", [], None, None,
                                                ["technique-diagnostic", "technique-tomosynthesis"]),
    "DXA": ("DXAProcedure", [], None, None, []),
    "Bone scan whole body": ("NuclearMedicineProcedure", ["region-whole-body"], None, None, ["technique-bone-scan"]),
    "Tc-99m sestamibi SPECT/CT parathyroid": ("SPECTCTProcedure", ["region-parathyroid"], None, "tc-99m-sestamibi",
                                              []),
    "FDG-PET/CT skull base to mid-thigh": ("PETCTProcedure", ["region-skull-base-to-mid-thigh"], None, "fdg", []),
    "Ga-68 DOTATATE PET/MRI abdomen": ("PETMRIProcedure", ["region-abdomen"], None, "ga-68-dotatate", []),
    "Image-guided biopsy liver": ("ImageGuidedProcedure", ["region-liver"], None, None, ["technique-biopsy"]),
    "US-guided drainage abdomen": ("ImageGuidedProcedure", ["region-abdomen"], None, None,
                                   ["technique-drainage", "technique-us-guided"]),
}


@pytest.fixture(scope="module")
def vocab():
    return Vocabulary(LocalEngine(open_store()))


@pytest.mark.parametrize("name", list(NAMES))
def test_procedure_names_across_imaging(name, vocab):
    cls, regions, contrast, tracer, techniques = NAMES[name]
    known, parsed = resolve(name, vocab)
    assert known is None and parsed is not None
    d = IAKGD
    assert (parsed.procedure_class, parsed.regions, parsed.contrast, parsed.tracer, parsed.techniques) == (
        IAKG + cls, sorted(d + r for r in regions), contrast and d + contrast, tracer and d + tracer,
        sorted(d + t for t in techniques))


@pytest.mark.parametrize(("name", "message"), [
    ("Fluoroscopy upper GI teapot", "cannot read 'upper gi teapot'"),
    ("CT and MRI abdomen", "gives two modalities"),
    ("Abdomen with IV contrast", "names no modality"),
    ("CT abdomen with green contrast", "cannot read the contrast use 'with green contrast'"),
])
def test_a_name_that_cannot_be_read_says_which_part(name, message, vocab):
    from iakg.io.importers.cells import CellError

    with pytest.raises(CellError, match=message) as err:
        resolve(name, vocab)
    assert "\n" not in str(err.value)


def test_the_shipped_hand_authored_topic_round_trips_through_the_table(tmp_path):
    """Export the shipped topic, import the table into the graph without that topic's scenarios and ratings,
    export again: the same table, cell for cell."""
    store = open_store()
    first = export_tables(LocalEngine(store))
    assert "Variant 1: Adult. Routine, scheduled surveillance imaging" in first
    rated = [q.subject for q in store.quads_for_pattern(None, ox.NamedNode(IAKG + "ratedScenario"), None)]
    topic = ox.NamedNode(IAKGD + "topic-pnet-surveillance-after-resection")
    for subject in [topic, *rated]:
        for q in list(store.quads_for_pattern(subject, None, None)):
            store.remove(q)
    (tmp_path / "shipped.csv").write_text(first, encoding="utf-8")
    outputs, after = convert("table", [tmp_path / "shipped.csv"], store=store, validate=False)
    assert [name for name, _ in outputs] == ["pnet-surveillance-after-resection.ttl"]
    assert export_tables(LocalEngine(after)) == first


def test_import_writes_an_xlsx_and_an_ods_table_via_the_cli(tmp_path, capsys):
    rows = csv_rows(TABLE)
    meta = [[k, "; ".join(v) if isinstance(v, list) else str(v)]
            for k, v in yaml.safe_load(SIDECAR.read_text(encoding="utf-8")).items()]
    write_xlsx(tmp_path / "t.xlsx", {"Sheet": meta + rows})
    write_ods(tmp_path / "t.ods", {"Sheet": meta + rows})
    for name in ("t.xlsx", "t.ods"):
        assert main(["import", "table", str(tmp_path / name), "--check"]) == 0
    assert capsys.readouterr().out.count("ok: fictional-quirkoma.ttl") == 2


def test_exported_headings_end_in_the_phase_of_care_as_a_sentence_like_the_fixture_tables():
    """'... with no known or suspected recurrence. Surveillance.' (the shipped data keeps the source's lower-case
    'surveillance' as its clinical phase), as the fixture tables write 'Initial imaging.' and 'Surveillance.'."""
    import re

    def phases(text: str) -> set[str]:
        return {m.rsplit(". ", 1)[-1] for m in re.findall(r"Variant \d+: ([^\"\n]*?)\.(?=\"|,)", text)}

    fixtures = set().union(*(phases(path.read_text(encoding="utf-8")) for path in TABLES.glob("*.csv")))
    assert {"Initial imaging", "Surveillance"} <= fixtures and all(p[:1].isupper() for p in fixtures)
    exported = phases(export_tables(LocalEngine(open_store())))
    assert "Surveillance" in exported and all(p[:1].isupper() for p in exported), exported
