"""The layers of docs/ARCHITECTURE.md hold: every module imports only its own layer and the layers below, and no
module depends on itself through others (no import circle, inside a layer either).

Imports inside functions count too (they are still dependencies). A module of a layer not listed here
fails the test, so a new folder must be placed in the diagram before it can be used. The package itself
(``iakg/__init__.py``, which re-exports the API) is a layer of its own, above the API: ``from iakg import
__version__`` in a lower layer is an upward import (the version is ``iakg.version``, in the base).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "iakg"

#: layer -> rank; a module may import from layers of lower rank and from its own layer
RANK = {"base": 0, "rdf": 1, "catalogue": 2, "domain": 3, "validate": 3, "fhir": 4, "io": 5, "present": 5, "cds": 5,
        "api": 6, "package": 6.5, "serve": 7, "cli": 8}
BASE = {"digest", "errors", "registry", "resources", "version"}
TOP = {"__init__", "__main__"}  # the package's entry points re-export the API


def layer(module: str) -> str | None:
    """The layer of ``iakg.x.y`` (``package`` for ``iakg`` itself; None outside the package)."""
    parts = module.split(".")
    if parts[0] != "iakg":
        return None
    if len(parts) == 1:
        return "package"
    head = parts[1]
    if head in BASE:
        return "base"
    if head == "api":
        return "api"
    return head if head in RANK else f"unknown:{head}"


def _is_module(name: str) -> bool:
    """Whether ``iakg.x.y`` is a module or package of the source tree."""
    path = PACKAGE.joinpath(*name.split(".")[1:])
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of the file, those inside functions included. ``from A import b`` is an
    import of the module ``A.b`` when there is one (the package ``A`` is then only its parent), else of ``A``:
    ``from iakg import __version__`` imports the package ``iakg`` itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                found.append((node.lineno, name if node.module.startswith("iakg") and _is_module(name)
                              else node.module))
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


def test_a_lower_layer_importing_the_package_is_caught(tmp_path):
    """``from iakg import __version__`` (a name of the package, which re-exports the API) is an upward import
    from any layer below the API; ``from iakg import resources`` is the base module, and fine."""
    sample = tmp_path / "sample.py"
    sample.write_text("from iakg import __version__, resources\nfrom iakg import catalogue\n")
    found = imports(sample)
    assert found == [(1, "iakg"), (1, "iakg.resources"), (2, "iakg.catalogue")]
    assert [layer(m) for _, m in found] == ["package", "base", "catalogue"]
    assert RANK[layer("iakg")] > RANK["io"] and RANK[layer("iakg")] < RANK["serve"]


def _import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (at module level or inside functions; a typing-only
    ``if TYPE_CHECKING:`` import is no dependency at run time and is left out)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(relative.parts[:-1] if relative.name == "__init__" else relative.parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if id(node) in typing_only or not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for _, module in imports_of(node):
                if module.startswith("iakg") and module != name:
                    graph[name].add(module)
    return graph


def imports_of(node: ast.Import | ast.ImportFrom) -> list[tuple[int, str]]:
    if isinstance(node, ast.Import):
        return [(node.lineno, a.name) for a in node.names]
    if not node.module or node.level:
        return []
    return [(node.lineno, f"{node.module}.{a.name}" if node.module.startswith("iakg")
             and _is_module(f"{node.module}.{a.name}") else node.module) for a in node.names]


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_no_import_circles():
    """No module reaches itself through its imports: a registry names its built-in modules (imported on first
    use, as datasette's default plugins), and those modules import the registry, never the reverse."""
    assert circles(_import_graph()) == []


def test_a_circle_is_found():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_hashing_is_written_once():
    """Files and texts are hashed by iakg.digest alone (release manifests, prepared stores, validation records,
    the dataset's content digest): one way to hash, so two digests of the same thing always agree."""
    users = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                   if any(m == "hashlib" for _, m in imports(p)))
    # the prepared-store cache seals each store with an HMAC of its files, read without following a link
    # (rdf/store.py): a keyed digest over a checked walk, not a second way to hash a file
    assert users == ["digest.py", "rdf/store.py"]


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert not long, f"split these modules: {long}"
