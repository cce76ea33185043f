"""The rights of the released dataset, computed from its sources.

Each source document states its licence (``dcterms:license``) or its rights (``dcterms:rights``, a
``dcterms:RightsStatement`` with a label; the shapes require one). A statement about a resource that cites a
source (``prov:wasDerivedFrom``, or any property whose value is a source document, such as
``iakg:radiationLevelSource``) is under that source's terms; every other statement (the ontology, the shapes,
the query catalogue, what the project writes itself) is under the project's licence, the ontology's
``dcterms:license``. The description gives one ``void:subset`` per part with its terms and size, and a
``dcterms:license`` for the whole dataset only when every part has that one licence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox

from iakg.rdf.namespaces import DATASET_IRI, DCTERMS, GRAPH_DESCRIPTION, RDF, RDFS, VOID, XSD

_NOT_STATED = "not stated"


@dataclass(frozen=True)
class Part:
    """One part of the dataset under one set of terms."""

    iri: str
    title: str
    triples: int
    license: str | None  #: a licence IRI, when one is stated
    rights: str | None  #: the rights statement (an IRI, or the text itself when a source gives a literal)
    rights_text: str  #: what the rights statement says ("not stated" when nothing)
    source: str | None = None  #: the source document (None: the project's own part)
    source_label: str = ""


def parts(store: ox.Store, graphs: list, content_triples: int) -> list[Part]:
    """The project's part and one part per source document of the released ``graphs`` of ``store``
    (``content_triples``: the distinct statements of the content, shapes included)."""
    from iakg.catalogue import internal

    def select(name: str) -> list:
        solutions = store.query(internal(name), default_graph=graphs)
        assert isinstance(solutions, ox.QuerySolutions)
        return list(solutions)

    counts = {row["source"].value: int(row["statements"].value) for row in select("export-rights-counts")}
    [derived] = select("export-rights-derived")
    sources: dict[str, dict] = {}
    project_license = None
    for row in select("export-rights"):
        if row["source"] is None:  # the ontology's licence row
            project_license = _value(row["license"])
            continue
        entry = sources.setdefault(row["source"].value, {"label": _value(row["label"]) or row["source"].value,
                                                         "license": None, "rights": None, "text": None})
        entry["license"] = entry["license"] or _value(row["license"])
        entry["rights"] = entry["rights"] or _value(row["rights"])
        entry["text"] = entry["text"] or _value(row["rightsText"])
    own = content_triples - int(derived["statements"].value)
    out = [Part(f"{DATASET_IRI}#part-project", "The project's own statements: the ontology, the shapes, the query "
                "catalogue and what the project writes itself", own, project_license, None,
                f"licence {project_license}" if project_license else _NOT_STATED)]
    used: set[str] = set()
    for iri, entry in sorted(sources.items()):
        name = _name(iri, used)
        rights = entry["rights"]
        text = entry["text"] or (rights if rights and not _is_iri(rights) else f"see {rights}" if rights else None)
        out.append(Part(f"{DATASET_IRI}#part-{name}", f"Statements derived from: {entry['label']}",
                        counts.get(iri, 0), entry["license"], entry["rights"], text or _NOT_STATED, iri,
                        entry["label"]))
    return out


def summary(all_parts: list[Part]) -> str:
    """The dataset's rights in one paragraph, from its parts."""
    licenses = {part.license for part in all_parts}
    if len(licenses) == 1 and None not in licenses and not any(p.rights for p in all_parts):
        return f"Licence {licenses.pop()}: every part of the dataset is under it."
    project = all_parts[0]
    text = ["Not under one licence.",
            "The project's own statements (the ontology, the shapes, the query catalogue, what the project writes "
            f"itself): {'licence ' + project.license if project.license else 'licence not stated'}."]
    for part in all_parts[1:]:
        licence = f"licence {part.license}" if part.license else "no licence stated"
        text.append(f"Statements derived from {part.source_label}: {licence}; rights: {part.rights_text}")
    return " ".join(text)


def quads(all_parts: list[Part]) -> list[ox.Quad]:
    """The description's statements of the dataset's rights (see the module's docstring)."""
    me, graph = ox.NamedNode(DATASET_IRI), ox.NamedNode(GRAPH_DESCRIPTION)
    statement = ox.NamedNode(DATASET_IRI + "#rights")
    out = [ox.Quad(me, ox.NamedNode(DCTERMS + "rights"), statement, graph),
           ox.Quad(statement, ox.NamedNode(RDF + "type"), ox.NamedNode(DCTERMS + "RightsStatement"), graph),
           ox.Quad(statement, ox.NamedNode(RDFS + "label"), ox.Literal(summary(all_parts), language="en"), graph)]
    licenses = {part.license for part in all_parts}
    single = licenses.pop() if len(licenses) == 1 else None
    if single is not None and not any(p.rights for p in all_parts):
        out.append(ox.Quad(me, ox.NamedNode(DCTERMS + "license"), ox.NamedNode(single), graph))
    for part in all_parts:
        node = ox.NamedNode(part.iri)

        def add(p: str, o, node=node) -> None:
            out.append(ox.Quad(node, ox.NamedNode(p), o, graph))

        out.append(ox.Quad(me, ox.NamedNode(VOID + "subset"), node, graph))
        add(RDF + "type", ox.NamedNode(VOID + "Dataset"))
        add(DCTERMS + "title", ox.Literal(part.title, language="en"))
        add(VOID + "triples", ox.Literal(str(part.triples), datatype=ox.NamedNode(XSD + "integer")))
        if part.source:
            add(DCTERMS + "source", ox.NamedNode(part.source))
        if part.license:
            add(DCTERMS + "license", ox.NamedNode(part.license))
        if part.rights and _is_iri(part.rights):
            add(DCTERMS + "rights", ox.NamedNode(part.rights))
        elif not part.license:  # say so rather than leave a reader to guess
            add(RDFS + "comment", ox.Literal(f"Rights: {part.rights_text}", language="en"))
    return out


def _value(term) -> str | None:
    return None if term is None else term.value


def _is_iri(text: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:[^\s]*$", text)) and " " not in text


def _name(iri: str, used: set[str]) -> str:
    """A readable, unique fragment for a source's part: the IRI's last segment."""
    base = re.sub(r"[^A-Za-z0-9-]+", "-", re.split(r"[/#]", iri.rstrip("/#"))[-1]).strip("-").lower() or "source"
    name, n = base, 2
    while name in used:
        name, n = f"{base}-{n}", n + 1
    used.add(name)
    return name
