"""``make validate`` with the D1 parity table: every D1 table, the Postgres table it lands in
(both, for a table whose rows land in two) and the revision that created it
(``dbtools.validate`` knows nothing of D1)."""

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
        # A table whose rows land in two (D1's quests: the global ones in quest_templates).
        targets = [table.table] + ([table.rows_elsewhere.table] if table.rows_elsewhere else [])
        present = all(target in created_in for target in targets)
        status = "✅ Migrated" if present else "❌ missing"
        landed = ", ".join(f"{t} ({created_in.get(t, '?')})" for t in targets)
        lines.append(f"| {name} | {landed} | {len(table.columns)} | {status} |")
    return lines


if __name__ == "__main__":
    raise SystemExit(validate.main(sections=[parity_section]))
