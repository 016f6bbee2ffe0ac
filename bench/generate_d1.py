"""Generate a realistic D1 database (SQLite) of about N rows for the import benchmark.

    .venv/bin/python bench/generate_d1.py OUT.sqlite [--rows 1000000] [--seed 7]
        [--unreadable-users]

Rows are spread over the user-owned tables roughly as the app writes them (ledger and
activity events dominate), with the app's formats: text ids and timestamps in several ISO
forms, 0/1 booleans, JSON text, a few rows the import must quarantine (bad JSON, an unknown
enum value, an orphan), text with quotes, newlines and emoji.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.d1_fixture import create_table_sql, d1_schema  # noqa: E402

# Share of the rows per table (users first: everything else hangs off them).
SHARES = {
    "users": 0.02,
    "accounts": 0.02,
    "sessions": 0.03,
    "user_settings": 0.02,
    "user_wallet": 0.02,
    "points_ledger": 0.25,
    "activity_events": 0.20,
    "focus_sessions": 0.10,
    "habits": 0.04,
    "habit_logs": 0.15,
    "goals": 0.01,
    "goal_milestones": 0.03,
    "journal_entries": 0.04,
    "calendar_events": 0.04,
    "books": 0.01,
    "reading_sessions": 0.02,
}


def stamp(rng: random.Random) -> str | int:
    date = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    hour = f"{rng.randint(0, 23):02d}"
    form = rng.random()
    if form < 0.6:
        return f"{date} {hour}:{rng.randint(0, 59):02d}:00"  # SQLite's datetime('now') form
    if form < 0.9:
        return f"{date}T{hour}:15:30.123Z"
    return rng.randint(1_700_000_000_000, 1_760_000_000_000)


def rows_for(
    table: str, n: int, users: list[str], rng: random.Random, parents: dict[str, list[str]]
) -> Iterator[dict[str, object]]:
    def uid() -> str:
        return rng.choice(users)

    for i in range(n):
        key = f"{table[:3]}_{i}"
        if table == "users":
            yield {
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
                "email": f"user{i}@example.org",
                "name": f"User {i}",
                "approved": 1,
                "created_at": stamp(rng),
                "updated_at": stamp(rng),
            }
        elif table == "accounts":
            yield {
                "id": key,
                "userId": users[i % len(users)],
                "type": "oauth",
                "provider": "github",
                "providerAccountId": str(i),
                "access_token": uuid.uuid4().hex,
            }
        elif table == "sessions":
            yield {
                "id": key,
                "sessionToken": uuid.uuid4().hex,
                "userId": uid(),
                "expires": "2099-01-01T00:00:00Z",
            }
        elif table == "user_settings":
            yield {
                "id": key,
                "user_id": users[i % len(users)],
                "theme": rng.choice(["light", "dark", "system"]),
                "notifications_enabled": rng.randint(0, 1),
            }
        elif table == "user_wallet":
            yield {
                "id": key,
                "user_id": users[i % len(users)],
                "coins": rng.randint(0, 500),
                "xp": rng.randint(0, 5000),
            }
        elif table == "points_ledger":
            yield {
                "id": key,
                "user_id": uid(),
                "event_type": "focus_complete",
                "event_id": f"evt_{i}",
                "coins": rng.randint(0, 10),
                "xp": rng.randint(0, 50),
                "reason": "focus session",
                "idempotency_key": f"idem_{i}",
                "created_at": stamp(rng),
            }
        elif table == "activity_events":
            bad = i % 50_000 == 7
            yield {
                "id": key,
                "user_id": uid(),
                "event_type": rng.choice(["focus", "habit", "quest"]),
                "metadata_json": "{broken" if bad else json.dumps({"n": i, "tags": ["a", "b"]}),
                "created_at": stamp(rng),
            }
        elif table == "focus_sessions":
            mode = "nap" if i % 40_000 == 3 else rng.choice(["focus", "break", "long_break"])
            yield {
                "id": key,
                "user_id": uid(),
                "mode": mode,
                "duration": rng.choice([300, 1500, 3000]),
                "started_at": stamp(rng),
                "status": "completed",
                "xp_awarded": 25,
                "coins_awarded": 5,
            }
        elif table == "habits":
            yield {
                "id": key,
                "user_id": uid(),
                "name": f"Habit {i}",
                "frequency": "daily",
                "is_active": rng.randint(0, 1),
            }
        elif table == "habit_logs":
            yield {
                "id": key,
                "habit_id": rng.choice(parents["habits"]),
                "user_id": uid(),
                "completed_at": stamp(rng),
            }
        elif table == "goals":
            yield {
                "id": key,
                "user_id": uid(),
                "title": f"Goal {i}",
                "status": "active",
                "progress": rng.randint(0, 100),
            }
        elif table == "goal_milestones":
            yield {
                "id": key,
                "goal_id": rng.choice(parents["goals"]),
                "title": "step",
                "is_completed": rng.randint(0, 1),
            }
        elif table == "journal_entries":
            owner = "user_deleted_long_ago" if i % 30_000 == 11 else uid()
            yield {
                "id": key,
                "user_id": owner,
                "title": "Day",
                "content": f"Dear diary, it's day {i}\nline two 🎉",
                "tags_json": json.dumps(["mood", "work"]),
            }
        elif table == "calendar_events":
            yield {
                "id": key,
                "user_id": uid(),
                "title": "Meeting",
                "event_type": "meeting",
                "start_time": stamp(rng),
                "all_day": 0,
                "metadata": json.dumps({"room": i % 7}),
            }
        elif table == "books":
            yield {
                "id": key,
                "user_id": uid(),
                "title": f"Book {i}",
                "total_pages": rng.randint(100, 900),
                "status": "reading",
            }
        elif table == "reading_sessions":
            yield {
                "id": key,
                "book_id": rng.choice(parents["books"]),
                "user_id": uid(),
                "pages_read": rng.randint(1, 50),
                "started_at": stamp(rng),
            }


def generate(path: Path, total: int, seed: int, unreadable_users: bool = False) -> dict[str, int]:
    rng = random.Random(seed)
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    for definition in d1_schema():
        db.execute(create_table_sql(definition))
    users: list[str] = []
    parents: dict[str, list[str]] = {}
    counts = {}
    for table, share in SHARES.items():
        n = max(1, int(total * share))
        batch = list(rows_for(table, n, users, rng, parents))
        if table == "users":
            users = [str(r["id"]) for r in batch]
            if unreadable_users:  # every user quarantined, so every row that hangs off one
                for row in batch:
                    row["created_at"] = "the day we met"
        parents[table] = [str(r["id"]) for r in batch]
        columns = list(batch[0])
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        db.executemany(
            f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
            ([r.get(c) for c in columns] for r in batch),
        )
        counts[table] = n
    db.commit()
    db.close()
    return counts


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--unreadable-users",
        action="store_true",
        help="no user's created_at is a date: the import quarantines every row",
    )
    args = parser.parse_args()
    counts = generate(args.out, args.rows, args.seed, args.unreadable_users)
    sys.stdout.write(f"{sum(counts.values())} rows in {len(counts)} tables: {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
