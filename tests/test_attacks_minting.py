"""Attacks on money and progress by an app with SQL injection: whatever ``ignition_app`` can do
acting for a user, an attacker can. Each attack of issue 14 ("No minting", "Idempotency keys")
is reproduced here on real connections, and must now fail to pay.

The functions are not a hand list: every function ``ignition_app`` may execute (pg_proc and
has_function_privilege) is called with out-of-range arguments, and for another user.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from tests.acting import as_role
from tests.conftest import scratch_database
from tests.factories import call, ledger_totals, make_user
from tests.support import engine_for

APP = "ignition_app"
RAW_MOVERS = {"award_xp", "award_coins", "spend_coins", "update_streak", "update_quest_progress"}
# Money and progress: the app reads them, only the functions write them.
READ_ONLY = [
    "points_ledger",
    "user_wallet",
    "user_progress",
    "user_streaks",
    "user_quest_progress",
    "user_purchases",
    "user_skills",
    "user_achievements",
    "focus_sessions",
    "focus_pause_state",
    "habit_logs",
]
MAX_FOCUS_SECONDS = 14400
HABIT_PAY_PER_DAY = 20
INT_MAX = 2147483647


def sqlstate(exc: pytest.ExceptionInfo[DBAPIError]) -> str | None:
    return getattr(exc.value.orig, "pgcode", None)


@dataclass
class World:
    """Two users, A (the attacker's own account) and B, and what the game gives them; the
    owner's engine (service context) and the app's (``as_role`` acts on it)."""

    owner: Engine
    app: Engine
    a: uuid.UUID
    b: uuid.UUID
    quest: uuid.UUID
    item: uuid.UUID


def make_world(url: URL) -> Iterator[World]:
    """Written as the owner, in service context, and committed."""
    with engine_for(url) as owner, engine_for(url, service=False) as app:
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
                    "VALUES ('theme', 'Theme', 'treats', 10) RETURNING id"
                )
            ).scalar_one()
            for user in (a, b):
                connection.execute(
                    text("SELECT award_coins(:u, 100, 'start', 'start')"), {"u": user}
                )
        yield World(owner, app, a, b, quest, item)


@pytest.fixture(scope="module")
def shared(pg_head_server: Any) -> Iterator[World]:
    """One database for the tests that only act as the app: ``as_role`` rolls each back."""
    with scratch_database(
        f"{pg_head_server.dbname}_minting", pg_head_server.template_dbname
    ) as url:
        yield from make_world(url)


@pytest.fixture
def world(head_db: URL) -> Iterator[World]:
    """A database of its own, for tests whose setup commits (a session that has run)."""
    yield from make_world(head_db)


def owner_session(owner: Engine, user: uuid.UUID, seconds: int, *, run_out: bool) -> uuid.UUID:
    """A focus session started by the game; ``run_out`` backdates it so its time has run."""
    with owner.begin() as connection:
        session: uuid.UUID = call(
            connection, "SELECT * FROM start_focus_session(:u, :d)", u=user, d=seconds
        )["id"]
        if run_out:
            connection.execute(
                text(
                    "UPDATE focus_sessions SET started_at = started_at - make_interval(secs => "
                    "duration), expires_at = expires_at - make_interval(secs => duration) "
                    "WHERE id = :s"
                ),
                {"s": session},
            )
    return session


# --- generated over every function the app may execute ---------------------------------------


@dataclass(frozen=True)
class AppFunction:
    name: str
    signature: str
    arguments: tuple[tuple[str, str], ...]  # (name, type)
    volatile: bool  # may write; STABLE/IMMUTABLE ones (app_may_act_for, ...) only read

    def call_sql(self) -> str:
        casts = ", ".join(f"CAST(:a{i} AS {t})" for i, (_, t) in enumerate(self.arguments))
        return f"SELECT {self.name}({casts})"


def app_functions(connection: Connection) -> list[AppFunction]:
    rows = connection.execute(
        text(
            """
            SELECT p.proname, p.oid::regprocedure::text,
                   ARRAY(SELECT COALESCE(p.proargnames[u.n], '$' || u.n)
                         FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(t, n)
                         ORDER BY u.n),
                   ARRAY(SELECT format_type(t, NULL)
                         FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(t, n)
                         ORDER BY n),
                   p.provolatile = 'v'
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public' AND has_function_privilege(:role, p.oid, 'EXECUTE')
            ORDER BY 2
            """
        ),
        {"role": APP},
    ).all()
    return [
        AppFunction(name, signature, tuple(zip(names, types, strict=True)), volatile)
        for name, signature, names, types, volatile in rows
    ]


def neutral_value(connection: Connection, type_: str) -> Any:
    """A harmless value of ``type_``: ids that name nothing, a plausible number."""
    simple: dict[str, Any] = {
        "uuid": uuid.uuid4(),
        "integer": 1500,
        "bigint": 1500,
        "text": "x",
        "date": date.today(),
        "boolean": False,
    }
    if type_ in simple:
        return simple[type_]
    return connection.execute(
        text(
            "SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = CAST(:t AS regtype) "
            "ORDER BY e.enumsortorder LIMIT 1"
        ),
        {"t": type_},
    ).scalar()


HOSTILE: dict[str, list[Any]] = {
    "integer": [None, -1, 0, INT_MAX, -INT_MAX - 1, MAX_FOCUS_SECONDS + 1],
    "bigint": [None, -1, 0, 2**63 - 1],
    "uuid": [None, uuid.UUID(int=0)],
    "text": [None, "", "x" * 10000, "focus_session/00000000-0000-0000-0000-000000000000/xp"],
    "date": [None, date(9999, 12, 31), date.today() + timedelta(days=365)],
}


def attempt(connection: Connection, sql: str, params: dict[str, Any]) -> DBAPIError | None:
    try:
        with connection.begin_nested():
            connection.execute(text(sql), params)
    except DBAPIError as exc:
        return exc
    return None


def test_the_app_executes_game_actions_and_no_raw_mover(shared: World) -> None:
    with as_role(shared.app, APP, shared.a) as connection:
        names = {f.name for f in app_functions(connection)}
    assert not names & RAW_MOVERS
    assert {
        "start_focus_session",
        "complete_focus_session",
        "complete_habit",
        "claim_quest_rewards",
        "purchase_item",
        "advance_quest",
    } <= names


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT award_xp(CAST(:u AS uuid), 1000000, 'x')",
        "SELECT award_coins(CAST(:u AS uuid), 2147483546, 'x')",
        "SELECT spend_coins(CAST(:u AS uuid), 1, 'x')",
        "SELECT update_streak(CAST(:u AS uuid), 'focus', CURRENT_DATE + 1)",
        "SELECT update_quest_progress(CAST(:u AS uuid), gen_random_uuid(), 1000000)",
    ],
    ids=sorted(RAW_MOVERS),
)
def test_raw_movers_are_not_executable(shared: World, sql: str) -> None:
    with (
        as_role(shared.app, APP, shared.a) as connection,
        pytest.raises(DBAPIError, match="permission denied for function") as exc,
    ):
        connection.execute(text(sql), {"u": shared.a})
    assert sqlstate(exc) == "42501"


def test_every_app_function_refuses_to_act_for_another_user(shared: World) -> None:
    allowed, checked = [], 0
    with as_role(shared.app, APP, shared.a) as connection:
        for function in app_functions(connection):
            if not function.volatile or "p_user_id" not in dict(function.arguments):
                continue
            params = {
                f"a{i}": shared.b if n == "p_user_id" else neutral_value(connection, t)
                for i, (n, t) in enumerate(function.arguments)
            }
            error = attempt(connection, function.call_sql(), params)
            checked += 1
            if error is None or getattr(error.orig, "pgcode", None) != "42501":
                allowed.append(f"{function.signature}: {error}")
    assert checked >= 8
    assert not allowed, allowed


def test_every_app_function_pays_nothing_for_out_of_range_arguments(shared: World) -> None:
    """One argument at a time takes each hostile value of its type (NULL, negative, zero,
    2147483647, far-future dates, huge text); the others are harmless. Nothing may pay, and
    no focus session longer than the bound may start."""
    paid, tried = [], 0
    with as_role(shared.app, APP, shared.a) as connection:
        before = ledger_totals(connection, shared.a)
        for function in app_functions(connection):
            for position, (name, type_) in enumerate(function.arguments):
                values = [shared.b] if name == "p_user_id" else HOSTILE.get(type_, [None])
                for value in values:
                    params = {
                        f"a{i}": shared.a if n == "p_user_id" else neutral_value(connection, t)
                        for i, (n, t) in enumerate(function.arguments)
                    }
                    params[f"a{position}"] = value
                    attempt(connection, function.call_sql(), params)
                    tried += 1
                    if ledger_totals(connection, shared.a) != before:
                        paid.append(f"{function.signature} with {name} = {value!r:.40}")
                        before = ledger_totals(connection, shared.a)
        longest = connection.execute(
            text("SELECT max(duration) FROM focus_sessions WHERE user_id = :u"), {"u": shared.a}
        ).scalar()
    assert tried > 30
    assert not paid, paid
    assert longest is None or longest <= MAX_FOCUS_SECONDS


# --- focus --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [None, -1, 0, 59, MAX_FOCUS_SECONDS + 1, INT_MAX])
def test_focus_duration_is_bounded(shared: World, seconds: int | None) -> None:
    with (
        as_role(shared.app, APP, shared.a) as connection,
        pytest.raises(DBAPIError, match="duration must be 60 to 14400 seconds") as exc,
    ):
        connection.execute(
            text("SELECT start_focus_session(:u, CAST(:d AS integer))"),
            {"u": shared.a, "d": seconds},
        )
    assert sqlstate(exc) == "22023"


def test_completing_before_the_time_has_run_pays_nothing(shared: World) -> None:
    with as_role(shared.app, APP, shared.a) as connection:
        before = ledger_totals(connection, shared.a)
        session = call(connection, "SELECT * FROM start_focus_session(:u, 14400)", u=shared.a)
        for step in ("pause", "resume"):  # pausing and resuming does not shorten it
            call(
                connection,
                f"SELECT * FROM {step}_focus_session(:u, :s)",
                u=shared.a,
                s=session["id"],
            )
        with pytest.raises(DBAPIError, match="has not run yet") as exc, connection.begin_nested():
            connection.execute(
                text("SELECT complete_focus_session(:u, :s)"), {"u": shared.a, "s": session["id"]}
            )
        assert sqlstate(exc) == "P0001"
        assert ledger_totals(connection, shared.a) == before


def test_a_paused_session_cannot_be_completed(world: World) -> None:
    session = owner_session(world.owner, world.a, 600, run_out=True)
    with as_role(world.app, APP, world.a) as connection:
        call(connection, "SELECT * FROM pause_focus_session(:u, :s)", u=world.a, s=session)
        with pytest.raises(DBAPIError, match="is paused"):
            connection.execute(
                text("SELECT complete_focus_session(:u, :s)"), {"u": world.a, "s": session}
            )


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE focus_sessions SET started_at = now() - interval '1 day'",
        "UPDATE focus_sessions SET expires_at = now() - interval '1 day'",
        "UPDATE focus_sessions SET duration = 2147483647",
        "UPDATE focus_sessions SET status = 'active'",
        "INSERT INTO focus_sessions (user_id, duration, started_at, expires_at, status) "
        "VALUES (CAST(:u AS uuid), 14400, now() - interval '1 day', now() - interval '20 hours', "
        "'active')",
        "DELETE FROM focus_pause_state",
        "INSERT INTO focus_pause_state (user_id, time_remaining, paused_at) "
        "VALUES (CAST(:u AS uuid), 0, now())",
    ],
)
def test_focus_sessions_cannot_be_backdated_or_forged(shared: World, sql: str) -> None:
    with (
        as_role(shared.app, APP, shared.a) as connection,
        pytest.raises(DBAPIError, match="permission denied"),
    ):
        connection.execute(text(sql), {"u": shared.a})


def test_a_run_session_pays_once_and_its_streak_day_is_today_in_utc(world: World) -> None:
    session = owner_session(world.owner, world.a, MAX_FOCUS_SECONDS, run_out=True)
    with as_role(world.app, APP, world.a) as connection:
        # a time zone 14 hours ahead would make CURRENT_DATE tomorrow for half the day
        connection.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
        before = ledger_totals(connection, world.a)
        for _ in range(3):
            done = call(
                connection, "SELECT * FROM complete_focus_session(:u, :s)", u=world.a, s=session
            )
        assert (done["xp_awarded"], done["coins_awarded"]) == (240, 48)
        after = ledger_totals(connection, world.a)
        assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (2, 48, 240)
        day, today = connection.execute(
            text(
                "SELECT last_activity_date, (now() AT TIME ZONE 'UTC')::date FROM user_streaks "
                "WHERE user_id = :u AND streak_type = 'focus'"
            ),
            {"u": world.a},
        ).one()
        assert day == today


# --- habits -------------------------------------------------------------------------------------


def new_habit(connection: Connection, user: uuid.UUID, target: int) -> uuid.UUID:
    habit: uuid.UUID = connection.execute(
        text(
            "INSERT INTO habits (user_id, name, target_count) VALUES (:u, 'Farm', :t) RETURNING id"
        ),
        {"u": user, "t": target},
    ).scalar_one()
    return habit


def test_habit_target_cannot_be_raised_mid_way(shared: World) -> None:
    with as_role(shared.app, APP, shared.a) as connection:
        habit = new_habit(connection, shared.a, 1)
        call(connection, "SELECT * FROM complete_habit(:u, :h)", u=shared.a, h=habit)
        with (
            pytest.raises(DBAPIError, match="permission denied for table habits"),
            connection.begin_nested(),
        ):
            connection.execute(
                text("UPDATE habits SET target_count = 1000000 WHERE id = :h"), {"h": habit}
            )
        renamed = connection.execute(
            text("UPDATE habits SET name = 'Stretch', is_active = false WHERE id = :h"),
            {"h": habit},
        )
        assert renamed.rowcount == 1  # the habit's other fields stay the user's to edit


@pytest.mark.parametrize("how", ["huge target", "many habits", "delete and recreate"])
def test_habit_farming_pays_at_most_the_daily_cap(shared: World, how: str) -> None:
    with as_role(shared.app, APP, shared.a) as connection:
        before = ledger_totals(connection, shared.a)
        if how == "huge target":
            habit = new_habit(connection, shared.a, 1000000)
            for _ in range(HABIT_PAY_PER_DAY + 10):
                call(connection, "SELECT * FROM complete_habit(:u, :h)", u=shared.a, h=habit)
        else:
            for _ in range(HABIT_PAY_PER_DAY + 10):
                habit = new_habit(connection, shared.a, 1)
                call(connection, "SELECT * FROM complete_habit(:u, :h)", u=shared.a, h=habit)
                if how == "delete and recreate":
                    connection.execute(text("DELETE FROM habits WHERE id = :h"), {"h": habit})
        after = ledger_totals(connection, shared.a)
    assert after[2] - before[2] == HABIT_PAY_PER_DAY * 5
    assert after[1] == before[1]


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM habit_logs",
        "INSERT INTO habit_logs (habit_id, user_id) SELECT id, user_id FROM habits",
        "UPDATE habit_logs SET completed_at = now() - interval '1 day'",
    ],
)
def test_habit_logs_are_written_by_the_game_only(shared: World, sql: str) -> None:
    with (
        as_role(shared.app, APP, shared.a) as connection,
        pytest.raises(DBAPIError, match="permission denied for table habit_logs"),
    ):
        connection.execute(text(sql))


# --- quests -------------------------------------------------------------------------------------


def test_quest_progress_takes_one_step_per_call_and_pays_once(shared: World) -> None:
    with as_role(shared.app, APP, shared.a) as connection:
        before = ledger_totals(connection, shared.a)
        call(connection, "SELECT * FROM accept_universal_quest(:u, :q)", u=shared.a, q=shared.quest)
        with (
            pytest.raises(DBAPIError, match="not completed yet"),
            connection.begin_nested(),
        ):
            connection.execute(
                text("SELECT claim_quest_rewards(:u, :q)"), {"u": shared.a, "q": shared.quest}
            )
        steps = [
            call(connection, "SELECT * FROM advance_quest(:u, :q)", u=shared.a, q=shared.quest)[
                "progress"
            ]
            for _ in range(10)
        ]
        assert steps == [1, 2, 3] + [3] * 7
        call(connection, "SELECT * FROM claim_quest_rewards(:u, :q)", u=shared.a, q=shared.quest)
        with pytest.raises(DBAPIError, match="already claimed"), connection.begin_nested():
            connection.execute(
                text("SELECT claim_quest_rewards(:u, :q)"), {"u": shared.a, "q": shared.quest}
            )
        after = ledger_totals(connection, shared.a)
    assert (after[1] - before[1], after[2] - before[2]) == (20, 50)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE universal_quests SET target = 1, coin_reward = 2147483647",
        "UPDATE user_quest_progress SET progress = 1000000, completed = true",
        "UPDATE user_quest_progress SET rewards_claimed_at = NULL",
        "INSERT INTO user_quest_progress (user_id, quest_id, status, completed) "
        "VALUES (CAST(:u AS uuid), CAST(:q AS uuid), 'completed', true)",
    ],
)
def test_quest_targets_and_progress_are_not_writable(shared: World, sql: str) -> None:
    with as_role(shared.app, APP, shared.a) as connection:
        call(connection, "SELECT * FROM accept_universal_quest(:u, :q)", u=shared.a, q=shared.quest)
        with pytest.raises(DBAPIError, match="permission denied"):
            connection.execute(text(sql), {"u": shared.a, "q": shared.quest})


# --- money and progress tables, users' privilege fields -----------------------------------------


@pytest.mark.parametrize("table", READ_ONLY)
@pytest.mark.parametrize("operation", ["INSERT", "UPDATE", "DELETE"])
def test_money_and_progress_tables_are_read_only_for_the_app(
    shared: World, table: str, operation: str
) -> None:
    statements = {
        "INSERT": f"INSERT INTO {table} (user_id) VALUES (CAST(:u AS uuid))",
        "UPDATE": f"UPDATE {table} SET user_id = user_id",
        "DELETE": f"DELETE FROM {table}",
    }
    with as_role(shared.app, APP, shared.a) as connection:
        privileged = connection.execute(
            text("SELECT has_table_privilege(:r, :t, :p)"), {"r": APP, "t": table, "p": operation}
        ).scalar_one()
        assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() >= 0
        with pytest.raises(DBAPIError, match=f"permission denied for table {table}"):
            connection.execute(text(statements[operation]), {"u": shared.a})
    assert not privileged


@pytest.mark.parametrize(
    "assignment",
    [
        "role = 'admin'",
        "approved = true",
        "age_verified = true",
        "email_verified = now()",
        "email = 'someone-else@example.org'",
    ],
)
def test_users_cannot_raise_their_own_privileges(shared: World, assignment: str) -> None:
    with as_role(shared.app, APP, shared.a) as connection:
        with (
            pytest.raises(DBAPIError, match="permission denied for table users"),
            connection.begin_nested(),
        ):
            connection.execute(
                text(f"UPDATE users SET {assignment} WHERE id = :u"), {"u": shared.a}
            )
        profile = connection.execute(
            text("UPDATE users SET name = 'Ada', image = 'a.png' WHERE id = :u"), {"u": shared.a}
        )
        assert profile.rowcount == 1


@pytest.mark.parametrize("column", ["role", "approved", "age_verified", "email_verified"])
def test_a_sign_up_row_cannot_carry_privileges(shared: World, column: str) -> None:
    value = {"role": "'admin'", "email_verified": "now()"}.get(column, "true")
    with (
        as_role(shared.app, APP, shared.a) as connection,
        pytest.raises(DBAPIError, match="permission denied for table users"),
    ):
        connection.execute(
            text(f"INSERT INTO users (email, {column}) VALUES ('new@example.org', {value})")
        )


# --- idempotency keys ---------------------------------------------------------------------------


def test_a_key_planted_for_another_users_session_burns_nothing(world: World) -> None:
    session = owner_session(world.owner, world.b, 1500, run_out=True)
    burnt = f"focus_session/{session}/xp"
    with (  # the attack as the app: refused
        as_role(world.app, APP, world.a) as connection,
        pytest.raises(DBAPIError, match="permission denied for function award_xp"),
    ):
        connection.execute(text("SELECT award_xp(:u, 1, 'x', :k)"), {"u": world.a, "k": burnt})
    with world.owner.begin() as owner:  # and even where a mover may run, A's key is A's
        owner.execute(text("SELECT award_xp(:u, 1, 'x', :k)"), {"u": world.a, "k": burnt})
    with as_role(world.app, APP, world.b) as connection:
        done = call(
            connection, "SELECT * FROM complete_focus_session(:u, :s)", u=world.b, s=session
        )
        assert (done["status"], done["xp_awarded"]) == ("completed", 25)
        own_row = connection.execute(
            text("SELECT xp FROM points_ledger WHERE idempotency_key = :k"), {"k": burnt}
        ).scalar_one()
        assert own_row == 25


@pytest.mark.parametrize(
    "replay",
    [
        "SELECT spend_coins(:u, 100, 'x', 'start')",
        "SELECT award_xp(:u, 100, 'x', 'start')",
        "SELECT award_coins(:u, 1000000, 'x', 'start')",
    ],
    ids=["spend", "xp", "other-amount"],
)
def test_a_replayed_key_with_another_kind_or_amount_is_an_error(world: World, replay: str) -> None:
    """The key 'start' paid 100 coins; a spend under it spent nothing before (it returned the
    award's row)."""
    with world.owner.connect() as owner:
        with pytest.raises(DBAPIError, match="already used for another movement") as exc:
            owner.execute(text(replay), {"u": world.a})
        assert sqlstate(exc) == "23505"
        owner.rollback()
        assert ledger_totals(owner, world.a) == (1, 100, 0)
