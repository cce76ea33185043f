"""The RDF terms an imported table is written with: IRIs minted from names, literals, and a topic's triples."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from iakg.rdf.namespaces import XSD


def slug(text: str) -> str:
    """The IRI segment minted from a name: lower-case letters and digits, words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold().replace("/", " ")).strip("-")


@functools.lru_cache(maxsize=65536)  # a table names the same few hundred predicates and concepts again and again
def N(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


@functools.lru_cache(maxsize=4096)  # scores, counts and row numbers repeat on every row
def typed(value: object, datatype: str) -> ox.Literal:
    return ox.Literal(str(value), datatype=N(XSD + datatype))


@dataclass
class Topic:
    """The RDF of one imported topic: its triples by subject, in the order they are written."""

    slug: str
    title: str
    subjects: dict[str, list[tuple[str, ox.NamedNode | ox.Literal]]] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)  #: subject IRI -> "file:row:column" of its cell

    def add(self, s: str, p: str, o: ox.NamedNode | ox.Literal) -> None:
        self.subjects.setdefault(s, []).append((p, o))

    def triples(self) -> list[ox.Triple]:
        return [ox.Triple(N(s), N(p), o) for s, pos in self.subjects.items() for p, o in pos]
