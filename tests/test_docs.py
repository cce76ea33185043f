"""The generated reference pages in docs/ are current, and README stays short with working links."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import gen_docs  # noqa: E402


@pytest.mark.parametrize("name", sorted(gen_docs.PAGES))
def test_generated_page_is_current(name, monkeypatch):
    if name == "cli-reference.md" and sys.version_info[:2] != (3, 11):
        pytest.skip("argparse's help layout differs between Python versions; generated with 3.11")
    monkeypatch.setenv("COLUMNS", "100")
    expected = gen_docs.PAGES[name]()
    assert (ROOT / "docs" / name).read_text(encoding="utf-8") == expected, \
        f"docs/{name} is stale: run python scripts/gen_docs.py"


def test_readme_is_short_and_its_links_resolve():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode()) <= 10_500
    for target in re.findall(r"\]\(((?!https?:)[^)#]+)", readme):
        assert (ROOT / target).exists(), f"README links to a missing file: {target}"


def test_docs_links_resolve():
    for page in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(((?!https?:|#)[^)#]+)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to a missing file: {target}"
