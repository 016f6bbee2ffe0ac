"""What row-level security and the acting-user checks cost on the award/spend path.

    .venv/bin/python bench/rls_bench.py [--calls 3000]

Same server, same loop, two databases: one at revision 0018 (no roles, no RLS, no checks),
called as the owner; one at head, called as ``ignition_app`` acting for the user
(``SET ROLE``, ``app.user_id``). Each loop: ``award_coins`` then ``spend_coins`` for one of
100 users, one transaction per call, on one connection; plus a read of the user's ledger
total (the read is where RLS itself filters: the functions run as their owner).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dbtools.server import server_from_env  # noqa: E402

SERVER = server_from_env()


def url(name: str) -> str:
    return SERVER.url(name).set(drivername="postgresql").render_as_string(hide_password=False)


def prepare(name: str, revision: str, users: int) -> list[str]:
    with psycopg.connect(url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    env = dict(os.environ, DATABASE_URL=url(name))
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", revision],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    with psycopg.connect(url(name)) as connection:
        rows = connection.execute(
            "INSERT INTO users (email) SELECT 'u' || n || '@example.org' "
            "FROM generate_series(1, %s) n RETURNING id",
            (users,),
        ).fetchall()
    return [str(row[0]) for row in rows]


def loop(name: str, ids: list[str], calls: int, *, as_app: bool) -> tuple[float, float]:
    with psycopg.connect(url(name)) as connection:
        if as_app:
            connection.execute("SET ROLE ignition_app")
            connection.commit()
        started = time.perf_counter()
        for i in range(calls):
            user = ids[i % len(ids)]
            if as_app:
                connection.execute("SELECT set_config('app.user_id', %s, true)", (user,))
            connection.execute("SELECT award_coins(%s, 2, 'bench')", (user,))
            connection.execute("SELECT spend_coins(%s, 1, 'bench')", (user,))
            connection.commit()
        money = calls / (time.perf_counter() - started)
        started = time.perf_counter()
        for i in range(calls):
            user = ids[i % len(ids)]
            if as_app:
                connection.execute("SELECT set_config('app.user_id', %s, true)", (user,))
            connection.execute("SELECT sum(coins) FROM points_ledger WHERE user_id = %s", (user,))
            connection.commit()
        reads = calls / (time.perf_counter() - started)
    return money, reads


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:6]
    before, after = f"bench_rls_off_{tag}", f"bench_rls_on_{tag}"
    try:
        ids_before = prepare(before, "0018", 100)
        ids_after = prepare(after, "head", 100)
        off = loop(before, ids_before, args.calls, as_app=False)
        on = loop(after, ids_after, args.calls, as_app=True)
    finally:
        with psycopg.connect(url("postgres"), autocommit=True) as admin:
            for name in (before, after):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    lines = [
        f"machine: {platform.platform()}, {os.cpu_count()} cores, {args.calls} calls each",
        f"award+spend, no RLS (0018, owner):          {off[0]:8.0f} pairs/s",
        f"award+spend, RLS + checks (head, app role): {on[0]:8.0f} pairs/s "
        f"({on[0] / off[0] - 1:+.1%})",
        f"ledger read, no RLS:                        {off[1]:8.0f} reads/s",
        f"ledger read, RLS (policy filters):          {on[1]:8.0f} reads/s "
        f"({on[1] / off[1] - 1:+.1%})",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
