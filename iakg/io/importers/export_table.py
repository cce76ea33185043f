"""The reverse of the table importer: every topic of the graph that rates a scenario, written as the same
table layout, from the model's structured fields (never from free text that the import did not write).

A topic is a header block (the keys the importer reads) and its rows, scenario by scenario, in the source's
row order where the import kept it. A scenario's heading is built from its variant number (numbered after the
highest one where the graph has none), its population groups (or none: "not stated"), its description and its
phase of care; the heading's own words are used where the import kept them and they still mean the same
concepts. Hand-authored and imported topics are written alike; importing the result gives back the same cells.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pyoxigraph as ox

from iakg.catalogue import internal
from iakg.errors import KGError
from iakg.io.importers.build import DEFAULT_SCHEMES
from iakg.io.importers.cells import guard, level_text
from iakg.io.importers.sources import NOT_STATED_RIGHTS
from iakg.io.importers.table import COLUMNS, META_KEYS
from iakg.io.importers.terms import VOCABULARY_KEYS
from iakg.io.importers.vocabulary import Concept, Vocabulary, fold
from iakg.rdf.engine import LocalEngine, QueryEngine
from iakg.rdf.namespaces import IAKGD

HEADER = [names[0] for names in COLUMNS.values()]


def export_tables(engine: QueryEngine, topics: list[str] | None = None, delimiter: str = ",") -> str:
    """The table (CSV, or TSV with ``delimiter="\\t"``) of every topic that rates a scenario, or of ``topics``."""
    vocab = Vocabulary(engine)
    concepts: dict[str, tuple[str, Concept]] = {iri: (scheme, c) for scheme, cs in vocab.schemes.items()
                                                for iri, c in cs.items()}
    scenarios: dict[str, dict[str, dict[str, Any]]] = {}
    for r in engine.execute(internal("export-table-scenarios")).rows():
        s = scenarios.setdefault(r["topic"], {}).setdefault(r["scenario"], dict(r, populations={}))
        if r["population"]:
            s["populations"][r["population"]] = str(r["populationLabel"] or "")
    rows: dict[str, list[dict[str, Any]]] = {}
    for r in engine.execute(internal("export-table-rows")).rows():
        rows.setdefault(r["scenario"], []).append(r)
    terms: dict[str, list[dict[str, Any]]] = {}
    for r in engine.execute(internal("export-table-terms")).rows():
        terms.setdefault(r["scheme"], []).append(r)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    first = True
    for t in engine.execute(internal("export-table-topics")).rows():
        if topics is not None and t["topic"] not in topics:
            continue
        if not first:
            writer.writerow([])
        first = False
        _write_topic(writer, t, _numbered(scenarios.get(t["topic"], {})), rows, concepts, vocab, terms)
    return out.getvalue()


def _numbered(scenarios: dict[str, dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """The scenarios in variant order; one without a variant number is numbered after the highest given."""
    numbered = sorted((s for s in scenarios.values() if s["n"] is not None), key=lambda s: (s["n"], s["scenario"]))
    rest = sorted((s for s in scenarios.values() if s["n"] is None), key=lambda s: s["scenario"])
    top = max((s["n"] for s in numbered), default=0)
    return [(s["n"], s) for s in numbered] + [(top + i, s) for i, s in enumerate(rest, 1)]


def heading(number: int, s: dict[str, Any], vocab: Vocabulary) -> str:
    """A scenario's variant heading from its structured fields."""
    parts = []
    wanted = set(s["populations"])
    text = str(s["populationText"] or "")
    if wanted:
        scheme = _scheme_of(vocab, next(iter(wanted)))
        said = {c.iri for part in _split_population(text) if (c := vocab.concept(scheme, part)) is not None}
        if not (text and said == wanted and len(_split_population(text)) == len(said)):
            labels = sorted(s["populations"].values())
            text = " or ".join([labels[0], *(label.lower() for label in labels[1:])])
        parts.append(text)
    description = " ".join(str(s["description"] or "").split()).rstrip(".")
    if description:
        parts.append(description)
    phase_text = str(s["phaseText"] or "")
    if s["phase"]:
        scheme = _scheme_of(vocab, s["phase"])
        found = vocab.concept(scheme, phase_text) if phase_text else None
        phase = phase_text if found is not None and found.iri == s["phase"] else str(s["phaseLabel"] or "")
        parts.append(phase[:1].upper() + phase[1:])  # a sentence of the heading: "... recurrence. Surveillance."
    elif phase_text:
        parts.append(phase_text[:1].upper() + phase_text[1:])
    return f"Variant {number}: " + ". ".join(p for p in parts if p) + "."


def _split_population(text: str) -> list[str]:
    return [p for p in re.split(r"\s*(?:,|\bor\b|\band\b|/)\s*", text, flags=re.I) if p]


def _scheme_of(vocab: Vocabulary, iri: str) -> str:
    return next((scheme for scheme, cs in vocab.schemes.items() if iri in cs), "")


def _write_topic(writer, t: dict[str, Any], scenarios: list[tuple[int, dict[str, Any]]],
                 rows: dict[str, list[dict[str, Any]]], concepts: dict, vocab: Vocabulary,
                 terms: dict[str, list[dict[str, Any]]]) -> None:
    iri = t["topic"]
    ns, _, ident = iri.rpartition("/topic-")
    if not ns:
        ns, _, ident = iri.rpartition("/")
    ns += "/"
    meta: dict[str, Any] = {
        "title": t["title"], "id": ident, "publisher_topic_id": t["topicId"], "description": t["description"],
        "panel": t["panel"], "panel_size": t["panelSize"], "source": t["source"], "source_url": t["url"],
        "source_date": t["issued"], "source_license": t["license"],
        "source_rights": None if t["rights"] == NOT_STATED_RIGHTS else t["rights"],
        "review_date": t["reviewed"], "publisher": t["publisher"],
        "disease": t["disease"],
        "disease_definition": t["diseaseDefinition"] if t["diseaseSource"] and t["diseaseSource"] == t["src"] else None}
    all_rows = [r for _, s in scenarios for r in rows.get(s["scenario"], [])]
    used = {"category_scheme": [r["category"] for r in all_rows],
            "level_scheme": [r["adult"] for r in all_rows] + [r["ped"] for r in all_rows],
            "soe_scheme": [r["soe"] for r in all_rows],
            "population_scheme": [p for _, s in scenarios for p in s["populations"]],
            "phase_scheme": [s["phase"] for _, s in scenarios]}
    for key, iris in used.items():
        schemes = {concepts[i][0] for i in iris if i in concepts}
        if len(schemes) == 1 and (scheme := schemes.pop()) != DEFAULT_SCHEMES[key]:
            meta[key] = scheme
    own = terms.get(f"{ns}procedure-terms-{ident}", [])
    for key, kind in VOCABULARY_KEYS.items():
        words = [_term(r, vocab) for r in own if r["kind"].endswith("#" + kind)]
        meta[key] = "; ".join(words) if words else None
    meta["namespace"] = None if ns == IAKGD else ns
    meta["test_fixture"] = "true" if t["fixture"] else None
    for key in META_KEYS:
        value = meta.get(key)
        if value not in (None, ""):
            writer.writerow([META_KEYS[key][0], guard(str(value))])
    writer.writerow(HEADER)

    def name(i: str | None, pediatric: bool | None = None) -> str:
        if i is None or i not in concepts:
            return ""
        c = concepts[i][1]
        return level_text(c, pediatric) if pediatric is not None else c.label

    for number, s in scenarios:
        text = heading(number, s, vocab)
        for i, r in enumerate(rows.get(s["scenario"], [])):
            category = name(r["category"]) + (" (Disagreement)" if r["disagreement"] else "")
            votes = [r[f"v{i}"] for i in range(1, 10)]
            texts = [text if i == 0 else "", r["procedureLabel"], category, name(r["soe"]), name(r["adult"], False),
                     name(r["ped"], True)]
            # text cells are guarded against formula injection; the number cells are numbers (-1 stays -1)
            # a tabulated row without a median printed "n/a" (the source's own way); an untabulated one is empty
            median = "n/a" if r["median"] is None and r["v1"] is not None else _num(r["median"])
            writer.writerow([*map(guard, texts), _num(r["score"]), median, *map(_num, votes)])


def _term(r: dict[str, Any], vocab: Vocabulary) -> str:
    """A table-added term as the sidecar writes it: ``upper GI series = Fluoroscopy`` names the modality it implies."""
    label = str(r["label"])
    if r["class"] and r["kind"].endswith("#ImagingTechnique"):
        modality = next((vocab.labels.get(iri, "") for iri, cls in vocab.term_class.items()
                         if cls == r["class"] and vocab.terms.get(fold(vocab.labels.get(iri, "")), ("",))[0]
                         == "ImagingModality"), "")
        if modality:
            return f"{label} = {modality}"
    return label


def _num(value: Any) -> str:
    return "" if value is None else str(value)


def write_release(release) -> bytes:
    """The ``table`` format (registered by ``iakg.io.formats``): the release's rated topics as CSV."""
    store = ox.Store()
    store.bulk_load(release.nquads, format=ox.RdfFormat.N_QUADS)
    text = export_tables(LocalEngine(store))
    if not text:
        raise KGError("the graph holds no rated topic to export as a table")
    return text.encode("utf-8")
