"""A normalized snapshot of everything of ours in a database, and a readable diff of two.

"Ours" is every object in the app schema (``public``) except Alembic's version table: what
pytest-alembic's autogenerate comparison cannot see is here too — function bodies and
settings, trigger definitions, view SQL, ENUM labels in order, sequences, comments, grants.
Snapshots are plain dicts of sorted tuples/strings, so equality is the test and ``diff``
names what changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, text

SCHEMA = "public"
IGNORED_RELATIONS = ("alembic_version", "alembic_version_pkc")

QUERIES: dict[str, str] = {
    "relations": """
        SELECT c.relname, c.relkind::text, c.relpersistence::text, c.relrowsecurity,
               c.relforcerowsecurity, COALESCE(c.reloptions, '{}')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = :schema AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
          AND c.relname <> ALL(:ignored)
    """,
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
               rank() OVER (PARTITION BY a.attrelid ORDER BY a.attnum)
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = :schema AND a.attnum > 0 AND NOT a.attisdropped
          AND c.relkind IN ('r', 'v', 'm', 'p', 'f') AND c.relname <> ALL(:ignored)
    """,
    "constraints": """
        SELECT c.relname, con.conname, con.contype::text, pg_get_constraintdef(con.oid),
               con.convalidated
        FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = :schema AND c.relname <> ALL(:ignored)
    """,
    "indexes": """
        SELECT i.tablename, i.indexname, i.indexdef
        FROM pg_indexes i WHERE i.schemaname = :schema AND i.tablename <> ALL(:ignored)
    """,
    "sequences": """
        SELECT s.sequencename, s.data_type::text, s.start_value, s.increment_by
        FROM pg_sequences s WHERE s.schemaname = :schema
    """,
    "types": """
        SELECT t.typname, t.typtype::text,
               COALESCE((SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder)
                         FROM pg_enum e WHERE e.enumtypid = t.oid), '{}')
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = :schema AND t.typtype IN ('e', 'd', 'c')
          AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
    """,
    "functions": """
        SELECT p.oid::regprocedure::text, l.lanname, p.prosecdef, p.provolatile::text,
               pg_get_function_result(p.oid), COALESCE(p.proconfig, '{}'), p.prosrc
        FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        JOIN pg_language l ON l.oid = p.prolang
        WHERE n.nspname = :schema
    """,
    "triggers": """
        SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled::text
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = :schema AND NOT t.tgisinternal
    """,
    "views": """
        SELECT v.viewname, pg_get_viewdef(format('%I.%I', v.schemaname, v.viewname)::regclass)
        FROM pg_views v WHERE v.schemaname = :schema
    """,
    "comments": """
        SELECT c.relname, COALESCE(a.attname, ''), d.description
        FROM pg_description d
        JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
        WHERE n.nspname = :schema
    """,
    # ACLs as in force: a NULL ACL means the default, so it is spelled out (a downgrade that
    # revokes what was granted may leave an explicit ACL equal to the default).
    "grants": """
        SELECT 'relation ' || c.relname,
               (SELECT array_agg(a::text ORDER BY a::text)
                FROM unnest(COALESCE(c.relacl, acldefault('r', c.relowner))) a)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = :schema AND c.relkind IN ('r', 'v', 'm', 'p', 'S')
          AND c.relname <> ALL(:ignored)
        UNION ALL
        SELECT 'column ' || c.relname || '.' || a.attname,
               (SELECT array_agg(x::text ORDER BY x::text) FROM unnest(a.attacl) x)
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = :schema AND a.attacl IS NOT NULL AND a.attnum > 0
        UNION ALL
        SELECT 'function ' || p.oid::regprocedure::text,
               (SELECT array_agg(a::text ORDER BY a::text)
                FROM unnest(COALESCE(p.proacl, acldefault('f', p.proowner))) a)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = :schema
        UNION ALL
        SELECT 'schema ' || n.nspname,
               (SELECT array_agg(a::text ORDER BY a::text)
                FROM unnest(COALESCE(n.nspacl, acldefault('n', n.nspowner))) a)
        FROM pg_namespace n WHERE n.nspname = :schema
        UNION ALL
        SELECT 'default ' || d.defaclobjtype::text || ' for ' || d.defaclrole::regrole::text,
               (SELECT array_agg(a::text ORDER BY a::text) FROM unnest(d.defaclacl) a)
        FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace
        WHERE n.nspname = :schema
    """,
    "policies": """
        SELECT pol.tablename, pol.policyname, pol.cmd, pol.roles::text, pol.qual, pol.with_check
        FROM pg_policies pol WHERE pol.schemaname = :schema
    """,
}

Snapshot = dict[str, list[tuple[Any, ...]]]


def _plain(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def snapshot(connection: Connection, schema: str = SCHEMA) -> Snapshot:
    """Read the snapshot; every section is a sorted list of tuples."""
    params = {"schema": schema, "ignored": list(IGNORED_RELATIONS)}
    result: Snapshot = {}
    for section, sql in QUERIES.items():
        rows = connection.execute(text(sql), params).all()
        result[section] = sorted(
            (tuple(_plain(v) for v in row) for row in rows), key=lambda r: tuple(map(str, r))
        )
    return result


def counts(snap: Mapping[str, list[tuple[Any, ...]]]) -> dict[str, int]:
    """Tables, views, functions and triggers of a snapshot, as a reviewer counts them."""
    relations = snap["relations"]
    return {
        "tables": sum(1 for r in relations if r[1] in ("r", "p")),
        "views": sum(1 for r in relations if r[1] in ("v", "m")),
        "functions": len(snap["functions"]),
        "triggers": len(snap["triggers"]),
        "types": len(snap["types"]),
    }


def names(snap: Mapping[str, list[tuple[Any, ...]]], section: str, kinds: str = "") -> set[str]:
    """First column of a section (relation names, function signatures...), optionally only of
    the given ``relkind`` letters for ``relations``."""
    rows = snap[section]
    if kinds:
        rows = [r for r in rows if r[1] in kinds]
    return {str(r[0]) for r in rows}


def diff(before: Snapshot, after: Snapshot, limit: int = 40) -> str:
    """Readable differences: ``- section: row`` only before, ``+ section: row`` only after."""
    lines: list[str] = []
    for section in sorted(set(before) | set(after)):
        old, new = set(before.get(section, [])), set(after.get(section, []))
        lines += [f"- {section}: {_short(r)}" for r in sorted(old - new, key=str)]
        lines += [f"+ {section}: {_short(r)}" for r in sorted(new - old, key=str)]
    if len(lines) > limit:
        lines = [*lines[:limit], f"... and {len(lines) - limit} more"]
    return "\n".join(lines)


def _short(row: tuple[Any, ...], width: int = 160) -> str:
    text_ = " | ".join(" ".join(str(v).split()) for v in row)
    return text_ if len(text_) <= width else text_[: width - 3] + "..."
