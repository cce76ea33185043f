"""The recorded releases of the dataset (``releases/``): which content each dataset version is.

``releases/releases.json`` holds the dataset version the working content is to be released as
(``dataset_version``) and one record per released version: its content digest (``iakg:contentDigest``, the
SHA-256 of the release's canonical N-Quads without the description graph), issue date, the package version
that built it and the file keeping that N-Quads text (``VERSION.nq.gz``, so that a later release can be
compared with it: ``iakg diff``).

The working content's identity follows from them: the declared version if it is recorded with this digest;
else, if the declared version is not recorded yet, a development version ``X.Y.Z-dev+<digest prefix>``
(never two contents under one version); a declared version recorded with another digest is an error that
says what to do (``check``). ``python scripts/release.py record`` records a release (``record``).
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import pyoxigraph as ox

from iakg import resources
from iakg.digest import of_bytes
from iakg.errors import InputError, KGError
from iakg.io.published import Identity
from iakg.rdf.namespaces import DATASET_IRI, DCAT, DCTERMS, IAKG, OWL, RDF, VOID, XSD

INDEX = "releases.json"
_VERSION = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
#: what a developer who changed the content after a release is told (one line)
BUMP = ("set \"dataset_version\" in releases/releases.json to the next version (e.g. {next}); "
        "record it when it is released: python scripts/release.py record")


def folder() -> Path:
    """Where the records are (installed package or source tree)."""
    return resources.ROOT / "releases"


@dataclass(frozen=True)
class Recorded:
    """One released dataset version."""

    version: str
    issued: str  #: YYYY-MM-DD
    digest: str  #: "sha256:HEX" of its content N-Quads (the description's iakg:contentDigest)
    package: str  #: the package version that built it
    file: str  #: its content N-Quads, gzip-compressed, beside releases.json
    commit: str = ""  #: the git commit it was built from, when known
    note: str = ""


def parse_version(text: str) -> tuple[int, int, int]:
    match = _VERSION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a version MAJOR.MINOR.PATCH")
    return int(match[1]), int(match[2]), int(match[3])


def next_patch(version: str) -> str:
    major, minor, patch = parse_version(version)
    return f"{major}.{minor}.{patch + 1}"


def index(where: Path | None = None) -> tuple[str, list[Recorded]]:
    """The declared dataset version and the recorded releases, oldest first (checked)."""
    path = (where or folder()) / INDEX
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        declared = str(data["dataset_version"])
        parse_version(declared)
        records = [Recorded(**entry) for entry in data["releases"]]
        for record in records:
            parse_version(record.version)
            if not _DATE.match(record.issued) or not record.digest.startswith("sha256:"):
                raise ValueError(f"release {record.version}: issued YYYY-MM-DD and a sha256: digest")
    except OSError as exc:
        raise InputError(str(path), f"cannot read the release records: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(str(path), f"unreadable release records: {exc}") from None
    versions = [parse_version(r.version) for r in records]
    if versions != sorted(set(versions)):
        raise InputError(str(path), "releases must be listed oldest first, each version once")
    return declared, records


def identity(digest: str, where: Path | None = None) -> Identity:
    """The identity of a content with ``digest`` (see the module's docstring)."""
    declared, records = index(where)
    by_version = {r.version: r for r in records}
    for i, record in enumerate(records):  # a recorded content is that release, whatever is declared
        if record.digest == digest:
            return Identity(record.version, record.issued, records[i - 1].version if i else None, True)
    prior = records[-1].version if records else None
    if declared in by_version:  # the declared version was released with other content: see check()
        return Identity(f"{next_patch(declared)}-dev+{digest.removeprefix('sha256:')[:12]}", None, declared, False)
    return Identity(f"{declared}-dev+{digest.removeprefix('sha256:')[:12]}", None, prior, False)


def check(digest: str, where: Path | None = None) -> str | None:
    """None if the working content may carry the declared version; else the one-line problem and what to do."""
    declared, records = index(where)
    by_version = {r.version: r for r in records}
    if declared in by_version and by_version[declared].digest != digest:
        return (f"the content changed since dataset {declared} was released ({by_version[declared].digest[:19]}... "
                f"is now {digest[:19]}...): " + BUMP.format(next=next_patch(declared)))
    if records and parse_version(declared) < parse_version(records[-1].version):
        return (f"dataset_version {declared} is older than the last release, {records[-1].version}: "
                + BUMP.format(next=next_patch(records[-1].version)))
    return None


def description(version: str, where: Path | None = None) -> list[ox.Triple]:
    """What the records say about released version ``version`` (none: an empty list), about its version IRI
    ``DATASET_IRI/VERSION`` (the ``owl:priorVersion`` of the release after it): a version of the dataset, its
    version, issue date, content digest and the version before it. Served where that IRI dereferences."""
    _, records = index(where)
    at = next((i for i, r in enumerate(records) if r.version == version), None)
    if at is None:
        return []
    record = records[at]
    me = ox.NamedNode(f"{DATASET_IRI}/{version}")

    def say(predicate: str, value: ox.NamedNode | ox.Literal) -> ox.Triple:
        return ox.Triple(me, ox.NamedNode(predicate), value)

    out = [say(RDF + "type", ox.NamedNode(VOID + "Dataset")), say(RDF + "type", ox.NamedNode(DCAT + "Dataset")),
           say(DCTERMS + "isVersionOf", ox.NamedNode(DATASET_IRI)),
           say(OWL + "versionInfo", ox.Literal(version)), say(DCAT + "version", ox.Literal(version)),
           say(DCTERMS + "issued", ox.Literal(record.issued, datatype=ox.NamedNode(XSD + "date"))),
           say(IAKG + "contentDigest", ox.Literal(record.digest))]
    if at:
        out.append(say(OWL + "priorVersion", ox.NamedNode(f"{DATASET_IRI}/{records[at - 1].version}")))
    return out


def content(version: str, where: Path | None = None) -> bytes:
    """The content N-Quads of a recorded release, checked against its digest."""
    base = where or folder()
    _, records = index(where)
    record = next((r for r in records if r.version == version), None)
    if record is None:
        known = ", ".join(r.version for r in records) or "none"
        raise KGError(f"no recorded release {version!r} (recorded: {known})")
    path = base / record.file
    try:
        data = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(str(path), f"cannot read the release's N-Quads: {getattr(exc, 'strerror', None) or exc}"
                         ) from None
    if of_bytes(data) != record.digest:
        raise InputError(str(path), f"does not hold release {version} (its digest differs from {INDEX})")
    return data


def record(nquads: bytes, digest: str, issued: str, package: str, commit: str = "", note: str = "",
           where: Path | None = None) -> tuple[Recorded, bool]:
    """Record the content ``nquads`` (with ``digest``) as the declared dataset version; return the record and
    whether it is new (recording the same content again changes nothing). Refused, with what to do, when the
    declared version is released with other content, or when the ontology changed and kept its version."""
    base = where or folder()
    if of_bytes(nquads) != digest:
        raise KGError("the N-Quads given do not match their digest")
    if not _DATE.match(issued):
        raise KGError(f"--date {issued!r}: write the date YYYY-MM-DD")
    declared, records = index(where)
    for existing in records:
        if existing.digest == digest:
            return existing, False
    problem = check(digest, where)
    if problem:
        raise KGError(problem)
    if records:
        _check_ontology_version(content(records[-1].version, where), nquads, records[-1].version)
    entry = Recorded(declared, issued, digest, package, f"{declared}.nq.gz", commit, note)
    (base / entry.file).write_bytes(gzip.compress(nquads, compresslevel=9, mtime=0))
    data = json.loads((base / INDEX).read_text(encoding="utf-8"))
    data["releases"].append({k: v for k, v in asdict(entry).items() if v != ""})
    (base / INDEX).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return entry, True


_ONTOLOGY_GRAPH = b" <https://w3id.org/iakg/graph/ontology> .\n"
_VERSION_INFO = b"<https://w3id.org/iakg/ontology> <http://www.w3.org/2002/07/owl#versionInfo> "


def _ontology(nquads: bytes) -> tuple[set[bytes], bytes | None]:
    lines = {line for line in nquads.splitlines(keepends=True) if line.endswith(_ONTOLOGY_GRAPH)}
    version = next((line for line in lines if line.startswith(_VERSION_INFO)), None)
    return lines, version


def _check_ontology_version(before: bytes, after: bytes, previous: str) -> None:
    old, old_version = _ontology(before)
    new, new_version = _ontology(after)
    if old != new and old_version == new_version:
        raise KGError(f"the ontology changed since release {previous} but kept its owl:versionInfo: set "
                      "owl:versionInfo, owl:versionIRI and owl:priorVersion in ontology/iakg.ttl")
