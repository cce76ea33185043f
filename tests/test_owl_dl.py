"""The ontology is OWL 2 DL: a real DL reasoner (HermiT, bundled with owlready2) loads it and finds it
consistent, and every term the ontology and shipped data use is declared."""

from __future__ import annotations

import os
import shutil

import pytest
import rdflib
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


def test_ontology_is_consistent_in_hermit(tmp_path):
    _reasoner_available()
    import owlready2

    owlready2.reasoning.JAVA_MEMORY = 500
    path = tmp_path / "iakg.nt"
    rdflib.Graph().parse(resources.ONTOLOGY_FILE).serialize(path, format="nt", encoding="utf-8")
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
