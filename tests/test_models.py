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
    assert {
        "users_pkey",
        "habit_logs_habit_id_user_id_fkey",
        "user_wallet_coins_non_negative_check",
    } <= names


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


def test_fitness_learning_and_reading_relationships_load(head_engine: Engine) -> None:
    from models.books import Book, ReadingSession
    from models.enums import ExerciseCategory
    from models.fitness import Exercise, ExerciseSet, Workout, WorkoutExercise, WorkoutSession
    from models.learn import Flashcard, FlashcardDeck

    with Session(head_engine) as orm:
        user = User(email="grace@example.org")
        squat = Exercise(name="Squat", category=ExerciseCategory.STRENGTH, is_builtin=True)
        orm.add_all([user, squat])
        orm.flush()
        workout = Workout(user_id=user.id, name="Legs")
        workout.exercises = [WorkoutExercise(exercise_id=squat.id, reps="5", sort_order=1)]
        session = WorkoutSession(user_id=user.id, started_at=text("now()"), rating=5)
        session.sets = [ExerciseSet(exercise_id=squat.id, set_number=n, reps=5) for n in (2, 1)]
        deck = FlashcardDeck(user_id=user.id, name="Intervals")
        deck.cards = [Flashcard(front="m3", back="minor third")]
        book = Book(user_id=user.id, title="Musicophilia")
        book.reading_sessions = [
            ReadingSession(user_id=user.id, pages_read=20, started_at=text("now()"))
        ]
        orm.add_all([workout, session, deck, book])
        orm.commit()
        squat_id = squat.id
        orm.expunge_all()

        loaded = orm.scalars(select(Workout)).one()
        assert [(e.exercise.name, e.reps) for e in loaded.exercises] == [("Squat", "5")]
        assert [s.set_number for s in orm.scalars(select(WorkoutSession)).one().sets] == [1, 2]
        assert [c.back for c in orm.scalars(select(FlashcardDeck)).one().cards] == ["minor third"]
        assert orm.scalars(select(Book)).one().reading_sessions[0].pages_read == 20
        assert orm.get_one(Exercise, squat_id).category is ExerciseCategory.STRENGTH
