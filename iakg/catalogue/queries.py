"""The query files: the catalogue's questions (``queries/*.rq``, each with a header of title, description and
parameters) and the internal queries the package runs itself (``queries/internal/*.rq``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from iakg import resources
from iakg.errors import KGError, ParameterError, UnknownNameError
from iakg.rdf.namespaces import IAKG, PREFIXES, QUERY, RDF, RDFS, SCHEMA, SH, XSD, expand
from iakg.rdf.safety import trust
from iakg.rdf.terms import IRI

_HEADER = re.compile(r"^#\s*(title|description|param|example|index):\s*(.*)$")
#: compiled on first use (re caches it): a cold answer need not pay for its Unicode class
_IRI_OK = r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$"




@dataclass(frozen=True)
class Parameter:
    """One bindable variable of a catalogue query."""

    name: str
    type: str  # iri, string, integer, decimal or boolean
    description: str

    @property
    def optional(self) -> bool:
        """Whether the query also answers with this parameter unbound (``(optional`` in its description)."""
        return "(optional" in self.description

    def convert(self, text: str) -> Any:
        """Turn a command-line value into the bound value, or raise ParameterError."""
        if text == "" or re.search(r"[\x00-\x1f]", text):  # one scan in C (a generator per character was ~3 µs)
            raise ParameterError(f"parameter {self.name}: empty value or control character")
        if self.type == "iri":
            return expand_iri(text, self.name)
        if self.type == "integer":
            if not re.fullmatch(r"[+-]?\d{1,18}", text):
                raise ParameterError(f"parameter {self.name}: {text!r} is not an integer")
            return int(text)
        if self.type == "decimal":
            try:
                return Decimal(text)
            except InvalidOperation:
                raise ParameterError(f"parameter {self.name}: {text!r} is not a number") from None
        if self.type == "boolean":
            if text.lower() not in ("true", "false"):
                raise ParameterError(f"parameter {self.name}: {text!r} is not true or false")
            return text.lower() == "true"
        return text


#: IRI schemes written without ``//`` in practice (``urn:uuid:...``, ``mailto:...``): any other ``name:local`` whose
#: name is no prefix of the project is a mistyped prefix (``iakd:x``), never silently an IRI that matches nothing
IRI_SCHEMES = frozenset({"http", "https", "urn", "tag", "mailto", "file", "ftp", "doi", "info", "data", "ark",
                         "did", "geo", "tel", "ni", "ipfs", "ldap", "news", "sip", "xmpp"})


def expand_iri(text: str, what: str = "value") -> IRI:
    """Expand a CURIE with the project's prefixes, or check a full IRI; raise ParameterError if malformed or
    written with a prefix the project does not have (and no IRI scheme in use)."""
    prefix, colon, local = text.partition(":")
    if colon and prefix not in PREFIXES and prefix.lower() not in IRI_SCHEMES and not local.startswith("//") \
            and re.fullmatch(r"[A-Za-z][\w.-]*", prefix):
        import difflib  # only for the message

        close = difflib.get_close_matches(prefix, list(PREFIXES), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}:?" if close else "the prefixes are " + ", ".join(
            f"{p}:" for p in PREFIXES) + " (or give a whole IRI)"
        raise ParameterError(f"{what}: unknown prefix '{prefix}:'; {hint}")
    text = expand(text)
    if len(text) > 2048 or not re.match(_IRI_OK, text):
        raise ParameterError(f"{what}: {text[:80]!r} is not an IRI or a known prefixed name")
    try:
        ox.NamedNode(text)  # the same IRI check the engine applies
    except ValueError as exc:
        raise ParameterError(f"{what}: {text[:80]!r} is not a valid IRI ({exc})") from None
    return IRI(text)


@dataclass(frozen=True)
class CatalogueQuery:
    """A query of the catalogue: its name (file stem), header fields and SPARQL text."""

    name: str
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    example: str
    text: str = field(repr=False)
    path: Path | None = None
    #: the variable a listing query has one row per value of (``# index:`` header): its pages are read from
    #: the listing index (``iakg.catalogue.listing``) when the dataset has one; empty: no index
    index: str = ""

    @cached_property  # read by trust() and description() for every query of every cold command
    def form(self) -> str:
        """The query form: select, ask, construct or describe."""
        return _form(self.text, f"query {self.name}")

    def paged(self, limit: int = 0, offset: int = 0) -> str:
        """The text of a page of a SELECT query's rows: at most ``limit`` (0: every row) after ``offset``.

        The engine stops once the page is full, where the query's order allows it. Catalogue queries end
        with their WHERE group or its solution modifiers, never with LIMIT, OFFSET or VALUES (tested)."""
        if self.form != "select" or (limit == 0 and offset == 0):
            return self.text
        return self.text.rstrip() + (f"\nLIMIT {int(limit)}" if limit else "") + (
            f"\nOFFSET {int(offset)}" if offset else "")

    def example_bindings(self) -> dict[str, Any]:
        """The header's example (``name=value ...``) checked and converted like any parameters."""
        return self.bind(dict(pair.split("=", 1) for pair in self.example.split()))

    def bind(self, values: dict[str, Any]) -> dict[str, Any]:
        """Check names against the declared parameters; convert string values to the declared type (an
        ``iri`` parameter takes a full IRI or a prefixed name). Other Python values bind as they are; a
        list, tuple or set binds each of its values (converted likewise), one answer row set per value."""
        declared = {p.name: p for p in self.parameters}
        unknown = [k for k in values if k not in declared]
        if unknown:
            raise ParameterError(f"query {self.name} has no parameter {unknown[0]!r}; it takes: "
                                 + (", ".join(declared) or "none"))
        missing = [p.name for p in self.parameters if not p.optional and values.get(p.name) is None]
        if missing:
            raise ParameterError(f"query {self.name}: required parameter {missing[0]!r} is missing; it takes: "
                                 + ", ".join(f"{p.name}{' (optional)' if p.optional else ''}"
                                             for p in self.parameters))
        return {k: _convert(declared[k], v) for k, v in values.items()}


def _convert(parameter: Parameter, value: Any) -> Any:
    if isinstance(value, str):
        return parameter.convert(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [parameter.convert(v) if isinstance(v, str) else v for v in value]
    return value


def parse_query_file(path: Path) -> CatalogueQuery:
    """Read one ``.rq`` file and its header."""
    text = path.read_text(encoding="utf-8")
    fields: dict[str, list[str]] = {"title": [], "description": [], "param": [], "example": [], "index": []}
    for line in text.splitlines():
        match = _HEADER.match(line)
        if match:
            fields[match.group(1)].append(match.group(2).strip())
    params = []
    for spec in fields["param"]:
        name, ptype, *rest = spec.split(None, 2)
        if ptype not in _PARAM_TYPES:
            raise KGError(f"{path}: parameter {name} has unknown type {ptype!r}; use one of {', '.join(_PARAM_TYPES)}")
        params.append(Parameter(name, ptype, rest[0] if rest else ""))
    return CatalogueQuery(path.stem, (fields["title"] or [path.stem])[0], " ".join(fields["description"]),
                          tuple(params), (fields["example"] or [""])[0], text, path, (fields["index"] or [""])[0])


_PARAM_TYPES = {"iri": XSD + "anyURI", "string": XSD + "string", "integer": XSD + "integer",
                "decimal": XSD + "decimal", "boolean": XSD + "boolean"}


def description(queries: list[CatalogueQuery] | None = None, endpoint: str | None = None) -> str:
    """The catalogue as N-Triples text, each query a ``sh:SPARQLExecutable``.

    This follows the convention of public SPARQL services' example sets, so endpoint users can
    discover the examples with SPARQL; ``endpoint`` becomes each query's ``schema:target``. Terms are
    written by pyoxigraph (checked IRIs, escaped literals); the store loads the text in one call, which
    on the answering path of every command costs a third of making a Python object per triple.
    """
    lines: list[str] = []
    target = str(ox.NamedNode(endpoint)) if endpoint else None
    for query in queries if queries is not None else catalogue().values():
        subject = str(ox.NamedNode(QUERY + query.name))
        form = query.form
        add = lambda p, o, s=subject: lines.append(f"{s} <{p}> {o} .")
        add(RDF + "type", f"<{SH}SPARQLExecutable>")
        add(RDF + "type", f"<{SH}SPARQL{form.capitalize()}Executable>")
        add(RDFS + "label", str(ox.Literal(query.title, language="en")))
        add(RDFS + "comment", str(ox.Literal(query.description, language="en")))
        add(SH + form, str(ox.Literal(query.text)))
        add(SCHEMA + "identifier", str(ox.Literal(query.name)))
        if query.example:
            add(IAKG + "exampleBindings", str(ox.Literal(query.example)))
        if target:
            add(SCHEMA + "target", target)
        for param in query.parameters:
            pnode = str(ox.NamedNode(f"{QUERY}{query.name}#{param.name}"))
            add(IAKG + "queryParameter", pnode)
            lines.extend([f"{pnode} <{IAKG}parameterName> {ox.Literal(param.name)} .",
                      f"{pnode} <{IAKG}parameterType> <{_PARAM_TYPES[param.type]}> .",
                      f"{pnode} <{IAKG}optionalParameter> {ox.Literal(param.optional)} .",
                      f"{pnode} <{RDFS}comment> {ox.Literal(param.description, language='en')} ."])
    return "\n".join(lines) + "\n"


def describe(queries: list[CatalogueQuery] | None = None, endpoint: str | None = None) -> list:
    """The catalogue as RDF triples (pyoxigraph): :func:`description` parsed."""
    return [ox.Triple(q.subject, q.predicate, q.object)
            for q in ox.parse(description(queries, endpoint), format=ox.RdfFormat.N_TRIPLES)]


@lru_cache(maxsize=1)
def catalogue() -> dict[str, CatalogueQuery]:
    """Every shipped query by name (trusted by the safety check without a parse: see ``safety.trust``)."""
    queries = {q.name: q for q in map(parse_query_file, resources.query_files())}
    for query in queries.values():
        trust(query.text, query.form)
    return queries


@cache
def internal(name: str) -> str:
    """The text of ``queries/internal/NAME.rq``: a query the package itself runs (pages, CDS cards, table import
    and export), kept as a file like the catalogue's but not part of it (no parameters header, not listed
    or documented as a question). Trusted by the safety check as the catalogue is (tests/test_cold_start.py
    checks every one)."""
    path = resources.INTERNAL_QUERIES_DIR / f"{name}.rq"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KGError(f"{path}: no such internal query (is the package installed whole?)") from None
    trust(text, _form(text, str(path)))
    return text


def _form(text: str, what: str) -> str:
    """A query's form (select, ask, construct or describe): its first form keyword outside comment and PREFIX
    lines; KGError naming ``what`` if it has none."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("#", "PREFIX", "prefix")))
    found = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", body, re.I)
    if found is None:
        raise KGError(f"{what}: no SELECT, ASK, CONSTRUCT or DESCRIBE")
    return found.group(1).lower()


def get(name: str) -> CatalogueQuery:
    """The shipped query called ``name``; UnknownNameError with close matches if there is none."""
    queries = catalogue()
    if name not in queries:
        import difflib  # only for the message of a name not found

        raise UnknownNameError("query", name, difflib.get_close_matches(name, list(queries), n=5, cutoff=0.4))
    return queries[name]
