"""Resources that share a label, told apart on a page by what the graph says that differs between them (two
indications "DOTATATE PET/CT for ... suspicion of recurrence", one per scenario, read "(in scenario: ...)")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iakg.rdf.namespaces import IAKG, RDF, RDFS, curie
from iakg.rdf.terms import IRI

GROUP_CAP = 20  #: resources sharing a label told apart on a page (beyond: their CURIEs show it)
#: properties that never tell two resources with the same label apart (they restate it, or are provenance)
NOT_DISTINCTIONS = {RDFS + "label", "http://www.w3.org/2004/02/skos/core#definition", IAKG + "evidenceQuote",
                    "http://www.w3.org/ns/prov#wasDerivedFrom", IAKG + "qualifier", RDFS + "comment"}


def told_apart(rows: list[dict[str, Any]], iri: str, label: str,
               describe: Callable[[str], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """``rows`` (each naming a resource in ``row[iri]`` with its label in ``row[label]``) where resources
    that share a label get ``row["apart"]``: what the graph says that tells them apart (a property each
    has one, different, value of, e.g. "in scenario: Routine surveillance..."), else their CURIE.
    ``describe(iri)`` gives a resource's outgoing statements as rows ``p``, ``o``, ``pl``, ``ol``."""
    groups: dict[str, set[str]] = {}
    for row in rows:
        if row.get(label) is not None and isinstance(row.get(iri), IRI):
            groups.setdefault(str(row[label]).casefold(), set()).add(row[iri])
    found: dict[str, str] = {}
    for members in groups.values():
        if 1 < len(members) <= GROUP_CAP:
            found.update(_distinctions(sorted(members), describe))
    return [dict(row, apart=found[row[iri]]) if row.get(iri) in found else row for row in rows]


def _distinctions(members: list[str], describe: Callable[[str], list[dict[str, Any]]]) -> dict[str, str]:
    values: dict[str, dict[str, list[dict[str, Any]]]] = {}  # property -> member -> its values
    for member in members:
        for row in describe(member):
            if row["p"] not in NOT_DISTINCTIONS:
                values.setdefault(row["p"], {}).setdefault(member, []).append(row)
    for prop in sorted(values, key=lambda p: (p == RDF + "type", str(p))):
        found = values[prop]
        if len(found) == len(members) and all(len(v) == 1 for v in found.values()) and \
                len({str(v[0]["o"]) for v in found.values()}) == len(members):
            return {m: f'{found[m][0]["pl"] or curie(prop)}: {_shown(found[m][0]["o"], found[m][0]["ol"])}'
                    for m in members}
    return {m: curie(m) for m in members}


def _shown(value: Any, label: Any) -> str:
    """A value as a short text: a resource by its label (else CURIE), a literal as itself."""
    if label is not None:
        return str(label)
    return curie(str(value)) if isinstance(value, IRI) else str(value)
