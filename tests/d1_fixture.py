"""Build D1 databases for the import tests: the 66 tables as D1 has them (from the schema
facts), rows as the app wrote them, and the SQL dump ``wrangler d1 export`` would write."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from d1import.mapping import D1_SCHEMA


def d1_schema() -> list[dict[str, Any]]:
    tables: list[dict[str, Any]] = json.loads(D1_SCHEMA.read_text())["tables"]
    return tables


def create_table_sql(table: dict[str, Any], *, without_rowid: bool = False) -> str:
    parts = []
    for column in table["columns"]:
        text = f'"{column["name"]}" {column["type"]}'
        if column["notnull"]:
            text += " NOT NULL"
        if column["default"] is not None:
            default = column["default"]
            text += f" DEFAULT ({default})" if "(" in default else f" DEFAULT {default}"
        parts.append(text)
    keys = [c["name"] for c in sorted(table["columns"], key=lambda c: c["pk"]) if c["pk"]]
    parts.append("PRIMARY KEY (" + ", ".join(f'"{k}"' for k in keys) + ")")
    for fk in table["foreign_keys"]:
        column, ref_table, ref_column = fk["columns"][0], fk["ref_table"], fk["ref_columns"][0]
        parts.append(
            f'FOREIGN KEY ("{column}") REFERENCES "{ref_table}"("{ref_column}") '
            f"ON DELETE {fk['on_delete']}"
        )
    suffix = " WITHOUT ROWID" if without_rowid else ""
    return f'CREATE TABLE "{table["name"]}" (\n    ' + ",\n    ".join(parts) + "\n)" + suffix


class RawText(bytes):
    """Bytes stored as SQLite TEXT as they are (not UTF-8, say): D1 does not check."""


class D1Builder:
    """A D1 SQLite file; ``add(table, **values)`` inserts a row as the app would have.
    ``without_rowid`` names tables declared ``WITHOUT ROWID``; ``leave_out`` tables it lacks."""

    def __init__(
        self,
        path: Path,
        *,
        without_rowid: set[str] | None = None,
        leave_out: set[str] | None = None,
    ) -> None:
        self.path = path
        self.connection = sqlite3.connect(path)
        for table in d1_schema():
            if table["name"] in (leave_out or set()):
                continue
            self.connection.execute(
                create_table_sql(table, without_rowid=table["name"] in (without_rowid or set()))
            )

    def add(self, table: str, **values: Any) -> None:
        names = ", ".join(f'"{k}"' for k in values)
        marks = ", ".join(
            "CAST(? AS TEXT)" if isinstance(v, RawText) else "?" for v in values.values()
        )
        self.connection.execute(
            f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
            [bytes(v) if isinstance(v, RawText) else v for v in values.values()],
        )

    def close(self) -> Path:
        self.connection.commit()
        self.connection.close()
        return self.path


def _literal(value: Any) -> str:
    if isinstance(value, str) and any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in value):
        raw = value.encode("utf-8", "surrogateescape")  # NUL, bytes that are not UTF-8
        return f"CAST(X'{raw.hex()}' AS TEXT)"
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, bytes):
        return f"X'{value.hex()}'"
    text = str(value).replace("'", "''")
    if "\n" in text:
        return f"replace('{text.replace(chr(10), chr(92) + 'n')}','\\n',char(10))"
    return f"'{text}'"


def write_dump(sqlite_path: Path, dump_path: Path) -> Path:
    """The dump ``wrangler d1 export`` writes: PRAGMA, CREATE TABLEs, one INSERT per row, and
    newlines inside strings as ``replace('..\\n..','\\n',char(10))``."""
    source = sqlite3.connect(sqlite_path)
    source.text_factory = lambda raw: raw.decode("utf-8", "surrogateescape")
    with dump_path.open("w", encoding="utf-8", newline="") as out:
        out.write("PRAGMA defer_foreign_keys=TRUE;\n")
        for (sql,) in source.execute("SELECT sql FROM sqlite_master WHERE type = 'table'"):
            out.write(sql + ";\n")
        for (name,) in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            cursor = source.execute(f'SELECT * FROM "{name}"')
            columns = ",".join(f'"{d[0]}"' for d in cursor.description)
            for row in cursor:
                values = ",".join(_literal(v) for v in row)
                out.write(f'INSERT INTO "{name}" ({columns}) VALUES({values});\n')
    source.close()
    return dump_path


# -- the dirty D1: every kind of value the import must quarantine (or load exactly) ---------

USER = "user_clean"
DEEP_JSON = "[" * 5000 + "]" * 5000


@dataclass(frozen=True)
class Dirty:
    """One awkward row: where it goes and what becomes of it (``kind`` None: it loads)."""

    name: str
    table: str
    values: dict[str, Any]
    kind: str | None
    column: str | None = None
    loads_as: dict[str, Any] = field(default_factory=dict)
    """For a row that loads: SQL expression over its Postgres row -> the value it gives."""


def _entry(name: str, **values: Any) -> dict[str, Any]:
    return {"id": f"j_{name}", "user_id": USER, "content": "ok"} | values


def _event(name: str, metadata: Any) -> dict[str, Any]:
    return {"id": f"ev_{name}", "user_id": USER, "event_type": "x", "metadata_json": metadata}


def _book(name: str, **values: Any) -> dict[str, Any]:
    return {"id": f"b_{name}", "user_id": USER, "title": "t"} | values


DIRTY: list[Dirty] = [
    Dirty(
        "json_nan", "activity_events", _event("nan", '{"a": NaN}'), "invalid_json", "metadata_json"
    ),
    Dirty(
        "json_inf", "activity_events", _event("inf", "[Infinity]"), "invalid_json", "metadata_json"
    ),
    Dirty(
        "json_nul",
        "activity_events",
        _event("nul", '{"a": "\\u0000"}'),
        "invalid_json",
        "metadata_json",
    ),
    Dirty(
        "json_surrogate",
        "activity_events",
        _event("sur", '"\\ud800"'),
        "invalid_json",
        "metadata_json",
    ),
    Dirty(
        "json_deep", "activity_events", _event("deep", DEEP_JSON), "invalid_json", "metadata_json"
    ),
    Dirty(
        "json_overflow",
        "activity_events",
        _event("big", "[1e1000000]"),
        "invalid_json",
        "metadata_json",
    ),
    Dirty(
        "json_exact",
        "activity_events",
        _event("exact", '{"n": 0.10000000000000000000001, "big": 123456789012345678901234567890}'),
        None,
        loads_as={
            "metadata::text": '{"n": 0.10000000000000000000001, '
            '"big": 123456789012345678901234567890}'
        },
    ),
    Dirty(
        "text_nul", "journal_entries", _entry("nul", content="a\x00b"), "invalid_text", "content"
    ),
    Dirty(
        "text_not_utf8",
        "journal_entries",
        _entry("utf8", content=RawText(b"ab\xff")),
        "invalid_text",
        "content",
    ),
    Dirty("pk_nul", "journal_entries", _entry("x", id="j_\x00pk"), "invalid_text", "id"),
    Dirty(
        "pk_not_utf8", "journal_entries", _entry("x", id=RawText(b"j_\xfe")), "invalid_text", "id"
    ),
    Dirty("pk_null_1", "journal_entries", _entry("x", id=None), "not_null", "id"),
    Dirty("pk_null_2", "journal_entries", _entry("x", id=None), "not_null", "id"),
    Dirty(
        "array_item_nul",
        "journal_entries",
        _entry("anul", tags_json='["a\x00"]'),
        "invalid_text",
        "tags_json",
    ),
    Dirty(
        "array_item_escaped_nul",
        "journal_entries",
        _entry("aesc", tags_json='["\\u0000"]'),
        "invalid_json",
        "tags_json",
    ),
    Dirty(
        "array_nested",
        "journal_entries",
        _entry("anest", tags_json="[[1]]"),
        "not_a_json_array",
        "tags_json",
    ),
    Dirty(
        "text_cr",
        "journal_entries",
        _entry("cr", content="a\rb\r\nc"),
        None,
        loads_as={"content": "a\rb\r\nc", "convert_to(content, 'UTF8')": b"a\rb\r\nc"},
    ),
    Dirty(
        "array_numbers_as_spelled",
        "journal_entries",
        _entry("anum", tags_json='[1.50, 1e400, "x", true]'),
        None,
        loads_as={"tags": ["1.50", "1e400", "x", "true"]},
    ),
    Dirty(
        "int_underscore", "books", _book("us", total_pages="1_500"), "invalid_number", "total_pages"
    ),
    Dirty(
        "int_arabic_digits",
        "books",
        _book("ar", total_pages="\u0661\u0665\u0660\u0660"),
        "invalid_number",
        "total_pages",
    ),
    Dirty("int_real", "books", _book("real", total_pages=1.5), "invalid_number", "total_pages"),
    Dirty("int_blob", "books", _book("blob", total_pages=b"\x01"), "invalid_number", "total_pages"),
    Dirty("int_text", "books", _book("txt", total_pages="many"), "invalid_number", "total_pages"),
    Dirty("int_too_big", "books", _book("big", total_pages=2**40), "out_of_range", "total_pages"),
    Dirty(
        "int_whole_real",
        "books",
        _book("whole", total_pages=2.0),
        None,
        loads_as={"total_pages": 2},
    ),
    Dirty("enum", "books", _book("enum", status="lost"), "enum_value", "status"),
    Dirty(
        "date_year_10000",
        "books",
        _book("y10k", started_at="10000-01-01"),
        "invalid_datetime",
        "started_at",
    ),
    Dirty(
        "date_epoch_huge", "books", _book("epoch", started_at=10**18), "out_of_range", "started_at"
    ),
    Dirty(
        "date_blob", "books", _book("dblob", started_at=b"\x00"), "invalid_datetime", "started_at"
    ),
    Dirty(
        "boolean",
        "habits",
        {"id": "h_bool", "user_id": USER, "name": "n", "is_active": "maybe"},
        "invalid_boolean",
        "is_active",
    ),
    Dirty(
        "comma_list_nul",
        "glossary_terms",
        {"id": "g_nul", "term": "t", "definition": "d", "related_terms": "a,b\x00c"},
        "invalid_text",
        "related_terms",
    ),
    Dirty("not_null", "books", _book("nn", current_page=""), "not_null", "current_page"),
    Dirty(
        "check",
        "user_wallet",
        {"id": "w_neg", "user_id": USER, "coins": -1, "xp": 0},
        "check",
        "coins",
    ),
    Dirty("orphan", "books", _book("orph", user_id="user_nobody"), "orphan", "user_id"),
    Dirty(
        "duplicate_key",
        "users",
        {"id": "user_clean_twin", "email": "CLEAN@example.org"},
        "duplicate_key",
        "email",
    ),
    Dirty(
        "depends_on_quarantined",
        "books",
        _book("dep", user_id="user_clean_twin"),
        "depends_on_quarantined",
        "user_id",
    ),
    Dirty(
        "expired_session",
        "sessions",
        {"id": "s_old", "sessionToken": "old-token", "userId": USER, "expires": "2020-01-01"},
        None,
        loads_as={"expires_at = '2020-01-01T00:00:00Z'": True, "created_at < expires_at": True},
    ),
]


def dirty_d1(path: Path) -> Path:
    """A D1 with one clean user, a clean row in each table the dirty rows go to, and every
    row of ``DIRTY`` (in that order)."""
    d1 = D1Builder(path)
    d1.add("users", id=USER, email="clean@example.org", created_at="2025-01-01")
    d1.add("journal_entries", **_entry("clean"))
    d1.add("activity_events", **_event("clean", '{"a": [1, 2.5, "é"]}'))
    d1.add("books", **_book("clean", total_pages=300))
    for case in DIRTY:
        d1.add(case.table, **case.values)
    return d1.close()
