"""The reconciliation report: ``report.json`` for machines, ``report.md`` for a reviewer."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from d1import.run import RunResult


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def build(run: RunResult) -> dict[str, Any]:
    loaded = sum(t.loaded_rows for t in run.tables.values())
    return {
        "source": {"sha256": run.sha256, "kind": run.source_kind},
        "generated_at": now_utc(),
        "dry_run": run.dry_run,
        "tables": {
            name: {
                "source_rows": t.source_rows,
                "loaded_rows": t.loaded_rows,
                "already_present_rows": t.already_present_rows,
                "quarantined_rows": t.quarantined_rows,
                "resumed": t.resumed,
            }
            for name, t in run.tables.items()
        },
        "totals": {
            "source_rows": run.source_rows,
            "loaded_rows": loaded,
            "quarantined_rows": sum(t.quarantined_rows for t in run.tables.values()),
        },
        "quarantine_reasons": run.quarantine_reasons,
        "checks": run.checks,
        "ignored_source_tables": run.ignored_source_tables,
        "seconds": round(run.seconds, 3),
        "moved_rows": run.moved_rows,
        "rows_per_second": round(run.moved_rows / run.seconds, 1) if run.seconds else 0.0,
    }


def markdown(report: dict[str, Any]) -> str:
    ok = "✅"
    bad = "❌"
    checks = report["checks"]
    conserved = all(c["conserved"] for c in checks["row_counts"].values())
    sums_match = all(c["match"] for c in checks["checksums"].values())
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
        f"| Conservation (source = loaded + quarantined) | {ok if conserved else bad} | "
        f"{report['totals']['source_rows']} = {report['totals']['loaded_rows']} + {report['totals']['quarantined_rows']} |",
        f"| Checksums of converted values vs loaded rows | {ok if sums_match else bad} | {len(checks['checksums'])} tables |",
        f"| Orphaned references | {'—' if not checks['orphans'] else '⚠️'} | {len(checks['orphans'])} rows quarantined |",
        f"| Wallet vs ledger | {'—' if not checks['wallet_ledger_mismatches'] else '⚠️'} | "
        f"{len(checks['wallet_ledger_mismatches'])} users differ (loaded as in D1, not adjusted) |",
        "",
        "## Tables",
        "",
        "| D1 table | Source rows | Loaded | Already there | Quarantined | Target rows | Status |",
        "|----------|-------------|--------|---------------|-------------|-------------|--------|",
    ]
    for name, t in report["tables"].items():
        counts = checks["row_counts"][name]
        lines.append(
            f"| {name} | {t['source_rows']} | {t['loaded_rows']} | {t['already_present_rows']} | "
            f"{t['quarantined_rows']} | {counts['target_rows']} | {ok if counts['conserved'] else bad} |"
        )
    lines += ["", "## Quarantine reasons", "", "| Reason | Rows |", "|--------|------|"]
    lines += [f"| {reason} | {n} |" for reason, n in report["quarantine_reasons"].items()] or [
        "| — | 0 |"
    ]
    lines += ["", "## Wallet totals that disagree with the ledger (as found in D1)", ""]
    if checks["wallet_ledger_mismatches"]:
        lines += [
            "| User (D1 id) | Wallet coins | Ledger coins | Wallet XP | Ledger XP |",
            "|--------------|--------------|--------------|-----------|-----------|",
        ]
        lines += [
            f"| {m['legacy_id']} | {m['wallet_coins']} | {m['ledger_coins']} | {m['wallet_xp']} | {m['ledger_xp']} |"
            for m in checks["wallet_ledger_mismatches"]
        ]
    else:
        lines.append("None.")
    lines += ["", "## Orphaned references (quarantined)", ""]
    if checks["orphans"]:
        lines += ["| Table | D1 id | Reason |", "|-------|-------|--------|"]
        lines += [
            f"| {o['table']} | {o['legacy_id']} | {o['reason']} |" for o in checks["orphans"][:500]
        ]
    else:
        lines.append("None.")
    lines += _run_notes(report)
    return "\n".join(lines) + "\n"


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
