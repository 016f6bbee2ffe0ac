"""Typed SQLAlchemy models of the Ignition schema.

Importing this package imports every domain module, so ``Base.metadata`` holds every table,
and the SQL entities (functions, views, triggers) are registered on it for the drift check.
"""

from models import (
    auth,  # noqa: F401
    auth_sql,  # noqa: F401
    books,  # noqa: F401
    content,  # noqa: F401
    fitness,  # noqa: F401
    focus,  # noqa: F401
    focus_sql,  # noqa: F401
    gamification,  # noqa: F401
    gamification_sql,  # noqa: F401
    goals,  # noqa: F401
    habits,  # noqa: F401
    habits_goals_sql,  # noqa: F401
    journal,  # noqa: F401
    learn,  # noqa: F401
    market,  # noqa: F401
    market_sql,  # noqa: F401
    onboarding,  # noqa: F401
    planning,  # noqa: F401
    planning_sql,  # noqa: F401
    quests,  # noqa: F401
    quests_sql,  # noqa: F401
    reference,  # noqa: F401
    security,  # noqa: F401
    security_sql,  # noqa: F401
    settings,  # noqa: F401
    system,  # noqa: F401
    tenancy_sql,  # noqa: F401
)
from models.base import Base, ViewBase, metadata
from models.sql import attach_updated_at_triggers

UPDATED_AT_TABLES = attach_updated_at_triggers(metadata)

__all__ = ["UPDATED_AT_TABLES", "Base", "ViewBase", "metadata"]
