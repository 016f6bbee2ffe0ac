"""One import run: checks before anything is written, every table in foreign-key order (each
in its own transaction, so an interrupted run resumes where it stopped), verification, the
report. ``--dry-run`` does all of it in one transaction that is rolled back.

How a run loads, as ``pg_restore`` does (issue 13):
- into bare tables: the loaders read their targets from the catalog, then the secondary
  indexes and foreign keys of the tables to load are set aside (``d1import.deferral``,
  written down in ``d1import.deferred`` in the same transaction) and put back, built and
  validated, on a connection of their own as soon as their tables are loaded
  (``deferral.PutBackAsLoaded``), all of them before verification. A run that fails puts
  them back before it exits; one killed outright leaves them to the next run, which puts
  them back before anything else (even when it then refuses) and says so;
- converting ahead: two other processes convert the next tables in Python while the server
  loads (``d1import.pipeline``);
- two tables at once, each on a connection of its own, a table only once the tables it
  reads are committed (``d1import.parallel``; a dry run loads in order on its one
  connection);
- commits without waiting for the WAL flush (``synchronous_commit = off``): a commit lost to
  a server crash loses its ``tables_done`` row with it, so resuming redoes that table;
- a session that keeps stages and sorts in memory and plans without JIT
  (``SESSION_SETTINGS``).
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy.dialects.postgresql import ENUM

import models
from d1import import deferral, elsewhere, parallel, report, target_only
from d1import.bookkeeping import IMPORT_LOCK_KEY, SCHEMA_DDL
from d1import.catalog import read_target
from d1import.errors import SafeMessage, one_line, sqlite_message
from d1import.load import TableLoader
from d1import.mapping import TableMap, build_mapping, d1_references, d1_tables
from d1import.pipeline import ConversionFailed, Prefetch, converting_ahead
from d1import.results import RunResult, TableResult, empty_result
from d1import.source import Source, SourceError, open_source
from d1import.source_check import check_source, parse_allow_missing
from d1import.verify import quarantine_summary, verify
from dbtools.alembic_config import head_revision

log = logging.getLogger("d1import")
COMMITS = "SET synchronous_commit = off"  # why: _run
# The run's own sessions (set before they touch a temporary table, as temp_buffers must be):
# a table's stage stays in memory instead of going through the file system, and the sorts of
# the rules (ORDER BY, window, hash) and the index builds of the put-back stay in memory.
# Bounds per query, not allocations.
SESSION_SETTINGS = (
    "SET temp_buffers = '256MB'; SET work_mem = '64MB'; SET maintenance_work_mem = '256MB'; "
    "SET jit = off"
)


class ImportRefused(SafeMessage):
    """The target is not in a state to receive this source; nothing was written."""


def conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg2://", "postgresql://").replace(
        "postgres://", "postgresql://"
    )


def enum_labels() -> dict[str, tuple[str, ...]]:
    labels: dict[str, tuple[str, ...]] = {}
    for table in models.Base.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, ENUM) and column.type.name:
                labels[column.type.name] = tuple(column.type.enums)
    return labels


def table_order() -> list[str]:
    """D1's tables, parents first: by the models' foreign keys and by D1's own references
    (the target keeps some without a foreign key: ``mapping.d1_references``), otherwise in
    the models' order."""
    d1 = set(d1_tables())
    tables = [t for t in models.Base.metadata.sorted_tables if t.name in d1]
    rank = {t.name: i for i, t in enumerate(tables)}
    parents = {
        t.name: (
            {fk.column.table.name for fk in t.foreign_keys} | set(d1_references(t.name).values())
        )
        & d1 - {t.name}
        for t in tables
    }
    ready = [rank[name] for name, waits in parents.items() if not waits]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = tables[heapq.heappop(ready)].name
        order.append(name)
        for child, waits in parents.items():
            if name in waits:
                waits.discard(name)
                if not waits:
                    heapq.heappush(ready, rank[child])
    if len(order) != len(tables):
        raise RuntimeError(f"a cycle of references among {sorted(set(rank) - set(order))}")
    return order


def _preflight(connection: psycopg.Connection, source: Source) -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('public.alembic_version') IS NOT NULL")
        row = cur.fetchone()
        version = None
        if row and row[0]:
            cur.execute("SELECT version_num FROM alembic_version")
            found = cur.fetchone()
            version = found[0] if found else None
        head = head_revision()
        if version != head:
            raise ImportRefused(
                f"the target database is at revision {version or 'none'}, not at head {head}: "
                "run `alembic upgrade head` (or `make upgrade`) first"
            )
        cur.execute("SELECT to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL")
        if (cur.fetchone() or (False,))[0]:
            cur.execute(
                "SELECT count(*) FROM pg_dist_partition "
                "WHERE logicalrelid::regclass::text NOT LIKE 'd1import.%'"
            )
            placed = int((cur.fetchone() or (0,))[0])
            if placed:
                raise ImportRefused(
                    f"the target's tables are already placed by Citus ({placed} distributed or "
                    "reference tables): import into the coordinator before distributing, then "
                    'run `python -m dbtools.citus distribute` (README, "Distributing a database")'
                )
        cur.execute("SELECT EXISTS (SELECT 1 FROM users)")
        has_users = bool((cur.fetchone() or (False,))[0])
        cur.execute("SELECT to_regclass('d1import.runs') IS NOT NULL")
        has_runs = bool((cur.fetchone() or (False,))[0])
        sources: set[str] = set()
        if has_runs:
            cur.execute("SELECT DISTINCT source_sha256 FROM d1import.runs WHERE NOT dry_run")
            sources = {sha for (sha,) in cur.fetchall()}
        if has_users and source.sha256 not in sources:
            known = ", ".join(sorted(s[:12] for s in sources)) or "none"
            raise ImportRefused(
                f"{source.path}: the target already holds user data that did not come from "
                f"this source (sha256 {source.sha256[:12]}; imports recorded here: {known}); "
                "import into an empty database at head"
            )
        others = sources - {source.sha256}
        if others:  # whatever it loaded, even nothing: sources never mix
            raise ImportRefused(
                f"{source.path}: the target holds an import of another source (sha256 "
                f"{', '.join(sorted(s[:12] for s in others))}; this one is "
                f"{source.sha256[:12]}): sources never mix; import into an empty database at head"
            )


def _d1_primary_key(table: str) -> list[str]:
    columns = [c for c in d1_tables()[table]["columns"] if c["pk"]]
    return [c["name"] for c in sorted(columns, key=lambda c: c["pk"])]


def _loaders(
    connection: psycopg.Connection,
    source: Source,
    table_map: TableMap,
    labels: dict[str, tuple[str, ...]],
    total: int,
    progress_factory: Callable[[str, int], Any] | None,
) -> list[TableLoader]:
    """The table's loader (one per part for a D1 table landing in two, ``d1import.elsewhere``),
    each target read from the catalog now (before anything is set aside); the table's progress
    bar opens when its conversion starts and closes with it."""
    table = table_map.table
    state: dict[str, Any] = {}

    def progress(rows: int) -> None:
        if progress_factory is None:
            return
        if "bar" not in state:
            state["bar"] = progress_factory(table, total)
        state["bar"].update(rows)
        state["seen"] = state.get("seen", 0) + rows
        if state["seen"] >= total:
            state["bar"].close()

    parts = elsewhere.parts(table_map, labels)
    each: list[elsewhere.Part | None] = list(parts) if parts else [None]
    return [
        TableLoader(  # one loader, or one per part of a table landing in two
            connection,
            source,
            part.table_map if part is not None else table_map,
            _d1_primary_key(table),
            labels,
            source.sha256,
            total,
            progress=progress,
            part=part,
            target=read_target(
                connection, part.table_map.table if part is not None else table_map.table
            ),
        )
        for part in each
    ]


def _loaded(
    table: str, total: int, loaders: list[TableLoader], results: list[TableResult]
) -> TableResult:
    """The D1 table's result: its loaders' results, combined when it has parts."""
    result = (
        elsewhere.combine(table, results, [loader.target.name for loader in loaders])
        if loaders[0].part is not None
        else results[0]
    )
    if result.source_rows != total:
        raise RuntimeError(f"{table}: {total} source rows but {result.source_rows} were read")
    if not result.conserved():
        raise RuntimeError(
            f"{table}: {result.source_rows} source rows but {result.loaded_rows} "
            f"loaded + {result.quarantined_rows} quarantined"
        )
    log.info(
        "%s: %d source rows, %d loaded (%d already there), %d quarantined, %.2fs",
        table,
        result.source_rows,
        result.loaded_rows,
        result.already_present_rows,
        result.quarantined_rows,
        result.seconds,
    )
    return result


def _record(connection: psycopg.Connection, sha256: str, result: TableResult) -> None:
    """The table is done (in the transaction that loaded it): a resumed run skips it."""
    connection.execute(
        "INSERT INTO d1import.tables_done (source_sha256, source_table, source_rows, "
        "loaded_rows, already_present_rows, quarantined_rows, converted_checksum, "
        "loaded_checksum, seconds, landed_in) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT DO NOTHING",
        (
            sha256,
            result.table,
            result.source_rows,
            result.loaded_rows,
            result.already_present_rows,
            result.quarantined_rows,
            result.converted_checksum,
            result.loaded_checksum,
            result.seconds,
            Jsonb(result.landed_in) if result.landed_in is not None else None,
        ),
    )


def _fill_target_only(connection: psycopg.Connection, table: str) -> None:
    """The target-only table filled from ``table`` (``d1import.target_only``), in the
    transaction that loaded it."""
    step = target_only.AFTER_TABLE.get(table)
    if step is not None:
        name, fill = step
        log.info("%s: %d rows from the loaded %s", name, fill(connection), table)


@contextmanager
def _locked(connection: psycopg.Connection) -> Iterator[None]:
    connection.execute("SELECT pg_advisory_lock(%s)", (IMPORT_LOCK_KEY,))
    connection.commit()
    try:
        yield
    finally:
        connection.rollback()
        connection.execute("SELECT pg_advisory_unlock(%s)", (IMPORT_LOCK_KEY,))
        connection.commit()


def _mark_dead_runs(connection: psycopg.Connection) -> list[int]:
    """Runs still ``running`` while this run holds the import lock died with their process
    (a live run holds the lock): they are ``interrupted``."""
    rows = connection.execute(
        "UPDATE d1import.runs SET status = 'interrupted', finished_at = now(), "
        "error = 'the process ended without finishing (found by a later run)' "
        "WHERE status = 'running' RETURNING id"
    ).fetchall()
    return sorted(run_id for (run_id,) in rows)


def _resumed_run(connection: psycopg.Connection, sha256: str) -> dict[str, Any] | None:
    """The unfinished run of this source that this run continues, if one loaded tables."""
    row = connection.execute(
        "SELECT id, status, (SELECT count(*) FROM d1import.tables_done WHERE source_sha256 = %s) "
        "FROM d1import.runs WHERE source_sha256 = %s AND NOT dry_run "
        "AND status IN ('failed', 'interrupted') "
        "AND NOT EXISTS (SELECT 1 FROM d1import.runs later WHERE later.source_sha256 = %s "
        "AND later.status = 'completed') ORDER BY id DESC LIMIT 1",
        (sha256, sha256, sha256),
    ).fetchone()
    if row is None or not row[2]:
        return None
    return {"run": row[0], "status": row[1], "tables_already_loaded": int(row[2])}


def _close_run(database_url: str, run_id: int, status: str, error: str) -> None:
    """Marks a run that ended early (its own connection may be unusable). If the target
    cannot be reached now, the next run finds the run ``running`` and marks it."""
    try:
        with psycopg.connect(conninfo(database_url), autocommit=True) as connection:
            connection.execute(
                "UPDATE d1import.runs SET status = %s, error = %s, finished_at = now() "
                "WHERE id = %s AND status = 'running'",
                (status, error, run_id),
            )
    except psycopg.Error:
        log.warning("could not mark run %s %s; the next run will", run_id, status)


def _put_back_leftovers(connection: psycopg.Connection) -> str | None:
    """An earlier run that was killed (or could not reach the server when it failed) left
    indexes and foreign keys set aside: they go back before anything else. Returns what
    was put back, in words, or None."""
    items = deferral.pending(connection)
    connection.commit()
    if not items:
        return None
    what = deferral.summary(items)
    log.warning("an earlier run left %s set aside: putting them back first", what)
    deferral.put_back(connection, commit=True)
    return what


def _put_back_after_failure(database_url: str) -> None:
    """A run that failed or was interrupted puts back what it set aside before the tool
    exits; if it cannot, the next run does (and says so)."""
    try:
        with psycopg.connect(conninfo(database_url)) as connection:
            if not deferral.pending(connection):
                return
            (locked,) = connection.execute(
                "SELECT pg_try_advisory_lock(%s)", (IMPORT_LOCK_KEY,)
            ).fetchone() or (False,)
            connection.commit()
            if not locked:  # another run holds the lock: it puts them back
                return
            items = deferral.put_back(connection, commit=True)
            log.warning(
                "the run ended early: put back the %s it had set aside", deferral.summary(items)
            )
    except (psycopg.Error, deferral.ConstraintsDoNotHold) as exc:
        log.warning(
            "the run ended early and could not put back the indexes and foreign keys it set "
            "aside (%s); the next run puts them back first",
            one_line(exc),
        )


def _writers(groups: list[tuple[str, int, list[TableLoader]]]) -> dict[str, set[int]]:
    """Each table the run writes, with the groups (D1 tables) that write it: their loaders'
    targets and the target-only table filled after one."""
    writers: dict[str, set[int]] = {}
    for k, (table, _total, group) in enumerate(groups):
        for loader in group:
            writers.setdefault(loader.target.name, set()).add(k)
        if table in target_only.AFTER_TABLE:
            writers.setdefault(target_only.AFTER_TABLE[table][0], set()).add(k)
    return writers


@contextmanager
def _putting_back_as_loaded(
    database_url: str,
    set_aside: list[deferral.Deferred],
    writers: dict[str, set[int]],
    dry_run: bool,
) -> Iterator[Callable[[int], None]]:
    """What was set aside comes back while the run loads (``deferral.PutBackAsLoaded``):
    yields the callback to say group k is committed; waits for the last objects when the
    body ends, stops between two objects if it fails. A dry run puts back at its end."""
    if dry_run:
        yield lambda _k: None
        return
    finished = {
        name
        for item in set_aside
        for name in (item.table, item.parent)
        if name is not None and name not in writers
    }
    background = deferral.PutBackAsLoaded(conninfo(database_url), set_aside, finished)
    committed: set[int] = set()
    lock = threading.Lock()

    def group_committed(k: int) -> None:  # from the loading connections' threads
        with lock:
            committed.add(k)
            done = {name for name, by in writers.items() if k in by and by <= committed}
        background.loaded(done)

    try:
        yield group_committed
        background.finish()
    finally:
        background.stop()


def _load_group(
    connection: psycopg.Connection,
    ahead: Prefetch,
    source: Source,
    table: str,
    total: int,
    group: list[TableLoader],
) -> TableResult:
    """One D1 table's loaders on ``connection``, in its open transaction (not committed)."""
    parts: list[TableResult] = []
    try:
        for loader in group:
            loader.connection = connection
            ahead.ready(loader)
            parts.append(loader.load())
    except ConversionFailed as exc:
        if isinstance(exc.error, sqlite3.Error):
            raise SourceError(
                f"{source.path}: reading table {exc.table}: {sqlite_message(exc.error)}"
            ) from None
        raise exc.error from None
    except sqlite3.Error as exc:
        raise SourceError(f"{source.path}: reading table {table}: {sqlite_message(exc)}") from None
    result = _loaded(table, total, group, parts)
    _fill_target_only(connection, table)
    _record(connection, source.sha256, result)
    return result


def _load_groups(
    connection: psycopg.Connection,
    source: Source,
    groups: list[tuple[str, int, list[TableLoader]]],
    writers: dict[str, set[int]],
    results: dict[str, TableResult],
    loaders: list[TableLoader],
    database_url: str,
    dry_run: bool,
    committed: Callable[[int], None],
) -> None:
    """Each D1 table in its transaction, converted ahead; ``committed(k)`` after group k. A
    run loads on two connections at once (``d1import.parallel``), a dry run on its own, in
    order, in its one transaction."""
    with converting_ahead(loaders, source, conninfo(database_url)) as ahead:
        if not dry_run:

            def load(connection: psycopg.Connection, k: int) -> None:
                table, total, group = groups[k]
                results[table] = _load_group(connection, ahead, source, table, total, group)

            parallel.load(
                conninfo(database_url),
                [COMMITS, SESSION_SETTINGS],
                parallel.dependencies(groups, writers),
                load,
                committed,
            )
            return
        for k, (table, total, group) in enumerate(groups):
            results[table] = _load_group(connection, ahead, source, table, total, group)
            committed(k)


def run_import(
    source_path: Path,
    database_url: str,
    *,
    dry_run: bool = False,
    allow_missing: Iterable[str] = (),
    progress_factory: Callable[[str, int], Any] | None = None,
) -> RunResult:
    """Imports the source; raises ``SourceError`` or ``ImportRefused`` (nothing written) when
    the source or the target is not fit. A run that fails or is interrupted after it started
    is recorded as ``failed`` (with the error) or ``interrupted``, and the next run resumes."""
    allowed = parse_allow_missing(allow_missing)
    state: dict[str, int] = {}
    try:
        return _run(source_path, database_url, dry_run, allowed, progress_factory, state)
    except BaseException as exc:
        if "run_id" in state and not dry_run:
            interrupted = isinstance(exc, KeyboardInterrupt | SystemExit)
            _close_run(
                database_url,
                state["run_id"],
                "interrupted" if interrupted else "failed",
                "interrupted" if interrupted else one_line(exc),
            )
        if not dry_run:
            _put_back_after_failure(database_url)
        raise


def _run(
    source_path: Path,
    database_url: str,
    dry_run: bool,
    allow_missing: set[str],
    progress_factory: Callable[[str, int], Any] | None,
    state: dict[str, int],
) -> RunResult:
    started = time.perf_counter()
    mapping = build_mapping()
    labels = enum_labels()
    with psycopg.connect(conninfo(database_url)) as connection, open_source(source_path) as source:
        # Each table's commit need not wait for its WAL flush: a server crash may lose the
        # last tables' commits, and with them their ``tables_done`` rows (same transaction),
        # so the resumed run loads those tables again: the same end state, sooner.
        connection.execute(COMMITS)
        connection.execute(SESSION_SETTINGS)
        connection.commit()
        shape = check_source(source, allow_missing)
        with _locked(connection):
            restored = _put_back_leftovers(connection)
            try:
                _preflight(connection, source)
            except ImportRefused as exc:
                if restored:
                    raise ImportRefused(
                        f"{exc} (first, the {restored} an interrupted import had set aside "
                        "were put back)"
                    ) from None
                raise
            connection.execute(SCHEMA_DDL)
            connection.execute(deferral.DEFERRED_DDL)
            dead = _mark_dead_runs(connection)
            for run_id in dead:
                log.info("run %d was left running by a process that ended: interrupted", run_id)
            resumes = _resumed_run(connection, source.sha256)
            cur = connection.execute(
                "INSERT INTO d1import.runs (source_sha256, source_path, dry_run) "
                "VALUES (%s, %s, %s) RETURNING id",
                (source.sha256, str(source_path), dry_run),
            )
            run_id = (cur.fetchone() or (0,))[0]
            if not dry_run:
                connection.commit()  # the target now says which source it holds
                state["run_id"] = run_id
            if resumes and not dry_run:
                log.info(
                    "resuming run %d (%s): %d tables already loaded",
                    resumes["run"],
                    resumes["status"],
                    resumes["tables_already_loaded"],
                )
            done = {
                row[0]: replace(TableResult(*row[:8]), landed_in=row[8])
                for row in connection.execute(
                    "SELECT source_table, source_rows, loaded_rows, already_present_rows, "
                    "quarantined_rows, converted_checksum, loaded_checksum, seconds, landed_in "
                    "FROM d1import.tables_done WHERE source_sha256 = %s",
                    (source.sha256,),
                ).fetchall()
            }
            results: dict[str, TableResult] = {}
            groups: list[tuple[str, int, list[TableLoader]]] = []
            for table in table_order():
                if table in done and not dry_run:
                    results[table] = replace(done[table], resumed=True)
                    log.info("%s: already loaded by an earlier run", table)
                    continue
                total = source.count(table) if table in source.tables() else 0
                if total == 0:  # recorded as done, like a table with rows
                    results[table] = empty_result(table)
                    _record(connection, source.sha256, results[table])
                    continue
                groups.append(
                    (
                        table,
                        total,
                        _loaders(
                            connection, source, mapping[table], labels, total, progress_factory
                        ),
                    )
                )
            # The big tables first, each still after what it depends on (the same result).
            groups = [groups[k] for k in parallel.largest_first(groups, _writers(groups))]
            loaders = [loader for _table, _total, group in groups for loader in group]
            # Load into bare tables: secondary indexes and foreign keys of the tables to
            # load are set aside now (their loaders have read them) and put back, in
            # transactions of their own (DDL after reads in one transaction is what Citus
            # refuses on distributed tables), as their tables are loaded (a dry run: at the
            # end, in its one transaction).
            if not dry_run:
                connection.commit()
            set_aside = deferral.set_aside(
                connection, [loader.target.name for loader in loaders], run_id, commit=not dry_run
            )
            writers = _writers(groups)
            with _putting_back_as_loaded(database_url, set_aside, writers, dry_run) as committed:
                _load_groups(
                    connection,
                    source,
                    groups,
                    writers,
                    results,
                    loaders,
                    database_url,
                    dry_run,
                    committed,
                )
            deferral.put_back(connection, commit=not dry_run)  # what is left: a dry run's all
            results = {table: results[table] for table in table_order() if table in results}
            checks = verify(connection, source.sha256, results)
            summary = quarantine_summary(connection, source.sha256)
            elapsed = time.perf_counter() - started
            run = RunResult(
                source.sha256,
                source.kind,
                dry_run,
                results,
                checks,
                elapsed,
                shape.ignored_tables,
                summary,
            )
            run.report = report.build(run, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
            run.report["absent_from_source"] = {
                "tables": shape.absent_tables,
                "columns": shape.absent_columns,
            }
            run.report["run"] = {
                "id": run_id,
                "resumes": resumes if not dry_run else None,
                "marked_interrupted": dead,
                "put_back_first": restored,
            }
            connection.execute(
                "UPDATE d1import.runs SET finished_at = now(), status = 'completed', "
                "source_rows = %s, loaded_rows = %s, quarantined_rows = %s, report = %s "
                "WHERE id = %s",
                (
                    run.source_rows,
                    sum(t.loaded_rows for t in results.values()),
                    sum(t.quarantined_rows for t in results.values()),
                    Jsonb(run.report),
                    run_id,
                ),
            )
            if dry_run:
                connection.rollback()
            else:
                connection.commit()
    return run
