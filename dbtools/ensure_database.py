"""Make sure the database at DATABASE_URL can be migrated: the server answers, the database exists.

``python -m dbtools.ensure_database`` creates the database when it is missing;
``--server-only`` just checks that the server answers (what ``make test`` needs: the tests
create their own databases). Exit status 1 with one line saying what to do otherwise.
"""

from __future__ import annotations

import argparse
import sys

from alembic.util import CommandError
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from dbtools.database_url import connection_error, database_url_from_env

MAINTENANCE_DB = "postgres"


def _database_exists(server: URL, name: str) -> bool:
    engine = create_engine(server, poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            return found is not None
    except DBAPIError as exc:
        raise connection_error(server, exc) from None
    finally:
        engine.dispose()


def _create_database(server: URL, name: str) -> None:
    engine = create_engine(server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            quoted = connection.dialect.identifier_preparer.quote(name)
            connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        engine.dispose()


def ensure_database(url: URL, *, create: bool = True) -> str:
    """Return what was done, as a sentence; raise CommandError when the server is unreachable."""
    server = url.set(database=MAINTENANCE_DB)
    name = url.database
    if not name:
        raise CommandError("DATABASE_URL names no database (…/DBNAME at the end)")
    exists = _database_exists(server, name)
    if exists:
        return f"database {name} exists on {url.host}:{url.port or 5432}"
    if not create:
        return f"server {url.host}:{url.port or 5432} answers"
    _create_database(server, name)
    return f"created database {name} on {url.host}:{url.port or 5432}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--server-only", action="store_true", help="only check the server")
    args = parser.parse_args(argv)
    try:
        message = ensure_database(database_url_from_env(), create=not args.server_only)
    except CommandError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    sys.stdout.write(message + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
