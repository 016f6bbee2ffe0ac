"""Distributing the schema over a Citus cluster, as ``dbtools.distribution.DESIGN`` says.

``python -m dbtools.citus distribute`` (``DATABASE_URL``: the coordinator's database, at head,
with ``CREATE EXTENSION citus`` done and the workers added with ``citus_add_node``):

1. checks Citus, its workers, that the database is at head, and that the schema follows the
   design (``dbtools.distribution.check``; the violations are listed and nothing changes);
2. sets the database settings the design needs (``ALTER DATABASE``): triggers may be
   distributed (``citus.enable_unsafe_triggers``: ours touch only their row) and ``SET LOCAL``
   reaches the shards (``citus.propagate_set_commands = 'local'``);
3. takes off the foreign keys of every table still to place, remembering their definitions
   (``pg_get_constraintdef``): with them in place Citus pulls the graph in as "citus local
   tables" and then refuses to distribute ``users`` (docs/distribution.md, measured);
4. creates the reference tables, then the anchors of the colocation groups (``users``, the
   lookup tables), then the tables colocated with them; the local tables stay as they are;
5. registers the money and progress functions (``DISTRIBUTED_FUNCTIONS``) with
   ``create_distributed_function(..., colocate_with => 'users')``, and gives ``app_user_id()``
   the setting it needs on the shards (``FUNCTION_SETTINGS``);
6. puts every foreign key back, as it was (``NOT VALID`` stays so).

All of it runs in one transaction: a failure leaves the database as it was. A second run
finds everything placed and says so. It prints what it does, table by table.

``place_table_sql`` is for later revisions that add a table (the design's "Later revisions on
the cluster"): a ``DO`` block that places the table as the design says when Citus is
installed in the database, and does nothing on plain PostgreSQL.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from alembic.util import CommandError
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from dbtools.alembic_config import head_revision
from dbtools.database_url import connection_error, database_url_from_env, describe
from dbtools.distribution import (
    DESIGN,
    DISTRIBUTED_FUNCTIONS,
    SCHEMA,
    Design,
    Kind,
    Placement,
    check,
    colocation_group,
)

# The database settings the design needs on the cluster (docs/distribution.md).
DATABASE_SETTINGS: Mapping[str, str] = {
    "citus.enable_unsafe_triggers": "on",
    "citus.propagate_set_commands": "local",
}


# Function settings the cluster needs: app_user_id() is called by the policies on the shards
# and reads the reference table sessions there, a query Citus refuses inside a shard's query
# unless nested execution is allowed (docs/distribution.md, "On the cluster"). On the function,
# so nothing else may nest, and a session cannot turn it off for the policies.
FUNCTION_SETTINGS: Mapping[str, Mapping[str, str]] = {
    "app_user_id()": {"citus.allow_nested_distributed_execution": "on"},
}


# Rows no foreign key keeps together on the cluster (the tables are in different colocation
# groups), counted after every run; each must be 0 (docs/distribution.md, "users and unique
# e-mail"). Checked when the tables exist.
VERIFICATIONS: Mapping[str, tuple[tuple[str, ...], str]] = {
    "users without their user_emails row": (
        ("users", "user_emails"),
        "SELECT count(*) FROM (SELECT id FROM users EXCEPT SELECT user_id FROM user_emails) x",
    ),
    "user_emails rows whose user is missing": (
        ("users", "user_emails"),
        "SELECT count(*) FROM user_emails WHERE user_id IN "
        "(SELECT user_id FROM user_emails EXCEPT SELECT id FROM users)",
    ),
}


class CitusError(Exception):
    """A one-line reason why the database cannot be distributed (nothing was changed)."""

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.details = list(details)


@dataclass(frozen=True)
class CitusTable:
    """What Citus's metadata says of one table."""

    kind: Kind  # DISTRIBUTED, REFERENCE, or LOCAL (a "citus local table")
    column: str | None
    colocation_id: int


@dataclass(frozen=True)
class DroppedForeignKey:
    table: str
    name: str
    definition: str


@dataclass
class Plan:
    """What a run has to do; empty when the database already follows the design."""

    settings: dict[str, str] = field(default_factory=dict)
    reference: list[str] = field(default_factory=list)
    anchors: list[str] = field(default_factory=list)
    colocated: list[str] = field(default_factory=list)
    functions: list[tuple[str, str]] = field(default_factory=list)  # (signature, argument)
    function_settings: list[tuple[str, str, str]] = field(default_factory=list)
    foreign_keys: list[DroppedForeignKey] = field(default_factory=list)
    placed: list[str] = field(default_factory=list)  # already as designed
    problems: list[str] = field(default_factory=list)  # failed VERIFICATIONS, after the run
    local: list[str] = field(default_factory=list)

    @property
    def tables(self) -> list[str]:
        return self.reference + self.anchors + self.colocated

    def is_empty(self) -> bool:
        return not (self.settings or self.tables or self.functions or self.function_settings)


# --- reading the cluster --------------------------------------------------------------------


def citus_version(connection: Connection) -> str | None:
    version: str | None = connection.execute(
        text("SELECT extversion FROM pg_extension WHERE extname = 'citus'")
    ).scalar_one_or_none()
    return version


def active_workers(connection: Connection) -> list[str]:
    """``host:port`` of the active primary workers registered in this database."""
    rows = connection.execute(
        text(
            "SELECT nodename, nodeport FROM pg_dist_node "
            "WHERE isactive AND noderole = 'primary' AND groupid <> 0 ORDER BY nodeid"
        )
    )
    return [f"{host}:{port}" for host, port in rows]


_CITUS_TABLES = """
    SELECT c.relname, p.partmethod::text, p.repmodel::text,
           CASE WHEN p.partkey IS NOT NULL
                THEN column_to_column_name(p.logicalrelid, p.partkey) END,
           p.colocationid
    FROM pg_dist_partition p
    JOIN pg_class c ON c.oid = p.logicalrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = :schema
"""


def citus_tables(connection: Connection, schema: str = SCHEMA) -> dict[str, CitusTable]:
    """Every table of ``schema`` in Citus's metadata, by name."""
    found: dict[str, CitusTable] = {}
    for name, method, model, column, colocation in connection.execute(
        text(_CITUS_TABLES), {"schema": schema}
    ):
        if method == "h":
            kind = Kind.DISTRIBUTED
        elif model == "t":
            kind = Kind.REFERENCE
        else:
            kind = Kind.LOCAL
        found[name] = CitusTable(kind, column, int(colocation))
    return found


def database_settings(connection: Connection) -> dict[str, str]:
    """The ``ALTER DATABASE ... SET`` settings of the current database (for every role)."""
    rows = connection.execute(
        text(
            "SELECT unnest(s.setconfig) FROM pg_db_role_setting s "
            "JOIN pg_database d ON d.oid = s.setdatabase "
            "WHERE d.datname = current_database() AND s.setrole = 0"
        )
    ).scalars()
    return dict(setting.split("=", 1) for setting in rows)


_FUNCTIONS = """
    SELECT p.oid::regprocedure::text, p.proname,
           (SELECT d.distribution_argument_index FROM pg_dist_object d
            WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid),
           (SELECT d.colocationid FROM pg_dist_object d
            WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid),
           p.proargnames
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = :schema AND p.proname = ANY(:names)
    ORDER BY 1
"""

_FOREIGN_KEYS = """
    SELECT c.relname, k.conname, pg_get_constraintdef(k.oid), p.relname
    FROM pg_constraint k
    JOIN pg_class c ON c.oid = k.conrelid
    JOIN pg_class p ON p.oid = k.confrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = :schema AND k.contype = 'f' AND k.conparentid = 0
    ORDER BY c.relname, k.conname
"""


def _alembic_version(connection: Connection) -> str | None:
    exists = connection.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
    if not exists.scalar_one():
        return None
    versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    return ", ".join(sorted(versions)) or None


def _ordered_colocated(tables: Sequence[str], design: Design) -> list[str]:
    """Tables colocated with another, each after the table it names."""

    def depth(table: str) -> int:
        steps, current = 0, table
        while (anchor := design[current].colocate_with) is not None:
            steps, current = steps + 1, anchor
        return steps

    return sorted(tables, key=lambda t: (depth(t), t))


@dataclass(frozen=True)
class Target:
    """What to distribute: the design (tables), the functions (name -> the argument naming
    the user), the table the functions are colocated with, and the schema. ``head``: the
    revision the database must be at (None: no check, for a schema made by hand)."""

    design: Design = field(default_factory=lambda: DESIGN)
    functions: Mapping[str, str] = field(default_factory=lambda: DISTRIBUTED_FUNCTIONS)
    functions_with: str = "users"
    schema: str = SCHEMA
    head: str | None = field(default_factory=head_revision)
    function_settings: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: FUNCTION_SETTINGS
    )


def plan(connection: Connection, target: Target | None = None) -> Plan:
    """Check the database and work out what a run has to do (raises ``CitusError``)."""
    target = target if target is not None else Target()
    design, schema = target.design, target.schema
    version = citus_version(connection)
    if version is None:
        raise CitusError(
            "Citus is not installed in this database: CREATE EXTENSION citus (the server "
            "needs shared_preload_libraries = 'citus'), then add the workers with citus_add_node"
        )
    if not active_workers(connection):
        raise CitusError(
            "no active Citus worker is registered in this database: add each with "
            "SELECT citus_add_node('host', port) (Citus's metadata is per database)"
        )
    at, head = _alembic_version(connection), target.head
    if head is not None and at != head:
        raise CitusError(
            f"the database is at revision {at or '(none)'}, not at head {head}: "
            "run alembic upgrade head first"
        )
    found = check(connection, design, schema)
    if found:
        raise CitusError(
            f"the schema does not follow the distribution design ({len(found)} "
            "violation(s)); nothing was changed",
            [str(v) for v in found],
        )

    current = citus_tables(connection, schema)
    result = Plan()
    settings = database_settings(connection)
    result.settings = {k: v for k, v in DATABASE_SETTINGS.items() if settings.get(k) != v}

    anchor_colocation: dict[str, int] = {}
    for table, placement in sorted(design.items()):
        now = current.get(table)
        if placement.kind is Kind.LOCAL:
            if now is not None and now.kind is not Kind.LOCAL:
                raise CitusError(
                    f"{table} is a {now.kind} table on the cluster, but the design keeps it "
                    "local: undistribute_table() it first"
                )
            result.local.append(table)
            continue
        if now is None or now.kind is Kind.LOCAL:
            if placement.kind is Kind.REFERENCE:
                result.reference.append(table)
            elif placement.colocate_with is None:
                result.anchors.append(table)
            else:
                result.colocated.append(table)
            continue
        if now.kind is not placement.kind or now.column != placement.column:
            shown = f"distributed by {now.column}" if now.kind is Kind.DISTRIBUTED else now.kind
            raise CitusError(
                f"{table} is {shown} on the cluster, but the design says "
                f"{_describe(placement)}: undistribute_table() it first"
            )
        if placement.kind is Kind.DISTRIBUTED and placement.colocate_with is None:
            anchor_colocation[table] = now.colocation_id
        result.placed.append(table)
    for table in list(result.placed):
        placement = design[table]
        if placement.kind is not Kind.DISTRIBUTED or placement.colocate_with is None:
            continue
        anchor = colocation_group(table, design)
        if anchor in anchor_colocation and (
            current[table].colocation_id != anchor_colocation[anchor]
        ):
            raise CitusError(
                f"{table} is distributed by {placement.column} but not colocated with "
                f"{anchor}: alter_distributed_table({table!r}, colocate_with => {anchor!r})"
            )
    result.colocated = _ordered_colocated(result.colocated, design)

    result.functions = _functions_to_distribute(connection, current, target)
    result.function_settings = _function_settings_to_set(connection, target)
    to_place = set(result.tables)
    result.foreign_keys = [
        DroppedForeignKey(table, name, definition)
        for table, name, definition, parent in connection.execute(
            text(_FOREIGN_KEYS), {"schema": schema}
        )
        if table in to_place or parent in to_place
    ]
    return result


def _functions_to_distribute(
    connection: Connection, current: Mapping[str, CitusTable], target: Target
) -> list[tuple[str, str]]:
    if not target.functions:
        return []
    group = current.get(target.functions_with)
    rows = connection.execute(
        text(_FUNCTIONS), {"schema": target.schema, "names": sorted(target.functions)}
    ).all()
    missing = sorted(set(target.functions) - {row[1] for row in rows})
    if missing:
        raise CitusError(
            "functions the design distributes are not in the schema: " + ", ".join(missing)
        )
    todo: list[tuple[str, str]] = []
    for signature, name, argument_index, colocation, argument_names in rows:
        argument = target.functions[name]
        if argument not in (argument_names or []):
            raise CitusError(f"function {signature} has no argument {argument} to distribute by")
        expected_index = list(argument_names).index(argument)
        if (
            argument_index == expected_index
            and group is not None
            and colocation == group.colocation_id
        ):
            continue
        todo.append((signature, argument))
    return todo


def _function_settings_to_set(connection: Connection, target: Target) -> list[tuple[str, str, str]]:
    todo: list[tuple[str, str, str]] = []
    for signature, settings in sorted(target.function_settings.items()):
        found = connection.execute(
            text(
                "SELECT p.oid IS NOT NULL, p.proconfig FROM (SELECT 1) x LEFT JOIN pg_proc p "
                "ON p.oid = to_regprocedure(:f)"
            ),
            {"f": f"{target.schema}.{signature}"},
        ).one()
        if not found[0]:
            raise CitusError(f"function {signature} (FUNCTION_SETTINGS) is not in the schema")
        present = dict(item.split("=", 1) for item in (found[1] or []))
        todo += [(signature, k, v) for k, v in settings.items() if present.get(k) != v]
    return todo


def _describe(placement: Placement) -> str:
    if placement.kind is Kind.DISTRIBUTED:
        where = f"distributed by {placement.column}"
        if placement.colocate_with is None:
            return where + " (a colocation group of its own)"
        return where + f", colocated with {placement.colocate_with}"
    return f"a {placement.kind} table"


# --- doing it -------------------------------------------------------------------------------


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


def _qualified(connection: Connection, schema: str, table: str) -> str:
    quote = connection.dialect.identifier_preparer.quote_identifier
    return f"{quote(schema)}.{quote(table)}"


def apply(
    connection: Connection, todo: Plan, target: Target, say: Callable[[str], None] = _say
) -> None:
    """Do ``todo`` in the connection's current transaction (the caller commits)."""
    design, schema = target.design, target.schema
    database = connection.execute(text("SELECT current_database()")).scalar_one()
    # This transaction distributes tables with triggers; new sessions get it from the database.
    connection.execute(text("SET LOCAL citus.enable_unsafe_triggers = on"))
    # Tables created and filled in one transaction with reference tables: Citus asks for
    # sequential shard DDL once a reference table was touched in the transaction.
    connection.execute(text("SET LOCAL citus.multi_shard_modify_mode = 'sequential'"))
    for name, value in todo.settings.items():
        statement = connection.execute(
            text("SELECT format('ALTER DATABASE %I SET %s = %L', current_database(), :n, :v)"),
            {"n": name, "v": value},
        ).scalar_one()
        connection.execute(text(statement))
        say(f"setting   {name} = '{value}' for database {database}")
    for fk in todo.foreign_keys:
        connection.execute(
            text(
                f"ALTER TABLE {_qualified(connection, schema, fk.table)} DROP CONSTRAINT "
                f"{connection.dialect.identifier_preparer.quote_identifier(fk.name)}"
            )
        )
    if todo.foreign_keys:
        say(f"foreign keys: {len(todo.foreign_keys)} taken off (put back at the end)")
    regclass = "CAST(format('%I.%I', CAST(:schema AS text), CAST(:table AS text)) AS regclass)"
    for table in todo.reference:
        connection.execute(
            text(f"SELECT create_reference_table({regclass})"), {"schema": schema, "table": table}
        )
        say(f"reference   {table}")
    for table in todo.anchors:
        column = design[table].column
        connection.execute(
            text(f"SELECT create_distributed_table({regclass}, :column, colocate_with => 'none')"),
            {"schema": schema, "table": table, "column": column},
        )
        say(f"distributed {table} by {column} (a colocation group of its own)")
    for table in todo.colocated:
        placement = design[table]
        connection.execute(
            text(
                f"SELECT create_distributed_table({regclass}, :column, "
                "colocate_with => CAST(:anchor AS text))"
            ),
            {
                "schema": schema,
                "table": table,
                "column": placement.column,
                "anchor": f"{schema}.{placement.colocate_with}",
            },
        )
        say(f"distributed {table} by {placement.column}, colocated with {placement.colocate_with}")
    for table in todo.tables:
        # Citus copied the rows into the shards; the coordinator's own copy is dead weight.
        connection.execute(
            text(f"SELECT truncate_local_data_after_distributing_table({regclass})"),
            {"schema": schema, "table": table},
        )
    for signature, argument in todo.functions:
        connection.execute(
            text("SELECT create_distributed_function(:f, :argument, colocate_with => 'users')"),
            {"f": signature, "argument": argument},
        )
        say(f"function    {signature} by {argument}, colocated with users")
    for signature, name, value in todo.function_settings:
        connection.execute(text(f"ALTER FUNCTION {schema}.{signature} SET {name} = '{value}'"))
        say(f"setting   {name} = '{value}' for function {signature}")
    for fk in todo.foreign_keys:
        connection.execute(
            text(
                f"ALTER TABLE {_qualified(connection, schema, fk.table)} ADD CONSTRAINT "
                f"{connection.dialect.identifier_preparer.quote_identifier(fk.name)} "
                f"{fk.definition}"
            )
        )
    if todo.foreign_keys:
        say(f"foreign keys: {len(todo.foreign_keys)} put back")


def verify(connection: Connection, schema: str = SCHEMA) -> list[tuple[str, int]]:
    """``VERIFICATIONS`` whose tables exist, with their counts."""
    found: list[tuple[str, int]] = []
    for what, (tables, query) in VERIFICATIONS.items():
        present = connection.execute(
            text("SELECT bool_and(to_regclass(:s || '.' || t) IS NOT NULL) FROM unnest(:ts) t"),
            {"s": schema, "ts": list(tables)},
        ).scalar_one()
        if present:
            found.append((what, int(connection.execute(text(query)).scalar_one())))
    return found


def distribute(
    connection: Connection, target: Target | None = None, say: Callable[[str], None] = _say
) -> Plan:
    """Check, then distribute as ``target`` says, in one transaction; then count the rows
    ``VERIFICATIONS`` look for (in ``Plan.problems`` when not 0). Returns what it did."""
    target = target if target is not None else Target()
    with connection.begin():
        todo = plan(connection, target)
        if todo.is_empty():
            say(
                f"nothing to do: {len(todo.placed)} tables already placed as designed, "
                f"{len(todo.local)} local, functions and settings in place"
            )
        else:
            apply(connection, todo, target, say)
    if not todo.is_empty():
        say(
            f"done: {len(todo.tables)} tables placed now ({len(todo.reference)} reference, "
            f"{len(todo.anchors) + len(todo.colocated)} distributed), {len(todo.placed)} "
            f"already placed, {len(todo.local)} local; {len(todo.functions)} functions"
        )
    with connection.begin():
        for what, count in verify(connection, target.schema):
            say(f"verified: {what}: {count}")
            if count:
                todo.problems.append(f"{what}: {count}")
    return todo


# --- later revisions ------------------------------------------------------------------------


def place_table_sql(table: str, placement: Placement | None = None, schema: str = SCHEMA) -> str:
    """A ``DO`` block placing a new ``table`` as ``placement`` (default: the design's) says,
    when Citus is installed in the database; nothing on plain PostgreSQL, or when the table is
    already a Citus table. For a revision that adds a table: create it with its keys and its
    ``users`` foreign key, ``op.execute(place_table_sql(...))``, then add its other foreign keys
    (a reference foreign key first would make Citus turn it into a citus local table).
    A revision should pass the placement explicitly, so that it stays frozen."""
    placement = placement if placement is not None else DESIGN[table]
    qualified = f"{schema}.{table}"
    if placement.kind is Kind.LOCAL:
        return f"DO $$ BEGIN NULL; END $$  -- {qualified} stays local"
    if placement.kind is Kind.REFERENCE:
        call = f"PERFORM create_reference_table('{qualified}')"
    else:
        colocate = (
            f"{schema}.{placement.colocate_with}" if placement.colocate_with is not None else "none"
        )
        call = (
            f"PERFORM create_distributed_table('{qualified}', '{placement.column}', "
            f"colocate_with => '{colocate}')"
        )
    return f"""DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        IF NOT EXISTS (SELECT FROM pg_dist_partition
                       WHERE logicalrelid = '{qualified}'::regclass) THEN
            PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
            {call};
        END IF;
    END IF;
END
$$"""


# --- the command ----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="place the schema on a Citus cluster as dbtools.distribution.DESIGN says"
    )
    parser.add_argument(
        "command",
        choices=["distribute", "plan"],
        help="distribute: check, then place every table and function (one transaction); "
        "plan: only say what distribute would do",
    )
    args = parser.parse_args(argv)
    try:
        url = database_url_from_env()
    except CommandError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    engine = create_engine(url, poolclass=NullPool)
    try:
        try:
            connection = engine.connect()
        except DBAPIError as exc:
            sys.stderr.write(f"error: {connection_error(url, exc)}\n")
            return 2
        with connection:
            if args.command == "plan":
                with connection.begin():
                    _print_plan(plan(connection))
            else:
                done = distribute(connection)
                if done.problems:
                    sys.stderr.write(
                        f"error: {describe(url)}: distributed, but the cluster holds rows no "
                        f"foreign key keeps together: {'; '.join(done.problems)}\n"
                    )
                    return 1
    except CitusError as exc:
        sys.stderr.write(f"error: {describe(url)}: {exc}\n")
        sys.stderr.writelines(f"  {line}\n" for line in exc.details)
        return 1
    except DBAPIError as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        sys.stderr.write(f"error: {describe(url)}: Citus refused ({first}); nothing changed\n")
        return 1
    finally:
        engine.dispose()
    return 0


def _print_plan(todo: Plan) -> None:
    if todo.is_empty():
        _say(f"nothing to do: {len(todo.placed)} tables already placed as designed")
        return
    for name, value in todo.settings.items():
        _say(f"setting   {name} = '{value}'")
    for table in todo.reference:
        _say(f"reference   {table}")
    for table in todo.anchors + todo.colocated:
        _say(f"distributed {table} ({_describe(DESIGN[table])})")
    for signature, argument in todo.functions:
        _say(f"function    {signature} by {argument}, colocated with users")
    for signature, name, value in todo.function_settings:
        _say(f"setting   {name} = '{value}' for function {signature}")
    _say(f"foreign keys taken off and put back: {len(todo.foreign_keys)}")


if __name__ == "__main__":
    raise SystemExit(main())
