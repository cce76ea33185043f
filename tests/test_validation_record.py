"""Exporting a graph already validated (same content digest) does not validate it again."""

from __future__ import annotations

import shutil

from conftest import ROOT

import iakg
from iakg.cli import main
from iakg.validate import record


def test_second_export_of_the_same_content_skips_validation(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("IAKG_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    original = iakg.KnowledgeGraph.validate
    counting = lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
    monkeypatch.setattr(iakg.KnowledgeGraph, "validate", counting)
    assert main(["export", "--format", "nt", "--out", str(tmp_path / "a.nt")]) == 0
    assert main(["export", "--format", "nt", "--out", str(tmp_path / "b.nt")]) == 0
    assert len(calls) == 1
    assert (tmp_path / "a.nt").read_bytes() == (tmp_path / "b.nt").read_bytes()


def test_second_build_of_the_same_content_skips_validation(tmp_path, monkeypatch):
    monkeypatch.setenv("IAKG_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    original = iakg.KnowledgeGraph.validate
    counting = lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
    monkeypatch.setattr(iakg.KnowledgeGraph, "validate", counting)
    assert main(["export", "--format", "nq", "--out", str(tmp_path / "a.nq")]) == 0
    assert main(["build", "--out", str(tmp_path / "dist")]) == 0  # validated by the export before: not again
    assert len(calls) == 1
    assert (tmp_path / "dist" / "iakg.nq").read_bytes() == (tmp_path / "a.nq").read_bytes()


def test_changed_content_is_validated_again(tmp_path, monkeypatch):
    from conftest import FIXTURES

    monkeypatch.setenv("IAKG_CACHE_DIR", str(tmp_path / "cache"))
    extra = tmp_path / "topic.ttl"
    shutil.copy(FIXTURES / "second-topic.ttl", extra)
    first = record.digest([extra])
    record.remember(first)
    assert record.validated(first)
    extra.write_text(extra.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert not record.validated(record.digest([extra]))
    assert not record.validated(None) and record.digest([tmp_path / "missing.ttl"]) is None


def test_records_are_where_the_docs_say_and_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.delenv("IAKG_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert record.folder() == tmp_path / "xdg" / "iakg" / "validated"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert record.folder() == tmp_path / "home" / ".cache" / "iakg" / "validated"  # the documented default
    monkeypatch.setenv("IAKG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("IAKG_NO_VALIDATION_RECORD", "1")
    calls = []
    original = iakg.KnowledgeGraph.validate
    counting = lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
    monkeypatch.setattr(iakg.KnowledgeGraph, "validate", counting)
    for name in ("a.nt", "b.nt"):
        assert main(["export", "--format", "nt", "--out", str(tmp_path / name)]) == 0
    assert len(calls) == 2 and not (tmp_path / "cache").exists()  # validated each time, nothing written
    for page in ("cli.md", "publishing.md"):
        text = (ROOT / "docs" / page).read_text(encoding="utf-8")
        assert "~/.cache/iakg/validated" in text and "IAKG_NO_VALIDATION_RECORD=1" in text, page
