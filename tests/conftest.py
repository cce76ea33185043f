"""Shared fixtures: the shipped graph loaded once, and the IRIs the tests talk about."""

from __future__ import annotations

from pathlib import Path

import pytest

import kg
from kg.namespaces import IAKGD

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SOURCE = ROOT.parent / "shared" / "sources" / "000_2136f127cbc7aa0f.txt"
TERMINOLOGY = ROOT.parent / "shared" / "reference" / "terminology.md"

PNET = kg.IRI(IAKGD + "pnet-post-resection-surveillance")


def d(local: str) -> kg.IRI:
    """An IRI of the shipped data by local name."""
    return kg.IRI(IAKGD + local)


@pytest.fixture(scope="session")
def graph() -> kg.KnowledgeGraph:
    return kg.load()
