"""``make validate`` with the D1 parity table: every D1 table, the Postgres table it lands in
and the revision that created it (``dbtools.validate`` knows nothing of D1)."""

from __future__ import annotations

from collections.abc import Mapping

from d1import.mapping import build_mapping
from dbtools import validate


def parity_section(created_in: Mapping[str, str]) -> list[str]:
    """The "Schema parity" section: one line per D1 table, ✅ when its table was created."""
    lines = [
        "## Schema parity: D1 → Postgres",
        "",
        "| D1 table | Postgres table | Columns | Status |",
        "|----------|----------------|---------|--------|",
    ]
    for name, table in sorted(build_mapping().items()):
        present = table.table in created_in
        status = "✅ Migrated" if present else "❌ missing"
        lines.append(
            f"| {name} | {table.table} ({created_in.get(table.table, '?')}) | "
            f"{len(table.columns)} | {status} |"
        )
    return lines


if __name__ == "__main__":
    raise SystemExit(validate.main(sections=[parity_section]))
