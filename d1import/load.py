"""Loading one D1 table: convert and COPY into a staging table, sort out in SQL what cannot go
in (``d1import.rules``), insert the rest, write up the quarantine
(``d1import.quarantine_writeup``), all in the caller's transaction.

The steps, in order, for a table T:
1. stream the source rows, convert each column (a value that does not convert quarantines
   its row with the converter's kind), COPY the rest into a temporary stage in batches; a
   batch the server refuses is bisected down to the rows it refuses, which are quarantined
   with the server's message (``rejected_by_server``), and the load goes on;
2. columns D1 did not have get their defaults (the stage declares them, the COPY fills
   them), adjusted where a rule needs it (``rules.STAGE_ADJUSTMENTS``); columns the map
   derives (a child's ``user_id``) are set from the parent rows already loaded
   (``rules.derive``);
3. quarantine rows with NULL in a NOT NULL column, rows breaking a CHECK of T (a derived
   column left NULL means a missing parent: step 6 says so, naming the parent);
4. rows whose primary key is already in T (the seeds, under the same derived id): the same
   values count as loaded; other values are quarantined as a difference for the operator;
5. quarantine the later of two rows that would collide on a unique index of T (or with a row
   already in T), naming the row it collides with; the keys T declares without an index of
   its own (``rules.DECLARED_KEYS``: users' e-mail, held by ``user_emails``) first;
6. quarantine rows whose foreign key finds no parent (SQLite did not enforce them), naming
   the parent when it was quarantined (also D1's references the target keeps without a
   foreign key, and a derived column's parent reference: ``rules.checked_references``);
7. write up the quarantine, insert the rest; record the ids that changed and checksums of
   what was converted and of what landed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from d1import.bookkeeping import SECRET_COLUMNS
from d1import.catalog import TargetTable, read_target
from d1import.convert import ConversionError, Converter, converter_for
from d1import.elsewhere import Part
from d1import.errors import scrub
from d1import.mapping import TableMap
from d1import.quarantine_writeup import legacy_id, write_up
from d1import.results import TableResult
from d1import.rules import (
    DECLARED_KEYS,
    PENDING,
    PENDING_COLUMNS,
    STAGE,
    STAGE_ADJUSTMENTS,
    Rules,
    checked_references,
    derive,
)
from d1import.source import Source

BATCH = 5000
REDACTED_DETAIL = "the value is a secret: not shown (its kind says what is wrong)"
COPY_COLUMN = re.compile(r"COPY \S+, line \d+, column (\w+)")
PendingRow = tuple[int, str | None, str, str | None, str, Any]
"""A row quarantined before the SQL steps: rowid, legacy id, kind, D1 column, detail, new id."""


@dataclass(frozen=True)
class ColumnPlan:
    source: str
    target: str
    convert: Converter


class TableLoader:
    """Loads one table in the caller's transaction (``connection`` must not autocommit).
    ``part``: the rows of a D1 table that land in another table (``d1import.elsewhere``);
    ``table_map.table`` is then that table, and only the rows the part takes are read."""

    def __init__(
        self,
        connection: psycopg.Connection,
        source: Source,
        table_map: TableMap,
        d1_pk: list[str],
        enum_labels: dict[str, tuple[str, ...]],
        sha256: str,
        source_rows: int,
        progress: Callable[[int], None] = lambda _: None,
        part: Part | None = None,
    ) -> None:
        self.connection = connection
        self.source = source
        self.map = table_map
        self.part = part
        self.taken = 0
        self.d1_table = part.d1_table if part is not None else table_map.table
        self.d1_pk = d1_pk
        self.sha256 = sha256
        self.source_rows = source_rows
        self.progress = progress
        self.target: TargetTable = read_target(connection, table_map.table)
        self.columns = [
            ColumnPlan(
                d1,
                entry.column,
                converter_for(
                    entry.conversion,
                    table=self.d1_table,
                    enum_labels=enum_labels.get(entry.conversion.partition(":")[2], ()),
                ),
            )
            for d1, entry in table_map.columns.items()
            if entry.column is not None
        ]
        self.secrets = SECRET_COLUMNS.get(self.d1_table, set())
        self.rules = Rules(
            self.target,
            self.d1_table,
            {c.target: c.source for c in self.columns},
            sha256,
            derived=frozenset(table_map.derived),
        )

    def _execute(
        self, query: sql.Composed | sql.SQL | str, params: Any = None
    ) -> psycopg.Cursor[Any]:
        cursor = self.connection.cursor()
        cursor.execute(query, params)
        return cursor

    # -- step 1 ---------------------------------------------------------------------------
    def _create_stage(self) -> None:
        """The stage has the target's columns and types, no constraints; columns D1 does not
        fill get the target's default, so the COPY fills them (step 2)."""
        mapped = {c.target for c in self.columns}
        columns = [
            sql.SQL("{} {}{}").format(
                sql.Identifier(c.name),
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
                "CREATE TEMP TABLE {} (__rowid bigint PRIMARY KEY, __legacy_id text, {})"
            ).format(sql.Identifier(STAGE), sql.SQL(", ").join(columns))
        )
        self._execute(f"CREATE TEMP TABLE {PENDING} ({PENDING_COLUMNS})")
        self._execute(f"CREATE INDEX ON {PENDING} (new_id)")

    def _new_id(self, row: dict[str, Any]) -> Any:
        """The id a row would have had (for naming it to its dependents), if it has one."""
        for column in self.columns:
            if column.target == "id":
                try:
                    return column.convert(row.get(column.source))
                except ConversionError:
                    return None
        return None

    def _converted(self, row: dict[str, Any]) -> tuple[tuple[Any, ...] | None, PendingRow | None]:
        """The row's stage values, or why it is quarantined."""
        legacy = legacy_id(self.d1_table, self.d1_pk, row)
        values: list[Any] = [row["__rowid"], legacy]
        refusal = self.part.refusal(row) if self.part is not None else None
        if refusal is not None:
            return None, (row["__rowid"], legacy, *refusal, self._new_id(row))
        for column in self.columns:
            try:
                values.append(column.convert(row.get(column.source)))
            except ConversionError as exc:
                detail = self._shown_detail(column.source, exc.detail)
                refused = (row["__rowid"], legacy, exc.kind, column.source, detail)
                return None, (*refused, self._new_id(row))
        return tuple(values), None

    def _copy_into_stage(self) -> None:
        """Step 1, in batches: converted rows to the stage, the others to the pending
        quarantine (memory holds one batch)."""
        batch: list[tuple[Any, ...]] = []
        rejected: list[PendingRow] = []
        for row in self.source.rows(self.d1_table):
            self.progress(1)
            if self.part is not None and not self.part.takes(row):
                continue
            self.taken += 1
            converted, refused = self._converted(row)
            if converted is not None:
                batch.append(converted)
            if refused is not None:
                rejected.append(refused)
            if len(batch) + len(rejected) >= BATCH:
                self._flush(batch, rejected)
                batch, rejected = [], []
        self._flush(batch, rejected)

    def _flush(self, batch: list[tuple[Any, ...]], rejected: list[PendingRow]) -> None:
        self._copy_batch(batch, rejected)
        if rejected:
            with (
                self.connection.cursor() as cursor,
                cursor.copy(
                    sql.SQL(
                        "COPY {} (rowid, legacy_id, kind, d1_column, detail, new_id) FROM STDIN"
                    ).format(sql.Identifier(PENDING))
                ) as copy,
            ):
                for pending in rejected:
                    copy.write_row(pending)

    def _copy_batch(self, batch: list[tuple[Any, ...]], rejected: list[PendingRow]) -> None:
        """COPY the batch under a savepoint; if the server refuses it, bisect to the rows it
        refuses and quarantine those with its message (the safety net)."""
        if not batch:
            return
        names = ["__rowid", "__legacy_id", *[c.target for c in self.columns]]
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(STAGE), sql.SQL(", ").join(map(sql.Identifier, names))
        )
        try:
            with (
                self.connection.transaction(),
                self.connection.cursor() as cursor,
                cursor.copy(statement) as copy,
            ):
                for values in batch:
                    copy.write_row(values)
        except (psycopg.DataError, ValueError) as exc:  # ValueError: a value psycopg cannot send
            if len(batch) > 1:
                middle = len(batch) // 2
                self._copy_batch(batch[:middle], rejected)
                self._copy_batch(batch[middle:], rejected)
                return
            rejected.append(self._refused(batch[0], exc))

    def _refused(self, values: tuple[Any, ...], exc: Exception) -> PendingRow:
        diag = exc.diag if isinstance(exc, psycopg.Error) else None
        message = (diag.message_primary if diag else None) or str(exc).splitlines()[0]
        found = COPY_COLUMN.search((diag.context if diag else None) or "")
        target = found.group(1) if found else None
        column = next((c.source for c in self.columns if c.target == target), None)
        new_id = next(
            (v for c, v in zip(self.columns, values[2:], strict=True) if c.target == "id"), None
        )
        detail = self._shown_detail(column, message)
        return (values[0], values[1], "rejected_by_server", column, detail, new_id)

    def _shown_detail(self, column: str | None, detail: str) -> str:
        """A quarantine detail as it may be shown: a secret column's is replaced; a server
        message naming no column, in a table with secrets, loses every quoted value (the one
        redaction of ``d1import.errors``)."""
        if column in self.secrets:
            return REDACTED_DETAIL
        if column is None and self.secrets:
            return scrub(detail)
        return detail

    # -- steps 2-6 ------------------------------------------------------------------------
    def _sort_out(self) -> int:
        """The SQL rules, in order; returns how many rows were already there (step 4)."""
        adjustment = STAGE_ADJUSTMENTS.get(self.target.name)
        if adjustment:
            self._execute(adjustment)
        for column, derived in self.map.derived.items():
            self._execute(derive(column, derived))
        rules = self.rules
        for statement in (rules.not_null_and_checks(), rules.differing_from_existing()):
            if statement is not None:
                self._execute(statement)
        present = self._execute(rules.take_out_present()).rowcount
        for key in DECLARED_KEYS.get(self.target.name, ()):
            self._execute(rules.duplicates_in_source(key.index, key.detail))
            if key.lookup_present(self.connection):
                self._execute(rules.duplicates_of_lookup(key))
        for index in self.target.unique_indexes:
            self._execute(rules.duplicates_in_source(index))
            self._execute(rules.duplicates_of_existing(index))
        foreign_keys = checked_references(self.target, self.map)
        self_referencing = any(fk.parent == self.target.name for fk in foreign_keys)
        while True:  # a quarantined row can orphan its children in the same table
            removed = sum(self._execute(rules.orphans(fk)).rowcount for fk in foreign_keys)
            if removed == 0 or not self_referencing:
                return present

    # -- step 7 ---------------------------------------------------------------------------
    def _checksum(self, relation: sql.Composable, where: sql.Composable) -> str:
        """Row count and an order-free 64-bit digest of the rows' text (the XOR of each row's
        hash: no sort, so it stays cheap on big tables)."""
        columns = sql.SQL(", ").join(
            sql.SQL("x.{}").format(sql.Identifier(c.name)) for c in self.target.columns
        )
        query = sql.SQL(
            "SELECT count(*) || ':' || lpad(to_hex(COALESCE(bit_xor(hashtextextended(ROW({columns})::text, 0)), 0)), 16, '0') "
            "FROM {relation} x WHERE {where}"
        ).format(columns=columns, relation=relation, where=where)
        row = self._execute(query).fetchone()
        assert row is not None
        return str(row[0])

    def _insert(self) -> int:
        names = sql.SQL(", ").join(sql.Identifier(c.name) for c in self.target.columns)
        query = sql.SQL(
            "INSERT INTO {table} ({names}) SELECT {names} FROM {stage} ORDER BY __rowid"
        ).format(table=sql.Identifier(self.target.name), names=names, stage=sql.Identifier(STAGE))
        return self._execute(query).rowcount

    def load(self) -> TableResult:
        started = time.perf_counter()
        self._create_stage()
        self._copy_into_stage()
        present = self._sort_out()
        quarantined = write_up(self.connection, self.source, self.d1_table, self.d1_pk, self.sha256)
        if "id" in self.target.primary_key:
            self._execute(
                sql.SQL(
                    "INSERT INTO d1import.id_map (source_table, legacy_id, new_id) "
                    "SELECT {t}, __legacy_id, id FROM {stage} WHERE __legacy_id <> id::text "
                    "ON CONFLICT DO NOTHING"
                ).format(t=sql.Literal(self.d1_table), stage=sql.Identifier(STAGE))
            )
        converted = self._checksum(sql.Identifier(STAGE), sql.SQL("true"))
        keys = sql.SQL(", ").join(sql.Identifier(c) for c in self.target.primary_key)
        inserted = self._insert()
        loaded = self._checksum(
            sql.Identifier(self.target.name),
            sql.SQL("({keys}) IN (SELECT {keys} FROM {stage})").format(
                keys=keys, stage=sql.Identifier(STAGE)
            ),
        )
        result = TableResult(
            table=self.d1_table,
            source_rows=self.taken if self.part is not None else self.source_rows,
            loaded_rows=inserted + present,
            already_present_rows=present,
            quarantined_rows=quarantined,
            converted_checksum=converted,
            loaded_checksum=loaded,
            seconds=round(time.perf_counter() - started, 3),
        )
        self._execute(f"DROP TABLE {STAGE}, {PENDING}")
        return result
