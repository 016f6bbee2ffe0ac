"""A table's row conversion as one function: source tuple in, stage values out.

The import's hot loop runs once per source row, and the general path (``TableLoader.
_converted``: a dict per row, a loop over the columns, a ``try`` per value) spends more on
its own bookkeeping than on converting. ``compile_row`` writes that loop out for one table,
once: one expression per column, each column's converter applied to its position in the
tuple, so a row costs its conversions and little else. The text compiled holds positions
and generated names only (no value, no name that came from the source).

It gives the same values as the general path, which stays the definition: a row one of
whose converters raises ``ConversionError`` goes through the general path again, which
names the column and the reason (``TableLoader.convert``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from d1import.convert import Converter

RowFunction = Callable[[tuple[Any, ...]], tuple[Any, ...]]


def compile_row(
    names: Sequence[str],
    columns: Sequence[tuple[str, Converter]],
    legacy: Callable[[tuple[Any, ...]], str | None],
) -> RowFunction:
    """``(__rowid, legacy id, *converted columns)`` of a row read as ``names`` (``__rowid``
    first); ``columns``: each target column's D1 column and converter, in stage order. A
    D1 column the source lacks reads as NULL, as it does on the general path."""
    if not names or names[0] != "__rowid":
        raise ValueError("the source's rows start with __rowid")
    position = {name: i for i, name in enumerate(names)}
    scope: dict[str, Any] = {"legacy": legacy}
    parts = ["r[0]", "legacy(r)"]
    for k, (source, convert) in enumerate(columns):
        scope[f"c{k}"] = convert
        parts.append(f"c{k}(r[{position[source]}])" if source in position else f"c{k}(None)")
    code = "def row(r):\n    return (" + ", ".join(parts) + ",)\n"
    exec(compile(code, "<d1import row function>", "exec"), scope)  # positions and names only
    function: RowFunction = scope["row"]
    return function
