"""A row in every table, built from the models: for tests that need data everywhere."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    Connection,
    Date,
    Double,
    Integer,
    Table,
    Text,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import BYTEA, ENUM, INET, JSONB, TIMESTAMP, UUID

import models

FAR_FUTURE = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
# Columns naming a user (with a foreign key to users or, since revision 0031 dropped those Citus
# cannot keep, without one): they get the row's user.
USER_COLUMNS = {
    "user_id",
    "created_by",
    "created_by_user_id",
    "reviewed_by",
    "admin_id",
    "granted_by",
}


def _value(column: Column[Any], keys: dict[str, Any], tag: str = "") -> Any:
    """A value that satisfies the column's type and this schema's CHECKs."""
    # A user column is the row's user, also when it sits in several foreign keys (a composite
    # key to the parent and the key to users) or in none.
    if column.name in USER_COLUMNS and "users" in keys and column.table.name != "users":
        return keys["users"]["id"]
    foreign = next(iter(column.foreign_keys), None)
    if foreign is not None:
        target = foreign.column
        if target.table.name == column.table.name:
            return None  # self-reference (a parent event): left empty
        return keys[target.table.name][target.name]
    type_ = column.type
    if isinstance(type_, ENUM):
        return type_.enums[0]
    if isinstance(type_, UUID):
        return uuid.uuid4()
    if isinstance(type_, Boolean):
        return True
    if isinstance(type_, TIMESTAMP):
        return FAR_FUTURE
    if isinstance(type_, Date):
        return FAR_FUTURE.date()
    if isinstance(type_, JSONB):
        return ["k"] if column.table.name in {"daily_plans", "plan_templates"} else {"k": 1}
    if isinstance(type_, ARRAY):
        return ["k"]
    if isinstance(type_, BYTEA):
        return hashlib.sha256(tag.encode()).digest()  # 32 bytes, distinct per tag
    if isinstance(type_, INET):
        return "127.0.0.1"
    if isinstance(type_, Integer):
        return 1
    if isinstance(type_, Double):
        return 0.5
    if isinstance(type_, Text):
        return f"k{tag}"
    raise TypeError(f"no test value for {column.table.name}.{column.name}: {type_!r}")


def fill_every_table(connection: Connection, tag: str = "") -> dict[str, dict[str, Any]]:
    """Insert one row into every table, parents first; return each table's row. A ``tag``
    makes text values (keys, emails) distinct, so the function can run once per user."""
    keys: dict[str, dict[str, Any]] = {}
    # users first (it references nothing): a user_id without a foreign key needs it too
    tables = sorted(models.Base.metadata.sorted_tables, key=lambda t: t.name != "users")
    for table in tables:
        values = {
            c.name: _value(c, keys, tag)
            for c in table.columns
            if c.server_default is None or c.foreign_keys
        }
        row = connection.execute(table.insert().values(values).returning(*table.columns)).one()
        keys[table.name] = dict(row._mapping)
    return keys


def table_checksums(
    connection: Connection,
    skip: frozenset[tuple[str, str]] = frozenset(),
    rows: Mapping[str, str] | None = None,
    leave_out: frozenset[str] = frozenset(),
) -> dict[str, str]:
    """md5 of every present table's rows (text form, sorted), leaving out ``skip`` columns,
    the tables of ``leave_out``, and the rows of a table that fail its ``rows`` condition."""
    rows = rows or {}
    present = set(
        connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
    )
    sums = {}
    for table in models.Base.metadata.sorted_tables:
        if table.name not in present or table.name in leave_out:
            continue
        columns = [c for c in _live_columns(connection, table) if (table.name, c) not in skip]
        listed = ", ".join(f'"{c}"' for c in columns)
        sums[table.name] = connection.execute(
            text(
                f"SELECT count(*) || ':' || md5(COALESCE(string_agg(x::text, '|' ORDER BY "
                f"x::text), '')) FROM (SELECT {listed} FROM \"{table.name}\" "
                f"WHERE {rows.get(table.name, 'true')}) x"
            )
        ).scalar_one()
    return sums


def _live_columns(connection: Connection, table: Table) -> list[str]:
    return list(
        connection.execute(
            select(text("column_name"))
            .select_from(text("information_schema.columns"))
            .where(text("table_schema = 'public' AND table_name = :t"))
            .order_by(text("ordinal_position")),
            {"t": table.name},
        ).scalars()
    )
