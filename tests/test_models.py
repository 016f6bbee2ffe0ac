"""The ORM layer app services import: metadata completeness, relationships, view classes."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session, selectinload

import models
from models.auth import Account, User
from models.base import NAMING_CONVENTION
from models.gamification import UserWallet
from models.goals import Goal, GoalMilestone
from models.habits import Habit
from models.market_sql import AvailableMarketItem
from models.sql import FUNCTIONS, VIEWS
from tests.factories import make_user


def test_every_view_has_a_read_only_class_and_no_table() -> None:
    view_names = {v.name for v in VIEWS}
    assert view_names == set(models.ViewBase.metadata.tables)
    assert not view_names & set(models.Base.metadata.tables)


def test_function_bodies_carry_no_bind_like_colons() -> None:
    """``op.execute`` runs text through SQLAlchemy: ``':name'`` in a body would become a bind."""
    import re

    for function in FUNCTIONS:
        assert not re.search(r"(?<![:\w]):[A-Za-z_]\w*", function.body), function.name


def test_constraint_names_follow_the_postgres_convention() -> None:
    assert NAMING_CONVENTION["fk"].endswith("_fkey")
    names = {c.name for t in models.Base.metadata.tables.values() for c in t.constraints if c.name}
    assert {"users_pkey", "accounts_user_id_fkey", "user_wallet_coins_non_negative_check"} <= names


def test_relationships_load(head_engine: Engine) -> None:
    with Session(head_engine) as orm:
        user = User(email="ada@example.org", name="Ada")
        orm.add(user)
        orm.flush()
        orm.add(Account(user_id=user.id, type="oauth", provider="github", provider_account_id="7"))
        orm.execute(text("SELECT award_coins(:u, 12, 'welcome')"), {"u": user.id})
        goal = Goal(user_id=user.id, title="Album")
        goal.milestones = [
            GoalMilestone(title="b", sort_order=2),
            GoalMilestone(title="a", sort_order=1),
        ]
        orm.add_all([goal, Habit(user_id=user.id, name="Stretch")])
        orm.commit()
        orm.expunge_all()

        loaded = orm.scalars(
            select(User).options(selectinload(User.accounts), selectinload(User.sessions))
        ).one()
        assert [a.provider for a in loaded.accounts] == ["github"]
        assert orm.scalars(select(UserWallet)).one().user.email == "ada@example.org"
        assert [m.title for m in orm.scalars(select(Goal)).one().milestones] == ["a", "b"]
        habit = orm.scalars(select(Habit)).one()
        assert habit.frequency == "daily"
        assert inspect(habit).persistent


def test_view_classes_query(head_engine: Engine) -> None:
    with head_engine.begin() as connection:
        make_user(connection)
        connection.execute(
            text(
                "INSERT INTO market_items (key, name, category, cost_coins) "
                "VALUES ('theme', 'Theme', 'themes', 5)"
            )
        )
    with Session(head_engine) as orm:
        item = orm.scalars(select(AvailableMarketItem)).one()
        assert (item.key, item.category, item.cost_coins) == ("theme", "themes", 5)
