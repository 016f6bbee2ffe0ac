"""What the load needs to know of a target table, read from the live catalog: column types
and defaults, NOT NULL, CHECKs, unique indexes (with expressions and predicates), FKs."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class TargetColumn:
    name: str
    sql_type: str
    not_null: bool
    default: str | None


@dataclass(frozen=True)
class UniqueIndex:
    name: str
    expressions: tuple[str, ...]
    predicate: str | None


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]


@dataclass(frozen=True)
class TargetTable:
    name: str
    columns: tuple[TargetColumn, ...]
    primary_key: tuple[str, ...]
    checks: tuple[tuple[str, str], ...]
    unique_indexes: tuple[UniqueIndex, ...]
    foreign_keys: tuple[ForeignKey, ...]

    def column(self, name: str) -> TargetColumn:
        return next(c for c in self.columns if c.name == name)


def read_target(connection: psycopg.Connection, table: str) -> TargetTable:
    oid = f"public.{table}"
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   pg_get_expr(d.adbin, d.adrelid)
            FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """,
            (oid,),
        )
        columns = tuple(TargetColumn(*row) for row in cur.fetchall())
        cur.execute(
            """
            SELECT array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
                         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                         ORDER BY k.o)
            FROM pg_constraint c WHERE c.conrelid = %s::regclass AND c.contype = 'p'
            """,
            (oid,),
        )
        (primary_key,) = cur.fetchone() or ([],)
        cur.execute(
            """
            SELECT conname, pg_get_expr(conbin, conrelid, true) FROM pg_constraint
            WHERE conrelid = %s::regclass AND contype = 'c' ORDER BY conname
            """,
            (oid,),
        )
        checks = tuple((name, expr) for name, expr in cur.fetchall())
        cur.execute(
            """
            SELECT i.indexrelid::regclass::text,
                   array(SELECT pg_get_indexdef(i.indexrelid, k, true)
                         FROM generate_series(1, i.indnkeyatts) k ORDER BY k),
                   pg_get_expr(i.indpred, i.indrelid, true)
            FROM pg_index i WHERE i.indrelid = %s::regclass AND i.indisunique
            ORDER BY i.indisprimary DESC, i.indexrelid::regclass::text
            """,
            (oid,),
        )
        uniques = tuple(UniqueIndex(n, tuple(e), p) for n, e, p in cur.fetchall())
        cur.execute(
            """
            SELECT c.conname,
                   array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
                         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                         ORDER BY k.o),
                   c.confrelid::regclass::text,
                   array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, o)
                         JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n
                         ORDER BY k.o)
            FROM pg_constraint c WHERE c.conrelid = %s::regclass AND c.contype = 'f'
            ORDER BY c.conname
            """,
            (oid,),
        )
        fks = tuple(ForeignKey(n, tuple(c), p, tuple(r)) for n, c, p, r in cur.fetchall())
    return TargetTable(table, columns, tuple(primary_key), checks, uniques, fks)
