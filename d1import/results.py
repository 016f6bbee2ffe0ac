"""What a run produced, as plain data: per table (``TableResult``) and for the run
(``RunResult``). The loader, the run, verification and the report all read these; this module
imports none of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TableResult:
    table: str
    source_rows: int
    loaded_rows: int
    already_present_rows: int
    quarantined_rows: int
    converted_checksum: str
    loaded_checksum: str
    seconds: float
    resumed: bool = False
    landed_in: dict[str, int] | None = None
    """Loaded rows per target table, for a D1 table whose rows land in two
    (``d1import.elsewhere``); None when they all land in the table of its name."""

    def conserved(self) -> bool:
        return self.source_rows == self.loaded_rows + self.quarantined_rows


def empty_result(table: str) -> TableResult:
    """A table the source has no rows of: nothing to stage (the checksum of no rows)."""
    nothing = "0:" + "0" * 16
    return TableResult(table, 0, 0, 0, 0, nothing, nothing, 0.0)


@dataclass
class RunResult:
    sha256: str
    source_kind: str
    dry_run: bool
    tables: dict[str, TableResult]
    checks: dict[str, Any]
    seconds: float
    ignored_source_tables: list[str] = field(default_factory=list)
    quarantine: dict[str, Any] = field(default_factory=dict)
    """The quarantine grouped by kind, table and column (``verify.quarantine_summary``)."""
    report: dict[str, Any] = field(default_factory=dict)
    """What ``report.json`` holds; also kept in ``d1import.runs.report``."""

    @property
    def source_rows(self) -> int:
        return sum(t.source_rows for t in self.tables.values())

    @property
    def moved_rows(self) -> int:
        """Source rows this run loaded or quarantined (not those of tables an earlier run
        loaded): what its speed is measured by."""
        return sum(t.source_rows for t in self.tables.values() if not t.resumed)

    @property
    def conserved(self) -> bool:
        """Source = loaded + quarantined for every table, the quarantine counted in the
        quarantine table itself (``checks.row_counts``), not only in the loader's tally."""
        counts = self.checks.get("row_counts", {})
        return all(t.conserved() for t in self.tables.values()) and all(
            c["conserved"] for c in counts.values()
        )
