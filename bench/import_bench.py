"""Benchmark of the D1 import, side by side with pgloader and with psql's \\copy (the floor).

    .venv/bin/python bench/import_bench.py [--rows 1000000] [--small 250000]
    .venv/bin/python bench/import_bench.py --all-quarantined [--rows 1000000]

1. generates a D1 SQLite file of ``--rows`` rows (bench/generate_d1.py; cached in bench/results/);
2. ``python -m d1import`` into a fresh database at head with the seeds loaded: wall time,
   rows/s, peak RSS (all conversion and verification included);
3. pgloader (Debian's package) copying the same SQLite file into a fresh database, converting
   nothing: wall time, rows/s, peak RSS;
4. psql ``\\copy`` of the rows our import loaded (exported as CSV first) into a fresh database at
   head: the floor for getting these rows into this schema;
5. the import again on a ``--small`` file, to show whether peak memory grows with the input.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

import models  # noqa: E402
from dbtools.server import server_from_env  # noqa: E402

SERVER = server_from_env()
ADMIN = create_engine(SERVER.url("postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
PYTHON = sys.executable


def url(name: str) -> str:
    return SERVER.url(name).set(drivername="postgresql").render_as_string(hide_password=False)


def fresh(name: str, *, at_head: bool, seeded: bool = False) -> str:
    with ADMIN.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    env = dict(os.environ, DATABASE_URL=url(name))
    if at_head:
        subprocess.run(
            [PYTHON, "-m", "alembic", "upgrade", "head"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    if seeded:
        subprocess.run([PYTHON, "-m", "seeds"], cwd=ROOT, env=env, check=True, capture_output=True)
    return name


def drop(name: str) -> None:
    with ADMIN.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def measured(command: list[str], **kwargs: object) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of ``command`` alone, run through a fresh wrapper."""
    wrapper = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter(); r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,"
        " stderr=subprocess.DEVNULL);"
        "print(time.perf_counter() - t,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)"
    )
    out = subprocess.run(
        [PYTHON, "-c", wrapper, *command], capture_output=True, text=True, check=True, **kwargs
    )  # type: ignore[call-overload]
    seconds, rss_kib, code = out.stdout.split()
    if code != "0":
        raise RuntimeError(f"{command[0]} exited {code}")
    return float(seconds), int(rss_kib) / 1024


def source_file(rows: int, *, unreadable_users: bool = False) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"d1_{rows}{'_all_quarantined' if unreadable_users else ''}.sqlite"
    if not path.exists():
        flags = ["--unreadable-users"] if unreadable_users else []
        subprocess.run(
            [
                PYTHON,
                str(ROOT / "bench" / "generate_d1.py"),
                str(path),
                "--rows",
                str(rows),
                *flags,
            ],
            check=True,
        )
    return path


def all_quarantined(rows: int) -> int:
    """Every row quarantined (no user's created_at is a date; everything else hangs off a
    user): the run must go at the speed of a normal one, memory flat."""
    source = source_file(rows, unreadable_users=True)
    name = f"bench_allq_{uuid.uuid4().hex[:6]}"
    try:
        seconds, rss = our_import(source, name)
        with create_engine(SERVER.url(name), poolclass=NullPool).connect() as connection:
            quarantined = connection.execute(
                text("SELECT count(*) FROM d1import.quarantine")
            ).scalar_one()
    finally:
        drop(name)
    sys.stdout.write(
        _line(f"d1import, {rows} rows, {quarantined} quarantined", seconds, rows, rss) + "\n"
    )
    return 0


def our_import(source: Path, name: str) -> tuple[float, float]:
    fresh(name, at_head=True, seeded=True)
    return measured([PYTHON, "-m", "d1import", str(source), "--database-url", url(name)], cwd=ROOT)


def pgloader(source: Path, name: str) -> tuple[float, float]:
    fresh(name, at_head=False)
    return measured(["pgloader", "--quiet", f"sqlite://{source}", url(name)])


def copy_floor(loaded_db: str, name: str, tables: list[str]) -> tuple[float, int]:
    """Export what the import loaded as CSV, then time psql \\copy of it into a fresh db."""
    fresh(name, at_head=True)
    with tempfile.TemporaryDirectory() as tmp:
        script = []
        total = 0
        engine = create_engine(SERVER.url(loaded_db), poolclass=NullPool)
        with engine.connect() as connection:
            for table in tables:
                path = Path(tmp) / f"{table}.csv"
                count = connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                total += count
                subprocess.run(
                    [
                        "psql",
                        "-X",
                        "-q",
                        "-d",
                        url(loaded_db),
                        "-c",
                        f"\\copy \"{table}\" TO '{path}' CSV",
                    ],
                    check=True,
                )
                script.append(f"\\copy \"{table}\" FROM '{path}' CSV")
        engine.dispose()
        started = time.perf_counter()
        subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url(name)],
            input="\n".join(script),
            text=True,
            check=True,
        )
        return time.perf_counter() - started, total


def _line(what: str, seconds: float, rows: int, rss: float | None) -> str:
    memory = f"  peak RSS {rss:5.0f} MiB" if rss is not None else ""
    return f"{what}: {seconds:6.1f}s  {rows / seconds:9,.0f} rows/s{memory}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=250_000)
    parser.add_argument(
        "--all-quarantined", action="store_true", help="only the run where every row is quarantined"
    )
    args = parser.parse_args()
    if args.all_quarantined:
        return all_quarantined(args.rows)
    if shutil.which("pgloader") is None:
        sys.stderr.write("pgloader is not installed: apt-get install pgloader\n")
        return 2
    big, small = source_file(args.rows), source_file(args.small)
    tag = uuid.uuid4().hex[:6]
    ours_db, theirs_db, floor_db, small_db = (
        f"bench_{k}_{tag}" for k in ("ours", "pgloader", "copy", "small")
    )
    try:
        ours_s, ours_rss = our_import(big, ours_db)
        theirs_s, theirs_rss = pgloader(big, theirs_db)
        with create_engine(SERVER.url(ours_db), poolclass=NullPool).connect() as connection:
            tables = list(
                connection.execute(
                    text(
                        "SELECT source_table FROM d1import.tables_done "
                        "WHERE loaded_rows > 0 ORDER BY source_table"
                    )
                ).scalars()
            )
        # parents first, so the floor's foreign keys hold

        order = [t.name for t in models.Base.metadata.sorted_tables if t.name in tables]
        floor_s, floor_rows = copy_floor(ours_db, floor_db, order)
        small_s, small_rss = our_import(small, small_db)
    finally:
        for name in (ours_db, theirs_db, floor_db, small_db):
            drop(name)
    machine = f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [
        f"machine: {machine}",
        f"source: {args.rows} rows ({big.stat().st_size / 1e6:.0f} MB SQLite)",
        _line("d1import", ours_s, args.rows, ours_rss),
        _line("pgloader", theirs_s, args.rows, theirs_rss),
        _line(f"psql \\copy floor ({floor_rows} converted rows)", floor_s, floor_rows, None),
        _line(f"d1import, {args.small} rows", small_s, args.small, small_rss),
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
