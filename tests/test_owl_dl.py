"""The ontology, alone and with the shipped data, is OWL 2 DL: a real DL reasoner (HermiT, bundled with
owlready2) loads it and finds it consistent; every term used is declared; every data property takes literals
of the OWL 2 datatype map and every object property individuals (HermiT itself does not check that typing:
it silently puns a data property used with an IRI, so the test does)."""

from __future__ import annotations

import os
import shutil

import pytest
import rdflib
from conftest import FIXTURES
from rdflib.namespace import OWL, RDF, RDFS, XSD

from iakg import resources

BUILTIN = (str(RDF), str(RDFS), str(OWL), str(XSD))


def _reasoner_available() -> None:
    missing = []
    if shutil.which("java") is None:
        missing.append("java (apt-get install default-jre-headless)")
    try:
        import owlready2  # noqa: F401
    except ImportError:
        missing.append("owlready2 (pip install owlready2)")
    if missing:
        reason = "the DL reasoner needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(reason + ": CI must install it (.ci/run)")
        pytest.skip(reason)


@pytest.mark.parametrize("with_data", [False, True], ids=["ontology", "ontology-and-shipped-data"])
def test_ontology_is_consistent_in_hermit(tmp_path, with_data):
    _reasoner_available()
    import owlready2

    owlready2.reasoning.JAVA_MEMORY = 500
    path = tmp_path / "iakg.nt"
    merged = rdflib.Graph().parse(resources.ONTOLOGY_FILE)
    for data in resources.data_files() if with_data else []:
        merged.parse(data)
    merged.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    ontology = world.get_ontology(path.as_uri()).load(format="ntriples")
    with ontology:
        # raises OwlReadyInconsistentOntologyError if inconsistent; HermiT refuses non-DL input (e.g. a
        # datatype outside the OWL 2 datatype map) with an error
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert list(world.inconsistent_classes()) == []
    assert len(list(ontology.classes())) > 40


def test_every_term_used_is_declared():
    """OWL 2 DL needs every property and class used to be declared (PROV, SKOS and DCTERMS terms too)."""
    ontology = rdflib.Graph().parse(resources.ONTOLOGY_FILE)
    data = rdflib.Graph()
    for path in sorted(resources.DATA_DIR.glob("*.ttl")):
        data.parse(path)
    declared = set(ontology.subjects(RDF.type, None))
    used = set(ontology.predicates()) | set(data.predicates()) | set(data.objects(None, RDF.type))
    missing = sorted(str(t) for t in used if not str(t).startswith(BUILTIN) and t not in declared)
    assert missing == []


def test_no_datatype_outside_the_owl2_map_in_ranges():
    ontology = rdflib.Graph().parse(resources.ONTOLOGY_FILE)
    assert not list(ontology.subjects(RDFS.range, XSD.date))


def test_no_label_shared_by_a_class_and_a_property():
    ontology = rdflib.Graph().parse(resources.ONTOLOGY_FILE)
    labels: dict[str, set] = {}
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty):
        for term in ontology.subjects(RDF.type, kind):
            for label in ontology.objects(term, RDFS.label):
                labels.setdefault(str(label).lower(), set()).add(term)
    assert {k: v for k, v in labels.items() if len(v) > 1} == {}


#: the OWL 2 datatype map (OWL 2 Structural Specification, section 4), plus rdf:langString: RDF 1.1's name for
#: a language-tagged literal, which OWL 2 tools read as rdf:PlainLiteral
OWL2_DATATYPES = {OWL.real, OWL.rational, RDF.PlainLiteral, RDF.XMLLiteral, RDFS.Literal, RDF.langString} | {
    XSD[name] for name in (
        "decimal integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger long int short "
        "byte unsignedLong unsignedInt unsignedShort unsignedByte double float string normalizedString token "
        "language Name NCName NMTOKEN boolean hexBinary base64Binary anyURI dateTime dateTimeStamp").split()}


def _typing_errors(ontology: rdflib.Graph, data: rdflib.Graph) -> list[str]:
    """What breaks OWL 2 DL's typing of properties in ``data``: a data property with a non-literal value or a
    literal outside the datatype map, an object property with a literal value, a property of two kinds."""
    kinds = {kind: set(ontology.subjects(RDF.type, kind))
             for kind in (OWL.DatatypeProperty, OWL.ObjectProperty, OWL.AnnotationProperty)}
    errors = [f"{p} is declared both {a} and {b}" for a in kinds for b in kinds if str(a) < str(b)
              for p in kinds[a] & kinds[b]]
    for s, p, o in data:
        if p in kinds[OWL.DatatypeProperty]:
            if not isinstance(o, rdflib.Literal):
                errors.append(f"data property {p} takes the non-literal {o} (on {s})")
            elif (o.datatype or (RDF.langString if o.language else XSD.string)) not in OWL2_DATATYPES:
                errors.append(f"data property {p} takes {o.n3()}, outside the OWL 2 datatype map (on {s})")
        elif p in kinds[OWL.ObjectProperty] and isinstance(o, rdflib.Literal):
            errors.append(f"object property {p} takes the literal {o.n3()} (on {s})")
    return errors


@pytest.mark.parametrize("files", ["shipped", "fixtures"])
def test_data_keeps_to_the_owl2_dl_typing_of_properties(files):
    ontology = rdflib.Graph().parse(resources.ONTOLOGY_FILE)
    data = rdflib.Graph()
    paths = resources.data_files() if files == "shipped" else sorted(FIXTURES.glob("*.ttl"))
    for path in paths:
        data.parse(path)
    assert len(data) > 100
    assert _typing_errors(ontology, data) == []


def test_the_typing_check_catches_what_hermit_lets_through():
    """A coded value on the literal property (what iakg:expectedConcept was split off for) and an xsd:date on a
    data property are caught."""
    ontology = rdflib.Graph().parse(resources.ONTOLOGY_FILE)
    iakg, ex = rdflib.Namespace("https://w3id.org/iakg/ontology#"), rdflib.Namespace("https://example.org/")
    data = rdflib.Graph()
    data.add((ex.c, iakg.expectedValue, rdflib.URIRef("https://w3id.org/iakg/id/result-positive")))
    data.add((ex.c, iakg.expectedConcept, rdflib.Literal(True)))
    data.add((ex.c, iakg.variantNumber, rdflib.Literal("2026-05-30", datatype=XSD.date)))
    data.add((ex.c, iakg.reviewDate, rdflib.Literal("2026-05-30", datatype=XSD.date)))  # an annotation: fine
    assert sorted(e.split(" takes ")[0] for e in _typing_errors(ontology, data)) == [
        "data property https://w3id.org/iakg/ontology#expectedValue",
        "data property https://w3id.org/iakg/ontology#variantNumber",
        "object property https://w3id.org/iakg/ontology#expectedConcept"]
