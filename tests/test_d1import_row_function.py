"""The converting process's short ways against the general paths they stand in for: the
compiled row conversion (d1import.row_function), the legacy id of a tuple row
(d1import.quarantine_writeup.legacy_id_of), TEXT decoded by the sqlite3 module
(d1import.source, fast_text)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from d1import.convert import ConversionError, Converter, UndecodedText, converter_for
from d1import.quarantine_writeup import legacy_id, legacy_id_of
from d1import.row_function import compile_row
from d1import.source import open_source

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
    key=st.one_of(values, st.uuids().map(str), st.uuids().map(lambda u: str(u).upper())),
    others=st.lists(st.sampled_from(CONVERSIONS), max_size=3),
)
def test_an_id_kept_as_it_is_is_its_own_legacy_id(
    data: st.DataObject, key: object, others: list[str]
) -> None:
    """``legacy_is``: when the id's converter keeps the D1 key as it is (a UUID already),
    the compiled row takes it as the legacy id without asking; every other key still gets
    its legacy id: the same as the general loop with the real legacy id."""
    names = ["__rowid", "id", "x"]
    columns = [("id", converter_for("uuid_pk", table="t"))]
    columns += [
        (data.draw(st.sampled_from(["id", "x"])), converter_for(c, table="t")) for c in others
    ]
    row = (1, key, data.draw(values))
    legacy = legacy_id_of("habits", ["id"], names)
    compiled = compile_row(names, columns, legacy, "id")
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


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(
        st.one_of(
            st.text(max_size=6),
            st.binary(max_size=4),
            st.none(),
            st.integers(min_value=-(2**63), max_value=2**63 - 1),
        ),
        min_size=0,
        max_size=12,
    )
)
def test_text_decoded_by_sqlite_reads_as_decode_text_reads(
    tmp_path_factory: Any, texts: list[Any]
) -> None:
    """The converting process reads TEXT through the sqlite3 module's own decoding
    (Source.reopened, fast_text) and, from a value that is not UTF-8 on, through
    decode_text: the same rows as the run's own reading, bytes that are not UTF-8 kept."""
    path = tmp_path_factory.mktemp("fast_text") / "d1.sqlite"
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE t (v)")
        for value in texts:  # bytes stored as TEXT: UTF-8 or not
            if isinstance(value, bytes):
                connection.execute("INSERT INTO t VALUES (CAST(? AS TEXT))", (value,))
            else:
                connection.execute("INSERT INTO t VALUES (?)", (value,))
        connection.commit()
    with open_source(path) as source, source.reopened() as fast:
        assert fast.fast_text
        names, rows = source.tuples("t")
        fast_names, fast_rows = fast.tuples("t")
        expected, got = list(rows), list(fast_rows)
    assert fast_names == names
    assert [tuple(map(repr_typed, r)) for r in got] == [tuple(map(repr_typed, r)) for r in expected]


def repr_typed(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)
