"""Benchmark of the D1 import, side by side with pgloader and with psql's \\copy (the floor).

    .venv/bin/python bench/import_bench.py [--rows 1000000] [--small 250000]
    .venv/bin/python bench/import_bench.py --all-quarantined [--rows 1000000]
    .venv/bin/python bench/import_bench.py --realistic [--rows 500000] [--small 100000]
        [--runs 3] [--baseline DIR]

``--realistic``: both row mixes (the 16 busy tables; all 66 tables, ``generate_d1.py
--all-tables``) at two sizes; for each, interleaved ``--runs`` times on the same server: our
import, pgloader on the same file, and psql ``\\copy`` of the rows our import loaded into bare
tables (the schema at head with the secondary indexes and foreign keys set aside, as our
import loads: the floor of getting these rows in); with ``--baseline DIR``, also the import
as another checkout of this repository has it (before/after in one sitting). Medians, the
ratio to pgloader's rows/s, peak RSS.

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


Measured = tuple[float, float | None, float | None, float | None]
"""Wall seconds, peak RSS (MiB), CPU seconds of the command and its children, CPU seconds the
whole machine was busy meanwhile (the server's backends included; None off Linux)."""


def machine_busy() -> float | None:
    """CPU seconds the machine has been busy since boot (/proc/stat), or None."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:9]]
    except OSError:
        return None
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def measured(command: list[str], **kwargs: object) -> Measured:
    """``command`` alone, run through a fresh wrapper: wall, peak RSS, its CPU, the machine's
    (the server's share is the difference, give or take whatever else the machine ran)."""
    wrapper = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter(); r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,"
        " stderr=subprocess.DEVNULL);"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print(time.perf_counter() - t, u.ru_maxrss, u.ru_utime + u.ru_stime, r.returncode)"
    )
    before = machine_busy()
    out = subprocess.run(
        [PYTHON, "-c", wrapper, *command], capture_output=True, text=True, check=True, **kwargs
    )  # type: ignore[call-overload]
    after = machine_busy()
    seconds, rss_kib, cpu, code = out.stdout.split()
    if code != "0":
        raise RuntimeError(f"{command[0]} exited {code}")
    busy = after - before if after is not None and before is not None else None
    return float(seconds), int(rss_kib) / 1024, float(cpu), busy


def source_file(rows: int, *, unreadable_users: bool = False, all_tables: bool = False) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = ("_all_quarantined" if unreadable_users else "") + ("_66" if all_tables else "")
    path = RESULTS / f"d1_{rows}{suffix}.sqlite"
    if not path.exists():
        flags = ["--unreadable-users"] if unreadable_users else []
        flags += ["--all-tables"] if all_tables else []
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
        seconds, rss, *_ = our_import(source, name)
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


def our_import(source: Path, name: str, root: Path = ROOT) -> Measured:
    fresh(name, at_head=True, seeded=True)
    return measured([PYTHON, "-m", "d1import", str(source), "--database-url", url(name)], cwd=root)


def pgloader(source: Path, name: str) -> Measured:
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


def export_loaded(loaded_db: str, directory: Path) -> tuple[list[Path], int]:
    """What the import loaded, as CSV per table (parents first), and the row count."""
    engine = create_engine(SERVER.url(loaded_db), poolclass=NullPool)
    with engine.connect() as connection:
        tables = set(
            connection.execute(
                text("SELECT source_table FROM d1import.tables_done WHERE loaded_rows > 0")
            ).scalars()
        )
        total = 0
        paths = []
        for table in [t.name for t in models.Base.metadata.sorted_tables if t.name in tables]:
            path = directory / f"{table}.csv"
            total += connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
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
            paths.append(path)
    engine.dispose()
    return paths, total


def bare_copy(paths: list[Path], name: str) -> float:
    """psql \\copy of the exported rows into a fresh database at head whose secondary indexes
    and foreign keys are set aside (``d1import.deferral``, as our import loads); the floor."""
    import psycopg

    from d1import.deferral import DEFERRED_DDL, set_aside

    fresh(name, at_head=True)
    with psycopg.connect(url(name)) as connection:
        connection.execute("CREATE SCHEMA d1import")
        connection.execute(DEFERRED_DDL)
        set_aside(connection, [p.stem for p in paths], None, commit=True)
    script = "\n".join(f"\\copy \"{p.stem}\" FROM '{p}' CSV" for p in paths)
    started = time.perf_counter()
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url(name)],
        input=script,
        text=True,
        check=True,
    )
    return time.perf_counter() - started


def source_rows(path: Path) -> int:
    """The rows of a generated D1 file (the generator rounds each table's share down)."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
        tables = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return sum(db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def realistic(sizes: list[int], runs: int, baseline: Path | None) -> int:
    """Both mixes at both sizes, interleaved; medians and ratios."""
    cases = [(mix, rows) for mix in ("16", "66") for rows in sizes]
    files = {case: source_file(case[1], all_tables=case[0] == "66") for case in cases}
    sizes_of = {case: source_rows(path) for case, path in files.items()}
    figures: dict[tuple[str, int, str], list[Measured]] = {}
    exports: dict[tuple[str, int], tuple[list[Path], int]] = {}
    tag = uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(runs):
            for mix, rows in cases:
                source = files[(mix, rows)]
                names = {k: f"bench_{k}_{tag}" for k in ("ours", "pgloader", "copy", "base")}
                try:
                    measured_now: dict[str, Measured] = {}
                    measured_now["ours"] = our_import(source, names["ours"])
                    if (mix, rows) not in exports:
                        directory = Path(tmp) / f"{mix}_{rows}"
                        directory.mkdir()
                        exports[(mix, rows)] = export_loaded(names["ours"], directory)
                    drop(names["ours"])
                    measured_now["pgloader"] = pgloader(source, names["pgloader"])
                    drop(names["pgloader"])
                    paths, _ = exports[(mix, rows)]
                    measured_now["copy"] = (bare_copy(paths, names["copy"]), None, None, None)
                    drop(names["copy"])
                    if baseline is not None:
                        measured_now["base"] = our_import(source, names["base"], baseline)
                        drop(names["base"])
                finally:
                    for name in names.values():
                        drop(name)
                for what, figure in measured_now.items():
                    figures.setdefault((mix, rows, what), []).append(figure)
                sys.stdout.write(
                    f"run {run + 1} {mix} tables {rows} rows: "
                    + ", ".join(f"{k} {v[0]:.1f}s" for k, v in measured_now.items())
                    + "\n"
                )
                sys.stdout.flush()
    machine = f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [f"machine: {machine}; {runs} interleaved runs, medians", ""]
    lines.append(
        "| mix | rows | what | wall (runs) | rows/s | ratio to pgloader | peak RSS "
        "| CPU s: its own / the rest of the machine |"
    )
    lines.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
    labels = {
        "ours": "d1import",
        "pgloader": "pgloader",
        "copy": "psql \\copy into bare tables",
        "base": f"d1import before ({baseline})",
    }
    for mix, rows in cases:
        theirs = median([f[0] for f in figures[(mix, rows, "pgloader")]])
        for what in ("ours", "base", "pgloader", "copy"):
            if (mix, rows, what) not in figures:
                continue
            walls = [f[0] for f in figures[(mix, rows, what)]]
            rss = [f[1] for f in figures[(mix, rows, what)] if f[1] is not None]
            count = exports[(mix, rows)][1] if what == "copy" else sizes_of[(mix, rows)]
            wall = median(walls)
            own = [f[2] for f in figures[(mix, rows, what)] if f[2] is not None]
            rest = [f[3] - f[2] for f in figures[(mix, rows, what)] if f[2] and f[3]]
            cpu = f"{median(own):.1f} / {median(rest):.1f}" if own and rest else "-"
            lines.append(
                f"| {mix} | {count:,} | {labels[what]} | {wall:.1f} s "
                f"({' '.join(f'{w:.1f}' for w in walls)}) | {count / wall:,.0f} | "
                f"{theirs / wall:.2f}x | {f'{max(rss):.0f} MiB' if rss else '-'} | {cpu} |"
            )
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


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
    parser.add_argument("--realistic", action="store_true", help="both mixes, two sizes (above)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another checkout's import, to compare")
    args = parser.parse_args()
    if args.realistic:
        if shutil.which("pgloader") is None:
            sys.stderr.write("pgloader is not installed: apt-get install pgloader\n")
            return 2
        return realistic([args.small, args.rows], args.runs, args.baseline)
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
        ours_s, ours_rss, *_ = our_import(big, ours_db)
        theirs_s, theirs_rss, *_ = pgloader(big, theirs_db)
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
        small_s, small_rss, *_ = our_import(small, small_db)
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
