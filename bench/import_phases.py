"""Where one import's time goes: the run's own steps timed in its thread (a single run, in
this process; not a benchmark: bench/import_bench.py compares).

    .venv/bin/python bench/import_phases.py D1.sqlite [--statements]

Makes a fresh database at head with the seeds (DATABASE_URL's server, as the bench), imports
the file with the steps of ``TableLoader`` and of the run wrapped in timers, and prints the
wall time and each step's total, largest first. A step the converting processes do
(``convert``) does not show: what shows is how long the run waited for it
(``waiting for conversion``). ``--statements`` also totals the SQL statements the loaders
send, by kind.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.import_bench import drop, fresh, url  # noqa: E402
from d1import import deferral, load, pipeline, run  # noqa: E402

SPENT: collections.defaultdict[str, float] = collections.defaultdict(float)
COUNT: collections.Counter[str] = collections.Counter()
STATEMENT_KINDS = (
    ("INSERT INTO d1import.id_map", "id map"),
    ('WITH gone AS (DELETE FROM "d1import_stage" WHERE', "NOT NULL and CHECK rules"),
    ('WITH gone AS (DELETE FROM "d1import_stage" s WHERE', "orphan rules"),
    ("WITH gone AS (WITH ranked", "duplicate-key rules"),
    ("SELECT EXISTS", "do keys repeat"),
    ("INSERT INTO", "insert into the table"),
    ("SELECT count(*)", "checksums"),
    ("DROP TABLE IF EXISTS", "create the stage"),
    ("UPDATE", "derived columns"),
)


def timed(owner: Any, name: str, label: str) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            SPENT[label] += time.perf_counter() - started
            COUNT[label] += 1

    setattr(owner, name, wrapper)


def time_statements() -> None:
    original = load.TableLoader._execute

    def execute(self: load.TableLoader, query: Any, params: Any = None) -> Any:
        text = query if isinstance(query, str) else query.as_string(self.connection)
        kind = next((label for start, label in STATEMENT_KINDS if text.startswith(start)), None)
        started = time.perf_counter()
        try:
            return original(self, query, params)
        finally:
            label = f"  sql: {kind or text[:40]}"
            SPENT[label] += time.perf_counter() - started
            COUNT[label] += 1

    load.TableLoader._execute = execute  # type: ignore[method-assign]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("source", type=Path)
    parser.add_argument("--statements", action="store_true", help="also the SQL, by kind")
    args = parser.parse_args()
    for name, label in (
        ("_create_stage", "create the stage"),
        ("_copy_into_stage", "COPY into the stage"),
        ("_sort_out", "quarantine rules"),
        ("_map_ids", "id map"),
        ("_insert", "insert into the table"),
        ("_checksum", "checksums"),
    ):
        timed(load.TableLoader, name, label)
    timed(load, "write_up", "quarantine write-up")
    timed(pipeline.Prefetch, "ready", "waiting for conversion")
    timed(deferral, "set_aside", "set aside indexes and keys")
    timed(deferral.PutBackAsLoaded, "finish", "waiting for the last indexes and keys")
    timed(run, "verify", "verification")
    timed(run, "_loaders", "read the catalog")
    if args.statements:
        time_statements()
    name = fresh("bench_phases", at_head=True, seeded=True)
    try:
        started = time.perf_counter()
        result = run.run_import(args.source, url(name))
        wall = time.perf_counter() - started
    finally:
        drop(name)
    sys.stdout.write(f"{result.source_rows:,} source rows in {wall:.2f} s (in this process)\n")
    for label, seconds in sorted(SPENT.items(), key=lambda item: -item[1]):
        sys.stdout.write(f"{seconds:8.2f} s {COUNT[label]:5d}x  {label}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
