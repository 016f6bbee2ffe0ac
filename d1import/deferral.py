"""Loading into bare tables, as ``pg_restore`` does: the secondary indexes and the foreign keys
of the tables the import writes are set aside while it loads, then built again (indexes with
the server's parallel maintenance workers) and added back validated, each as soon as the
tables it concerns are loaded, on a connection of its own while the run loads the next
tables (``PutBackAsLoaded``; a dry run puts back at its end). What is put back is
exactly what the catalog held: each definition is read from the live catalog
(``pg_get_indexdef``, ``pg_get_constraintdef``, the object's comment) and written down in
``d1import.deferred`` in the same transaction that drops the object, so nothing depends on a
list kept here, and revisions that add or change indexes and keys are followed as they land.

What stays while loading:
- every primary key and every unique index (constraint or not), as far as this module goes:
  rows are matched to rows already in the table by them (``rules.take_out_present``,
  ``rules.duplicates_of_existing``). A table that holds no rows goes without them while its
  rows go in, in the transaction that fills it (``d1import.bare_keys``), never across
  transactions as here;
- CHECKs, NOT NULL, triggers: cheap per row, and the rules quarantine what they would refuse.

Why the foreign keys can be off: ``rules.orphans`` quarantines every staged row whose
reference finds no parent *in the parent table as it is* (seeded reference rows included),
for every foreign key the catalog held before the load (the loader reads its targets before
anything is set aside), tables load parents first, and nothing deletes from a loaded table.
Adding the keys back validated re-checks that reasoning over every row: a key whose rows do
not hold is added ``NOT VALID`` (so it guards new rows) and the run fails naming it.

Crash safety: ``set_aside`` and every ``put_back`` step commit together with their rows in
``d1import.deferred``, so the catalog plus that table always describe the schema at head. A
run that fails puts everything back before the tool exits; a run killed outright (or one that
cannot reach the server any more) leaves the rows, and the next run (any next run, also one
that is refused) puts them back before anything else, and says so.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

import psycopg
from psycopg import errors, sql

log = logging.getLogger("d1import")

DEFERRED_DDL = """
CREATE TABLE IF NOT EXISTS d1import.deferred (
    position bigserial PRIMARY KEY,
    kind text NOT NULL CONSTRAINT deferred_kind_check CHECK (kind IN ('index', 'foreign_key')),
    table_name text NOT NULL,
    name text NOT NULL,
    definition text NOT NULL,
    comment text,
    run_id bigint,
    UNIQUE (kind, table_name, name)
);
"""

# The indexes to set aside: not unique, not behind a constraint (an exclusion constraint's).
INDEXES = """
SELECT t.relname, ic.relname, pg_get_indexdef(i.indexrelid),
       obj_description(i.indexrelid, 'pg_class')
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relnamespace = 'public'::regnamespace AND t.relname = ANY(%s)
  AND NOT i.indisunique AND NOT i.indisprimary AND NOT i.indisexclusion
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                  AND c.conrelid = i.indrelid)
ORDER BY t.relname, ic.relname
"""

FOREIGN_KEYS = """
SELECT t.relname, c.conname, pg_get_constraintdef(c.oid), obj_description(c.oid, 'pg_constraint'),
       (SELECT p.relname FROM pg_class p WHERE p.oid = c.confrelid)
FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
WHERE t.relnamespace = 'public'::regnamespace AND t.relname = ANY(%s) AND c.contype = 'f'
  AND c.conislocal
ORDER BY t.relname, c.conname
"""

# Index builds use the server's parallel maintenance workers (its own
# max_parallel_maintenance_workers, 2 by default); they share maintenance_work_mem (each
# needs 32 MB of it), which is raised for the import's session to at least this, never
# lowered.
BUILD_MEMORY_KB = 256 * 1024


@dataclass(frozen=True)
class Deferred:
    kind: str  # "index" or "foreign_key"
    table: str
    name: str
    definition: str
    comment: str | None
    parent: str | None = None
    """A foreign key's referenced table (known to the run that set it aside)."""

    def drop(self) -> sql.Composed:
        if self.kind == "index":
            return sql.SQL("DROP INDEX public.{}").format(sql.Identifier(self.name))
        return sql.SQL("ALTER TABLE public.{} DROP CONSTRAINT {}").format(
            sql.Identifier(self.table), sql.Identifier(self.name)
        )

    def create(self, *, not_valid: bool = False) -> sql.Composed:
        if self.kind == "index":
            return sql.SQL("{}").format(sql.SQL(self.definition))
        return sql.SQL("ALTER TABLE public.{} ADD CONSTRAINT {} {}{}").format(
            sql.Identifier(self.table),
            sql.Identifier(self.name),
            sql.SQL(self.definition),
            sql.SQL(" NOT VALID" if not_valid and "NOT VALID" not in self.definition else ""),
        )

    def comment_on(self) -> sql.Composed | None:
        if self.comment is None:
            return None
        if self.kind == "index":
            return sql.SQL("COMMENT ON INDEX public.{} IS {}").format(
                sql.Identifier(self.name), sql.Literal(self.comment)
            )
        return sql.SQL("COMMENT ON CONSTRAINT {} ON public.{} IS {}").format(
            sql.Identifier(self.name), sql.Identifier(self.table), sql.Literal(self.comment)
        )

    def describe(self) -> str:
        what = "index" if self.kind == "index" else "foreign key"
        return f"{what} {self.name} on {self.table}"


class ConstraintsDoNotHold(RuntimeError):
    """Foreign keys whose rows do not hold after the load (added back NOT VALID)."""


def deferrable(connection: psycopg.Connection, tables: list[str]) -> list[Deferred]:
    """What the catalog holds now that the load sets aside on ``tables``."""
    found = [Deferred("index", *row) for row in connection.execute(INDEXES, (tables,)).fetchall()]

    found += [
        Deferred("foreign_key", *row)
        for row in connection.execute(FOREIGN_KEYS, (tables,)).fetchall()
    ]
    return found


def pending(connection: psycopg.Connection) -> list[Deferred]:
    """What an earlier step set aside and has not put back yet (indexes first)."""
    exists = connection.execute("SELECT to_regclass('d1import.deferred') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return []
    rows = connection.execute(
        "SELECT kind, table_name, name, definition, comment FROM d1import.deferred "
        "ORDER BY kind = 'foreign_key', position"
    ).fetchall()
    return [Deferred(*row) for row in rows]


def set_aside(
    connection: psycopg.Connection, tables: list[str], run_id: int | None, *, commit: bool
) -> list[Deferred]:
    """Drops the secondary indexes and foreign keys of ``tables``, writing each definition
    down in the same transaction (committed when ``commit``)."""
    found = deferrable(connection, tables)
    with connection.cursor() as cursor:
        # Foreign keys first: dropping an index never depends on them, but keep the order
        # the reverse of ``put_back``'s.
        for item in sorted(found, key=lambda d: d.kind != "foreign_key"):
            cursor.execute(
                "INSERT INTO d1import.deferred (kind, table_name, name, definition, comment, "
                "run_id) VALUES (%s, %s, %s, %s, %s, %s)",
                (item.kind, item.table, item.name, item.definition, item.comment, run_id),
            )
            cursor.execute(item.drop())
    if commit:
        connection.commit()
    if found:
        log.info(
            "loading into bare tables: %d indexes and %d foreign keys set aside until the end",
            sum(d.kind == "index" for d in found),
            sum(d.kind == "foreign_key" for d in found),
        )
    return found


def put_back(connection: psycopg.Connection, *, commit: bool) -> list[Deferred]:
    """Builds every set-aside index and adds back every foreign key, validated, each in its
    own transaction with the removal of its row (when ``commit``). A foreign key whose rows
    do not hold is added ``NOT VALID`` and ``ConstraintsDoNotHold`` names it at the end."""
    items = pending(connection)
    if not items:
        return []
    started = time.perf_counter()
    broken: list[str] = []
    connection.execute(
        "SELECT set_config('maintenance_work_mem', greatest(setting::bigint, %s)::text || 'kB', "
        "false) FROM pg_settings WHERE name = 'maintenance_work_mem'",
        (BUILD_MEMORY_KB,),
    )
    if commit:
        connection.commit()  # each object below then commits on its own
    for item in items:
        problem = _put_back_one(connection, item)
        if problem is not None:
            broken.append(problem)
    connection.execute("RESET maintenance_work_mem")
    if commit:
        connection.commit()
    log.info(
        "built %d indexes and validated %d foreign keys in %.2fs",
        sum(d.kind == "index" for d in items),
        sum(d.kind == "foreign_key" for d in items),
        time.perf_counter() - started,
    )
    if broken:
        raise ConstraintsDoNotHold(
            "foreign keys added back NOT VALID because loaded rows break them: " + "; ".join(broken)
        )
    return items


def _put_back_one(connection: psycopg.Connection, item: Deferred) -> str | None:
    """One object back, in one transaction with the removal of its row (a savepoint inside
    a dry run's); a foreign key whose rows do not hold comes back ``NOT VALID`` and the
    problem is returned."""
    broken = None
    with connection.transaction(), connection.cursor() as cursor:
        try:
            with connection.transaction():
                cursor.execute(item.create())
        except errors.ForeignKeyViolation as exc:
            broken = f"{item.describe()}: {exc.diag.message_primary}"
            cursor.execute(item.create(not_valid=True))
        comment = item.comment_on()
        if comment is not None:
            cursor.execute(comment)
        cursor.execute(
            "DELETE FROM d1import.deferred WHERE kind = %s AND table_name = %s AND name = %s",
            (item.kind, item.table, item.name),
        )
    return broken


class PutBackAsLoaded:
    """Puts back what ``set_aside`` set aside while the run still loads, on a connection of
    its own: a table's indexes as soon as no table left to load writes it, a foreign key as
    soon as both its tables are so (``loaded``), each as ``put_back`` does (one transaction
    with the removal of its row). The run's last table then leaves little to wait for
    (``finish``) instead of every index and key. Building an index or validating a key only
    reads tables the run has finished with, so it takes no lock the run waits for (the run
    only reads them, to find parents).

    ``stop`` ends it between two objects (the run failed): what is left is put back as
    ``put_back`` does, by the run before it exits or by the next one."""

    def __init__(self, conninfo: str, items: list[Deferred], finished: set[str]) -> None:
        self.conninfo = conninfo
        self.left = sorted(items, key=lambda d: d.kind != "index")  # indexes first
        self.finished = set(finished)
        self.broken: list[str] = []
        self.error: BaseException | None = None
        self.news: queue.Queue[set[str] | None] = queue.Queue()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._work, name="d1import-put-back")
        self.started = time.perf_counter()
        self.thread.start()

    def loaded(self, tables: set[str]) -> None:
        """No table left to load writes ``tables`` any more."""
        self.news.put(set(tables))

    def _ready(self) -> list[Deferred]:
        ready = [
            item
            for item in self.left
            if item.table in self.finished and (item.parent is None or item.parent in self.finished)
        ]
        self.left = [item for item in self.left if item not in ready]
        return ready

    def _work(self) -> None:
        try:
            with psycopg.connect(self.conninfo) as connection:
                connection.execute(
                    "SET synchronous_commit = off; SET jit = off; "
                    f"SET maintenance_work_mem = '{BUILD_MEMORY_KB}kB'"
                )
                connection.commit()
                while (news := self.news.get()) is not None:
                    self.finished |= news
                    for item in self._ready():
                        if self.stopping.is_set():
                            return
                        problem = _put_back_one(connection, item)
                        if problem is not None:
                            self.broken.append(problem)
        except BaseException as exc:  # raised by ``finish`` in the run's thread
            self.error = exc

    def finish(self) -> None:
        """Waits for the last objects; raises ``ConstraintsDoNotHold`` for keys that do not
        hold (added back ``NOT VALID``), or what went wrong."""
        self.news.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error
        log.info(
            "put back indexes and foreign keys as their tables were loaded, in %.2fs",
            time.perf_counter() - self.started,
        )
        if self.broken:
            raise ConstraintsDoNotHold(
                "foreign keys added back NOT VALID because loaded rows break them: "
                + "; ".join(self.broken)
            )

    def stop(self) -> None:
        """Ends after the object under way (the run failed); idempotent."""
        if self.thread.is_alive():
            self.stopping.set()
            self.news.put(None)
            self.thread.join()


def summary(items: list[Deferred]) -> str:
    indexes = sum(d.kind == "index" for d in items)
    keys = len(items) - indexes
    return f"{indexes} indexes and {keys} foreign keys"
