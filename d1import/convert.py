"""Conversions of D1 (SQLite) values to the Postgres column types, one per map entry.

Each converter takes the raw SQLite value (``Source.rows`` gives TEXT as ``str``, TEXT that is
not UTF-8 as ``UndecodedText``, BLOBs as ``bytes``) and returns a value PostgreSQL accepts
for the column's type exactly as it is, or raises ``ConversionError`` with a kind from
``d1import.kinds`` and a detail (the row is then quarantined). Nothing is guessed: text in a
numeric column must be a plain ASCII number (SQLite's own reading of ``'1_500'`` is 1, of
Arabic-Indic digits 0; neither is what the row says), JSON goes through as the text it is (after
checking that PostgreSQL reads it), text keeps every byte. Empty strings in nullable
non-text columns become NULL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from dbtools.ids import derived_uuid_text, legacy_uuid_text, parse_uuid

Converter = Callable[[Any], Any]

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
# Epoch values above this are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973).
EPOCH_MILLISECONDS_ABOVE = 100_000_000_000
ASCII_SPACE = " \t\n\r\f\v"
INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
HEX = re.compile(r"[0-9a-fA-F]*")
CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_canonical_uuid = CANONICAL_UUID.fullmatch
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL; lone surrogates (not UTF-8)
_unstorable = UNSTORABLE.search
RISKY_ESCAPE = re.compile(r"\\u(0000|[dD][89a-fA-F])")  # JSON escapes of a NUL or a surrogate
# PostgreSQL's numeric (jsonb numbers): at most 131072 digits before the point, 16383 after.
NUMERIC_MAX_ADJUSTED = 131071
NUMERIC_MAX_SCALE = 16383
NUMERIC_MAX_EXPONENT = 2**30 - 1


class UndecodedText(bytes):
    """A TEXT value whose bytes are not UTF-8 (kept as read, so nothing fails on reading)."""


class ConversionError(ValueError):
    """A value that cannot become the column's type: ``kind`` (from ``d1import.kinds``) and
    ``detail`` (the particulars, for people; ``str()`` is the detail)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def shown(value: Any, limit: int = 60) -> str:
    """A value as a report shows it: ``repr`` (escapes NUL and surrogates), cut short."""
    text = repr(bytes(value) if isinstance(value, bytes) else value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _as_text(value: Any, what: str = "text") -> str:
    """The value as text PostgreSQL can store: a BLOB that is UTF-8 counts as its text."""
    if type(value) is str and not UNSTORABLE.search(value):  # the usual case, first
        return value
    if isinstance(value, UndecodedText):
        raise ConversionError("invalid_text", f"{what} whose bytes are not UTF-8: {shown(value)}")
    if isinstance(value, bytes):
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            raise ConversionError(
                "invalid_text", f"a BLOB that is not UTF-8 text: {shown(value)}"
            ) from None
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = str(value)
    if UNSTORABLE.search(text):
        raise ConversionError(
            "invalid_text",
            f"{what} with a NUL character (PostgreSQL cannot store it): {shown(text)}",
        )
    return text


def to_text(value: Any) -> Any:
    if type(value) is str and not _unstorable(value):  # the usual case, without a call
        return value
    return _text(value)


def _text(value: Any) -> Any:
    return None if value is None else _as_text(value)


def _integer(bounds: tuple[int, int], name: str, *, general: bool = False) -> Converter:
    def in_range(number: int) -> int:
        if not bounds[0] <= number <= bounds[1]:
            raise ConversionError("out_of_range", f"{number} is out of range for {name}")
        return number

    low, high = bounds

    def shortcut(value: Any) -> Any:
        if type(value) is int and low <= value <= high:  # the usual case, first
            return value
        return convert(value)

    def convert(value: Any) -> Any:
        if _blank(value):
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return in_range(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ConversionError("out_of_range", f"{value!r} is out of range for {name}")
            if not value.is_integer():
                raise ConversionError("invalid_number", f"{value!r} is not a whole number")
            return in_range(int(value))
        if isinstance(value, bytes):
            raise ConversionError("invalid_number", f"a BLOB is not an integer: {shown(value)}")
        text = str(value).strip(ASCII_SPACE)
        if INTEGER_TEXT.fullmatch(text):
            if len(text) > 40:
                raise ConversionError("out_of_range", f"{shown(text)} is out of range for {name}")
            return in_range(int(text))
        if DECIMAL_TEXT.fullmatch(text):
            number = Decimal(text)
            if number.adjusted() > 40:
                raise ConversionError("out_of_range", f"{shown(text)} is out of range for {name}")
            if number != number.to_integral_value():
                raise ConversionError("invalid_number", f"{shown(text)} is not a whole number")
            return in_range(int(number))
        raise ConversionError("invalid_number", f"{shown(value)} is not an integer")

    return convert if general else shortcut


def to_double(value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, bytes):
        raise ConversionError("invalid_number", f"a BLOB is not a number: {shown(value)}")
    if isinstance(value, int | float):
        number = value
    else:
        text = str(value).strip(ASCII_SPACE)
        if not DECIMAL_TEXT.fullmatch(text):
            raise ConversionError("invalid_number", f"{shown(value)} is not a number")
        number = float(text)
    try:
        result = float(number)
    except OverflowError:
        result = math.inf
    if not math.isfinite(result):
        raise ConversionError("out_of_range", f"{shown(value)} is out of range for a double")
    return result


TRUE = {"1", "true", "t", "yes", "y"}
FALSE = {"0", "false", "f", "no", "n"}


def to_boolean(value: Any) -> Any:
    if type(value) is int and (value == 0 or value == 1):  # SQLite's 0/1, first
        return value == 1
    return _boolean(value)


def _boolean(value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
    raise ConversionError("invalid_boolean", f"{shown(value)} is not a boolean (0/1, true/false)")


def _from_epoch(number: float) -> dt.datetime:
    try:
        seconds = number / 1000 if abs(number) >= EPOCH_MILLISECONDS_ABOVE else number
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise ConversionError(
            "out_of_range", f"{shown(number)} is out of range for an epoch timestamp"
        ) from None


EPOCH_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
COMPACT_OFFSET = re.compile(r"[+-][0-9]{4}$")


PLAIN_STAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?Z?"
)


def to_timestamptz(value: Any) -> Any:
    """ISO-8601 in any common form, SQLite's ``YYYY-MM-DD HH:MM:SS``, a date alone, or epoch
    seconds/milliseconds (told apart by magnitude). No offset means UTC.

    The result is text that PostgreSQL reads as that instant, not a ``datetime``: formatting a
    ``datetime`` for COPY (``str(value)``, which is what psycopg sends) costs ten times
    parsing one, and the import has a million of them. The forms the app writes
    (``YYYY-MM-DD HH:MM:SS``, ``...THH:MM:SS.sssZ``) are checked by parsing them and go as
    they are, with the offset made explicit; epoch integers and anything else, or a date that
    does not exist, take the general path (``_timestamptz``), which gives the same instant
    for the same input."""
    if value is None:
        return None
    if type(value) is str and PLAIN_STAMP.fullmatch(value):
        text = value if value[-1] == "Z" else value + "+00:00"
        try:
            dt.datetime.fromisoformat(text)
        except ValueError:  # 2025-02-30 and the like: the general path says what is wrong
            pass
        else:
            return text
    return _timestamptz(value)


def _timestamptz(value: Any) -> Any:
    """The instant as psycopg would send its ``datetime``; None for a blank."""
    instant = _instant(value)
    return None if instant is None else str(instant)


def _instant(value: Any) -> dt.datetime | None:
    if _blank(value):
        return None
    if isinstance(value, bytes):
        raise ConversionError("invalid_datetime", f"a BLOB is not a date/time: {shown(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConversionError("out_of_range", f"{value!r} is out of range for an epoch timestamp")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(value)
    text = str(value).strip()
    if EPOCH_TEXT.fullmatch(text):
        return _from_epoch(float(text))
    candidate = text.replace("Z", "+00:00").replace("z", "+00:00")
    if COMPACT_OFFSET.search(candidate):  # +0200 → +02:00
        candidate = candidate[:-2] + ":" + candidate[-2:]
    try:
        parsed = dt.datetime.fromisoformat(candidate)
    except ValueError:
        raise ConversionError("invalid_datetime", f"{shown(value)} is not a date/time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def to_date(value: Any) -> Any:
    stamp = _instant(value)
    return None if stamp is None else stamp.date()


class _JsonNumber(str):
    """A JSON number as it is spelled (never a Python float: nothing is rounded)."""


def _json_number(token: str) -> _JsonNumber:
    """Checks that PostgreSQL's numeric takes the number (jsonb stores numbers as numeric)."""
    exponent = token.lower().partition("e")[2].lstrip("+-").lstrip("0")
    if len(exponent) > 10 or (exponent and int(exponent) >= NUMERIC_MAX_EXPONENT):
        raise ConversionError("invalid_json", f"number {shown(token)} overflows numeric")
    number = Decimal(token)
    exponent_of_last_digit = number.as_tuple().exponent
    assert isinstance(exponent_of_last_digit, int)  # finite: the scanner gives numbers only
    if -exponent_of_last_digit > NUMERIC_MAX_SCALE or (
        number and number.adjusted() > NUMERIC_MAX_ADJUSTED
    ):
        raise ConversionError("invalid_json", f"number {shown(token)} overflows numeric")
    return _JsonNumber(token)


def _no_constants(name: str) -> Any:
    raise ConversionError("invalid_json", f"{name} is not JSON (PostgreSQL refuses it)")


def _check_strings(parsed: Any) -> None:
    """Every string and key PostgreSQL can store (no ``\\u0000``, no lone surrogate)."""
    stack = [parsed]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and not isinstance(item, _JsonNumber):
            if UNSTORABLE.search(item):
                raise ConversionError(
                    "invalid_json",
                    f"a string holds {shown(UNSTORABLE.search(item).group())} "  # type: ignore[union-attr]
                    "(\\u0000 or a lone surrogate), which PostgreSQL refuses",
                )
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())


def _json_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        raise ConversionError("invalid_json", f"{value!r} is not JSON (PostgreSQL refuses it)")
    return _as_text(value, "JSON text")


# Made once: ``json.loads`` with hooks builds a decoder per call.
_DECODE = json.JSONDecoder(parse_float=_json_number, parse_constant=_no_constants).decode
_DECODE_SPELLED = json.JSONDecoder(
    parse_float=_json_number, parse_int=_json_number, parse_constant=_no_constants
).decode


def _parse_json(text: str, *, ints_as_spelled: bool = False) -> Any:
    """The parsed JSON, numbers kept as spelled; ConversionError where PostgreSQL would refuse
    it. Fast path: integers through ``int`` (they fit ``numeric`` unless they have more than
    4300 digits: then again, checked), strings walked only when an escape could make a NUL or
    a surrogate."""
    try:
        try:
            if ints_as_spelled:
                raise ValueError("take the path that keeps integers as spelled")
            parsed = _DECODE(text)
        except ValueError as exc:
            if isinstance(exc, json.JSONDecodeError):
                raise
            parsed = _DECODE_SPELLED(text)  # an integer beyond int(): as spelled, checked
    except json.JSONDecodeError as exc:
        raise ConversionError(
            "invalid_json", f"invalid JSON: {exc.msg} at character {exc.pos}"
        ) from None
    except RecursionError:
        raise ConversionError(
            "invalid_json", "JSON nested too deeply to check (more than ~900 levels)"
        ) from None
    if RISKY_ESCAPE.search(text):
        _check_strings(parsed)
    return parsed


def to_jsonb(value: Any) -> Any:
    """The JSON text as it is, once checked that PostgreSQL reads it the same way (numbers
    are never rounded through a float; NaN, \\u0000 and lone surrogates are refused)."""
    if _blank(value):
        return None
    text = _json_text(value)
    _parse_json(text)
    return text


def to_json_array(value: Any) -> Any:
    """A JSON array of scalars → TEXT[]: strings kept, numbers as spelled, booleans as
    ``true``/``false``, ``null`` as a NULL element."""
    if _blank(value):
        return None
    parsed = _parse_json(_json_text(value), ints_as_spelled=True)
    if not isinstance(parsed, list):
        got = "number" if isinstance(parsed, _JsonNumber) else type(parsed).__name__
        raise ConversionError("not_a_json_array", f"expected a JSON array, got {got}")
    items: list[str | None] = []
    for item in parsed:
        if isinstance(item, dict | list):
            raise ConversionError("not_a_json_array", "JSON array holds a nested object or array")
        if item is None or isinstance(item, str):
            items.append(None if item is None else str(item))
        else:
            items.append("true" if item is True else "false")
    return items


def to_comma_list(value: Any) -> Any:
    if _blank(value):
        return None
    return [part.strip() for part in _as_text(value).split(",") if part.strip()]


def to_hex_bytea(value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, bytes) and not isinstance(value, UndecodedText):
        return bytes(value)
    text = _as_text(value).strip()
    if len(text) % 2 or not HEX.fullmatch(text):
        raise ConversionError("invalid_hex", f"{shown(text)} is not a hexadecimal string")
    return bytes.fromhex(text)


def to_token_hash(value: Any) -> Any:
    """The SHA-256 of a session or sign-in token; the token itself goes nowhere."""
    if _blank(value):
        return None
    raw = bytes(value) if isinstance(value, bytes) else str(value).encode("utf-8")
    return hashlib.sha256(raw).digest()


def uuid_of(table: str, *, repeats: bool = True, general: bool = False) -> Converter:
    """A row id or a reference to one: UUIDs kept (lower-cased), other ids derived.
    ``repeats``: the values recur (references), so derivations are cached; a table's own
    ids do not."""
    derive = legacy_uuid_text if repeats else derived_uuid_text

    def shortcut(value: Any) -> Any:
        if type(value) is str:
            if _canonical_uuid(value):  # the app's ids: kept as they are
                return value
            if value and not _unstorable(value):  # another id: derived
                return derive(table, value)
        return convert(value)

    def convert(value: Any) -> Any:
        if value is None or value == "":
            return None
        return derive(table, _as_text(value, "id"))

    return convert if general else shortcut


def to_loose_uuid(value: Any) -> Any:
    """An id of some other entity (``points_ledger.event_id``): kept when it is a UUID,
    derived from the value otherwise (each its own: not cached)."""
    if type(value) is str and _canonical_uuid(value):  # already as it is kept
        return value
    return _loose_uuid(value)


def _loose_uuid(value: Any) -> Any:
    if _blank(value):
        return None
    text = _as_text(value, "id")
    parsed = parse_uuid(text)
    return str(parsed) if parsed is not None else derived_uuid_text("event", text)


def to_enum(labels: tuple[str, ...], type_name: str, *, general: bool = False) -> Converter:
    allowed = set(labels)
    exact = {label for label in labels if label and label == label.strip()}

    def shortcut(value: Any) -> Any:
        if type(value) is str and value in exact:  # the usual case, first
            return value
        return convert(value)

    def convert(value: Any) -> Any:
        if _blank(value):
            return None
        text = str(value).strip() if isinstance(value, str) else None
        if text not in allowed:
            raise ConversionError(
                "enum_value",
                f"{shown(text if text is not None else value)} is not a value of "
                f"{type_name} ({', '.join(labels)})",
            )
        return text

    return convert if general else shortcut


def converter_for(
    conversion: str, *, table: str, enum_labels: tuple[str, ...] = (), general: bool = False
) -> Converter:
    """The converter a map entry names (``uuid_fk:users``, ``enum:focus_mode``, ``integer``...).
    ``general``: without the shortcuts (the same values; the tests compare the two)."""
    kind, _, detail = conversion.partition(":")
    simple: dict[str, Converter] = {
        "text": _text if general else to_text,
        "integer": _integer(INT32, "integer", general=general),
        "bigint": _integer(INT64, "bigint", general=general),
        "double": to_double,
        "boolean": _boolean if general else to_boolean,
        "timestamptz": _timestamptz if general else to_timestamptz,
        "date": to_date,
        "jsonb": to_jsonb,
        "json_array": to_json_array,
        "comma_list": to_comma_list,
        "hex_to_bytea": to_hex_bytea,
        "sha256_of_token": to_token_hash,
        "uuid_loose": _loose_uuid if general else to_loose_uuid,
    }
    if kind in simple:
        return simple[kind]
    if kind == "uuid_pk":
        return uuid_of(table, repeats=False, general=general)
    if kind == "uuid_fk":
        return uuid_of(detail, general=general)
    if kind == "enum":
        return to_enum(enum_labels, detail, general=general)
    raise ValueError(f"unknown conversion {conversion!r}")
