"""Target tables D1 has no table for, filled from what the import loaded and checked by
verification (``checks.target_only`` of the report).

- ``user_emails`` (docs/distribution.md, "users and unique e-mail"): one row per user,
  ``(lower(email), user_id)``, the cluster-wide uniqueness of e-mail. Filled from the loaded
  ``users`` in the transaction that loads them (so a resumed run never finds users without
  their e-mail rows); two D1 users with one e-mail never get this far (the collision step
  quarantines the later one, ``rules.DECLARED_KEYS``). Verification: as many rows as users,
  every user with its row, no row without its user.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

FILL_USER_EMAILS = """
INSERT INTO user_emails (email_lower, user_id)
SELECT lower(u.email), u.id FROM users u
WHERE NOT EXISTS (SELECT 1 FROM user_emails e WHERE e.email_lower = lower(u.email))
ON CONFLICT DO NOTHING
"""

# Set differences, not correlated NOT EXISTS: users and user_emails are in different colocation
# groups on Citus, which plans EXCEPT but refuses such a join (id is unique in users and
# email_lower in user_emails, so the pairs are the rows).
CHECK_USER_EMAILS = """
SELECT (SELECT count(*) FROM users) AS users,
       (SELECT count(*) FROM user_emails) AS rows,
       (SELECT count(*) FROM (SELECT id, lower(email) FROM users
            EXCEPT SELECT user_id, email_lower FROM user_emails) x) AS users_without_row,
       (SELECT count(*) FROM (SELECT user_id, email_lower FROM user_emails
            EXCEPT SELECT id, lower(email) FROM users) x) AS rows_without_user
"""


def _exists(connection: psycopg.Connection, table: str) -> bool:
    row = connection.execute("SELECT to_regclass(%s) IS NOT NULL", (f"public.{table}",)).fetchone()
    return bool(row and row[0])


def fill_user_emails(connection: psycopg.Connection) -> int:
    """The e-mail rows of the loaded users; returns how many were written."""
    if not _exists(connection, "user_emails"):
        return 0
    return connection.execute(FILL_USER_EMAILS).rowcount


def check_user_emails(connection: psycopg.Connection) -> dict[str, Any]:
    row = connection.execute(CHECK_USER_EMAILS).fetchone()
    assert row is not None
    users, rows, missing, stray = (int(v) for v in row)
    return {
        "expected": "one row per user (lower(email), id)",
        "users": users,
        "rows": rows,
        "users_without_row": missing,
        "rows_without_user": stray,
        "match": users == rows and missing == 0 and stray == 0,
    }


# D1 table -> the target-only table filled right after it (same transaction), with its check.
AFTER_TABLE: dict[str, tuple[str, Callable[[psycopg.Connection], int]]] = {
    "users": ("user_emails", fill_user_emails),
}
CHECKS: dict[str, Callable[[psycopg.Connection], dict[str, Any]]] = {
    "user_emails": check_user_emails,
}


def checks(connection: psycopg.Connection) -> dict[str, dict[str, Any]]:
    """Verification of every target-only table the target has."""
    return {
        table: check(connection) for table, check in CHECKS.items() if _exists(connection, table)
    }
