"""The catalogue queries beyond the 15 competency questions, each with its expected answer."""

from __future__ import annotations

import pytest
from conftest import PNET, d

import iakg
from iakg import catalogue
from iakg.rdf.namespaces import QUERY


def test_every_catalogue_query_is_tested():
    tested = set()
    for module in ("test_competency_questions.py", "test_catalogue_queries.py"):
        text = (__import__("pathlib").Path(__file__).with_name(module)).read_text()
        tested |= {name for name in catalogue.catalogue() if f'"{name}"' in text}
    assert tested == set(catalogue.catalogue())


def test_scenario_profile(graph):
    [row] = graph.run("scenario-profile", scenario=PNET)
    assert (row["population"], row["reviewed"], row["variant"], row["phase"]) == ("adult", "2026-05-30", None, None)


def test_topics(graph):
    rows = graph.run("topics")
    assert [(r["topic"], r["kind"], r["parent"], r["scenarios"]) for r in rows] == [
        (d("guide-ct-chest-abdomen-pelvis-iv-contrast"), "guide", None, 0),
        (d("hub-pnet-imaging"), "hub", None, 0),
        (d("topic-pnet-surveillance-after-resection"), "topic", d("hub-pnet-imaging"), 1)]


def test_patient_facts(graph):
    rows = graph.run("patient-facts")
    keys = sorted({r["key"] for r in rows})
    assert len(keys) == 20 and "tumorGrade" in keys and "lastImagingResult" in keys and "ageGroup" in keys
    assert {"pregnant", "contraindicationToMRI", "pancreaticPrimary", "men1"} <= set(keys)
    assert [r["notation"] for r in rows if r["key"] == "ageGroup"] == ["adult", "child"]
    assert [r["notation"] for r in rows if r["key"] == "tumorGrade"] == ["G1", "G2", "G3"]


def test_eligibility(graph):
    rows = graph.run("eligibility", scenario=PNET)
    assert sum(r["kind"] == "inclusion" for r in rows) == 3
    nec = [r for r in rows if r["key"] == "poorlyDifferentiatedNEC"]
    assert [(r["kind"], r["expected"], r["redirectsTo"]) for r in nec] == [
        ("exclusion", True, d("nec-surveillance-and-staging"))]


def test_contraindications(graph):
    rows = graph.run("contraindications")
    contrast = {(key, d(proc)) for key in ("severeIodinatedContrastAllergy", "significantRenalImpairment")
                for proc in ("ct-abdomen-pelvis-with-iv-contrast", "ct-chest-abdomen-pelvis-with-iv-contrast")}
    # a stated contraindication to MRI rules out the MRI studies themselves (no agent)
    mri = {("contraindicationToMRI", d(proc)) for proc in (
        "mri-abdomen-pelvis-without-and-with-iv-contrast", "mri-abdomen-pelvis-without-iv-contrast",
        "multiphasic-liver-mri")}
    assert {(r["key"], r["procedure"]) for r in rows} == contrast | mri


def test_eligibility_population_and_scope(graph):
    rows = graph.run("eligibility", scenario=PNET)
    kinds = {(r["kind"], r["key"], r["expected"]) for r in rows if r["kind"] not in ("inclusion", "exclusion")}
    assert kinds == {("population", "ageGroup", "adult"), ("outside scope", "pancreaticPrimary", False),
                     ("outside scope", "pregnant", True), ("not addressed", "contraindicationToMRI", True),
                     ("not addressed", "men1", True)}


def test_faq(graph):
    rows = graph.run("faq", scenario=PNET)
    assert [r["order"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[4]["question"].startswith("Does this surveillance guidance apply to poorly differentiated")


def test_procedures(graph):
    rows = {r["procedure"].rsplit("/", 1)[-1]: r for r in graph.run("procedures")}
    assert len(rows) == 9
    assert rows["fdg-pet-ct"]["radiation"] is None
    assert (rows["ct-chest-abdomen-pelvis-with-iv-contrast"]["radiation"],
            rows["ct-chest-abdomen-pelvis-with-iv-contrast"]["doseMaxMSv"]) == ("☢☢☢☢", 30)


def test_cross_topic_needs_a_second_topic(graph):
    assert graph.run("cross-topic", scenario=PNET) == []
    both = iakg.load([__import__("conftest").FIXTURES / "second-topic.ttl"])
    rows = both.run("cross-topic", scenario=PNET)
    assert [(r["relation"], r["other"].rsplit("/", 1)[-1], r["viaLabel"]) for r in rows] == [
        ("rates the same procedure", "exampleoma-follow-up", "CT abdomen and pelvis with IV contrast"),
        ("targets a diagnosis at the same site", "exampleoma-follow-up", "liver")]


def test_catalogue_is_described_in_the_graph(graph):
    rows = graph.query(
        "PREFIX sh: <http://www.w3.org/ns/shacl#> PREFIX iakg: <https://w3id.org/iakg/ontology#> "
        "SELECT ?query ?text ?name ?optional WHERE { ?query a sh:SPARQLSelectExecutable ; sh:select ?text ; "
        "iakg:queryParameter [ iakg:parameterName ?name ; iakg:optionalParameter ?optional ] }").rows()
    by_query = {}
    for r in rows:
        by_query.setdefault(r["query"], set()).add((r["name"], r["optional"]))
    assert by_query[QUERY + "next-steps"] == {("scenario", False), ("result", True)}
    text = next(r["text"] for r in rows if r["query"] == QUERY + "recommendation")
    assert text == catalogue.get("recommendation").text


def test_graph_size(graph):
    from iakg.rdf.namespaces import GRAPH_DATA

    [row] = graph.run("graph-size", graph=iakg.IRI(GRAPH_DATA))
    expected = sum(1 for q in graph.engine.store if getattr(q.graph_name, "value", None) == GRAPH_DATA)
    assert row["triples"] == expected > 1000


def test_scenarios_testing_fact(graph):
    rows = graph.run("scenarios-testing-fact", fact=d("fact-prior-complete-resection"))
    assert [r["scenario"] for r in rows] == [PNET, d("pnet-suspected-recurrence")]
    assert graph.run("scenarios-testing-fact", fact=d("fact-tumor-grade")) == []


def test_criteria_scenarios(graph):
    assert [r["scenario"] for r in graph.run("criteria-scenarios")] == [PNET, d("pnet-suspected-recurrence")]


def test_fact_evidence_derives_suspicion(graph):
    rows = graph.run("fact-evidence", fact=d("fact-known-or-suspected-recurrence"))
    assert {(r["key"], str(r["expectedNotation"] or r["expected"])) for r in rows} == {
        ("risingChromograninA", "True"), ("risingHormoneLevel", "True"), ("symptomsConcerningForRecurrence", "True"),
        ("lastImagingResult", "positive")}


def test_escalation_imaging_features_markers(graph):
    [advice] = graph.run("escalation", scenario=PNET)
    assert advice["action"] == d("action-tumor-board") and advice["qualifier"] == "the most appropriate next step"
    features = {r["featureLabel"] for r in graph.run("imaging-features", scenario=PNET)}
    assert "hypervascular" in features and len(features) == 6
    roles = {r["label"]: r["qualifier"] for r in graph.run("markers", scenario=PNET)}
    assert roles["Chromogranin A"] == "may increase suspicion"
    assert roles["Specific hormone levels (functional tumors)"] == "may increase suspicion"


def test_dose_caveats_and_study_results(graph):
    rows = graph.run("dose-caveats", scenario=PNET)
    assert [(r["kind"], r["subject"]) for r in rows] == [
        ("caveat", d("caveat-cumulative-dose")), ("source inconsistency", d("dotatate-pet-ct"))]
    assert [r["notation"] for r in graph.run("study-results")] == ["indeterminate", "negative", "positive"]


def test_a_required_parameter_left_out_is_an_error(graph):
    with pytest.raises(iakg.ParameterError, match="required parameter 'scenario' is missing"):
        graph.run("escalation")


def test_every_select_query_pages(graph):
    """A page (LIMIT/OFFSET appended) of every catalogue SELECT query is valid SPARQL and a slice of the whole."""
    from iakg import catalogue

    for name, query in catalogue.catalogue().items():
        if query.form != "select":
            assert query.paged(1, 1) == query.text
            continue
        bindings = query.example_bindings()
        whole = graph.query(query.text, bindings).bindings
        assert graph.query(query.paged(2, 1), bindings).bindings == whole[1:3], name
        assert graph.query(query.paged(0, 0), bindings).bindings == whole, name


def test_lowest_ranked_is_the_last_concept_of_every_ranked_scheme(graph):
    """Read from the ranks, never named: the last category, and the last radiation level of each scheme."""
    rows = graph.run("lowest-ranked")
    last = {r["scheme"].rsplit("/", 1)[-1]: r["label"] for r in rows}
    assert last["appropriateness-categories"] == "Usually not appropriate"
    assert graph.run("lowest-ranked", concept=d("usually-not-appropriate"))
    assert not graph.run("lowest-ranked", concept=d("may-be-appropriate"))


def test_source_inconsistencies_name_the_dotatate_dose_statement(graph):
    [row] = graph.run("source-inconsistencies")
    assert row["resource"] == d("dotatate-pet-ct") and "same relative radiation level" in row["text"]
    assert graph.run("source-inconsistencies", resource=d("ct-abdomen-pelvis-with-iv-contrast")) == []


def test_concept_schemes(graph):
    """What a table's cells may name: the categories in rank order, every scheme with its concepts."""
    rows = graph.run("concept-schemes", scheme="iakgd:appropriateness-categories")
    assert [r["label"] for r in rows] == ["Usually appropriate", "May be appropriate", "Usually not appropriate"]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    every = graph.run("concept-schemes")
    schemes = {r["scheme"].rsplit("/", 1)[-1] for r in every}
    assert {"relative-radiation-levels", "population-groups", "imaging-modalities", "radiopharmaceuticals"} <= schemes
    assert all(r["concept"] and r["label"] for r in every)


def test_order_pitfalls(graph):
    rows = graph.run("order-pitfalls", procedure=d("ct-abdomen-pelvis-without-iv-contrast"))
    # the ordering error is critical in routine surveillance and when a recurrence is suspected (review R2)
    assert [(r["scenario"], r["critical"], r["instead"]) for r in rows] == [
        (PNET, True, d("ct-abdomen-pelvis-with-iv-contrast")),
        (d("pnet-suspected-recurrence"), True, d("ct-abdomen-pelvis-with-iv-contrast"))]
    assert {r["quote"] for r in rows} == {
        "ordering a CT of the abdomen and pelvis without IV contrast is a critical error"}
    assert graph.run("order-pitfalls", procedure=d("ct-abdomen-pelvis-with-iv-contrast")) == []


def test_exclusive_conditions(graph):
    rows = graph.run("exclusive-conditions")
    assert {(r["key"], r["expected"]) for r in rows} == {
        ("priorCompleteResection", True), ("undergoingInitialStaging", True), ("untreatedTumorUnderObservation", True)}
    assert len({r["set"] for r in rows}) == 1
