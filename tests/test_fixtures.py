"""The ``conn`` fixture's promise: every test starts at head with no rows, whether the test
before it in the module rolled back, committed or failed half-way. The tests run in file
order; each leaves something for the next to not find."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, text

EMAIL = f"fixture-{uuid.uuid4().hex}@example.test"


def add_user(conn: Connection) -> None:
    conn.execute(text("INSERT INTO users (email) VALUES (:e)"), {"e": EMAIL})


def users(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM users")).scalar_one())


def test_a_row_left_uncommitted(conn: Connection) -> None:
    assert users(conn) == 0
    add_user(conn)
    assert users(conn) == 1


def test_is_gone_for_the_next_test(conn: Connection) -> None:
    assert users(conn) == 0
    add_user(conn)
    conn.commit()
    assert users(conn) == 1


def test_and_so_is_a_committed_one(conn: Connection) -> None:
    assert users(conn) == 0


def test_the_session_is_in_utc_and_in_service_context(conn: Connection) -> None:
    assert conn.execute(text("SHOW TIME ZONE")).scalar_one() == "UTC"
    assert conn.execute(text("SELECT current_setting('app.service_context')")).scalar_one() == "on"
    conn.rollback()
    assert conn.execute(text("SHOW TIME ZONE")).scalar_one() == "UTC", "a rollback keeps UTC"
