"""The small operational helpers: URL parsing, the server settings, database creation."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.util import CommandError
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from dbtools.database_url import database_url_from_env
from dbtools.ensure_database import ensure_database
from dbtools.new_revision import next_revision_id
from dbtools.server import server_from_env


def test_database_url_accepts_postgres_scheme_and_picks_psycopg2() -> None:
    url = database_url_from_env({"DATABASE_URL": "postgres://u:p@db.example:6543/app"})
    assert url.drivername == "postgresql+psycopg2"
    assert (url.host, url.port, url.database) == ("db.example", 6543, "app")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "DATABASE_URL is not set"),
        ("mysql://u@h/db", "must point at PostgreSQL"),
        ("not a url", "not a valid database URL"),
    ],
)
def test_database_url_errors_name_the_problem(value: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        database_url_from_env({"DATABASE_URL": value})


def test_server_settings_fall_back_from_database_url_to_pg_variables() -> None:
    from_url = server_from_env({"DATABASE_URL": "postgresql://alice@h1:5433/x"})
    assert (from_url.host, from_url.port, from_url.user) == ("h1", 5433, "alice")
    from_pg = server_from_env({"PGHOST": "h2", "PGPORT": "5434", "PGUSER": "bob"})
    assert (from_pg.host, from_pg.port, from_pg.user) == ("h2", 5434, "bob")
    default = server_from_env({})
    assert (default.host, default.port, default.user) == ("127.0.0.1", 5432, "postgres")


def test_ensure_database_creates_a_missing_database_once(
    empty_db: URL, empty_engine: Engine
) -> None:
    name = f"{empty_db.database}_made"
    target = empty_db.set(database=name)
    try:
        assert ensure_database(target).startswith("created database")
        assert ensure_database(target).startswith(f"database {name} exists")
    finally:
        with empty_engine.execution_options(isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


def test_ensure_database_reports_an_unreachable_server() -> None:
    url = URL.create(
        "postgresql+psycopg2", username="postgres", host="127.0.0.1", port=1, database="x"
    )
    with pytest.raises(CommandError, match=r"127\.0\.0\.1:1/postgres.*docker compose up -d"):
        ensure_database(url)


def test_next_revision_id_follows_the_highest_number(tmp_path: Path) -> None:
    assert next_revision_id(tmp_path) == "0001"
    (tmp_path / "0001_a.py").write_text("")
    (tmp_path / "0002_b.py").write_text("")
    assert next_revision_id(tmp_path) == "0003"
