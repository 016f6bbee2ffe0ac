"""Helpers the tests share: Alembic configs bound to a database, catalog look-ups."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from dbtools.alembic_config import alembic_config

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "alembic" / "versions"


# Tests connect as the superuser, which may act for any user: from revision 0021 because
# app_is_service() looks at the login (a superuser is a member of ignition_service), before it
# through this setting (tests/acting.py becomes ignition_app / ignition_readonly instead).
SERVICE_CONTEXT = {"options": "-c app.service_context=on"}


@contextmanager
def engine_for(url: URL, *, service: bool = True) -> Iterator[Engine]:
    engine = create_engine(url, poolclass=NullPool, connect_args=SERVICE_CONTEXT if service else {})
    try:
        yield engine
    finally:
        engine.dispose()


def run_alembic(url: URL, *args: str) -> None:
    """Run an Alembic command in-process on ``url`` (through the handed-in connection)."""
    with engine_for(url) as engine, engine.connect() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        name, *rest = args
        getattr(command, name)(config, *rest)


def alembic_cli(
    url: URL | None, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the ``alembic`` command line as an operator would, in a subprocess."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if url is not None:
        env["DATABASE_URL"] = url.render_as_string(hide_password=False)
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# Everything "of ours" lives in the public schema; these count it the way a reviewer would.
OUR_OBJECTS = {
    "relations": """
        SELECT c.relkind::text || ':' || c.relname FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname <> 'alembic_version'
          AND c.relname <> 'alembic_version_pkc'
    """,
    "functions": """
        SELECT p.oid::regprocedure::text FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
    """,
    "types": """
        SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' AND t.typname NOT IN ('alembic_version', '_alembic_version')
    """,
    "triggers": """
        SELECT tg.tgname FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND NOT tg.tgisinternal
    """,
}


def our_objects(engine: Engine) -> dict[str, set[str]]:
    with engine.connect() as connection:
        return {
            kind: {row[0] for row in connection.execute(text(sql))}
            for kind, sql in OUR_OBJECTS.items()
        }
