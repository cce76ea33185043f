"""Procedure names ("CT abdomen and pelvis with IV contrast", "FDG-PET/CT") read into the procedure model.

A name is first looked up by label among the graph's procedures; otherwise it is read into its parts
(modality, body regions, contrast use and route, radiopharmaceutical) and matched by those parts; only then
is a new procedure made. Every word must be accounted for: a word that is no modality, region, contrast
phrase or known tracer is reported, never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from iakg.io.importers.cells import CellError
from iakg.io.importers.vocabulary import MODALITY_WORDS, KnownProcedure, Vocabulary, fold
from iakg.rdf.namespaces import IAKG

_CONTRAST = re.compile(r"\b(without and with|without|with)\s+([a-z]+\s+)?contrast\b", re.I)
_CONNECTORS = {"and", "of", "the", ",", "/", "&"}
NUCLEAR = {"PETProcedure", "PETCTProcedure", "PETMRIProcedure", "SPECTProcedure", "NuclearMedicineProcedure"}


@dataclass
class ParsedName:
    """A procedure name's parts, as IRIs of the graph."""

    modality: str
    regions: list[str]
    contrast: str | None
    tracer: str | None

    def parts(self) -> tuple[frozenset[str], frozenset[str], str | None, str | None]:
        return frozenset({IAKG + self.modality}), frozenset(self.regions), self.contrast, self.tracer


def parse(name: str, vocab: Vocabulary) -> ParsedName:
    """Read ``name`` into its parts; raise ``CellError`` naming what cannot be read."""
    text = " " + fold(name) + " "
    contrast = None
    m = _CONTRAST.search(text)
    if m:
        phrase = " ".join(m.group(0).split())
        contrast = vocab.find("ContrastUse", phrase)
        if contrast is None:
            known = sorted(vocab.named.get("ContrastUse", {}))
            raise CellError(f"unknown contrast use {phrase!r}; known: " + ", ".join(known))
        text = text[: m.start()] + " " + text[m.end():]
    tracer = None
    for alias in sorted(vocab.named.get("Radiopharmaceutical", {}), key=len, reverse=True):
        at = _word_at(text, alias)
        if at >= 0:
            tracer = vocab.named["Radiopharmaceutical"][alias]
            text = text[:at] + " " + text[at + len(alias):]
            break
    modality = None
    for word, cls in MODALITY_WORDS:
        at = _word_at(text, word)
        if at >= 0:
            modality = cls
            text = text[:at] + " " + text[at + len(word):]
            break
    if modality is None:
        raise CellError("the procedure name names no modality (e.g. CT, MRI, US, PET/CT, radiography)")
    regions = []
    for label in sorted(vocab.named.get("BodyRegion", {}), key=len, reverse=True):
        at = _word_at(text, label)
        while at >= 0:
            regions.append(vocab.named["BodyRegion"][label])
            text = text[:at] + " " + text[at + len(label):]
            at = _word_at(text, label)
    left = [w for w in re.split(r"[\s,/&-]+", text) if w and w not in _CONNECTORS]
    if left:
        raise CellError(f"cannot read {' '.join(left)!r} in the procedure name (not a modality, body region, "
                        "contrast use or radiopharmaceutical of the graph); add the concept or use an existing "
                        "procedure's label")
    if modality in NUCLEAR and tracer is None:
        raise CellError("a nuclear medicine procedure name must name its radiopharmaceutical (e.g. FDG-PET/CT)")
    return ParsedName(modality, sorted(set(regions)), contrast, tracer)


def _word_at(text: str, word: str) -> int:
    """Where ``word`` stands as whole words in ``text`` (-1 if not)."""
    m = re.search(r"(?<![\w])" + re.escape(word) + r"(?![\w])", text)
    return m.start() if m else -1


def resolve(name: str, vocab: Vocabulary) -> tuple[KnownProcedure | None, ParsedName | None]:
    """The graph's procedure ``name`` denotes (by label, then by parts), or the parts of a new one."""
    known = vocab.procedure_by_label(name)
    if known is not None:
        return known, None
    parsed = parse(name, vocab)
    return vocab.procedure_by_parts(parsed.parts()), parsed
