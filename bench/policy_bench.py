"""What the plain policy call costs against 0021's init-plan (revision 0036).

    .venv/bin/python bench/policy_bench.py [--calls 3000] [--rounds 5]

Same server, two databases: at 0035 (``points_ledger`` policies still of the init-plan form
``user_id = (SELECT app_user_id())``) and at 0036 (``user_id = app_user_id()``). Each holds
100 users with a session and 200 ledger rows each. As ``ignition_app`` (``SET SESSION
AUTHORIZATION``, as a login of it would), proving the user with its session token in every
transaction, three reads, one transaction each: one ledger row by id, the user's coin total
(row-level security alone picks the rows), and the user's rows whose reason matches a pattern.
The rounds interleave the databases; the median round counts.
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
USERS = 100
ROWS_PER_USER = 200

READS = {
    "row by id": "SELECT coins FROM points_ledger WHERE id = %(row)s",
    "user's total": "SELECT sum(coins) FROM points_ledger",
    "pattern": "SELECT count(*) FROM points_ledger WHERE reason LIKE 'bench 1%%'",
}


def url(name: str) -> str:
    return SERVER.url(name).set(drivername="postgresql").render_as_string(hide_password=False)


def prepare(name: str, revision: str) -> list[tuple[str, str, str]]:
    """The database at ``revision``, filled: (user id, session token, one ledger row id)."""
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
        ids = [
            str(row[0])
            for row in connection.execute(
                "INSERT INTO users (email) SELECT 'u' || n || '@example.org' "
                "FROM generate_series(1, %s) n RETURNING id",
                (USERS,),
            ).fetchall()
        ]
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
        connection.execute(
            "INSERT INTO points_ledger (user_id, event_type, coins, reason) "
            "SELECT u.id, 'award', 1, 'bench ' || n FROM users u, generate_series(1, %s) n",
            (ROWS_PER_USER,),
        )
        rows: dict[str, str] = {
            user: row
            for user, row in connection.execute(
                "SELECT DISTINCT ON (user_id) user_id::text, id::text FROM points_ledger"
            ).fetchall()
        }
        connection.execute("ANALYZE")
    return [(i, t, rows[i]) for i, t in zip(ids, tokens, strict=True)]


def loop(name: str, users: list[tuple[str, str, str]], calls: int) -> dict[str, float]:
    rates = {}
    with psycopg.connect(url(name)) as connection:
        connection.execute("SET SESSION AUTHORIZATION ignition_app")
        connection.commit()
        for label, statement in READS.items():
            started = time.perf_counter()
            for i in range(calls):
                _user, token, row = users[i % len(users)]
                connection.execute("SELECT set_config('app.session_token', %s, true)", (token,))
                connection.execute(statement, {"row": row})
                connection.commit()
            rates[label] = calls / (time.perf_counter() - started)
    return rates


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:6]
    databases = {
        "init-plan (0035)": f"bench_pol_0035_{tag}",
        "plain (0036)": f"bench_pol_0036_{tag}",
    }
    revisions = dict(zip(databases, ("0035", "0036"), strict=True))
    rounds: dict[str, list[dict[str, float]]] = {form: [] for form in databases}
    try:
        users = {form: prepare(name, revisions[form]) for form, name in databases.items()}
        for _ in range(args.rounds):
            for form, name in databases.items():
                rounds[form].append(loop(name, users[form], args.calls))
    finally:
        with psycopg.connect(url("postgres"), autocommit=True) as admin:
            for name in databases.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    median = {
        form: {label: statistics.median(r[label] for r in rates) for label in READS}
        for form, rates in rounds.items()
    }
    before, after = median["init-plan (0035)"], median["plain (0036)"]
    lines = [
        f"machine: {platform.platform()}, {os.cpu_count()} cores, {args.calls} calls each, "
        f"median of {args.rounds} interleaved rounds, {USERS} users x {ROWS_PER_USER} ledger rows"
    ]
    for label in READS:
        lines.append(
            f"{label:14} init-plan {before[label]:7.0f}/s   plain {after[label]:7.0f}/s   "
            f"ratio {after[label] / before[label]:.2f}"
        )
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
