"""Declaring functions, views and triggers next to the models, so ``alembic check`` sees them.

The declarations go through sqlalchemy-declarative-extensions (see README, "Design notes"):
its Alembic comparators diff them against the database. Revisions never import these; each
revision carries its own frozen copy of the SQL, and the drift check proves the two agree.

Bodies are compared as PostgreSQL stores them (``pg_proc.prosrc``, dedented), so a body here
must be character-for-character the text between ``$$`` in the revision that created it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


# Functions that run with their owner's rights pin the search_path, so a caller cannot put a
# look-alike ``user_wallet`` earlier on the path.
DEFINER_SEARCH_PATH = "public, pg_temp"


@dataclass(frozen=True)
class FunctionSpec:
    """A function as this project writes it; renders the exact DDL its revision carries."""

    name: str
    body: str
    returns: str
    parameters: tuple[str, ...] = ()
    language: str = "plpgsql"
    security_definer: bool = False
    volatility: FunctionVolatility = FunctionVolatility.VOLATILE

    @property
    def signature(self) -> str:
        types = [p.partition(" DEFAULT ")[0].split(maxsplit=1)[1] for p in self.parameters]
        return f"{self.name}({', '.join(types)})"

    def create_sql(self) -> str:
        options = [f"RETURNS {self.returns}", f"LANGUAGE {self.language}"]
        if self.volatility is not FunctionVolatility.VOLATILE:
            options.append(self.volatility.value)
        if self.security_definer:
            options += ["SECURITY DEFINER", f"SET search_path = {DEFINER_SEARCH_PATH}"]
        params = ", ".join(self.parameters)
        return f"CREATE FUNCTION {self.name}({params}) {' '.join(options)} AS $${self.body}$$"

    def drop_sql(self) -> str:
        return f"DROP FUNCTION {self.signature}"


@dataclass(frozen=True)
class ViewSpec:
    name: str
    definition: str

    def create_sql(self) -> str:
        return f"CREATE VIEW {self.name} AS{self.definition.rstrip()}"

    def drop_sql(self) -> str:
        return f"DROP VIEW {self.name}"


def declare_function(
    name: str,
    body: str,
    *,
    returns: str,
    parameters: Sequence[str] = (),
    language: str = "plpgsql",
    security_definer: bool = False,
    volatility: FunctionVolatility = FunctionVolatility.VOLATILE,
) -> FunctionSpec:
    """Register a function. ``parameters`` are ``"name type [DEFAULT expr]"`` strings, with
    defaults written as PostgreSQL reports them (``NULL::text``)."""
    spec = FunctionSpec(
        name, body, returns, tuple(parameters), language, security_definer, volatility
    )
    register_function(
        metadata,
        Function(
            name,
            body,
            returns=returns,
            language=language,
            parameters=[_parse_parameter(p) for p in parameters] or None,
            security=FunctionSecurity.definer if security_definer else FunctionSecurity.invoker,
            volatility=volatility,
        ),
    )
    FUNCTIONS.append(spec)
    return spec


def declare_view(name: str, definition: str) -> ViewSpec:
    """Register a (plain) view; compared through PostgreSQL's own rendering of it."""
    register_view(metadata, View(name, definition))
    spec = ViewSpec(name, definition)
    VIEWS.append(spec)
    return spec


FUNCTIONS: list[FunctionSpec] = []
VIEWS: list[ViewSpec] = []


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
