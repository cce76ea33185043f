"""Every typed command and catalogue query answers byte for byte as recorded in ``tests/golden``.

The files were recorded before the package was reorganised into layers; a change that alters an answer
on purpose records them again (``python tests/golden/cases.py --record``) and says why in its commit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN))

from cases import cases, run  # noqa: E402


@pytest.mark.parametrize("name", sorted(cases()))
def test_answer_is_unchanged(name):
    recorded = (GOLDEN / f"{name}.json").read_text(encoding="utf-8")
    header, _, expected = recorded.partition("\n")
    argv = json.loads(header)["argv"]
    code, text = run(argv)
    assert code == json.loads(header)["exit"]
    assert text == expected


def test_every_case_has_a_recording():
    recorded = {p.stem for p in GOLDEN.glob("*.json")}
    assert recorded == set(cases())
