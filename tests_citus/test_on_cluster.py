"""The schema at head, distributed, used as the app uses it: row-level security, the money and
progress functions and the attacks of ``tests/test_attacks_minting.py``, and the D1 import.

How the app acts differs on Citus, and so do these tests (docs/distribution.md):

- The app is a LOGIN role granted ``ignition_app`` (made for this run), never ``SET ROLE`` /
  ``SET SESSION AUTHORIZATION`` to the NOLOGIN role: Citus opens its connections to the
  workers as the current user, and a NOLOGIN role cannot log in there.
- The session token is given with ``SET LOCAL app.session_token`` in the transaction:
  ``citus.propagate_set_commands = 'local'`` (set by distribute) sends SET LOCAL statements to
  the workers, but neither ``set_config()`` nor a session-level SET (what
  ``tests/acting.py::as_role`` does). So ``as_role`` is replaced here by ``as_login``.
- What the setup writes is committed (the session of the acting user too): on Citus a
  transaction cannot read as one user what it wrote as another ("cannot perform query on
  placements that were modified in this transaction by a different user"). The attacks that
  mix the app's own reads or writes with a SECURITY DEFINER function in one transaction run
  as ``*_committing`` variants that commit between the steps (``WRITES_THEN_CALLS``).
- The D1 import runs as the cut-over does: into the coordinator's tables before they are
  distributed; the import refuses an already distributed target.

Reused: the attacks of ``tests/test_attacks_minting.py`` that run on its ``shared`` world (each
rolls back), with ``as_login`` in place of ``as_role``; its world builder; ``tests.rows`` (a
row in every table) and ``tests.test_security``'s list of user-owned tables; the D1 import
scenario of ``tests/test_d1import.py``. Not reused: the attacks that need a database of their
own per test (``world`` in test_attacks_minting: their setup commits, and a distributed database
per test costs a minute), and ``tests/test_attacks_identity.py``, whose attacker presents the
token with a session-level ``set_config`` that Citus does not send to the workers (its
"another user sees nothing" tests would pass for that reason alone).
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

import models
from dbtools.citus import distribute
from dbtools.distribution import DESIGN, Kind
from models.security import acting_as, as_service, set_session_token_sql
from tests import test_attacks_minting as minting
from tests.acting import new_session
from tests.factories import call, ledger_totals, make_user
from tests.rows import fill_every_table
from tests.support import engine_for, run_alembic
from tests.test_security import INSERT_ONLY_FOR_APP, USER_OWNED, key_of
from tests_citus.cluster import Cluster, citus_database, prepare_roles
from tests_citus.conftest import RUN_ID, Distributed

ROLES = ("ignition_app", "ignition_service")


@pytest.fixture(scope="module")
def logins(distributed: Distributed) -> Iterator[dict[str, str]]:
    """A LOGIN role granted each of ``ROLES``, for this run; dropped at the end."""
    names = {role: f"ignition_citus_{RUN_ID}_{role.split('_')[-1]}" for role in ROLES}
    with engine_for(distributed.url) as owner:
        with owner.begin() as connection:
            for role, name in names.items():
                connection.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
                connection.execute(text(f'CREATE ROLE "{name}" LOGIN IN ROLE {role}'))
        try:
            yield names
        finally:
            with owner.begin() as connection:
                for name in names.values():
                    connection.execute(text(f'DROP ROLE IF EXISTS "{name}"'))


@contextmanager
def as_login(url: URL, login: str, token: str | None = None) -> Iterator[Connection]:
    """A connection of ``login`` in one transaction (rolled back at the end), presenting
    ``token`` with SET LOCAL when given."""
    engine = create_engine(url.set(username=login, password=None), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if token is not None:
                connection.execute(text(set_session_token_sql(token)))
            try:
                yield connection
            finally:
                connection.rollback()
    finally:
        engine.dispose()


def committed_session(owner: Engine, user: uuid.UUID) -> str:
    with owner.begin() as connection:
        return new_session(connection, user)


# --- row-level security over every user-owned table ----------------------------------------------


@pytest.fixture(scope="module")
def two_users(distributed: Distributed) -> tuple[dict[str, Any], dict[str, Any]]:
    with engine_for(distributed.url) as owner, owner.begin() as connection:
        a = fill_every_table(connection, tag=f"a{RUN_ID}")
        b = fill_every_table(connection, tag=f"b{RUN_ID}")
    return a, b


def visible(connection: Connection, name: str, row: dict[str, Any]) -> int:
    """How many rows with ``row``'s key the connection sees, by the key columns the app may
    read (``sessions``: not its token hash)."""
    table = models.Base.metadata.tables[name]
    _, key = key_of(table, row)
    readable = [
        column
        for column in key
        if connection.execute(
            text("SELECT has_column_privilege('ignition_app', :t, :c, 'SELECT')"),
            {"t": name, "c": column},
        ).scalar_one()
    ]
    if not readable:
        pytest.fail(f"ignition_app may read no key column of {name}")
    where = " AND ".join(f'"{column}" = :{column}' for column in readable)
    return int(
        connection.execute(
            text(f'SELECT count(*) FROM "{name}" WHERE {where}'),
            {column: key[column] for column in readable},
        ).scalar_one()
    )


@pytest.mark.parametrize("name", sorted(set(USER_OWNED) - INSERT_ONLY_FOR_APP))
def test_the_app_sees_its_users_rows_and_no_other(
    distributed: Distributed,
    logins: dict[str, str],
    two_users: tuple[dict[str, Any], dict[str, Any]],
    name: str,
) -> None:
    a, b = two_users
    with engine_for(distributed.url) as owner:
        token = committed_session(owner, uuid.UUID(str(a["users"]["id"])))
    with as_login(distributed.url, logins["ignition_app"], token) as connection:
        assert visible(connection, name, a[name]) == 1
        assert visible(connection, name, b[name]) == 0
    with as_login(distributed.url, logins["ignition_app"]) as connection:
        assert visible(connection, name, a[name]) == 0  # no token: nobody


def test_the_service_login_sees_every_user(
    distributed: Distributed,
    logins: dict[str, str],
    two_users: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    a, b = two_users
    with as_login(distributed.url, logins["ignition_service"]) as connection:
        assert connection.execute(text("SELECT app_is_service()")).scalar_one() is True
        for name in ("habits", "points_ledger", "user_wallet", "journal_entries"):
            assert visible(connection, name, a[name]) == visible(connection, name, b[name]) == 1


def test_the_apps_helpers_act_on_the_cluster(
    distributed: Distributed,
    logins: dict[str, str],
    two_users: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    """models.security.acting_as (the token) and as_service (SET LOCAL ROLE
    ignition_service, LOGIN on the cluster) reach the shards."""
    a, b = two_users
    with engine_for(distributed.url) as owner:
        token = committed_session(owner, uuid.UUID(str(a["users"]["id"])))
    for login, expected in (("ignition_app", (1, 0)), ("ignition_service", (1, 1))):
        engine = create_engine(
            distributed.url.set(username=logins[login], password=None), poolclass=NullPool
        )
        try:
            helper = acting_as(engine, token) if login == "ignition_app" else as_service(engine)
            with helper as session:
                seen = tuple(
                    visible(session.connection(), "habits", rows["habits"]) for rows in (a, b)
                )
                session.rollback()
        finally:
            engine.dispose()
        assert seen == expected, login


# --- the money and progress functions, and the attacks on them -----------------------------------


@pytest.fixture(scope="module")
def shared(distributed: Distributed) -> Iterator[minting.World]:
    """test_attacks_minting's world (two funded users, a quest, a market item), committed.
    Built like ``minting.make_world`` but the users are committed before they are paid: on
    Citus the owner's award_coins may not touch shards the login wrote in its transaction."""
    with engine_for(distributed.url) as owner, engine_for(distributed.url, service=False) as app:
        with owner.begin() as connection:
            a, b = make_user(connection), make_user(connection)
            quest = connection.execute(
                text(
                    "INSERT INTO universal_quests (title, target, xp_reward, coin_reward) "
                    "VALUES ('Focus Hat Trick', 3, 50, 20) RETURNING id"
                )
            ).scalar_one()
            item = connection.execute(
                text(
                    "INSERT INTO market_items (key, name, category, cost_coins) "
                    "VALUES (:key, 'Theme', 'treats', 10) RETURNING id"
                ),
                {"key": f"theme-{RUN_ID}"},
            ).scalar_one()
        with owner.begin() as connection:
            for user in (a, b):
                connection.execute(
                    text("SELECT award_coins(:u, 100, 'start', 'start')"), {"u": user}
                )
        yield minting.World(owner, app, a, b, quest, item)


@pytest.fixture(autouse=True)
def _act_as_a_login(
    monkeypatch: pytest.MonkeyPatch, distributed: Distributed, logins: dict[str, str]
) -> None:
    """``as_role`` of the reused attack tests, the Citus way (see the module's docstring)."""

    @contextmanager
    def as_role(engine: Engine, role: str, user: uuid.UUID | None = None) -> Iterator[Connection]:
        token = None
        if user is not None:
            with engine_for(distributed.url) as owner:
                token = committed_session(owner, user)
        with as_login(distributed.url, logins[role], token) as connection:
            yield connection

    monkeypatch.setattr(minting, "as_role", as_role)


# The attacks whose transaction mixes the app's own writes or reads of a user's rows with a
# money or progress function on the same rows: on Citus the SECURITY DEFINER function (the
# owner) and the login use different connections to the shard, and Citus refuses the second
# ("cannot perform query on placements that were modified in this transaction by a different
# user"). The app must commit in between there (README); the variants below do, and prove the
# same limits.
WRITES_THEN_CALLS = {
    "test_completing_before_the_time_has_run_pays_nothing",
    "test_habit_target_cannot_be_raised_mid_way",
    "test_habit_farming_pays_at_most_the_daily_cap",
    "test_quest_progress_takes_one_step_per_call_and_pays_once",
}

# Every other attack of test_attacks_minting on its shared world runs here, on the cluster.
for _name, _test in list(vars(minting).items()):
    if (
        _name.startswith("test_")
        and _name not in WRITES_THEN_CALLS
        and "shared" in inspect.signature(_test).parameters
    ):
        globals()[_name] = _test


@contextmanager
def committing(distributed: Distributed, login: str, token: str) -> Iterator[Connection]:
    """One transaction of the app's login, committed at the end."""
    with as_login(distributed.url, login, token) as connection:
        yield connection
        connection.commit()


def fresh_user(distributed: Distributed) -> tuple[uuid.UUID, str]:
    """A committed user with a committed session: (id, token). Its own, because the variants
    commit what they pay."""
    with engine_for(distributed.url) as owner:
        with owner.begin() as connection:
            user: uuid.UUID = make_user(connection)
        return user, committed_session(owner, user)


def _totals(distributed: Distributed, login: str, token: str, user: uuid.UUID) -> Any:
    with as_login(distributed.url, login, token) as connection:
        return ledger_totals(connection, user)


def _new_habit(
    distributed: Distributed, login: str, token: str, user: uuid.UUID, target: int
) -> uuid.UUID:
    with committing(distributed, login, token) as connection:
        return minting.new_habit(connection, user, target)


@pytest.mark.parametrize("how", ["huge target", "many habits", "delete and recreate"])
def test_habit_farming_pays_at_most_the_daily_cap_committing(
    distributed: Distributed, logins: dict[str, str], how: str
) -> None:
    """test_habit_farming_pays_at_most_the_daily_cap, each step committed."""
    app = logins["ignition_app"]
    user, token = fresh_user(distributed)
    before = _totals(distributed, app, token, user)
    tries = minting.HABIT_PAY_PER_DAY + 10
    if how == "huge target":
        habit = _new_habit(distributed, app, token, user, 1000000)
        with committing(distributed, app, token) as connection:
            for _ in range(tries):
                call(connection, "SELECT * FROM complete_habit(:u, :h)", u=user, h=habit)
    elif how == "many habits":
        habits = [_new_habit(distributed, app, token, user, 1) for _ in range(tries)]
        with committing(distributed, app, token) as connection:
            for habit in habits:
                call(connection, "SELECT * FROM complete_habit(:u, :h)", u=user, h=habit)
    else:
        for _ in range(tries):
            habit = _new_habit(distributed, app, token, user, 1)
            with committing(distributed, app, token) as connection:
                call(connection, "SELECT * FROM complete_habit(:u, :h)", u=user, h=habit)
            with committing(distributed, app, token) as connection:
                connection.execute(text("DELETE FROM habits WHERE id = :h"), {"h": habit})
    after = _totals(distributed, app, token, user)
    assert after[2] - before[2] == minting.HABIT_PAY_PER_DAY * 5
    assert after[1] == before[1]


def test_habit_target_cannot_be_raised_mid_way_committing(
    distributed: Distributed, logins: dict[str, str]
) -> None:
    app = logins["ignition_app"]
    user, token = fresh_user(distributed)
    habit = _new_habit(distributed, app, token, user, 1)
    with committing(distributed, app, token) as connection:
        call(connection, "SELECT * FROM complete_habit(:u, :h)", u=user, h=habit)
    with (
        as_login(distributed.url, app, token) as connection,
        pytest.raises(DBAPIError, match="permission denied for table habits"),
    ):
        connection.execute(
            text("UPDATE habits SET target_count = 1000000 WHERE id = :h"), {"h": habit}
        )
    with committing(distributed, app, token) as connection:
        renamed = connection.execute(
            text("UPDATE habits SET name = 'Stretch', is_active = false WHERE id = :h"),
            {"h": habit},
        )
        assert renamed.rowcount == 1


def test_completing_before_the_time_has_run_pays_nothing_committing(
    distributed: Distributed, logins: dict[str, str]
) -> None:
    app = logins["ignition_app"]
    user, token = fresh_user(distributed)
    before = _totals(distributed, app, token, user)
    with committing(distributed, app, token) as connection:
        session = call(connection, "SELECT * FROM start_focus_session(:u, 14400)", u=user)
        for step in ("pause", "resume"):
            call(connection, f"SELECT * FROM {step}_focus_session(:u, :s)", u=user, s=session["id"])
    with (
        as_login(distributed.url, app, token) as connection,
        pytest.raises(DBAPIError, match="has not run yet"),
    ):
        connection.execute(
            text("SELECT complete_focus_session(:u, :s)"), {"u": user, "s": session["id"]}
        )
    assert _totals(distributed, app, token, user) == before


def test_a_game_action_pays_once_and_reads_back_in_the_next_transaction(
    distributed: Distributed, logins: dict[str, str], shared: minting.World
) -> None:
    """purchase_item spends on the user's node and reads back in the next transaction;
    another user's purchase is refused."""
    with engine_for(distributed.url) as owner:
        with owner.begin() as connection:
            buyer = make_user(connection)
        with owner.begin() as connection:
            connection.execute(text("SELECT award_coins(:u, 25, 'start', 'start')"), {"u": buyer})
        token = committed_session(owner, buyer)
    url, app = distributed.url, logins["ignition_app"]
    with as_login(url, app, token) as connection:
        bought = (
            connection.execute(
                text("SELECT * FROM purchase_item(:u, :i)"), {"u": buyer, "i": shared.item}
            )
            .mappings()
            .one()
        )
        assert bought["user_id"] == buyer
        connection.commit()
    with as_login(url, app, token) as connection:
        coins = connection.execute(
            text("SELECT coins FROM user_wallet WHERE user_id = :u"), {"u": buyer}
        ).scalar_one()
        assert coins == 15
    with (
        as_login(url, app, token) as connection,
        pytest.raises(DBAPIError, match="not allowed to act for user"),
    ):
        connection.execute(
            text("SELECT * FROM purchase_item(:u, :i)"), {"u": shared.b, "i": shared.item}
        )


# --- the D1 import ------------------------------------------------------------------------------


def _row_counts(url: URL) -> dict[str, int]:
    with engine_for(url) as engine, engine.connect() as connection:
        tables = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        ).scalars()
        return {
            t: connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables
        }


def test_the_cut_over_imports_then_distributes(tmp_path: Path, cluster: Cluster) -> None:
    """Head and the seeds on the coordinator, the D1 import into its still-local tables, then
    distribute: every row moves to its shards, and the import's verification says the same
    after the distribution as the run said before it."""
    import psycopg

    from d1import.run import conninfo
    from d1import.verify import verify
    from seeds.loader import load as load_seeds
    from tests.test_d1import import run, scenario, url_text

    prepare_roles(cluster)
    with citus_database(cluster, f"ignition_citus_{RUN_ID}_cutover") as url:
        run_alembic(url, "upgrade", "head")
        with engine_for(url) as engine, engine.begin() as connection:
            load_seeds(connection)
        result = run(scenario(tmp_path / "d1.sqlite"), url)
        assert result.conserved
        assert result.tables["users"].loaded_rows >= 2
        assert all(c["match"] for c in result.checks["checksums"].values())
        before = _row_counts(url)
        with engine_for(url) as engine, engine.connect() as connection:
            plan = distribute(connection, say=lambda _: None)
        assert plan.problems == [], plan.problems
        assert _row_counts(url) == before
        with engine_for(url) as engine, engine.connect() as connection:
            placed = connection.execute(text("SELECT count(*) FROM pg_dist_partition")).scalar()
        assert placed == sum(1 for p in DESIGN.values() if p.kind != Kind.LOCAL)
        with psycopg.connect(conninfo(url_text(url))) as connection:
            again = verify(connection, result.sha256, result.tables)
        for check in ("row_counts", "wallet_ledger_mismatches", "target_only"):
            assert again[check] == result.checks[check], check
        assert again["target_only"]["user_emails"]["match"]


def test_the_import_refuses_a_distributed_target(tmp_path: Path, distributed_empty: URL) -> None:
    from d1import.run import ImportRefused
    from tests.test_d1import import run, scenario

    with pytest.raises(ImportRefused, match=r"already placed by Citus .* before distributing"):
        run(scenario(tmp_path / "d1.sqlite"), distributed_empty)
    assert _row_counts(distributed_empty)["users"] == 0


def test_quest_progress_takes_one_step_per_call_and_pays_once_committing(
    distributed: Distributed, logins: dict[str, str], shared: minting.World
) -> None:
    app = logins["ignition_app"]
    user, token = fresh_user(distributed)
    quest = shared.quest
    before = _totals(distributed, app, token, user)
    with committing(distributed, app, token) as connection:
        call(connection, "SELECT * FROM accept_universal_quest(:u, :q)", u=user, q=quest)
    with (
        as_login(distributed.url, app, token) as connection,
        pytest.raises(DBAPIError, match="not completed yet"),
    ):
        connection.execute(text("SELECT claim_quest_rewards(:u, :q)"), {"u": user, "q": quest})
    with committing(distributed, app, token) as connection:
        steps = [
            call(connection, "SELECT * FROM advance_quest(:u, :q)", u=user, q=quest)["progress"]
            for _ in range(10)
        ]
    assert steps == [1, 2, 3] + [3] * 7
    with committing(distributed, app, token) as connection:
        call(connection, "SELECT * FROM claim_quest_rewards(:u, :q)", u=user, q=quest)
    with (
        as_login(distributed.url, app, token) as connection,
        pytest.raises(DBAPIError, match="already claimed"),
    ):
        connection.execute(text("SELECT claim_quest_rewards(:u, :q)"), {"u": user, "q": quest})
    after = _totals(distributed, app, token, user)
    assert (after[1] - before[1], after[2] - before[2]) == (20, 50)
