"""Answers a clinician can act on: one fictional patient file per clinical case with the clinically right
answer, every hedge the graph encodes printed with its statement, and no silent wrong answer."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import rdflib
from conftest import PNET, d

from iakg import IRI, resources
from iakg.rdf.namespaces import IAKG

PATIENTS = Path(__file__).parent / "fixtures" / "patients"
SUSPECTED = d("pnet-suspected-recurrence")
CT = d("ct-abdomen-pelvis-with-iv-contrast")
MRI = d("mri-abdomen-pelvis-without-and-with-iv-contrast")
DOTATATE = d("dotatate-pet-ct")


def _match(graph, name):
    return graph.match(PATIENTS / f"{name}.json")


def _text(*argv: str) -> tuple[int, str, str]:
    from iakg.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------- the patients
def test_index_patient_routine_surveillance_with_the_essential_protocol(graph):
    result = _match(graph, "index")
    assert [(m.scenario.iri, m.status) for m in result.scenarios] == [
        (PNET, "applicable"), (SUSPECTED, "not applicable")]
    [plan] = result.plans
    assert plan.first_choice.iri == CT and plan.first_choice_caveat is None
    assert [(p.phase.label, p.essential) for p in plan.protocol] == [
        ("late arterial phase", True), ("portal venous phase", True)]
    assert [(m.every, m.qualifier) for m in plan.interval.matches] == [("12 months", "may be imaged annually")]
    assert result.derived == ()


@pytest.mark.parametrize("name, evidence", [
    ("rising-cga", "risingChromograninA"),
    ("functional-hormone-rising", "risingHormoneLevel"),  # clinical review 2, MIS-4
    ("positive-ct", "lastImagingResult"),
    ("symptoms", "symptomsConcerningForRecurrence"),
])
def test_suspicion_of_recurrence_leaves_routine_surveillance(graph, name, evidence):
    result = _match(graph, name)
    assert [(m.scenario.iri, m.status) for m in result.scenarios] == [
        (PNET, "not applicable"), (SUSPECTED, "applicable")]
    [derived] = result.derived
    assert (derived.key, derived.value, derived.evidence_key) == ("knownOrSuspectedRecurrence", True, evidence)
    [plan] = result.plans
    assert plan.scenario.iri == SUSPECTED
    assert plan.recommendation.procedures == []  # the article rates only routine surveillance: no invented rating
    assert [(h.procedure.iri, h.qualifier) for h in plan.indications] == [(DOTATATE, "best reserved for")]
    [pathway] = plan.next_steps
    assert [(s.label, s.qualifier) for s in pathway.steps] == [
        ("Discuss at a multidisciplinary tumor board", "often"),
        ("Characterize with multiphasic liver MRI or DOTATATE PET/CT", "typically performed"),
        ("Biopsy to confirm before treatment, depending on location and size",
         "may be needed, depending on the location and size")]
    assert {p.iri for p in pathway.steps[1].procedures} == {d("multiphasic-liver-mri"), DOTATATE}
    assert [e.action.iri for e in plan.escalation] == [d("action-tumor-board")]
    code, text, _ = _text("match", str(PATIENTS / f"{name}.json"))
    assert code == 0 and "No rated study" in text and "Surveillance:" not in text


@pytest.mark.parametrize("name, contraindication", [
    ("contrast-allergy", "ci-iodinated-contrast-allergy"),
    ("renal-indeterminate", "ci-renal-impairment"),
])
def test_contrast_contraindication_conditional_mri_and_no_follow_up_ct(graph, name, contraindication):
    [plan] = _match(graph, name).plans
    assert plan.first_choice.iri == MRI
    assert "if renal function permits" in plan.first_choice_caveat
    assert {c.contraindication.iri for c in plan.contraindicated} == {d(contraindication)}
    assert all(c.qualifier == "a contrast-enhanced CT may not be feasible" for c in plan.contraindicated)
    [branch] = plan.next_steps
    assert branch.result == "indeterminate"
    assert [s.label for s in branch.steps] == ["Proceed directly to MRI or DOTATATE PET/CT"]
    assert [why.split(":")[0] for why in plan.left_out] == ["Short-interval follow-up CT (e.g. in 3 months)"]
    code, text, _ = _text("match", str(PATIENTS / f"{name}.json"))
    first = next(line for line in text.splitlines() if "First choice" in line)
    assert "if renal function permits" in first  # on the plan's first line, not later
    assert "If indeterminate: Short-interval" not in text


def test_indeterminate_ct_offers_follow_up_ct_or_more_sensitive_imaging(graph):
    [plan] = _match(graph, "indeterminate").plans
    assert plan.scenario.iri == PNET
    [branch] = plan.next_steps
    assert branch.alternatives and [s.order for s in branch.steps] == [1, 2]
    assert {h.procedure.iri for h in plan.indications} == {DOTATATE, MRI}
    assert plan.left_out == ()


@pytest.mark.parametrize("name", ["empty", "partial"])
def test_an_empty_or_partial_patient_is_undetermined(graph, name):
    result = _match(graph, name)
    assert {m.status for m in result.scenarios} == {"undetermined"} and result.plans == ()
    assert {"priorCompleteResection", "knownOrSuspectedRecurrence"} <= set(result.missing)
    code, text, _ = _text("match", str(PATIENTS / f"{name}.json"))
    assert code == 0 and "state these facts" in text and "No scenario" not in text


# ---------------------------------------------------------------- hedges
# What each kind of statement says, as printed: its label unless another property holds the words.
_SAYS = {IAKG + "Pitfall": IAKG + "consequence", IAKG + "EscalationAdvice": IAKG + "trigger",
         IAKG + "BiochemicalMarker": IAKG + "markerRole", IAKG + "Alternative": IAKG + "caveat",
         IAKG + "AppropriatenessRating": IAKG + "ratingCondition",
         IAKG + "DoseCaveat": "http://www.w3.org/2004/02/skos/core#definition"}


@pytest.fixture(scope="module")
def printed() -> list[str]:
    """Every line the answering commands print (table format) for both scenarios and every patient file."""
    lines = []
    for scenario in ("pnet-post-resection-surveillance", "pnet-suspected-recurrence"):
        for argv in (["recommend"], ["next-steps"], ["alternatives"], ["pitfalls"], ["faq"], ["escalation"],
                     ["features"], ["markers"], ["interval", "--grade", "G1", "--stage", "early"],
                     ["interval", "--grade", "G2"]):
            lines += _text(argv[0], scenario, *argv[1:])[1].splitlines()
    lines += _text("dose", "--scenario", "pnet-post-resection-surveillance", "--years", "5",
                   "--every", "12")[1].splitlines()
    for path in sorted(PATIENTS.glob("*.json")):
        lines += _text("match", str(path))[1].splitlines()
    return lines


def test_every_hedged_statement_is_printed_with_its_hedge(printed):
    graph = rdflib.Graph()
    for path in resources.data_files():
        graph.parse(path)
    hedged = list(graph.subject_objects(rdflib.URIRef(IAKG + "qualifier")))
    assert len(hedged) >= 20
    shown_lines = [line for line in printed if not line.lstrip().startswith("Not offered:")]
    for statement, qualifier in hedged:
        kinds = {str(t) for t in graph.objects(statement, rdflib.RDF.type)}
        says = next((_SAYS[k] for k in kinds if k in _SAYS), str(rdflib.RDFS.label))
        words = [str(w) for w in graph.objects(statement, rdflib.URIRef(says))]
        assert words, f"{statement}: nothing to look for"
        lines = [line for line in shown_lines if any(w in line for w in words)]
        assert lines, f"{statement} ({words[0]!r}) is never printed"
        for line in lines:
            assert str(qualifier).lower() in line.lower(), f"{statement}: printed without {qualifier!r}: {line}"


def test_the_pitfall_says_may_as_the_article_does(graph):
    [pitfall] = [p for p in graph.pitfalls(PNET) if p.order == 3]
    assert "may increase suspicion" in pitfall.consequence and "should" not in pitfall.consequence


# ---------------------------------------------------------------- dose
def test_dose_says_what_the_numbers_are_and_gives_the_caveats(graph):
    answer = graph.scenario_doses(PNET, 5, 12)
    assert "not this patient's dose" in answer.note
    assert [o.estimate.procedure.iri for o in answer.options][0] == CT  # most appropriate first
    assert [r.iri for r in answer.left_out] == [d("fdg-pet-ct")]
    assert {o.appropriateness for o in answer.options} == {
        "Usually appropriate", "May be appropriate (Disagreement)", "May be appropriate"}
    assert [c.iri for c in answer.caveats] == [d("caveat-cumulative-dose"), DOTATATE]
    everything = graph.scenario_doses(PNET, 5, 12, include_all=True)
    assert [o.lowest_category for o in everything.options if o.estimate.procedure.iri == d("fdg-pet-ct")] == [True]
    code, text, _ = _text("dose", "--scenario", "pnet-post-resection-surveillance", "--years", "5", "--every", "12")
    assert code == 0 and "relative radiation level" in text and "often outweighs the risk" in text
    assert "Source inconsistency" in text and "FDG PET/CT" in text.split("Left out")[1]
    code, text, _ = _text("dose", "DOTATATE PET/CT", "--years", "5", "--every", "12")
    assert code == 0 and "Source inconsistency" in text and "not this patient's dose" in text


def test_dotatate_names_no_isotope_the_article_does_not_name(graph):
    rows = graph.query(f"SELECT ?r ?code WHERE {{ <{DOTATATE}> <{IAKG}radiopharmaceutical> ?r . OPTIONAL {{ ?r "
                       "<http://www.w3.org/2004/02/skos/core#notation> ?code } }").rows()
    assert [(r["r"], r["code"]) for r in rows] == [(d("dotatate"), None)]
    # nothing the article's content states (its resources, what derives from it) names a gallium label; the
    # reference vocabulary of procedure names may know "Ga-68 DOTATATE" as a word, never as this study's agent
    assert not graph.query(
        "ASK { ?s <http://www.w3.org/ns/prov#wasDerivedFrom> ?article . "
        "?s ?p ?o FILTER(CONTAINS(LCASE(STR(?o)), 'ga-68') || CONTAINS(LCASE(STR(?o)), 'gallium')) }",
        {"article": IRI(d("article-pnet-surveillance"))}).boolean
    assert not graph.query(f"ASK {{ <{DOTATATE}> ?p ?o . ?o ?q ?text FILTER(CONTAINS(LCASE(STR(?text)), 'gallium')) "
                           "}").boolean


# ---------------------------------------------------------------- no silent wrong answer
@pytest.mark.parametrize("argv, allowed", [
    (["next-steps", "pnet-post-resection-surveillance", "--result", "bogus"], "indeterminate, negative, positive"),
    (["alternatives", "pnet-post-resection-surveillance", "--contraindication", "iakgd:nonsense"],
     "ci-iodinated-contrast-allergy"),
    (["query", "escalation"], "required parameter 'scenario'"),
])
def test_wrong_option_values_exit_2_with_the_allowed_values(argv, allowed):
    code, out, err = _text(*argv)
    assert code == 2 and out == "" and allowed in err


def test_an_inconsistent_data_file_is_refused(tmp_path):
    extra = tmp_path / "second-rating.ttl"
    extra.write_text("""@prefix iakg: <https://w3id.org/iakg/ontology#> .
@prefix iakgd: <https://w3id.org/iakg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
iakgd:rating-second-fdg a iakg:AppropriatenessRating ;
    rdfs:label "A second, fictional rating of FDG PET/CT for the same scenario"@en ;
    iakg:ratedScenario iakgd:pnet-post-resection-surveillance ; iakg:ratedProcedure iakgd:fdg-pet-ct ;
    iakg:category iakgd:usually-appropriate ; iakg:panelDisagreement false ;
    iakg:ratingAuthority iakgd:acr ; prov:wasDerivedFrom iakgd:article-pnet-surveillance .
""", encoding="utf-8")
    code, out, err = _text("recommend", "pnet-post-resection-surveillance", "--data", str(extra))
    assert code == 1 and out == "" and "rating-second-fdg" in err and "no answer was given" in err
    good = tmp_path / "label.ttl"
    good.write_text('<https://w3id.org/iakg/id/fdg-pet-ct> <http://www.w3.org/2000/01/rdf-schema#comment> '
                    '"a fictional note" .\n', encoding="utf-8")
    assert _text("recommend", "pnet-post-resection-surveillance", "--data", str(good))[0] == 0


def test_patient_files_are_documented_json():
    for path in PATIENTS.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict)
        assert "label" not in data or "fictional" in data["label"] or "index" in data["label"]
