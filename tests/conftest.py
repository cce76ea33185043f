"""Shared fixtures: the shipped graph loaded once, and the IRIs the tests talk about."""

from __future__ import annotations

from pathlib import Path

import pytest

import iakg
from iakg.rdf.namespaces import IAKGD

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SOURCE = ROOT.parent / "shared" / "sources" / "000_2136f127cbc7aa0f.txt"
TERMINOLOGY = ROOT.parent / "shared" / "reference" / "terminology.md"

PNET = iakg.IRI(IAKGD + "pnet-post-resection-surveillance")


def d(local: str) -> iakg.IRI:
    """An IRI of the shipped data by local name."""
    return iakg.IRI(IAKGD + local)


@pytest.fixture(scope="session")
def graph() -> iakg.KnowledgeGraph:
    return iakg.load()
