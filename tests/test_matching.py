"""Patient matching: the cases the article covers, a missing fact, and bad patient files."""

from __future__ import annotations

import json

import pytest
from conftest import PNET, ROOT, d

import iakg

SUSPECTED = d("pnet-suspected-recurrence")
INDEX = json.loads((ROOT / "examples" / "index-patient.json").read_text())


def patient(**changes):
    data = {k: v for k, v in INDEX.items() if k not in changes or changes[k] is not ...}
    data.update({k: v for k, v in changes.items() if v is not ...})
    return data


def test_index_patient_gets_annual_contrast_ct(graph):
    result = graph.match(ROOT / "examples" / "index-patient.json")
    assert [(m.scenario.iri, m.status) for m in result.scenarios] == [(PNET, "applicable"),
                                                                      (SUSPECTED, "not applicable")]
    [plan] = result.plans
    assert plan.first_choice.iri == d("ct-abdomen-pelvis-with-iv-contrast")
    assert [m.every for m in plan.interval.matches] == ["12 months"]
    assert plan.contraindicated == () and plan.alternatives == () and plan.indications == ()
    assert [b.result for b in plan.next_steps] == ["negative", "positive", "indeterminate"]
    assert result.missing == () and result.redirects == ()


@pytest.mark.parametrize("fact", ["severeIodinatedContrastAllergy", "significantRenalImpairment"])
def test_contrast_contraindication_switches_to_mri(graph, fact):
    [plan] = graph.match(patient(**{fact: True})).plans
    assert {c.procedure.iri for c in plan.contraindicated} == {
        d("ct-abdomen-pelvis-with-iv-contrast"), d("ct-chest-abdomen-pelvis-with-iv-contrast")}
    assert [a.procedure.iri for a in plan.alternatives] == [
        d("mri-abdomen-pelvis-without-and-with-iv-contrast"), d("mri-abdomen-pelvis-without-iv-contrast")]
    assert plan.first_choice.iri == d("mri-abdomen-pelvis-without-and-with-iv-contrast")
    assert plan.alternatives[0].caveat == "often with a gadolinium-based contrast agent, if renal function permits"


@pytest.mark.parametrize("marker", ["risingChromograninA", "risingHormoneLevel"])
def test_a_rising_marker_indicates_dotatate(graph, marker):
    # Was: the rising marker left the patient in routine surveillance (12-monthly CT). A rising marker (chromogranin
    # A, or a functional tumour's specific hormone level: clinical review 2, MIS-4) is a biochemical suspicion of
    # recurrence: the suspected-recurrence plan, where DOTATATE is reserved for it.
    result = graph.match(patient(**{marker: True}))
    [plan] = result.plans
    assert plan.scenario.iri == SUSPECTED
    assert [(h.procedure.iri, h.trigger, h.qualifier) for h in plan.indications] == [
        (d("dotatate-pet-ct"), "knownOrSuspectedRecurrence", "best reserved for")]
    [derived] = result.derived
    assert (derived.key, derived.evidence_key, derived.qualifier) == (
        "knownOrSuspectedRecurrence", marker, "may increase suspicion")


def test_indeterminate_finding_gets_its_branch(graph):
    [plan] = graph.match(patient(lastImagingResult="indeterminate")).plans
    assert [b.result for b in plan.next_steps] == ["indeterminate"]
    assert {h.procedure.iri for h in plan.indications} == {
        d("dotatate-pet-ct"), d("mri-abdomen-pelvis-without-and-with-iv-contrast")}


@pytest.mark.parametrize("fact, redirect, uses", [
    ("undergoingInitialStaging", "pnet-initial-staging", []),
    ("knownResidualDisease", "pnet-known-residual-disease", []),
    ("poorlyDifferentiatedNEC", "nec-surveillance-and-staging", ["fdg-pet-ct"]),
])
def test_excluded_patients_are_redirected(graph, fact, redirect, uses):
    # a tumour staged before any treatment has not been resected (the graph declares the two exclusive)
    before = {"priorCompleteResection": False} if fact == "undergoingInitialStaging" else {}
    result = graph.match(patient(**{fact: True}, **before))
    assert result.scenarios[0].status == "excluded" and result.plans == ()
    assert all(m.status in ("excluded", "not applicable") for m in result.scenarios)
    [r] = result.redirects
    assert r.scenario.iri == d(redirect)
    assert [p.iri for p in r.frequently_uses] == [d(u) for u in uses]


def test_suspected_recurrence_is_not_routine_surveillance(graph):
    # Was: "not applicable" and no plan at all. The article's advice on suspicion is the plan.
    result = graph.match(patient(knownOrSuspectedRecurrence=True))
    assert [m.status for m in result.scenarios] == ["not applicable", "applicable"]
    [plan] = result.plans
    assert plan.scenario.iri == SUSPECTED and plan.recommendation.procedures == []


def test_missing_fact_is_named_not_guessed(graph):
    # Symptoms unknown leave a suspicion of recurrence open (symptoms establish it): both scenarios are
    # undetermined, each asking for the symptoms, never "not applicable" (clinical review 2, MIS-1).
    result = graph.match(patient(symptomsConcerningForRecurrence=...))
    assert [m.status for m in result.scenarios] == ["undetermined", "undetermined"]
    assert [m.missing for m in result.scenarios] == [["symptomsConcerningForRecurrence"]] * 2
    assert result.missing == ("symptomsConcerningForRecurrence",) and result.plans == ()
    [suspicion] = [c for c in result.scenarios[1].checks if c.key == "knownOrSuspectedRecurrence"]
    assert (suspicion.actual, suspicion.outcome, suspicion.pending) == (
        False, "not stated", ("symptomsConcerningForRecurrence",))
    assert result.pending == {"knownOrSuspectedRecurrence": ("symptomsConcerningForRecurrence",)}


def test_an_unstated_fact_no_criterion_tests_leaves_the_stated_suspicion_standing(graph):
    # A marker or a last study's result not stated is no evidence: "no suspected recurrence" stands.
    result = graph.match(patient(risingChromograninA=...))
    assert [m.status for m in result.scenarios] == ["applicable", "not applicable"] and result.pending == {}


def test_missing_stage_leaves_the_interval_open(graph):
    result = graph.match(patient(stageGroup=...))
    assert result.plans[0].interval.matches == () and result.missing == ("stageGroup",)


def test_null_means_not_stated(graph):
    assert graph.match(patient(priorCompleteResection=None)).missing == ("priorCompleteResection",)


def test_unknown_key_gives_close_matches(graph):
    with pytest.raises(iakg.UnknownNameError, match="risingChromograninA"):
        graph.match(patient(risingChromogranin=True))


@pytest.mark.parametrize("changes, message", [
    ({"tumorGrade": "G4"}, "not one of G1, G2, G3"),
    ({"priorCompleteResection": "yes"}, "expected true or false"),
    ({"@context": "https://example.org/evil-context.jsonld"}, "never fetched"),
    ({"note": 3}, "expected a string"),
])
def test_bad_values_are_rejected(graph, changes, message):
    with pytest.raises(iakg.KGError, match=message):
        graph.match(patient(**changes))


def test_patient_file_errors_name_line_and_column(graph, tmp_path):
    bad = tmp_path / "p.json"
    bad.write_text('{\n  "tumorGrade": "G1",\n  oops\n}', encoding="utf-8")
    with pytest.raises(iakg.InputError, match=r"p\.json:3:3"):
        graph.match(bad)
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(iakg.InputError, match="one JSON object"):
        graph.match(bad)


def test_patient_becomes_rdf_through_the_json_ld_context(graph):
    from iakg.domain import patient as patient_file
    facts = graph.patient_facts()
    triples = patient_file.to_rdf(patient(lastImagingResult="negative"), facts)
    objects = {(t.predicate.value, getattr(t.object, "value", None)) for t in triples}
    assert (d("fact-tumor-grade"), d("grade-g1")) in objects
    assert (d("fact-last-imaging-result"), d("result-negative")) in objects
    assert (d("fact-prior-complete-resection"), "true") in objects
    context = patient_file.context(facts)["@context"]
    assert context["tumorGrade"]["@context"]["G1"] == d("grade-g1")


def test_second_topic_patient(graph):
    both = iakg.load([ROOT / "tests" / "fixtures" / "second-topic.ttl"])
    result = both.match({"ageGroup": "adult", "priorCompleteResection": True,
                         "untreatedTumorUnderObservation": False, "tumorGrade": "G1"})
    statuses = {m.scenario.iri.rsplit("/", 1)[-1]: m.status for m in result.scenarios}
    assert statuses == {"exampleoma-follow-up": "applicable", "pnet-post-resection-surveillance": "undetermined",
                        "pnet-suspected-recurrence": "undetermined"}
    [plan] = result.plans
    assert [m.every for m in plan.interval.matches] == ["24 months"]


# ---------------------------------------------------------------- population, scope and refusals (issue 23)
def test_a_key_given_twice_is_refused_at_its_second_place(tmp_path, graph):
    path = tmp_path / "twice.json"
    path.write_text('{\n  "ageGroup": "adult",\n  "stageGroup": "early",\n  "tumorGrade": "G2",\n'
                    '    "stageGroup": "higher"\n}\n', encoding="utf-8")
    with pytest.raises(iakg.InputError) as caught:
        graph.match(path)
    assert str(caught.value) == (f"{path}:5:5: 'stageGroup' is given twice (first on line 3): state each fact once")
    path.write_text('{"tumorGrade": "G1", "note": {"tumorGrade": "G2"}}', encoding="utf-8")  # nested: not a key
    with pytest.raises(iakg.InputError, match="note: expected a string"):
        graph.match(path)
    path.write_text('{"\\u0074umorGrade": "G1", "tumorGrade": "G2"}', encoding="utf-8")  # the same key, escaped
    with pytest.raises(iakg.InputError, match="given twice"):
        graph.match(path)


def test_facts_the_graph_declares_exclusive_are_refused_naming_both(tmp_path, graph, capsys):
    from iakg.cli import main

    path = tmp_path / "both.json"
    data = patient(untreatedTumorUnderObservation=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "untreatedTumor" in text)
    assert main(["match", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"iakg: {path}:{line}:3: ") and "\n" not in err
    assert ("priorCompleteResection=true and untreatedTumorUnderObservation=true are distinct clinical questions"
            in err and "this workflow does not cover them together" in err and "cannot both hold" not in err)
    with pytest.raises(iakg.InputError, match="undergoingInitialStaging=true"):
        graph.match(patient(undergoingInitialStaging=True))
    graph.match(patient(untreatedTumorUnderObservation=False))  # one of them is fine


@pytest.fixture(scope="module")
def populations():
    return iakg.load([ROOT / "tests" / "fixtures" / "populations.ttl"])


def _status(result, local: str) -> str:
    return next(v.status for v in result.scenarios if v.scenario.iri.endswith("/" + local))


def test_another_publishers_population_groups_need_no_code(populations):
    # the groups say which fact makes a member (pregnant = true; a fixture fact olderAdult = true): OR of groups
    assert _status(populations.match({"priorCompleteResection": True, "pregnant": True}),
                   "for-pregnant-or-older") == "applicable"
    assert _status(populations.match({"priorCompleteResection": True, "fixtureOlderAdult": True}),
                   "for-pregnant-or-older") == "applicable"
    neither = populations.match({"priorCompleteResection": True, "pregnant": False, "fixtureOlderAdult": False})
    assert _status(neither, "for-pregnant-or-older") == "not covered"
    assert neither.not_covered == ("it is for older adults or pregnant patients",)
    unknown = populations.match({"priorCompleteResection": True})
    found = next(v for v in unknown.scenarios if v.scenario.iri.endswith("/for-pregnant-or-older"))
    assert (found.status, found.missing) == ("undetermined", ["fixtureOlderAdult", "pregnant"])


def test_a_scenario_whose_source_states_no_population_is_never_applied(populations):
    for facts in ({"priorCompleteResection": True}, {"priorCompleteResection": True, "ageGroup": "adult",
                                                     "pregnant": True, "fixtureOlderAdult": True}):
        found = next(v for v in populations.match(facts).scenarios if v.scenario.iri.endswith("/population-not-stated"))
        assert found.status == "undetermined" and found.missing == []  # nothing the patient states decides it
        assert [c.outcome for c in found.checks if c.kind == "population"] == ["not stated by the source"]


def test_a_stated_mri_contraindication_rules_mri_out_of_the_plan(graph):
    [plan] = graph.match(patient(contraindicationToMRI=True, severeIodinatedContrastAllergy=True)).plans
    assert plan.first_choice is None and plan.alternatives == ()
    assert {c.procedure.iri for c in plan.contraindicated} >= {d("mri-abdomen-pelvis-without-and-with-iv-contrast")}
