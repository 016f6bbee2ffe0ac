"""The SQL that sorts a staged table: each builder returns one statement that moves the rows
breaking a rule from the stage to the pending quarantine, with the reason as structured
fields (kind, D1 column, detail, the related row); ``d1import.quarantine_writeup`` turns them
into quarantine records. Every lookup runs on an index: parents by their key, quarantined
parents by (``source_table``, ``new_id``), both uuid.

The pending table's columns, in order: rowid, legacy_id, kind, d1_column, detail,
related_table, related_id, related_kind, new_id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from d1import.bookkeeping import SECRET_COLUMNS
from d1import.catalog import ForeignKey, TargetTable, UniqueIndex
from d1import.mapping import DerivedColumn, TableMap

STAGE = "d1import_stage"
PENDING = "d1import_pending"
PENDING_COLUMNS = (
    "rowid bigint PRIMARY KEY, legacy_id text, kind text NOT NULL, d1_column text, "
    "detail text NOT NULL, related_table text, related_id text, related_kind text, new_id uuid"
)
# Columns the seeds fill with the time they ran: a seeded row and its D1 twin differ there
# without differing in what they say.
NULL = sql.SQL("NULL")
NULL_JOIN = sql.SQL("")
NOT_COMPARED = frozenset({"created_at", "updated_at"})
OTHER_OWNER = "(another user's)"  # the orphan rule's marker: the parent is there, not this user's
# D1 has no sessions.created_at: the stage gives the run's time (the column default), or, for
# a session that had already expired, the instant before its expiry (the CHECK wants
# created_at < expires_at; nothing later than the expiry is invented).
STAGE_ADJUSTMENTS: dict[str, str] = {
    "sessions": (
        f"UPDATE {STAGE} SET created_at = expires_at - interval '1 microsecond' "
        "WHERE expires_at IS NOT NULL AND created_at >= expires_at"
    ),
}


def derive(column: str, derived: DerivedColumn) -> sql.Composed:
    """Sets a derived column of the stage from the parent rows already loaded (one join on the
    parent's key); a row whose parent is not there keeps NULL (the orphan step names why)."""
    return sql.SQL(
        "UPDATE {stage} s SET {column} = p.{source} FROM {parent} p WHERE p.id = s.{via}"
    ).format(
        stage=sql.Identifier(STAGE),
        column=sql.Identifier(column),
        source=sql.Identifier(derived.column),
        parent=sql.Identifier(derived.parent),
        via=sql.Identifier(derived.via),
    )


def checked_references(target: TargetTable, table_map: TableMap) -> tuple[ForeignKey, ...]:
    """The references the orphan rule checks: the table's foreign keys, after two kinds of
    plain ``column -> parent.id`` references the target may not hold itself: each derived
    column's parent reference (a row whose parent is missing or quarantined is named so even
    when the table's own key to the parent is composite ``(via, user_id)``, which a NULL
    derived column would let pass), and D1's references the target keeps without a foreign
    key (``mapping.UNENFORCED_REASON``)."""
    own = {(fk.columns, fk.parent, fk.parent_columns) for fk in target.foreign_keys}
    covered = {(c, fk.parent) for fk in target.foreign_keys for c in fk.columns}
    implied = [
        ForeignKey(f"{target.name}_{d.via}_derivation", (d.via,), d.parent, ("id",))
        for d in table_map.derived.values()
        if ((d.via,), d.parent, ("id",)) not in own
    ]
    named = {fk.columns for fk in implied}
    implied += [
        ForeignKey(f"{target.name}_{column}_d1_reference", (column,), parent, ("id",))
        for column, parent in table_map.references.items()
        if (column, parent) not in covered and (column,) not in named
    ]
    return tuple(implied) + target.foreign_keys


@dataclass(frozen=True)
class DeclaredKey:
    """A uniqueness the import keeps although the table has no index for it: another table
    holds it (users' e-mail is the primary key of ``user_emails``, distributed by the
    e-mail, where ``users`` is distributed by id: docs/distribution.md). ``index`` is the key
    as an expression over the table; ``detail`` the reason (``format``: %1$s the expressions,
    %2$s the key, %3$s the row it repeats); ``lookup`` the table, key column and owner
    column of the rows already in the database."""

    index: UniqueIndex
    detail: str
    lookup: tuple[str, str, str]

    def lookup_present(self, connection: psycopg.Connection) -> bool:
        row = connection.execute(
            "SELECT to_regclass(%s) IS NOT NULL", (f"public.{self.lookup[0]}",)
        ).fetchone()
        return bool(row and row[0])


DECLARED_KEYS: dict[str, tuple[DeclaredKey, ...]] = {
    "users": (
        DeclaredKey(
            UniqueIndex("user_emails_pkey", ("lower(email)",), None),
            "same e-mail as user %3$s: %1$s = %2$s (user_emails_pkey)",
            ("user_emails", "email_lower", "user_id"),
        ),
    ),
}


@dataclass(frozen=True)
class Rules:
    """The rule builders for one table; ``d1_of`` names each target column's D1 column."""

    target: TargetTable
    d1_table: str
    d1_of: dict[str, str]
    sha256: str
    derived: frozenset[str] = field(default_factory=frozenset)
    """Columns the import derives (NULL there means a missing parent: the orphan rule's)."""

    # -- shared pieces --------------------------------------------------------------------
    @property
    def new_id(self) -> sql.Composable:
        """The quarantined row's id, for its dependents to find it (tables keyed by ``id``)."""
        return sql.SQL("g.id") if "id" in self.target.primary_key else sql.SQL("NULL::uuid")

    def columns_in(self, expression: str) -> list[str]:
        """The target columns an expression mentions, by their D1 names."""
        words = set(re.findall(r"[a-z_][a-z0-9_]*", expression))
        return [self.d1_of.get(c.name, c.name) for c in self.target.columns if c.name in words]

    def secret_in(self, expression: str) -> bool:
        secrets = SECRET_COLUMNS.get(self.d1_table, set())
        return any(column in secrets for column in self.columns_in(expression))

    def _move(
        self,
        delete: sql.Composable,
        *,
        kind: sql.Composable,
        column: sql.Composable,
        detail: sql.Composable,
        related_table: sql.Composable = NULL,
        related_id: sql.Composable = NULL,
        related_kind: sql.Composable = NULL,
        joins: sql.Composable = NULL_JOIN,
    ) -> sql.Composed:
        """``WITH gone AS (<delete> RETURNING ...) INSERT INTO pending SELECT ... FROM gone g``."""
        return sql.SQL(
            "WITH gone AS ({delete}) INSERT INTO {pending} "
            "SELECT g.__rowid, g.__legacy_id, {kind}, {column}, {detail}, {related_table}, "
            "{related_id}, {related_kind}, {new_id} FROM gone g {joins}"
        ).format(
            delete=delete,
            pending=sql.Identifier(PENDING),
            kind=kind,
            column=column,
            detail=detail,
            related_table=related_table,
            related_id=related_id,
            related_kind=related_kind,
            new_id=self.new_id,
            joins=joins,
        )

    # -- NOT NULL and CHECK ---------------------------------------------------------------
    def not_null_and_checks(self) -> sql.Composed | None:
        """One pass for every NOT NULL column and CHECK; a row is named by the first rule it
        breaks."""
        rules: list[tuple[str, str, str | None, str]] = [
            (
                f'"{column.name}" IS NULL',
                "not_null",
                self.d1_of.get(column.name, column.name),
                "missing value for a NOT NULL column",
            )
            for column in self.target.columns
            if column.not_null and column.name not in self.derived
        ]
        rules += [
            (
                f"NOT COALESCE(({expression}), true)",
                "check",
                ", ".join(self.columns_in(expression)) or None,
                f"violates {name}: CHECK {expression}",
            )
            for name, expression in self.target.checks
        ]
        if not rules:
            return None

        def case(pick: int) -> sql.Composable:
            return sql.SQL("CASE {} END").format(
                sql.SQL(" ").join(
                    sql.SQL("WHEN {} THEN {}").format(sql.SQL(rule[0]), sql.Literal(rule[pick]))
                    for rule in rules
                )
            )

        broken = sql.SQL(" OR ").join(sql.SQL("({})").format(sql.SQL(r[0])) for r in rules)
        delete = sql.SQL("DELETE FROM {stage} WHERE {broken} RETURNING *").format(
            stage=sql.Identifier(STAGE), broken=broken
        )
        # The CASEs run over ``gone g`` (the deleted rows), where the names resolve the same.
        return self._move(delete, kind=case(1), column=case(2), detail=case(3))

    # -- rows already in the table (seeded) -----------------------------------------------
    def _pk_match(self) -> sql.Composable:
        return sql.SQL(" AND ").join(
            sql.SQL("t.{c} = s.{c}").format(c=sql.Identifier(c)) for c in self.target.primary_key
        )

    def compared_columns(self) -> list[str]:
        keys = set(self.target.primary_key)
        return [
            c.name
            for c in self.target.columns
            if c.name in self.d1_of and c.name not in keys and c.name not in NOT_COMPARED
        ]

    def differing_from_existing(self) -> sql.Composed | None:
        """Rows whose id is already in the table (the seeds' rows, under the same derived
        id) with other values: a difference for the operator, never counted as loaded."""
        compared = self.compared_columns()
        if not compared:
            return None
        differs = sql.SQL(" OR ").join(
            sql.SQL("s.{c} IS DISTINCT FROM t.{c}").format(c=sql.Identifier(c)) for c in compared
        )
        which = sql.SQL("array_to_string(array_remove(ARRAY[{}], NULL), ', ')").format(
            sql.SQL(", ").join(
                sql.SQL("CASE WHEN s.{c} IS DISTINCT FROM t.{c} THEN {name} END").format(
                    c=sql.Identifier(c), name=sql.Literal(self.d1_of[c])
                )
                for c in compared
            )
        )
        delete = sql.SQL(
            "DELETE FROM {stage} s USING {table} t WHERE {match} AND ({differs}) "
            "RETURNING s.*, {which} AS __differs"
        ).format(
            stage=sql.Identifier(STAGE),
            table=sql.Identifier(self.target.name),
            match=self._pk_match(),
            differs=differs,
            which=which,
        )
        return self._move(
            delete,
            kind=sql.Literal("differs_from_existing"),
            column=sql.SQL("g.__differs"),
            detail=sql.SQL("{} || g.__differs").format(
                sql.Literal("a row with this id is already in the database; it differs in: ")
            ),
            related_table=sql.Literal(self.d1_table),
            related_id=sql.SQL("g.__legacy_id"),
        )

    def take_out_present(self) -> sql.Composed:
        """Rows already in the table with the same values: loaded already (counted so)."""
        return sql.SQL("DELETE FROM {stage} s USING {table} t WHERE {match}").format(
            stage=sql.Identifier(STAGE),
            table=sql.Identifier(self.target.name),
            match=self._pk_match(),
        )

    # -- unique indexes -------------------------------------------------------------------
    def _key_parts(self, index: UniqueIndex) -> tuple[sql.Composable, sql.Composable, str]:
        keys = [sql.SQL(f"({e})") for e in index.expressions]
        not_null = sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(k) for k in keys)
        predicate = sql.SQL(index.predicate) if index.predicate else sql.SQL("true")
        where = sql.SQL("{} AND {}").format(predicate, not_null)
        column = ", ".join(dict.fromkeys(c for e in index.expressions for c in self.columns_in(e)))
        return sql.SQL(", ").join(keys), where, column

    def _key_text(self, index: UniqueIndex, alias: str) -> sql.Composable:
        if any(self.secret_in(e) for e in index.expressions):
            return sql.Literal("[redacted]")
        return sql.SQL("concat_ws(', ', {})").format(
            sql.SQL(", ").join(
                sql.SQL("{}.{}::text").format(sql.Identifier(alias), sql.Identifier(f"__k{i}"))
                for i in range(len(index.expressions))
            )
        )

    def _numbered_keys(self, index: UniqueIndex) -> sql.Composable:
        return sql.SQL(", ").join(
            sql.SQL(f"({e}) AS ") + sql.Identifier(f"__k{i}")
            for i, e in enumerate(index.expressions)
        )

    def repeating(self, indexes: list[UniqueIndex]) -> sql.Composed:
        """One row: for each key, whether two staged rows share it (``duplicates_in_source``
        then has rows to take out)."""
        checks = []
        for index in indexes:
            keys, where, _ = self._key_parts(index)
            checks.append(
                sql.SQL(
                    "EXISTS (SELECT 1 FROM {stage} WHERE {where} GROUP BY {keys} "
                    "HAVING count(*) > 1)"
                ).format(stage=sql.Identifier(STAGE), where=where, keys=keys)
            )
        return sql.SQL("SELECT {}").format(sql.SQL(", ").join(checks))

    def duplicates_in_source(self, index: UniqueIndex, detail: str | None = None) -> sql.Composed:
        """The later rows (by D1 rowid) that repeat an earlier row's key; ``detail`` as in
        ``DeclaredKey``, else the index's standard reason."""
        keys, where, column = self._key_parts(index)
        delete = sql.SQL(
            "WITH ranked AS (SELECT __rowid, {numbered}, "
            "first_value(__legacy_id) OVER w AS keeper, row_number() OVER w AS n "
            "FROM {stage} WHERE {where} "
            "WINDOW w AS (PARTITION BY {keys} ORDER BY __rowid)) "
            "DELETE FROM {stage} s USING ranked r WHERE s.__rowid = r.__rowid AND r.n > 1 "
            "RETURNING s.*, r.keeper AS __keeper, {key_text} AS __key"
        ).format(
            numbered=self._numbered_keys(index),
            stage=sql.Identifier(STAGE),
            where=where,
            keys=keys,
            key_text=self._key_text(index, "r"),
        )
        reason = detail or "%1$s = %2$s repeats the key of an earlier row (unique index %4$s)"
        return self._move(
            delete,
            kind=sql.Literal("duplicate_key"),
            column=sql.Literal(column or None),
            detail=sql.SQL("format({}, {}, g.__key, g.__keeper, {})").format(
                sql.Literal(reason),
                sql.Literal(", ".join(index.expressions)),
                sql.Literal(index.name),
            ),
            related_table=sql.Literal(self.d1_table),
            related_id=sql.SQL("g.__keeper"),
        )

    def duplicates_of_lookup(self, key: DeclaredKey) -> sql.Composed:
        """Rows whose declared key is already held in its lookup table by another row (a
        user already in the database with the same e-mail)."""
        table, key_column, owner = key.lookup
        (expression,) = key.index.expressions
        _, _, column = self._key_parts(key.index)
        legacy = sql.SQL(
            "COALESCE((SELECT m.legacy_id FROM d1import.id_map m WHERE m.source_table = {t} "
            "AND m.new_id = e.{owner} LIMIT 1), e.{owner}::text)"
        ).format(t=sql.Literal(self.d1_table), owner=sql.Identifier(owner))
        delete = sql.SQL(
            "DELETE FROM {stage} s USING {table} e WHERE e.{key} = ({expression}) "
            "AND e.{owner} IS DISTINCT FROM s.id "
            "RETURNING s.*, {legacy} AS __keeper, ({expression})::text AS __key"
        ).format(
            stage=sql.Identifier(STAGE),
            table=sql.Identifier(table),
            key=sql.Identifier(key_column),
            expression=sql.SQL(expression),  # its columns are the stage's (s)
            owner=sql.Identifier(owner),
            legacy=legacy,
        )
        return self._move(
            delete,
            kind=sql.Literal("duplicate_key"),
            column=sql.Literal(column or None),
            detail=sql.SQL("format({}, {}, g.__key, g.__keeper)").format(
                sql.Literal(key.detail), sql.Literal(expression)
            ),
            related_table=sql.Literal(self.d1_table),
            related_id=sql.SQL("g.__keeper"),
        )

    def duplicates_of_existing(self, index: UniqueIndex) -> sql.Composed:
        """Rows that repeat the key of a row already in the table (another id: e.g. a
        case-variant email of a loaded user)."""
        _, where, column = self._key_parts(index)
        same_key = sql.SQL(" AND ").join(
            sql.SQL(f"({e}) = k.") + sql.Identifier(f"__k{i}")
            for i, e in enumerate(index.expressions)
        )
        pk_text = sql.SQL("concat_ws('|', {})").format(
            sql.SQL(", ").join(
                sql.SQL("t.{}::text").format(sql.Identifier(c)) for c in self.target.primary_key
            )
        )
        legacy = (
            sql.SQL(
                "(SELECT m.legacy_id FROM d1import.id_map m "
                "WHERE m.source_table = {table} AND m.new_id = t.id LIMIT 1)"
            ).format(table=sql.Literal(self.d1_table))
            if "id" in self.target.primary_key
            else sql.SQL("NULL")
        )
        # Inside the sub-select the index's own (unqualified) expressions resolve to t.
        delete = sql.SQL(
            "WITH keyed AS (SELECT __rowid, {numbered} FROM {stage} WHERE {where}), "
            "hits AS (SELECT k.*, (SELECT COALESCE({legacy}, {pk_text}) FROM {table} t "
            "WHERE {predicate} AND {same_key} LIMIT 1) AS keeper FROM keyed k) "
            "DELETE FROM {stage} s USING hits h WHERE s.__rowid = h.__rowid "
            "AND h.keeper IS NOT NULL RETURNING s.*, h.keeper AS __keeper, {key_text} AS __key"
        ).format(
            numbered=self._numbered_keys(index),
            stage=sql.Identifier(STAGE),
            where=where,
            legacy=legacy,
            pk_text=pk_text,
            table=sql.Identifier(self.target.name),
            predicate=sql.SQL(index.predicate) if index.predicate else sql.SQL("true"),
            same_key=same_key,
            key_text=self._key_text(index, "h"),
        )
        return self._move(
            delete,
            kind=sql.Literal("duplicate_key"),
            column=sql.Literal(column or None),
            detail=sql.SQL("format({}, {}, g.__key, {})").format(
                sql.Literal(
                    "%s = %s repeats the key of a row already in the database (unique index %s)"
                ),
                sql.Literal(", ".join(index.expressions)),
                sql.Literal(index.name),
            ),
            related_table=sql.Literal(self.d1_table),
            related_id=sql.SQL("g.__keeper"),
        )

    # -- foreign keys ---------------------------------------------------------------------
    def orphans(self, fk: ForeignKey) -> sql.Composed:
        """Rows whose reference finds no parent (SQLite did not enforce foreign keys): when
        the parent was quarantined, ``depends_on_quarantined`` naming it; else ``orphan``."""
        local = sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in fk.columns)
        parent = sql.SQL(", ").join(
            sql.SQL("p.{}").format(sql.Identifier(c)) for c in fk.parent_columns
        )
        present = sql.SQL("EXISTS (SELECT 1 FROM {parent} p WHERE ({pcols}) = ({local}))").format(
            parent=sql.Identifier(fk.parent), pcols=parent, local=local
        )
        if fk.parent == self.target.name:
            present = sql.SQL("({} OR EXISTS (SELECT 1 FROM {} p WHERE ({}) = ({})))").format(
                present, sql.Identifier(STAGE), parent, local
            )
        not_null = sql.SQL(" AND ").join(
            sql.SQL("s.{} IS NOT NULL").format(sql.Identifier(c)) for c in fk.columns
        )
        delete = sql.SQL(
            "DELETE FROM {stage} s WHERE {not_null} AND NOT {present} RETURNING s.*"
        ).format(stage=sql.Identifier(STAGE), not_null=not_null, present=present)
        # The column naming the parent row: the one paired with the parent's id (a composite
        # key (goal_id, user_id) -> goals (id, user_id) names it by goal_id).
        named = fk.columns[fk.parent_columns.index("id") if "id" in fk.parent_columns else 0]
        first = sql.SQL("g.{}").format(sql.Identifier(named))
        joins: sql.Composable
        if "id" in fk.parent_columns:
            pending_parent: sql.Composable = (
                sql.SQL(
                    " UNION ALL SELECT p.legacy_id, p.kind, 2 FROM {pending} p "
                    "WHERE p.new_id = {first}"
                ).format(pending=sql.Identifier(PENDING), first=first)
                if fk.parent == self.target.name
                else sql.SQL("")
            )
            # A composite key with the tenant key: the parent is there, of another user.
            other_owner: sql.Composable = (
                sql.SQL(
                    " UNION ALL SELECT NULL, {other}, 3 FROM {parent} p WHERE p.id = {first}"
                ).format(
                    other=sql.Literal(OTHER_OWNER), parent=sql.Identifier(fk.parent), first=first
                )
                if len(fk.columns) > 1
                else sql.SQL("")
            )
            joins = sql.SQL(
                "LEFT JOIN LATERAL (SELECT x.legacy_id, x.kind FROM ("
                "SELECT q.legacy_id, q.kind, 1 AS o FROM d1import.quarantine q "
                "WHERE q.source_table = {parent} AND q.new_id = {first} "
                "AND q.source_sha256 = {sha}{pending_parent}{other_owner}) x "
                "ORDER BY x.o LIMIT 1) q ON true"
            ).format(
                parent=sql.Literal(fk.parent),
                first=first,
                sha=sql.Literal(self.sha256),
                pending_parent=pending_parent,
                other_owner=other_owner,
            )
        else:
            joins = sql.SQL(
                "LEFT JOIN LATERAL (SELECT NULL::text AS legacy_id, NULL::text AS kind) q ON true"
            )
        return self._move(
            delete,
            kind=sql.SQL(
                "CASE WHEN q.kind IS NULL THEN 'orphan' WHEN q.kind = {other} "
                "THEN 'other_users_parent' ELSE 'depends_on_quarantined' END"
            ).format(other=sql.Literal(OTHER_OWNER)),
            column=sql.Literal(self.d1_of.get(named, named)),
            detail=sql.Literal(""),  # written up with the D1 value (quarantine_writeup)
            related_table=sql.Literal(fk.parent),
            related_id=sql.SQL("q.legacy_id"),
            related_kind=sql.SQL("NULLIF(q.kind, {})").format(sql.Literal(OTHER_OWNER)),
            joins=joins,
        )
