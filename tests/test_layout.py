"""The catalogue, the packaged files and the namespaces agree with each other."""

from __future__ import annotations

import re

import pytest

import iakg
from iakg import catalogue, resources
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
    assert [p.name for p in resources.data_files()] == ["lexicon.ttl", "pnet-surveillance-lexicon.ttl",
                                                        "pnet-surveillance.ttl", "reference.ttl"]
    assert len(resources.query_files()) >= 16


def test_version_is_written_once():
    """pyproject reads the version from the package; the installed metadata and the release agree with it."""
    from importlib.metadata import version

    pyproject = resources.ROOT / "pyproject.toml"
    if pyproject.exists():
        text = pyproject.read_text()
        assert 'dynamic = ["version"]' in text and 'path = "iakg/version.py"' in text
        assert not re.search(r"^version\s*=", text, re.M)
    assert version("imaging-appropriateness-kg") == iakg.__version__


def test_release_version_comes_from_the_records(graph):
    """The description carries the dataset's version (releases/: the version of its content), the ontology
    header the package's; both have a version IRI."""
    release = graph.release()
    nquads = release.nquads.decode()
    version = release.identity.version
    description = [line for line in nquads.splitlines() if line.startswith("<https://w3id.org/iakg/dataset> ")]
    assert f'<https://w3id.org/iakg/dataset> <http://www.w3.org/2002/07/owl#versionInfo> "{version}"' \
        in "\n".join(description)
    assert (f"<https://w3id.org/iakg/dataset> <http://www.w3.org/2002/07/owl#versionIRI> "
            f"<https://w3id.org/iakg/dataset/{version}>") in "\n".join(description)
    header = [line for line in nquads.splitlines() if line.startswith("<https://w3id.org/iakg/ontology> <http://www.w3.org/2002/07/owl#versionI")]
    assert sorted(header) == sorted([
        f'<https://w3id.org/iakg/ontology> <http://www.w3.org/2002/07/owl#versionIRI> '
        f'<https://w3id.org/iakg/ontology/{iakg.__version__}> <https://w3id.org/iakg/graph/ontology> .',
        f'<https://w3id.org/iakg/ontology> <http://www.w3.org/2002/07/owl#versionInfo> '
        f'"{iakg.__version__}" <https://w3id.org/iakg/graph/ontology> .'])
