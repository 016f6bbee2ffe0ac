"""Acting as a database role in a test: the one way the tests become ``ignition_app`` (or
another role) and act for a user, so every test follows when the way of claiming an identity
changes.

The test login is a superuser. ``SET SESSION AUTHORIZATION`` makes the role the session user
too, as if it had logged in itself: privileges, row-level security and the service check
(``app_is_service()`` looks at ``session_user``) are then the role's. Acting for a user takes
what the app has: a session token of that user (revision 0021), from a ``sessions`` row the
superuser writes in the same transaction, which is rolled back at the end.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

from models.security import set_session_token_sql


def new_session(connection: Connection, user: uuid.UUID, *, lifetime: str = "1 hour") -> str:
    """Write a session for ``user`` (as the caller's role) and return its raw token."""
    token = secrets.token_urlsafe(32)
    connection.execute(
        text(
            "INSERT INTO sessions (user_id, token_hash, expires_at) "
            "VALUES (:u, :h, now() + CAST(:lifetime AS interval))"
        ),
        {"u": user, "h": hashlib.sha256(token.encode()).digest(), "lifetime": lifetime},
    )
    return token


@contextmanager
def as_role(engine: Engine, role: str, user: uuid.UUID | None = None) -> Iterator[Connection]:
    """A connection whose session user and current role are ``role``, acting for ``user``
    (through a session token of theirs) when given, in one transaction rolled back at the
    end."""
    with engine.connect() as connection:
        if user is not None:
            token = new_session(connection, user)
            # SET LOCAL (the transaction rolled back at the end): the statement the app uses.
            connection.execute(text(set_session_token_sql(token)))
        connection.execute(text(f"SET SESSION AUTHORIZATION {role}"))
        try:
            yield connection
        finally:
            connection.rollback()
            connection.execute(text("RESET SESSION AUTHORIZATION"))
            connection.execute(text("RESET ALL"))
            connection.commit()
