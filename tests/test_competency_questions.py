"""The 15 competency questions of the pNET article, each a catalogue query with its expected answer."""

from __future__ import annotations

from decimal import Decimal

from conftest import PNET, d


def test_cq01_usually_appropriate_procedures(graph):
    rows = graph.run("usually-appropriate", scenario=PNET)
    assert [(r["procedureLabel"], r["radiation"], r["condition"]) for r in rows] == [
        ("CT abdomen and pelvis with IV contrast", "☢☢☢", None),
        ("CT chest abdomen pelvis with IV contrast", "☢☢☢☢",
         "may be considered if there is a higher risk of thoracic metastases"),
    ]


def test_cq02_all_rated_procedures_in_order(graph):
    rows = graph.run("recommendation", scenario=PNET)
    assert [(r["procedureLabel"], r["categoryLabel"], r["disagreement"], r["radiation"]) for r in rows] == [
        ("CT abdomen and pelvis with IV contrast", "Usually appropriate", False, "☢☢☢"),
        ("CT chest abdomen pelvis with IV contrast", "Usually appropriate", False, "☢☢☢☢"),
        ("MRI abdomen and pelvis without and with IV contrast", "May be appropriate", True, "O"),
        ("DOTATATE PET/CT", "May be appropriate", False, "☢☢☢"),
        ("FDG PET/CT", "Usually not appropriate", False, None),
    ]


def test_cq03_radiation_of_ct_abdomen_pelvis(graph):
    adult, child = graph.run("radiation-level", procedure=d("ct-abdomen-pelvis-with-iv-contrast"))
    assert (adult["population"], adult["radiation"], adult["doseRange"], adult["doseMinMSv"], adult["doseMaxMSv"]) == (
        "adult", "☢☢☢", "1-10 mSv", Decimal("1"), Decimal("10"))
    assert adult["source"] == d("article-pnet-surveillance")
    # the paediatric level is rated apart (never the adult symbol on the paediatric scale: 0.3-3 mSv)
    assert (child["population"], child["radiation"], child["doseRange"], child["source"]) == (
        "pediatric", "☢☢☢☢", "3-10 mSv", d("acr-appendix-gi-topic-290"))


def test_cq04_rated_with_disagreement(graph):
    rows = graph.run("disagreement")
    assert [(r["procedureLabel"], r["categoryLabel"], r["scenario"]) for r in rows] == [
        ("MRI abdomen and pelvis without and with IV contrast", "May be appropriate", PNET)]


def test_cq05_criteria_and_where_excluded_patients_go(graph):
    rows = graph.run("criteria", scenario=PNET)
    inclusion = sorted(r["criterionLabel"] for r in rows if r["kind"] == "inclusion")
    exclusion = {r["criterionLabel"]: r["redirectsTo"] for r in rows if r["kind"] == "exclusion"}
    assert inclusion == ["No current symptoms concerning for recurrence", "No known or suspected recurrence",
                         "Prior complete surgical resection of a pNET"]
    assert exclusion == {
        "Undergoing initial staging before treatment": d("pnet-initial-staging"),
        "Known residual disease": d("pnet-known-residual-disease"),
        "Liver-dominant metastases being treated non-surgically": d("pnet-liver-dominant-metastases-nonsurgical"),
        "Untreated tumor under observation": d("pnet-untreated-under-observation"),
        "Poorly differentiated neuroendocrine carcinoma (NEC)": d("nec-surveillance-and-staging"),
    }
    examples = {r["examples"] for r in rows if r["examples"]}
    assert examples == {"new abdominal pain, jaundice, flushing, or diarrhea"}


def test_cq06_diagnoses_and_most_common_site(graph):
    rows = graph.run("diagnoses", scenario=PNET)
    assert {r["diagnosisLabel"] for r in rows} == {
        "Distant metastases (hepatic)", "Local or regional recurrence", "Distant metastases (extra-hepatic)"}
    most_common = {(r["diagnosisLabel"], r["siteLabel"]) for r in rows if r["mostCommon"]}
    assert most_common == {("Distant metastases (hepatic)", "liver")}
    sites = {(r["diagnosisLabel"], r["siteLabel"]) for r in rows}
    assert ("Local or regional recurrence", "surgical bed") in sites
    assert ("Distant metastases (extra-hepatic)", "bone") in sites


def test_cq07_next_steps_by_result(graph):
    def steps(result):
        rows = graph.run("next-steps", scenario=PNET, result=result)
        return [(r["order"], r["actionLabel"] or r["procedureLabel"], r["alternatives"]) for r in rows]

    assert steps("negative") == [(1, "Continue the scheduled follow-up plan", False)]
    assert steps("positive") == [
        (1, "Multidisciplinary tumor board discussion", False),
        (2, "DOTATATE PET/CT", False),
        (2, "Multiphasic liver MRI", False),
        (3, "Biopsy to confirm the diagnosis", False),
    ]
    assert steps("indeterminate") == [
        (1, "Short-interval follow-up CT", True),
        (2, "DOTATATE PET/CT", True),
        (2, "MRI abdomen and pelvis without and with IV contrast", True),
    ]
    [short] = [r for r in graph.run("next-steps", scenario=PNET, result="indeterminate") if r["order"] == 1]
    assert short["intervalMonths"] == Decimal("3")


def test_cq08_alternatives_when_iodinated_contrast_contraindicated(graph):
    for contraindication in ("ci-iodinated-contrast-allergy", "ci-renal-impairment"):
        rows = graph.run("contrast-alternatives", scenario=PNET, contraindication=d(contraindication))
        assert [(r["preference"], r["procedureLabel"], r["caveat"]) for r in rows] == [
            (1, "MRI abdomen and pelvis without and with IV contrast",
             "often with a gadolinium-based contrast agent, if renal function permits"),
            (2, "MRI abdomen and pelvis without IV contrast",
             "can also provide valuable information but is less sensitive for hypervascular lesions"),
        ]
        assert {r["agentLabel"] for r in rows} == {"iodinated contrast"}


def test_cq09_when_dotatate_is_preferred(graph):
    rows = graph.run("indications", procedure=d("dotatate-pet-ct"))
    assert {(r["triggerFact"], r["triggerResult"]) for r in rows} == {
        ("knownOrSuspectedRecurrence", None), ("risingChromograninA", None), (None, "indeterminate")}


def test_cq10_surveillance_interval_by_grade(graph):
    rows = graph.run("surveillance-intervals", scenario=PNET)
    by_grade = {r["grade"]: (r["stage"], r["requiresGradeAndStage"], r["minMonths"], r["maxMonths"]) for r in rows}
    assert by_grade == {
        "G1": ("early", True, Decimal("12"), Decimal("12")),
        "G2": ("higher", False, Decimal("6"), Decimal("12")),
        "G3": ("higher", False, Decimal("6"), Decimal("12")),
    }


def test_cq11_pitfalls(graph):
    rows = graph.run("pitfalls", scenario=PNET)
    assert [r["pitfallLabel"] for r in rows] == [
        "Ordering CT abdomen and pelvis without IV contrast",
        "Not adhering to a consistent, risk-based surveillance schedule",
        "Not correlating imaging with biochemical markers",
    ]
    assert "hypervascular liver metastases" in rows[0]["consequence"]


def test_cq12_ct_phases_and_why(graph):
    rows = graph.run("phases", procedure=d("ct-abdomen-pelvis-with-iv-contrast"), scenario=PNET)
    assert [(r["order"], r["phaseLabel"], r["essential"]) for r in rows] == [
        (1, "late arterial phase", True), (2, "portal venous phase", True)]
    assert "hypervascular" in rows[0]["purpose"] and "portal vein" in rows[1]["purpose"]


def test_cq13_related_topics_and_guides(graph):
    rows = graph.run("related", scenario=PNET)
    assert [(r["relation"], r["target"]) for r in rows] == [
        ("ancestor topic", d("hub-pnet-imaging")),
        ("protocol guide", d("guide-ct-chest-abdomen-pelvis-iv-contrast")),
        ("topic", d("topic-pnet-surveillance-after-resection")),
    ]


def test_cq14_nec_is_excluded_and_uses_fdg_pet_ct(graph):
    rows = graph.run("excluded-populations", scenario=PNET, criterion=d("exc-poorly-differentiated-nec"))
    assert [(r["redirectsTo"], r["procedureLabel"], r["categoryHere"]) for r in rows] == [
        (d("nec-surveillance-and-staging"), "FDG PET/CT", "Usually not appropriate")]


def test_cq15_reviewer_and_date(graph):
    [row] = graph.run("provenance", scenario=PNET)
    assert (row["reviewerLabel"], row["role"], row["reviewDate"]) == (
        "Pouyan Golshani, MD", "Interventional Radiologist", "2026-05-30")
    assert (row["guidelineLabel"], row["publisherLabel"]) == (
        "ACR Appropriateness Criteria", "American College of Radiology")
