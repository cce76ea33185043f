#!/usr/bin/env python3
"""Accuracy of ``iakg resolve`` on the project's reasons for exam (tests/fixtures/indications, CC0).

For each split (``dev``, the one the resolver was tuned on, and ``heldout``, written before the resolver and
never tuned on): top-1 scenario accuracy on the in-scope reasons, the share of out-of-scope reasons it abstains
on, and the precision (and recall) of the facts it reads, over the shipped graph plus the two fictional topics
and their lexicons.

    python bench/resolve.py                 # both splits, one JSON object
    python bench/resolve.py --split dev --failures   # and list what went wrong (dev only: never look at
                                                      # the held-out failures while tuning)
    from resolve import evaluate; evaluate("heldout")

Targets (issue 26), on the held-out split: top-1 >= 95 % in scope, abstain >= 97 % out of scope, facts read
with >= 95 % precision.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SETS = ROOT / "tests" / "fixtures" / "indications"
FIXTURES = ROOT / "tests" / "fixtures"
#: the fictional topics the set covers, with their lexicons (test fixtures)
EXTRA = [FIXTURES / "second-topic.ttl", FIXTURES / "second-topic-lexicon.ttl", FIXTURES / "variant-table.ttl",
         FIXTURES / "variant-table-lexicon.ttl"]
#: the prefixes of the set's expectations
PREFIXES = {"iakgd": "https://w3id.org/iakg/id/", "fx": "https://example.org/fixture/",
            "vt": "https://example.org/variant-table/"}
TARGETS = {"top1_in_scope": 0.95, "abstain_out_of_scope": 0.97, "fact_precision": 0.95}


def cases(split: str) -> list[dict[str, Any]]:
    """The reasons of a split: ``{"expect": CURIE or None, "facts": {key: value}, "text"}``."""
    out = []
    for line in (SETS / f"{split}.tsv").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        expect, facts, text = line.split("\t")
        stated: dict[str, Any] = {}
        for pair in facts.split():
            key, value = pair.split("=", 1)
            stated[key] = {"true": True, "false": False}.get(value, value)
        out.append({"expect": None if expect == "abstain" else expect, "facts": stated, "text": text})
    return out


def graph() -> Any:
    import iakg

    return iakg.load(EXTRA)


def evaluate(split: str, kg: Any = None, failures: bool = False) -> dict[str, Any]:
    """The figures of one split (and, with ``failures``, each case that went wrong)."""
    kg = kg or graph()
    rows = cases(split)
    in_scope = correct = out_scope = abstained = read = right = stated = found = 0
    wrong: list[dict[str, Any]] = []
    start = time.perf_counter()
    for case in rows:
        r = kg.resolve(case["text"])
        got = None if r.abstained else r.scenario.iri
        want = None
        if case["expect"]:
            prefix, local = case["expect"].split(":", 1)
            want = PREFIXES[prefix] + local
        if want is None:
            out_scope += 1
            abstained += got is None
        else:
            in_scope += 1
            correct += got == want
        ok_facts = {k: v for k, v in r.facts.items() if case["facts"].get(k) == v}
        read += len(r.facts)
        right += len(ok_facts)
        stated += len(case["facts"])
        found += sum(1 for k, v in case["facts"].items() if r.facts.get(k) == v)
        if failures and (got != want or len(ok_facts) != len(r.facts)):
            wrong.append({"text": case["text"], "expect": case["expect"], "got": got, "why": r.why,
                          "facts_read": r.facts, "facts_stated": case["facts"]})
    out: dict[str, Any] = {
        "split": split, "reasons": len(rows), "in_scope": in_scope, "out_of_scope": out_scope,
        "top1_in_scope": round(correct / in_scope, 4) if in_scope else None,
        "abstain_out_of_scope": round(abstained / out_scope, 4) if out_scope else None,
        "fact_precision": round(right / read, 4) if read else None,
        "fact_recall": round(found / stated, 4) if stated else None,
        "facts_read": read, "ms_per_reason": round((time.perf_counter() - start) * 1000 / len(rows), 2),
    }
    out["met"] = all(out[k] is not None and out[k] >= v for k, v in TARGETS.items())
    if failures:
        out["failures"] = wrong
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "heldout", "both"), default="both")
    parser.add_argument("--failures", action="store_true", help="list the cases that went wrong (dev only)")
    args = parser.parse_args(argv)
    if args.failures and args.split != "dev":
        parser.error("--failures lists the dev split only: the held-out failures are not looked at")
    kg = graph()
    splits = ("dev", "heldout") if args.split == "both" else (args.split,)
    result = {s: evaluate(s, kg, args.failures) for s in splits}
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
