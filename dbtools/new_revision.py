"""Start the next numbered revision: ``python -m dbtools.new_revision "what it does"``.

Revision ids are the sequential numbers themselves (0001, 0002, ...), so the id is computed
here rather than left to Alembic's random hex.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "alembic" / "versions"
NUMBERED = re.compile(r"^(\d{4})_")


def next_revision_id(versions: Path = VERSIONS) -> str:
    numbers = [int(m[1]) for p in versions.glob("*.py") if (m := NUMBERED.match(p.name))]
    return f"{max(numbers, default=0) + 1:04d}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="create the next numbered Alembic revision")
    parser.add_argument("message")
    parser.add_argument("--autogenerate", action="store_true")
    args = parser.parse_args(argv)
    config = Config(str(ROOT / "alembic.ini"))
    command.revision(
        config, message=args.message, autogenerate=args.autogenerate, rev_id=next_revision_id()
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
