"""Where the shipped ontology, shapes, data and queries live (installed package or source tree)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# A wheel carries the files in iakg/_assets; a source checkout keeps them beside iakg/.
ROOT = _PACKAGE / "_assets" if (_PACKAGE / "_assets").is_dir() else _PACKAGE.parent

ONTOLOGY_DIR = ROOT / "ontology"
DATA_DIR = ROOT / "data"
QUERIES_DIR = ROOT / "queries"
INTERNAL_QUERIES_DIR = QUERIES_DIR / "internal"  #: queries the package runs itself (not the catalogue)

ONTOLOGY_FILE = ONTOLOGY_DIR / "iakg.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"


def data_files() -> list[Path]:
    """The shipped data files, in a stable order."""
    return sorted(DATA_DIR.glob("*.ttl"))


def query_files() -> list[Path]:
    """The query catalogue files, in a stable order."""
    return sorted(QUERIES_DIR.glob("*.rq"))
