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
    if name == "docs/cli-reference.md" and sys.version_info[:2] != (3, 11):
        pytest.skip("argparse's help layout differs between Python versions; generated with 3.11")
    monkeypatch.setenv("COLUMNS", "100")
    expected = gen_docs.PAGES[name]()
    assert (ROOT / name).read_text(encoding="utf-8") == expected, \
        f"{name} is stale: run python scripts/gen_docs.py"


def test_readme_is_short_and_its_links_resolve():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode()) <= 10_500
    # its sample answer is the command's real output (test_generated_page_is_current keeps it current)
    assert "<!-- example: iakg recommend pnet-post-resection-surveillance" in readme and "README.md" in gen_docs.PAGES
    for target in re.findall(r"\]\(((?!https?:)[^)#]+)", readme):
        assert (ROOT / target).exists(), f"README links to a missing file: {target}"


def test_docs_links_resolve():
    for page in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(((?!https?:|#)[^)#]+)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to a missing file: {target}"


def test_python_api_page_lists_every_public_function_and_method():
    """docs/python-api.md is generated from iakg/api.py (test_generated_page_is_current keeps it current):
    every public method has its section, with its signature."""
    import inspect

    from iakg import api

    page = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")
    methods = [name for name, value in vars(api.KnowledgeGraph).items()
               if not name.startswith("_") and (inspect.isfunction(value) or isinstance(value, classmethod))]
    assert len(methods) >= 38
    for name in methods:
        shown = f"iakg.KnowledgeGraph.{name}(" if isinstance(vars(api.KnowledgeGraph)[name], classmethod) \
            else f"graph.{name}("
        assert f"\n{shown}" in page, f"docs/python-api.md does not list {name}"
    assert "\niakg.load(" in page and "\niakg.KnowledgeGraph(engine" in page
    functions = [name for name, value in vars(api).items() if inspect.isfunction(value) and not name.startswith("_")
                 and value.__module__ == api.__name__ and name != "load"]
    for name in functions:
        assert f"\niakg.api.{name}(" in page, f"docs/python-api.md does not list {name}"


def test_the_export_example_prints_what_the_command_prints(tmp_path):
    """docs/publishing.md's export example (it writes a file, so it is not a generated example): the line the
    command prints, with its byte count as N."""
    import subprocess

    done = subprocess.run([sys.executable, "-m", "iakg", "export", "--format", "ttl", "--out", "graph.ttl"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    shown = re.sub(r"\(\d+ bytes\)", "(N bytes)", done.stderr.strip())
    page = (ROOT / "docs" / "publishing.md").read_text(encoding="utf-8")
    assert f"$ iakg export --format ttl --out graph.ttl\n{shown}\n" in page


def test_the_cli_guide_lists_every_command_once_under_one_title():
    from iakg.cli.registry import COMMANDS

    guide = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert guide.count("# Command line\n") == 1
    for name in COMMANDS:
        assert guide.count(f"| `iakg {name}") == 1, f"docs/cli.md's command list leaves out {name}"


def test_every_option_has_help():
    import argparse

    from iakg.cli import parser

    def check(command: str, p: argparse.ArgumentParser) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):  # e.g. iakg import table|template
                for name, sub in action.choices.items():
                    check(f"{command} {name}".strip(), sub)
            else:
                assert action.help, f"iakg {command} {'/'.join(action.option_strings) or action.dest} has no help"

    check("", parser())


def test_code_fences_are_well_formed():
    """A fence is ``` alone on its line, or with a language name (a fence followed by text hides what follows)."""
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("```"):
                assert re.fullmatch(r"\s*```[\w+-]*", line), f"{page.name}:{number}: {line}"


def test_the_endpoint_script_in_serving_md_runs(tmp_path):
    """docs/serving.md's script (the endpoint started under a main guard) runs as a file and gets an answer."""
    import subprocess

    page = (ROOT / "docs" / "serving.md").read_text(encoding="utf-8")
    [script] = re.findall(r"```python\n(.*?if __name__ == \"__main__\":.*?)```", page, re.S)
    (tmp_path / "endpoint.py").write_text(script, encoding="utf-8")
    done = subprocess.run([sys.executable, "endpoint.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("200 b'{\"head\":{},\"boolean\":true}'")
