"""Versions: the dataset's version names its content. A released version's content is recorded (digest and
N-Quads, releases/); content that differs from it cannot carry its name (a test fails with what to do), and
content not released yet is a development version named by its digest. The description links the prior
version. Recording is one command (scripts/release.py record)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

import iakg
from iakg.errors import KGError
from iakg.io import releases

DESCRIPTION = "<https://w3id.org/iakg/graph/description> ."


def unreleased_copy(tmp_path):
    """A copy of releases/ whose declared version is not released yet (after a release, the next patch is
    declared, as a developer adding content would)."""
    import json

    folder = tmp_path / "releases"
    shutil.copytree(releases.folder(), folder)
    declared, records = releases.index(folder)
    if declared in {r.version for r in records}:
        index = folder / "releases.json"
        data = json.loads(index.read_text(encoding="utf-8"))
        data["dataset_version"] = releases.next_patch(declared)
        index.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return folder


def digest_of(graph) -> str:
    return "sha256:" + hashlib.sha256(graph.release().content()).hexdigest()


def test_the_working_content_may_carry_the_declared_dataset_version(graph):
    """Fails when the content changed after its version was released: the message says what to bump."""
    problem = releases.check(digest_of(graph))
    assert problem is None, problem


def test_every_recorded_release_holds_its_content():
    declared, records = releases.index()
    assert records and records[0].version == "0.2.0"
    for record in records:
        data = releases.content(record.version)  # raises if the file does not hash to the digest
        assert "sha256:" + hashlib.sha256(data).hexdigest() == record.digest
    assert releases.parse_version(declared) >= releases.parse_version(records[-1].version)


def test_the_description_names_the_version_of_its_content_and_the_prior_one(graph):
    release = graph.release()
    named = release.identity
    digest = digest_of(graph)
    lines = [line for line in release.nquads.decode().splitlines() if line.endswith(DESCRIPTION)]
    me = "<https://w3id.org/iakg/dataset> "
    assert f'{me}<http://www.w3.org/2002/07/owl#versionInfo> "{named.version}" {DESCRIPTION}' in lines
    assert f"{me}<http://www.w3.org/2002/07/owl#versionIRI> <https://w3id.org/iakg/dataset/{named.version}> " \
           f"{DESCRIPTION}" in lines
    _, records = releases.index()
    recorded = {r.digest: r for r in records}
    if digest in recorded:
        assert named.version == recorded[digest].version and named.issued == recorded[digest].issued
    else:  # not released yet: a development version named by its digest, never a released version's name
        assert named.version.endswith("-dev+" + digest[7:19]) and named.issued is None
        assert named.version.split("-dev+")[0] not in {r.version for r in records}
        assert not any("http://purl.org/dc/terms/issued" in line for line in lines if line.startswith(me))
    assert f"{me}<http://www.w3.org/2002/07/owl#priorVersion> <https://w3id.org/iakg/dataset/{named.prior}> " \
           f"{DESCRIPTION}" in lines
    assert named.prior in {r.version for r in records}


def test_content_changed_after_a_release_is_refused_until_the_version_is_bumped(tmp_path):
    folder = unreleased_copy(tmp_path)
    released, before = releases.index(folder)
    old = releases.content(before[-1].version)
    # release the declared version with some content, then change the content without bumping
    content = old + b'<https://example.org/x> <https://example.org/p> "released" <https://w3id.org/iakg/graph/data> .\n'
    digest = "sha256:" + hashlib.sha256(content).hexdigest()
    entry, new = releases.record(content, digest, "2026-12-01", iakg.__version__, where=folder)
    assert new and entry.version == released and (folder / entry.file).is_file()
    assert releases.record(content, digest, "2026-12-02", iakg.__version__, where=folder) == (entry, False)
    assert releases.identity(digest, folder) == releases.Identity(released, "2026-12-01", before[-1].version, True)
    changed = "sha256:" + hashlib.sha256(content + b"# more\n").hexdigest()
    problem = releases.check(changed, folder)
    assert problem is not None and "\n" not in problem
    bumped = releases.next_patch(released)
    assert f'set "dataset_version" in releases/releases.json to the next version (e.g. {bumped})' in problem
    assert "python scripts/release.py record" in problem
    assert releases.identity(changed, folder).version == f"{bumped}-dev+{changed[7:19]}"  # never the released name
    with pytest.raises(KGError, match="dataset_version"):
        releases.record(content + b"# more\n", changed, "2026-12-03", iakg.__version__, where=folder)


def test_an_ontology_changed_under_its_old_version_is_not_recorded(tmp_path):
    folder = unreleased_copy(tmp_path)
    old = releases.content(releases.index(folder)[1][-1].version)  # the last release, its ontology's version kept
    changed = old + (b"<https://w3id.org/iakg/ontology#NewThing> <http://www.w3.org/2000/01/rdf-schema#label> "
                     b'"new thing"@en <https://w3id.org/iakg/graph/ontology> .\n')
    with pytest.raises(KGError, match="owl:versionInfo"):
        releases.record(changed, "sha256:" + hashlib.sha256(changed).hexdigest(), "2026-12-01", "0.3.0", where=folder)


def test_recording_is_one_command(tmp_path):
    folder = tmp_path / "releases"
    shutil.copytree(releases.folder(), folder)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "scripts/release.py", *args, "--releases", str(folder)],
                              capture_output=True, text=True, timeout=300, cwd=ROOT)

    declared, before = releases.index(folder)
    first = run("record", "--date", "2026-12-01")
    assert first.returncode == 0, first.stderr
    declared, records = releases.index(folder)
    if declared in {r.version for r in before}:  # the working content is the declared release: nothing to add
        assert "already recorded" in first.stdout and records == before
    else:
        assert records[-1].version == declared and records[-1].issued == "2026-12-01"
        assert f"recorded dataset {declared}" in first.stdout
    again = run("record", "--date", "2026-12-09")
    assert again.returncode == 0 and "already recorded" in again.stdout
    assert releases.index(folder)[1] == records  # nothing changed
    check = run("check")
    assert check.returncode == 0 and f"the working content is {declared}" in check.stdout
