"""Loading one D1 table: convert and COPY into a staging table, sort out in SQL what cannot go
in (with the reason), insert the rest, and record it all in one transaction.

The steps, in order, for a table T:
1. stream the source rows, convert each column (a value that does not convert quarantines
   its row), COPY the rest into a temporary ``stage``;
2. columns D1 did not have get their defaults (the stage declares them, the COPY fills them);
3. quarantine rows with NULL in a NOT NULL column, rows breaking a CHECK of T;
4. count rows whose primary key is already in T (an earlier run, or the seeds under the same
   derived id) as loaded, and take them out;
5. quarantine the later of two rows that would collide on a unique index of T (or with a row
   already in T), naming the row it collides with;
6. quarantine rows whose foreign key finds no parent (SQLite did not enforce them), naming
   the parent's own quarantine reason when the parent was quarantined;
7. insert the rest; record the ids that changed, checksums of what was converted and of what
   landed, and the table as done.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from d1import.bookkeeping import REDACTED, SECRET_COLUMNS
from d1import.catalog import TargetTable, read_target
from d1import.convert import ConversionError, Converter, converter_for
from d1import.mapping import TableMap
from d1import.source import Source

STAGE = "d1import_stage"
PENDING = "d1import_pending"  # rows the SQL steps quarantine: rowid, legacy id, reason, id


@dataclass
class TableResult:
    table: str
    source_rows: int
    loaded_rows: int
    already_present_rows: int
    quarantined_rows: int
    converted_checksum: str
    loaded_checksum: str
    seconds: float
    resumed: bool = False

    def conserved(self) -> bool:
        return self.source_rows == self.loaded_rows + self.quarantined_rows


def empty_result(table: str) -> TableResult:
    """A table the source has no rows of: nothing to stage (the checksum of no rows)."""
    nothing = "0:" + "0" * 16
    return TableResult(table, 0, 0, 0, 0, nothing, nothing, 0.0)


@dataclass(frozen=True)
class ColumnPlan:
    source: str
    target: str
    convert: Converter


def redacted_row(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """The source row as JSON-able values, secrets replaced."""
    secrets = SECRET_COLUMNS.get(table, set())
    clean: dict[str, Any] = {}
    for key, value in row.items():
        if key == "__rowid":
            continue
        if key in secrets and value is not None:
            clean[key] = REDACTED
        elif isinstance(value, bytes):
            clean[key] = value.hex()
        elif isinstance(value, float) and not math.isfinite(value):
            clean[key] = str(value)
        elif isinstance(value, str) and "\x00" in value:
            clean[key] = value.replace("\x00", "\\u0000")  # jsonb cannot hold NUL
        else:
            clean[key] = value
    return clean


def legacy_id(table: str, pk_columns: list[str], row: dict[str, Any]) -> str:
    """The D1 primary key as text (composite keys joined with ``|``), secrets hashed."""
    parts = []
    for column in pk_columns:
        value = row.get(column)
        if column in SECRET_COLUMNS.get(table, set()) and value is not None:
            digest = hashlib.sha256(str(value).encode()).hexdigest()[:16]
            parts.append(f"sha256:{digest}")
        else:
            parts.append("" if value is None else str(value))
    return "|".join(parts)


class TableLoader:
    """Loads one table in the caller's transaction (``connection`` must not autocommit)."""

    def __init__(
        self,
        connection: psycopg.Connection,
        source: Source,
        table_map: TableMap,
        d1_pk: list[str],
        enum_labels: dict[str, tuple[str, ...]],
        sha256: str,
        progress: Callable[[int], None] = lambda _: None,
    ) -> None:
        self.connection = connection
        self.source = source
        self.map = table_map
        self.d1_table = table_map.table
        self.d1_pk = d1_pk
        self.sha256 = sha256
        self.progress = progress
        self.target: TargetTable = read_target(connection, table_map.table)
        self.columns = [
            ColumnPlan(
                d1,
                entry.column,
                converter_for(
                    entry.conversion,
                    table=table_map.table,
                    enum_labels=enum_labels.get(entry.conversion.partition(":")[2], ()),
                ),
            )
            for d1, entry in table_map.columns.items()
            if entry.column is not None
        ]

    # -- helpers --------------------------------------------------------------------------
    def _execute(
        self, query: sql.Composed | sql.SQL | str, params: Any = None
    ) -> psycopg.Cursor[Any]:
        cursor = self.connection.cursor()
        cursor.execute(query, params)
        return cursor

    @property
    def _new_id_sql(self) -> sql.SQL:
        """The quarantined row's id, for its dependents to name it (tables keyed by ``id``)."""
        return sql.SQL("s.id") if "id" in self.target.primary_key else sql.SQL("NULL::uuid")

    def _id(self, name: str) -> sql.Identifier:
        return sql.Identifier(name)

    # -- step 1 ---------------------------------------------------------------------------
    def _create_stage(self) -> None:
        """The stage has the target's columns and types, no constraints; columns D1 does not
        fill get the target's default, so the COPY fills them (step 2)."""
        mapped = {c.target for c in self.columns}
        columns = [
            sql.SQL("{} {}{}").format(
                self._id(c.name),
                sql.SQL(c.sql_type),
                sql.SQL(f" DEFAULT {c.default}")
                if c.name not in mapped and c.default is not None
                else sql.SQL(""),
            )
            for c in self.target.columns
        ]
        self._execute(f"DROP TABLE IF EXISTS {STAGE}, {PENDING}")
        self._execute(
            sql.SQL(
                "CREATE TEMP TABLE {} (__rowid bigint PRIMARY KEY, __legacy_id text NOT NULL, {})"
            ).format(sql.Identifier(STAGE), sql.SQL(", ").join(columns))
        )
        self._execute(
            f"CREATE TEMP TABLE {PENDING} (rowid bigint PRIMARY KEY, legacy_id text, "
            "reason text NOT NULL, new_id uuid)"
        )

    def _new_id(self, row: dict[str, Any]) -> Any:
        """The id a row would have had (for naming it to its dependents), if it has one."""
        for column in self.columns:
            if column.target == "id":
                try:
                    return column.convert(row.get(column.source))
                except ConversionError:
                    return None
        return None

    def _converted_rows(
        self, rejected: list[tuple[int, str, str, Any]]
    ) -> Iterator[tuple[Any, ...]]:
        for row in self.source.rows(self.d1_table):
            self.progress(1)
            legacy = legacy_id(self.d1_table, self.d1_pk, row)
            values: list[Any] = [row["__rowid"], legacy]
            try:
                for column in self.columns:
                    try:
                        values.append(column.convert(row.get(column.source)))
                    except ConversionError as exc:
                        raise ConversionError(f"{column.source}: {exc}") from None
            except ConversionError as exc:
                rejected.append((row["__rowid"], legacy, str(exc), self._new_id(row)))
                continue
            yield tuple(values)

    def _copy_into_stage(self) -> list[tuple[int, str, str, Any]]:
        rejected: list[tuple[int, str, str, Any]] = []
        names = ["__rowid", "__legacy_id", *[c.target for c in self.columns]]
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(STAGE), sql.SQL(", ").join(map(sql.Identifier, names))
        )
        with self.connection.cursor() as cursor, cursor.copy(statement) as copy:
            for values in self._converted_rows(rejected):
                copy.write_row(values)
        if rejected:
            with self.connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {PENDING} (rowid, legacy_id, reason, new_id) VALUES (%s, %s, %s, %s)",
                    rejected,
                )
        return rejected

    # -- steps 2-6 ------------------------------------------------------------------------
    def _quarantine_where(self, condition: sql.Composable, reason: sql.Composable) -> int:
        query = sql.SQL(
            "WITH gone AS (DELETE FROM {stage} s WHERE {condition} "
            "RETURNING s.__rowid, s.__legacy_id, {reason} AS reason, {new_id} AS new_id) "
            "INSERT INTO {pending} SELECT * FROM gone"
        ).format(
            stage=sql.Identifier(STAGE),
            condition=condition,
            reason=reason,
            new_id=self._new_id_sql,
            pending=sql.Identifier(PENDING),
        )
        return self._execute(query).rowcount

    def _not_null_and_checks(self) -> None:
        """One pass over the stage for every NOT NULL column and CHECK; the reason names the
        first rule a row breaks."""
        rules: list[tuple[sql.Composable, str]] = [
            (
                sql.SQL("s.{} IS NULL").format(self._id(column.name)),
                f"{column.name}: missing value for a NOT NULL column",
            )
            for column in self.target.columns
            if column.not_null
        ]
        rules += [
            (
                sql.SQL("NOT COALESCE(({}), true)").format(sql.SQL(expression)),
                f"violates {name}: CHECK {expression}",
            )
            for name, expression in self.target.checks
        ]
        if not rules:
            return
        broken = sql.SQL(" OR ").join(sql.SQL("({})").format(rule) for rule, _ in rules)
        reason = sql.SQL("CASE {} END").format(
            sql.SQL(" ").join(
                sql.SQL("WHEN {} THEN {}").format(rule, sql.Literal(text)) for rule, text in rules
            )
        )
        self._quarantine_where(broken, reason)

    def _take_out_present(self) -> int:
        keys = self.target.primary_key
        match = sql.SQL(" AND ").join(sql.SQL("t.{c} = s.{c}").format(c=self._id(c)) for c in keys)
        query = sql.SQL("DELETE FROM {stage} s USING {table} t WHERE {match}").format(
            stage=sql.Identifier(STAGE), table=sql.Identifier(self.target.name), match=match
        )
        return self._execute(query).rowcount

    def _unique_collisions(self) -> None:
        for index in self.target.unique_indexes:
            keys = [sql.SQL(f"({e})") for e in index.expressions]
            key_list = sql.SQL(", ").join(keys)
            predicate = sql.SQL(index.predicate) if index.predicate else sql.SQL("true")
            not_null = sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(k) for k in keys)
            shown = ", ".join(index.expressions)
            # Later rows (by D1 rowid) that repeat an earlier row's key.
            self._execute(
                sql.SQL(
                    "WITH ranked AS (SELECT __rowid, first_value(__legacy_id) OVER w AS keeper, "
                    "row_number() OVER w AS n, ({keys})::text AS key FROM {stage} "
                    "WHERE {predicate} AND {not_null} WINDOW w AS (PARTITION BY {keys} ORDER BY __rowid)), "
                    "gone AS (DELETE FROM {stage} s USING ranked r WHERE s.__rowid = r.__rowid AND r.n > 1 "
                    "RETURNING s.__rowid, s.__legacy_id, "
                    "format('duplicate on %s (%s = %s): collides with %s %s', {index}, {shown}, r.key, "
                    "{table}, r.keeper) AS reason, {new_id} AS new_id) "
                    "INSERT INTO {pending} SELECT * FROM gone"
                ).format(
                    keys=key_list,
                    stage=sql.Identifier(STAGE),
                    predicate=predicate,
                    not_null=not_null,
                    index=sql.Literal(index.name),
                    shown=sql.Literal(shown),
                    table=sql.Literal(self.d1_table),
                    new_id=self._new_id_sql,
                    pending=sql.Identifier(PENDING),
                )
            )
            # Rows that repeat the key of a row already in the table (another source row
            # with a different id, e.g. a case-variant email).
            target_keys = sql.SQL(", ").join(sql.SQL(f"({e})") for e in index.expressions)
            self._execute(
                sql.SQL(
                    "WITH keyed AS (SELECT __rowid, ({keys}) AS key FROM {stage} "
                    "WHERE {predicate} AND {not_null}), "
                    "hits AS (SELECT k.__rowid, k.key::text AS key, "
                    "(SELECT COALESCE(m.legacy_id, {pk_text}) FROM {table_id} t "
                    " LEFT JOIN d1import.id_map m ON m.source_table = {table} AND {map_join} "
                    " WHERE {predicate_t} AND ({target_keys}) = k.key LIMIT 1) AS keeper "
                    "FROM keyed k), "
                    "gone AS (DELETE FROM {stage} s USING hits h WHERE s.__rowid = h.__rowid "
                    "AND h.keeper IS NOT NULL RETURNING s.__rowid, s.__legacy_id, "
                    "format('duplicate on %s (%s = %s): collides with %s %s already loaded', "
                    "{index}, {shown}, h.key, {table}, h.keeper) AS reason, {new_id} AS new_id) "
                    "INSERT INTO {pending} SELECT * FROM gone"
                ).format(
                    keys=key_list,
                    stage=sql.Identifier(STAGE),
                    predicate=predicate,
                    predicate_t=predicate,
                    not_null=not_null,
                    pk_text=sql.SQL("concat_ws('|', {})").format(
                        sql.SQL(", ").join(
                            sql.SQL("t.{}::text").format(self._id(c))
                            for c in self.target.primary_key
                        )
                    ),
                    table_id=sql.Identifier(self.target.name),
                    table=sql.Literal(self.d1_table),
                    map_join=sql.SQL("m.new_id = t.id")
                    if "id" in self.target.primary_key
                    else sql.SQL("false"),
                    target_keys=target_keys,
                    index=sql.Literal(index.name),
                    shown=sql.Literal(shown),
                    new_id=self._new_id_sql,
                    pending=sql.Identifier(PENDING),
                )
            )

    def _orphans(self) -> None:
        while True:
            removed = 0
            for fk in self.target.foreign_keys:
                local = sql.SQL(", ").join(sql.SQL("s.{}").format(self._id(c)) for c in fk.columns)
                parent = sql.SQL(", ").join(
                    sql.SQL("p.{}").format(self._id(c)) for c in fk.parent_columns
                )
                present = sql.SQL(
                    "EXISTS (SELECT 1 FROM {parent} p WHERE ({pcols}) = ({local}))"
                ).format(parent=sql.Identifier(fk.parent), pcols=parent, local=local)
                if fk.parent == self.target.name:
                    present = sql.SQL(
                        "({} OR EXISTS (SELECT 1 FROM {} p WHERE ({}) = ({})))"
                    ).format(present, sql.Identifier(STAGE), parent, local)
                not_null = sql.SQL(" AND ").join(
                    sql.SQL("s.{} IS NOT NULL").format(self._id(c)) for c in fk.columns
                )
                column = ", ".join(fk.columns)
                first = sql.SQL("s.{}").format(self._id(fk.columns[0]))
                reason = sql.SQL(
                    "COALESCE((SELECT format('depends on quarantined %s %s: %s', q.source_table, "
                    "q.legacy_id, q.reason) FROM d1import.quarantine q WHERE q.source_table = {parent_name} "
                    "AND q.new_id::text = {first}::text LIMIT 1), "
                    "(SELECT format('depends on quarantined %s %s: %s', {parent_name}, q.legacy_id, q.reason) "
                    "FROM {pending} q WHERE {self_parent} AND q.new_id::text = {first}::text LIMIT 1), "
                    "format('orphan: %s references missing %s %s', {column}, {parent_name}, {first}::text))"
                ).format(
                    parent_name=sql.Literal(fk.parent),
                    first=first,
                    pending=sql.Identifier(PENDING),
                    self_parent=sql.SQL("true")
                    if fk.parent == self.target.name
                    else sql.SQL("false"),
                    column=sql.Literal(column),
                )
                removed += self._quarantine_where(
                    sql.SQL("{} AND NOT {}").format(not_null, present), reason
                )
            if removed == 0 or not any(
                fk.parent == self.target.name for fk in self.target.foreign_keys
            ):
                return

    # -- step 7 ---------------------------------------------------------------------------
    def _checksum(self, relation: sql.Composable, where: sql.Composable) -> str:
        """Row count and an order-free 64-bit digest of the rows' text (the XOR of each row's
        hash: no sort, so it stays cheap on big tables)."""
        columns = sql.SQL(", ").join(
            sql.SQL("x.{}").format(self._id(c.name)) for c in self.target.columns
        )
        query = sql.SQL(
            "SELECT count(*) || ':' || lpad(to_hex(COALESCE(bit_xor(hashtextextended(ROW({columns})::text, 0)), 0)), 16, '0') "
            "FROM {relation} x WHERE {where}"
        ).format(columns=columns, relation=relation, where=where)
        row = self._execute(query).fetchone()
        assert row is not None
        return str(row[0])

    def _insert(self) -> int:
        names = sql.SQL(", ").join(self._id(c.name) for c in self.target.columns)
        query = sql.SQL(
            "INSERT INTO {table} ({names}) SELECT {names} FROM {stage} ORDER BY __rowid"
        ).format(table=sql.Identifier(self.target.name), names=names, stage=sql.Identifier(STAGE))
        return self._execute(query).rowcount

    def _flush_quarantine(self) -> int:
        pending = self._execute(
            f"SELECT rowid, legacy_id, reason, new_id FROM {PENDING}"
        ).fetchall()
        if not pending:
            return 0
        by_rowid = {rowid: (legacy, reason, new_id) for rowid, legacy, reason, new_id in pending}
        records = []
        for row in self._source_rows_by_rowid(list(by_rowid)):
            legacy, reason, new_id = by_rowid[row["__rowid"]]
            reason = self._in_d1_terms(reason, row)
            records.append(
                (
                    self.d1_table,
                    legacy,
                    reason,
                    json.dumps(redacted_row(self.d1_table, row)),
                    new_id,
                    self.sha256,
                )
            )
        with self.connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO d1import.quarantine (source_table, legacy_id, reason, source_row, new_id, "
                "source_sha256) VALUES (%s, %s, %s, %s::jsonb, %s, %s) "
                "ON CONFLICT (source_table, legacy_id) DO UPDATE SET reason = EXCLUDED.reason, "
                "source_row = EXCLUDED.source_row, new_id = EXCLUDED.new_id",
                records,
            )
        return len(records)

    def _in_d1_terms(self, reason: str, row: dict[str, Any]) -> str:
        """``orphan: user_id references missing users <uuid>`` → name the D1 column and the
        D1 value the row holds, which is what a reviewer can look up."""
        if not reason.startswith("orphan: "):
            return reason
        column, _, rest = reason.removeprefix("orphan: ").partition(" references missing ")
        parent = rest.split(" ")[0]
        source = next((c.source for c in self.columns if c.target == column), None)
        if source is None:
            return reason
        return f"orphan: {source} = {row.get(source)!r} references a missing {parent} row"

    def _source_rows_by_rowid(self, rowids: list[int]) -> Iterator[dict[str, Any]]:
        return self.source.rows_at(self.d1_table, rowids)

    def load(self) -> TableResult:
        started = time.perf_counter()
        source_rows = (
            self.source.count(self.d1_table) if self.d1_table in self.source.tables() else 0
        )
        self._create_stage()
        self._copy_into_stage()
        self._not_null_and_checks()
        present = self._take_out_present()
        self._unique_collisions()
        self._orphans()
        quarantined = self._flush_quarantine()
        if "id" in self.target.primary_key:
            self._execute(
                sql.SQL(
                    "INSERT INTO d1import.id_map (source_table, legacy_id, new_id) "
                    "SELECT {t}, __legacy_id, id FROM {stage} WHERE __legacy_id <> id::text "
                    "ON CONFLICT DO NOTHING"
                ).format(t=sql.Literal(self.d1_table), stage=sql.Identifier(STAGE))
            )
        converted = self._checksum(sql.Identifier(STAGE), sql.SQL("true"))
        keys = sql.SQL(", ").join(self._id(c) for c in self.target.primary_key)
        inserted = self._insert()
        loaded = self._checksum(
            sql.Identifier(self.target.name),
            sql.SQL("({keys}) IN (SELECT {keys} FROM {stage})").format(
                keys=keys, stage=sql.Identifier(STAGE)
            ),
        )
        result = TableResult(
            table=self.d1_table,
            source_rows=source_rows,
            loaded_rows=inserted + present,
            already_present_rows=present,
            quarantined_rows=quarantined,
            converted_checksum=converted,
            loaded_checksum=loaded,
            seconds=round(time.perf_counter() - started, 3),
        )
        self._execute(f"DROP TABLE {STAGE}, {PENDING}")
        return result
