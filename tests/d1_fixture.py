"""Build D1 databases for the import tests: the 66 tables as D1 has them (from the schema
facts), rows as the app wrote them, and the SQL dump ``wrangler d1 export`` would write."""

from __future__ import annotations

import json
import sqlite3
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
        marks = ", ".join("?" for _ in values)
        self.connection.execute(
            f'INSERT INTO "{table}" ({names}) VALUES ({marks})', list(values.values())
        )

    def close(self) -> Path:
        self.connection.commit()
        self.connection.close()
        return self.path


def _literal(value: Any) -> str:
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
    with dump_path.open("w", encoding="utf-8") as out:
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
