"""Loading one D1 table: convert and COPY into a staging table, sort out in SQL what cannot go
in (``d1import.rules``), insert the rest, write up the quarantine
(``d1import.quarantine_writeup``), all in the caller's transaction.

The steps, in order, for a table T:
1. stream the source rows, convert each column (a value that does not convert quarantines
   its row with the converter's kind), COPY the rest into a temporary stage in batches; a
   batch the server refuses is bisected down to the rows it refuses, which are quarantined
   with the server's message (``rejected_by_server``), and the load goes on. Step 1 has two
   halves: ``convert`` (Python only, no round trip: the run does it in another process
   ahead of the table's turn, ``d1import.pipeline``) writes COPY text to a ``Spool`` on
   disk; ``_copy_into_stage`` sends it in one COPY on the run's connection;
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
   every foreign key T has at head counts, in place or set aside for the load
   (``d1import.deferral``: the target is read before that);
7. write up the quarantine, insert the rest; record the ids that changed and checksums of
   what was converted and of what landed. An empty table takes the rows without its keys,
   made again right after (``d1import.bare_keys``); their making checks step 5 for them, so
   step 5 skips those keys, and should one repeat, steps 2-7 are undone and done again
   without skipping.

When T holds no row before the load (every table but the seeded reference tables), the
comparisons with rows already there (steps 4, 5's second half) have nothing to find and are
skipped, and the checksum of what landed is that of the whole table.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any

import psycopg
from psycopg import sql
from psycopg.copy import FileWriter

from d1import.bare_keys import Key, KeyDoesNotHold, drop_keys, droppable_keys, make_keys_again
from d1import.bookkeeping import SECRET_COLUMNS
from d1import.catalog import TargetTable, UniqueIndex, read_target
from d1import.convert import ConversionError, Converter, converter_for
from d1import.elsewhere import Part
from d1import.errors import scrub
from d1import.mapping import TableMap
from d1import.quarantine_writeup import legacy_id, legacy_id_of, plain_key, write_up
from d1import.results import TableResult
from d1import.row_function import RowFunction, compile_row
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
# Rows from which an empty table fills without its keys (``d1import.bare_keys``): below, the
# drop and the rebuild (catalog changes, a file synced per index) cost more than keeping a
# few thousand rows' keys up to date.
BARE_KEYS_FROM = 5000
REDACTED_DETAIL = "the value is a secret: not shown (its kind says what is wrong)"
COPY_COLUMN = re.compile(r"COPY \S+, line \d+, column (\w+)")
COPY_ESCAPE = re.compile(rb"\\(.)")
COPY_UNESCAPED = {b"b": b"\b", b"t": b"\t", b"n": b"\n", b"v": b"\v", b"f": b"\f", b"r": b"\r"}
PendingRow = tuple[int, str | None, str, str | None, str, Any]
"""A row quarantined before the SQL steps: rowid, legacy id, kind, D1 column, detail, new id."""


class ConversionStopped(Exception):
    """Converting ahead was stopped because the run ended."""


@dataclass(frozen=True)
class ColumnPlan:
    source: str
    target: str
    convert: Converter


def _scratch_file() -> IO[bytes]:
    return tempfile.TemporaryFile(prefix="d1import")  # Spool.close closes it


@dataclass
class Spool:
    """Step 1's Python half for one table: the converted rows as COPY text in a temporary
    file, in chunks of at most ``BATCH`` rows (offset, length), and the rows refused by a
    converter as COPY text for the pending table. On disk, not in memory: a table converted
    ahead of its turn costs no memory however big it is; the files have no name (nothing
    stays on disk, however the run ends), and the converting process writes them through the
    descriptors it inherits (``d1import.pipeline``)."""

    stage: IO[bytes] = field(default_factory=_scratch_file)
    chunks: list[tuple[int, int]] = field(default_factory=list)
    pending: IO[bytes] = field(default_factory=_scratch_file)
    pending_rows: int = 0
    seconds: float = 0.0

    def close(self) -> None:
        self.stage.close()
        self.pending.close()


def copy_fields(line: bytes) -> list[bytes | None]:
    """The fields of one line of COPY text (``\\N`` is NULL)."""
    return [
        None
        if raw == b"\\N"
        else COPY_ESCAPE.sub(lambda m: COPY_UNESCAPED.get(m.group(1), m.group(1)), raw)
        for raw in line.rstrip(b"\n").split(b"\t")
    ]


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
        target: TargetTable | None = None,
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
        # Read before the run sets indexes and foreign keys aside (``d1import.deferral``):
        # the rules check every foreign key the schema has, whether it is in place or not.
        self.target: TargetTable = target or read_target(connection, table_map.table)
        self.spool: Spool | None = None
        self.should_stop: Callable[[], bool] = lambda: False
        """Polled between batches while converting (a run that ends stops the conversion)."""
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
        # One round trip (a table costs a few dozen; 66 tables add up). The pending table is
        # the same for every table: made once a session, emptied after each table.
        self._execute(
            sql.SQL(
                "DROP TABLE IF EXISTS {stage}; "
                "CREATE TEMP TABLE {stage} (__rowid bigint NOT NULL, __legacy_id text, {columns}); "
                "CREATE TEMP TABLE IF NOT EXISTS {pending} ({pending_columns}); "
                "CREATE INDEX IF NOT EXISTS d1import_pending_new_id ON {pending} (new_id)"
            ).format(
                stage=sql.Identifier(STAGE),
                pending=sql.Identifier(PENDING),
                columns=sql.SQL(", ").join(columns),
                pending_columns=sql.SQL(PENDING_COLUMNS),
            )
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

    def _row_function(self, names: list[str]) -> RowFunction:
        """``_converted``'s values for a row that converts, compiled for this table's columns
        (``d1import.row_function``)."""
        # A plain key converted as an id: when it is a UUID already, the legacy id is the
        # value the converter kept (compile_row's ``legacy_is``).
        key = plain_key(self.d1_table, self.d1_pk)
        entry = self.map.columns.get(key) if key is not None else None
        return compile_row(
            names,
            [(column.source, column.convert) for column in self.columns],
            legacy_id_of(self.d1_table, self.d1_pk, names),
            key if entry is not None and entry.conversion == "uuid_pk" else None,
        )

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

    def convert(self, spool: Spool | None = None) -> Spool:
        """Step 1, Python half (no round trip to the server, so another process can do it
        while the server works on another table, ``d1import.pipeline``): stream the source
        rows, convert them, write the converted rows and the refused ones to ``spool`` (new
        scratch files by default). Memory holds one batch."""
        started = time.perf_counter()
        spool = spool if spool is not None else Spool()
        batch: list[tuple[Any, ...]] = []
        rejected: list[PendingRow] = []
        # A cursor only to format COPY text with the connection's adapters (nothing is sent).
        formatting = self.connection.cursor()

        def write(rows: Sequence[Sequence[Any]], file: IO[bytes]) -> None:
            with psycopg.Copy(formatting, binary=False, writer=FileWriter(file)) as copy:
                for values in rows:
                    copy.write_row(values)

        def flush() -> None:
            offset = spool.stage.tell()
            try:
                write(batch, spool.stage)
            except ValueError:  # a value psycopg cannot send: find it, quarantine it
                spool.stage.seek(offset)
                spool.stage.truncate()
                for values in batch:
                    position = spool.stage.tell()
                    try:
                        write([values], spool.stage)
                    except ValueError as exc:
                        spool.stage.seek(position)
                        spool.stage.truncate()
                        rejected.append(self._refused(values, exc))
            if spool.stage.tell() > offset:
                spool.chunks.append((offset, spool.stage.tell() - offset))
            write(rejected, spool.pending)
            spool.pending_rows += len(rejected)
            self.progress(len(batch) + len(rejected))

        names, rows = self.source.tuples(self.d1_table)
        fast = self._row_function(names) if self.part is None else None
        while chunk := list(islice(rows, BATCH)):
            if self.should_stop():
                spool.close()
                raise ConversionStopped(self.d1_table)
            if batch or rejected:
                flush()
                batch, rejected = [], []
            keep = batch.append
            for values in chunk:
                if fast is not None:
                    try:
                        keep(fast(values))
                        continue
                    except ConversionError:  # the general path says which column, and why
                        pass
                row = dict(zip(names, values, strict=True))
                if self.part is not None and not self.part.takes(row):
                    continue
                converted, refused = self._converted(row)
                if converted is not None:
                    keep(converted)
                if refused is not None:
                    rejected.append(refused)
            self.taken += len(batch) + len(rejected)
        flush()
        spool.seconds = time.perf_counter() - started
        return spool

    def _copy_into_stage(self) -> None:
        """Step 1, server half: COPY the spooled rows into the stage chunk by chunk, the
        refused ones into the pending quarantine (converting now if no one did ahead)."""
        spool = self.spool if self.spool is not None else self.convert()
        self.spool = spool
        rejected: list[PendingRow] = []
        if spool.chunks and not self._copy_whole(spool):
            for offset, length in spool.chunks:  # the server refused something: find it
                spool.stage.seek(offset)
                self._copy_chunk(spool.stage.read(length).splitlines(keepends=True), rejected)
        if not spool.pending_rows and not rejected:
            return
        with (
            self.connection.cursor() as cursor,
            cursor.copy(
                sql.SQL(
                    "COPY {} (rowid, legacy_id, kind, d1_column, detail, new_id) FROM STDIN"
                ).format(sql.Identifier(PENDING))
            ) as copy,
        ):
            spool.pending.seek(0)
            while data := spool.pending.read(1 << 20):
                copy.write(data)
            for pending in rejected:
                copy.write_row(pending)

    def _stage_copy(self) -> sql.Composed:
        names = ["__rowid", "__legacy_id", *[c.target for c in self.columns]]
        return sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(STAGE), sql.SQL(", ").join(map(sql.Identifier, names))
        )

    def _copy_whole(self, spool: Spool) -> bool:
        """The whole spool in one COPY under a savepoint (the usual case); False, with
        nothing staged, if the server refused a row."""
        try:
            with (
                self.connection.transaction(),
                self.connection.cursor() as cursor,
                cursor.copy(self._stage_copy()) as copy,
            ):
                spool.stage.seek(0)
                while data := spool.stage.read(1 << 20):
                    copy.write(data)
        except psycopg.DataError:
            return False
        return True

    def _copy_chunk(self, lines: list[bytes], rejected: list[PendingRow]) -> None:
        """COPY the lines under a savepoint; if the server refuses them, bisect to the rows
        it refuses and quarantine those with its message (the safety net)."""
        if not lines:
            return
        statement = self._stage_copy()
        try:
            with (
                self.connection.transaction(),
                self.connection.cursor() as cursor,
                cursor.copy(statement) as copy,
            ):
                copy.write(b"".join(lines))
        except psycopg.DataError as exc:
            if len(lines) > 1:
                middle = len(lines) // 2
                self._copy_chunk(lines[:middle], rejected)
                self._copy_chunk(lines[middle:], rejected)
                return
            fields = copy_fields(lines[0])
            rejected.append(self._refused([None if f is None else f.decode() for f in fields], exc))

    def _refused(self, values: Sequence[Any], exc: Exception) -> PendingRow:
        """The pending row of a stage row (rowid, legacy id, values) that was refused."""
        diag = exc.diag if isinstance(exc, psycopg.Error) else None
        message = (diag.message_primary if diag else None) or str(exc).splitlines()[0]
        found = COPY_COLUMN.search((diag.context if diag else None) or "")
        target = found.group(1) if found else None
        column = next((c.source for c in self.columns if c.target == target), None)
        new_id = next(
            (v for c, v in zip(self.columns, values[2:], strict=True) if c.target == "id"), None
        )
        detail = self._shown_detail(column, message)
        return (int(values[0]), values[1], "rejected_by_server", column, detail, new_id)

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
    def _sort_out(self, target_empty: bool, unchecked: frozenset[str] = frozenset()) -> int:
        """The SQL rules, in order; returns how many rows were already there (step 4). The
        rules that compare with rows already in the table are skipped when it has none (the
        usual case: only reference tables hold seeded rows); so is the duplicate rule of the
        unique indexes named in ``unchecked`` (whoever skips it checks those keys)."""
        adjustment = STAGE_ADJUSTMENTS.get(self.target.name)
        if adjustment:
            self._execute(adjustment)
        for column, derived in self.map.derived.items():
            self._execute(derive(column, derived))
        rules = self.rules
        statements = [rules.not_null_and_checks()]
        if not target_empty:
            statements.append(rules.differing_from_existing())
        for statement in statements:
            if statement is not None:
                self._execute(statement)
        present = 0 if target_empty else self._execute(rules.take_out_present()).rowcount
        declared = DECLARED_KEYS.get(self.target.name, ())
        # Whether each key repeats in the stage at all, for all keys in one round trip (a hash
        # aggregate each); only a key that does goes through the rule (a window over the
        # stage). Taking rows out never makes a key repeat, so the answer holds throughout.
        checked = [i for i in self.target.unique_indexes if i.name not in unchecked]
        repeats = self._repeating([key.index for key in declared] + checked)
        for key, repeating in zip(declared, repeats, strict=False):
            if repeating:
                self._execute(rules.duplicates_in_source(key.index, key.detail))
            if key.lookup_present(self.connection):
                self._execute(rules.duplicates_of_lookup(key))
        for index, repeating in zip(checked, repeats[len(declared) :], strict=True):
            if repeating:
                self._execute(rules.duplicates_in_source(index))
            if not target_empty:
                self._execute(rules.duplicates_of_existing(index))
        foreign_keys = checked_references(self.target, self.map)
        self_referencing = any(fk.parent == self.target.name for fk in foreign_keys)
        while True:  # a quarantined row can orphan its children in the same table
            removed = sum(self._execute(rules.orphans(fk)).rowcount for fk in foreign_keys)
            if removed == 0 or not self_referencing:
                return present

    def _repeating(self, indexes: list[UniqueIndex]) -> list[bool]:
        if not indexes:
            return []
        row = self._execute(self.rules.repeating(indexes)).fetchone()
        assert row is not None
        return [bool(value) for value in row]

    # -- step 7 ---------------------------------------------------------------------------
    def _map_ids(self) -> None:
        """The ids that changed, into ``d1import.id_map``. A plain insert (an upsert costs
        twice as much per row); should a legacy id be there already (a composite D1 key with
        a NULL part repeats, which SQLite allows), again, keeping the first."""
        insert = sql.SQL(
            "INSERT INTO d1import.id_map (source_table, legacy_id, new_id) "
            "SELECT {t}, __legacy_id, id FROM {stage} WHERE __legacy_id <> id::text"
        ).format(t=sql.Literal(self.d1_table), stage=sql.Identifier(STAGE))
        try:
            with self.connection.transaction():
                self._execute(insert)
        except psycopg.errors.UniqueViolation:
            self._execute(insert + sql.SQL(" ON CONFLICT DO NOTHING"))

    def _checksum(self, relation: sql.Composable, where: sql.Composable) -> str:
        """Row count and an order-free 64-bit digest of the rows' values (the XOR of each
        row's hash, ``hash_record_extended``: each column hashed by its type's own hash
        function, as a hash index would; no sort and no output to text, so it stays cheap
        on big tables). The stage and the table have the same column types, so the same rows
        give the same digest."""
        columns = sql.SQL(", ").join(
            sql.SQL("x.{}").format(sql.Identifier(c.name)) for c in self.target.columns
        )
        query = sql.SQL(
            "SELECT count(*) || ':' || lpad(to_hex(COALESCE(bit_xor(hash_record_extended(ROW({columns}), 0)), 0)), 16, '0') "
            "FROM {relation} x WHERE {where}"
        ).format(columns=columns, relation=relation, where=where)
        row = self._execute(query).fetchone()
        assert row is not None
        return str(row[0])

    def _insert(self) -> int:
        """The stage's rows into the table, in D1's order: the stage holds them in rowid order
        and a temporary table's scan is never synchronized with another's or parallel, so it
        reads them in that order without a sort (which cost a third of the insert)."""
        names = sql.SQL(", ").join(sql.Identifier(c.name) for c in self.target.columns)
        query = sql.SQL("INSERT INTO {table} ({names}) SELECT {names} FROM {stage}").format(
            table=sql.Identifier(self.target.name), names=names, stage=sql.Identifier(STAGE)
        )
        return self._execute(query).rowcount

    def _is_empty(self) -> bool:
        row = self._execute(
            sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(self.target.name))
        ).fetchone()
        return bool(row and row[0])

    def _sort_out_and_insert(
        self, target_empty: bool, bare: list[Key], *, trust_rebuild: bool
    ) -> tuple[int, int, str, int, str]:
        """Steps 2-7: rows already there, quarantined, the converted checksum, rows inserted,
        the loaded checksum. ``bare``: the keys the insert goes without; ``trust_rebuild``:
        whether their repeats are left to their making again (``KeyDoesNotHold``)."""
        unchecked = frozenset(key.index for key in bare) if trust_rebuild else frozenset()
        present = self._sort_out(target_empty, unchecked)
        quarantined = write_up(self.connection, self.source, self.d1_table, self.d1_pk, self.sha256)
        if "id" in self.target.primary_key:
            self._map_ids()
        converted = self._checksum(sql.Identifier(STAGE), sql.SQL("true"))
        drop_keys(self.connection, bare)
        inserted = self._insert()
        make_keys_again(self.connection, bare)
        # What landed: the rows with the stage's keys; in a table that was empty, all rows.
        keys = sql.SQL(", ").join(sql.Identifier(c) for c in self.target.primary_key)
        loaded = self._checksum(
            sql.Identifier(self.target.name),
            sql.SQL("true")
            if target_empty
            else sql.SQL("({keys}) IN (SELECT {keys} FROM {stage})").format(
                keys=keys, stage=sql.Identifier(STAGE)
            ),
        )
        return present, quarantined, converted, inserted, loaded

    def load(self) -> TableResult:
        """Steps 1-7 in the caller's transaction (step 1's conversion may have been done
        ahead by ``prepare``)."""
        started = time.perf_counter()
        try:
            return self._load(started)
        finally:
            if self.spool is not None:
                self.spool.close()
                self.spool = None

    def _load(self, started: float) -> TableResult:
        self._create_stage()
        self._copy_into_stage()
        converting = self.spool.seconds if self.spool is not None else 0.0
        target_empty = self._is_empty()
        # An empty table fills without its keys, made again right after the insert
        # (d1import.bare_keys). Making them again checks that no two rows share a key, so the
        # rules need not ask it first of those keys; should a key repeat after all, the rules
        # on are undone (a savepoint) and done again, asking.
        bare = (
            droppable_keys(self.connection, self.target.name)
            if target_empty and self.taken >= BARE_KEYS_FROM
            else []
        )
        try:
            with self.connection.transaction():
                steps = self._sort_out_and_insert(target_empty, bare, trust_rebuild=True)
        except KeyDoesNotHold:
            steps = self._sort_out_and_insert(target_empty, bare, trust_rebuild=False)
        present, quarantined, converted, inserted, loaded = steps
        result = TableResult(
            table=self.d1_table,
            source_rows=self.taken if self.part is not None else self.source_rows,
            loaded_rows=inserted + present,
            already_present_rows=present,
            quarantined_rows=quarantined,
            converted_checksum=converted,
            loaded_checksum=loaded,
            # the table's own work: its conversion (perhaps done ahead, overlapping another
            # table's load) and its load
            seconds=round(time.perf_counter() - started + converting, 3),
        )
        self._execute(f"DROP TABLE {STAGE}; DELETE FROM {PENDING}")
        return result
