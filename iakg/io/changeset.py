"""The statement-level delta between two releases, and its RDF form: a changeset that, applied to the old
release, gives the new one (isomorphic: blank nodes included).

Ground statements are compared as they are. Blank nodes have no identity outside their document, so the
statements that hold them are compared as *molecules*: the blank nodes connected through statements, with
every statement that touches them, each canonicalised on its own (RDFC-1.0); a molecule of the old release
with no identical one in the new is removed whole, one of the new with none in the old is added whole.

The RDF form uses the Talis Changeset vocabulary (``cs:``, http://purl.org/vocab/changeset/schema#): one
``cs:ChangeSet`` per resource changed (``cs:subjectOfChange``), its ``cs:removal`` and ``cs:addition``
statements reified (``rdf:Statement``; ``iakg:inGraph`` names the statement's graph), ``cs:changeReason``
saying what changed clinically. It is plain RDF (any store loads it, SPARQL queries it), one change set per
resource as the clinical changes are, and reification carries blank nodes: the statements of a molecule
share its blank nodes inside their change set, and applying finds the isomorphic molecule to remove.
docs/releases.md compares it with RDF Patch, PatchR/GUO and PROV.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from iakg.errors import KGError
from iakg.io.changes import Delta, Unit
from iakg.rdf.namespaces import DCTERMS, IAKG, PROV, RDF, RDFS

CS = "http://purl.org/vocab/changeset/schema#"
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def _quads(nquads: bytes, prefix: str) -> list[ox.Quad]:
    """The quads of an N-Quads text, blank nodes renamed with ``prefix`` (so two releases never share one)."""
    out = []
    for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS):
        out.append(_rename(q, prefix) if _blank(q) else q)
    return out


def _rename(q: ox.Quad, prefix: str) -> ox.Quad:
    def term(t):
        return ox.BlankNode(prefix + t.value) if isinstance(t, ox.BlankNode) else t
    return ox.Quad(term(q.subject), q.predicate, term(q.object), term(q.graph_name))


def _blank(q: ox.Quad) -> bool:
    return any(isinstance(t, ox.BlankNode) for t in (q.subject, q.object, q.graph_name))


def molecules(quads: Iterable[ox.Quad]) -> list[list[ox.Quad]]:
    """The statements holding blank nodes, grouped by connected blank nodes."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    holding = [q for q in quads if _blank(q)]
    for q in holding:
        names = [t.value for t in (q.subject, q.object, q.graph_name) if isinstance(t, ox.BlankNode)]
        for other in names[1:]:
            parent[find(other)] = find(names[0])
    groups: dict[str, list[ox.Quad]] = {}
    for q in holding:
        first = next(t.value for t in (q.subject, q.object, q.graph_name) if isinstance(t, ox.BlankNode))
        groups.setdefault(find(first), []).append(q)
    return list(groups.values())


def canonical(quads: Iterable[ox.Quad]) -> str:
    """The RDFC-1.0 canonical N-Quads of ``quads`` (equal for isomorphic datasets)."""
    dataset = ox.Dataset(list(quads))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return "".join(sorted(f"{q}\n" for q in dataset))


def delta(old: bytes, new: bytes) -> Delta:
    """The statements to remove from ``old`` and to add to it to get ``new`` (N-Quads texts), by resource."""
    before, after = _quads(old, "o"), _quads(new, "n")
    ground_before = {q for q in before if not _blank(q)}
    ground_after = {q for q in after if not _blank(q)}
    units: dict[str, Unit] = {}

    def unit(subject: ox.NamedNode | ox.BlankNode) -> Unit:
        return units.setdefault(str(subject), Unit(subject))

    for q in sorted(ground_before - ground_after, key=str):
        unit(q.subject).removed.append(q)  # type: ignore[arg-type]
    for q in sorted(ground_after - ground_before, key=str):
        unit(q.subject).added.append(q)  # type: ignore[arg-type]
    old_molecules: dict[str, list[list[ox.Quad]]] = {}
    for molecule in molecules(before):
        old_molecules.setdefault(canonical(molecule), []).append(molecule)
    new_molecules: dict[str, list[list[ox.Quad]]] = {}
    for molecule in molecules(after):
        new_molecules.setdefault(canonical(molecule), []).append(molecule)
    for key in sorted(old_molecules.keys() | new_molecules.keys()):
        kept = min(len(old_molecules.get(key, [])), len(new_molecules.get(key, [])))
        for molecule in old_molecules.get(key, [])[kept:]:
            unit(_anchor(molecule)).removed.extend(molecule)
        for molecule in new_molecules.get(key, [])[kept:]:
            unit(_anchor(molecule)).added.extend(molecule)
    return Delta([units[k] for k in sorted(units)])


#: the properties that place a blank node's statements under a named resource (a rating under its scenario)
PLACING = tuple(IAKG + p for p in ("ratedScenario", "intervalOf", "branchOf", "inScenario", "caveatOf", "pitfallOf",
                                    "faqOf", "forProcedure", "ratedProcedure"))


def _anchor(molecule: list[ox.Quad]) -> ox.NamedNode | ox.BlankNode:
    """The resource a molecule is about: the first named subject, else what it is placed under (its scenario),
    else the first named object other than a type, else a blank node of its own."""
    named = sorted((q.subject for q in molecule if isinstance(q.subject, ox.NamedNode)), key=str)
    if named:
        return named[0]
    for predicate in PLACING:
        placed = sorted((q.object for q in molecule if q.predicate.value == predicate
                         and isinstance(q.object, ox.NamedNode)), key=str)
        if placed:
            return placed[0]
    objects = sorted((q.object for q in molecule if isinstance(q.object, ox.NamedNode)
                      and q.predicate.value != RDF + "type"), key=str)
    return objects[0] if objects else molecule[0].subject  # type: ignore[return-value]


def rdf(found: Delta, changes: list, old_iri: str, new_iri: str) -> list[ox.Triple]:
    """The changeset (triples) of a delta, with the clinical changes (``iakg.io.diff.Change``) it carries."""
    out: list[ox.Triple] = []

    def add(s, p: str, o) -> None:
        out.append(ox.Triple(s, ox.NamedNode(p), o))

    old, new = ox.NamedNode(old_iri), ox.NamedNode(new_iri)
    add(new, PROV + "wasRevisionOf", old)
    by_subject: dict[str, list] = {}
    for change in changes:
        for subject in change.subjects[:1]:
            by_subject.setdefault(subject, []).append(change)
        node = ox.BlankNode()
        add(new, IAKG + "clinicalChange", node)
        add(node, IAKG + "changeKind", ox.Literal(change.kind))
        add(node, IAKG + "changeAction", ox.Literal(change.action))
        add(node, RDFS + "label", ox.Literal(change.item, language="en"))
        if change.old is not None:
            add(node, IAKG + "oldValue", ox.Literal(change.old))
        if change.new is not None:
            add(node, IAKG + "newValue", ox.Literal(change.new))
        for subject in change.subjects:
            add(node, DCTERMS + "subject", ox.NamedNode(subject))
    for unit in found.units:
        cs = ox.BlankNode()
        add(new, DCTERMS + "hasPart", cs)
        add(cs, RDF + "type", ox.NamedNode(CS + "ChangeSet"))
        add(cs, CS + "subjectOfChange", unit.subject)
        add(cs, CS + "creatorName", ox.Literal("iakg diff"))
        reasons = [f"{c.kind} {c.action}: {c.item}" for c in by_subject.get(unit.subject.value, [])]
        add(cs, CS + "changeReason", ox.Literal("; ".join(reasons) or "statements changed", language="en"))
        for relation, quads in (("removal", unit.removed), ("addition", unit.added)):
            for q in quads:
                statement = ox.BlankNode()
                add(cs, CS + relation, statement)
                add(statement, RDF + "type", ox.NamedNode(RDF + "Statement"))
                add(statement, RDF + "subject", q.subject)
                add(statement, RDF + "predicate", q.predicate)
                add(statement, RDF + "object", q.object)
                if not isinstance(q.graph_name, ox.DefaultGraph):
                    add(statement, IAKG + "inGraph", q.graph_name)
    return out


def apply(changeset: Iterable[ox.Triple], old: bytes) -> list[ox.Quad]:
    """The quads of ``old`` (N-Quads) with a changeset applied. Raises KGError when a statement or molecule to
    remove is not there (the changeset was made for another release)."""
    triples = list(changeset)
    by_subject: dict[Term, dict[str, list[Term]]] = {}
    for t in triples:
        by_subject.setdefault(t.subject, {}).setdefault(t.predicate.value, []).append(t.object)

    def statements(cs, relation: str) -> list[ox.Quad]:
        found = []
        for node in by_subject[cs].get(CS + relation, []):
            parts = by_subject[node]
            graph = parts.get(IAKG + "inGraph", [ox.DefaultGraph()])[0]
            subject, predicate = parts[RDF + "subject"][0], parts[RDF + "predicate"][0]
            if isinstance(subject, ox.Literal) or not isinstance(predicate, ox.NamedNode) \
                    or not isinstance(graph, (ox.NamedNode, ox.BlankNode, ox.DefaultGraph)):
                raise KGError(f"the changeset states a statement that is not RDF ({subject} {predicate})")
            found.append(ox.Quad(subject, predicate, parts[RDF + "object"][0], graph))
        return found

    target = set(_quads(old, "t"))
    available: dict[str, list[list[ox.Quad]]] = {}
    for molecule in molecules(target):
        available.setdefault(canonical(molecule), []).append(molecule)
    additions: list[ox.Quad] = []
    kind = ox.NamedNode(CS + "ChangeSet")
    change_sets = [s for s, props in by_subject.items() if kind in props.get(RDF + "type", [])]
    for cs in change_sets:
        removals = statements(cs, "removal")
        for q in removals:
            if not _blank(q):
                if q not in target:
                    raise KGError(f"the changeset removes a statement the release does not hold: {q}")
                target.discard(q)
        for molecule in molecules(removals):
            matches = available.get(canonical(molecule))
            if not matches:
                raise KGError("the changeset removes blank-node statements the release does not hold, about "
                              f"{_anchor(molecule)}")
            for q in matches.pop():
                target.discard(q)
        additions += statements(cs, "addition")
    return list(target | set(additions))
