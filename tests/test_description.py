"""The build's VoID/DCAT description against the files it describes: every count recounted from the dumps,
one distribution per dump (size, media type, an absolute download URL naming the file), readable as written
(no base IRI needed)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from iakg.io.formats import FORMATS
from iakg.io.release import DEFAULT_BASE, build

VOID, DCAT = "http://rdfs.org/ns/void#", "http://www.w3.org/ns/dcat#"
DATASET = ox.NamedNode("https://w3id.org/iakg/dataset")


@pytest.fixture(scope="module")
def dist(graph, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "dist"
    build(graph, out)
    return out


@pytest.fixture(scope="module")
def void(dist) -> ox.Store:
    store = ox.Store()  # as any reader gets it: no base IRI given (a relative link would not parse)
    store.extend(ox.parse(path=str(dist / "void.ttl"), format=ox.RdfFormat.TURTLE))
    return store


def one(store: ox.Store, subject, predicate: str):
    [value] = [q.object for q in store.quads_for_pattern(subject, ox.NamedNode(predicate), None)]
    return value


def test_void_counts_match_every_dump(dist, void):
    triples = int(one(void, DATASET, VOID + "triples").value)
    entities = int(one(void, DATASET, VOID + "entities").value)
    space = one(void, DATASET, VOID + "uriSpace").value
    assert triples == len((dist / "iakg.nt").read_bytes().splitlines())
    for name, fmt in FORMATS.items():
        if not (fmt.in_release and fmt.rdf):
            continue
        parsed = {(q.subject, q.predicate, q.object) for q in ox.parse(
            path=str(dist / f"iakg.{fmt.extension}"), format=ox.RdfFormat.from_extension(fmt.extension))}
        assert len(parsed) == triples, name  # blank nodes keep their labels within one file
        described = {s.value for s, _, _ in parsed if isinstance(s, ox.NamedNode) and s.value.startswith(space)}
        assert len(described) == entities, name
        assert (DATASET, ox.NamedNode(VOID + "triples"), one(void, DATASET, VOID + "triples")) in parsed


def test_one_distribution_per_dump_with_its_size_and_url(dist, void, graph):
    """Without --base-url the download URLs are under the project's release space, by dataset version."""
    dumps = {f"iakg.{f.extension}": f for _, f in FORMATS.items() if f.in_release and f.rdf}
    base = DEFAULT_BASE.format(version=graph.release().identity.version)
    assert base.startswith("https://w3id.org/iakg/release/") and base.endswith("/")
    seen = {}
    for quad in void.quads_for_pattern(DATASET, ox.NamedNode(DCAT + "distribution"), None):
        url = one(void, quad.object, DCAT + "downloadURL").value
        assert url.startswith(base)
        path = dist / url.removeprefix(base)
        assert path.name in dumps and path.is_file()
        assert int(one(void, quad.object, DCAT + "byteSize").value) == path.stat().st_size
        assert one(void, quad.object, DCAT + "mediaType").value.endswith("/" + dumps[path.name].media_type)
        seen[path.name] = url
    assert set(seen) == set(dumps)
    data_dumps = {q.object.value for q in void.quads_for_pattern(DATASET, ox.NamedNode(VOID + "dataDump"), None)}
    assert data_dumps == set(seen.values())
    assert f"<{base}iakg.ttl>" in (dist / "void.ttl").read_text() and "@base" not in (dist / "void.ttl").read_text()


def test_publisher_keywords_and_no_invented_contact(void):
    from iakg.io.description import _project

    publisher = one(void, DATASET, "http://purl.org/dc/terms/publisher")
    name, urls = _project()
    assert one(void, publisher, "http://xmlns.com/foaf/0.1/name").value == name == "IAKG contributors"
    keywords = {q.object.value for q in void.quads_for_pattern(DATASET, ox.NamedNode(DCAT + "keyword"), None)}
    assert "Surveillance imaging after pancreatic neuroendocrine tumor resection" in keywords
    schema = {q.object.value for q in void.quads_for_pattern(DATASET, ox.NamedNode("https://schema.org/keywords"),
                                                              None)}
    assert schema == keywords
    contact = list(void.quads_for_pattern(DATASET, ox.NamedNode(DCAT + "contactPoint"), None))
    assert bool(contact) == any(k in urls for k in ("issues", "issue tracker", "bug tracker", "tracker", "bugs"))
    assert "mailto:" not in str(list(void))


def test_base_url_gives_absolute_download_urls(graph, tmp_path):
    build(graph, tmp_path / "dist", base_url="https://example.org/releases/1")
    store = ox.Store()
    store.extend(ox.parse(path=str(tmp_path / "dist" / "void.ttl"), format=ox.RdfFormat.TURTLE))
    urls = {q.object.value for q in store.quads_for_pattern(DATASET, ox.NamedNode(VOID + "dataDump"), None)}
    assert "https://example.org/releases/1/iakg.nq" in urls and len(urls) == 5


def test_contact_point_is_the_listed_issue_tracker(graph, monkeypatch):
    from iakg.io import description

    tracker = "https://tracker.example.org/iakg/issues"
    monkeypatch.setattr(description, "_project", lambda: ("IAKG contributors", {"issues": tracker}))
    store = ox.Store()
    store.extend(graph.release().description().quads())
    contact = one(store, DATASET, DCAT + "contactPoint")
    assert one(store, contact, "http://www.w3.org/2006/vcard/ns#hasURL").value == tracker
