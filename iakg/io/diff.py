"""``iakg diff OLD NEW``: what changed between two releases of the dataset, at the clinical level.

Each kind of clinical fact (a scenario, a criterion, a rating's category or median, a procedure's radiation
level, a surveillance interval, a hedge, an evidence quote, a code, a source...) is read from each release by
a query of ``queries/internal/diff-*.rq`` and identified by what it is about (a rating by its scenario and
procedure, a resource by its IRI; a blank node by what it hangs from: ``diff-anchors.rq``), never by a blank
node's label, which differs from one release to the next. A fact found in the new release only is *added*,
in the old one only *removed*, in both with other values *changed* (old and new values given).

The statement-level delta (every statement added or removed, blank nodes included) is
``iakg.io.changeset``: applied to the old release it gives the new one, and its RDF form carries the
clinical changes. Kinds are a registry (``KINDS``): a new kind is a query and an entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox

from iakg.io.changes import Change
from iakg.rdf.namespaces import IAKG, PROV, SKOS, curie
from iakg.registry import Registry

Columns = dict[str, list]  #: a node's values per query column (terms)
Name = Callable[[object], str]  #: a term as people read it (a label, else a prefixed name or the value)


@dataclass(frozen=True)
class Kind:
    """One kind of clinical fact: the query that reads it, what identifies it, what is compared."""

    name: str
    title: str
    query: str
    key: tuple[str, ...]  #: columns identifying the fact ("node": the resource itself)
    value: tuple[str, ...]  #: columns compared
    item: Callable[[Columns, Name], str]  #: what the fact is about, for people
    show: Callable[[Columns, Name], str] | None = None  #: its value for people (default: the value columns)
    entity: bool = False  #: present whenever the resource is (not only when a value column is)
    predicates: tuple[str, ...] = ()  #: for diff-statements: the predicates of this kind
    holders: tuple[str, ...] = ()  #: columns naming other resources whose statements state the fact


KINDS: Registry[Kind] = Registry("diff kind")


def kind(entry: Kind) -> Kind:
    return KINDS.register(entry.name, entry)


def _names(columns: Columns, name: Name, column: str) -> str:
    return ", ".join(sorted({name(term) for term in columns.get(column, [])}))


def _about(column: str) -> Callable[[Columns, Name], str]:
    return lambda c, n: _names(c, n, column)


def _rating(c: Columns, n: Name) -> str:
    return f"{_names(c, n, 'procedure')} for {_names(c, n, 'scenario')}"


def _show_rating(c: Columns, n: Name) -> str:
    text = _names(c, n, "category") or "no category"
    if any(t.value == "true" for t in c.get("disagreement", [])):
        text += " (Disagreement)"
    return text + (f", score {_names(c, n, 'score')}" if c.get("score") else "")


def _show_criterion(c: Columns, n: Name) -> str:
    test = f"; tests {_names(c, n, 'fact')} = {_names(c, n, 'expected')}" if c.get("fact") else ""
    return f"{_names(c, n, 'kind')}: {_names(c, n, 'label')}{test}"


def _show_interval(c: Columns, n: Name) -> str:
    low, high, months = _names(c, n, "min"), _names(c, n, "max"), _names(c, n, "months")
    span = months or (low if low == high else f"{low}-{high}")
    applies = ", ".join(x for x in (_names(c, n, "grade"), _names(c, n, "stage")) if x)
    joined = " and " if any(t.value == "true" for t in c.get("both", [])) else " or "
    return f"{span} months" + (f" for {applies.replace(', ', joined)}" if applies else "")


def _show_branch(c: Columns, n: Name) -> str:
    steps = sorted({term.value for term in c.get("step", [])})
    link = " or " if any(t.value == "true" for t in c.get("alternatives", [])) else " then "
    return link.join(steps) or "no step"


def _interval(c: Columns, n: Name) -> str:
    named = [t for t in c.get("node", []) if isinstance(t, ox.NamedNode) or n(t) != "an unnamed resource"]
    what = _names({"node": named}, n, "node") if named else "interval for " + ", ".join(
        x for x in (_names(c, n, "grade"), _names(c, n, "stage")) if x)
    return f"{_names(c, n, 'scenario')}: {what}"


def _branch(c: Columns, n: Name) -> str:
    return f"{_names(c, n, 'scenario')}: after {_names(c, n, 'after') or 'any study'}, {_names(c, n, 'result')}"


for _entry in (
    Kind("scenario", "Clinical scenarios", "diff-scenarios", ("node",), ("label",), _about("node"), entity=True),
    Kind("criterion", "Criteria (inclusion and exclusion)", "diff-criteria", ("scenario", "node"),
         ("kind", "label", "fact", "expected"), lambda c, n: f"{_names(c, n, 'scenario')}: {_names(c, n, 'node')}",
         _show_criterion),
    Kind("procedure", "Procedures", "diff-procedures", ("node",), ("label",), _about("node"), entity=True),
    Kind("rating", "Ratings (appropriateness category, score)", "diff-ratings", ("scenario", "procedure"),
         ("category", "disagreement", "score"), _rating, _show_rating),
    Kind("soe", "Strength of evidence", "diff-ratings", ("scenario", "procedure"), ("soe",), _rating),
    Kind("median", "Median of the panel's votes", "diff-ratings", ("scenario", "procedure"), ("median",), _rating),
    Kind("votes", "Panel votes (count per score 1-9)", "diff-ratings", ("scenario", "procedure"), ("votes",),
         _rating),
    Kind("radiation-adult", "Relative radiation level, adult", "diff-radiation", ("node",), ("adult",),
         _about("node"), _about("adultText")),
    Kind("radiation-pediatric", "Relative radiation level, paediatric", "diff-radiation", ("node",),
         ("pediatric",), _about("node"), _about("pediatricText")),
    Kind("interval", "Surveillance intervals", "diff-intervals", ("scenario", "node"),
         ("min", "max", "months", "grade", "stage", "both"), _interval, _show_interval),
    Kind("next-step", "Next-step branches", "diff-branches", ("scenario", "node"), ("step", "alternatives"), _branch,
         _show_branch, holders=("stepNode",)),
    Kind("hedge", "Hedges and qualifiers", "diff-statements", ("node",), ("o",), _about("node"),
         predicates=(IAKG + "qualifier", IAKG + "ratingCondition")),
    Kind("evidence", "Evidence quotes", "diff-statements", ("node",), ("o",), _about("node"),
         predicates=(IAKG + "evidenceQuote",)),
    Kind("code", "Codes", "diff-statements", ("node",), ("o",), _about("node"),
         predicates=tuple(SKOS + p for p in ("notation", "exactMatch", "closeMatch", "broadMatch", "narrowMatch",
                                             "relatedMatch"))),
    Kind("source", "Sources cited", "diff-statements", ("node",), ("o",), _about("node"),
         predicates=(PROV + "wasDerivedFrom", IAKG + "radiationLevelSource", IAKG + "pediatricRadiationLevelSource")),
    Kind("rights", "Licences and rights", "diff-rights", ("node",), ("license", "rights"), _about("node"),
         holders=("statement",)),
):
    kind(_entry)


@dataclass
class _Fact:
    raw: set[tuple[str, str]] = field(default_factory=set)  # (column, term as compared)
    columns: Columns = field(default_factory=dict)
    nodes: set[str] = field(default_factory=set)


class Side:
    """One release loaded for the diff: its store, labels and blank-node identities."""

    def __init__(self, nquads: bytes):
        self.store = ox.Store()
        self.store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
        self.labels: dict[str, str] = {}
        for row in self.select("diff-labels"):
            self.labels.setdefault(str(row["thing"]), row["label"].value)
        anchors: dict[str, list[str]] = {}
        for row in self.select("diff-anchors"):
            if row["from"] is not None:
                anchors.setdefault(str(row["node"]), []).append(f"^{row['p'].value} {row['from'].value}")
            else:
                anchors.setdefault(str(row["node"]), []).append(f"{row['p'].value} {row['o'].value}")
        self.anchors = {node: "[" + "; ".join(sorted(set(found))) + "]" for node, found in anchors.items()}
        self._rows: dict[str, list] = {}

    def select(self, name: str) -> list:
        from iakg.catalogue import internal

        solutions = self.store.query(internal(name), use_default_graph_as_union=True)
        assert isinstance(solutions, ox.QuerySolutions)
        variables = [v.value for v in solutions.variables]
        return [{v: row[v] for v in variables} for row in solutions]

    def rows(self, query: str) -> list:
        if query not in self._rows:
            self._rows[query] = self.select(query)
        return self._rows[query]

    def ident(self, term) -> str:
        """A term as compared across releases: a blank node by its anchors (and label), never its own label."""
        if isinstance(term, ox.BlankNode):
            label = self.labels.get(str(term))
            return "_:" + self.anchors.get(str(term), "[]") + (f" {label!r}" if label else "")
        if isinstance(term, ox.Literal):
            suffix = f"@{term.language}" if term.language else (
                "" if term.datatype.value.endswith("#string") else f"^^{term.datatype.value}")
            return term.value + suffix
        return term.value

    def name(self, term) -> str:
        if isinstance(term, ox.Literal):
            return term.value
        label = self.labels.get(str(term))
        if label:
            return label
        return curie(term.value) if isinstance(term, ox.NamedNode) else "an unnamed resource"

    def facts(self, entry: Kind) -> dict[tuple[str, ...], _Fact]:
        """The facts of one kind in this release, by their identity."""
        by_node: dict[str, Columns] = {}
        for row in self.rows(entry.query):
            if entry.predicates and row["p"].value not in entry.predicates:
                continue
            group = str(row["node"]) + "".join(f"\t{row[c]}" for c in entry.key if c != "node")  # one per key
            columns = by_node.setdefault(group, {"node": [row["node"]]})
            for column, term in row.items():
                if term is not None and column != "node" and term not in columns.setdefault(column, []):
                    columns[column].append(term)
        facts: dict[tuple[str, ...], _Fact] = {}
        for columns in by_node.values():
            raw = {(c, self.ident(t)) for c in entry.value for t in columns.get(c, [])}
            if not raw and not entry.entity:
                continue
            key = tuple("|".join(sorted(self.ident(t) for t in columns.get(c, []))) for c in entry.key)
            fact = facts.setdefault(key, _Fact())
            fact.raw |= raw
            for column, terms in columns.items():
                fact.columns.setdefault(column, []).extend(t for t in terms if t not in fact.columns[column])
            fact.nodes |= {t.value for t in columns["node"] if isinstance(t, ox.NamedNode)}
        return facts


def clinical(old: Side, new: Side) -> list[Change]:
    """Every clinical change from ``old`` to ``new``, kind by kind (in the registry's order), then by item."""
    changes: list[Change] = []
    for name, entry in KINDS.items():
        before, after = old.facts(entry), new.facts(entry)
        found = []
        for key in sorted(before.keys() | after.keys()):
            a, b = before.get(key), after.get(key)
            if a is not None and b is not None and a.raw == b.raw:
                continue
            action = "added" if a is None else "removed" if b is None else "changed"
            item = entry.item((b or a).columns, (new if b else old).name)  # type: ignore[union-attr]
            held = {t.value for f in (a, b) if f is not None for c in entry.key + entry.holders
                    for t in f.columns.get(c, []) if isinstance(t, ox.NamedNode)}
            nodes = (a.nodes if a else set()) | (b.nodes if b else set())
            found.append(Change(name, action, item, _show(entry, a, old), _show(entry, b, new), key,
                                tuple(sorted(nodes)) + tuple(sorted(held - nodes))))
        changes += sorted(found, key=lambda c: (c.item, c.action, c.key))
    return changes


def _show(entry: Kind, fact: _Fact | None, side: Side) -> str | None:
    if fact is None:
        return None
    if entry.show is not None:
        return entry.show(fact.columns, side.name)
    values = [" / ".join(sorted({side.name(t) for t in fact.columns.get(c, [])})) for c in entry.value]
    return "; ".join(v for v in values if v) or "(present)"
