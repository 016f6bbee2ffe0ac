"""``make docs``: docs/schema.md, the schema's picture, generated from the models.

One section per domain (a ``models/<domain>.py`` module), in revision order: the module's
docstring, a Mermaid ER diagram (paracelsus renders it from the SQLAlchemy metadata; the code
host draws it without any tool) and a table reference. A table of another domain that a
foreign key points at is drawn as a stub holding only the referenced column, so each diagram
shows its links without repeating the other domain. ``tests/test_schema_docs.py`` fails when
the file is stale.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from paracelsus.transformers.mermaid import Mermaid  # type: ignore[import-untyped]
from sqlalchemy import Column, MetaData, Table
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.types import UserDefinedType

import models
from dbtools.checkpoint import MANIFEST

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "schema.md"
# A domain module's docstring: "Title (revision NNNN): what it holds." (or ". More.")
# A relationship line of a Mermaid ER diagram: "  parent ||--o{ child : column".
_LINK = re.compile(r"^  \w+ \S+ \w+ : \w+")
DOCSTRING = re.compile(r"(?P<title>.*?) \(revision \d{4}\)[.:]?\s*(?P<rest>.*)", re.S)


class _PgType(UserDefinedType[object]):
    """A column type shown by its PostgreSQL name (timestamptz, an enum's own name, ...)."""

    cache_ok = True

    def __init__(self, name: str) -> None:
        self.name = name

    def get_col_spec(self, **_: object) -> str:
        return self.name


def _pg_name(column: Column[object]) -> str:
    rendered = column.type.compile(dialect=PGDialect())  # type: ignore[no-untyped-call]
    return PG_NAMES.get(rendered, rendered).replace(" ", "_")


PG_NAMES = {
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ",
    "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP",
    "DOUBLE PRECISION": "DOUBLE",
}


@dataclass(frozen=True)
class Domain:
    module: str
    title: str
    text: str
    tables: list[Table]
    revision: str


def _revision_of(table: str) -> str:
    return next(rev for rev, created in MANIFEST.items() if table in created.tables)


def domains() -> list[Domain]:
    by_module: dict[str, dict[str, Table]] = {}
    docs: dict[str, str] = {}
    for mapper in models.Base.registry.mappers:
        module = sys.modules[mapper.class_.__module__]
        table = mapper.local_table
        assert isinstance(table, Table)
        by_module.setdefault(module.__name__, {})[table.name] = table
        docs[module.__name__] = " ".join((module.__doc__ or module.__name__).split())
    found = []
    for name, tables in by_module.items():
        heading = DOCSTRING.match(docs[name])
        assert heading, f"{name}: the docstring starts 'Title (revision NNNN)'"
        rest = heading["rest"]
        ordered = [tables[table] for table in sorted(tables)]
        found.append(
            Domain(
                module=name,
                title=heading["title"],
                text=rest[:1].upper() + rest[1:],
                tables=ordered,
                revision=min(_revision_of(t.name) for t in ordered),
            )
        )
    return sorted(found, key=lambda d: (d.revision, d.module))


def diagram(domain: Domain) -> str:
    """The domain's tables, and stubs of the tables outside it that they reference."""
    metadata = MetaData()
    own = {table.name for table in domain.tables}
    stubs: dict[str, set[str]] = {}
    for table in domain.tables:
        copy = table.to_metadata(metadata)
        for column in copy.columns:
            column.type = _PgType(_pg_name(column))
        for key in table.foreign_keys:
            target = key.column.table
            if target.name not in own:
                stubs.setdefault(target.name, set()).add(key.column.name)
    for name, columns in sorted(stubs.items()):
        source = models.Base.metadata.tables[name]
        Table(
            name,
            metadata,
            *(Column(c, _PgType(_pg_name(source.c[c])), primary_key=True) for c in sorted(columns)),
        )
    drawn = str(Mermaid(metadata, "preserve-order", omit_comments=True)).rstrip().splitlines()
    # One line per foreign-key column, in the order of a set (a column in two keys, such as a
    # user_id in a composite key and in the key to users, would move between runs): sorted.
    links = [line for line in drawn if _LINK.match(line)]
    first = next((i for i, line in enumerate(drawn) if _LINK.match(line)), len(drawn))
    rest = [line for line in drawn if not _LINK.match(line)]
    return "\n".join([*rest[:first], *sorted(links), *rest[first:]]) + "\n"


def _references(table: Table) -> str:
    targets = sorted(
        {f"`{key.parent.name}` → {key.column.table.name}" for key in table.foreign_keys}
    )
    return ", ".join(targets) or "—"


def _summary(table: Table) -> str:
    mapper = next(m for m in models.Base.registry.mappers if m.local_table is table)
    doc = " ".join((mapper.class_.__doc__ or "").split())
    return doc.split(". ")[0].rstrip(".") if doc else ""


def _key(table: Table) -> str:
    return ", ".join(f"`{column.name}`" for column in table.primary_key.columns)


def render() -> str:
    found = domains()
    out = [
        "# Schema",
        "",
        "Generated from the models by `make docs` (`dbtools/schema_docs.py`); do not edit by",
        "hand, a test fails when it is stale. Diagrams: Mermaid ER diagrams (paracelsus); a",
        "table of another domain that a foreign key points at appears with the referenced",
        "column only. PK primary key, FK foreign key, UK unique.",
        "",
        f"{len(models.Base.metadata.tables)} tables in {len(found)} domains:",
        "",
    ]
    for domain in found:
        anchor = domain.module.rsplit(".", 1)[-1]
        count = len(domain.tables)
        out.append(
            f"- [{domain.title}](#{anchor}) ({domain.revision}): {count} table{'s' * (count > 1)}"
        )
    for domain in found:
        anchor = domain.module.rsplit(".", 1)[-1]
        out += [
            "",
            f'<a id="{anchor}"></a>',
            "",
            f"## {domain.title} ({domain.revision})",
            "",
            f"{domain.text} Models: `{domain.module.replace('.', '/')}.py`.",
            "",
            "```mermaid",
            diagram(domain).rstrip(),
            "```",
            "",
            "| table | columns | primary key | references | note |",
            "| --- | --- | --- | --- | --- |",
        ]
        out += [
            f"| `{table.name}` | {len(table.columns)} | {_key(table)} | {_references(table)} | "
            f"{_summary(table)} |"
            for table in domain.tables
        ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write docs/schema.md from the models")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {args.output}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
