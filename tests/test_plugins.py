"""Third-party plugins: a distribution declaring iakg entry points is installed into a fresh virtual environment
(pip, from tests/fixtures/plugins, offline) and each of its entries is used there, as a person would: its
format exported, its importer run, its route served, its command run. A name two distributions claim is one
line naming both."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from conftest import FIXTURES

PLUGINS = FIXTURES / "plugins"


def _environment(folder: Path, *distributions: str) -> Path:
    """A virtual environment in ``folder`` that sees this environment's packages (iakg as installed here,
    its dependencies, hatchling) and has ``distributions`` installed into it by pip; its python."""
    venv.EnvBuilder(with_pip=False).create(folder)
    python = folder / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # site.addsitedir (not a bare path) so that this environment's own .pth files (an editable iakg) apply
    (Path(purelib) / "outer-environment.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                           "--no-index", "--no-deps", "--no-build-isolation", "--disable-pip-version-check",
                           *[str(PLUGINS / d) for d in distributions]],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PIP_NO_INPUT": "1"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return python


def _iakg(python: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("IAKG_CACHE_DIR", "COLUMNS")}
    return subprocess.run([python, "-m", "iakg", *args], capture_output=True, text=True, timeout=300, cwd=cwd,
                          env=env)


@pytest.fixture(scope="module")
def hello(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of an environment with the plugin ``iakg-hello`` installed."""
    return _environment(tmp_path_factory.mktemp("hello-env"), "hello")


def test_the_plugin_is_installed_as_a_distribution_not_on_a_path(hello):
    done = subprocess.run([hello, "-c", "import importlib.metadata as m, iakg_hello; "
                                        "print(m.version('iakg-hello'), iakg_hello.__file__)"],
                          capture_output=True, text=True, check=True)
    version, where = done.stdout.split()
    assert version == "0.1" and "site-packages" in where and str(PLUGINS) not in where


def test_the_plugins_command_runs_and_help_lists_it(hello):
    done = _iakg(hello, "hello", "--name", "reader")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("hello reader: ") and int(done.stdout.split()[2]) >= 1
    listing = _iakg(hello, "--help")
    assert listing.returncode == 0, listing.stderr
    assert "greet, and count the topics" in listing.stdout and "recommend" in listing.stdout


def test_the_plugins_format_is_a_choice_of_export(hello, graph):
    done = _iakg(hello, "export", "--format", "topic-list")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == sorted(t.label for t in graph.topics() if t.kind == "topic")
    assert "topic-list" in _iakg(hello, "export", "--help").stdout


def test_the_plugins_importer_reads_what_the_table_importer_reads(hello, tmp_path):
    table = FIXTURES / "tables" / "cystoma.csv"
    with open(table, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    semicolons = tmp_path / "cystoma.ssv"
    with open(semicolons, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter=";").writerows(rows)
    done = _iakg(hello, "import", "semicolons", str(semicolons), "--out", str(tmp_path / "plugin"))
    assert done.returncode == 0, done.stderr
    assert _iakg(hello, "import", "table", str(table), "--out", str(tmp_path / "builtin")).returncode == 0
    written = sorted(p.name for p in (tmp_path / "plugin").iterdir())
    assert written == ["fictional-hepatic-cystoma.ttl"]
    ours, builtin = ((tmp_path / d / written[0]).read_text() for d in ("plugin", "builtin"))
    assert ours == builtin.replace("cystoma.csv", "cystoma.ssv") and "iakg:AppropriatenessRating" in ours


def test_the_plugins_route_is_served(hello):
    code = """
import json, sys, httpx, iakg
from iakg.serve.app import Endpoint
with Endpoint(iakg.load()) as endpoint:
    answer = httpx.get(endpoint.base + "/hello/topics", timeout=30)
    health = httpx.get(endpoint.base + "/health", timeout=30)
print(json.dumps([answer.status_code, answer.json(), health.status_code]))
"""
    done = subprocess.run([hello, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    status, topics, health = json.loads(done.stdout)
    assert status == 200 and health == 200
    assert "Pancreatic neuroendocrine tumour" in " ".join(topics) or len(topics) >= 1
    assert topics == sorted(topics)


def test_a_name_two_distributions_claim_is_one_line_naming_both(tmp_path):
    python = _environment(tmp_path / "clash-env", "hello", "clash")
    listing = _iakg(python, "--help")
    assert listing.returncode == 2 and listing.stdout == ""
    assert listing.stderr.count("\n") == 1, listing.stderr
    line = listing.stderr.strip()
    assert line.startswith("iakg: command 'hello' is registered twice: by iakg-")
    assert "iakg-hello 0.1" in line and "iakg-clash 0.2" in line
    export = _iakg(python, "export", "--format", "topic-list")
    assert export.returncode == 2 and export.stderr.count("\n") == 1, export.stderr
    assert export.stderr.strip() == "iakg: format 'ttl' is registered twice: by iakg (built in) and by iakg-clash 0.2"
    assert "Traceback" not in listing.stderr + export.stderr
    # a command the registry finds among the built-ins does not look at the entry points at all
    answer = _iakg(python, "recommend", "pnet-post-resection-surveillance", "--format", "json")
    assert answer.returncode == 0, answer.stderr
