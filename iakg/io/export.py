"""Exports: the whole dataset as Turtle, N-Triples, JSON-LD, TriG or N-Quads, byte-identical for equal input.

Determinism: blank nodes get RDFC-1.0 canonical labels (the W3C dataset canonicalisation), and quads are
sorted before they are serialised. Losslessness: every triple is written; re-import is isomorphic.
"""

from __future__ import annotations

import bisect
import itertools
import operator
from collections.abc import Callable, Iterator

import pyoxigraph as ox

from iakg import resources
from iakg.catalogue import listing
from iakg.digest import of_chunks
from iakg.io.description import Stats, described, statement, topic_labels
from iakg.io.formats import register
from iakg.io.published import Identity, Release, nquad_of, sort_key
from iakg.io.releases import identity
from iakg.rdf.engine import LocalEngine
from iakg.rdf.namespaces import (
    GRAPH_DESCRIPTION,
    GRAPH_INFERRED,
    GRAPH_LISTING,
    GRAPH_SHAPES,
    PREFIXES,
)
from iakg.rdf.reasoning import materialise
from iakg.version import __version__


def context() -> dict:
    """The JSON-LD context of the exports: the project's prefixes (published as ``context.jsonld``)."""
    return {"@context": dict(PREFIXES)}


@register("ttl", "ttl", "text/turtle")
def _turtle(release: Release) -> bytes:
    from iakg.rdf.writers import turtle  # (imported when used: an N-Triples export needs no writer)

    return turtle(ox.parse(release.triples(), format=ox.RdfFormat.N_TRIPLES))


@register("nt", "nt", "application/n-triples")
def _ntriples(release: Release) -> bytes:
    return release.triples()


@register("jsonld", "jsonld", "application/ld+json")
def _jsonld_format(release: Release) -> bytes:
    from iakg.rdf.writers import jsonld

    return jsonld(ox.parse(release.triples(), format=ox.RdfFormat.N_TRIPLES))


@register("trig", "trig", "application/trig")
def _trig(release: Release) -> bytes:
    return ox.serialize(release.quads(), format=ox.RdfFormat.TRIG, prefixes=PREFIXES) or b""


@register("nq", "nq", "application/n-quads")
def _nquads(release: Release) -> bytes:
    return release.nquads


# table-shaped topics back to their CSV layout: a view of the dataset, not written by `iakg build` (registered
# after the RDF formats, so the order of the choices does not depend on what was imported first)
@register("table", "csv", "text/csv", in_release=False, rdf=False)
def _table(release: Release) -> bytes:
    from iakg.io.importers.export_table import write_release  # the table machinery: only to write one

    return write_release(release)


# the guidance as FHIR clinical practice guidelines: a view (one JSON Bundle, docs/fhir-cpg.md), not in a release
@register("fhir-cpg", "json", "application/fhir+json", in_release=False, rdf=False)
def _fhir_cpg(release: Release) -> bytes:
    import json

    from iakg.fhir.cpg import bundle  # the FHIR machinery: only to write one

    store = ox.Store()
    store.bulk_load(release.nquads, format=ox.RdfFormat.N_QUADS)
    # the resources are content: the dataset's version names them, and its issue date dates them (none while
    # the content is a development version)
    named = release.identity
    version, issued = (named.version, named.issued) if named is not None else (__version__, None)
    resource = bundle(LocalEngine(store), version, issued)
    return (json.dumps(resource, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def release(store: ox.Store, inferred: bool = False, endpoint: str | None = None) -> Release:
    """The release of a dataset store (adding the OWL RL closure first if ``inferred`` and not there yet), its
    version, issue date and prior version those of the recorded release of its content (``iakg.io.releases``)."""
    if inferred and not any(True for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH_INFERRED))):
        materialise(store)
        listing.build(store)  # the closure may add rows to a listing
    return build(store, "", None, inferred, endpoint, identify=identity)


def build(store: ox.Store, version: str, issued: str | None, inferred: bool = False,
          endpoint: str | None = None, prior: str | None = None,
          identify: Callable[[str], Identity] | None = None) -> Release:
    """The release of ``store``: every named graph (the inferred one only if asked; never the derived listing
    index, rebuilt from the content wherever the release is loaded) plus the shipped shapes,
    blank nodes relabelled by RDFC-1.0, sorted, with the VoID/DCAT description computed from it.

    The engine writes each graph as N-Triples; its statements are sorted as bytes. Only the statements that
    mention a blank node are parsed and canonicalised (RDFC-1.0 labels depend on those alone), so a large
    ground graph never becomes Python objects. The store's own description and shapes graphs (a store loaded
    from a release) are replaced by the new description and the shipped shapes.

    ``identify(digest)``, when given, names the release from the digest of its content without the inferred
    closure (version, issue date, prior version) instead of ``version``, ``issued`` and ``prior``.
    """
    skip = {GRAPH_DESCRIPTION, GRAPH_LISTING, GRAPH_SHAPES} | (set() if inferred else {GRAPH_INFERRED})
    graphs = sorted((g for g in store.named_graphs() if not (isinstance(g, ox.NamedNode) and g.value in skip)),
                    key=str)
    lines: dict[str, list[bytes]] = {}  # graph (N-Triples term) -> its statements ("s p o", no " .\n")
    blank: list[ox.Quad] = []
    for graph in graphs:
        if isinstance(graph, ox.BlankNode):  # a blank graph name: the whole graph is canonicalised
            blank += store.quads_for_pattern(None, None, None, graph)
            continue
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph) or b""
        ground = data.split(b" .\n")  # the end of every line and only there: newlines in literals are escaped
        ground.pop()  # after the last line
        if b"_" in data and b"_:" in data:  # perhaps a blank node ("_:" may be in a literal or an IRI too):
            # parse those lines (the first test is a memchr, many times faster than the second's search)
            ground = _take_blank(ground, graph, blank)
        lines[str(graph)] = ground
    shapes = ox.NamedNode(GRAPH_SHAPES)
    shape_triples = list(ox.parse(path=str(resources.SHAPES_FILE), format=ox.RdfFormat.TURTLE))
    ground_shapes = [t for t in shape_triples if not _has_blank(t)]
    lines[str(shapes)] = [statement(t) for t in ground_shapes]
    blank += (ox.Quad(t.subject, t.predicate, t.object, shapes) for t in shape_triples if _has_blank(t))
    dataset = ox.Dataset(blank)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    canonical_shapes = []
    for quad in dataset:
        lines.setdefault(str(quad.graph_name), []).append(statement(quad))
        if quad.graph_name == shapes:
            canonical_shapes.append(quad)
    for graph_lines in lines.values():
        graph_lines.sort()
    order = sorted(lines)
    content_digest = _sha256([(g, lines[g]) for g in order])
    if identify is not None:
        inferred_graph = f"<{GRAPH_INFERRED}>"
        named = identify(content_digest if inferred_graph not in lines else
                         _sha256([(g, lines[g]) for g in order if g != inferred_graph]))
        version, issued, prior, recorded = named.version, named.issued, named.prior, named.recorded
    else:
        recorded = False
    statements = _merged([lines[g] for g in order])
    stats = Stats.of(store, [g for g in graphs if str(g) in lines and str(g) != str(shapes)],
                      [lines[g] for g in order if g != str(shapes)], statements)
    stats.add_content(itertools.chain(canonical_shapes, ground_shapes))
    quads = described(stats, content_digest, version, issued, endpoint, topic_labels(store, skip), prior)
    desc = sorted({statement(q) for q in quads})
    lines[str(ox.NamedNode(GRAPH_DESCRIPTION))] = desc
    for line in desc:  # the description's few statements into the content's (a copy would double the memory)
        at_line = bisect.bisect_left(statements, line)
        if at_line == len(statements) or statements[at_line] != line:
            statements.insert(at_line, line)
    return Release._of([(g, lines[g]) for g in sorted(lines)], statements,
                       Identity(version, issued, prior, recorded))


def _has_blank(quad: ox.Quad | ox.Triple) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def _take_blank(lines: list[bytes], graph: ox.NamedNode, blank: list[ox.Quad]) -> list[bytes]:
    """``lines`` without the statements that have a blank node, which go to ``blank`` as quads of ``graph``."""
    maybe = [i for i, line in enumerate(lines) if b"_:" in line]
    parsed = ox.parse(b" .\n".join(lines[i] for i in maybe) + b" .\n", format=ox.RdfFormat.N_TRIPLES)
    drop = set()
    for i, triple in zip(maybe, parsed, strict=True):  # the engine writes one statement per line
        quad = ox.Quad(triple.subject, triple.predicate, triple.object, graph)
        if _has_blank(quad):
            blank.append(quad)
            drop.add(i)
    return [line for i, line in enumerate(lines) if i not in drop] if drop else lines


def _sha256(graphs: list[tuple[str, list[bytes]]]) -> str:
    """``sha256:HEX`` of the N-Quads of ``graphs`` (graph, its sorted statements), hashed a few thousand lines
    at a time: the text is never held whole (and the pieces stay in the processor's cache)."""
    def chunks() -> Iterator[bytes]:
        for graph, statements in graphs:
            end = f" {graph} .\n".encode()
            for start in range(0, len(statements), 4096):
                yield end.join(statements[start:start + 4096])
                yield end
    return of_chunks(chunks())


def _merged(runs: list[list[bytes]]) -> list[bytes]:
    """Sorted lists merged into one sorted list without repeats (sorting concatenated runs is near linear)."""
    merged = list(itertools.chain.from_iterable(runs))
    merged.sort()
    if any(map(operator.eq, merged, itertools.islice(merged, 1, None))):
        merged = list(dict.fromkeys(merged))
    return merged


def digest(quads) -> str:
    """``sha256:HEX`` of quads (already canonical), as the description's ``iakg:contentDigest`` computes it."""
    return of_chunks(nquad_of(entry).encode("utf-8") for entry in sorted(map(sort_key, quads)))
