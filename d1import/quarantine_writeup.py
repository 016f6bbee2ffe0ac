"""Writing up the pending quarantine of one table: each pending row (kind, D1 column, detail,
related row) with its source values, read back through ``Source`` by rowid, secrets
redacted, COPYed into ``d1import.quarantine`` in chunks (memory stays flat however many rows
a table quarantines)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from psycopg import sql

from d1import.bookkeeping import REDACTED, SECRET_COLUMNS
from d1import.convert import UNSTORABLE, UndecodedText, shown
from d1import.kinds import KINDS
from d1import.rules import PENDING
from d1import.source import Source

CHUNK = 2000
QUARANTINE_COLUMNS = (
    "source_sha256",
    "source_table",
    "source_rowid",
    "legacy_id",
    "kind",
    "d1_column",
    "detail",
    "related_table",
    "related_legacy_id",
    "source_row",
    "new_id",
)


def storable(value: Any) -> str:
    """A source value as text PostgreSQL can store and a person can read: as it is when it
    can be, else its escaped ``repr`` (NUL, bytes that are not UTF-8)."""
    if isinstance(value, bytes):
        return repr(bytes(value))
    text = str(value)
    return repr(text) if UNSTORABLE.search(text) else text


def _json_value(value: Any) -> Any:
    if isinstance(value, UndecodedText):
        return {"text_not_utf8_hex": bytes(value).hex()}
    if isinstance(value, bytes):
        return {"blob_hex": value.hex()}
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str) and UNSTORABLE.search(value):
        return {"text_not_storable": repr(value)}
    return value


def redacted_row(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """The source row as JSON PostgreSQL stores, secrets replaced."""
    secrets = SECRET_COLUMNS.get(table, set())
    return {
        key: REDACTED if key in secrets and value is not None else _json_value(value)
        for key, value in row.items()
        if key != "__rowid"
    }


def legacy_id(table: str, pk_columns: list[str], row: dict[str, Any]) -> str | None:
    """The D1 primary key as text (composite keys joined with ``|``), secrets hashed; None
    when it is NULL (the quarantine is keyed by rowid, so that is no problem)."""
    parts = []
    for column in pk_columns:
        value = row.get(column)
        if value is None:
            parts.append("")
        elif column in SECRET_COLUMNS.get(table, set()):
            raw = bytes(value) if isinstance(value, bytes) else str(value).encode()
            parts.append(f"sha256:{hashlib.sha256(raw).hexdigest()[:16]}")
        else:
            parts.append(storable(value))
    if all(row.get(column) is None for column in pk_columns):
        return None
    return "|".join(parts)


def plain_key(table: str, pk_columns: list[str]) -> str | None:
    """The key column whose ordinary text is the legacy id as it is (one column, not a
    secret), if there is one."""
    if len(pk_columns) == 1 and pk_columns[0] not in SECRET_COLUMNS.get(table, set()):
        return pk_columns[0]
    return None


def legacy_id_of(
    table: str, pk_columns: list[str], names: list[str]
) -> Callable[[tuple[Any, ...]], str | None]:
    """``legacy_id`` of a row read as a tuple of ``names`` (``Source.tuples``); a plain
    one-column key that is ordinary text needs no dict and no join."""
    position = {name: i for i, name in enumerate(names)}
    key = plain_key(table, pk_columns)
    if key is not None and key in position:
        at = position[key]

        def plain(row: tuple[Any, ...]) -> str | None:
            value = row[at]
            if type(value) is str and not UNSTORABLE.search(value):
                return value
            return None if value is None else storable(value)

        return plain
    wanted = [(column, position.get(column)) for column in pk_columns]

    def general(row: tuple[Any, ...]) -> str | None:
        return legacy_id(
            table, pk_columns, {c: None if at is None else row[at] for c, at in wanted}
        )

    return general


def _detail(pending: dict[str, Any], row: dict[str, Any], table: str) -> str:
    """The detail of orphans and dependents names the D1 value the row holds."""
    kind, column = pending["kind"], pending["d1_column"]
    if kind not in ("orphan", "depends_on_quarantined", "other_users_parent"):
        return str(pending["detail"])
    value = REDACTED if column in SECRET_COLUMNS.get(table, set()) else shown(row.get(column))
    if kind == "orphan":
        return f"{column} = {value} references a missing {pending['related_table']} row"
    if kind == "other_users_parent":
        return (
            f"{column} = {value} references a {pending['related_table']} row of another "
            "user (the row's user_id must be its parent's)"
        )
    return (
        f"{column} = {value} references {pending['related_table']} row "
        f"{shown(pending['related_id'])}, which is quarantined ({pending['related_kind']})"
    )


def _pending_chunks(connection: psycopg.Connection) -> Iterator[list[dict[str, Any]]]:
    last = None
    with connection.cursor(row_factory=psycopg.rows.dict_row) as cursor:
        while True:
            cursor.execute(
                sql.SQL(
                    "SELECT * FROM {} WHERE rowid > COALESCE(%s, -9223372036854775808) "
                    "ORDER BY rowid LIMIT %s"
                ).format(sql.Identifier(PENDING)),
                (last, CHUNK),
            )
            chunk = cursor.fetchall()
            if not chunk:
                return
            last = chunk[-1]["rowid"]
            yield chunk


def write_up(
    connection: psycopg.Connection,
    source: Source,
    d1_table: str,
    d1_pk: list[str],
    sha256: str,
) -> int:
    """Moves the pending quarantine into ``d1import.quarantine``; returns how many rows."""
    written = 0
    statement = sql.SQL("COPY d1import.quarantine ({}) FROM STDIN").format(
        sql.SQL(", ").join(map(sql.Identifier, QUARANTINE_COLUMNS))
    )
    for chunk in _pending_chunks(connection):
        rows = {
            row["__rowid"]: row for row in source.rows_at(d1_table, [p["rowid"] for p in chunk])
        }
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            for pending in chunk:
                assert pending["kind"] in KINDS, pending["kind"]
                row = rows[pending["rowid"]]
                related = pending["related_id"]
                if pending["kind"] in ("orphan", "other_users_parent"):
                    value = row.get(pending["d1_column"])
                    secret = pending["d1_column"] in SECRET_COLUMNS.get(d1_table, set())
                    related = None if value is None or secret else storable(value)
                copy.write_row(
                    (
                        sha256,
                        d1_table,
                        pending["rowid"],
                        legacy_id(d1_table, d1_pk, row),
                        pending["kind"],
                        pending["d1_column"],
                        _detail(pending, row, d1_table),
                        pending["related_table"],
                        related,
                        json.dumps(redacted_row(d1_table, row)),
                        pending["new_id"],
                    )
                )
        written += len(chunk)
    return written
