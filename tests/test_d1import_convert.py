"""The value conversions of the D1 import, one by one."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from decimal import Decimal

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from d1import.convert import ConversionError, UndecodedText, converter_for
from d1import.kinds import KINDS
from d1import.run import conninfo
from dbtools.ids import legacy_uuid
from tests.conftest import SERVER

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
    """The instant as text with its offset (what COPY sends; PostgreSQL reads it as that
    instant: ``test_any_value_converts_to_what_postgres_accepts_or_is_refused``)."""
    converted = converter_for("timestamptz", table="t")(raw)
    if expected is None:
        assert converted is None
        return
    assert isinstance(converted, str)
    instant = dt.datetime.fromisoformat(converted)
    assert instant == expected
    assert instant.tzinfo is not None


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


# -- properties, checked against the real server -------------------------------------------

COLUMN_TYPES = {
    "text": "text",
    "integer": "integer",
    "bigint": "bigint",
    "double": "double precision",
    "boolean": "boolean",
    "timestamptz": "timestamptz",
    "date": "date",
    "jsonb": "jsonb",
    "json_array": "text[]",
    "comma_list": "text[]",
    "hex_to_bytea": "bytea",
    "sha256_of_token": "bytea",
    "uuid_pk": "uuid",
    "uuid_loose": "uuid",
    "enum:focus_mode": "focus_mode",
}
FOCUS_MODES = ("focus", "break", "long_break")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
json_numbers = st.from_regex(r"\A-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,7})?\Z")
json_texts = st.one_of(
    json_values.map(json.dumps),
    json_values.map(lambda v: json.dumps(v, ensure_ascii=False)),
    json_numbers,
    json_numbers.map(lambda n: f'[{n}, {{"n": {n}}}]'),
    st.sampled_from(['"\\u0000"', '["\\ud800"]', '{"\\udc00": 1}', '"\\ud834\\udd1e"', "[1,"]),
    st.integers(1, 3000).map(lambda depth: "[" * depth + "]" * depth),
)
numeric_texts = st.from_regex(
    r"\A[ \t]?[+-]?[0-9_\u0661\u0665]{0,25}\.?[0-9]{0,5}([eE][+-]?[0-9]{1,4})?[ \n]?\Z"
)
date_texts = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
    st.from_regex(
        r"\A-?[0-9]{4,5}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?"
        r"(Z|[+-][0-9]{2}:?[0-9]{2})?\Z"
    ),
)
# What a SQLite value can be (Source.rows): NULL, INTEGER (64-bit), REAL (no NaN), TEXT,
# TEXT that is not UTF-8, BLOB; and text shaped like what each column expects.
sqlite_values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(),
    st.binary(max_size=20),
    st.binary(min_size=1, max_size=8).map(UndecodedText),
    numeric_texts,
    date_texts,
    json_texts,
    st.sampled_from([*FOCUS_MODES, "nap", "", " ", "0", "1", "true", "00ff", "abc", "a,b,,c"]),
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(str),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"),
)


def outcome(conversion: str, raw: object) -> tuple[object, ConversionError | None]:
    """The converted value, or the conversion error (a quarantine)."""
    try:
        return converter_for(conversion, table="t", enum_labels=FOCUS_MODES)(raw), None
    except ConversionError as exc:
        return None, exc


@pytest.fixture(scope="module")
def server() -> Iterator[psycopg.Connection]:
    """A database of this module's own: one table per column type, as the stage has them."""
    name = f"ignition_test_{os.getpid()}_convert"
    admin_url = conninfo(SERVER.url("postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = conninfo(SERVER.url(name).render_as_string(hide_password=False))
        with psycopg.connect(url, autocommit=True) as connection:
            # Not UTC: a timestamp without its offset would be read in this zone, and show.
            connection.execute("SET TimeZone = 'Pacific/Chatham'")
            connection.execute("CREATE TYPE focus_mode AS ENUM ('focus', 'break', 'long_break')")
            for n, sql_type in enumerate(COLUMN_TYPES.values()):
                connection.execute(f"CREATE TABLE t{n} (v {sql_type})")
            yield connection
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def landed(connection: psycopg.Connection, conversion: str, value: object) -> object:
    """COPY the converted value into a column of the type, as the load does; what is there."""
    table = f"t{list(COLUMN_TYPES).index(conversion)}"
    with connection.transaction(force_rollback=True), connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} (v) FROM STDIN") as copy:
            copy.write_row((value,))
        shown = "v::text" if conversion == "jsonb" else "v"  # jsonb: not through Python
        row = cursor.execute(f"SELECT {shown} FROM {table}").fetchone()
    assert row is not None
    return row[0]


@pytest.mark.parametrize("conversion", list(COLUMN_TYPES))
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=sqlite_values)
def test_any_value_converts_to_what_postgres_accepts_or_is_refused(
    server: psycopg.Connection, conversion: str, raw: object
) -> None:
    """For any SQLite value: a value PostgreSQL takes for the column type exactly as it is,
    or ConversionError (a quarantine) - never another exception, never a refused COPY."""
    value, refused = outcome(conversion, raw)
    if refused is not None:
        assert refused.kind in KINDS
        assert refused.detail
        return
    stored = landed(server, conversion, value)
    if conversion == "jsonb":
        assert value is None or value == raw or isinstance(raw, int | float | bytes)
        return
    if isinstance(stored, memoryview):
        stored = bytes(stored)
    if conversion in ("uuid_pk", "uuid_loose") and stored is not None:
        stored = str(stored)
    if conversion == "timestamptz" and value is not None:  # text: the instant PostgreSQL read
        assert isinstance(value, str)
        value = dt.datetime.fromisoformat(value)
    assert stored == value


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    raw=st.one_of(
        date_texts,
        st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"),
        st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M")),
    )
)
def test_timestamps_postgres_reads_as_the_instant_the_text_spells(
    server: psycopg.Connection, raw: str
) -> None:
    """A timestamp goes to COPY as text (the app's forms as they are, with their offset):
    PostgreSQL reads every such text as the instant Python reads in it."""
    value, refused = outcome("timestamptz", raw)
    if refused is not None:
        assert refused.kind in ("invalid_datetime", "out_of_range")
        return
    assert isinstance(value, str)
    assert landed(server, "timestamptz", value) == dt.datetime.fromisoformat(value)


@settings(max_examples=200, deadline=None)
@given(text=st.text())
def test_text_keeps_every_character(text: str) -> None:
    """Text loads as it is (CR, tabs, emoji included), or is refused for a NUL."""
    value, refused = outcome("text", text)
    if refused is None:
        assert value == text
    else:
        assert refused.kind == "invalid_text"
        assert "\x00" in text


@settings(max_examples=300, deadline=None)
@given(raw=numeric_texts)
def test_integers_are_read_only_from_plain_ascii_numbers(raw: str) -> None:
    """A text integer loads only when it is what it looks like: no ``_``, no other digits."""
    try:
        number = converter_for("bigint", table="t")(raw)
    except ConversionError:
        return
    if number is not None:
        assert set(raw.strip()) <= set("+-.0123456789eE")
        assert Decimal(raw.strip()) == number


@pytest.mark.parametrize("conversion", ["jsonb", "json_array"])
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=json_texts)
def test_json_postgres_reads_as_it_is_or_is_refused(
    server: psycopg.Connection, conversion: str, raw: str
) -> None:
    """JSON-shaped text only (numbers at numeric's limits, escapes, nesting): the same
    property as above, with more tries where JSON is hard."""
    value, refused = outcome(conversion, raw)
    if refused is not None:
        assert refused.kind in ("invalid_json", "not_a_json_array")
        return
    stored = landed(server, conversion, value)
    assert stored is not None
    if conversion == "jsonb":
        assert value == raw


def _result(
    convert: Callable[[object], object], raw: object, conversion: str
) -> tuple[object, ...]:
    """What a converter made of ``raw``: the value with its type (and a time's offset; a
    timestamp's text is read as the instant it spells), or the refusal's kind and detail."""
    try:
        value = convert(raw)
    except ConversionError as exc:
        return ("refused", exc.kind, exc.detail)
    if conversion == "timestamptz" and isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    offset = value.utcoffset() if isinstance(value, dt.datetime) else None
    return ("converted", value, type(value), offset)


@pytest.mark.parametrize("conversion", [*COLUMN_TYPES, "uuid_fk:users", "bigint"])
@settings(max_examples=400, deadline=None)
@given(raw=sqlite_values)
def test_the_shortcuts_give_what_the_general_path_gives(conversion: str, raw: object) -> None:
    """The converters take a short way for the forms the app writes (d1import.convert); for
    any SQLite value, they give what the general path gives: the same value of the same
    type, or the same refusal."""
    fast = converter_for(conversion, table="t", enum_labels=FOCUS_MODES)
    general = converter_for(conversion, table="t", enum_labels=FOCUS_MODES, general=True)
    assert _result(fast, raw, conversion) == _result(general, raw, conversion)
