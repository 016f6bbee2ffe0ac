"""The value conversions of the D1 import, one by one."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from d1import.convert import ConversionError, converter_for
from dbtools.ids import legacy_uuid

UTC = dt.UTC


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-01-02 03:04:05", dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2025-01-02T03:04:05Z", dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2025-01-02T03:04:05.123Z", dt.datetime(2025, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)),
        ("2025-01-02T03:04:05.123456+02:00", dt.datetime(2025, 1, 2, 1, 4, 5, 123456, tzinfo=UTC)),
        ("2025-01-02T03:04:05-0500", dt.datetime(2025, 1, 2, 8, 4, 5, tzinfo=UTC)),
        ("2025-01-02T03:04", dt.datetime(2025, 1, 2, 3, 4, tzinfo=UTC)),
        ("2025-01-02", dt.datetime(2025, 1, 2, tzinfo=UTC)),
        (1700000000, dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        (1700000000123, dt.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)),
        ("1700000000", dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        (1700000000.5, dt.datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_timestamps_in_every_form(raw: object, expected: dt.datetime | None) -> None:
    converted = converter_for("timestamptz", table="t")(raw)
    assert converted == expected
    if expected is not None:
        assert converted.tzinfo is not None


@pytest.mark.parametrize("raw", ["yesterday", "2025-13-01", "01/02/2025", "2025-01-02T25:00"])
def test_bad_timestamps_name_the_value(raw: str) -> None:
    with pytest.raises(ConversionError, match="is not a date/time"):
        converter_for("timestamptz", table="t")(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0, False),
        (1, True),
        ("0", False),
        ("1", True),
        ("true", True),
        ("false", False),
        ("TRUE", True),
        ("", None),
        (None, None),
    ],
)
def test_booleans(raw: object, expected: bool | None) -> None:
    assert converter_for("boolean", table="t")(raw) is expected


@pytest.mark.parametrize("raw", [2, "yes please", "-1"])
def test_bad_booleans(raw: object) -> None:
    with pytest.raises(ConversionError, match="is not a boolean"):
        converter_for("boolean", table="t")(raw)


def test_integers_respect_the_column_range() -> None:
    integer, bigint = converter_for("integer", table="t"), converter_for("bigint", table="t")
    assert integer(2**31 - 1) == 2**31 - 1
    assert integer("42") == 42
    assert integer("") is None
    with pytest.raises(ConversionError, match="out of range for integer"):
        integer(2**31)
    assert bigint(2**40) == 2**40
    with pytest.raises(ConversionError, match="out of range for bigint"):
        bigint(2**63)
    with pytest.raises(ConversionError, match="is not a whole number"):
        integer(1.5)


def test_json_and_json_arrays() -> None:
    jsonb, array = converter_for("jsonb", table="t"), converter_for("json_array", table="t")
    assert jsonb('{"a": [1, "é"]}') == '{"a": [1, "é"]}'
    with pytest.raises(ConversionError, match="invalid JSON"):
        jsonb("{oops")
    assert array('["a", "b", 3, true]') == ["a", "b", "3", "true"]
    with pytest.raises(ConversionError, match="expected a JSON array, got dict"):
        array('{"a": 1}')
    with pytest.raises(ConversionError, match="invalid JSON"):
        array("[unclosed")
    assert converter_for("comma_list", table="t")("delay, space,") == ["delay", "space"]


def test_ids_keep_uuids_lower_cased_and_derive_the_rest() -> None:
    pk = converter_for("uuid_pk", table="users")
    fk = converter_for("uuid_fk:users", table="accounts")
    upper = "6F9619FF-8B86-D011-B42D-00C04FC964FF"
    assert pk(upper) == upper.lower()
    assert pk("user_1") == fk("user_1") == str(legacy_uuid("users", "user_1"))
    assert pk("user_1") != converter_for("uuid_pk", table="habits")("user_1")


def test_tokens_become_their_sha256_and_hex_becomes_bytes() -> None:
    assert (
        converter_for("sha256_of_token", table="sessions")("tok") == hashlib.sha256(b"tok").digest()
    )
    assert converter_for("hex_to_bytea", table="t")("00ff") == b"\x00\xff"
    with pytest.raises(ConversionError, match="not a hexadecimal string"):
        converter_for("hex_to_bytea", table="t")("xyz1")


def test_enums_and_text() -> None:
    mode = converter_for("enum:focus_mode", table="t", enum_labels=("focus", "break"))
    assert mode("focus") == "focus"
    assert mode("") is None
    with pytest.raises(ConversionError, match="'nap' is not a value of focus_mode"):
        mode("nap")
    text = converter_for("text", table="t")
    assert text("") == ""
    assert text("x" * 100_000) == "x" * 100_000
    with pytest.raises(ConversionError, match="NUL"):
        text("a\x00b")
