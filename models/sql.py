"""Declaring functions, views and triggers next to the models, so ``alembic check`` sees them.

The declarations go through sqlalchemy-declarative-extensions (see README, "Design notes"):
its Alembic comparators diff them against the database. Revisions never import these; each
revision carries its own frozen copy of the SQL, and the drift check proves the two agree.

Bodies are compared as PostgreSQL stores them (``pg_proc.prosrc``, dedented), so a body here
must be character-for-character the text between ``$$`` in the revision that created it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import MetaData
from sqlalchemy_declarative_extensions import (
    Functions,
    Triggers,
    Views,
    register_function,
    register_trigger,
    register_view,
)
from sqlalchemy_declarative_extensions.dialects.postgresql import (
    Function,
    FunctionSecurity,
    FunctionVolatility,
    Trigger,
    View,
)
from sqlalchemy_declarative_extensions.dialects.postgresql.function import FunctionParam

from models.base import metadata

# Objects of the import's bookkeeping schema are not part of the app schema.
IGNORED_SCHEMAS = ["d1import.*"]

UPDATED_AT_FUNCTION = "set_updated_at"


def _ensure_collections(target: MetaData) -> None:
    target.info.setdefault("functions", Functions(ignore=list(IGNORED_SCHEMAS)))
    target.info.setdefault("views", Views(ignore=list(IGNORED_SCHEMAS)))
    target.info.setdefault("triggers", Triggers())


_ensure_collections(metadata)


def declare_function(
    name: str,
    body: str,
    *,
    returns: str,
    parameters: Sequence[str] = (),
    language: str = "plpgsql",
    security_definer: bool = False,
    volatility: FunctionVolatility = FunctionVolatility.VOLATILE,
) -> Function:
    """Register a function. ``parameters`` are ``"name type [DEFAULT expr]"`` strings as
    PostgreSQL reports them (defaults like ``NULL::text``)."""
    function = Function(
        name,
        body,
        returns=returns,
        language=language,
        parameters=[_parse_parameter(p) for p in parameters] or None,
        security=FunctionSecurity.definer if security_definer else FunctionSecurity.invoker,
        volatility=volatility,
    )
    register_function(metadata, function)
    return function


def declare_view(name: str, definition: str) -> View:
    """Register a (plain) view; compared through PostgreSQL's own rendering of it."""
    view = View(name, definition)
    register_view(metadata, view)
    return view


def attach_updated_at_triggers(target: MetaData) -> list[str]:
    """Declare ``<table>_set_updated_at`` on every table that has an ``updated_at`` column.

    Deriving the triggers from the columns means a new table cannot forget its trigger: the
    drift check fails until its revision creates it. Returns the tables, for tests.
    """
    tables = sorted(t.name for t in target.sorted_tables if "updated_at" in t.c)
    for table in tables:
        trigger = (
            Trigger.before("update", on=table, execute=UPDATED_AT_FUNCTION)
            .named(f"{table}_set_updated_at")
            .for_each_row()
        )
        register_trigger(target, trigger)
    return tables


def _parse_parameter(text: str) -> FunctionParam:
    head, _, default = text.partition(" DEFAULT ")
    name, type_ = head.split(maxsplit=1)
    return FunctionParam(name, type_, default or None)
