"""``make check-sources``: are the repository's copies still those of the outside sources?

The tests compare only against data in the repository. Three pieces of it are copies of the
specifications kept beside the repository, in ``shared/`` (``../shared``, or
``IGNITION_SHARED_DIR``): D1's schema facts, the exercise catalogue, and the validation
checkpoint's counts and tables. This command compares each copy with its source when the
source is there, and says plainly when it is not. It is not part of ``make test``.

Exit status: 0 when every source found agrees (a missing source is reported, not a failure),
1 when a copy differs from its source.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dbtools.checkpoint import CHECKPOINT, DOCUMENT_COUNTS

ROOT = Path(__file__).resolve().parent.parent
ENV_VAR = "IGNITION_SHARED_DIR"

SUMMARY_ROW = re.compile(
    r"Migration (?P<rev>\d{4}) \([^)]*\) \| .*?\| (?P<t>\d+) tables, (?P<f>\d+) functions?, "
    r"(?P<v>\d+) views?"
)
TABLES_ROW = re.compile(r"^\| (?P<rev>\d{4}) \([^)]*\) \| (?P<tables>[a-z_, ]+) \|$", re.M)


@dataclass(frozen=True)
class Verdict:
    name: str
    status: str  # "same", "differs", "missing"
    detail: str


def shared_dir(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get(ENV_VAR) or ROOT.parent / "shared")


def _same_json(copy: Path, source: Path) -> list[str]:
    if json.loads(copy.read_text(encoding="utf-8")) == json.loads(
        source.read_text(encoding="utf-8")
    ):
        return []
    return [f"{copy.relative_to(ROOT)} is not the same JSON as {source}"]


def checkpoint_problems(document: str) -> list[str]:
    """What in dbtools/checkpoint.py disagrees with the checkpoint document's text."""
    problems = []
    counts = {
        m["rev"]: (int(m["t"]), int(m["f"]), int(m["v"])) for m in SUMMARY_ROW.finditer(document)
    }
    if counts != DOCUMENT_COUNTS:
        problems.append(
            f"summary counts (tables, functions, views): the document says {counts}, "
            f"dbtools/checkpoint.py DOCUMENT_COUNTS says {DOCUMENT_COUNTS}"
        )
    tables = {
        m["rev"]: frozenset(t.strip() for t in m["tables"].split(","))
        for m in TABLES_ROW.finditer(document)
    }
    ours = {revision: created.tables for revision, created in CHECKPOINT.items()}
    for revision in sorted(set(tables) | set(ours)):
        if tables.get(revision) != ours.get(revision):
            problems.append(
                f"tables of {revision}: the document says {sorted(tables.get(revision, ()))}, "
                f"dbtools/checkpoint.py says {sorted(ours.get(revision, ()))}"
            )
    return problems


def _checkpoint(source: Path) -> list[str]:
    return checkpoint_problems(source.read_text(encoding="utf-8"))


def _first(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    return found[0] if found else folder / pattern


CHECKS: list[tuple[str, Callable[[Path], Path], Callable[[Path], list[str]]]] = [
    (
        "D1 schema facts (d1import/d1_schema.json)",
        lambda shared: shared / "d1" / "schema.json",
        lambda source: _same_json(ROOT / "d1import" / "d1_schema.json", source),
    ),
    (
        "exercise catalogue (seeds/data/exercise_catalogue.json)",
        lambda shared: shared / "d1" / "exercises.json",
        lambda source: _same_json(ROOT / "seeds" / "data" / "exercise_catalogue.json", source),
    ),
    (
        "validation checkpoint (dbtools/checkpoint.py)",
        lambda shared: _first(shared / "seeds", "000_*.txt"),
        _checkpoint,
    ),
]


def check(shared: Path) -> list[Verdict]:
    verdicts = []
    for name, locate, compare in CHECKS:
        source = locate(shared)
        if not source.is_file():
            verdicts.append(Verdict(name, "missing", f"source not found: {source}"))
            continue
        problems = compare(source)
        if problems:
            verdicts.append(Verdict(name, "differs", "; ".join(problems)))
        else:
            verdicts.append(Verdict(name, "same", f"same as {source}"))
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--shared", type=Path, help=f"the sources' folder (default: ${ENV_VAR})")
    args = parser.parse_args(argv)
    shared = args.shared or shared_dir()
    if not shared.is_dir():
        sys.stdout.write(
            f"check-sources: {shared} does not exist, so there is nothing to compare the "
            f"copies with (set {ENV_VAR} to the specifications' folder); not a failure\n"
        )
        return 0
    verdicts = check(shared)
    for verdict in verdicts:
        sys.stdout.write(f"{verdict.status:8} {verdict.name}: {verdict.detail}\n")
    return 1 if any(v.status == "differs" for v in verdicts) else 0


if __name__ == "__main__":
    raise SystemExit(main())
