"""The items of the clinical review of main after issue 23 (R1-R2 wrong, M1-M5 misleading, W1-W13 wording), each
through ``iakg match`` (the CLI), the Python API and the CDS service where it applies, with the same answer
everywhere. The reviewer's patient files are in tests/fixtures/patients (labels naming "clinical review 1")."""

from __future__ import annotations

import json
from pathlib import Path

import patient_cases as pc
import pytest
from conftest import FIXTURES, d

from iakg.cds.mapping import load
from iakg.cds.service import CdsService
from iakg.cli import main

MRI_STUDIES = {d("mri-abdomen-pelvis-without-and-with-iv-contrast"), d("mri-abdomen-pelvis-without-iv-contrast"),
               d("multiphasic-liver-mri")}
PACEMAKER = ["claustrophobia-indeterminate", "pacemaker-allergy-indeterminate", "pacemaker-positive-ct",
             "pacemaker-renal-impairment", "mri-contraindication", "allergy-and-mri-contraindication"]


@pytest.fixture(scope="module")
def service(graph, tmp_path_factory):
    return CdsService(graph.engine, "http://127.0.0.1:7878", "test", load(FIXTURES / "cds" / "site-mapping.json"),
                      tmp_path_factory.mktemp("review") / "feedback.jsonl")


def card(service, name: str, order: str, folder: Path = pc.PATIENTS) -> dict:
    request = pc.request(name, order) if folder == pc.PATIENTS else _request(folder / f"{name}.json", order)
    [found] = service.call("iakg-imaging-order-select", request)["cards"]
    return found


def _request(path: Path, order: str) -> dict:
    """A request for a patient file outside the folder (the refused ones), built as patient_cases builds it."""
    request = pc.request("index", order)
    facts = {k: v for k, v in json.loads(path.read_text()).items() if k not in ("label", "note")}
    observations = request["prefetch"]["observations"]["entry"]
    observations.clear()
    for i, (key, value) in enumerate(sorted(facts.items())):
        observations.append({"resource": pc._observation(i, key, value)})
    return request


def suggested(found: dict) -> list[tuple[str, dict]]:
    out = []
    for s in found.get("suggestions", []):
        [created] = [a["resource"] for a in s["actions"] if a["type"] == "create"]
        [iri] = [c["code"] for c in created["code"]["coding"] if c["system"] == "urn:ietf:rfc:3986"]
        out.append((iri, s | {"created": created}))
    return out


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Exit code, output and error output of the CLI."""
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---------------------------------------------------------------- R1: one "ruled out by a stated fact" filter
@pytest.mark.parametrize("name", PACEMAKER)
def test_r1_a_stated_mri_contraindication_rules_mri_out_of_every_place_a_plan_names_a_study(name, graph, service,
                                                                                              capsys):
    result = graph.match(pc.PATIENTS / f"{name}.json")
    for plan in result.plans:
        named = {h.procedure.iri for h in plan.indications} | {a.procedure.iri for a in plan.alternatives}
        named |= {p.iri for b in plan.next_steps for s in b.steps for p in s.procedures}
        named |= {plan.first_choice.iri} if plan.first_choice else set()
        assert not named & MRI_STUDIES, (name, named & MRI_STUDIES)
        for branch in plan.next_steps:
            for step in branch.steps:
                if "MRI" in step.label:  # the step named an MRI study: said, not silently dropped
                    assert {p.iri for p in step.ruled_out} & MRI_STUDIES
    [silent] = [s for s in result.not_addressed if s.key == "contraindicationToMRI"]
    assert {r.iri for r in silent.rules_out} == MRI_STUDIES
    code, text, err = cli(capsys, "match", str(pc.PATIENTS / f"{name}.json"))
    assert code == 0
    assert "Reserved for this situation: MRI" not in text and "Alternative 1: MRI" not in text
    assert "the answer below does not take it into account" not in text  # it does: the MRI studies are left out
    assert "the answer leaves out the studies the stated fact rules out" in text
    code, out, err = cli(capsys, "match", str(pc.PATIENTS / f"{name}.json"), "--format", "json")
    assert json.loads(out) == json.loads(json.dumps(result.to_dict()))  # the same answer, whichever way in
    for order in pc.ORDERS:
        found = card(service, name, order)
        assert not {iri for iri, _ in suggested(found)} & MRI_STUDIES, (name, order)


def test_r1_the_step_and_the_positive_branch_keep_what_the_patient_can_have(graph, capsys):
    [plan] = graph.match(pc.PATIENTS / "claustrophobia-indeterminate.json").plans
    [branch] = plan.next_steps
    assert [[p.label for p in s.procedures] for s in branch.steps] == [
        ["Short-interval follow-up CT"], ["DOTATATE PET/CT"]]
    [plan] = graph.match(pc.PATIENTS / "pacemaker-positive-ct.json").plans
    [step] = [s for b in plan.next_steps for s in b.steps if s.procedures or s.ruled_out]
    assert ([p.iri for p in step.procedures], [p.iri for p in step.ruled_out]) == (
        [d("dotatate-pet-ct")], [d("multiphasic-liver-mri")])
    _, text, err = cli(capsys, "match", str(pc.PATIENTS / "pacemaker-positive-ct.json"))
    assert ("Characterize with multiphasic liver MRI or DOTATATE PET/CT [source: typically performed]: only "
            "DOTATATE PET/CT (Multiphasic liver MRI: ruled out by a stated fact (contraindication to MRI))") in text


# ---------------------------------------------------------------- R2: the critical pitfall, at order time and in match
@pytest.mark.parametrize("name", ["index", "rising-cga", "positive-ct"])
def test_r2_match_prints_the_critical_pitfall_of_the_plan(name, graph, capsys):
    [plan] = graph.match(pc.PATIENTS / f"{name}.json").plans
    critical = [p for p in plan.pitfalls if p.critical]
    assert [(p.label, p.instead.iri) for p in critical] == [
        ("Ordering CT abdomen and pelvis without IV contrast", d("ct-abdomen-pelvis-with-iv-contrast"))]
    _, text, err = cli(capsys, "match", str(pc.PATIENTS / f"{name}.json"))
    assert ("Pitfall (the source: a critical error): Ordering CT abdomen and pelvis without IV contrast: It will "
            "likely miss the hypervascular liver metastases") in text


# ---------------------------------------------------------------- M1: a situation the source does not address
@pytest.mark.parametrize("name", ["men1"])
def test_m1_no_substitute_is_recommended_nor_adds_radiation_or_contrast(name, service, graph):
    procedures = {p.iri: p for p in graph.procedures()}
    for order in pc.ORDERS:
        found = card(service, name, order)
        mine = procedures[pc.IAKGD + pc.ORDERS[order][3]].radiation
        for iri, s in suggested(found):
            assert not s.get("isRecommended"), (name, order, iri)
            theirs = procedures[iri].radiation
            assert theirs is not None and mine is not None and theirs.rank <= mine.rank, (name, order, iri)
    found = card(service, name, "mri")
    assert "suggestions" not in found and "No substitute that may add radiation" in found["detail"]
    assert "CT abdomen and pelvis with IV contrast" in found["detail"].split("No substitute")[1]


# ---------------------------------------------------------------- M2: a condition in doubt, in the CLI too
def test_m2_the_first_choice_says_its_condition_is_in_doubt(graph, capsys):
    [plan] = graph.match(pc.PATIENTS / "renal-impairment.json").plans
    [doubt] = plan.in_doubt
    assert (doubt.procedure.iri, doubt.key) == (d("mri-abdomen-pelvis-without-and-with-iv-contrast"),
                                                "significantRenalImpairment")
    _, text, err = cli(capsys, "match", str(pc.PATIENTS / "renal-impairment.json"))
    first = next(line for line in text.splitlines() if "First choice" in line)
    assert first.endswith("if renal function permits; in doubt: significant renal impairment is stated "
                          "[significantRenalImpairment=true]")


# ---------------------------------------------------------------- M3: the follow-up CT is the contrast CT it repeats
def test_m3_the_follow_up_ct_is_ordered_as_the_multiphasic_contrast_ct_it_repeats(service, capsys):
    found = card(service, "claustrophobia-indeterminate", "mri-noncontrast")
    [(iri, s)] = [x for x in suggested(found) if x[0] == d("ct-abdomen-pelvis-with-iv-contrast")]
    notes = " ".join(n["text"] for n in s["created"]["note"])
    assert "36813-4" in [c["code"] for c in s["created"]["code"]["coding"]]
    assert "Short-interval follow-up CT (e.g. in 3 months)" in notes and "repeating CT abdomen and pelvis" in notes
    assert "late arterial phase + portal venous phase (the source: essential)" in notes
    assert "Ordering CT abdomen and pelvis without IV contrast is a critical error" in notes
    for name in pc.names():  # never a ServiceRequest for a bare follow-up CT (no protocol)
        for order in pc.ORDERS:
            assert d("follow-up-ct") not in {i for i, _ in suggested(card(service, name, order))}
    _, text, err = cli(capsys, "match", str(pc.PATIENTS / "indeterminate.json"))
    assert "Short-interval follow-up CT (e.g. in 3 months) [source: an option; e.g. in 3 months] (repeats CT " \
           "abdomen and pelvis with IV contrast)" in text


# ---------------------------------------------------------------- M4: the hedge travels with the suggestion
def test_m4_a_dotatate_suggestion_carries_the_source_hedge(service):
    found = card(service, "pacemaker-renal-impairment", "fdg")
    [(iri, s)] = suggested(found)
    assert iri == d("dotatate-pet-ct") and not s.get("isRecommended")
    for words in ("generally not the first-line imaging modality for routine surveillance in an asymptomatic "
                  "patient", "best reserved for a clinical or biochemical (e.g. rising chromogranin A) suspicion"):
        assert words in s["label"] and words in s["created"]["note"][0]["text"]


# ---------------------------------------------------------------- M5: no doses for a population not covered
def test_m5_dose_for_a_population_the_scenario_does_not_cover(graph, capsys):
    answer = graph.scenario_doses("pnet-post-resection-surveillance", 10, 12, "pediatric")
    assert (answer.options, answer.not_covered) == ((), "it is for adults")
    code, text, err = cli(capsys, "dose", "--scenario", "pnet-post-resection-surveillance", "--years", "10", "--every",
                     "12", "--population", "pediatric")
    assert code == 0 and "not covered by this source for this population (it is for adults)" in text
    assert "Usually appropriate" not in text and "mSv" not in text
    assert graph.scenario_doses("pnet-post-resection-surveillance", 10, 12).options  # adults: the plan


# ---------------------------------------------------------------- wording
def test_w1_may_not_be_feasible_is_not_ruled_out(capsys):
    _, text, err = cli(capsys, "match", str(pc.PATIENTS / "allergy.json"))
    assert "May not be feasible: CT abdomen and pelvis with IV contrast (the source: a contrast-enhanced CT may not " \
           "be feasible" in text
    assert "Ruled out: CT" not in text and "Ruled out by a stated fact: CT" not in text


def test_w2_the_interval_is_an_example_and_the_guidelines_are_named(graph, capsys):
    [rule] = graph.surveillance_interval("pnet-post-resection-surveillance", "G2", "early").matches
    assert (rule.text, rule.example) == ("such as every 6-12 months", True)
    _, text, err = cli(capsys, "interval", "pnet-post-resection-surveillance", "--grade", "G2")
    assert "such as every 6-12 months" in text and "Every 6-12" not in text
    assert "consult ENETS or NANETS guidelines for specific recommendations" in text


def test_w3_the_positive_branch_has_no_invented_order(capsys):
    _, text, err = cli(capsys, "match", str(pc.PATIENTS / "index.json"))
    positive = next(line for line in text.splitlines() if line.strip().startswith("If positive"))
    assert " THEN " not in positive and "(the source gives no order)" in positive


def test_w4_the_pitfalls_command_says_which_is_critical(capsys):
    _, out, err = cli(capsys, "pitfalls", "pnet-post-resection-surveillance", "--format", "json")
    assert [(p["label"], p["critical"]) for p in json.loads(out)][0] == (
        "Ordering CT abdomen and pelvis without IV contrast", True)
    _, text, err = cli(capsys, "pitfalls", "pnet-post-resection-surveillance")
    assert "critical error (the source)" in text


def test_w6_the_contrast_ct_card_states_its_protocol(service):
    found = card(service, "index", "ct-ap")
    assert ("Protocol the source gives CT abdomen and pelvis with IV contrast here:** multiphasic: late arterial "
            "phase + portal venous phase (the source: essential)") in found["detail"]


@pytest.mark.parametrize("name, keys", [
    ("men1-multifocal", ("priorCompleteResection", "untreatedTumorUnderObservation")),
    ("resected-and-initial-staging", ("priorCompleteResection", "undergoingInitialStaging"))])
def test_w7_facts_of_distinct_questions_are_conflicting_not_missing(name, keys, service, capsys):
    folder = pc.PATIENTS / "refused"
    code, _, err = cli(capsys, "match", str(folder / f"{name}.json"))
    assert code == 2
    found = card(service, name, "ct-ap", folder)
    assert found["summary"].startswith("CT abdomen and pelvis with IV contrast: no rating; distinct clinical "
                                       "questions stated together: ")
    assert "facts needed" not in found["summary"] and "cannot both hold" not in found["detail"]
    assert "distinct clinical questions" in found["detail"] and all(f"`{k}`" in found["detail"] for k in keys)


def test_w7_the_refusal_is_worded_as_the_source_words_it(capsys):
    code, _, err = cli(capsys, "match", str(pc.PATIENTS / "refused" / "men1-multifocal.json"))
    assert code == 2 and "distinct clinical questions" in err and "does not cover them together" in err
    assert "mutually exclusive" not in err and "cannot both hold" not in err


def test_w8_the_paediatric_level_is_the_procedure_s(capsys):
    _, text, err = cli(capsys, "recommend", "pnet-post-resection-surveillance")
    assert "procedure's peds RRL" in text and "not a rating of this scenario for children" in text


def test_w9_an_undecided_interval_is_not_an_undetermined_scenario(tmp_path, capsys):
    data = pc.patient("index")
    del data["stageGroup"]
    path = tmp_path / "stage-unknown.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    _, text, err = cli(capsys, "match", str(path))
    assert text.startswith("APPLICABLE") and "Undetermined: state" not in text
    assert "Interval undetermined: state these facts to decide how often to image: stageGroup" in text


def test_w12_an_adult_level_not_stated(capsys):
    _, text, err = cli(capsys, "dose", "follow-up-ct", "--years", "5", "--every", "12")
    assert "no source states an adult radiation level" in text


def test_w13_men1_is_not_addressed_and_an_unknown_fact_code_is_reported(graph, service, capsys):
    [silent] = graph.match(pc.PATIENTS / "men1.json").not_addressed
    assert silent.text == "the source does not address multiple endocrine neoplasia type 1 (MEN1)"
    code, _, err = cli(capsys, "match", str(pc.PATIENTS / "refused" / "men1-unknown-key.json"))
    assert code == 2 and "unknown patient fact 'MEN1'; did you mean: men1" in err
    found = card(service, "men1-unknown-key", "ct-ap", pc.PATIENTS / "refused")
    assert "**Not used:** Observation/obs-0: `MEN1` is not a fact of this graph (did you mean men1?)" in found["detail"]
