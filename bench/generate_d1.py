"""Generate a realistic D1 database (SQLite) of about N rows for the import benchmark.

    .venv/bin/python bench/generate_d1.py OUT.sqlite [--rows 1000000] [--seed 7]
        [--unreadable-users] [--all-tables]

Rows are spread over the user-owned tables roughly as the app writes them (ledger and
activity events dominate), with the app's formats: ids as the app makes them (UUIDs for a
user's rows, slugs for reference data, one in 5,000 in an older form), timestamps in several
ISO forms, 0/1 booleans, JSON text, text with quotes, newlines and emoji; a child row belongs
to its parent's user, as the app writes them; a few rows the import must quarantine (bad
JSON, an unknown enum value, an orphan, a child naming another user's parent).

``--all-tables``: all 66 tables, as a real D1 file has them: the 16 busy tables above keep
85 % of the rows in the same proportions, the other 50 (reference data, workouts, learning,
planning, music, notifications, admin) share 15 %, their rows generated from the column map
(every column filled in the app's format for its conversion: enum labels, 0/1, JSON text,
timestamps; foreign keys pointing at generated parents).
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import sqlite3
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import models  # noqa: E402
from d1import.mapping import build_mapping  # noqa: E402
from d1import.run import enum_labels, table_order  # noqa: E402
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


BUSY_SHARE_OF_ALL = 0.85  # --all-tables: the 16 busy tables' part of the rows
# A child row belongs to its parent's user, as the app writes them; one in this many of the
# busy children's rows names another user's parent (the import quarantines it:
# ``other_users_parent``).
OTHER_USERS_PARENT_EVERY = 20_000
LEGACY_ID_EVERY = 5_000


def row_id(table: str, i: int, rng: random.Random) -> str:
    """A user's row's id as the app makes it (``crypto.randomUUID()``: D1 holds "TEXT primary
    keys with app-generated UUIDs", docs of the schema mapping); one in
    ``LEGACY_ID_EVERY`` in an older form the import derives a UUID for (the id map)."""
    if i % LEGACY_ID_EVERY == 3:
        return f"{table[:3]}_{i}"
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@functools.cache
def owned_references(table: str) -> list[tuple[str, str]]:
    """The D1 columns (and their parent tables) that must name a row of the row's own user:
    the target's composite foreign keys ``(x_id, user_id) -> parent (id, user_id)``."""
    by_target = {
        entry.column: d1 for d1, entry in build_mapping()[table].columns.items() if entry.column
    }
    found = []
    for fk in models.Base.metadata.tables[table].foreign_key_constraints:
        columns = [c.name for c in fk.columns]
        if len(columns) == 2 and "user_id" in columns:
            (local,) = [c for c in columns if c != "user_id"]
            if local in by_target and fk.referred_table.name != table:
                found.append((by_target[local], fk.referred_table.name))
    return found


class Owners:
    """Whose each generated row is (``users`` → themselves; a row with ``user_id``, or one
    whose user the import derives from a parent), to give children their parent's user."""

    def __init__(self) -> None:
        self.of: dict[str, dict[str, str]] = {}
        self.rows_of: dict[tuple[str, str], list[str]] = {}

    def record(self, table: str, rows: list[dict[str, object]]) -> None:
        owned = owned_references(table)
        derived = build_mapping()[table].derived.get("user_id")
        owners: dict[str, str] = {}
        for row in rows:
            if "id" not in row:
                return
            owner = row.get("user_id")
            if owner is None and derived is not None and owned:
                owner = self.of.get(owned[0][1], {}).get(str(row.get(owned[0][0])))
            if owner is not None:
                owners[str(row["id"])] = str(owner)
                self.rows_of.setdefault((table, str(owner)), []).append(str(row["id"]))
        self.of[table] = owners

    def align(self, table: str, row: dict[str, object], i: int) -> None:
        """Makes the row's owned references and its ``user_id`` agree: the user of the first
        referenced parent; the other references re-pointed at that user's rows."""
        owned = [(c, p) for c, p in owned_references(table) if row.get(c) is not None]
        if not owned:
            return
        first, parent = owned[0]
        user = self.of.get(parent, {}).get(str(row[first]))
        if user is None:
            return
        if "user_id" in row:
            row["user_id"] = user
        for column, other in owned[1:]:
            if self.of.get(other, {}).get(str(row[column])) != user:
                choices = self.rows_of.get((other, user))
                row[column] = choices[i % len(choices)] if choices else None


# Columns whose CHECK or unique key wants more than "a value of the right kind".
OVERRIDES: dict[tuple[str, str], Callable[[int, random.Random], object]] = {
    ("track_analysis_cache", "danceability"): lambda i, rng: round(rng.random(), 3),
    ("track_analysis_cache", "energy"): lambda i, rng: round(rng.random(), 3),
    ("exercises", "is_builtin"): lambda i, rng: 0,
    ("exercises", "is_custom"): lambda i, rng: 1,
    ("onboarding_steps", "step_order"): lambda i, rng: i + 1,
}


def generic_rows(
    table: str,
    n: int,
    users: list[str],
    rng: random.Random,
    parents: dict[str, list[str]],
    keys: dict[tuple[str, str], list[str]],
    owners: Owners,
) -> Iterator[dict[str, object]]:
    """Rows for a table from the column map: each column in the app's format for the
    conversion it goes through; references point at rows generated before."""
    mapping = build_mapping()[table]
    labels = enum_labels()
    d1 = next(t for t in d1_schema() if t["name"] == table)
    references = {
        f["columns"][0]: (f["ref_table"], f["ref_columns"][0]) for f in d1["foreign_keys"]
    }
    user_owned = any(c["name"] in ("user_id", "userId") for c in d1["columns"]) or bool(
        mapping.derived
    )
    for i in range(n):
        row: dict[str, object] = {}
        day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        hour = 0
        for column in d1["columns"]:
            name = column["name"]
            conversion = mapping.columns[name].conversion
            kind, _, detail = conversion.partition(":")
            if (table, name) in OVERRIDES:
                row[name] = OVERRIDES[(table, name)](i, rng)
            elif name in references and kind != "uuid_fk":
                parent, key = references[name]
                row[name] = rng.choice(keys[(parent, key)])
            elif kind == "uuid_pk":
                row[name] = row_id(table, i, rng) if user_owned else f"{table[:4]}_{i}"
            elif kind == "uuid_fk":  # round robin: one row per parent where there are as many
                pool = users if detail == "users" else parents.get(detail, [])
                row[name] = pool[i % len(pool)] if pool else None
            elif kind == "enum":
                row[name] = rng.choice(labels[detail])
            elif kind == "boolean":
                row[name] = rng.randint(0, 1)
            elif kind == "timestamptz":
                hour += 1
                row[name] = f"{day} {hour:02d}:{rng.randint(0, 59):02d}:00"
            elif kind == "date":
                row[name] = day
            elif kind == "jsonb":
                row[name] = json.dumps({"n": i, "items": ["a", "b"], "ok": True})
            elif kind == "json_array":
                row[name] = json.dumps(["a", "b", f"t{i % 9}"])
            elif kind in ("integer", "bigint"):
                row[name] = rng.randint(1, 5)
            elif kind == "double":
                row[name] = round(rng.uniform(1.3, 2.5), 3)
            elif kind == "comma_list":
                row[name] = "mix, master, eq"
            elif kind == "hex_to_bytea":
                row[name] = uuid.UUID(int=rng.getrandbits(128)).hex * 2
            elif kind == "sha256_of_token":
                row[name] = uuid.uuid4().hex
            elif kind == "uuid_loose":
                row[name] = str(uuid.UUID(int=rng.getrandbits(128)))
            else:  # text
                row[name] = f'{name} {i}: it\'s "quoted"' if i % 97 == 0 else f"{name}_{i}"
        owners.align(table, row, i)
        yield row


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
    table: str,
    n: int,
    users: list[str],
    rng: random.Random,
    parents: dict[str, list[str]],
    owners: Owners,
) -> Iterator[dict[str, object]]:
    def uid() -> str:
        return rng.choice(users)

    def owner_of(parent: str, key: str, i: int) -> str:
        """The parent row's user (now and then another user: a row to quarantine)."""
        return uid() if i % OTHER_USERS_PARENT_EVERY == 5 else owners.of[parent][key]

    for i in range(n):
        key = row_id(table, i, rng)
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
            habit = rng.choice(parents["habits"])
            yield {
                "id": key,
                "habit_id": habit,
                "user_id": owner_of("habits", habit, i),
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
            book = rng.choice(parents["books"])
            yield {
                "id": key,
                "book_id": book,
                "user_id": owner_of("books", book, i),
                "pages_read": rng.randint(1, 50),
                "started_at": stamp(rng),
            }


def generate(
    path: Path, total: int, seed: int, unreadable_users: bool = False, all_tables: bool = False
) -> dict[str, int]:
    rng = random.Random(seed)
    shares = dict(SHARES)
    if all_tables:
        others = [t for t in table_order() if t not in SHARES]
        shares = {t: share * BUSY_SHARE_OF_ALL for t, share in SHARES.items()}
        shares |= {t: (1 - BUSY_SHARE_OF_ALL) / len(others) for t in others}
    keys: dict[tuple[str, str], list[str]] = {}
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    for definition in d1_schema():
        db.execute(create_table_sql(definition))
    users: list[str] = []
    parents: dict[str, list[str]] = {}
    owners = Owners()
    counts = {}
    order = [t for t in table_order() if t in shares] if all_tables else list(SHARES)
    for table in order:
        n = max(1, int(total * shares[table]))
        if table in SHARES:
            batch = list(rows_for(table, n, users, rng, parents, owners))
        else:
            batch = list(generic_rows(table, n, users, rng, parents, keys, owners))
        if table == "users":
            users = [str(r["id"]) for r in batch]
            if unreadable_users:  # every user quarantined, so every row that hangs off one
                for row in batch:
                    row["created_at"] = "the day we met"
        if "id" in batch[0]:
            parents[table] = [str(r["id"]) for r in batch]
        owners.record(table, batch)
        for column in batch[0]:
            keys[(table, column)] = [str(r[column]) for r in batch[:5000]]
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
    parser.add_argument("--all-tables", action="store_true", help="all 66 tables (see above)")
    args = parser.parse_args()
    counts = generate(args.out, args.rows, args.seed, args.unreadable_users, args.all_tables)
    sys.stdout.write(f"{sum(counts.values())} rows in {len(counts)} tables: {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
