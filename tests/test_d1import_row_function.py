"""The compiled row conversion (d1import.row_function) and the legacy id of a tuple row
(d1import.quarantine_writeup.legacy_id_of) against the general paths they stand in for."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from d1import.convert import ConversionError, Converter, UndecodedText, converter_for
from d1import.quarantine_writeup import legacy_id, legacy_id_of
from d1import.row_function import compile_row

values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.binary(max_size=6),
    st.binary(min_size=1, max_size=6).map(UndecodedText),
    st.sampled_from(["0", "1", "2025-01-02 03:04:05", "focus", "x\x00y"]),
)
CONVERSIONS = ["text", "integer", "boolean", "timestamptz", "uuid_pk", "enum:focus_mode"]


def general_row(
    names: list[str], columns: list[tuple[str, Converter]], legacy: Any, row: tuple[Any, ...]
) -> tuple[Any, ...]:
    """The loop the compiled function replaces: each column by name, absent ones NULL."""
    by_name = dict(zip(names, row, strict=True))
    return (
        row[0],
        legacy(row),
        *(convert(by_name.get(source)) for source, convert in columns),
    )


def outcome(function: Any, *args: Any) -> tuple[Any, ...]:
    try:
        return ("ok", function(*args))
    except ConversionError as exc:
        return ("refused", exc.kind, exc.detail)


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    width=st.integers(1, 5),
    conversions=st.lists(st.sampled_from(CONVERSIONS), min_size=1, max_size=6),
)
def test_the_compiled_row_is_the_general_loop(
    data: st.DataObject, width: int, conversions: list[str]
) -> None:
    """Any columns in any order, some absent from the source: the same stage values, or the
    same first refusal."""
    names = ["__rowid", *(f"c{i}" for i in range(width))]
    columns = [
        (
            data.draw(st.sampled_from([*names[1:], "absent"])),
            converter_for(c, table="t", enum_labels=("focus", "break")),
        )
        for c in conversions
    ]
    row = (data.draw(st.integers(1, 10**6)), *data.draw(st.tuples(*[values] * width)))

    def legacy(r: tuple[Any, ...]) -> str:
        return f"L{r[0]}"

    compiled = compile_row(names, columns, legacy)
    assert outcome(compiled, row) == outcome(general_row, names, columns, legacy, row)


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    table=st.sampled_from(["users", "sessions", "accounts"]),
    key=st.sampled_from([["id"], ["sessionToken"], ["a", "b"], ["missing"]]),
)
def test_the_legacy_id_of_a_tuple_is_that_of_its_dict(
    data: st.DataObject, table: str, key: list[str]
) -> None:
    """Plain keys, secret keys (hashed), composite keys, keys the source lacks."""
    names = ["__rowid", "id", "sessionToken", "a", "b"]
    row = (1, *data.draw(st.tuples(*[values] * 4)))
    expected = legacy_id(table, key, dict(zip(names, row, strict=True)))
    assert legacy_id_of(table, key, names)(row) == expected


def test_a_source_without_rowid_first_is_refused() -> None:
    with pytest.raises(ValueError, match="__rowid"):
        compile_row(["id", "__rowid"], [], lambda r: None)
