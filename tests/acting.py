"""Acting as a database role in a test: the one way the tests become ``ignition_app`` (or
another role) and act for a user, so every test follows when the way of claiming an identity
changes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text


@contextmanager
def as_role(engine: Engine, role: str, user: uuid.UUID | None = None) -> Iterator[Connection]:
    """A connection whose current role is ``role`` (SET ROLE: privileges and RLS are the
    role's), acting for ``user`` when given, in one transaction rolled back at the end."""
    with engine.connect() as connection:
        connection.execute(text("SELECT set_config('app.service_context', '', false)"))
        connection.execute(text(f"SET ROLE {role}"))
        if user is not None:
            connection.execute(
                text("SELECT set_config('app.user_id', :u, false)"), {"u": str(user)}
            )
        try:
            yield connection
        finally:
            connection.rollback()
