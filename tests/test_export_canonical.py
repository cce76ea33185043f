"""The canonical release, byte for byte, of a small fictional dataset chosen to break a fast path: blank nodes
(one shared by two graphs, a symmetric pair, some in the shapes), "_:" inside a literal and an IRI, literals
that are prefixes of one another, escapes and non-ASCII text, graph IRIs that are prefixes of one another,
and a statement in two graphs. The expected text and figures were written by the earlier, quad-by-quad
implementation: a change of order, labels, escapes or counts fails here (a change on purpose re-records
them and says why)."""

from __future__ import annotations

import hashlib

import pyoxigraph as ox
import pytest

from iakg.io import description, export

EX = "http://example.org/"
SHAPES = b"""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .
"""
DATA = {
    "g": f"""@prefix ex: <{EX}> .
ex:s ex:p "abc", "abc"@en, "abc"^^ex:dt, "abc d", "x .\\n y", "_:b0 in text", "\\u0001 \\u00e9 \\U0001F600" ;
     ex:q <{EX}a_:b>, _:shared .
_:shared a ex:C ; ex:p _:x .
_:x ex:next _:y . _:y ex:next _:x .
ex:t ex:p "both graphs" .""",
    "g2": f"""@prefix ex: <{EX}> .
ex:t ex:p "both graphs" . ex:u ex:p "only g2" .""",
    "g/a": f"""@prefix ex: <{EX}> .
ex:s ex:p "in g/a" .""",
}
DESCRIPTION = b"<https://w3id.org/iakg/graph/description> ."
VOID = "http://rdfs.org/ns/void#"


def store() -> ox.Store:
    store = ox.Store()
    for name, text in DATA.items():
        store.load(text.encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(EX + name))
    shared = next(store.quads_for_pattern(None, ox.NamedNode(EX + "q"), None)).object
    store.add(ox.Quad(shared, ox.NamedNode(EX + "p"), ox.Literal("in g2 too"), ox.NamedNode(EX + "g2")))
    return store


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    shapes = tmp_path_factory.mktemp("shapes") / "shapes.ttl"
    shapes.write_bytes(SHAPES)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(export.resources, "SHAPES_FILE", shapes)
        yield export.build(store(), "0.0.0", "2026-01-01")


def content(text: bytes) -> bytes:
    """The lines of ``text`` outside the description graph (whose publisher comes from the package metadata)."""
    return b"".join(line + b"\n" for line in text.splitlines() if not line.endswith(DESCRIPTION)
                    and not line.startswith(b"<https://w3id.org/iakg/dataset"))


def figures(release) -> dict[str, str]:
    """The description's integer figures by VoID property."""
    description = ox.parse(b"\n".join(line for line in release.nquads.splitlines() if line.endswith(DESCRIPTION)),
                           format=ox.RdfFormat.N_QUADS)
    return {q.predicate.value.removeprefix(VOID): q.object.value for q in description
            if q.subject == ox.NamedNode("https://w3id.org/iakg/dataset")  # not its parts' (void:subset)
            and q.predicate.value.startswith(VOID) and isinstance(q.object, ox.Literal)
            and q.object.datatype.value.endswith("#integer")}


def test_nquads_are_byte_identical_to_the_recorded_release(release):
    assert content(release.nquads).decode() == NQUADS
    [line] = [line for line in release.nquads.splitlines() if b"contentDigest" in line]
    assert f'"sha256:{hashlib.sha256(NQUADS.encode()).hexdigest()}"'.encode() in line


def test_merged_triples_are_byte_identical_to_the_recorded_ones(release):
    assert content(release.triples()).decode() == NTRIPLES
    lines = release.triples().splitlines(keepends=True)
    assert lines == sorted(set(lines))  # sorted, each once


def test_the_description_counts_what_the_dumps_hold(release):
    assert figures(release) == FIGURES
    assert int(FIGURES["triples"]) == len(release.triples().splitlines())


def test_package_metadata_is_read_as_importlib_metadata_reads_it():
    from importlib import metadata

    meta = metadata.metadata("imaging-appropriateness-kg")
    headers = description._metadata_headers()  # the quick reader (importing importlib.metadata takes ~40 ms)
    assert headers is not None
    assert dict(headers) == {key: meta.get_all(key) or [] for key in ("Author", "Project-URL")}


# written by the quad-by-quad implementation (iakg 0.2.0), see the module's docstring
NQUADS = (
    '<http://example.org/s> <http://example.org/p> "in g/a" <http://example.org/g/a> .\n'
    '<http://example.org/t> <http://example.org/p> "both graphs" <http://example.org/g2> .\n'
    '<http://example.org/u> <http://example.org/p> "only g2" <http://example.org/g2> .\n'
    '_:c14n3 <http://example.org/p> "in g2 too" <http://example.org/g2> .\n'
    '<http://example.org/s> <http://example.org/p> "\\u0001 é 😀" <http://example.org/g> .\n'
    '<http://example.org/s> <http://example.org/p> "_:b0 in text" <http://example.org/g> .\n'
    '<http://example.org/s> <http://example.org/p> "abc d" <http://example.org/g> .\n'
    '<http://example.org/s> <http://example.org/p> "abc" <http://example.org/g> .\n'
    '<http://example.org/s> <http://example.org/p> "abc"@en <http://example.org/g> .\n'
    '<http://example.org/s> <http://example.org/p> "abc"^^<http://example.org/dt> <http://example.org/g> .\n'
    '<http://example.org/s> <http://example.org/p> "x .\\n y" <http://example.org/g> .\n'
    "<http://example.org/s> <http://example.org/q> <http://example.org/a_:b> <http://example.org/g> .\n"
    "<http://example.org/s> <http://example.org/q> _:c14n3 <http://example.org/g> .\n"
    '<http://example.org/t> <http://example.org/p> "both graphs" <http://example.org/g> .\n'
    "_:c14n0 <http://example.org/next> _:c14n2 <http://example.org/g> .\n"
    "_:c14n2 <http://example.org/next> _:c14n0 <http://example.org/g> .\n"
    "_:c14n3 <http://example.org/p> _:c14n0 <http://example.org/g> .\n"
    "_:c14n3 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.org/C> <http://example.org/g> .\n"
    "<http://example.org/S> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/shacl#NodeShape> <https://w3id.org/iakg/graph/shapes> .\n"  # noqa: E501
    "<http://example.org/S> <http://www.w3.org/ns/shacl#property> _:c14n1 <https://w3id.org/iakg/graph/shapes> .\n"
    "<http://example.org/S> <http://www.w3.org/ns/shacl#targetClass> <http://example.org/C> <https://w3id.org/iakg/graph/shapes> .\n"  # noqa: E501
    '_:c14n1 <http://www.w3.org/ns/shacl#minCount> "1"^^<http://www.w3.org/2001/XMLSchema#integer> <https://w3id.org/iakg/graph/shapes> .\n'  # noqa: E501
    "_:c14n1 <http://www.w3.org/ns/shacl#path> <http://example.org/p> <https://w3id.org/iakg/graph/shapes> .\n"
)
NTRIPLES = (
    "<http://example.org/S> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/shacl#NodeShape> .\n"  # noqa: E501
    "<http://example.org/S> <http://www.w3.org/ns/shacl#property> _:c14n1 .\n"
    "<http://example.org/S> <http://www.w3.org/ns/shacl#targetClass> <http://example.org/C> .\n"
    '<http://example.org/s> <http://example.org/p> "\\u0001 é 😀" .\n'
    '<http://example.org/s> <http://example.org/p> "_:b0 in text" .\n'
    '<http://example.org/s> <http://example.org/p> "abc d" .\n'
    '<http://example.org/s> <http://example.org/p> "abc" .\n'
    '<http://example.org/s> <http://example.org/p> "abc"@en .\n'
    '<http://example.org/s> <http://example.org/p> "abc"^^<http://example.org/dt> .\n'
    '<http://example.org/s> <http://example.org/p> "in g/a" .\n'
    '<http://example.org/s> <http://example.org/p> "x .\\n y" .\n'
    "<http://example.org/s> <http://example.org/q> <http://example.org/a_:b> .\n"
    "<http://example.org/s> <http://example.org/q> _:c14n3 .\n"
    '<http://example.org/t> <http://example.org/p> "both graphs" .\n'
    '<http://example.org/u> <http://example.org/p> "only g2" .\n'
    "_:c14n0 <http://example.org/next> _:c14n2 .\n"
    '_:c14n1 <http://www.w3.org/ns/shacl#minCount> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    "_:c14n1 <http://www.w3.org/ns/shacl#path> <http://example.org/p> .\n"
    "_:c14n2 <http://example.org/next> _:c14n0 .\n"
    '_:c14n3 <http://example.org/p> "in g2 too" .\n'
    "_:c14n3 <http://example.org/p> _:c14n0 .\n"
    "_:c14n3 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.org/C> .\n"
)
# re-recorded in issue 27, the content's unchanged: the description now states the dataset's rights (dcterms:rights,
# a dcterms:RightsStatement, one void:subset per part: 8 statements, 2 subjects, 3 properties, 1 class)
FIGURES = {"classes": "6", "distinctObjects": "56", "distinctSubjects": "12", "entities": "0",
           "properties": "32", "triples": "61"}

