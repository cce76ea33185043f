"""Procedure names as published ("CT abdomen and pelvis with IV contrast", "Fluoroscopy upper GI series",
"FDG-PET/CT skull base to mid-thigh", "Tc-99m sulfur colloid scan liver") read into the procedure model.

A name is first looked up by label among the graph's procedures; otherwise it is read into its parts with the
graph's own vocabulary (``data/reference.ttl``: modalities, techniques, body regions, contrast uses and
radiopharmaceuticals, each with the labels names use; a table's sidecar may add more) and matched by those
parts; only then is a new procedure made. Every word must be accounted for: a word that is no term of the
vocabulary is reported, never guessed at. Nothing here lists a modality or a region: the words are data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from iakg.io.importers.cells import CellError
from iakg.io.importers.vocabulary import KnownProcedure, Vocabulary, fold

#: words that join the parts of a name and mean nothing by themselves
_CONNECTORS = {"and", "of", "the", "&", "+", "or", "to"}
_SPLIT = re.compile(r"[\s,/;:()\[\]-]+")
_CONTRAST_PHRASE = re.compile(r"\b(?:without and with|without|with)\s+(?:\S+\s+){0,2}?contrast\b")


@dataclass
class ParsedName:
    """A procedure name's parts, as IRIs of the graph (``procedure_class`` is the class IRI)."""

    procedure_class: str
    regions: list[str]
    contrast: str | None
    tracer: str | None
    techniques: list[str] = field(default_factory=list)

    def parts(self) -> tuple:
        return (frozenset({self.procedure_class}), frozenset(self.regions), self.contrast, self.tracer,
                frozenset(self.techniques))


def parse(name: str, vocab: Vocabulary) -> ParsedName:
    """Read ``name`` into its parts; raise ``CellError`` naming the part that cannot be read."""
    text = fold(name)
    found: dict[str, list[str]] = {}
    rest: list[str] = []
    at = 0
    for m in vocab.term_pattern().finditer(text):
        kind, iri = vocab.terms[m.group(1)]
        if iri not in found.setdefault(kind, []):
            found[kind].append(iri)
        rest.append(text[at:m.start()])
        at = m.end()
    rest.append(text[at:])
    left = " ".join(w for w in _SPLIT.split(" ".join(rest)) if w and w not in _CONNECTORS)
    if left:
        phrase = _CONTRAST_PHRASE.search(" ".join(rest))
        if phrase and "contrast" in left.split():
            raise CellError(f"cannot read the contrast use {' '.join(phrase.group(0).split())!r} in the procedure "
                            "name; known: " + ", ".join(vocab.terms_of("ContrastUse")))
        raise CellError(f"cannot read {left!r} in the procedure name: not a modality, technique, body region, "
                        "contrast use or radiopharmaceutical of the graph (add it to the sidecar's procedure "
                        "vocabulary, or use an existing procedure's label)")
    for kind, what in (("ImagingModality", "modalities"), ("ContrastUse", "contrast uses"),
                       ("Radiopharmaceutical", "radiopharmaceuticals")):
        if len(found.get(kind, [])) > 1:
            names = " and ".join(repr(vocab.labels.get(i, i)) for i in found[kind])
            raise CellError(f"the procedure name gives two {what} ({names}); a procedure has one")
    classes = [vocab.term_class[i] for i in found.get("ImagingModality", []) if i in vocab.term_class]
    classes = classes or list(dict.fromkeys(vocab.term_class[i] for i in found.get("ImagingTechnique", [])
                                            if i in vocab.term_class))
    if not classes:
        raise CellError("the procedure name names no modality (e.g. CT, MRI, US, PET/CT, radiography, "
                        "fluoroscopy) and no technique that implies one (e.g. VCUG)")
    if len(classes) > 1:
        raise CellError("the procedure name's techniques imply different modalities: name the modality")
    return ParsedName(classes[0], sorted(found.get("BodyRegion", [])), _one(found, "ContrastUse"),
                      _one(found, "Radiopharmaceutical"), sorted(found.get("ImagingTechnique", [])))


def _one(found: dict[str, list[str]], kind: str) -> str | None:
    return found[kind][0] if found.get(kind) else None


def resolve(name: str, vocab: Vocabulary) -> tuple[KnownProcedure | None, ParsedName | None]:
    """The graph's procedure ``name`` denotes (by label, then by parts), or the parts of a new one."""
    known = vocab.procedure_by_label(name)
    if known is not None:
        return known, None
    parsed = parse(name, vocab)
    return vocab.procedure_by_parts(parsed.parts()), parsed
