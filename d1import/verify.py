"""Verification after loading, as the migration map asks: row counts on both sides with the
quarantine counted in ``d1import.quarantine`` itself (a D1 table whose rows land in two
tables, D1's quests, says how many landed in each), wallet totals against ledger sums
(reported, never adjusted), checksums of the converted values against what landed, the
target-only tables D1 has nothing for (``user_emails``: one row per user,
``d1import.target_only``), and the quarantine grouped by kind, table and column. Everything
here is bounded: counts, and at most a few examples per group (full lists stay in the
database)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from d1import.kinds import describe
from d1import.results import TableResult
from d1import.target_only import checks as target_only_checks

EXAMPLES = 3
LISTED = 20  # wallet mismatches and differences listed in the report (the rest counted)

# The wallet/ledger comparison first (user_wallet and points_ledger are joined on user_id, which
# Citus runs on each user's node), the names from the local id_map after (Citus refuses a join
# of distributed tables with a local one in one step).
WALLET_LEDGER = """
WITH mismatched AS MATERIALIZED (
    SELECT w.user_id, w.coins AS wallet_coins, COALESCE(l.coins, 0) AS ledger_coins,
           w.xp AS wallet_xp, COALESCE(l.xp, 0) AS ledger_xp
    FROM user_wallet w
    LEFT JOIN (SELECT user_id, sum(coins) AS coins, sum(xp) AS xp
               FROM points_ledger GROUP BY user_id) l ON l.user_id = w.user_id
    WHERE w.coins <> COALESCE(l.coins, 0) OR w.xp <> COALESCE(l.xp, 0)
)
SELECT x.user_id::text AS user_id,
       COALESCE(m.legacy_id, x.user_id::text) AS legacy_id,
       x.wallet_coins, x.ledger_coins, x.wallet_xp, x.ledger_xp,
       count(*) OVER () AS total
FROM mismatched x
LEFT JOIN d1import.id_map m ON m.source_table = 'users' AND m.new_id = x.user_id
ORDER BY 2
LIMIT %s
"""

QUARANTINED_PER_TABLE = """
SELECT source_table, count(*) FROM d1import.quarantine WHERE source_sha256 = %s
GROUP BY source_table
"""

GROUPS = """
SELECT kind, source_table, d1_column, count(*) AS rows FROM d1import.quarantine
WHERE source_sha256 = %s GROUP BY kind, source_table, d1_column
ORDER BY source_table, kind, d1_column
"""

EXAMPLES_OF = """
SELECT legacy_id, detail, related_table, related_legacy_id FROM d1import.quarantine
WHERE source_sha256 = %s AND kind = %s AND source_table = %s AND {column}
ORDER BY source_rowid LIMIT %s
"""


def quarantine_summary(connection: psycopg.Connection, sha256: str) -> dict[str, Any]:
    """The quarantine of this source grouped by kind, table and D1 column: counts, what the
    kind means, and the first few rows (by rowid) as examples."""
    groups = []
    with connection.cursor(row_factory=dict_row) as cur:
        for group in cur.execute(GROUPS, (sha256,)).fetchall():
            column = group["d1_column"]
            condition = "d1_column = %s" if column is not None else "d1_column IS NULL"
            params: tuple[Any, ...] = (sha256, group["kind"], group["source_table"])
            params += ((column,) if column is not None else ()) + (EXAMPLES,)
            examples = cur.execute(EXAMPLES_OF.format(column=condition), params).fetchall()
            groups.append(
                {
                    "kind": group["kind"],
                    "table": group["source_table"],
                    "column": column,
                    "rows": group["rows"],
                    "meaning": describe(group["kind"]),
                    "examples": [dict(e) for e in examples],
                }
            )
    return {"rows": sum(g["rows"] for g in groups), "groups": groups}


def verify(
    connection: psycopg.Connection, sha256: str, results: dict[str, TableResult]
) -> dict[str, Any]:
    quarantined: dict[str, int] = dict(
        connection.execute(QUARANTINED_PER_TABLE, (sha256,)).fetchall()
    )
    row_counts: dict[str, dict[str, Any]] = {}
    for table, result in results.items():
        target_rows = _count(connection, table)
        in_quarantine = int(quarantined.get(table, 0))
        row_counts[table] = {
            "source": result.source_rows,
            "loaded": result.loaded_rows,
            "quarantined": in_quarantine,
            "target_rows": int(target_rows),
            "conserved": result.conserved()
            and result.source_rows == result.loaded_rows + in_quarantine,
        }
        if result.landed_in is not None:
            row_counts[table]["landed_in"] = {
                name: {"loaded": loaded, "target_rows": _count(connection, name)}
                for name, loaded in result.landed_in.items()
            }
    with connection.cursor(row_factory=dict_row) as cur:
        mismatches = [dict(row) for row in cur.execute(WALLET_LEDGER, (LISTED,)).fetchall()]
        differences = cur.execute(
            "SELECT source_table AS table, legacy_id, d1_column AS columns, count(*) OVER () "
            "AS total FROM d1import.quarantine WHERE source_sha256 = %s "
            "AND kind = 'differs_from_existing' ORDER BY source_table, source_rowid LIMIT %s",
            (sha256, LISTED),
        ).fetchall()
    total = int(mismatches[0].pop("total")) if mismatches else 0
    for mismatch in mismatches:
        mismatch.pop("total", None)
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
        "wallet_ledger_mismatches": {"count": total, "listed": mismatches},
        "differences_from_existing": {
            "count": int(differences[0]["total"]) if differences else 0,
            "listed": [{k: v for k, v in d.items() if k != "total"} for d in differences],
        },
        "checksums": checksums,
        "target_only": target_only_checks(connection),
    }


def _count(connection: psycopg.Connection, table: str) -> int:
    (rows,) = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone() or (0,)
    return int(rows)
