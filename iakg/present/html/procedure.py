"""What a procedure's page shows beside its statements: each radiation level on its own scale, and the pitfalls
the source names about ordering it (where the mistake is made, not only under "Referenced by")."""

from __future__ import annotations

from typing import Any

from iakg.rdf.namespaces import IAKG
from iakg.rdf.terms import IRI


def levels_with_their_bands(graph: Any, iri: str, out: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A procedure's statements with each radiation level shown on its own scale: a level's label carries
    the adult band (e.g. "☢☢☢☢ (10-30 mSv)"), which is wrong beside the paediatric level (3-10 mSv)."""
    scales = {IAKG + "radiationLevel": "adult", IAKG + "pediatricRadiationLevel": "pediatric"}
    if not any(r["p"] in scales for r in out):
        return out
    found = graph.procedures(iri)
    if not found:
        return out
    shown = []
    for row in out:
        level = found[0].level_for(scales[row["p"]]) if row["p"] in scales else None
        if level is not None:
            scale = "paediatric" if level.population == "pediatric" else "adult"
            row = {**row, "ol": f"{level.text} ({scale} band)"}
        shown.append(row)
    return shown


def pitfalls_of(graph: Any, procedure: str) -> list[dict[str, Any]]:
    """The pitfalls the source names about ordering ``procedure`` (``order-pitfalls``), one entry per pitfall
    text with the scenarios it is named in (``(iri, label)``): critical ones first."""
    rows = graph.run("order-pitfalls", procedure=IRI(procedure))
    labels = {s.iri: s.label for iri in {r["scenario"] for r in rows} for s in graph.scenarios(iri)}
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = (row["pitfallLabel"], row["consequence"], row["critical"], row["quote"], row["instead"])
        entry = found.setdefault(key, {**row, "scenarios": []})
        entry["scenarios"].append((row["scenario"], labels.get(row["scenario"])))
    return sorted(found.values(), key=lambda e: not e["critical"])
