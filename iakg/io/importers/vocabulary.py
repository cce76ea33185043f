"""What a table's words are matched against: the concepts, procedures and organisations already in the graph.

One snapshot per import, read with a few constant queries (no user text ever reaches a query); a table's
scheme names (``Category scheme: iakgd:appropriateness-categories``) select among the snapshot in Python.
Resources created by an earlier topic of the same import are added to it, so a second topic reuses them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from iakg.catalogue import internal
from iakg.rdf.engine import QueryEngine
from iakg.rdf.namespaces import IAKG

#: the kinds of word a procedure name is made of (the classes of the concepts ``import-vocabulary-terms`` reads)
TERM_KINDS = ("ImagingModality", "ImagingTechnique", "BodyRegion", "ContrastUse", "Radiopharmaceutical")


def fold(text: str) -> str:
    """A name as it is compared: case-folded, spaces collapsed."""
    return " ".join(text.casefold().split())


@dataclass
class Concept:
    """A concept of a scheme, with what its table text is matched against."""

    iri: str
    names: set[str] = field(default_factory=set)  #: folded labels and notations
    label: str = ""
    notation: str = ""
    rank: int | None = None
    min_score: int | None = None
    max_score: int | None = None
    types: set[str] = field(default_factory=set)
    adult: tuple[Decimal, Decimal] | None = None
    pediatric: tuple[Decimal, Decimal] | None = None
    range_text: str = ""


@dataclass
class KnownProcedure:
    """An imaging procedure of the graph, with its parsed parts."""

    iri: str
    label: str = ""
    types: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)
    contrast: str | None = None
    tracer: str | None = None
    adult: str | None = None
    pediatric: str | None = None
    techniques: set[str] = field(default_factory=set)

    def parts(self) -> tuple:
        return (frozenset(self.types), frozenset(self.regions), self.contrast, self.tracer,
                frozenset(self.techniques))


class Vocabulary:
    """The graph's concepts (by scheme), procedures and named resources, for matching a table's text."""

    def __init__(self, engine: QueryEngine):
        self.schemes: dict[str, dict[str, Concept]] = {}
        for r in engine.execute(internal("import-vocabulary-concepts")).rows():
            c = self.schemes.setdefault(r["scheme"], {}).setdefault(r["c"], Concept(r["c"]))
            for name in (r["label"], r["pref"], r["notation"]):
                if name:
                    c.names.add(fold(str(name)))
            c.label = c.label or str(r["pref"] or r["label"] or "")
            c.notation = c.notation or str(r["notation"] or "")
            c.rank = r["rank"] if r["rank"] is not None else c.rank
            c.min_score = r["min"] if r["min"] is not None else c.min_score
            c.max_score = r["max"] if r["max"] is not None else c.max_score
            c.range_text = c.range_text or str(r["range"] or "")
            if r["type"]:
                c.types.add(r["type"])
            if r["amin"] is not None and r["amax"] is not None:
                c.adult = (Decimal(str(r["amin"])), Decimal(str(r["amax"])))
            if r["pmin"] is not None and r["pmax"] is not None:
                c.pediatric = (Decimal(str(r["pmin"])), Decimal(str(r["pmax"])))
        self.procedures: dict[str, KnownProcedure] = {}
        for r in engine.execute(internal("import-vocabulary-procedures")).rows():
            p = self.procedures.setdefault(r["p"], KnownProcedure(r["p"]))
            p.label = p.label or str(r["label"] or "")
            if r["type"] != IAKG + "ImagingProcedure":
                p.types.add(r["type"])
            if r["region"]:
                p.regions.add(r["region"])
            p.contrast = p.contrast or r["contrast"]
            p.tracer = p.tracer or r["tracer"]
            if r["technique"]:
                p.techniques.add(r["technique"])
            p.adult = p.adult or r["adult"]
            p.pediatric = p.pediatric or r["ped"]
        self.named: dict[str, dict[str, str]] = {}  # kind local name -> folded name -> IRI
        self.labels: dict[str, str] = {}  # IRI -> label
        for r in engine.execute(internal("import-vocabulary-named")).rows():
            kind = r["kind"].rsplit("#", 1)[-1]
            for name in (r["label"], r["notation"]):
                if name:
                    self.named.setdefault(kind, {}).setdefault(fold(str(name)), r["x"])
            if r["label"]:
                self.labels.setdefault(r["x"], str(r["label"]))
        #: the words of procedure names: folded label -> (kind, IRI); and the procedure class a term makes
        self.terms: dict[str, tuple[str, str]] = {}
        self.term_class: dict[str, str] = {}
        for r in engine.execute(internal("import-vocabulary-terms")).rows():
            kind = r["kind"].rsplit("#", 1)[-1]
            self.add_term(kind, str(r["label"]), r["x"], r["class"])
            if kind == "Radiopharmaceutical" and "(" in str(r["label"]):  # "FDG (fluorine-18 ...)" is also "FDG"
                self.add_term(kind, str(r["label"]).split("(")[0], r["x"], None)
            self.labels.setdefault(r["x"], str(r["label"]))
        self._term_pattern: Any = None
        self._by_label = {fold(p.label): p for p in self.procedures.values() if p.label}
        self._by_parts = {p.parts(): p for p in self.procedures.values() if p.types}

    def concept(self, scheme: str, text: str) -> Concept | None:
        """The concept of ``scheme`` one of whose labels or notation is ``text`` (case-insensitive)."""
        needle = fold(text)
        for c in self.schemes.get(scheme, {}).values():
            if needle in c.names:
                return c
        return None

    def choices(self, scheme: str) -> list[str]:
        """The labels a cell of ``scheme`` may hold, in rank order (for the error message)."""
        concepts = sorted(self.schemes.get(scheme, {}).values(), key=lambda c: (c.rank is None, c.rank or 0, c.label))
        return [c.notation or c.label for c in concepts]

    def find(self, kind: str, text: str) -> str | None:
        """The resource of class ``iakg:<kind>`` labelled (or noted) ``text``."""
        return self.named.get(kind, {}).get(fold(text))

    def procedure_by_label(self, label: str) -> KnownProcedure | None:
        return self._by_label.get(fold(label))

    def procedure_by_parts(self, parts: tuple) -> KnownProcedure | None:
        return self._by_parts.get(parts)

    def add_procedure(self, proc: KnownProcedure) -> None:
        """A procedure created by this import: later rows and topics match it."""
        self.procedures[proc.iri] = proc
        self._by_label.setdefault(fold(proc.label), proc)
        self._by_parts.setdefault(proc.parts(), proc)

    def add_term(self, kind: str, label: str, iri: str, procedure_class: str | None = None) -> None:
        """A word procedure names may use (``kind`` is one of :data:`TERM_KINDS`); the first meaning given wins."""
        folded = fold(label)
        if folded and folded not in self.terms:
            self.terms[folded] = (kind, iri)
            self._term_pattern = None
        if procedure_class:
            self.term_class.setdefault(iri, procedure_class)

    def term_pattern(self) -> Any:
        """One regular expression matching any term as whole words, the longest term first at each place."""
        if self._term_pattern is None:
            words = sorted(self.terms, key=len, reverse=True)
            self._term_pattern = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, words)) + r")(?![\w])")
        return self._term_pattern

    def terms_of(self, kind: str) -> list[str]:
        """The labels of ``kind`` terms (for an error message)."""
        return sorted(label for label, (k, _) in self.terms.items() if k == kind)

    def add_named(self, kind: str, label: str, iri: str) -> None:
        self.named.setdefault(kind, {}).setdefault(fold(label), iri)
        self.labels.setdefault(iri, label)
