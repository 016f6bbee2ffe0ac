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
    legacy_is: str | None = None,
) -> RowFunction:
    """``(__rowid, legacy id, *converted columns)`` of a row read as ``names`` (``__rowid``
    first); ``columns``: each target column's D1 column and converter, in stage order. A
    D1 column the source lacks reads as NULL, as it does on the general path.

    ``legacy_is``: the D1 column ``legacy`` returns as it is when it is ordinary text (a
    one-column key). When a column's converter keeps that very value (an id that is a UUID
    already), it is the legacy id too, and ``legacy`` is not called."""
    if not names or names[0] != "__rowid":
        raise ValueError("the source's rows start with __rowid")
    position = {name: i for i, name in enumerate(names)}
    scope: dict[str, Any] = {"legacy": legacy}
    parts = ["r[0]", "legacy(r)"]
    first = ""
    for k, (source, convert) in enumerate(columns):
        scope[f"c{k}"] = convert
        at = position.get(source)
        if at is not None and source == legacy_is and not first:
            first = f"    v{k} = c{k}(r[{at}])\n"
            parts[1] = f"v{k} if v{k} is r[{at}] else legacy(r)"
            parts.append(f"v{k}")
            continue
        parts.append(f"c{k}(r[{at}])" if at is not None else f"c{k}(None)")
    code = "def row(r):\n" + first + "    return (" + ", ".join(parts) + ",)\n"
    exec(compile(code, "<d1import row function>", "exec"), scope)  # positions and names only
    function: RowFunction = scope["row"]
    return function
