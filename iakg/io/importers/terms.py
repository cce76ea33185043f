"""The procedure words a table adds in its header or sidecar (``Technique terms``, ``Region terms``...): new
concepts written into the topic's own file, or other labels of known terms."""

from __future__ import annotations

import re
from typing import Any

from iakg.io.importers.nodes import N, en, slug
from iakg.io.importers.table import Section
from iakg.io.importers.vocabulary import KnownProcedure, fold
from iakg.rdf.namespaces import IAKG, PROV, RDF, RDFS, SKOS

#: sidecar/header keys that add words to the procedure vocabulary -> the kind of term they add
VOCABULARY_KEYS = {"modality_terms": "ImagingModality", "technique_terms": "ImagingTechnique",
                   "region_terms": "BodyRegion", "contrast_terms": "ContrastUse",
                   "radiopharmaceutical_terms": "Radiopharmaceutical"}

def add_terms(self: Any, topic: Any, section: Section, ns: str, fx) -> None:
    """The procedure words a table adds (``Technique terms: upper GI series = fluoroscopy; ...``): a bare
    term is a new concept of its kind (a technique may name the modality it implies after ``=``); ``X = Y``
    otherwise makes X another label of the known term Y. New concepts are written into the topic's file,
    in a scheme of their own, so later commands need no extra file. (``self`` is the table's Builder.)"""
    scheme = f"{ns}procedure-terms-{topic.slug}"
    for key, kind in VOCABULARY_KEYS.items():
        cell = section.meta.get(key)
        if cell is None or not cell.text:
            continue
        for entry in (e.strip() for e in re.split(r"[;\n]", cell.text)):
            if not entry:
                continue
            term, _, means = (s.strip() for s in entry.partition("="))
            target = self.vocab.terms.get(fold(means)) if means else None
            if means and target is None:
                self._err(section, cell, f"{means!r} (in {entry!r}) is no term of the procedure vocabulary")
                continue
            if target is not None and target[0] == kind:  # another label of a known term
                topic.add(target[1], SKOS + "altLabel", en(term))
                self.vocab.add_term(kind, term, target[1])
                continue
            if kind == "ImagingModality":
                self._err(section, cell, f"a new modality needs a procedure class: write {term!r} = a known "
                                         "modality (e.g. CT) to name one")
                continue
            if target is not None and not (kind == "ImagingTechnique" and target[0] == "ImagingModality"):
                self._err(section, cell, f"{means!r} is a {target[0]}, not a {kind}")
                continue
            iri = f"{ns}{slug(term)}"
            if topic.subjects.get(scheme) is None:
                topic.add(scheme, RDF + "type", N(SKOS + "ConceptScheme"))
                topic.add(scheme, RDFS + "label", en(f"Procedure terms of {topic.title}"))
            topic.add(iri, RDF + "type", N(IAKG + kind))
            topic.add(iri, RDFS + "label", en(term))
            topic.add(iri, SKOS + "prefLabel", en(term))
            topic.add(iri, SKOS + "inScheme", N(scheme))
            procedure_class = self.vocab.term_class.get(target[1]) if target else None
            if procedure_class:
                topic.add(iri, IAKG + "procedureClass", N(procedure_class))
            fx(iri)
            self.vocab.add_term(kind, term, iri, procedure_class)



def new_procedure(self: Any, topic: Any, name: str, parsed, ns: str, src: str, fx) -> str:
    """A procedure made from a name's parts, described in the topic; later rows and topics match it."""
    label = " ".join(name.split())
    iri = ns + slug(label)
    topic.add(iri, RDF + "type", N(parsed.procedure_class))
    topic.add(iri, RDFS + "label", en(label))
    for region in parsed.regions:
        topic.add(iri, IAKG + "bodyRegion", N(region))
    for technique in parsed.techniques:
        topic.add(iri, IAKG + "technique", N(technique))
    if parsed.contrast:
        topic.add(iri, IAKG + "contrastUse", N(parsed.contrast))
    if parsed.tracer:
        topic.add(iri, IAKG + "radiopharmaceutical", N(parsed.tracer))
    topic.add(iri, PROV + "wasDerivedFrom", N(src))
    fx(iri)
    self.vocab.add_procedure(KnownProcedure(iri, label, {parsed.procedure_class}, set(parsed.regions),
                                            parsed.contrast, parsed.tracer, techniques=set(parsed.techniques)))
    return iri

