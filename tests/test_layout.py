"""The catalogue, the packaged files and the namespaces agree with each other."""

from __future__ import annotations

import re

import pytest

import iakg
from iakg import catalogue
from iakg import resources
from iakg.rdf.namespaces import PREFIXES


@pytest.mark.parametrize("query", list(catalogue.catalogue().values()), ids=lambda q: q.name)
def test_catalogue_query_header_and_prefixes(query, graph):
    assert query.title and query.description
    for prefix, namespace in re.findall(r"^PREFIX\s+(\w+):\s*<([^>]+)>", query.text, re.M):
        assert PREFIXES[prefix] == namespace, f"{query.name}: {prefix}: differs from iakg.rdf.namespaces"
    query.example_bindings()
    assert graph.query(query.text).kind == query.form.replace("construct", "graph").replace("describe", "graph")


def test_shipped_files_are_found():
    assert resources.ONTOLOGY_FILE.is_file() and resources.SHAPES_FILE.is_file()
    assert [p.name for p in resources.data_files()] == ["pnet-surveillance.ttl", "reference.ttl"]
    assert len(resources.query_files()) >= 16


def test_version_is_one_value():
    text = (resources.ROOT / "pyproject.toml").read_text() if (resources.ROOT / "pyproject.toml").exists() else ""
    assert not text or f'version = "{iakg.__version__}"' in text
