"""The published dataset: a release of the graph as sorted canonical N-Quads (graph-major), and its parts.

What a format of the registry (:mod:`iakg.io.formats`) writes; made by :func:`iakg.io.export.release`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from iakg.io.description import RELATIVE_BASE, distributions
from iakg.rdf.namespaces import GRAPH_DESCRIPTION


@dataclass(frozen=True)
class Identity:
    """What the description says of a content: its version, issue date and the version before it."""

    version: str
    issued: str | None  #: None for a development version (not issued)
    prior: str | None  #: the latest recorded version before this one
    recorded: bool


class Release:
    """The published dataset as sorted canonical N-Quads (graph-major), and its serialisations."""

    def __init__(self, nquads: bytes, identity: Identity | None = None):
        self.identity = identity  #: version, issue date and prior version (None: a release read back from text)
        self._nquads: bytes | None = nquads
        self._graphs: list[tuple[str, list[bytes]]] = []  # (graph, its sorted statements), in graph order
        self._statements: list[bytes] | None = None  # every graph's distinct statements, sorted

    @classmethod
    def _of(cls, graphs: list[tuple[str, list[bytes]]], statements: list[bytes], identity: Identity) -> Release:
        """A release from its graphs' sorted statements (N-Triples lines without their " .\n") and all of
        them merged: its N-Quads are written when first asked for (an N-Triples export needs none)."""
        release = cls(b"", identity)
        release._nquads, release._graphs, release._statements = None, graphs, statements
        return release

    @property
    def nquads(self) -> bytes:
        """The N-Quads text: graph by graph, each graph's statements sorted."""
        if self._nquads is None:
            self._nquads = b"".join(graph_block(statements, graph) for graph, statements in self._graphs)
        return self._nquads

    def description(self, dumps: Iterable[tuple[str, str, int]] = (), base: str | None = None) -> Release:
        """The release's VoID/DCAT description graph alone (its N-Quads lines).

        ``dumps``: (file name, media type, size in bytes) of each dump written (``iakg build``): each becomes a
        ``dcat:distribution`` and a ``void:dataDump``, at ``base`` + name (``base`` defaults to
        ``RELATIVE_BASE``, which ``turtle(..., relative_to=RELATIVE_BASE)`` writes as relative references:
        resolved against where the description file is read from). The dumps themselves cannot carry these
        triples (a file cannot state its own size), so the description embedded in them has none.
        """
        graph = f"<{GRAPH_DESCRIPTION}>"
        if self._graphs:
            lines = [line + f" {graph} .\n".encode() for g, statements in self._graphs if g == graph
                     for line in statements]
        else:
            lines = [line + b"\n" for line in self.nquads.splitlines() if line.endswith(f"{graph} .".encode())]
        lines += [nquad_of(sort_key(q)).encode("utf-8") for q in distributions(dumps, base or RELATIVE_BASE)]
        return Release(b"".join(sorted(lines)))

    def content(self) -> bytes:
        """The N-Quads of the content (every graph but the description): the bytes ``iakg:contentDigest`` hashes,
        kept by a recorded release (``iakg.io.releases``)."""
        description = f"<{GRAPH_DESCRIPTION}>"
        if self._graphs:
            return b"".join(graph_block(statements, graph) for graph, statements in self._graphs
                            if graph != description)
        end = f" {description} .".encode()
        return b"".join(line + b"\n" for line in self.nquads.splitlines() if not line.endswith(end))

    def quads(self) -> Iterator[ox.Quad]:
        """The quads, in order (an iterator)."""
        return ox.parse(self.nquads, format=ox.RdfFormat.N_QUADS)

    def triples(self) -> bytes:
        """The graphs merged into sorted N-Triples (duplicates across graphs removed)."""
        if self._statements is not None:
            return joined(self._statements, b" .\n")
        return "".join(sorted({f"{q.subject} {q.predicate} {q.object} .\n" for q in self.quads()})).encode("utf-8")


def graph_block(statements: list[bytes], graph: str) -> bytes:
    """The N-Quads lines of one graph's statements."""
    end = f" {graph} .\n".encode()
    return joined(statements, end)


def joined(lines: list[bytes], end: bytes) -> bytes:
    """``lines`` each followed by ``end``, in one copy (``end.join(lines) + end`` would copy the text twice)."""
    return end.join(itertools.chain(lines, (b"",))) if lines else b""


def sort_key(quad: ox.Quad) -> str:
    """A quad as a sort key: graph first (graph-major order), then its N-Triples statement."""
    return f"{quad.graph_name}\t{quad.subject} {quad.predicate} {quad.object}"


def nquad_of(entry: str) -> str:
    """The N-Quads line of a sort key made by :func:`sort_key`."""
    graph, spo = entry.split("\t", 1)
    return f"{spo} {graph} .\n"
