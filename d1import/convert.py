"""Conversions of D1 (SQLite) values to the Postgres column types, one per map entry.

Each converter takes the raw SQLite value and returns the Postgres value, or raises
``ConversionError`` with a reason that names the problem (the row is then quarantined).
Empty strings in nullable non-text columns become NULL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from dbtools.ids import legacy_uuid_text, parse_uuid

Converter = Callable[[Any], Any]

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
# Epoch values above this are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973).
EPOCH_MILLISECONDS_ABOVE = 100_000_000_000
SQLITE_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")
HEX = re.compile(r"^[0-9a-fA-F]*$")


class ConversionError(ValueError):
    """A value that cannot become the column's type; ``str()`` is the quarantine reason."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def to_text(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise ConversionError("text column holds bytes that are not UTF-8") from None
    text = str(value)
    if "\x00" in text:
        raise ConversionError("text contains a NUL character, which PostgreSQL cannot store")
    return text


def _integer(bounds: tuple[int, int], name: str) -> Converter:
    def convert(value: Any) -> Any:
        if _blank(value):
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, float):
            if not value.is_integer():
                raise ConversionError(f"{value!r} is not a whole number")
            value = int(value)
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise ConversionError(f"{value!r} is not an integer") from None
        if not isinstance(value, int):
            raise ConversionError(f"{value!r} is not an integer")
        if not bounds[0] <= value <= bounds[1]:
            raise ConversionError(f"{value} is out of range for {name}")
        return value

    return convert


def to_double(value: Any) -> Any:
    if _blank(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConversionError(f"{value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ConversionError(f"{value!r} is not a finite number")
    return number


TRUE = {"1", "true", "t", "yes", "y"}
FALSE = {"0", "false", "f", "no", "n"}


def to_boolean(value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ConversionError(f"{value!r} is not a boolean (0/1, true/false)")


def _from_epoch(number: float) -> dt.datetime:
    seconds = number / 1000 if abs(number) >= EPOCH_MILLISECONDS_ABOVE else number
    try:
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise ConversionError(f"{number!r} is out of range for an epoch timestamp") from None


def to_timestamptz(value: Any) -> Any:
    """ISO-8601 in any common form, SQLite's ``YYYY-MM-DD HH:MM:SS``, a date alone, or epoch
    seconds/milliseconds (told apart by magnitude). No offset means UTC."""
    if _blank(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(value)
    text = str(value).strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return _from_epoch(float(text))
    candidate = text.replace("Z", "+00:00").replace("z", "+00:00")
    if re.search(r"[+-]\d{4}$", candidate):  # +0200 → +02:00
        candidate = candidate[:-2] + ":" + candidate[-2:]
    try:
        parsed = dt.datetime.fromisoformat(candidate)
    except ValueError:
        raise ConversionError(f"{value!r} is not a date/time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def to_date(value: Any) -> Any:
    if _blank(value):
        return None
    stamp = to_timestamptz(value)
    assert isinstance(stamp, dt.datetime)
    return stamp.date()


def _parse_json(value: Any) -> Any:
    try:
        return json.loads(value) if isinstance(value, str | bytes) else value
    except json.JSONDecodeError as exc:
        raise ConversionError(f"invalid JSON: {exc.msg} at character {exc.pos}") from None


def to_jsonb(value: Any) -> Any:
    """Validated JSON text (Postgres parses it again as jsonb)."""
    if _blank(value):
        return None
    return json.dumps(_parse_json(value), ensure_ascii=False)


def to_json_array(value: Any) -> Any:
    """A JSON array of scalars → TEXT[] (strings kept, numbers and booleans as text)."""
    if _blank(value):
        return None
    parsed = _parse_json(value)
    if not isinstance(parsed, list):
        raise ConversionError(f"expected a JSON array, got {type(parsed).__name__}")
    items = []
    for item in parsed:
        if isinstance(item, dict | list):
            raise ConversionError("JSON array holds a nested object or array")
        items.append(None if item is None else item if isinstance(item, str) else json.dumps(item))
    return items


def to_comma_list(value: Any) -> Any:
    if _blank(value):
        return None
    return [part.strip() for part in str(value).split(",") if part.strip()]


def to_hex_bytea(value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, bytes):
        return value
    text = str(value).strip()
    if len(text) % 2 or not HEX.match(text):
        raise ConversionError("not a hexadecimal string")
    return bytes.fromhex(text)


def to_token_hash(value: Any) -> Any:
    """The SHA-256 of a session token; the token itself goes nowhere."""
    if _blank(value):
        return None
    raw = value if isinstance(value, bytes) else str(value).encode("utf-8")
    return hashlib.sha256(raw).digest()


def uuid_of(table: str) -> Converter:
    """A row id or a reference to one: UUIDs kept (lower-cased), other ids derived."""

    def convert(value: Any) -> Any:
        if value is None or value == "":
            return None
        return legacy_uuid_text(table, value if isinstance(value, str) else str(value))

    return convert


def to_loose_uuid(value: Any) -> Any:
    """An id of some other entity (``points_ledger.event_id``): kept when it is a UUID,
    derived from the value otherwise."""
    if _blank(value):
        return None
    parsed = parse_uuid(str(value))
    return str(parsed) if parsed is not None else legacy_uuid_text("event", str(value))


def to_enum(labels: tuple[str, ...], type_name: str) -> Converter:
    allowed = set(labels)

    def convert(value: Any) -> Any:
        if _blank(value):
            return None
        text = str(value).strip()
        if text not in allowed:
            raise ConversionError(f"{text!r} is not a value of {type_name} ({', '.join(labels)})")
        return text

    return convert


def converter_for(conversion: str, *, table: str, enum_labels: tuple[str, ...] = ()) -> Converter:
    """The converter a map entry names (``uuid_fk:users``, ``enum:focus_mode``, ``integer``...)."""
    kind, _, detail = conversion.partition(":")
    simple: dict[str, Converter] = {
        "text": to_text,
        "integer": _integer(INT32, "integer"),
        "bigint": _integer(INT64, "bigint"),
        "double": to_double,
        "boolean": to_boolean,
        "timestamptz": to_timestamptz,
        "date": to_date,
        "jsonb": to_jsonb,
        "json_array": to_json_array,
        "comma_list": to_comma_list,
        "hex_to_bytea": to_hex_bytea,
        "sha256_of_token": to_token_hash,
        "uuid_loose": to_loose_uuid,
    }
    if kind in simple:
        return simple[kind]
    if kind == "uuid_pk":
        return uuid_of(table)
    if kind == "uuid_fk":
        return uuid_of(detail)
    if kind == "enum":
        return to_enum(enum_labels, detail)
    raise ValueError(f"unknown conversion {conversion!r}")
