"""Typed SQLAlchemy models of the Ignition schema.

Importing this package imports every domain module, so ``Base.metadata`` holds every table,
and the SQL entities (functions, views, triggers) are registered on it for the drift check.
"""

from models import auth, auth_sql
from models.base import Base, ViewBase, metadata
from models.sql import attach_updated_at_triggers

UPDATED_AT_TABLES = attach_updated_at_triggers(metadata)

__all__ = ["UPDATED_AT_TABLES", "Base", "ViewBase", "auth", "auth_sql", "metadata"]
