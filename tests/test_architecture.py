"""The layers of docs/ARCHITECTURE.md hold: every module imports only its own layer and the layers below.

Imports inside functions count too (they are still dependencies). A module of a layer not listed here
fails the test, so a new folder must be placed in the diagram before it can be used.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "iakg"

#: layer -> rank; a module may import from layers of lower rank and from its own layer
RANK = {"base": 0, "rdf": 1, "catalogue": 2, "domain": 3, "validate": 3, "fhir": 4, "io": 5, "present": 5, "cds": 5,
        "api": 6, "serve": 7, "cli": 8}
BASE = {"errors", "registry", "resources"}
TOP = {"__init__", "__main__"}  # the package's entry points re-export the API


def layer(module: str) -> str | None:
    """The layer of ``iakg.x.y`` (None for the package itself)."""
    parts = module.split(".")
    if parts[0] != "iakg":
        return None
    if len(parts) == 1:
        return None
    head = parts[1]
    if head in BASE:
        return "base"
    if head == "api":
        return "api"
    return head if head in RANK else f"unknown:{head}"


def imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "iakg":  # from iakg import x: a submodule, or a constant of the package
                found += [(node.lineno, f"iakg.{a.name}") for a in node.names
                          if (PACKAGE / a.name).exists() or (PACKAGE / f"{a.name}.py").exists()]
            else:
                found.append((node.lineno, node.module))
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.stem not in TOP or p.parent != PACKAGE)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_lower_layers(path):
    relative = path.relative_to(PACKAGE).with_suffix("")
    own = layer("iakg." + ".".join(relative.parts))
    assert own in RANK, f"{relative}: not in a known layer ({own}); place it in docs/ARCHITECTURE.md first"
    for line, module in imports(path):
        other = layer(module)
        if other is None or other == own:
            continue
        assert other in RANK, f"{relative}:{line}: imports {module}, which is in no known layer"
        assert RANK[other] < RANK[own], f"{relative}:{line}: {own} layer imports {module} ({other} layer)"


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert not long, f"split these modules: {long}"
