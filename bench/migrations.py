"""Benchmark: ``alembic upgrade head`` on an empty database against psql applying the offline
SQL of the same chain (the floor), and the catalog-checked stairway.

    .venv/bin/python bench/migrations.py [--runs 5]

Each run uses a fresh database on the server of DATABASE_URL / PG* (default 127.0.0.1:5432);
times are wall clock, median of the runs; the command-line upgrade includes Python start-up
and imports, as an operator or a deploy step pays them.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dbtools.alembic_config import alembic_config  # noqa: E402
from dbtools.server import server_from_env  # noqa: E402
from dbtools.validate import walk  # noqa: E402

SERVER = server_from_env()
ADMIN = create_engine(SERVER.url("postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")


def fresh_database() -> str:
    name = f"ignition_bench_{uuid.uuid4().hex[:8]}"
    with ADMIN.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return name


def drop(name: str) -> None:
    with ADMIN.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def timed(run: Callable[[str], None], runs: int) -> list[float]:
    times: list[float] = []
    for _ in range(runs):
        name = fresh_database()
        try:
            start = time.perf_counter()
            run(name)
            times.append(round(time.perf_counter() - start, 3))
        finally:
            drop(name)
    return times


def alembic_upgrade(name: str) -> None:
    env = dict(os.environ, DATABASE_URL=SERVER.url(name).render_as_string(hide_password=False))
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def in_process_upgrade(name: str) -> None:
    """The same upgrade through alembic's API in this (warm) process: no interpreter start-up
    or imports, only what the migration run itself costs."""
    from alembic import command

    engine = create_engine(SERVER.url(name), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def psql_floor(sql: str) -> Callable[[str], None]:
    def apply(name: str) -> None:
        target = SERVER.url(name).set(drivername="postgresql").render_as_string(False)
        subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", target],
            input=sql,
            text=True,
            check=True,
            capture_output=True,
        )

    return apply


def stairway(name: str) -> None:
    engine = create_engine(SERVER.url(name), poolclass=NullPool)
    try:
        walk(engine)
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    offline = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head", "--sql"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    in_process_upgrade(fresh_and_dropped := fresh_database())  # warm the imports once
    drop(fresh_and_dropped)
    # Interleaved, so a slow moment of the machine hits all three alike.
    results: dict[str, list[float]] = {"cli": [], "api": [], "psql": []}
    floor = psql_floor(offline)
    for _ in range(args.runs):
        results["cli"] += timed(alembic_upgrade, 1)
        results["api"] += timed(in_process_upgrade, 1)
        results["psql"] += timed(floor, 1)
    stairs = timed(stairway, max(1, args.runs // 2))
    median = {k: statistics.median(v) for k, v in results.items()}
    lines = [
        f"machine: {platform.platform()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, runs: {args.runs} (median)",
        f"alembic upgrade head, command line:  {median['cli']:.2f}s  {results['cli']}",
        f"alembic upgrade head, in process:    {median['api']:.2f}s  {results['api']}",
        f"psql -f offline SQL (the floor):     {median['psql']:.2f}s  {results['psql']}",
        f"ratio command line / floor: {median['cli'] / median['psql']:.2f}x, "
        f"in process / floor: {median['api'] / median['psql']:.2f}x",
        f"stairway (up, down, up per revision, catalog snapshots): "
        f"{statistics.median(stairs):.2f}s",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
