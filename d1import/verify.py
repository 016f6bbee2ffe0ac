"""Verification after loading, as the migration map asks: row counts on both sides, orphaned
references, wallet totals against ledger sums (reported per user, never adjusted), and
checksums of the converted values against what landed."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import psycopg

if TYPE_CHECKING:
    from d1import.load import TableResult
    from d1import.source import Source

WALLET_LEDGER = """
SELECT w.user_id::text AS user_id,
       COALESCE(m.legacy_id, w.user_id::text) AS legacy_id,
       w.coins AS wallet_coins, COALESCE(l.coins, 0) AS ledger_coins,
       w.xp AS wallet_xp, COALESCE(l.xp, 0) AS ledger_xp
FROM user_wallet w
LEFT JOIN (SELECT user_id, sum(coins) AS coins, sum(xp) AS xp FROM points_ledger GROUP BY user_id) l
       ON l.user_id = w.user_id
LEFT JOIN d1import.id_map m ON m.source_table = 'users' AND m.new_id = w.user_id
WHERE w.coins <> COALESCE(l.coins, 0) OR w.xp <> COALESCE(l.xp, 0)
ORDER BY 2
"""

ORPHANS = """
SELECT source_table, legacy_id, reason FROM d1import.quarantine
WHERE source_sha256 = %s AND (reason LIKE 'orphan:%%' OR reason LIKE 'depends on quarantined%%')
ORDER BY source_table, legacy_id
"""


def verify(
    connection: psycopg.Connection, source: Source, results: dict[str, TableResult]
) -> dict[str, Any]:
    row_counts = {}
    for table, result in results.items():
        (target_rows,) = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone() or (0,)
        row_counts[table] = {
            "source": source.count(table) if table in source.tables() else 0,
            "loaded": result.loaded_rows,
            "quarantined": result.quarantined_rows,
            "target_rows": int(target_rows),
            "conserved": result.conserved(),
        }
    orphans = [
        {"table": t, "legacy_id": legacy, "reason": reason}
        for t, legacy, reason in connection.execute(ORPHANS, (source.sha256,)).fetchall()
    ]
    with connection.cursor(row_factory=psycopg.rows.dict_row) as cur:
        mismatches = [dict(row) for row in cur.execute(WALLET_LEDGER).fetchall()]
    checksums = {
        table: {
            "converted": result.converted_checksum,
            "loaded": result.loaded_checksum,
            "match": result.converted_checksum == result.loaded_checksum,
        }
        for table, result in results.items()
    }
    return {
        "row_counts": row_counts,
        "orphans": orphans,
        "wallet_ledger_mismatches": mismatches,
        "checksums": checksums,
    }


def quarantine_reasons(connection: psycopg.Connection, sha256: str) -> dict[str, int]:
    """Quarantine reasons of this source, the varying parts (values, ids) cut off, counted."""
    counts: Counter[str] = Counter()
    for (reason,) in connection.execute(
        "SELECT reason FROM d1import.quarantine WHERE source_sha256 = %s", (sha256,)
    ).fetchall():
        counts[reason_kind(reason)] += 1
    return dict(sorted(counts.items()))


def reason_kind(reason: str) -> str:
    """``users.email: duplicate on users_email_lower_key (...)`` → its kind, without values."""
    if reason.startswith("orphan:"):
        return (
            "orphan: "
            + reason.split(" references missing ")[0].removeprefix("orphan: ")
            + " references a missing row"
        )
    if reason.startswith("depends on quarantined"):
        return "depends on a quarantined row"
    if reason.startswith("duplicate on"):
        return reason.split(" (", 1)[0]
    if reason.startswith("violates"):
        return reason.split(":", 1)[0]
    column, _, detail = reason.partition(": ")
    kind = detail.split("'")[0].split('"')[0].strip(" ,:") if detail else ""
    if " is not a value of " in detail:
        kind = "value outside " + detail.split(" is not a value of ")[1].split(" (")[0]
    elif detail.startswith("invalid JSON"):
        kind = "invalid JSON"
    elif " is out of range for " in detail:
        kind = "out of range for " + detail.split(" is out of range for ")[1]
    return f"{column}: {kind}" if kind else column
