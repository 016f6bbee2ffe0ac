"""The reconciliation report: ``report.json`` for machines, ``report.md`` for a reviewer.

``build`` is a pure function of a run's result (and the time it is stamped with); the report
stays small at any size: the quarantine as groups (kind, table, column) with counts and a
few examples each, mismatches and differences as a count and the first few."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from d1import.results import RunResult


def build(run: RunResult, generated_at: str) -> dict[str, Any]:
    loaded = sum(t.loaded_rows for t in run.tables.values())
    return {
        "source": {"sha256": run.sha256, "kind": run.source_kind},
        "generated_at": generated_at,
        "dry_run": run.dry_run,
        "tables": {
            name: {
                "source_rows": t.source_rows,
                "loaded_rows": t.loaded_rows,
                "already_present_rows": t.already_present_rows,
                "quarantined_rows": t.quarantined_rows,
                "resumed": t.resumed,
            }
            | ({"landed_in": t.landed_in} if t.landed_in is not None else {})
            for name, t in run.tables.items()
        },
        "totals": {
            "source_rows": run.source_rows,
            "loaded_rows": loaded,
            "quarantined_rows": sum(t.quarantined_rows for t in run.tables.values()),
        },
        "quarantine": run.quarantine,
        "checks": run.checks,
        "ignored_source_tables": run.ignored_source_tables,
        "seconds": round(run.seconds, 3),
        "moved_rows": run.moved_rows,
        "rows_per_second": round(run.moved_rows / run.seconds, 1) if run.seconds else 0.0,
    }


def _cell(value: Any) -> str:
    return "—" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def markdown(report: dict[str, Any]) -> str:
    ok = "✅"
    bad = "❌"
    checks = report["checks"]
    conserved = all(c["conserved"] for c in checks["row_counts"].values())
    sums_match = all(c["match"] for c in checks["checksums"].values())
    wallets = checks["wallet_ledger_mismatches"]
    differences = checks["differences_from_existing"]
    orphans = sum(
        g["rows"]
        for g in report["quarantine"].get("groups", [])
        if g["kind"] in ("orphan", "depends_on_quarantined", "other_users_parent")
    )
    lines = [
        "# D1 → Postgres import: reconciliation",
        "",
        f"**Generated:** {report['generated_at']}{' (dry run: nothing was written)' if report['dry_run'] else ''}  ",
        f"**Source:** sha256 `{report['source']['sha256']}` ({report['source']['kind']})  ",
        f"**Speed:** {report['rows_per_second']:,} rows/s ({report['moved_rows']:,} rows moved by this run in {report['seconds']}s)",
        "",
        "## Summary",
        "",
        "| Check | Status | Details |",
        "|-------|--------|---------|",
        f"| Conservation (source = loaded + quarantined, counted in d1import.quarantine) | "
        f"{ok if conserved else bad} | "
        f"{report['totals']['source_rows']} = {report['totals']['loaded_rows']} + {report['totals']['quarantined_rows']} |",
        f"| Checksums of converted values vs loaded rows | {ok if sums_match else bad} | {len(checks['checksums'])} tables |",
        f"| Orphaned references | {'—' if not orphans else '⚠️'} | {orphans} rows quarantined |",
        f"| Rows that differ from rows already there (seeds) | {'—' if not differences['count'] else '⚠️'} | "
        f"{differences['count']} rows quarantined: the operator decides |",
        f"| Wallet vs ledger | {'—' if not wallets['count'] else '⚠️'} | "
        f"{wallets['count']} users differ (loaded as in D1, not adjusted) |",
        *_target_only_lines(checks.get("target_only", {})),
        "",
        "## Tables",
        "",
        "| D1 table | Source rows | Loaded | Already there | Quarantined | Target rows | Status |",
        "|----------|-------------|--------|---------------|-------------|-------------|--------|",
    ]
    for name, t in report["tables"].items():
        counts = checks["row_counts"][name]
        lines.append(
            f"| {name} | {t['source_rows']} | {t['loaded_rows']}{_landed(t)} | "
            f"{t['already_present_rows']} | {t['quarantined_rows']} | {counts['target_rows']} | "
            f"{ok if counts['conserved'] else bad} |"
        )
    lines += [
        "",
        "## Quarantine, by kind and column",
        "",
        "Every row is in `d1import.quarantine` (kind, d1_column, detail, source values); here the "
        "first few of each group.",
        "",
        "| Table | Kind | D1 column | Rows | Examples (D1 id: detail) |",
        "|-------|------|-----------|------|--------------------------|",
    ]
    groups = report["quarantine"].get("groups", [])
    lines += [
        f"| {g['table']} | {g['kind']} ({g['meaning']}) | {_cell(g['column'])} | {g['rows']} | "
        + "; ".join(f"{_cell(e['legacy_id'])}: {_cell(e['detail'])}" for e in g["examples"])
        + " |"
        for g in groups
    ] or ["| — | — | — | 0 | — |"]
    lines += ["", "## Rows that differ from rows already in the database (not loaded)", ""]
    lines += _capped_table(
        differences,
        ["| Table | D1 id | Differs in |", "|-------|-------|------------|"],
        [
            f"| {d['table']} | {_cell(d['legacy_id'])} | {_cell(d['columns'])} |"
            for d in differences["listed"]
        ],
    )
    lines += ["", "## Wallet totals that disagree with the ledger (as found in D1)", ""]
    lines += _capped_table(
        wallets,
        [
            "| User (D1 id) | Wallet coins | Ledger coins | Wallet XP | Ledger XP |",
            "|--------------|--------------|--------------|-----------|-----------|",
        ],
        [
            f"| {m['legacy_id']} | {m['wallet_coins']} | {m['ledger_coins']} | {m['wallet_xp']} | {m['ledger_xp']} |"
            for m in wallets["listed"]
        ],
    )
    lines += _run_notes(report)
    return "\n".join(lines) + "\n"


def _landed(table: dict[str, Any]) -> str:
    """Where the loaded rows went, for a D1 table whose rows land in two tables."""
    landed = table.get("landed_in")
    if not landed:
        return ""
    return " (" + ", ".join(f"{rows} in {name}" for name, rows in landed.items()) + ")"


def _target_only_lines(target_only: dict[str, Any]) -> list[str]:
    """A summary line per target-only table (no D1 table): filled from what was loaded."""
    return [
        f"| {name}: not in D1, one row per user from the loaded users | "
        f"{'✅' if c['match'] else '❌'} | {c['rows']} rows for {c['users']} users; "
        f"{c['users_without_row']} users without their row, {c['rows_without_user']} rows "
        "without their user |"
        for name, c in target_only.items()
    ]


def _capped_table(capped: dict[str, Any], header: list[str], rows: list[str]) -> list[str]:
    """A Markdown table of a list the report caps (``count`` in all, ``listed`` shown), with
    how many more the database holds; "None." when there is nothing."""
    if not capped["count"]:
        return ["None."]
    more = capped["count"] - len(capped["listed"])
    return header + rows + ([f"\n…and {more} more."] if more > 0 else [])


def _run_notes(report: dict[str, Any]) -> list[str]:
    """What the operator allowed to be absent, and which unfinished run this one resumed."""
    lines: list[str] = []
    absent = report.get("absent_from_source") or {}
    names = [*absent.get("tables", []), *absent.get("columns", [])]
    if names:
        lines += ["", "## Absent from the source (allowed with --allow-missing)", ""]
        lines += [f"- {name}" for name in names]
    resumes = (report.get("run") or {}).get("resumes")
    if resumes:
        lines += [
            "",
            f"This run resumed run {resumes['run']} ({resumes['status']}), which had loaded "
            f"{resumes['tables_already_loaded']} tables.",
        ]
    return lines


def write(directory: Path, report: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (directory / "report.md").write_text(markdown(report))
