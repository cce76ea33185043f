"""Record a release of the dataset: ``python scripts/release.py record [--date YYYY-MM-DD]``.

Builds the release of the shipped graph (it must conform to the shapes), then records its content under
the dataset version declared in releases/releases.json ("dataset_version"): the content digest, the date,
the package version, the git commit, and the content N-Quads (releases/VERSION.nq.gz) that later releases
are compared with (``iakg diff VERSION``). Recording the same content again changes nothing. Refused, with
what to do, when that version was released with other content, or when the ontology changed and kept its
version. ``python scripts/release.py check`` says whether the working content may carry the declared version
(what tests/test_releases.py checks). Docs: docs/releases.md.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commit() -> str:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT, timeout=30)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "data", "ontology", "queries"],
                               capture_output=True, text=True, cwd=ROOT, timeout=30)
    except OSError:
        return ""
    if done.returncode != 0:
        return ""
    return done.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    import iakg
    from iakg.errors import KGError
    from iakg.io import releases

    parser = argparse.ArgumentParser(prog="scripts/release.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    record = sub.add_parser("record", help="record the working content as the declared dataset version")
    record.add_argument("--date", default=datetime.date.today().isoformat(), help="issue date (default: today)")
    record.add_argument("--releases", type=Path, default=None, help="the records' folder (default: releases/)")
    check = sub.add_parser("check", help="say whether the working content may carry the declared version")
    check.add_argument("--releases", type=Path, default=None, help="the records' folder (default: releases/)")
    args = parser.parse_args(argv)
    try:
        graph = iakg.load()
        release = graph.release()
        content = release.content()  # what the digest hashes: every graph but the description
        digest = "sha256:" + hashlib.sha256(content).hexdigest()
        if args.action == "check":
            problem = releases.check(digest, args.releases)
            print(problem or f"ok: the working content is {releases.identity(digest, args.releases).version}")
            return 1 if problem else 0
        report = graph.validate()
        if not report.conforms:
            print(f"release.py: the graph breaks the shapes ({len(report.violations)} violations): "
                  "run 'iakg validate'", file=sys.stderr)
            return 1
        entry, new = releases.record(content, digest, args.date, iakg.__version__, _commit(), where=args.releases)
    except KGError as exc:
        print(f"release.py: {exc}", file=sys.stderr)
        return exc.exit_code
    if new:
        print(f"recorded dataset {entry.version} ({entry.digest}), issued {entry.issued}, in "
              f"releases/{entry.file}; release notes: iakg diff <previous> {entry.version}")
    else:
        print(f"already recorded: this content is dataset {entry.version} ({entry.digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
