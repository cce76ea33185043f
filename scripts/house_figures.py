"""The figures of the package's house (issue 29), for any checkout: function-level imports, engine parameters
typed Any, fixed SPARQL texts in Python strings, import circles, and get_type_hints failures of the API.

    python scripts/house_figures.py                 # this checkout
    python scripts/house_figures.py /path/to/iakg   # another one (its parent is put first on sys.path)
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

SPARQL = re.compile(r"^\s*(PREFIX\s|SELECT\s|ASK\s*\{|ASK\s+WHERE|CONSTRUCT\s*\{|CONSTRUCT\s+WHERE|DESCRIBE\s)",
                    re.I | re.M)
#: modules whose query texts are generated from data (SHACL-Core templates, the OWL RL rules), reported apart
GENERATED = ("iakg.validate.core", "iakg.validate.components", "iakg.rdf.reasoning")


def modules(package: Path) -> dict[str, ast.Module]:
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def function_level_imports(tree: ast.Module) -> int:
    count = 0

    def visit(node: ast.AST, inside: bool) -> None:
        nonlocal count
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)) and inside:
                count += 1
            visit(child, inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

    visit(tree, False)
    return count


def sparql_texts(name: str, tree: ast.Module) -> list[int]:
    inner = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    docs = {id(n.body[0].value) for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.ClassDef,
            ast.FunctionDef, ast.AsyncFunctionDef)) and n.body and isinstance(n.body[0], ast.Expr)}
    lines = []
    for node in ast.walk(tree):
        if id(node) in inner or id(node) in docs:
            continue
        text = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else \
            "".join(v.value for v in node.values if isinstance(v, ast.Constant)) if isinstance(node, ast.JoinedStr) \
            else None
        if text and SPARQL.search(text) and any(k in text.upper() for k in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")):
            lines.append(node.lineno)
    return lines


def import_graph(found: dict[str, ast.Module]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for name, tree in found.items():
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                subs = [f"{node.module}.{a.name}" for a in node.names]
                targets = [t for t in subs if t in found] + ([node.module] if any(t not in found for t in subs) else [])
            for target in targets:
                while target and target not in found:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    sys.setrecursionlimit(10_000)

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


HINTS = """
import inspect, typing, iakg.api as api
targets = [("load", api.load)] + [(n, getattr(v, "__func__", v)) for n, v in vars(api.KnowledgeGraph).items()
           if (not n.startswith("_") or n == "__init__") and inspect.isfunction(getattr(v, "__func__", v))]
failed = []
for name, function in targets:
    try:
        typing.get_type_hints(function)
    except Exception:
        failed.append(name)
print(len(failed), len(targets))
"""


def main() -> None:
    package = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "iakg"
    found = modules(package)
    engine_any = sum(1 for tree in found.values() for node in ast.walk(tree)
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                     for a in node.args.args + node.args.kwonlyargs
                     if a.arg == "engine" and (a.annotation is None or ast.unparse(a.annotation) in ("Any", "object")))
    texts = {name: sparql_texts(name, tree) for name, tree in found.items()}
    fixed = {n: lines for n, lines in texts.items() if lines and n not in GENERATED}
    generated = sum(len(lines) for n, lines in texts.items() if n in GENERATED)
    groups = circles(import_graph(found))
    hints = subprocess.run([sys.executable, "-c", HINTS], capture_output=True, text=True,
                           env={"PYTHONPATH": str(package.parent)}, cwd="/").stdout.split()
    print(f"function-level imports: {sum(function_level_imports(t) for t in found.values())}")
    print(f"engine parameters typed Any (or untyped): {engine_any}")
    print(f"fixed SPARQL texts in Python strings: {sum(map(len, fixed.values()))} in {len(fixed)} modules "
          f"{sorted(fixed)} (generated from data, apart: {generated})")
    print(f"import circles: {len(groups)} {groups}")
    print(f"get_type_hints failures on the API's public functions and methods: {hints[0]} of {hints[1]}"
          if len(hints) == 2 else "get_type_hints: could not import the API")


if __name__ == "__main__":
    main()
