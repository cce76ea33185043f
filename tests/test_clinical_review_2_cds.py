"""Items of the second clinical review (MIS-1, MIS-2, MIS-3, WRONG-2), each through ``iakg match`` (the CLI),
the Python API and the CDS service where it applies. The reviewer's patients are in tests/fixtures/patients
(labels naming "clinical review 2"); WRONG-2's rule is tested on a fictional graph
(tests/fixtures/flagged-radiation.ttl), since pregnancy is leaving the pNET source's scope."""

from __future__ import annotations

import copy
import json

import patient_cases as pc
import pytest
from conftest import FIXTURES, d

import iakg
from iakg.cds.mapping import load
from iakg.cds.service import CdsService
from iakg.cli import main
from iakg.fhir import FACTS_SYSTEM

ROUTINE, SUSPECTED = d("pnet-post-resection-surveillance"), d("pnet-suspected-recurrence")
CT_WITH = d("ct-abdomen-pelvis-with-iv-contrast")
SYMPTOMS = "symptomsConcerningForRecurrence"
PITFALL = "ordering a CT of the abdomen and pelvis without IV contrast is a critical error"


@pytest.fixture(scope="module")
def service(graph, tmp_path_factory):
    return CdsService(graph.engine, "http://127.0.0.1:7878", "test", load(FIXTURES / "cds" / "site-mapping.json"),
                      tmp_path_factory.mktemp("review2") / "feedback.jsonl")


def call(service, request: dict, hook: str = "order-select") -> dict:
    [card] = service.call(f"iakg-imaging-{hook}", request)["cards"]
    return card


def with_facts(name: str, order: str, changes: dict, hook: str = "order-select") -> dict:
    """The request for patient ``name`` with some facts changed (None: not stated)."""
    request = pc.request(name, order, hook)
    stated = {k: v for k, v in (pc.facts(name) | changes).items() if v is not None}
    request["prefetch"]["observations"]["entry"] = [{"resource": pc._observation(i, k, v)}
                                                    for i, (k, v) in enumerate(sorted(stated.items()))]
    return request


def suggested(card: dict) -> list[str]:
    out = []
    for s in card.get("suggestions", []):
        [created] = [a["resource"] for a in s["actions"] if a["type"] == "create"]
        out += [c["code"] for c in created["code"]["coding"] if c["system"] == "urn:ietf:rfc:3986"]
    return out


def cli(capsys, *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(argv))
    return code, capsys.readouterr().out


# ---------------------------------------------------------------- MIS-1: symptoms unknown
def test_mis1_symptoms_unknown_leave_suspected_recurrence_undetermined_not_inapplicable(graph, capsys):
    result = graph.match(pc.PATIENTS / "symptoms-unknown-indeterminate.json")
    verdicts = {v.scenario.iri: v for v in result.scenarios}
    assert verdicts[ROUTINE].status == verdicts[SUSPECTED].status == "undetermined"
    assert verdicts[SUSPECTED].missing == [SYMPTOMS]  # what would decide it, not the fact the file states
    assert result.missing == (SYMPTOMS,) and result.plans == ()
    code, text = cli(capsys, "match", str(pc.PATIENTS / "symptoms-unknown-indeterminate.json"))
    assert code == 0 and "NOT APPLICABLE" not in text
    assert "UNDETERMINED: Suspected recurrence after resection" in text
    assert f"[knownOrSuspectedRecurrence=false; open until stated: {SYMPTOMS}" in text
    # either way the fact goes, the tool's own answer: symptoms true makes suspected recurrence applicable
    both = [graph.match(pc.facts("symptoms-unknown-indeterminate") | {SYMPTOMS: value}) for value in (True, False)]
    assert [[p.scenario.iri for p in r.plans] for r in both] == [[SUSPECTED], [ROUTINE]]


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_mis1_the_non_contrast_ct_is_critical_whichever_scenario_applies(service, hook):
    card = call(service, pc.request("symptoms-unknown-indeterminate", "ct-ap-noncontrast", hook), hook)
    assert card["indicator"] == "critical", card["summary"]
    assert "critical error whichever scenario applies" in card["summary"] and "may call it" not in card["summary"]
    assert f"> {PITFALL}" in card["detail"] and card["detail"].count(f"> {PITFALL}") == 1  # said once, for both
    assert suggested(card) == [CT_WITH]  # the study the source names instead
    assert "No rating is attached" in card["detail"]


def test_mis1_no_substitute_a_stated_fact_contraindicates(service):
    # the same patient with a severe contrast allergy: still critical both ways, the contrast CT not offered
    card = call(service, with_facts("symptoms-unknown-indeterminate", "ct-ap-noncontrast",
                                    {"severeIodinatedContrastAllergy": True}))
    assert card["indicator"] == "critical" and CT_WITH not in suggested(card)
    assert "a contrast-enhanced CT may not be feasible (severe iodinated contrast allergy)" in card["detail"]


def test_mis1_nothing_is_claimed_when_the_missing_facts_may_leave_the_patient_uncovered(service):
    # age and exclusions unknown too: the patient may be a child or excluded, where the source calls nothing
    card = call(service, with_facts("symptoms-unknown-indeterminate", "ct-ap-noncontrast",
                                    {"ageGroup": None, "poorlyDifferentiatedNEC": None}))
    assert card["indicator"] == "warning" and "may call it a critical error" in card["summary"]
    assert "suggestions" not in card


# ---------------------------------------------------------------- MIS-2: every plan carries the contraindication
def test_mis2_the_suspected_recurrence_plan_says_the_contrast_ct_may_not_be_feasible(graph, capsys):
    path = pc.PATIENTS / "allergy-rising-cga.json"
    [plan] = graph.match(path).plans
    assert plan.scenario.iri == SUSPECTED
    [barred] = plan.contraindicated
    assert barred.procedure.iri == CT_WITH and barred.qualifier == "a contrast-enhanced CT may not be feasible"
    code, text = cli(capsys, "match", str(path))
    assert code == 0
    assert ("The source names instead: CT abdomen and pelvis with IV contrast (for this patient: a contrast-enhanced "
            "CT may not be feasible (severe iodinated contrast allergy))." in text)
    code, out = cli(capsys, "match", "--format", "json", str(path))
    [plan_json] = json.loads(out)["plans"]
    assert [c["procedure"]["iri"] for c in plan_json["contraindicated"]] == [CT_WITH]


# ---------------------------------------------------------------- MIS-3: the source's strength at order time
def test_mis3_renal_impairment_says_may_not_be_feasible_not_rules_out(service):
    card = call(service, pc.request("renal-impairment", "ct-ap"))
    labels = " ".join(s["label"] for s in card["suggestions"])
    assert "rules out" not in labels and "when the order is ruled out" not in card["detail"]
    assert ("the source's preferred alternative when a contrast-enhanced CT may not be feasible (significant renal "
            "impairment)") in labels
    assert "the source's alternatives when a contrast-enhanced CT may not be feasible" in card["detail"]


def test_mis3_a_gadolinium_mri_suggestion_carries_the_stated_renal_impairment(service):
    card = call(service, pc.request("allergy-and-renal-impairment", "dotatate"))
    [mri] = card["suggestions"]
    doubt = "in doubt: significant renal impairment is stated [significantRenalImpairment=true]"
    assert "if renal function permits" in mri["label"] and doubt in mri["label"]
    assert not mri.get("isRecommended")
    [created] = [a["resource"] for a in mri["actions"] if a["type"] == "create"]
    assert f"For this patient: {doubt}" in [n["text"] for n in created["note"]]
    assert doubt in card["detail"]


# ---------------------------------------------------------------- WRONG-2: a level the source contradicts
@pytest.fixture(scope="module")
def flagged(tmp_path_factory):
    graph = iakg.load([FIXTURES / "flagged-radiation.ttl"])
    return CdsService(graph.engine, "http://127.0.0.1:7878", "test", load(FIXTURES / "cds" / "site-mapping.json"),
                      tmp_path_factory.mktemp("flagged") / "feedback.jsonl")


FR = "https://example.org/flagged-radiation/"


def _fixture_request(silent: bool) -> dict:
    request = copy.deepcopy(pc.request("index", "ct-ap"))
    facts = {"ageGroup": "adult", "fixtureFlaggedomaResected": True, "fixtureSilentSituation": silent}
    request["prefetch"]["observations"]["entry"] = [{"resource": pc._observation(i, k, v)}
                                                    for i, (k, v) in enumerate(sorted(facts.items()))]
    [entry] = request["context"]["draftOrders"]["entry"]
    entry["resource"]["code"] = {"coding": [{"system": "urn:ietf:rfc:3986", "code": FR + "ct"}],
                                 "text": "Fixture CT flaggedoma"}
    assert all(o["resource"]["code"]["coding"][0]["system"] == FACTS_SYSTEM
               for o in request["prefetch"]["observations"]["entry"])
    return request


def test_wrong2_a_level_its_source_contradicts_is_not_offered_as_adding_no_radiation(flagged):
    card = call(flagged, _fixture_request(silent=True))
    assert suggested(card) == [FR + "us"]  # no radiation, no agent: offered
    assert not any(s.get("isRecommended") for s in card["suggestions"])
    assert "is offered: Fixture flagged CT flaggedoma." in card["detail"]  # withheld, and said


def test_wrong2_without_the_silent_situation_the_flagged_study_is_a_suggestion_as_before(flagged):
    card = call(flagged, _fixture_request(silent=False))
    assert set(suggested(card)) == {FR + "us", FR + "flagged"}
