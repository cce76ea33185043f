"""The golden cases: every typed command and every catalogue query on the shipped graph, as JSON.

Recorded once before the package was reorganised (``python tests/golden/cases.py --record``) so that a
move can be shown not to change a single byte of any answer; ``test_golden.py`` replays them.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCENARIO = "pnet-post-resection-surveillance"
PATIENT = "examples/index-patient.json"  # relative to the checkout: run() answers from there
PATIENTS = "tests/fixtures/patients/"

TYPED = {
    "recommend": ["recommend", SCENARIO],
    "match": ["match", PATIENT],
    "scenarios": ["scenarios"],
    "topics": ["topics"],
    "facts": ["facts"],
    "facts-context": ["facts", "--context"],
    "procedures": ["procedures"],
    "next-steps": ["next-steps", SCENARIO],
    "next-steps-indeterminate": ["next-steps", SCENARIO, "--result", "indeterminate"],
    "alternatives": ["alternatives", SCENARIO],
    "interval-g1-early": ["interval", SCENARIO, "--grade", "G1", "--stage", "early"],
    "interval-g2": ["interval", SCENARIO, "--grade", "G2"],
    "dose-ct": ["dose", "CT abdomen and pelvis with IV contrast", "--years", "5", "--every", "12"],
    "dose-scenario": ["dose", "--scenario", SCENARIO, "--years", "5", "--every", "6-12"],
    "diagnoses": ["diagnoses", SCENARIO],
    "pitfalls": ["pitfalls", SCENARIO],
    "faq": ["faq", SCENARIO],
    "related": ["related", SCENARIO],
    "escalation": ["escalation", SCENARIO],
    "features": ["features", SCENARIO],
    "markers": ["markers", SCENARIO],
    "dose-scenario-all": ["dose", "--scenario", SCENARIO, "--years", "5", "--every", "12", "--all"],
    "match-rising-cga": ["match", PATIENTS + "rising-cga.json"],
    "match-renal-impairment": ["match", PATIENTS + "renal-impairment.json"],
    "match-empty": ["match", PATIENTS + "empty.json"],
    "match-child": ["match", PATIENTS + "child.json"],
    "match-pregnant-allergy": ["match", PATIENTS + "pregnant-allergy.json"],
}


def cases() -> dict[str, list[str]]:
    """Every case: its name and the command-line arguments that answer it as JSON."""
    from iakg.catalogue import catalogue  # noqa: F401  (the package under test)

    found = {f"cmd-{name}": [*argv, "--format", "json"] for name, argv in TYPED.items()}
    for query in catalogue().values():
        params = [] if not query.example else [x for pair in query.example.split() for x in ("--param", pair)]
        found[f"query-{query.name}"] = ["query", query.name, *params, "--format", "json"]
    return found


def run(argv: list[str]) -> tuple[int, str]:
    """Run the command line in process; its exit code and standard output."""
    from unittest import mock

    from iakg.cli import main

    out = io.StringIO()
    # The command line forbids the network for the rest of its process; in the test process that guard
    # would outlive the call, so it is left out here (the safety tests cover it).
    here = os.getcwd()
    os.chdir(ROOT)  # the recorded paths are relative to the checkout, wherever it is
    try:
        with contextlib.redirect_stdout(out), mock.patch("iakg.rdf.safety.forbid_network"):
            code = main(argv)
    finally:
        os.chdir(here)
    return code, out.getvalue()


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit("usage: python tests/golden/cases.py --record")
    for name, argv in cases().items():
        code, text = run(argv)
        (HERE / f"{name}.json").write_text(json.dumps({"argv": argv, "exit": code}) + "\n" + text, encoding="utf-8")
        print(name, code, len(text))
