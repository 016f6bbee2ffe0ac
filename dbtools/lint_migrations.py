"""Lint the upgrade SQL of every revision with squawk (lock safety): ``make lint``.

Each revision's offline SQL (``alembic upgrade PREV:REV --sql``, as a DBA would apply it) is
written to its own file and handed to squawk with the project's ``.squawk.toml``, whose
excluded rules each carry their reason. Alembic's own ``alembic_version`` table is left out.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from dbtools.alembic_config import alembic_config

ROOT = Path(__file__).resolve().parent.parent
SQUAWK_CONFIG = ROOT / ".squawk.toml"
ALEMBIC_VERSION_DDL = re.compile(r"CREATE TABLE alembic_version \(.*?\);\n", re.S)


@dataclass(frozen=True)
class LintResult:
    ok: bool
    report: str


def revision_sql(script_location: Path = ROOT / "alembic") -> dict[str, str]:
    """``{"0001_auth": sql, ...}``: the upgrade SQL of each revision on its own."""
    config = alembic_config(script_location)
    script = ScriptDirectory.from_config(config)
    result: dict[str, str] = {}
    for revision in reversed(list(script.walk_revisions())):
        buffer = io.StringIO()
        config.output_buffer = buffer
        span = (
            revision.revision
            if revision.down_revision is None
            else (f"{revision.down_revision}:{revision.revision}")
        )
        command.upgrade(config, span, sql=True)
        name = Path(revision.path).stem
        result[name] = ALEMBIC_VERSION_DDL.sub("", buffer.getvalue())
    return result


def squawk(files: list[Path]) -> LintResult:
    executable = Path(sys.executable).with_name("squawk")
    completed = subprocess.run(
        [str(executable), "--config", str(SQUAWK_CONFIG), "--reporter", "gcc", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    return LintResult(completed.returncode == 0, (completed.stdout + completed.stderr).strip())


def lint_sql(named_sql: dict[str, str]) -> LintResult:
    with tempfile.TemporaryDirectory(prefix="squawk-") as tmp:
        files = []
        for name, sql in named_sql.items():
            path = Path(tmp) / f"{name}.sql"
            path.write_text(sql, encoding="utf-8")
            files.append(path)
        result = squawk(files)
    return LintResult(result.ok, result.report.replace(f"{tmp}/", "alembic/versions/"))


def main() -> int:
    result = lint_sql(revision_sql())
    if result.ok:
        sys.stdout.write("squawk: every revision's upgrade SQL passes\n")
        return 0
    sys.stderr.write(result.report + "\n")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
