"""The CDS Hooks service: requests written from the CDS Hooks 2.0 and Argonaut PAMA examples (fictional
fixtures in tests/fixtures/cds), posted to the ``cds`` route group; every response checked against the spec."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
from cds_checks import DISCOVERY, RESPONSE, check_fhir, check_response
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.testclient import TestClient

from iakg.cds import codesystem
from iakg.cds.cards import PAMA_RATING, PAMA_SYSTEM
from iakg.cds.fhir import FACTS_SYSTEM
from iakg.serve.routes import ROUTES, ServeContext, ServeOptions

CDS = FIXTURES / "cds"
BASE = "http://127.0.0.1:7878"
SELECT, SIGN = "/cds-services/iakg-imaging-order-select", "/cds-services/iakg-imaging-order-sign"
SURVEILLANCE = "https://w3id.org/iakg/id/pnet-post-resection-surveillance"


@pytest.fixture(scope="module")
def client(graph, tmp_path_factory):
    log = tmp_path_factory.mktemp("cds") / "feedback.jsonl"
    ctx = ServeContext(graph, BASE, ServeOptions(cds=True, cds_mapping=CDS / "site-mapping.json", cds_feedback_log=log))
    with TestClient(Starlette(routes=ROUTES.get("cds")(ctx))) as c:
        c.feedback_log = log
        yield c


def fixture(name: str) -> dict:
    return json.loads((CDS / f"{name}.json").read_text(encoding="utf-8"))


def post(client, name: str) -> dict:
    request = fixture(name)
    url = SELECT if request["hook"] == "order-select" else SIGN
    answer = client.post(url, json=request)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    check_response(body)
    assert "A9587" not in answer.text and "hcpcs" not in answer.text.lower()  # no billing codes
    return body


def rating(body: dict) -> list[str]:
    """The PAMA codes the systemActions attach."""
    codes = []
    for action in body.get("systemActions", []):
        for ext in action["resource"].get("extension", []):
            if ext["url"] == PAMA_RATING:
                codes += [c["code"] for c in ext["valueCodeableConcept"]["coding"] if c["system"] == PAMA_SYSTEM]
    return codes


def test_discovery_lists_both_hooks_with_prefetch(client):
    body = client.get("/cds-services").json()
    jsonschema.validate(body, DISCOVERY)
    assert {s["hook"] for s in body["services"]} == {"order-select", "order-sign"}
    for service in body["services"]:
        assert {"patient", "conditions", "observations"} <= set(service["prefetch"])
        assert "{{context.patientId}}" in service["prefetch"]["patient"]
        assert "research" in service["description"].lower()


def test_index_patient_ct_is_appropriate(client):
    body = post(client, "index-ct-ap")
    [card] = body["cards"]
    assert card["indicator"] == "info"
    assert card["summary"].startswith("CT abdomen and pelvis with IV contrast: Usually appropriate")
    assert card["source"]["url"] == f"{BASE}/id/pnet-post-resection-surveillance"
    assert card["links"][0]["url"] == card["source"]["url"] and card["links"][0]["type"] == "absolute"
    assert "0.2" in card["source"]["label"] or "release" in card["source"]["label"]
    assert "| Procedure | Appropriateness |" in card["detail"]
    quote = "the ACR designates `CT abdomen and pelvis with IV contrast` as a Usually appropriate study"
    assert quote in card["detail"]
    assert "inclusion: Prior complete surgical resection" in card["detail"]
    assert not card.get("suggestions")
    assert rating(body) == ["appropriate"]
    [action] = body["systemActions"]
    assert action["resource"]["id"] == "sr-ct-ap"
    assert {e["url"] for e in action["resource"]["extension"]} >= {PAMA_RATING,
                                                                   "http://fhir.org/argonaut/Extension/pama-rating-consult-id"}


def test_fdg_pet_is_not_appropriate_and_suggests_ct(client):
    body = post(client, "index-fdg-pet")
    [card] = body["cards"]
    assert card["indicator"] == "warning"
    assert "Usually not appropriate" in card["summary"]
    assert rating(body) == ["not-appropriate"]
    first = card["suggestions"][0]
    assert first["isRecommended"] and card["selectionBehavior"] == "at-most-one"
    created = [a["resource"] for a in first["actions"] if a["type"] == "create"][0]
    assert {"system": "http://loinc.org", "code": "36813-4"} in created["code"]["coding"]
    assert [a["resourceId"] for a in first["actions"] if a["type"] == "delete"] == ["ServiceRequest/sr-fdg"]
    codes = {r["code"] for r in card["overrideReasons"]}
    assert "patient-contraindication" in codes
    assert all(r["system"] == "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes"
               for r in card["overrideReasons"])


@pytest.mark.parametrize("name, evidence", [("suspected-recurrence", "risingChromograninA"),
                                            ("positive-prior-study", "lastImagingResult")])
def test_suspected_recurrence_is_not_rated_as_routine_surveillance(client, name, evidence):
    body = post(client, name)
    [card] = body["cards"]
    # match derives a suspicion of recurrence: the suspected-recurrence scenario applies, and it rates nothing
    assert rating(body) == ["no-criteria-apply"]
    assert "Usually appropriate for Routine surveillance" not in card["summary"]
    assert "Suspected recurrence" in card["summary"] and card["indicator"] == "info"
    assert f"from `{evidence}`" in card["detail"] and "`knownOrSuspectedRecurrence`=yes" in card["detail"]
    for action in body.get("systemActions", []):
        assert all(e.get("valueUri") != SURVEILLANCE for e in action["resource"]["extension"])


def test_a_rising_hormone_level_in_the_graphs_own_codesystem_is_a_suspicion_of_recurrence(client):
    """Clinical review 2, MIS-4: no code of the terminology reference names a specific hormone level, so the fact
    travels in the graph's own CodeSystem; the service derives the suspicion as for a rising chromogranin A."""
    request = fixture("suspected-recurrence")
    entries = request["prefetch"]["observations"]["entry"]
    [cga] = [e for e in entries if e["resource"]["id"] == "obs-cga"]
    cga["resource"] = {"resourceType": "Observation", "id": "obs-hormone", "status": "final",
                       "code": {"coding": [{"system": FACTS_SYSTEM, "code": "risingHormoneLevel"}]},
                       "valueBoolean": True, "subject": cga["resource"]["subject"]}
    answer = client.post(SELECT, json=request)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    check_response(body)
    [card] = body["cards"]
    assert rating(body) == ["no-criteria-apply"] and card["indicator"] == "info"
    assert "Suspected recurrence" in card["summary"] and "Usually appropriate" not in card["summary"]
    assert "from `risingHormoneLevel`" in card["detail"] and "`knownOrSuspectedRecurrence`=yes" in card["detail"]
    assert "may increase suspicion" in card["detail"]


def test_contrast_allergy_suggests_the_preferred_alternative(client):
    body = post(client, "contrast-allergy")
    [card] = body["cards"]
    assert "severe iodinated contrast allergy" in card["summary"]
    first = card["suggestions"][0]
    assert "MRI abdomen and pelvis without and with IV contrast" in first["label"] and first["isRecommended"]
    assert "Contraindication stated" in card["detail"]


def test_missing_facts_give_no_rating_and_name_the_facts(client):
    body = post(client, "missing-facts")
    [card] = body["cards"]
    assert rating(body) == [] and "systemActions" not in body
    for key in ("priorCompleteResection", "knownOrSuspectedRecurrence", "symptomsConcerningForRecurrence"):
        assert key in card["detail"]
    assert "No rating yet" in card["detail"]


def test_unmapped_order_code_gets_a_plain_card(client):
    body = post(client, "unmapped-order")
    [card] = body["cards"]
    assert card["indicator"] == "info" and "not recognised" in card["summary"]
    assert "systemActions" not in body and not card.get("suggestions")


def test_nothing_applies_says_no_criteria_apply(client):
    request = fixture("index-ct-ap")
    for entry in request["prefetch"]["observations"]["entry"]:
        if entry["resource"]["code"]["coding"][0]["code"] == "knownResidualDisease":
            entry["resource"]["valueBoolean"] = True
    body = client.post(SELECT, json=request).json()
    check_response(body)
    assert rating(body) == ["no-criteria-apply"]
    assert "No criteria apply" in body["cards"][0]["detail"]


def test_order_select_rates_only_the_selected_orders(client):
    request = fixture("index-ct-ap")
    other = copy.deepcopy(request["context"]["draftOrders"]["entry"][0])
    other["resource"]["id"] = "not-selected"
    request["context"]["draftOrders"]["entry"].append(other)
    body = client.post(SELECT, json=request).json()
    assert len(body["cards"]) == 1


@pytest.mark.parametrize("mutate, status", [
    (lambda r: r.pop("hookInstance"), 400),
    (lambda r: r.update(hook="order-sign"), 400),
    (lambda r: r["context"].pop("draftOrders"), 400),
    (lambda r: r.pop("prefetch"), 412),
])
def test_bad_requests_are_refused_with_one_line(client, mutate, status):
    request = fixture("index-ct-ap")
    mutate(request)
    answer = client.post(SELECT, json=request)
    assert answer.status_code == status and "\n" not in answer.json()["error"]
    assert client.post("/cds-services/nope", json=request).status_code == 404
    assert client.post(SELECT, content=b"{not json").status_code == 400
    huge = b'{"hook": "order-select", "hookInstance": ' + b"9" * 5000 + b"}"  # past int()'s 4,300-digit limit
    for path in (SELECT, SIGN + "/feedback"):
        assert client.post(path, content=huge).status_code == 400, path


def test_feedback_is_logged_apart_from_the_graph(client, graph):
    before = len(graph.release_quads())
    card = post(client, "index-fdg-pet")["cards"][0]
    feedback = {"feedback": [
        {"card": card["uuid"], "outcome": "accepted", "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
         "outcomeTimestamp": "2026-11-26T10:05:31Z"},
        {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-11-26T10:06:00Z",
         "overrideReason": {"reason": card["overrideReasons"][0], "userComment": "Fictional comment."}}]}
    assert client.post(SIGN + "/feedback", json=feedback).json() == {"received": 2}
    lines = [json.loads(x) for x in client.feedback_log.read_text().splitlines()]
    assert [x["outcome"] for x in lines[-2:]] == ["accepted", "overridden"]
    assert len(graph.release_quads()) == before
    bad = {"feedback": [{"card": "x", "outcome": "accepted", "outcomeTimestamp": "2026-11-26T10:05:31Z"}]}
    assert client.post(SIGN + "/feedback", json=bad).status_code == 400


def test_patient_facts_codesystem_is_valid_fhir(client, graph):
    resource = client.get("/fhir/CodeSystem/patient-facts").json()
    check_fhir(resource)
    codes = {c["code"] for c in resource["concept"]}
    assert {f.key for f in graph.patient_facts()} == codes
    assert codesystem(graph.patient_facts(), "x")["count"] == resource["count"]


# ---------------------------------------------------------------- random draft orders
CODINGS = st.one_of(
    st.fixed_dictionaries({"system": st.just("http://loinc.org"),
                           "code": st.sampled_from(["36813-4", "72254-6", "36952-0", "42274-1", "0000-0"])}),
    st.fixed_dictionaries({"system": st.just("urn:ietf:rfc:3986"),
                           "code": st.sampled_from(["https://w3id.org/iakg/id/fdg-pet-ct",
                                                    "https://w3id.org/iakg/id/dotatate-pet-ct",
                                                    "https://w3id.org/iakg/id/nothing", "not an iri"])}),
    st.fixed_dictionaries({"system": st.from_regex(r"[a-z]{1,8}:[a-z0-9/.]{1,12}", fullmatch=True),
                           "code": st.from_regex(r"[A-Za-z0-9.\-]{1,12}", fullmatch=True)}),
)
JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                       lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=30).filter(str.strip)
ORDER = st.fixed_dictionaries(
    {"resourceType": st.just("ServiceRequest"), "id": st.from_regex(r"[A-Za-z0-9\-]{1,16}", fullmatch=True),
     "status": st.sampled_from(["draft", "active"]), "intent": st.sampled_from(["order", "plan", "proposal"]),
     "subject": st.just({"reference": "Patient/pnet-index"})},
    optional={"code": st.fixed_dictionaries({"coding": st.lists(CODINGS, max_size=3)},
                                            optional={"text": TEXT}),
              "reasonCode": st.lists(st.fixed_dictionaries({"coding": st.lists(CODINGS, max_size=2)}), max_size=2),
              "extension": st.lists(st.fixed_dictionaries({
                  "url": st.just("http://example.org/x"),
                  "valueString": st.from_regex(r"[a-z]{1,5}", fullmatch=True)}), max_size=1)})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(orders=st.lists(ORDER, min_size=1, max_size=3), sign=st.booleans(), garbage=JSONISH)
def test_random_draft_orders_never_fail(client, orders, sign, garbage):
    request = fixture("index-ct-ap")
    request["hook"] = "order-sign" if sign else "order-select"
    request["context"]["draftOrders"]["entry"] = [{"resource": o} for o in orders]
    request["context"]["selections"] = [f"ServiceRequest/{o['id']}" for o in orders]
    request["prefetch"]["extra"] = garbage
    answer = client.post(SIGN if sign else SELECT, json=request)
    assert answer.status_code == 200, answer.text
    check_response(answer.json())
    # garbage in place of the request's parts: refused cleanly or answered, never a 500
    broken = copy.deepcopy(request)
    broken["context"]["draftOrders"] = garbage
    assert client.post(SIGN if sign else SELECT, json=broken).status_code in (200, 400, 412)
    broken = copy.deepcopy(request)
    for entry in broken["context"]["draftOrders"]["entry"]:
        entry["resource"].update(code=garbage, reasonCode=garbage, extension=garbage)
    broken["context"]["draftOrders"]["entry"].append({"resource": {"resourceType": "ServiceRequest", "id": garbage}})
    answer = client.post(SIGN if sign else SELECT, json=broken)
    assert answer.status_code == 200, answer.text
    jsonschema.validate(answer.json(), RESPONSE)
    broken["context"]["selections"].append(garbage)
    answer = client.post(SIGN if sign else SELECT, json=broken)
    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 200:
        jsonschema.validate(answer.json(), RESPONSE)


def test_cds_codesystem_command_writes_valid_fhir(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "cs.json"
    done = subprocess.run([sys.executable, "-m", "iakg", "cds-codesystem", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    resource = json.loads(out.read_text(encoding="utf-8"))
    check_fhir(resource)
    assert "tumorGrade.G1" in {c["code"] for f in resource["concept"] for c in f.get("concept", [])}


def test_a_bad_mapping_is_refused_naming_the_entry(graph, tmp_path):
    from iakg.cds import CdsService
    from iakg.cds.mapping import load, parse
    from iakg.errors import InputError, UnknownNameError

    with pytest.raises(InputError, match=r"facts\[0\]\.fact"):
        parse({"facts": [{"system": "s", "code": "c"}]}, "m.json")
    with pytest.raises(InputError, match="ratingMap.usually-appropriate"):
        parse({"ratingMap": {"usually-appropriate": "adheres"}}, "m.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"facts": [{"system": "s", "code": "c", "fact": "risingChromograninB"}]}')
    with pytest.raises(UnknownNameError, match="risingChromograninA"):
        CdsService(graph.engine, BASE, "test", load(bad), tmp_path / "f.jsonl")
    bad.write_text("{")
    with pytest.raises(InputError, match=r"bad.json:1:2"):
        load(bad)


@pytest.mark.parametrize("name", sorted(p.stem for p in CDS.glob("*.json") if p.stem != "site-mapping"))
def test_fixture_requests_hold_valid_fhir(name):
    from iakg.cds.fhir import resources

    request = fixture(name)
    found = list(resources(request["context"]["draftOrders"]))
    for value in request["prefetch"].values():
        found += list(resources(value))
    check_fhir(request["context"]["draftOrders"])
    for resource in found:
        check_fhir(resource)
    assert found


def test_iakg_serve_cds_serves_the_group(tmp_path):
    import subprocess
    import sys
    import time

    import httpx

    log = tmp_path / "feedback.jsonl"
    server = subprocess.Popen([sys.executable, "-m", "iakg", "serve", "--cds", "--port", "0", "--cds-mapping",
                               str(CDS / "site-mapping.json"), "--cds-feedback", str(log)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [server.stdout.readline() for _ in range(4)]  # the endpoint, the home page, the editor, CDS Hooks
        line = next(x for x in lines if x.startswith("CDS Hooks service:"))
        base = line.split()[3].rsplit("/cds-services", 1)[0]
        status = None
        for _ in range(100):
            try:
                status = httpx.get(base + "/cds-services", timeout=5).status_code
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert status == 200
        body = httpx.post(base + SELECT, json=fixture("index-ct-ap"), timeout=30).json()
        check_response(body)
        assert rating(body) == ["appropriate"] and body["cards"][0]["source"]["url"].startswith(base + "/id/")
    finally:
        server.terminate()
        server.wait(10)


def test_a_free_text_reason_is_read_and_the_card_asks_to_confirm_it(client):
    """Issue 26: a draft order carrying only free text gets a card naming the scenario resolved from the text,
    the facts read from it and what still needs confirming; no rating is attached on unconfirmed words."""
    body = post(client, "free-text-reason")
    [card] = body["cards"]
    assert "systemActions" not in body and rating(body) == []
    assert card["summary"].startswith("Read from the order's text (confirm)")
    detail = card["detail"]
    assert "s/p distal panc for G1 pNET 2y ago, NED" in detail
    assert ("Scenario resolved from the text: [Routine surveillance after complete resection of a pancreatic "
            f"neuroendocrine tumor]({BASE}/id/pnet-post-resection-surveillance)") in detail
    read = detail.split("Facts read from the text: ", 1)[1].split("\n", 1)[0]
    assert read == "`priorCompleteResection`=yes, `tumorGrade`=G1, `knownOrSuspectedRecurrence`=no"
    assert '"NED" = known or suspected recurrence' in detail
    confirm = detail.split("**Still needs confirming:** ", 1)[1]
    for key in ("priorCompleteResection", "symptomsConcerningForRecurrence", "knownResidualDisease",
                "poorlyDifferentiatedNEC", "undergoingInitialStaging"):
        assert f"`{key}`" in confirm


def test_free_text_is_read_only_when_no_coded_fact_decides_and_only_about_a_covered_condition(client):
    request = fixture("free-text-reason")
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    order["reasonCode"].append({"coding": [{"system": FACTS_SYSTEM, "code": "knownOrSuspectedRecurrence"}]})
    body = client.post(SELECT, json=request).json()  # a coded suspicion decides: the text is not read
    check_response(body)
    assert "no criteria in this graph apply" in body["cards"][0]["summary"]
    assert "free text" not in body["cards"][0]["detail"]
    order["reasonCode"] = [{"text": "PDAC s/p Whipple, surveillance"}]
    body = client.post(SELECT, json=request).json()
    check_response(body)
    detail = body["cards"][0]["detail"]
    assert "Scenario: none resolved (nothing in the graph fits" in detail and "Facts read from the text" not in detail


def test_the_text_of_a_provisional_or_another_patients_condition_is_not_read(client):
    request = fixture("free-text-reason")
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    del order["reasonCode"]
    status = lambda system, code: {"coding": [{"system": system, "code": code}]}
    clinical = "http://terminology.hl7.org/CodeSystem/condition-clinical"
    verification = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
    condition = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/pnet-index"},
                 "clinicalStatus": status(clinical, "active"), "verificationStatus": status(verification, "confirmed"),
                 "code": {"text": "pNET s/p distal pancreatectomy, NED"}}
    request["prefetch"]["conditions"]["entry"] = [{"resource": condition}]
    body = client.post(SELECT, json=request).json()
    check_response(body)
    assert "Facts read from the text: `priorCompleteResection`=yes" in body["cards"][0]["detail"]
    for change in ({"verificationStatus": status(verification, "provisional")},
                   {"subject": {"reference": "Patient/someone-else"}}):
        request["prefetch"]["conditions"]["entry"] = [{"resource": {**condition, **change}}]
        body = client.post(SELECT, json=request).json()
        check_response(body)
        assert "free text" not in body["cards"][0]["detail"]
