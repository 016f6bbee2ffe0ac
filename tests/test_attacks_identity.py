"""Attacks by an app with SQL injection: whatever ``ignition_app`` can do, an attacker can.

The attacker logs in as a real LOGIN role granted ``ignition_app`` (made for this run, dropped
at the end), the way the app does, so connection options, SET ROLE and SET SESSION
AUTHORIZATION are tried as they would be in production; it holds user A's session token (the
request it hijacked). Each test is one attack that must fail: becoming the service or user B,
reading or planting secrets, forging sessions, large objects, erasing the audit log, a context
leaking through the connection pool, a table left without row-level security. Generated over
every user-owned table and every function that takes the user it acts for.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

import models
from models.security import AutocommitRefused, acting_as, as_service, pooled_engine
from models.sql import FUNCTIONS
from tests.acting import as_role, new_session
from tests.conftest import SERVER, scratch_database
from tests.rows import fill_every_table
from tests.support import engine_for
from tests.test_security import INSERT_ONLY_FOR_APP, USER_OWNED, key_of

# Functions whose first parameter is the user they act for: each must refuse any other user.
IDENTITY_HELPERS = {"app_user_id", "app_is_service", "app_may_act_for"}
ACTING_FUNCTIONS = sorted(
    (
        f
        for f in FUNCTIONS
        if f.parameters[:1] == ("p_user_id uuid",) and f.name not in IDENTITY_HELPERS
    ),
    key=lambda f: f.name,
)
ARGUMENT_BY_TYPE = {
    "uuid": "gen_random_uuid()",
    "integer": "1",
    "text": "'x'",
    "date": "CURRENT_DATE",
    "focus_mode": "'focus'",
}
LARGE_OBJECT_CALLS = (
    "SELECT lo_from_bytea(0, 'planted')",
    "SELECT lo_create(0)",
    "SELECT lo_creat(-1)",
    "SELECT lo_import('/etc/passwd')",
    "SELECT lo_get(1)",
    "SELECT lo_unlink(1)",
)


@dataclass(frozen=True)
class World:
    owner: Engine  # the superuser test login
    a: dict[str, dict[str, Any]]
    b: dict[str, dict[str, Any]]
    token_a: str
    token_b: str
    app_url: URL  # a login granted ignition_app
    service_url: URL  # a login granted ignition_service

    @property
    def user_a(self) -> uuid.UUID:
        return uuid.UUID(str(self.a["users"]["id"]))

    @property
    def user_b(self) -> uuid.UUID:
        return uuid.UUID(str(self.b["users"]["id"]))


@contextmanager
def login_role(owner: Engine, member_of: str) -> Iterator[str]:
    """A LOGIN role for this test run, granted ``member_of``; dropped at the end."""
    name = f"ignition_test_{os.getpid()}_{secrets.token_hex(3)}_{member_of.split('_')[-1]}"
    with owner.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{name}" LOGIN IN ROLE {member_of}'))
    try:
        yield name
    finally:
        with owner.begin() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :n"),
                {"n": name},
            )
            connection.execute(text(f'DROP ROLE IF EXISTS "{name}"'))


@pytest.fixture(scope="module")
def world(pg_head_server: Any) -> Iterator[World]:
    with (
        scratch_database(f"{pg_head_server.dbname}_attacks", pg_head_server.template_dbname) as url,
        engine_for(url, service=False) as owner,
        login_role(owner, "ignition_app") as app_login,
        login_role(owner, "ignition_service") as service_login,
    ):
        with owner.begin() as connection:
            a = fill_every_table(connection, tag="a")
            b = fill_every_table(connection, tag="b")
            token_a = new_session(connection, a["users"]["id"])
            token_b = new_session(connection, b["users"]["id"])
        yield World(
            owner,
            a,
            b,
            token_a,
            token_b,
            url.set(username=app_login, password=None),
            url.set(username=service_login, password=None),
        )


@contextmanager
def attacker(
    world: World, token: str | None = None, options: str | None = None
) -> Iterator[Connection]:
    """A connection of the app login (acting for the holder of ``token``), in a transaction
    rolled back at the end."""
    connect_args = {"options": options} if options else {}
    engine = create_engine(world.app_url, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            if token is not None:
                connection.execute(
                    text("SELECT set_config('app.session_token', :t, false)"), {"t": token}
                )
            try:
                yield connection
            finally:
                connection.rollback()
    finally:
        engine.dispose()


def claim_everything(connection: Connection, world: World) -> None:
    """Every setting that once claimed service or another user (revision 0019)."""
    connection.execute(text("SELECT set_config('app.service_context', 'on', false)"))
    connection.execute(
        text("SELECT set_config('app.user_id', :b, false)"), {"b": str(world.user_b)}
    )


def fails(connection: Connection, statement: str, params: dict[str, Any] | None = None) -> str:
    """Run ``statement`` in a savepoint; return the SQLSTATE it failed with (the test fails
    if it succeeds)."""
    with pytest.raises(DBAPIError) as caught, connection.begin_nested():
        connection.execute(text(statement), params or {})
    return str(getattr(caught.value.orig, "pgcode", ""))


def rows_of_b(connection: Connection, world: World, name: str) -> int:
    table = models.Base.metadata.tables[name]
    where, key = key_of(table, world.b[name])
    return int(
        connection.execute(text(f'SELECT count(*) FROM "{name}" WHERE {where}'), key).scalar_one()
    )


# --- becoming someone else --------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "SET ROLE ignition_service",
        "SET ROLE ignition_owner",
        "SET ROLE ignition_readonly",
        "SET LOCAL ROLE ignition_service",
        "SELECT set_config('role', 'ignition_service', false)",
        "SET SESSION AUTHORIZATION ignition_service",
        f"SET SESSION AUTHORIZATION {SERVER.user}",
    ],
)
def test_the_app_cannot_take_another_role(world: World, statement: str) -> None:
    with attacker(world, world.token_a) as connection:
        assert fails(connection, statement) == "42501"
        assert connection.execute(text("SELECT current_user = session_user")).scalar_one()
        assert connection.execute(text("SELECT app_is_service()")).scalar_one() is False


def test_a_role_in_the_connection_options_is_refused(world: World) -> None:
    with (
        pytest.raises(DBAPIError, match="permission denied to set role"),
        attacker(world, options="-c role=ignition_service"),
    ):
        pass


@pytest.mark.parametrize("name", USER_OWNED)
def test_claimed_settings_show_no_row_of_another_user(world: World, name: str) -> None:
    with attacker(world, world.token_a) as connection:
        claim_everything(connection, world)
        if name in INSERT_ONLY_FOR_APP:
            assert fails(connection, f'SELECT count(*) FROM "{name}"') == "42501"
            return
        assert rows_of_b(connection, world, name) == 0


def test_settings_in_the_connection_options_claim_nothing(world: World) -> None:
    options = f"-c app.service_context=on -c app.user_id={world.user_b}"
    with attacker(world, world.token_a, options=options) as connection:
        assert (
            connection.execute(text("SELECT current_setting('app.service_context')")).scalar_one()
            == "on"
        )
        assert connection.execute(text("SELECT app_user_id()")).scalar_one() == world.user_a
        may = connection.execute(text("SELECT app_may_act_for(:b)"), {"b": world.user_b})
        assert may.scalar_one() is False
        for name in sorted(set(USER_OWNED) - INSERT_ONLY_FOR_APP):
            assert rows_of_b(connection, world, name) == 0, name


def test_without_a_token_a_user_id_setting_acts_for_nobody(world: World) -> None:
    with attacker(world) as connection:
        claim_everything(connection, world)
        assert connection.execute(text("SELECT app_user_id()")).scalar_one() is None
        assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 0


@pytest.mark.parametrize("spec", ACTING_FUNCTIONS, ids=lambda f: f.name)
def test_no_function_acts_for_another_user(world: World, spec: Any) -> None:
    arguments = [":b"] + [
        ARGUMENT_BY_TYPE[p.split()[1]] for p in spec.parameters[1:] if " DEFAULT " not in p
    ]
    call = f"SELECT {spec.name}({', '.join(arguments)})"
    with attacker(world, world.token_a) as connection:
        claim_everything(connection, world)
        assert fails(connection, call, {"b": world.user_b}) == "42501"  # not allowed / no EXECUTE
    with attacker(world) as connection:
        claim_everything(connection, world)
        assert fails(connection, call, {"b": world.user_b}) == "42501"


def test_the_acting_functions_are_all_tested(world: World) -> None:
    """Every function the app may execute is either an identity helper or acts for a user."""
    with world.owner.connect() as connection:
        executable = set(
            connection.execute(
                text(
                    "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace "
                    "AND has_function_privilege('ignition_app', p.oid, 'EXECUTE')"
                )
            ).scalars()
        )
    assert executable - IDENTITY_HELPERS <= {f.name for f in ACTING_FUNCTIONS}


def test_a_known_token_hash_is_no_token(world: World) -> None:
    with world.owner.connect() as connection:
        hash_b = connection.execute(
            text("SELECT encode(sha256(convert_to(:t, 'UTF8')), 'hex')"),
            {"t": world.token_b},
        ).scalar_one()
    with attacker(world, hash_b) as connection:
        assert connection.execute(text("SELECT app_user_id()")).scalar_one() is None


def test_an_expired_session_proves_nothing(world: World) -> None:
    token = secrets.token_urlsafe(16)
    with world.owner.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sessions (user_id, token_hash, created_at, expires_at) "
                "VALUES (:u, :h, now() - interval '2 days', now() - interval '1 day')"
            ),
            {"u": world.user_a, "h": hashlib.sha256(token.encode()).digest()},
        )
    try:
        with attacker(world, token) as connection:
            assert connection.execute(text("SELECT app_user_id()")).scalar_one() is None
    finally:
        with world.owner.begin() as connection:
            connection.execute(
                text("DELETE FROM sessions WHERE token_hash = :h"),
                {"h": hashlib.sha256(token.encode()).digest()},
            )


# --- sessions and sign-in tokens ------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT token_hash FROM sessions",
        "SELECT * FROM sessions",
        "INSERT INTO sessions (user_id, token_hash, expires_at) "
        "VALUES (:b, sha256('chosen'), now() + interval '1 year')",
        "INSERT INTO sessions (user_id, token_hash, expires_at) "
        "VALUES (:a, sha256('chosen'), now() + interval '1 year')",
        "UPDATE sessions SET user_id = :b",
        "UPDATE sessions SET expires_at = now() + interval '10 years'",
        "UPDATE sessions SET token_hash = sha256('chosen')",
        "INSERT INTO accounts (user_id, type, provider, provider_account_id) "
        "VALUES (:a, 'oauth', 'github', 'the-attackers-account')",
        "UPDATE accounts SET provider_account_id = 'the-attackers-account'",
        "INSERT INTO authenticators (credential_id, user_id, provider_account_id, "
        "credential_public_key, counter, credential_device_type, credential_backed_up) "
        "VALUES ('attackers-passkey', :a, 'x', 'key', 0, 'singleDevice', false)",
        "UPDATE authenticators SET credential_public_key = 'the-attackers-key'",
        "SELECT * FROM verification_tokens",
        "INSERT INTO verification_tokens (identifier, token_hash, expires_at) "
        "VALUES ('b@example.org', sha256('planted'), now() + interval '1 day')",
        "DELETE FROM verification_tokens",
        "SELECT query FROM pg_stat_activity",
        "SELECT pg_stat_get_backend_activity(1)",
    ],
)
def test_sessions_sign_in_methods_and_tokens_cannot_be_read_or_forged(
    world: World, statement: str
) -> None:
    with attacker(world, world.token_a) as connection:
        claim_everything(connection, world)
        code = fails(connection, statement, {"a": world.user_a, "b": world.user_b})
        assert code == "42501"


def test_the_app_keeps_what_it_needs_of_its_sessions(world: World) -> None:
    with world.owner.connect() as connection:
        sessions_of_a = connection.execute(
            text("SELECT count(*) FROM sessions WHERE user_id = :a"), {"a": world.user_a}
        ).scalar_one()
    with attacker(world, world.token_a) as connection:
        touched = connection.execute(text("UPDATE sessions SET last_active_at = now()")).rowcount
        assert touched == sessions_of_a >= 1  # A's sessions only
        assert connection.execute(text("SELECT count(id) FROM sessions")).scalar_one() == touched
        assert (
            connection.execute(
                text("DELETE FROM sessions WHERE user_id = :b"), {"b": world.user_b}
            ).rowcount
            == 0
        )


def test_sign_in_tokens_are_stored_as_their_hash_by_the_service(world: World) -> None:
    engine = pooled_engine(world.service_url, poolclass=NullPool)
    try:
        with as_service(engine) as session:
            session.execute(
                text(
                    "INSERT INTO verification_tokens (identifier, token_hash, expires_at) VALUES "
                    "('a@example.org', sha256(convert_to(:t, 'UTF8')), now() + interval '1 day')"
                ),
                {"t": "magic"},
            )
            stored = (
                session.execute(
                    text(
                        "SELECT token_hash FROM verification_tokens "
                        "WHERE identifier = 'a@example.org'"
                    )
                )
                .scalars()
                .all()
            )
            session.rollback()
    finally:
        engine.dispose()
    assert [bytes(h) for h in stored] == [hashlib.sha256(b"magic").digest()]


# --- large objects, audit log ------------------------------------------------------------------


@pytest.mark.parametrize("statement", LARGE_OBJECT_CALLS)
def test_no_large_objects(world: World, statement: str) -> None:
    with attacker(world, world.token_a) as connection:
        assert fails(connection, statement) == "42501"


def test_no_large_object_function_is_left_to_the_app(world: World) -> None:
    with world.owner.connect() as connection:
        callable_ = (
            connection.execute(
                text(
                    "SELECT p.oid::regprocedure::text FROM pg_proc p "
                    "WHERE p.pronamespace = 'pg_catalog'::regnamespace "
                    "AND (p.proname LIKE 'lo\\_%' OR p.proname IN ('loread', 'lowrite')) "
                    "AND has_function_privilege('ignition_app', p.oid, 'EXECUTE')"
                )
            )
            .scalars()
            .all()
        )
    assert callable_ == []


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM audit_log",
        "UPDATE audit_log SET action = 'nothing happened'",
        "SELECT * FROM audit_log",
        "TRUNCATE audit_log",
        "INSERT INTO audit_log (user_id, action) VALUES (:b, 'b did it')",
    ],
)
def test_the_audit_log_is_insert_only(world: World, statement: str) -> None:
    with attacker(world, world.token_a) as connection:
        claim_everything(connection, world)
        assert fails(connection, statement, {"b": world.user_b}) == "42501"


def test_the_app_writes_audit_rows_for_its_user(world: World) -> None:
    with attacker(world, world.token_a) as connection:
        connection.execute(
            text("INSERT INTO audit_log (id, user_id, action) VALUES (gen_random_uuid(), :a, 'x')"),
            {"a": world.user_a},
        )
        connection.execute(
            text("INSERT INTO audit_log (action) VALUES ('anonymous sign-in attempt')")
        )


# --- the connection pool ----------------------------------------------------------------------


def _leak_then_look(engine: Engine, world: World) -> tuple[int, int, str | None, int]:
    with engine.connect() as connection:
        first = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        # injected at session level, not LOCAL: it would outlive the request
        connection.execute(
            text("SELECT set_config('app.session_token', :t, false)"), {"t": world.token_a}
        )
        connection.commit()
    with engine.connect() as connection:
        second = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        left = connection.execute(
            text("SELECT current_setting('app.session_token', true)")
        ).scalar_one()
        visible = connection.execute(text("SELECT count(*) FROM users")).scalar_one()
        connection.rollback()
    return first, second, left or None, int(visible)


def test_the_pooled_engine_leaks_nothing_to_the_next_checkout(world: World) -> None:
    engine = pooled_engine(world.app_url, pool_size=1, max_overflow=0)
    try:
        first, second, left, visible = _leak_then_look(engine, world)
        assert first == second  # the same pooled connection
        assert (left, visible) == (None, 0)
        with acting_as(engine, world.token_b) as session:
            assert session.scalars(text("SELECT id FROM users")).all() == [world.user_b]
    finally:
        engine.dispose()


def test_a_plain_engine_would_leak(world: World) -> None:
    """The control: without the reset, the next checkout acts for A."""
    engine = create_engine(world.app_url, pool_size=1, max_overflow=0)
    try:
        first, second, left, visible = _leak_then_look(engine, world)
    finally:
        engine.dispose()
    assert first == second
    assert (left, visible) == (world.token_a, 1)


def test_the_helpers_refuse_autocommit(world: World) -> None:
    engine = pooled_engine(world.app_url, poolclass=NullPool)
    try:
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        with acting_as(autocommit, world.token_a) as session, pytest.raises(AutocommitRefused):
            session.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def test_the_helpers_set_the_context_in_every_transaction(world: World) -> None:
    app = pooled_engine(world.app_url, pool_size=1, max_overflow=0)
    service = pooled_engine(world.service_url, pool_size=1, max_overflow=0)
    try:
        with acting_as(app, world.token_a) as session:
            assert session.scalars(text("SELECT id FROM users")).all() == [world.user_a]
            session.commit()
            assert session.scalars(text("SELECT id FROM users")).all() == [world.user_a]
        with as_service(service) as session:
            assert session.scalar(text("SELECT count(*) FROM users")) == 2
            assert session.scalar(text("SELECT app_user_id()")) is None
        with as_service(app) as session, pytest.raises(DBAPIError, match="permission denied"):
            session.execute(text("SELECT 1"))
    finally:
        app.dispose()
        service.dispose()


# --- the owner and new tables -------------------------------------------------------------------


def test_definer_functions_run_as_an_owner_without_superuser_or_bypassrls(world: World) -> None:
    with world.owner.connect() as connection:
        owners = connection.execute(
            text(
                "SELECT DISTINCT r.rolname, r.rolsuper, r.rolbypassrls, r.rolcanlogin "
                "FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner "
                "WHERE p.pronamespace = 'public'::regnamespace"
            )
        ).all()
        tables = (
            connection.execute(
                text(
                    "SELECT DISTINCT relowner::regrole::text FROM pg_class "
                    "WHERE relnamespace = 'public'::regnamespace"
                )
            )
            .scalars()
            .all()
        )
    assert [tuple(o) for o in owners] == [("ignition_owner", False, False, False)]
    assert tables == ["ignition_owner"]


def test_a_definer_function_that_forgets_the_user_still_sees_only_the_acting_users_rows(
    world: World,
) -> None:
    """FORCE ROW LEVEL SECURITY: the owner is bound by the policies too."""
    with world.owner.connect() as connection:
        connection.execute(
            text(
                "CREATE FUNCTION leaky_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER "
                "SET search_path = public, pg_temp AS $$SELECT count(*) FROM journal_entries$$"
            )
        )
        connection.execute(text("ALTER FUNCTION leaky_count() OWNER TO ignition_owner"))
        connection.execute(text("GRANT EXECUTE ON FUNCTION leaky_count() TO ignition_app"))
        connection.execute(
            text("SELECT set_config('app.session_token', :t, true)"), {"t": world.token_a}
        )
        connection.execute(text("SET LOCAL SESSION AUTHORIZATION ignition_app"))
        assert connection.execute(text("SELECT leaky_count()")).scalar_one() == 1
        connection.rollback()


def test_a_new_table_in_public_gets_row_level_security_and_keeps_it(world: World) -> None:
    with world.owner.connect() as connection:
        connection.execute(text("SET LOCAL ROLE ignition_owner"))
        connection.execute(text("CREATE TABLE forgotten (id integer, user_id uuid)"))
        connection.execute(text("CREATE TABLE copied AS SELECT * FROM journal_entries"))
        secured = connection.execute(
            text(
                "SELECT relname, relrowsecurity FROM pg_class "
                "WHERE relname IN ('forgotten', 'copied') ORDER BY 1"
            )
        ).all()
        assert [tuple(r) for r in secured] == [("copied", True), ("forgotten", True)]
        with (
            pytest.raises(DBAPIError, match="must keep row-level security"),
            connection.begin_nested(),
        ):
            connection.execute(text("ALTER TABLE forgotten DISABLE ROW LEVEL SECURITY"))
        connection.execute(text("RESET ROLE"))
        with (
            pytest.raises(DBAPIError, match="must keep row-level security"),
            connection.begin_nested(),
        ):
            connection.execute(text("ALTER TABLE users DISABLE ROW LEVEL SECURITY"))
        connection.rollback()


def test_every_table_in_public_has_row_level_security(world: World) -> None:
    with world.owner.connect() as connection:
        open_tables = (
            connection.execute(
                text(
                    "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                    "AND relkind IN ('r', 'p') AND NOT relrowsecurity "
                    "AND relname <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
    assert open_tables == []


def test_the_service_login_acts_for_anyone_but_is_no_owner(world: World) -> None:
    engine = create_engine(world.service_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT app_is_service()")).scalar_one() is True
            entry = connection.execute(
                text("SELECT * FROM award_xp(:b, 1, 'service bonus')"), {"b": world.user_b}
            ).one()
            assert entry.xp == 1
            assert fails(connection, "SET ROLE ignition_owner") == "42501"
            assert fails(connection, "ALTER TABLE users ADD COLUMN x integer") == "42501"
            connection.rollback()
    finally:
        engine.dispose()


def test_as_role_acts_like_a_login_of_the_role(world: World) -> None:
    """The test helper every test uses behaves as the real app login does."""
    with as_role(world.owner, "ignition_app", world.user_a) as connection:
        assert connection.execute(text("SELECT app_user_id()")).scalar_one() == world.user_a
        assert connection.execute(text("SELECT app_is_service()")).scalar_one() is False
        assert fails(connection, "SET ROLE ignition_service") == "42501"
