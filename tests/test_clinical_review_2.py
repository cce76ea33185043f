"""Clinical review 2 (a radiologist-informatician's second reading of the answers against the article): each
finding fixed in the data, the pages and the command line, asserted where a clinician meets it. The findings
fixed in the CDS cards and matching are in tests/test_clinical_review_2_cds.py, the resolver's in
tests/test_resolve.py."""

from __future__ import annotations

from conftest import SOURCE

from iakg.cli import main


def _out(capsys, *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_mis5_the_faq_keeps_the_source_s_example_interval_an_example(graph, capsys):
    """"often require more frequent surveillance, such as every 6-12 months": the interval is the article's
    example, not a value (the FAQ said "often require surveillance every 6-12 months")."""
    [row] = [r for r in graph.run("faq", scenario="iakgd:pnet-post-resection-surveillance") if r["order"] == 1]
    assert "often require more frequent surveillance, such as every 6-12 months" in row["answer"]
    assert "often require surveillance every" not in _out(capsys, "faq", "pnet-post-resection-surveillance")
    if SOURCE.is_file():
        assert "often require more frequent surveillance, such as every 6-12 months" in SOURCE.read_text("utf-8")


def test_a_text_stating_distinct_clinical_questions_abstains(graph, capsys):
    """Found while fixing review 2's resolver items: a reason stating a resection and an untreated tumour under
    observation (questions the source answers apart) made `iakg resolve` exit with the matcher's refusal."""
    result = graph.resolve("pNET s/p resection, now under observation")
    assert result.abstained and result.scenario is None
    assert "distinct clinical questions" in result.why
    assert _out(capsys, "resolve", "pNET s/p resection, now under observation").startswith("ABSTAINED: ")


def test_row63_the_procedure_page_says_the_critical_error_where_the_study_is_looked_up(graph):
    """The non-contrast CT's page showed the article's critical error only as a row of "Referenced by"."""
    from iakg.present.html.pages import Pages

    page = Pages(graph).resource("https://w3id.org/iakg/id/ct-abdomen-pelvis-without-iv-contrast")
    assert page is not None
    section = page[page.index('id="pitfalls-h"'):page.index("</section>", page.index('id="pitfalls-h"'))]
    assert "Critical error (the source):" in section
    assert "<q>ordering a CT of the abdomen and pelvis without IV contrast is a critical error</q>" in section
    assert "CT abdomen and pelvis with IV contrast</a>" in section  # what the source recommends instead
    assert section.count("Routine surveillance after complete resection") == 1  # one entry, both scenarios
    assert "Suspected recurrence after resection" in section
    other = Pages(graph).resource("https://w3id.org/iakg/id/ct-abdomen-pelvis-with-iv-contrast")
    assert other is not None and 'id="pitfalls-h"' not in other  # no pitfall is about ordering that one


def test_mis8_the_first_choice_carries_the_not_addressed_notice(capsys):
    """The notice stood once above the plan; the first choice, the line read, did not carry it."""
    from patient_cases import PATIENTS

    text = _out(capsys, "match", str(PATIENTS / "men1.json"))
    [line] = [x for x in text.splitlines() if x.lstrip().startswith("First choice:")]
    assert line.endswith("; not addressed: the source does not address multiple endocrine neoplasia type 1 (MEN1) "
                         "[men1=true]")


def test_row58_dose_of_a_scenario_without_ratings_says_so(capsys):
    text = _out(capsys, "dose", "--scenario", "pnet-suspected-recurrence", "--years", "5", "--every", "12")
    assert "the source rates no procedure for this scenario, so there are no doses to compare" in text
    assert "cumulative dose" not in text  # no empty table


def test_row62_the_scenario_page_names_the_studies_the_source_reserves(graph):
    """The suspected-recurrence page has no ratings; DOTATATE PET/CT, which the source reserves for that very
    situation, was only a row of "Referenced by"."""
    from iakg.present.html.pages import Pages

    page = Pages(graph).resource("https://w3id.org/iakg/id/pnet-suspected-recurrence")
    assert page is not None
    start = page.index("Studies the source reserves for a situation")
    section = page[start:page.index("</ul>", start)]
    assert "DOTATATE PET/CT</a> (the source: “best reserved for”)" in section
    assert "not a rating" in section
