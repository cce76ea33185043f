"""iakg diff: a fictional pair of releases changed in every kind of clinical fact (tests/fixtures/releases):
every change is found and nothing else (blank nodes relabelled and reordered between the two files), identical
content gives no change, and the RDF changeset applied to the old release gives the new one."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys

import pyoxigraph as ox
import pytest
from conftest import FIXTURES, ROOT

from iakg.io import changeset, notes, releases
from iakg.io.diff import KINDS

PAIR = FIXTURES / "releases"

#: every change between old.trig and new.trig, written by reading the two files (kind, action, item, old, new)
EXPECTED = {
    ("scenario", "added", "Fixture scenario that comes", None, "Fixture scenario that comes"),
    ("scenario", "removed", "Fixture scenario that goes", "Fixture scenario that goes", None),
    ("criterion", "changed", "Fixture scenario A: Criterion one", "inclusion: Criterion one; tests fact x = true",
     "inclusion: Criterion one; tests fact x = false"),
    ("criterion", "added", "Fixture scenario A: Criterion two", None, "inclusion: Criterion two; tests fact x = true"),
    ("procedure", "added", "Fixture ultrasound", None, "Fixture ultrasound"),
    ("rating", "changed", "Fixture CT for Fixture scenario A", "Usually fine, score 8", "Maybe fine, score 6"),
    ("soe", "changed", "Fixture CT for Fixture scenario A", "Limited", "Strong"),
    ("median", "changed", "Fixture MR for Fixture scenario A", "5", "6"),  # a blank-node rating
    ("votes", "changed", "Fixture CT for Fixture scenario A", "1:0 2:0 3:0 4:0 5:0 6:1 7:4 8:9 9:2",
     "1:0 2:0 3:0 4:0 5:1 6:1 7:3 8:9 9:2"),
    ("radiation-adult", "changed", "Fixture CT", "level 3", "level 4"),
    ("radiation-pediatric", "added", "Fixture CT", None, "level 4"),
    ("interval", "changed", "Fixture scenario A: interval for grade one", "12 months for grade one",
     "6-12 months for grade one"),  # a blank-node interval
    ("next-step", "changed", "Fixture scenario A: after any study, positive", "1. Tumour board",
     "1. Tumour board then 2. Biopsy"),
    ("hedge", "removed", "https://example.org/fx-release/rating-ct", "may be considered", None),
    ("evidence", "changed", "Fixture scenario A", "Quote of A, first wording", "Quote of A, second wording"),
    ("code", "changed", "Fixture CT", "11111-1", "22222-2"),
    ("source", "changed", "Fixture CT", "Fixture guideline (fictional)",
     "Fixture guideline (fictional) / Second fixture document (fictional)"),
    ("rights", "changed", "Fixture guideline (fictional)", "Fictional fixture: no rights apply",
     "Fictional fixture: no rights apply, reworded"),
    ("rights", "added", "Second fixture document (fictional)", None,
     "https://creativecommons.org/publicdomain/zero/1.0/"),
}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "iakg", *args], capture_output=True, timeout=300, cwd=ROOT)


def nquads(name: str) -> bytes:
    return ox.serialize(ox.parse(path=str(PAIR / name), format=ox.RdfFormat.TRIG), format=ox.RdfFormat.N_QUADS)


def named(data: bytes) -> notes.Named:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    return notes.Named(data, releases.Identity(digest[7:19], None, None, False), digest)


def relabelled(data: bytes, seed: int) -> bytes:
    """The same dataset with other blank node labels and its lines in another order."""
    quads = list(ox.parse(data, format=ox.RdfFormat.N_QUADS))
    fresh: dict[str, ox.BlankNode] = {}

    def term(t):
        return fresh.setdefault(t.value, ox.BlankNode()) if isinstance(t, ox.BlankNode) else t
    lines = [f"{ox.Quad(term(q.subject), q.predicate, term(q.object), q.graph_name)} .\n" for q in quads]
    random.Random(seed).shuffle(lines)
    return "".join(lines).encode()


@pytest.fixture(scope="module")
def report():
    return notes.compare(named(nquads("old.trig")), named(nquads("new.trig")))


def test_every_change_is_found_and_nothing_else(report):
    found = {(c.kind, c.action, c.item, c.old, c.new) for c in report.changes}
    assert found == EXPECTED
    assert len(report.changes) == len(EXPECTED)  # each once


def test_the_pair_exercises_at_least_twelve_kinds(report):
    kinds = {c.kind for c in report.changes}
    assert len(kinds) >= 12 and kinds == set(KINDS.names())  # every registered kind, in fact


@pytest.mark.parametrize("name", ["old.trig", "new.trig"])
def test_identical_content_gives_no_change(name):
    data = nquads(name)
    for seed in range(3):  # blank nodes relabelled, lines shuffled
        same = notes.compare(named(data), named(relabelled(data, seed)))
        assert same.changes == [] and same.delta.units == []
        assert "No change" in notes.markdown(same)


def test_the_rdf_changeset_applied_to_the_old_release_gives_the_new_one(report):
    text = notes_turtle(report)
    parsed = list(ox.parse(text, format=ox.RdfFormat.TURTLE))  # read back: blank nodes are the document's own
    result = changeset.apply(parsed, nquads("old.trig"))
    assert changeset.canonical(result) == changeset.canonical(ox.parse(nquads("new.trig"), format=ox.RdfFormat.N_QUADS))
    assert changeset.canonical(result) != changeset.canonical(ox.parse(nquads("old.trig"), format=ox.RdfFormat.N_QUADS))


def notes_turtle(report) -> bytes:
    from iakg.rdf.writers import turtle

    return turtle(notes.changeset(report), prefixes=notes.CHANGESET_PREFIXES)


def test_a_changeset_refuses_a_release_it_was_not_made_for(report):
    parsed = list(ox.parse(notes_turtle(report), format=ox.RdfFormat.TURTLE))
    with pytest.raises(Exception, match="does not hold"):
        changeset.apply(parsed, nquads("new.trig"))


def test_the_changeset_carries_the_clinical_changes(report):
    graph = ox.Store()
    graph.load(notes_turtle(report), format=ox.RdfFormat.TURTLE)
    rows = graph.query("""PREFIX iakg: <https://w3id.org/iakg/ontology#>
        SELECT ?kind ?action ?old ?new WHERE { ?release iakg:clinicalChange ?c . ?c iakg:changeKind ?kind ;
        iakg:changeAction ?action OPTIONAL { ?c iakg:oldValue ?old } OPTIONAL { ?c iakg:newValue ?new } }""")
    found = {(r["kind"].value, r["action"].value, r["old"].value if r["old"] else None,
              r["new"].value if r["new"] else None) for r in rows}
    assert found == {(k, a, o, n) for k, a, _, o, n in EXPECTED}
    [reason] = [r["reason"].value for r in graph.query(
        "PREFIX cs: <http://purl.org/vocab/changeset/schema#> SELECT ?reason WHERE { ?cs cs:subjectOfChange "
        "<https://example.org/fx-release/rating-ct> ; cs:changeReason ?reason }")]
    assert "rating changed: Fixture CT for Fixture scenario A" in reason


def test_markdown_and_json_say_the_same(report):
    text = notes.markdown(report)
    data = notes.as_json(report)
    assert len(data["changes"]) == len(EXPECTED)
    for change in data["changes"]:
        cell = change["new"] or change["old"]
        assert cell.replace("|", "\\|") in text
    assert "### Ratings (appropriateness category, score)" in text
    assert data["statements"]["removed"] == len(report.delta.removed) > 0


def test_the_shipped_release_0_2_0_against_the_working_graph_applies_back(graph):
    old = notes.resolve("0.2.0", lambda: b"")
    new_content = graph.release().content()
    found = notes.compare(old, named(new_content))
    parsed = list(ox.parse(notes_turtle(found), format=ox.RdfFormat.TURTLE))
    result = changeset.apply(parsed, old.nquads)
    assert changeset.canonical(result) == changeset.canonical(ox.parse(new_content, format=ox.RdfFormat.N_QUADS))
    # the clinical changes of 0.2.0 -> 0.3.0 the changelog names: a suspected-recurrence scenario, paediatric levels
    assert ("scenario", "added") in {(c.kind, c.action) for c in found.changes}
    pediatric = {c.item: c.new for c in found.changes if c.kind == "radiation-pediatric"}
    assert pediatric.get("CT abdomen and pelvis with IV contrast", "").startswith("☢☢☢☢")


def test_cli_diff_formats_and_errors(tmp_path):
    out = tmp_path / "changes.json"
    done = cli("diff", "0.2.0", "working", "--format", "json", "--out", str(out))
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert data["old"] == {"version": "0.2.0", "released": True, "issued": "2026-11-25",
                           "digest": "sha256:f420e6ed7032f46ffbbb182d6436908e1f04490608e5e75ff3fa7b9334a173a0"}
    same = cli("diff", "0.2.0", "0.2.0")
    assert same.returncode == 0 and b"No change" in same.stdout
    ttl = cli("diff", str(PAIR / "missing.nq"), "0.2.0")
    assert ttl.returncode == 2 and b"Traceback" not in ttl.stderr and len(ttl.stderr.splitlines()) == 1
    bad = tmp_path / "bad.nq"
    bad.write_text("this is not N-Quads\n")
    refused = cli("diff", str(bad))
    assert refused.returncode == 2 and b"Traceback" not in refused.stderr and len(refused.stderr.splitlines()) == 1
