"""Fixtures: every test gets a database of its own on the real server.

- ``empty_db``: a fresh, empty database.
- ``head_db``: a fresh database at ``alembic heads``, cloned from a template that is migrated
  once per test session (``CREATE DATABASE ... TEMPLATE``), so tests do not re-run the chain.
- ``seeded_db``: the same with the reference data loaded (a template of its own).
- ``conn``: a connection to a database at head that the test module shares, inside a
  transaction rolled back after the test; a test that commits gets the database replaced
  (cloned again) before the next test, so every test starts from head with no rows.
- ``stairway``: the revision-by-revision walk (``dbtools.validate.walk``), once per session.

Database names carry the process id, so two runs on one server never meet, and the janitor
drops a leftover of the same name before it starts.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pytest_postgresql import factories
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from dbtools.server import server_from_env
from dbtools.validate import RevisionResult, walk
from tests.support import SERVICE_CONTEXT, engine_for, run_alembic

SERVER = server_from_env()
RUN_ID = os.getpid()


def janitor(name: str, template: str | None = None) -> Any:
    """pytest-postgresql's janitor for database ``name`` on the test server (cloned from
    ``template`` when given): ``init()``/``drop()``, or a context manager doing both."""
    from pytest_postgresql.janitor import DatabaseJanitor

    return DatabaseJanitor(
        user=SERVER.user,
        host=SERVER.host,
        port=SERVER.port,
        dbname=name,
        template_dbname=template,
        password=SERVER.password,
    )


@contextmanager
def scratch_database(name: str, template: str | None = None) -> Iterator[URL]:
    """A database of the test's own, cloned from ``template`` when given; dropped after."""
    with janitor(name, template):
        yield SERVER.url(name)


def _migrate_template_to_head(*, host: str, port: int, user: str, dbname: str, **_: Any) -> None:
    run_alembic(SERVER.url(dbname), "upgrade", "head")


_server_args: dict[str, Any] = {
    "host": SERVER.host,
    "port": SERVER.port,
    "user": SERVER.user,
    "password": SERVER.password,
}
pg_empty_server = factories.postgresql_noproc(
    dbname=f"ignition_test_{RUN_ID}_empty", **_server_args
)
pg_head_server = factories.postgresql_noproc(
    dbname=f"ignition_test_{RUN_ID}_head", load=[_migrate_template_to_head], **_server_args
)


def _migrate_and_seed_template(*, host: str, port: int, user: str, dbname: str, **_: Any) -> None:
    from seeds.loader import load as load_seeds

    url = SERVER.url(dbname)
    run_alembic(url, "upgrade", "head")
    with engine_for(url) as engine, engine.begin() as connection:
        load_seeds(connection)


pg_seeded_server = factories.postgresql_noproc(
    dbname=f"ignition_test_{RUN_ID}_seeded", load=[_migrate_and_seed_template], **_server_args
)
pg_empty = factories.postgresql("pg_empty_server")
pg_head = factories.postgresql("pg_head_server")
pg_seeded = factories.postgresql("pg_seeded_server")


def _url_of(connection: Any) -> URL:
    return SERVER.url(connection.info.dbname)


@pytest.fixture
def empty_db(pg_empty: Any) -> URL:
    """URL of a fresh, empty database (dropped after the test)."""
    return _url_of(pg_empty)


@pytest.fixture
def head_db(pg_head: Any) -> URL:
    """URL of a fresh database migrated to head (dropped after the test)."""
    return _url_of(pg_head)


@pytest.fixture
def seeded_db(pg_seeded: Any) -> URL:
    """URL of a fresh database at head with the reference data loaded (dropped after)."""
    return _url_of(pg_seeded)


@pytest.fixture
def second_seeded_db(pg_seeded_server: Any) -> Iterator[URL]:
    """Another fresh seeded database in the same test (to compare two imports)."""
    with scratch_database(
        f"{pg_seeded_server.dbname}_second", pg_seeded_server.template_dbname
    ) as url:
        yield url


@pytest.fixture
def seeded_engine(seeded_db: URL) -> Any:
    with engine_for(seeded_db) as engine:
        yield engine


@pytest.fixture
def head_engine(head_db: URL) -> Any:
    with engine_for(head_db) as engine:
        yield engine


@pytest.fixture
def empty_engine(empty_db: URL) -> Any:
    with engine_for(empty_db) as engine:
        yield engine


class SharedHeadDatabase:
    """A database at head shared by one module's ``conn`` tests, cloned from the head
    template when first needed and again after a test that committed."""

    def __init__(self, template: str, name: str) -> None:
        self.template = template
        self.name = name
        self._engine: Engine | None = None

    def engine(self) -> Engine:
        if self._engine is None:
            janitor(self.name, self.template).init()
            # UTC for the session, not SET in the test's transaction (a rollback would undo it):
            # the views' "today" is the session's.
            self._engine = create_engine(
                SERVER.url(self.name),
                poolclass=NullPool,
                connect_args={"options": f"{SERVICE_CONTEXT['options']} -c timezone=UTC"},
            )
        return self._engine

    def discard(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
            janitor(self.name, self.template).drop()


_modules = itertools.count()


@pytest.fixture(scope="module")
def shared_head(pg_head_server: Any) -> Iterator[SharedHeadDatabase]:
    database = SharedHeadDatabase(
        pg_head_server.template_dbname, f"ignition_test_{RUN_ID}_module{next(_modules)}"
    )
    yield database
    database.discard()


@pytest.fixture
def conn(shared_head: SharedHeadDatabase) -> Iterator[Connection]:
    """A connection to a database at head with no rows, in UTC, as the owner in service
    context; what the test does is rolled back after it (a test that commits costs a fresh
    clone of the database for the next one)."""
    committed: list[bool] = []
    try:
        with shared_head.engine().connect() as connection:
            event.listen(connection, "commit", lambda _: committed.append(True))
            yield connection
            connection.rollback()
    finally:
        if committed:
            shared_head.discard()


@pytest.fixture(scope="session")
def stairway(pg_empty_server: Any) -> Iterator[list[RevisionResult]]:
    """Every revision up, down, up on a scratch database, with catalog snapshots: one walk for
    the session, read by test_stairway.py and test_validate.py (never changed)."""
    with (
        scratch_database(f"ignition_test_{RUN_ID}_stairway") as url,
        engine_for(url) as engine,
    ):
        yield walk(engine)


# --- pytest-alembic ---------------------------------------------------------------------------


@pytest.fixture
def alembic_config() -> dict[str, Any]:
    return {"file": "alembic.ini"}


@pytest.fixture
def alembic_engine(empty_engine: Engine) -> Engine:
    return empty_engine
