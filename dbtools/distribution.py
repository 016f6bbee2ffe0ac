"""Where every table lives on a Citus cluster, and a check that the schema allows it.

The design (``DESIGN``) places each table of the schema: distributed (hash-sharded by a
column, in the colocation group of another table), a reference table (a copy on every node),
or local (kept on the coordinator). ``docs/distribution.md`` explains the choices.

``check`` reads a live catalog and returns what Citus would refuse, as rules over the
catalog rather than as Citus errors, so it runs on plain PostgreSQL in ``make test``:

- every table is placed, and every placed table exists;
- a distributed table has its distribution column, NOT NULL, of the type of its group;
- every primary key and unique index of a distributed table contains that column;
- a foreign key between distributed tables joins tables of one colocation group, pairs the
  child's distribution column with the parent's, and neither sets NULL nor a default (Citus
  refuses SET NULL / SET DEFAULT on a key that holds the distribution column, even
  PostgreSQL 15's ``SET NULL (column)`` form);
- a reference table references only reference tables; a local table references no
  distributed table, and no distributed table references a local one;
- no row-level security policy of a distributed or reference table has a subquery (Citus
  cannot propagate one: "Subqueries are not supported in policies on distributed tables"),
  nor one of a local table tied to a reference table by foreign keys (Citus turns it into a
  "citus local table" when the foreign key is added: "cannot create policy");
- a trigger on a distributed or reference table runs a function known to touch only its own
  row (``ROW_LOCAL_TRIGGER_FUNCTIONS``): Citus runs triggers on each shard, and allows them
  at all only with ``citus.enable_unsafe_triggers``.

``python -m dbtools.distribution check`` prints the violations of the database at
``DATABASE_URL`` (exit status 1 when there are any); ``... design`` prints the design as a
Markdown table.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from alembic.util import CommandError
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from dbtools.database_url import connection_error, database_url_from_env

SCHEMA = "public"
IGNORED_TABLES = ("alembic_version", "alembic_version_pkc")


class Kind(StrEnum):
    DISTRIBUTED = "distributed"
    REFERENCE = "reference"
    LOCAL = "local"


@dataclass(frozen=True)
class Placement:
    """Where one table lives. ``colocate_with`` None: the table starts a group of its own."""

    kind: Kind
    why: str
    column: str | None = None
    colocate_with: str | None = None


def by_user(why: str) -> Placement:
    """A user's rows, sharded by ``user_id`` next to the user's ``users`` row."""
    return Placement(Kind.DISTRIBUTED, why, "user_id", "users")


def by_key(column: str, why: str) -> Placement:
    """Sharded by the key the app looks rows up with, in a colocation group of its own."""
    return Placement(Kind.DISTRIBUTED, why, column)


def reference(why: str) -> Placement:
    return Placement(Kind.REFERENCE, why)


def local(why: str) -> Placement:
    return Placement(Kind.LOCAL, why)


Design = Mapping[str, Placement]

# Trigger functions that only change NEW, so they are safe on a shard.
ROW_LOCAL_TRIGGER_FUNCTIONS = frozenset({"set_updated_at"})

_CATALOGUE = "catalogue the app reads for every user, written by operators"
_GAINS = "gains user_id (reaches the user only through its parent today)"

DESIGN: Design = {
    # --- auth ---------------------------------------------------------------------------
    "users": by_key("id", "the tenant: every user-owned table is colocated with it"),
    "accounts": by_key(
        "provider_account_id",
        "OAuth sign-in looks the account up by (provider, provider_account_id), which must "
        "stay unique across the cluster",
    ),
    "sessions": reference(
        "every policy reads it through app_user_id() on the node of the shard it guards (a "
        "distributed sessions cannot be read from a shard); writes go to every node"
    ),
    "authenticators": by_key(
        "credential_id", "passkey sign-in looks the credential up by id; it must stay unique"
    ),
    "verification_tokens": by_key(
        "identifier", "the e-mail sign-in link is checked by (identifier, token)"
    ),
    "user_emails": by_key(
        "email_lower",
        "sign-up and sign-in look the e-mail up; it must stay unique across the cluster",
    ),
    "roles": reference(_CATALOGUE),
    "entitlements": reference(_CATALOGUE),
    "role_entitlements": reference(_CATALOGUE),
    "user_roles": by_user("a user's role grants; the primary key already has user_id"),
    "audit_log": local("cross-user log for operators; its rows outlive their user"),
    "activity_events": by_user("a user's event stream"),
    # --- gamification -------------------------------------------------------------------
    "skill_definitions": reference(_CATALOGUE),
    "achievement_definitions": reference(_CATALOGUE),
    "user_skills": by_user("per-user progress"),
    "user_achievements": by_user("per-user progress"),
    "user_progress": by_user("per-user progress; written by the money functions"),
    "user_wallet": by_user("money: the functions lock it with the user's ledger rows"),
    "points_ledger": by_user("money: one shard holds a user's wallet and ledger"),
    "user_streaks": by_user("per-user progress"),
    # --- focus --------------------------------------------------------------------------
    "focus_sessions": by_user("a user's sessions; one in progress per user"),
    "focus_pause_state": by_user("a user's pause state"),
    # --- habits and goals ---------------------------------------------------------------
    "habits": by_user("a user's habits"),
    "habit_logs": by_user("a user's habit log"),
    "goals": by_user("a user's goals"),
    "goal_milestones": by_user(_GAINS),
    # --- quests -------------------------------------------------------------------------
    "universal_quests": reference(_CATALOGUE),
    "user_quest_progress": by_user("per-user progress"),
    "quests": by_user("a user's own quests (the global rows moved to quest_templates)"),
    "quest_templates": reference(
        "the global quests (starter quests), read by every user, written by operators"
    ),
    # --- planning -----------------------------------------------------------------------
    "calendar_events": by_user("a user's calendar"),
    "daily_plans": by_user("a user's plans"),
    "plan_templates": reference("shared templates (global, public, and a user's own), read by all"),
    # --- market -------------------------------------------------------------------------
    "market_items": reference(_CATALOGUE),
    "user_purchases": by_user("money: beside the user's wallet and ledger"),
    # --- fitness ------------------------------------------------------------------------
    "exercises": reference("the exercise library (built-in and custom), read by all"),
    "workouts": by_user("a user's workouts"),
    "workout_sections": by_user(_GAINS),
    "workout_exercises": by_user(_GAINS),
    "workout_sessions": by_user("a user's workout log"),
    "exercise_sets": by_user(_GAINS),
    "personal_records": by_user("a user's records"),
    "training_programs": by_user("a user's programs"),
    "program_weeks": by_user(_GAINS),
    "program_workouts": by_user(_GAINS),
    # --- books, learn, journal ----------------------------------------------------------
    "books": by_user("a user's books"),
    "reading_sessions": by_user("a user's reading log"),
    "learn_topics": reference(_CATALOGUE),
    "learn_lessons": reference(_CATALOGUE),
    "learn_drills": reference(_CATALOGUE),
    "user_lesson_progress": by_user("per-user progress"),
    "user_drill_stats": by_user("per-user progress"),
    "flashcard_decks": by_user("a user's decks"),
    "flashcards": by_user(_GAINS),
    "journal_entries": by_user("a user's journal"),
    # --- reference audio ----------------------------------------------------------------
    "reference_tracks": by_user("a user's tracks"),
    "track_analysis_cache": by_user(_GAINS),
    # --- settings, onboarding -----------------------------------------------------------
    "user_settings": by_user("a user's settings"),
    "user_interests": by_user("a user's settings"),
    "user_ui_modules": by_user("a user's settings"),
    "onboarding_flows": reference(_CATALOGUE),
    "onboarding_steps": reference(_CATALOGUE),
    "user_onboarding_state": by_user("per-user progress"),
    # --- content ------------------------------------------------------------------------
    "ignition_packs": reference(_CATALOGUE),
    "daw_shortcuts": reference(_CATALOGUE),
    "glossary_terms": reference(_CATALOGUE),
    "recipe_templates": reference(_CATALOGUE),
    "infobase_entries": reference("shared entries (global, public, and a user's own), read by all"),
    "ideas": by_user("a user's ideas"),
    # --- system -------------------------------------------------------------------------
    "feedback": local("read by operators across users; may be anonymous"),
    "notifications": by_user("a user's notifications"),
    "admin_audit_log": local("cross-user log for operators"),
    "access_requests": local("requests from people who are not users yet"),
    "db_metadata": reference("a few settings every node may read"),
}

# Functions Citus may send to the node of the user they act for (create_distributed_function,
# colocated with users), by the argument naming that user: the money and progress functions.
DISTRIBUTED_FUNCTIONS: Mapping[str, str] = {
    name: "p_user_id"
    for name in (
        "start_focus_session",
        "complete_focus_session",
        "pause_focus_session",
        "resume_focus_session",
        "abandon_focus_session",
        "award_xp",
        "award_coins",
        "spend_coins",
        "update_streak",
        "complete_habit",
        "update_goal_progress",
        "purchase_item",
        "redeem_purchase",
        "accept_universal_quest",
        "update_quest_progress",
        "advance_quest",
        "claim_quest_rewards",
    )
}


# --- the catalog --------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    type: str
    not_null: bool


@dataclass(frozen=True)
class UniqueKey:
    name: str
    columns: tuple[str | None, ...]
    """Key columns in order; None for an expression."""


@dataclass(frozen=True)
class ForeignKey:
    name: str
    table: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"


@dataclass(frozen=True)
class Policy:
    name: str
    table: str
    expression: str
    """USING and WITH CHECK, as PostgreSQL prints them."""


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    function: str


@dataclass(frozen=True)
class Catalog:
    columns: Mapping[str, Mapping[str, Column]]
    """Table -> column -> type and nullability; its keys are the tables."""
    unique_keys: Mapping[str, Sequence[UniqueKey]]
    foreign_keys: Sequence[ForeignKey]
    policies: Sequence[Policy] = ()
    triggers: Sequence[Trigger] = ()


_TABLES = """
    SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') AND c.relname <> ALL(:ignored)
"""
_UNIQUE_KEYS = """
    SELECT c.relname, i.indexrelid::regclass::text,
           ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, pos)
                 LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                 WHERE k.pos <= i.indnkeyatts ORDER BY k.pos)
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = :schema AND i.indisunique AND c.relname <> ALL(:ignored)
"""
_FOREIGN_KEYS = """
    SELECT k.conname, c.relname,
           ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY x(attnum, pos)
                 JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.attnum
                 ORDER BY x.pos),
           p.relname,
           ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY x(attnum, pos)
                 JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = x.attnum
                 ORDER BY x.pos),
           k.confdeltype::text, k.confupdtype::text
    FROM pg_constraint k
    JOIN pg_class c ON c.oid = k.conrelid
    JOIN pg_class p ON p.oid = k.confrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = :schema AND k.contype = 'f' AND c.relname <> ALL(:ignored)
"""
_POLICIES = """
    SELECT p.policyname, p.tablename, concat_ws(' ', p.qual, p.with_check)
    FROM pg_policies p WHERE p.schemaname = :schema AND p.tablename <> ALL(:ignored)
"""
_TRIGGERS = """
    SELECT t.tgname, c.relname, p.proname
    FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_proc p ON p.oid = t.tgfoid
    WHERE n.nspname = :schema AND NOT t.tgisinternal AND c.relname <> ALL(:ignored)
"""
# pg_constraint.confdeltype / confupdtype
_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def read_catalog(connection: Connection, schema: str = SCHEMA) -> Catalog:
    """Tables, columns, unique keys (primary keys included) and foreign keys of ``schema``."""
    params = {"schema": schema, "ignored": list(IGNORED_TABLES)}
    columns: dict[str, dict[str, Column]] = {}
    for table, column, type_, not_null in connection.execute(text(_TABLES), params):
        table_columns = columns.setdefault(table, {})
        if column is not None:
            table_columns[column] = Column(type_, not_null)
    unique_keys: dict[str, list[UniqueKey]] = {}
    for table, name, key in connection.execute(text(_UNIQUE_KEYS), params):
        unique_keys.setdefault(table, []).append(UniqueKey(name, tuple(key)))
    foreign_keys = [
        ForeignKey(
            name, table, tuple(cols), parent, tuple(parent_cols), _ACTIONS[on_del], _ACTIONS[on_upd]
        )
        for name, table, cols, parent, parent_cols, on_del, on_upd in connection.execute(
            text(_FOREIGN_KEYS), params
        )
    ]
    policies = [Policy(*row) for row in connection.execute(text(_POLICIES), params)]
    triggers = [Trigger(*row) for row in connection.execute(text(_TRIGGERS), params)]
    return Catalog(columns, unique_keys, foreign_keys, policies, triggers)


# --- the rules ----------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Violation:
    table: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.table}: {self.message} [{self.rule}]"


def colocation_group(table: str, design: Design) -> str:
    """The table that anchors ``table``'s colocation group (following ``colocate_with``)."""
    seen = [table]
    while (anchor := design[seen[-1]].colocate_with) is not None:
        if anchor in seen or anchor not in design:
            raise ValueError(f"colocation of {table} does not end at a placed table: {seen}")
        seen.append(anchor)
    return seen[-1]


def _placement_rules(catalog: Catalog, design: Design) -> list[Violation]:
    found: list[Violation] = []
    for table in sorted(set(catalog.columns) - set(design)):
        found.append(Violation(table, "placed", "the distribution design does not place it"))
    for table in sorted(set(design) - set(catalog.columns)):
        found.append(Violation(table, "placed", "placed by the design but not in the schema"))
    return found


def _distribution_column_rules(catalog: Catalog, design: Design) -> list[Violation]:
    found: list[Violation] = []
    for table, placement in sorted(design.items()):
        if placement.kind is not Kind.DISTRIBUTED or table not in catalog.columns:
            continue
        column = catalog.columns[table].get(placement.column or "")
        if column is None:
            found.append(
                Violation(table, "column", f"has no distribution column {placement.column}")
            )
            continue
        if not column.not_null:
            found.append(
                Violation(
                    table,
                    "column",
                    f"distribution column {placement.column} allows NULL "
                    "(Citus cannot place a row without it)",
                )
            )
        anchor = colocation_group(table, design)
        anchor_column = catalog.columns.get(anchor, {}).get(design[anchor].column or "")
        if anchor_column is not None and anchor_column.type != column.type:
            found.append(
                Violation(
                    table,
                    "column",
                    f"distribution column {placement.column} is {column.type}, but its "
                    f"colocation group ({anchor}) is distributed by {anchor_column.type}",
                )
            )
    return found


def _unique_key_rules(catalog: Catalog, design: Design) -> list[Violation]:
    found: list[Violation] = []
    for table, keys in sorted(catalog.unique_keys.items()):
        placement = design.get(table)
        if placement is None or placement.kind is not Kind.DISTRIBUTED:
            continue
        for key in sorted(keys, key=lambda k: k.name):
            if placement.column not in key.columns:
                shown = ", ".join(c if c is not None else "<expression>" for c in key.columns)
                found.append(
                    Violation(
                        table,
                        "unique-key",
                        f"unique key {key.name} ({shown}) does not contain the distribution "
                        f"column {placement.column}",
                    )
                )
    return found


def _foreign_key_problem(fk: ForeignKey, design: Design) -> str | None:
    child, parent = design.get(fk.table), design.get(fk.parent)
    if child is None or parent is None:
        return None  # the placement rule reports the unplaced table
    if child.kind is Kind.REFERENCE and parent.kind is not Kind.REFERENCE:
        return f"a reference table may reference only reference tables, not {parent.kind}"
    if child.kind is Kind.LOCAL and parent.kind is Kind.DISTRIBUTED:
        return "a local table may not reference a distributed table"
    if child.kind is Kind.DISTRIBUTED and parent.kind is Kind.LOCAL:
        return "a distributed table may not reference a local table"
    if child.kind is not Kind.DISTRIBUTED or parent.kind is not Kind.DISTRIBUTED:
        return None
    if colocation_group(fk.table, design) != colocation_group(fk.parent, design):
        return "joins distributed tables of different colocation groups"
    pairs = set(zip(fk.columns, fk.parent_columns, strict=True))
    if (child.column, parent.column) not in pairs:
        return (
            f"does not carry the distribution column: it must pair {fk.table}.{child.column} "
            f"with {fk.parent}.{parent.column}"
        )
    for event, action in (("DELETE", fk.on_delete), ("UPDATE", fk.on_update)):
        if action in ("SET NULL", "SET DEFAULT"):
            return (
                f"has ON {event} {action}, which Citus refuses on a key holding the "
                "distribution column"
            )
    return None


def _foreign_key_rules(catalog: Catalog, design: Design) -> list[Violation]:
    found: list[Violation] = []
    for fk in sorted(catalog.foreign_keys, key=lambda k: (k.table, k.name)):
        problem = _foreign_key_problem(fk, design)
        if problem is not None:
            described = (
                f"foreign key {fk.name} ({', '.join(fk.columns)}) -> "
                f"{fk.parent} ({', '.join(fk.parent_columns)})"
            )
            found.append(Violation(fk.table, "foreign-key", f"{described} {problem}"))
    return found


_SUBQUERY = re.compile(r"\bSELECT\b", re.IGNORECASE)


def citus_local_tables(catalog: Catalog, design: Design) -> set[str]:
    """Local tables Citus turns into "citus local tables": those with a foreign key to a
    reference table, and every local table connected to them by foreign keys."""
    local_tables = {t for t, p in design.items() if p.kind is Kind.LOCAL}
    pulled = {
        fk.table
        for fk in catalog.foreign_keys
        if fk.table in local_tables
        and fk.parent in design
        and design[fk.parent].kind is Kind.REFERENCE
    }
    while True:
        more = {
            other
            for fk in catalog.foreign_keys
            for one, other in ((fk.table, fk.parent), (fk.parent, fk.table))
            if one in pulled and other in local_tables and other not in pulled
        }
        if not more:
            return pulled
        pulled |= more


def _policy_rules(catalog: Catalog, design: Design) -> list[Violation]:
    found: list[Violation] = []
    pulled = citus_local_tables(catalog, design)
    for policy in sorted(catalog.policies, key=lambda p: (p.table, p.name)):
        placement = design.get(policy.table)
        if placement is None:
            continue
        if placement.kind is Kind.LOCAL and policy.table not in pulled:
            continue
        if _SUBQUERY.search(policy.expression):
            kind = (
                "citus local (it is tied to a reference table by foreign keys)"
                if placement.kind is Kind.LOCAL
                else str(placement.kind)
            )
            found.append(
                Violation(
                    policy.table,
                    "policy",
                    f"row-level security policy {policy.name} has a subquery, which Citus "
                    f"cannot propagate to a {kind} table's shards",
                )
            )
    return found


def _trigger_rules(catalog: Catalog, design: Design) -> list[Violation]:
    found: list[Violation] = []
    for trigger in sorted(catalog.triggers, key=lambda t: (t.table, t.name)):
        placement = design.get(trigger.table)
        if placement is None or placement.kind is Kind.LOCAL:
            continue
        if trigger.function not in ROW_LOCAL_TRIGGER_FUNCTIONS:
            found.append(
                Violation(
                    trigger.table,
                    "trigger",
                    f"trigger {trigger.name} runs {trigger.function}(), which is not known to "
                    f"touch only its own row (a {placement.kind} table's triggers run on "
                    "each shard)",
                )
            )
    return found


def violations(catalog: Catalog, design: Design = DESIGN) -> list[Violation]:
    """Everything in ``catalog`` that keeps ``design`` from being applied on Citus."""
    return sorted(
        _placement_rules(catalog, design)
        + _distribution_column_rules(catalog, design)
        + _unique_key_rules(catalog, design)
        + _foreign_key_rules(catalog, design)
        + _policy_rules(catalog, design)
        + _trigger_rules(catalog, design)
    )


def check(connection: Connection, design: Design = DESIGN, schema: str = SCHEMA) -> list[Violation]:
    """The violations of the live schema ``schema`` reached through ``connection``."""
    return violations(read_catalog(connection, schema), design)


# --- the command --------------------------------------------------------------------------


def design_markdown(design: Design = DESIGN) -> str:
    """The design as a Markdown table, one row per table."""
    rows = ["| table | placement | why |", "| --- | --- | --- |"]
    for table, placement in sorted(design.items()):
        if placement.kind is Kind.DISTRIBUTED:
            where = f"distributed by `{placement.column}`"
            if placement.colocate_with is not None:
                where += f", colocated with `{placement.colocate_with}`"
        else:
            where = str(placement.kind)
        rows.append(f"| {table} | {where} | {placement.why} |")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the Citus distribution design and its check")
    parser.add_argument(
        "command",
        choices=["check", "design"],
        help="check: list what keeps the database at DATABASE_URL from following the design; "
        "design: print the design as a Markdown table",
    )
    args = parser.parse_args(argv)
    if args.command == "design":
        sys.stdout.write(design_markdown() + "\n")
        return 0
    try:
        url = database_url_from_env()
    except CommandError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            found = check(connection)
    except DBAPIError as exc:
        sys.stderr.write(f"error: {connection_error(url, exc)}\n")
        return 2
    finally:
        engine.dispose()
    sys.stdout.writelines(f"{violation}\n" for violation in found)
    sys.stderr.write(f"{len(found)} violation(s) of the distribution design\n")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
