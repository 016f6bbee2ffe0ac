"""One import run: checks before anything is written, every table in foreign-key order (each
in its own transaction, so an interrupted run resumes where it stopped), verification, the
report. ``--dry-run`` does all of it in one transaction that is rolled back."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy.dialects.postgresql import ENUM

import models
from d1import import report
from d1import.bookkeeping import IMPORT_LOCK_KEY, SCHEMA_DDL
from d1import.load import TableLoader
from d1import.mapping import TableMap, build_mapping, d1_tables
from d1import.results import RunResult, TableResult, empty_result
from d1import.source import Source, open_source
from d1import.verify import quarantine_summary, verify
from dbtools.alembic_config import head_revision

log = logging.getLogger("d1import")
# Source tables that are D1's or wrangler's own bookkeeping, not app data.
IGNORED_SOURCE_TABLES = ("sqlite_", "_cf_", "d1_migrations")


class ImportRefused(Exception):
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
    d1 = set(d1_tables())
    return [t.name for t in models.Base.metadata.sorted_tables if t.name in d1]


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
                f"the target already holds user data that did not come from this source "
                f"(sha256 {source.sha256[:12]}; imports recorded here: {known}); "
                "import into an empty database at head"
            )
        if sources - {source.sha256} and has_users:
            raise ImportRefused("the target holds data imported from another source")


def _d1_primary_key(table: str) -> list[str]:
    columns = [c for c in d1_tables()[table]["columns"] if c["pk"]]
    return [c["name"] for c in sorted(columns, key=lambda c: c["pk"])]


def _load_table(
    connection: psycopg.Connection,
    source: Source,
    table_map: TableMap,
    labels: dict[str, tuple[str, ...]],
    progress_factory: Callable[[str, int], Any] | None,
) -> TableResult:
    table = table_map.table
    total = source.count(table) if table in source.tables() else 0
    if total == 0:
        return empty_result(table)
    bar = progress_factory(table, total) if progress_factory else None
    loader = TableLoader(
        connection,
        source,
        table_map,
        _d1_primary_key(table),
        labels,
        source.sha256,
        total,
        progress=bar.update if bar is not None else (lambda _: None),
    )
    result = loader.load()
    if bar is not None:
        bar.close()
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
        "loaded_checksum, seconds) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
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
        ),
    )


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


def run_import(
    source_path: Path,
    database_url: str,
    *,
    dry_run: bool = False,
    progress_factory: Callable[[str, int], Any] | None = None,
) -> RunResult:
    started = time.perf_counter()
    mapping = build_mapping()
    labels = enum_labels()
    with open_source(source_path) as source, psycopg.connect(conninfo(database_url)) as connection:
        known = set(d1_tables())
        present = source.tables()
        ignored = sorted(t for t in present if t.startswith(IGNORED_SOURCE_TABLES))
        unknown = sorted(present - known - set(ignored))
        if unknown:
            raise ImportRefused(
                f"{source_path}: tables not in the D1 map (their rows would be lost): "
                + ", ".join(unknown)
            )
        for table in sorted(present & known):
            extra = set(source.columns(table)) - set(mapping[table].columns)
            if extra:
                raise ImportRefused(
                    f"{source_path}: {table} has columns not in the D1 map: "
                    + ", ".join(sorted(extra))
                )
        with _locked(connection):
            _preflight(connection, source)
            connection.execute(SCHEMA_DDL)
            cur = connection.execute(
                "INSERT INTO d1import.runs (source_sha256, source_path, dry_run) "
                "VALUES (%s, %s, %s) RETURNING id",
                (source.sha256, str(source_path), dry_run),
            )
            run_id = (cur.fetchone() or (0,))[0]
            if not dry_run:
                connection.commit()
            done = {
                row[0]: TableResult(*row)
                for row in connection.execute(
                    "SELECT source_table, source_rows, loaded_rows, already_present_rows, "
                    "quarantined_rows, converted_checksum, loaded_checksum, seconds "
                    "FROM d1import.tables_done WHERE source_sha256 = %s",
                    (source.sha256,),
                ).fetchall()
            }
            results: dict[str, TableResult] = {}
            for table in table_order():
                if table in done and not dry_run:
                    results[table] = replace(done[table], resumed=True)
                    log.info("%s: already loaded by an earlier run", table)
                    continue
                result = _load_table(connection, source, mapping[table], labels, progress_factory)
                _record(connection, source.sha256, result)
                if not dry_run:
                    connection.commit()
                results[table] = result
            checks = verify(connection, source.sha256, results)
            summary = quarantine_summary(connection, source.sha256)
            elapsed = time.perf_counter() - started
            run = RunResult(
                source.sha256, source.kind, dry_run, results, checks, elapsed, ignored, summary
            )
            run.report = report.build(run, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
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
