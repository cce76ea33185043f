"""The reverse of the table importer: topics of the graph written back as the same CSV layout.

Every topic whose scenarios carry variant numbers is written as a header block (the keys the importer reads)
and its rows in variant and source-row order; importing the result gives back the same triples.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from iakg.catalogue import internal
from iakg.errors import KGError
from iakg.io.importers.build import DEFAULT_SCHEMES, NOT_STATED_RIGHTS
from iakg.io.importers.cells import guard, level_text
from iakg.io.importers.table import COLUMNS, META_KEYS
from iakg.io.importers.vocabulary import Concept, Vocabulary
from iakg.rdf.namespaces import IAKGD

HEADER = [names[0] for names in COLUMNS.values()]


def export_tables(engine: Any, topics: list[str] | None = None, delimiter: str = ",") -> str:
    """The table (CSV, or TSV with ``delimiter="\\t"``) of every table-shaped topic, or of ``topics`` (IRIs)."""
    vocab = Vocabulary(engine)
    concepts: dict[str, tuple[str, Concept]] = {iri: (scheme, c) for scheme, cs in vocab.schemes.items()
                                                for iri, c in cs.items()}
    rows: dict[str, list[dict[str, Any]]] = {}
    for r in engine.execute(internal("export-table-rows")).rows():
        rows.setdefault(r["topic"], []).append(r)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    first = True
    for t in engine.execute(internal("export-table-topics")).rows():
        if (topics is not None and t["topic"] not in topics) or t["topic"] not in rows:
            continue
        if not first:
            writer.writerow([])
        first = False
        _write_topic(writer, t, rows[t["topic"]], concepts)
    return out.getvalue()


def _write_topic(writer, t: dict[str, Any], rows: list[dict[str, Any]], concepts: dict) -> None:
    iri = t["topic"]
    ns, _, ident = iri.rpartition("/topic-")
    meta = {"title": t["title"], "id": ident, "description": t["description"], "panel": t["panel"],
            "panel_size": _panel_size(rows), "source": t["source"], "source_url": t["url"], "source_date": t["issued"],
            "source_license": t["license"],
            "source_rights": None if t["rights"] == NOT_STATED_RIGHTS else t["rights"],
            "review_date": t["reviewed"], "publisher": t["publisher"], "disease": t["disease"],
            "disease_definition": t["diseaseDefinition"] if t["diseaseSource"] == t["src"] else None,
            "namespace": None if ns + "/" == IAKGD else ns + "/",
            "test_fixture": "true" if t["fixture"] else None}
    used = {"category_scheme": [r["category"] for r in rows], "level_scheme": [r["adult"] for r in rows]
            + [r["ped"] for r in rows], "soe_scheme": [r["soe"] for r in rows]}
    for key, iris in used.items():
        schemes = {concepts[i][0] for i in iris if i in concepts}
        if len(schemes) == 1 and (scheme := schemes.pop()) != DEFAULT_SCHEMES[key]:
            meta[key] = scheme
    for key, value in meta.items():
        if value not in (None, ""):
            writer.writerow([META_KEYS[key][0], guard(str(value))])
    writer.writerow(HEADER)
    for r in rows:
        def name(i: str | None, pediatric: bool | None = None) -> str:
            if i is None or i not in concepts:
                return ""
            c = concepts[i][1]
            return level_text(c, pediatric) if pediatric is not None else c.label
        heading = f"Variant {r['n']}: {r['population']}. {r['description']}. {r['phase']}."
        category = name(r["category"]) + (" (Disagreement)" if r["disagreement"] else "")
        votes = [r[f"v{i}"] for i in range(1, 10)]
        texts = [heading, r["procedureLabel"], category, name(r["soe"]), name(r["adult"], False), name(r["ped"], True)]
        # text cells are guarded against formula injection; the number cells are numbers (-1 stays -1)
        writer.writerow([*map(guard, texts), _num(r["score"]), _num(r["median"]), *map(_num, votes)])


def _panel_size(rows: list[dict[str, Any]]) -> int | None:
    """The panel size the import checked (every tabulated row's votes sum to it), or None without tabulations."""
    sizes = {sum(int(r[f"v{i}"] or 0) for i in range(1, 10)) for r in rows if r["v1"] is not None}
    sizes.discard(0)
    return sizes.pop() if len(sizes) == 1 else None


def _num(value: Any) -> str:
    return "" if value is None else str(value)


def write_release(release) -> bytes:
    """The ``table`` format (registered by ``iakg.io.formats``): the release's table-shaped topics as CSV."""
    import pyoxigraph as ox

    from iakg.rdf.engine import LocalEngine

    store = ox.Store()
    store.bulk_load(release.nquads, format=ox.RdfFormat.N_QUADS)
    text = export_tables(LocalEngine(store))
    if not text:
        raise KGError("the graph holds no variant table to export (give --data of a topic imported by "
                      "`iakg import table`; see docs/authoring.md)")
    return text.encode("utf-8")
