"""The source document of an imported table: one per source (a later topic of the same source reuses it, found
by URL, then by title), with its licence or rights as the table states them, never an assumed licence."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from iakg.io.importers.nodes import N, Topic, en, typed
from iakg.rdf.namespaces import DCTERMS, IAKG, RDF, RDFS

if TYPE_CHECKING:
    from iakg.io.importers.build import Builder

#: the rights of a source whose table states neither its licence nor its rights (never an assumed licence)
NOT_STATED_RIGHTS = "Not stated in the table's header: the source's own terms apply; no licence is assumed."
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def source_document(builder: Builder, topic: Topic, section: Any, text: dict[str, Any], meta: dict[str, Any],
                    iri: str, publisher: str, fx: Any) -> str:
    """The IRI of the table's source document: one the graph (or an earlier topic) already has, else ``iri``,
    described here."""
    src = (builder.vocab.find("SourceDocument", text.get("source_url", "") or "\0")
           or builder.vocab.find("SourceDocument", text.get("source", "")))
    if src is None:  # a new document, described once; a later topic of the same source reuses it
        src = iri
        topic.add(src, RDF + "type", N(IAKG + "SourceDocument"))
        topic.add(src, RDFS + "label", en(text.get("source", "")))
        topic.add(src, DCTERMS + "title", ox.Literal(text.get("source", "")))
        if text.get("source_url"):
            if not re.match(r"^https?://[^\s<>\"{}|\\^`]+$", text["source_url"]):
                builder._err(section, meta["source_url"], "a source URL is an http(s) address")
            topic.add(src, IAKG + "sourceUrl", typed(text["source_url"], "anyURI"))
            builder.vocab.add_named("SourceDocument", text["source_url"], src)
        if text.get("source_license"):  # a licence IRI the header states; else the rights as written, or none
            if not re.match(r"^https?://\S+$", text["source_license"]):
                builder._err(section, meta["source_license"], "a licence is the http(s) address of the licence")
            topic.add(src, DCTERMS + "license", N(text["source_license"]))
        if text.get("source_rights") or not text.get("source_license"):
            topic.add(src, DCTERMS + "rights", en(text.get("source_rights") or NOT_STATED_RIGHTS))
        for key, prop in (("source_date", DCTERMS + "issued"), ("review_date", IAKG + "reviewDate")):
            if text.get(key):
                if not _DATE.match(text[key]):
                    builder._err(section, meta[key], "a date is written YYYY-MM-DD")
                topic.add(src, prop, typed(text[key], "date"))
        topic.add(src, DCTERMS + "publisher", N(publisher))
        fx(src)
        builder.vocab.add_named("SourceDocument", text.get("source", ""), src)
    return src
