"""The typed Python API: each method's answer on the article, and on the second fixture topic."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import FIXTURES, PNET, d

import iakg
from iakg.domain.model import to_dict

FIXTURE = "https://example.org/fixture/"


@pytest.fixture(scope="module")
def both():
    return iakg.load([FIXTURES / "second-topic.ttl"])


def test_topics_and_hierarchy(both):
    topics = {t.iri: t for t in both.topics()}
    assert topics[d("topic-pnet-surveillance-after-resection")].parent == d("hub-pnet-imaging")
    assert topics[FIXTURE + "hub-exampleoma"].kind == "hub"
    assert topics[FIXTURE + "topic-exampleoma-follow-up"].scenarios == 1


def test_next_steps(graph):
    branches = graph.next_steps(PNET)
    assert [(b.result, b.alternatives, len(b.steps)) for b in branches] == [
        ("negative", False, 1), ("positive", False, 3), ("indeterminate", True, 2)]
    [indeterminate] = graph.next_steps(PNET, "indeterminate")
    assert indeterminate.steps[0].interval_months == Decimal("3")
    assert {p.iri for p in indeterminate.steps[1].procedures} == {
        d("mri-abdomen-pelvis-without-and-with-iv-contrast"), d("dotatate-pet-ct")}


def test_alternatives(graph):
    options = graph.alternatives(PNET, "iakgd:ci-iodinated-contrast-allergy")
    assert [(a.preference, a.procedure.iri, a.caveat) for a in options] == [
        (1, d("mri-abdomen-pelvis-without-and-with-iv-contrast"),
         "often with a gadolinium-based contrast agent, if renal function permits"),
        (2, d("mri-abdomen-pelvis-without-iv-contrast"),
             "can also provide valuable information but is less sensitive for hypervascular lesions")]


@pytest.mark.parametrize("grade, stage, every, missing", [
    ("G1", "early", ["12 months"], ()),
    ("G1", "higher", ["6-12 months"], ()),
    ("G2", None, ["6-12 months"], ()),
    ("G3", "early", ["6-12 months"], ()),
    ("G1", None, [], ("stageGroup",)),
    (None, "early", [], ("tumorGrade",)),
    (None, None, [], ("stageGroup", "tumorGrade")),
])
def test_surveillance_interval_and_or_logic(graph, grade, stage, every, missing):
    answer = graph.surveillance_interval(PNET, grade, stage)
    assert [m.every for m in answer.matches] == every and answer.missing == missing


def test_surveillance_interval_rejects_an_unknown_grade(graph):
    with pytest.raises(iakg.UnknownNameError, match="G4.*G1|G4.*G3"):
        graph.surveillance_interval(PNET, "G4")


def test_cumulative_dose_five_years_of_annual_ct(graph):
    plan = graph.cumulative_dose("CT abdomen and pelvis with IV contrast", years=5, every_months=12)
    assert (plan.studies, plan.total_min_msv, plan.total_max_msv, plan.total_range) == ("5", 5, 50, "5-50 mSv")
    # the paediatric level is rated apart (☢☢☢☢, 3-10 mSv, ACR appendix page of GI topic 290), never the
    # adult ☢☢☢ read on the paediatric scale (0.3-3 mSv, which gave 1.5-15 mSv: 3-10 times too low)
    child = graph.cumulative_dose("ct-abdomen-pelvis-with-iv-contrast", 5, 12, population="pediatric")
    assert (child.radiation.symbol, child.total_range, child.note) == ("☢☢☢☢", "15-50 mSv", None)
    unstated = graph.cumulative_dose("dotatate-pet-ct", 5, 12, population="pediatric")
    assert (unstated.total_range, unstated.note) == (
        "not stated", "no source states a paediatric radiation level for this procedure")
    ranged = graph.cumulative_dose("iakgd:ct-abdomen-pelvis-with-iv-contrast", 5, "6-12")
    assert (ranged.studies, ranged.total_range) == ("5-10", "5-100 mSv")


def test_cumulative_dose_of_a_procedure_without_a_stated_level(graph):
    plan = graph.cumulative_dose("fdg-pet-ct", 5, 12)
    assert (plan.radiation, plan.total_range) == (None, "not stated")


@pytest.mark.parametrize("years, every", [(0, 12), (5, 0), (5, "x"), (5, "12-6"), (-1, 12)])
def test_cumulative_dose_rejects_bad_plans(graph, years, every):
    with pytest.raises(iakg.KGError):
        graph.cumulative_dose("fdg-pet-ct", years, every)


def test_compare_radiation_orders_by_level(graph):
    rows = graph.compare_radiation(PNET, 5, 12)
    assert [(e.procedure.iri.rsplit("/", 1)[-1], e.total_range) for e in rows] == [
        ("mri-abdomen-pelvis-without-and-with-iv-contrast", "0 mSv"),
        ("ct-abdomen-pelvis-with-iv-contrast", "5-50 mSv"),
        ("dotatate-pet-ct", "5-50 mSv"),
        ("ct-chest-abdomen-pelvis-with-iv-contrast", "50-150 mSv"),
        ("fdg-pet-ct", "not stated")]


def test_diagnoses_pitfalls_faq(graph):
    assert [(x.label, x.most_common) for x in graph.diagnoses(PNET)][0] == ("Distant metastases (hepatic)", True)
    assert [p.order for p in graph.pitfalls(PNET)] == [1, 2, 3]
    assert len(graph.faq(PNET)) == 5


def test_related_across_topics(both):
    related = both.related(PNET)
    assert related.of("ancestor topic") == [iakg.domain.model.Ref(d("hub-pnet-imaging"),
                                                         "Imaging of pancreatic neuroendocrine tumors (topic hub)")]
    assert [r.iri for r in related.of("related topic")] == [FIXTURE + "topic-exampleoma-follow-up"]
    assert [r.iri for r in related.of("rates the same procedure")] == [FIXTURE + "exampleoma-follow-up"]
    back = both.related(FIXTURE + "exampleoma-follow-up")
    assert [r.iri for r in back.of("ancestor topic")] == [FIXTURE + "hub-exampleoma", FIXTURE + "hub-oncology"]
    assert [r.iri for r in back.of("rates the same procedure")] == [PNET]


def test_second_topic_through_the_typed_api(both):
    scenario = FIXTURE + "exampleoma-follow-up"
    assert [p.label for p in both.recommend(scenario).procedures] == [
        "Fixture US abdomen", "CT abdomen and pelvis with IV contrast"]
    assert [m.every for m in both.surveillance_interval(scenario, "G1").matches] == ["24 months"]
    assert [b.result for b in both.next_steps(scenario)] == ["negative"]
    assert both.diagnoses(scenario)[0].sites[0].label == "liver"


def test_answers_serialise_to_json(graph):
    data = to_dict(graph.compare_radiation(PNET, 5, 12)[1])
    assert data["total_range"] == "5-50 mSv" and data["radiation"]["dose_range"] == "1-10 mSv"


def test_run_checks_and_converts_parameters(graph):
    by_curie = graph.run("next-steps", scenario="iakgd:pnet-post-resection-surveillance", result="indeterminate")
    assert by_curie == graph.run("next-steps", scenario=PNET, result="indeterminate")
    assert {row["stepLabel"] for row in by_curie} == {"Short-interval follow-up CT (e.g. in 3 months)",
                                                     "Proceed directly to MRI or DOTATATE PET/CT"}
    with pytest.raises(iakg.KGError, match="has no parameter 'scenari'"):
        graph.run("next-steps", scenari=PNET)


def test_rows_of_an_ask_or_a_graph_result_raises_saying_where_the_answer_is(graph):
    """Newcomer review 2, item 11: .rows() of an ASK or CONSTRUCT answer was [] (as if nothing matched)."""
    ask = graph.query("ASK { ?s a <https://w3id.org/iakg/ontology#ClinicalScenario> }")
    with pytest.raises(iakg.KGError, match=r"this is an ASK result: read \.boolean \(True\)"):
        ask.rows()
    assert ask.boolean is True
    for text in ("CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } LIMIT 2", f"DESCRIBE <{PNET}>"):
        result = graph.query(text)
        with pytest.raises(iakg.KGError, match=r"this is a CONSTRUCT/DESCRIBE result \(a graph\): read \.ntriples"):
            result.rows()
        assert result.ntriples.strip()
    assert graph.query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1").rows()  # a SELECT reads as before


def test_a_str_that_looks_like_an_iri_and_matches_nothing_warns(graph, recwarn):
    """A plain str binds a text literal (documented): when one that looks like an IRI leaves the answer empty,
    query() says to wrap it in iakg.IRI; an IRI, a str that is not IRI-like, or a non-empty answer do not warn."""
    query = "SELECT ?label WHERE { ?c <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    procedure = "https://w3id.org/iakg/ontology#PETCTProcedure"
    with pytest.warns(UserWarning, match=r"binding 'c' is a str, .* wrap it in iakg\.IRI") as caught:
        assert graph.query(query, {"c": procedure}).rows() == []
    assert caught[0].filename == __file__  # pointed at the caller's line
    with pytest.warns(UserWarning, match="binding 'c'"):
        assert graph.query("ASK { ?c ?p ?o }", {"c": procedure}).boolean is False
    assert graph.query(query, {"c": iakg.IRI(procedure)}).rows()
    assert graph.query(query, {"c": "PET/CT"}).rows() == []  # not IRI-like: a text on purpose
    assert graph.query("SELECT ?s ?url WHERE { ?s ?p ?o } LIMIT 1", {"url": procedure}).rows()  # an answer
    assert not [w for w in recwarn if "binding" in str(w.message)]
