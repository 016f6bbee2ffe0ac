"""Small builders for rows the behaviour tests need, and a runner for racing connections."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.support import SERVICE_CONTEXT

T = TypeVar("T")


def make_user(connection: Connection, email: str | None = None) -> uuid.UUID:
    email = email or f"user-{uuid.uuid4().hex[:8]}@example.org"
    user_id: uuid.UUID = connection.execute(
        text("INSERT INTO users (email) VALUES (:e) RETURNING id"), {"e": email}
    ).scalar_one()
    return user_id


def call(connection: Connection, sql: str, **params: Any) -> Any:
    """Call a function returning a row; the row as a mapping (or None)."""
    row = connection.execute(text(sql), params).mappings().first()
    return None if row is None else dict(row)


def wallet(connection: Connection, user_id: uuid.UUID) -> tuple[int, int, int]:
    row = connection.execute(
        text("SELECT coins, xp, level FROM user_wallet WHERE user_id = :u"), {"u": user_id}
    ).one()
    return row.coins, row.xp, row.level


def ledger_totals(connection: Connection, user_id: uuid.UUID) -> tuple[int, int, int]:
    row = connection.execute(
        text(
            "SELECT count(*) AS n, COALESCE(sum(coins), 0) AS coins, COALESCE(sum(xp), 0) AS xp "
            "FROM points_ledger WHERE user_id = :u"
        ),
        {"u": user_id},
    ).one()
    return int(row.n), int(row.coins), int(row.xp)


def assert_wallet_matches_ledger(connection: Connection, user_id: uuid.UUID) -> None:
    coins, xp, _ = wallet(connection, user_id)
    _, ledger_coins, ledger_xp = ledger_totals(connection, user_id)
    assert (coins, xp) == (ledger_coins, ledger_xp)


def sqlstate(exc: pytest.ExceptionInfo[DBAPIError]) -> str | None:
    return getattr(exc.value.orig, "pgcode", None)


def race(engine: Engine, n: int, work: Callable[[Connection], T]) -> list[T | DBAPIError]:
    """Run ``work`` on ``n`` separate connections at once (each in its own transaction,
    released together by a barrier); return each result or the database error it raised."""
    racing = create_engine(engine.url, pool_size=n, max_overflow=0, connect_args=SERVICE_CONTEXT)
    barrier = threading.Barrier(n)

    def one(_: int) -> T | DBAPIError:
        with racing.connect() as connection:
            connection.execute(text("SELECT 1"))
            connection.rollback()
            barrier.wait()
            try:
                with connection.begin():
                    return work(connection)
            except DBAPIError as exc:
                return exc

    try:
        with ThreadPoolExecutor(max_workers=n) as pool:
            return list(pool.map(one, range(n)))
    finally:
        racing.dispose()
