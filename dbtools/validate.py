"""``make validate``: re-run the validation checkpoint live and write docs/validation.md.

On a scratch database of its own (created and dropped here), every revision is applied one
at a time; what it creates is counted from the catalog, its downgrade must restore the
catalog exactly and its re-upgrade reproduce it. The test suite runs too (``--no-tests`` to
skip it). Exit status 1 when a count differs from the checkpoint's (0002-0007), a rollback
does not restore the catalog, or a test fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from dbtools.alembic_config import alembic_config
from dbtools.catalog import Snapshot, diff, names, snapshot
from dbtools.checkpoint import CHECKPOINT, MANIFEST
from dbtools.server import server_from_env

ROOT = Path(__file__).resolve().parent.parent
Section = Callable[[Mapping[str, str]], list[str]]
"""An extra section of the document: given where each table was created (table -> revision),
its Markdown lines. ``d1import.parity`` adds the D1 parity table this way (dbtools does not
import d1import)."""
OUTPUT = ROOT / "docs" / "validation.md"


@dataclass
class RevisionResult:
    revision: str
    title: str
    tables: list[str]
    functions: list[str]
    views: list[str]
    triggers: int
    indexes: int
    rollback_ok: bool
    reapply_ok: bool
    rollback_diff: str
    reapply_diff: str = ""

    def matches_checkpoint(self) -> bool | None:
        expected = CHECKPOINT.get(self.revision)
        if expected is None or expected.functions is None or expected.views is None:
            return None
        return (
            set(self.tables) == expected.tables
            and set(self.functions) == expected.functions
            and set(self.views) == expected.views
        )


def _run(engine: Engine, *args: str) -> None:
    with engine.connect() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        name, *rest = args
        getattr(command, name)(config, *rest)


def _take(engine: Engine) -> Snapshot:
    with engine.connect() as connection:
        return snapshot(connection)


def walk(engine: Engine) -> list[RevisionResult]:
    script = ScriptDirectory.from_config(alembic_config())
    results = []
    before = _take(engine)
    for rev in reversed(list(script.walk_revisions())):
        _run(engine, "upgrade", rev.revision)
        after = _take(engine)
        _run(engine, "downgrade", "-1")
        rolled_back = _take(engine)
        _run(engine, "upgrade", rev.revision)
        again = _take(engine)
        functions = {s.split("(")[0] for s in names(after, "functions")} - {
            s.split("(")[0] for s in names(before, "functions")
        }
        results.append(
            RevisionResult(
                revision=rev.revision,
                title=(rev.doc or "").splitlines()[0].rstrip("."),
                tables=sorted(names(after, "relations", "r") - names(before, "relations", "r")),
                functions=sorted(functions),
                views=sorted(names(after, "relations", "v") - names(before, "relations", "v")),
                triggers=len(set(after["triggers"]) - set(before["triggers"])),
                indexes=len(set(after["indexes"]) - set(before["indexes"])),
                rollback_ok=rolled_back == before,
                reapply_ok=again == after,
                rollback_diff=diff(before, rolled_back),
                reapply_diff=diff(after, again),
            )
        )
        before = after
    return results


def run_tests() -> tuple[bool, str]:
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    summary = next(
        (line for line in reversed(lines) if re.search(r"\d+ (passed|failed)", line)), ""
    )
    return completed.returncode == 0, summary.strip("= ")


def render(
    results: list[RevisionResult],
    tests: tuple[bool, str] | None,
    ok: bool,
    sections: Sequence[Section] = (),
) -> str:
    mark = {True: "✅", False: "❌", None: "—"}
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Validation: schema migrations (D1 → Postgres)",
        "",
        f"**Generated:** {now} by `make validate` (a live run; do not edit by hand)  ",
        f"**Overall:** {mark[ok]} {'all validations passed' if ok else 'FAILED'}",
        "",
        "## Summary",
        "",
        "| Check | Status | Details |",
        "|-------|--------|---------|",
    ]
    for r in results:
        verdict = r.matches_checkpoint()
        status = r.rollback_ok and r.reapply_ok and verdict is not False
        out.append(
            f"| Migration {r.revision} ({r.title}) | {mark[status]} | {len(r.tables)} tables, "
            f"{len(r.functions)} functions, {len(r.views)} views |"
        )
    if tests is not None:
        out.append(f"| Test suite (`pytest`) | {mark[tests[0]]} | {tests[1]} |")
    tables = sum(len(r.tables) for r in results)
    views = sum(len(r.views) for r in results)
    functions = sum(len(r.functions) for r in results)
    out += [
        "",
        "## Database objects created",
        "",
        "| Object type | Count |",
        "|-------------|-------|",
        f"| Tables | {tables} |",
        f"| Views | {views} |",
        f"| Functions | {functions} |",
        f"| Triggers | {sum(r.triggers for r in results)} |",
        f"| Indexes (incl. keys) | {sum(r.indexes for r in results)} |",
        "",
        "## Per migration",
        "",
        "| Migration | Tables | Functions | Views | Checkpoint |",
        "|-----------|--------|-----------|-------|------------|",
    ]
    for r in results:
        out.append(
            f"| {r.revision} | {', '.join(r.tables) or '—'} | {', '.join(r.functions) or '—'} | "
            f"{', '.join(r.views) or '—'} | {mark[r.matches_checkpoint()]} |"
        )
    out += [
        "",
        "## Rollback verification",
        "",
        "Each revision: upgrade, downgrade (the catalog must equal the one before: function",
        "bodies, triggers, view SQL, enum labels and grants included), upgrade again (must",
        "equal the first upgrade).",
        "",
        "| Migration | Downgrade restores catalog | Re-upgrade identical |",
        "|-----------|----------------------------|----------------------|",
    ]
    for r in results:
        out.append(f"| {r.revision} | {mark[r.rollback_ok]} | {mark[r.reapply_ok]} |")
    failures = [r for r in results if not r.rollback_ok]
    for r in failures:
        out += [
            "",
            f"### {r.revision}: what the downgrade left behind",
            "",
            "```",
            r.rollback_diff,
            "```",
        ]
    created_in = {t: r.revision for r in results for t in r.tables}
    for section in sections:
        out += ["", *section(created_in)]
    return "\n".join(out) + "\n"


def problems_of(results: list[RevisionResult], tests: tuple[bool, str] | None) -> list[str]:
    """Why the validation fails, one line each (empty: it passes)."""
    problems = [
        f"{r.revision}: differs from the checkpoint"
        for r in results
        if r.matches_checkpoint() is False
    ]
    for r in results:
        if not r.rollback_ok:
            problems.append(f"{r.revision}: downgrade does not restore the catalog")
        if not r.reapply_ok:
            problems.append(f"{r.revision}: re-upgrade differs from the first upgrade")
        expected = MANIFEST.get(r.revision)
        if expected is not None and set(r.tables) != expected.tables:
            problems.append(
                f"{r.revision}: created tables {sorted(r.tables)}, "
                f"the manifest says {sorted(expected.tables)}"
            )
    if tests is not None and not tests[0]:
        problems.append(f"tests failed: {tests[1]}")
    return problems


def main(argv: list[str] | None = None, sections: Sequence[Section] = ()) -> int:
    parser = argparse.ArgumentParser(description="re-run the validation checkpoint live")
    parser.add_argument("--no-tests", action="store_true", help="skip running the test suite")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    server = server_from_env(dict(os.environ))
    scratch = f"ignition_validate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server.url("postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{scratch}"'))
    engine = create_engine(server.url(scratch), poolclass=NullPool)
    try:
        results = walk(engine)
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        admin.dispose()

    tests = None if args.no_tests else run_tests()
    problems = problems_of(results, tests)
    ok = not problems
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(results, tests, ok, sections), encoding="utf-8")
    sys.stdout.write(f"wrote {args.output}\n")
    for problem in problems:
        sys.stderr.write(f"validation: {problem}\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
