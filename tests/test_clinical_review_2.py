"""Clinical review 2 (a radiologist-informatician's second reading of the answers against the article): each
finding the coordinator fixed, asserted where a clinician meets it. Findings fixed in the CDS cards and the
resolver are asserted beside their code (tests/test_clinical_review.py, tests/test_resolve.py)."""

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
