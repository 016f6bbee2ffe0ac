"""What row-level security and the signed acting context cost on the award/spend path.

    .venv/bin/python bench/rls_bench.py [--calls 3000] [--rounds 3]

Same server, same loop, three databases: at revision 0018 (no roles, no RLS, no checks),
called as the owner; at 0019 (the acting user claimed by ``app.user_id``); at 0021 (proved by
``app.session_token``, which ``app_user_id()`` hashes and looks up in ``sessions``, and the
tables the functions touch under FORCE ROW LEVEL SECURITY). The last two run as
``ignition_app`` (``SET SESSION AUTHORIZATION``, as a login of it would). Each loop:
``award_coins`` then ``spend_coins`` for one of 100 users, one transaction per call, on one
connection, the acting context set in each transaction; plus a read of the user's ledger total
(where RLS itself filters). The rounds interleave the databases; the median round counts.

0021 is the last revision at which the app may call ``award_coins``/``spend_coins`` itself
(0024 leaves it the game actions only), so it measures the signed context on the same path.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import secrets
import statistics
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


def prepare(name: str, revision: str, users: int) -> list[tuple[str, str]]:
    """The database at ``revision`` with ``users`` users, each with a session: (id, token)."""
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
        ids = [str(row[0]) for row in rows]
        tokens = [secrets.token_urlsafe(32) for _ in ids]
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO sessions (user_id, token_hash, expires_at) "
                "VALUES (%s, %s, now() + interval '1 day')",
                [
                    (i, hashlib.sha256(t.encode()).digest())
                    for i, t in zip(ids, tokens, strict=True)
                ],
            )
    return list(zip(ids, tokens, strict=True))


# How each database is told whom the transaction acts for.
CONTEXT = {
    "owner": None,
    "setting": "SELECT set_config('app.user_id', %s, true)",
    "token": "SELECT set_config('app.session_token', %s, true)",
}


def loop(name: str, users: list[tuple[str, str]], calls: int, mode: str) -> tuple[float, float]:
    context = CONTEXT[mode]
    with psycopg.connect(url(name)) as connection:
        if context is not None:
            connection.execute("SET SESSION AUTHORIZATION ignition_app")
            connection.commit()
        rates = []
        for statements in (
            ("SELECT award_coins(%s, 2, 'bench')", "SELECT spend_coins(%s, 1, 'bench')"),
            ("SELECT sum(coins) FROM points_ledger WHERE user_id = %s",),
        ):
            started = time.perf_counter()
            for i in range(calls):
                user, token = users[i % len(users)]
                if context is not None:
                    connection.execute(context, (user if mode == "setting" else token,))
                for statement in statements:
                    connection.execute(statement, (user,))
                connection.commit()
            rates.append(calls / (time.perf_counter() - started))
    return rates[0], rates[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:6]
    databases = {
        "owner": (f"bench_rls_0018_{tag}", "0018"),
        "setting": (f"bench_rls_0019_{tag}", "0019"),
        "token": (f"bench_rls_0021_{tag}", "0021"),
    }
    rounds: dict[str, list[tuple[float, float]]] = {mode: [] for mode in databases}
    try:
        users = {mode: prepare(name, rev, 100) for mode, (name, rev) in databases.items()}
        for _ in range(args.rounds):
            for mode, (name, _rev) in databases.items():
                rounds[mode].append(loop(name, users[mode], args.calls, mode))
    finally:
        with psycopg.connect(url("postgres"), autocommit=True) as admin:
            for name, _rev in databases.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    best = {
        mode: (statistics.median(r[0] for r in rates), statistics.median(r[1] for r in rates))
        for mode, rates in rounds.items()
    }
    owner, setting, token = best["owner"], best["setting"], best["token"]
    lines = [
        f"machine: {platform.platform()}, {os.cpu_count()} cores, "
        f"{args.calls} calls each, median of {args.rounds}",
        f"award+spend, 0018, owner, no RLS:         {owner[0]:8.0f} pairs/s",
        f"award+spend, 0019, app, app.user_id:      {setting[0]:8.0f} pairs/s "
        f"({setting[0] / owner[0] - 1:+.1%} vs 0018)",
        f"award+spend, 0021, app, session token:    {token[0]:8.0f} pairs/s "
        f"({token[0] / setting[0] - 1:+.1%} vs 0019)",
        f"ledger read, 0018:                        {owner[1]:8.0f} reads/s",
        f"ledger read, 0019:                        {setting[1]:8.0f} reads/s "
        f"({setting[1] / owner[1] - 1:+.1%} vs 0018)",
        f"ledger read, 0021:                        {token[1]:8.0f} reads/s "
        f"({token[1] / setting[1] - 1:+.1%} vs 0019)",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
