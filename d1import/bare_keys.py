"""An empty table's keys out of the way while it fills, in the transaction that fills it.

Inserting into a table keeps each of its unique indexes up to date row by row: for ids that are
UUIDs every row lands on a random page of every such index, which cost four times the insert
itself (measured: 113 k rows of ``points_ledger``, 0.5-0.8 s with its primary key and unique
key in place, 0.1 s without them plus 0.1 s to build both afterwards). ``pg_restore`` and
pgloader build them after the rows, and so does the load of an empty table here: its primary
key, unique constraints and unique indexes are dropped just before the insert and made again
right after it, from their own definitions (``pg_get_constraintdef``, ``pg_get_indexdef``,
their comments), so the catalog is the one it was.

Why in the loading transaction rather than set aside with the secondary indexes
(``d1import.deferral``): the drop and the rebuild commit together with the rows, so no
outcome of the run (failed, killed, a server gone) can leave a table without its keys, and
nothing needs writing down. Nobody else reads the table before that commit (tables that read
it wait for it, ``d1import.parallel``), so the exclusive lock the drop takes holds up no one.
The rules do not need the keys either: in an empty table there is nothing to compare with,
and uniqueness within the rows is the duplicate-key rule's, set-based (``d1import.rules``);
the rebuild checks it again, and a key the rows break fails the table's load, naming it.

Kept in place: a key something else depends on (a foreign key not set aside, a view that
groups by it), an exclusion constraint, a replica-identity or clustered index.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

# The table's unique indexes (with their constraint, if any) that nothing else depends on:
# pg_depend holds no row pointing at the index or at its constraint other than the index's
# own internal dependence on its constraint.
KEYS = """
SELECT ic.relname, pg_get_indexdef(i.indexrelid), obj_description(i.indexrelid, 'pg_class'),
       c.conname, pg_get_constraintdef(c.oid), obj_description(c.oid, 'pg_constraint')
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
     AND c.contype IN ('p', 'u')
WHERE i.indrelid = %s::regclass AND i.indisunique AND NOT i.indisexclusion
  AND NOT i.indisreplident AND NOT i.indisclustered
  AND (c.oid IS NOT NULL
       OR NOT EXISTS (SELECT 1 FROM pg_constraint x WHERE x.conindid = i.indexrelid
                      AND x.conrelid = i.indrelid))
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE ((d.refclassid = 'pg_class'::regclass AND d.refobjid = i.indexrelid)
             OR (d.refclassid = 'pg_constraint'::regclass AND d.refobjid = c.oid))
        AND NOT (d.classid = 'pg_class'::regclass AND d.objid = i.indexrelid))
ORDER BY ic.relname
"""


@dataclass(frozen=True)
class Key:
    """A unique index, and the primary key or unique constraint it backs if any."""

    table: str
    index: str
    index_definition: str
    index_comment: str | None
    constraint: str | None
    constraint_definition: str | None
    constraint_comment: str | None

    def drop(self) -> sql.Composed:
        if self.constraint is None:
            return sql.SQL("DROP INDEX public.{}").format(sql.Identifier(self.index))
        return sql.SQL("ALTER TABLE public.{} DROP CONSTRAINT {}").format(
            sql.Identifier(self.table), sql.Identifier(self.constraint)
        )

    def create(self) -> list[sql.SQL | sql.Composed]:
        if self.constraint is None:
            statements: list[sql.SQL | sql.Composed] = [sql.SQL(self.index_definition)]
        else:
            statements = [
                sql.SQL("ALTER TABLE public.{} ADD CONSTRAINT {} {}").format(
                    sql.Identifier(self.table),
                    sql.Identifier(self.constraint),
                    sql.SQL(self.constraint_definition or ""),
                )
            ]
            if self.constraint_comment is not None:
                statements.append(
                    sql.SQL("COMMENT ON CONSTRAINT {} ON public.{} IS {}").format(
                        sql.Identifier(self.constraint),
                        sql.Identifier(self.table),
                        sql.Literal(self.constraint_comment),
                    )
                )
        if self.index_comment is not None:
            statements.append(
                sql.SQL("COMMENT ON INDEX public.{} IS {}").format(
                    sql.Identifier(self.index), sql.Literal(self.index_comment)
                )
            )
        return statements

    def describe(self) -> str:
        if self.constraint is None:
            return f"unique index {self.index} on {self.table}"
        return f"key {self.constraint} on {self.table}"


class KeyDoesNotHold(RuntimeError):
    """Rows the load inserted break a key it made again (the rules should have kept them out)."""


def droppable_keys(connection: psycopg.Connection, table: str) -> list[Key]:
    """``table``'s keys that can be dropped and made again around its fill (above)."""
    rows = connection.execute(KEYS, (f"public.{table}",)).fetchall()
    return [Key(table, *row) for row in rows]


def drop_keys(connection: psycopg.Connection, keys: list[Key]) -> None:
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute(key.drop())


def make_keys_again(connection: psycopg.Connection, keys: list[Key]) -> None:
    """Every key of ``keys`` as it was (in the caller's transaction)."""
    with connection.cursor() as cursor:
        for key in keys:
            try:
                for statement in key.create():
                    cursor.execute(statement)
            except psycopg.errors.UniqueViolation as exc:
                raise KeyDoesNotHold(
                    f"the loaded rows break {key.describe()} ({exc.diag.message_detail}): "
                    "nothing of the table was committed"
                ) from exc
