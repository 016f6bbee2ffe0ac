"""D1 tables whose rows land in two tables (``mapping.ROWS_ELSEWHERE``): D1's ``quests``
holds both the users' quests and the global ones (no user), which the tenant-key schema
keeps in the reference table ``quest_templates``.

The table is loaded in two parts, each by a ``TableLoader`` of its own over the same D1
table: every row goes to exactly one part, decided on its converted routing column (a value
that does not convert goes with the rows that have one, and is quarantined there). The
parts' results add up to the D1 table's (``combine``): conservation is counted per D1 table,
with where the rows landed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from d1import.convert import ConversionError, Converter, converter_for, shown
from d1import.mapping import TableMap, elsewhere_map
from d1import.results import TableResult

STATE_KIND = "state_without_owner"


@dataclass(frozen=True)
class Part:
    """One of the tables a D1 table's rows go to: ``table_map`` maps them there; ``takes``
    says which rows; ``refusal`` quarantines a taken row before it is converted."""

    d1_table: str
    table_map: TableMap
    route: Converter
    route_column: str
    elsewhere: bool
    not_kept: dict[str, tuple[Any, Converter]]

    def takes(self, row: dict[str, Any]) -> bool:
        try:
            owner = self.route(row.get(self.route_column))
        except ConversionError:
            return not self.elsewhere  # a routing value that does not convert has one
        return (owner is None) == self.elsewhere

    def refusal(self, row: dict[str, Any]) -> tuple[str, str, str] | None:
        """A row of the other table holding a value of a column that table does not keep."""
        held = []
        for column, (default, convert) in self.not_kept.items():
            try:
                value = convert(row.get(column))
            except ConversionError:
                value = row.get(column)
            if value != default and not (value is None and default is not None):
                held.append(f"{column} = {shown(row.get(column))}")
        if not held:
            return None
        columns = ", ".join(h.partition(" = ")[0] for h in held)
        detail = (
            f"a row without {self.route_column} goes to {self.table_map.table}, which keeps "
            f"no per-user state, but it holds {', '.join(held)}"
        )
        return STATE_KIND, columns, detail


def parts(table_map: TableMap, enum_labels: dict[str, tuple[str, ...]]) -> list[Part] | None:
    """The two parts of a D1 table whose rows land in two tables, else None."""
    elsewhere = table_map.rows_elsewhere
    if elsewhere is None:
        return None
    table = table_map.table

    def converter(column: str) -> Converter:
        conversion = table_map.columns[column].conversion
        return converter_for(
            conversion, table=table, enum_labels=enum_labels.get(conversion.partition(":")[2], ())
        )

    route = converter(elsewhere.route_by)
    not_kept = {
        column: (default, converter(column))
        for column, default in elsewhere.not_kept.items()
        if column != elsewhere.route_by
    }
    return [
        Part(table, table_map, route, elsewhere.route_by, False, {}),
        Part(table, elsewhere_map(table_map), route, elsewhere.route_by, True, not_kept),
    ]


def _combined_checksum(checksums: list[str]) -> str:
    """Checksums ``count:xor`` of disjoint row sets, as one: counts add, digests XOR."""
    count, digest = 0, 0
    for checksum in checksums:
        n, _, h = checksum.partition(":")
        count += int(n)
        digest ^= int(h, 16)
    return f"{count}:{digest:016x}"


def combine(table: str, results: list[TableResult], landed: list[str]) -> TableResult:
    """The D1 table's result from its parts' (``landed`` names each part's table)."""
    return replace(
        results[0],
        table=table,
        source_rows=sum(r.source_rows for r in results),
        loaded_rows=sum(r.loaded_rows for r in results),
        already_present_rows=sum(r.already_present_rows for r in results),
        quarantined_rows=sum(r.quarantined_rows for r in results),
        converted_checksum=_combined_checksum([r.converted_checksum for r in results]),
        loaded_checksum=_combined_checksum([r.loaded_checksum for r in results]),
        seconds=round(sum(r.seconds for r in results), 3),
        landed_in={name: r.loaded_rows for name, r in zip(landed, results, strict=True)},
    )
