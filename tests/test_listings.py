"""Listings and their pages: --limit/--offset everywhere, and the listing index answering exactly the slice of
the whole listing (same rows, same order), falling back to the full query where there is no index."""

from __future__ import annotations

import json
from unittest import mock

import pyoxigraph as ox
import pytest

import iakg
from iakg import catalogue
from iakg.catalogue import listing
from iakg.rdf.namespaces import GRAPH_LISTING, IAKG
from iakg.rdf.rdflib_bridge import asserted_graph

SYN = "https://example.org/fixture/"  # FICTIONAL resources: no guidance, only shapes of a listing


def _listing_file(tmp_path, scenarios: int = 130, shared_topic: bool = False):
    """A fictional graph: ``scenarios`` scenarios over 120 topics, 0-3 ratings each, labels repeating (ties of
    ratings and label are broken by the scenario IRI); ``shared_topic``: one scenario listed by two topics."""
    lines = []
    add = lambda s, p, o: lines.append(f"{s} {p} {o} .")
    label, kind = "<http://www.w3.org/2000/01/rdf-schema#label>", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    for t in range(120):
        add(f"<{SYN}topic-{t}>", kind, f"<{IAKG}Topic>")
        add(f"<{SYN}topic-{t}>", label, f'"Fixture topic {t % 40}"@en')
    for n in range(scenarios):
        s = f"<{SYN}scenario-{n}>"
        add(s, kind, f"<{IAKG}ClinicalScenario>")
        add(s, label, f'"Fixture scenario {n % 17}"@en')
        add(f"<{SYN}topic-{n % 120}>", f"<{IAKG}hasScenario>", s)
        for r in range(n % 4):
            add(f"<{SYN}rating-{n}-{r}>", f"<{IAKG}ratedScenario>", s)
    if shared_topic:
        add(f"<{SYN}topic-1>", f"<{IAKG}hasScenario>", f"<{SYN}scenario-0>")
    path = tmp_path / "listing.nt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(autouse=True, scope="module")
def _index_small_graphs():
    """The fixtures are small: index them as a large dataset is indexed."""
    with mock.patch.object(listing, "INDEX_FROM_BYTES", 0):
        yield


@pytest.fixture(scope="module")
def fixture_graph(tmp_path_factory, _index_small_graphs):
    return iakg.load([_listing_file(tmp_path_factory.mktemp("listing"))])


def _full(graph, name):
    return graph.query(catalogue.get(name).text).bindings


@pytest.mark.parametrize("name", ["scenarios", "topics"])
def test_every_page_is_the_slice_of_the_whole_listing(fixture_graph, name):
    whole = _full(fixture_graph, name)
    assert len(whole) > 100
    query = catalogue.get(name)
    for limit, offset in [(50, 0), (50, 50), (50, 100), (7, 3), (1, len(whole) - 1), (50, len(whole) - 10),
                          (50, len(whole)), (50, len(whole) + 500), (len(whole), 0)]:
        used = listing.page(fixture_graph.engine, query, limit, offset)
        assert used is not None, "the index answers the page"
        assert used.bindings == whole[offset:offset + limit], (limit, offset)
        assert fixture_graph.run_result(name, limit, offset).bindings == whole[offset:offset + limit]


def test_typed_pages_match(fixture_graph):
    every = fixture_graph.scenarios()
    assert fixture_graph.scenarios(limit=20, offset=40) == every[40:60]
    assert fixture_graph.topics(limit=3, offset=2) == fixture_graph.topics()[2:5]
    assert fixture_graph.procedures(limit=2, offset=1) == fixture_graph.procedures()[1:3]
    assert fixture_graph.patient_facts(limit=2, offset=1) == fixture_graph.patient_facts()[1:3]
    assert fixture_graph.run("scenarios", limit=5) == fixture_graph.run("scenarios")[:5]
    with pytest.raises(iakg.KGError):
        fixture_graph.scenarios(limit=-1)


def test_without_the_index_a_page_is_answered_by_the_full_query(tmp_path):
    graph = iakg.load([_listing_file(tmp_path)])
    whole = _full(graph, "scenarios")
    graph.engine.store.clear_graph(ox.NamedNode(GRAPH_LISTING))
    assert listing.page(graph.engine, catalogue.get("scenarios"), 50, 50) is None
    assert graph.run_result("scenarios", 50, 50).bindings == whole[50:100]  # never silently empty


def test_a_listing_with_two_rows_for_one_item_is_not_indexed(tmp_path):
    graph = iakg.load([_listing_file(tmp_path, shared_topic=True)])
    whole = _full(graph, "scenarios")
    assert len(whole) == len({r["scenario"]["value"] for r in whole}) + 1
    assert listing.page(graph.engine, catalogue.get("scenarios"), 50, 0) is None
    assert graph.run_result("scenarios", 50, 100).bindings == whole[100:150]


def test_the_index_is_rebuilt_from_changed_content(tmp_path):
    graph = iakg.load([_listing_file(tmp_path)])
    store = graph.engine.store
    store.update(f"INSERT DATA {{ GRAPH <https://w3id.org/iakg/graph/extra> {{ <{SYN}new> a <{IAKG}ClinicalScenario> ;"
                 f" <http://www.w3.org/2000/01/rdf-schema#label> \"A fixture scenario\"@en }} }}")
    listing.build(store)
    whole = _full(graph, "scenarios")
    assert graph.run_result("scenarios", 50, 50).bindings == whole[50:100]


def test_a_small_graph_loaded_in_memory_is_not_indexed_and_pages_alike(graph):
    with mock.patch.object(listing, "INDEX_FROM_BYTES", 1_000_000):
        small = iakg.load()
    assert listing.page(small.engine, catalogue.get("scenarios"), 2, 1) is None
    assert small.scenarios(limit=2, offset=1) == small.scenarios()[1:3]


def test_the_index_is_derived_never_exported_validated_or_described(tmp_path):
    graph = iakg.load(cache_dir=tmp_path)  # a prepared store is always indexed
    store = graph.engine.store
    assert any(True for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH_LISTING)))
    quads = graph.release_quads()
    derived = {IAKG + name for name in ("listingOf", "listingRows", "listingPosition", "listedItem")}
    assert not any(q.graph_name == ox.NamedNode(GRAPH_LISTING) or q.predicate.value in derived for q in quads)
    assert not any(str(p) in derived for p in asserted_graph(graph.store()).predicates())
    assert graph.validate().conforms
    described = graph.query("DESCRIBE ?s WHERE { }", {"s": iakg.IRI(str(graph.scenarios()[0].iri))}).ntriples
    assert "listing" not in described


def test_cli_pages(graph, capsys):
    from iakg.cli import main

    whole = graph.scenarios()
    assert main(["scenarios", "--limit", "2", "--offset", "3", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [s["iri"] for s in shown] == [s.iri for s in whole[3:5]]
    assert main(["query", "scenarios", "--offset", "5", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]["bindings"]
    assert [r["scenario"]["value"] for r in rows] == [s.iri for s in whole[5:]]


def test_a_release_store_carries_the_index_its_dumps_do_not(tmp_path, graph):
    from iakg.io.release import build
    from iakg.rdf.engine import LocalEngine

    build(graph, tmp_path / "dist")
    served = iakg.KnowledgeGraph(LocalEngine(ox.Store.read_only(str(tmp_path / "dist" / "store"))))
    assert listing.page(served.engine, catalogue.get("scenarios"), 3, 2) is not None
    assert served.scenarios(limit=3, offset=2) == graph.scenarios()[2:5]
    assert b"<https://w3id.org/iakg/graph/listing> .\n" not in (tmp_path / "dist" / "iakg.nq").read_bytes()
    assert b"<https://w3id.org/iakg/query/scenarios#row-0>" not in (tmp_path / "dist" / "iakg.nq").read_bytes()


def test_machine_formats_are_never_cut_and_a_table_says_it_is_a_page(tmp_path, capsys):
    """A listing longer than a page: JSON, CSV and TSV carry every row unless --limit asks; a table shows a
    page and says how many rows there are and how to see them all."""
    from iakg.cli import main

    data = str(_listing_file(tmp_path, scenarios=183))
    every = iakg.load([data]).scenarios()
    assert len(every) > 183  # the fixture's scenarios and the shipped ones
    # (the fixture is a listing's shape, not valid content: the check of what --data adds is not the subject)
    with mock.patch("iakg.rdf.safety.forbid_network"), mock.patch("iakg.cli.registry._refuse_inconsistent"):
        assert main(["scenarios", "--data", data, "--format", "json"]) == 0
        assert len(json.loads(capsys.readouterr().out)) == len(every)
        assert main(["scenarios", "--data", data, "--format", "csv"]) == 0
        assert len(capsys.readouterr().out.splitlines()) == len(every) + 1
        assert main(["query", "scenarios", "--data", data, "--format", "json"]) == 0
        assert len(json.loads(capsys.readouterr().out)["results"]["bindings"]) == len(every)
        assert main(["scenarios", "--data", data, "--format", "json", "--limit", "7"]) == 0
        assert len(json.loads(capsys.readouterr().out)) == 7
        assert main(["scenarios", "--data", data, "--wide"]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[-1] == (f"rows 1-50 of {len(every)}; --all for every row, --limit N --offset 50 for the "
                           "next page")
        assert len(out) == 2 + 50 + 1  # header, rule, the page, the note
        assert main(["query", "scenarios", "--data", data, "--wide", "--offset", "100"]) == 0
        assert capsys.readouterr().out.splitlines()[-1].startswith(f"rows 101-150 of {len(every)}; --all")
        assert main(["query", "scenarios", "--data", data, "--wide", "--offset", "150"]) == 0
        assert capsys.readouterr().out.splitlines()[-1] == (
            f"rows 151-{len(every)} of {len(every)} (the last page); --all for every row")
        assert main(["scenarios", "--data", data, "--wide", "--all"]) == 0
        out = capsys.readouterr().out.splitlines()
        assert len(out) == 2 + len(every) and not out[-1].startswith("rows ")
