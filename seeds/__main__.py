"""``python -m seeds [--data DIR]``: load the reference data into DATABASE_URL's database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alembic.util import CommandError
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from dbtools.database_url import connection_error, database_url_from_env
from seeds.loader import DATA_DIR, SeedError, load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seeds", description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="folder of seed files")
    args = parser.parse_args(argv)
    try:
        url = database_url_from_env()
    except CommandError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            report = load(connection, args.data)
    except SeedError as exc:
        sys.stderr.write(f"error: {exc} (nothing was loaded)\n")
        return 1
    except DBAPIError as exc:
        sys.stderr.write(f"error: {connection_error(url, exc)}\n")
        return 1
    finally:
        engine.dispose()
    sys.stdout.write("\n".join(report.lines()) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
