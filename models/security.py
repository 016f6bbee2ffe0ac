"""Acting as a user, or as the service: every transaction of a session says which, with proof.

Row-level security (revisions 0019, 0021) shows ``ignition_app`` only the rows of the user
whose unexpired session token the transaction presents (``app.session_token``; the database
hashes it and looks it up), and the money functions act only for that user. Service work (sign
up, sign in, admin tools, jobs) runs on a login granted ``ignition_service``. Use these helpers
rather than setting anything by hand, so no code path forgets it:

    engine = pooled_engine(url)                        # resets each connection on return
    with acting_as(engine, request.session_token) as session:
        session.scalars(select(Habit)).all()           # only this user's habits

    with as_service(service_engine) as session:        # the login must be granted the role
        session.execute(text("SELECT award_coins(:u, 10, 'bonus')"), {"u": someone})

At the start of every transaction both helpers set, LOCAL to it, the role and the token:
``acting_as`` presents the token, ``as_service`` runs ``SET LOCAL ROLE ignition_service`` and
clears the token, with SET LOCAL statements (which Citus also sends to its workers). A session
in AUTOCOMMIT is refused: SET LOCAL would end with the statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import ConnectionPoolEntry

SESSION_TOKEN = "ignition_session_token"
SERVICE = "ignition_service"
SERVICE_ROLE = "ignition_service"


class AutocommitRefused(RuntimeError):
    """The acting context is SET LOCAL per transaction: AUTOCOMMIT would drop it at once."""


@event.listens_for(Session, "after_begin")
def _set_acting_context(session: Session, transaction: SessionTransaction, connection: Any) -> None:
    """At the start of every transaction: SET LOCAL the context the session carries."""
    service = bool(session.info.get(SERVICE))
    token = session.info.get(SESSION_TOKEN)
    if not service and token is None:
        return
    if getattr(connection.connection.dbapi_connection, "autocommit", False):
        raise AutocommitRefused(
            "acting_as / as_service need transactions: the context is SET LOCAL to each one, "
            "and this connection is in AUTOCOMMIT"
        )
    if service:
        connection.execute(text(f"SET LOCAL ROLE {SERVICE_ROLE}"))
    connection.execute(text(set_session_token_sql("" if service else str(token))))


# What a session token may hold (URL-safe and standard base64, hex): it is written into the SET
# statement as a literal, so nothing that could end or escape the literal is let through.
_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]*")


def set_session_token_sql(token: str) -> str:
    """``SET LOCAL app.session_token = '<token>'``, the statement that presents the token for
    the current transaction. A statement, not ``set_config()``: on Citus only SET LOCAL
    statements reach the workers (``citus.propagate_set_commands = 'local'``), and SET takes
    no bind parameters, so the token is checked here and written as a literal."""
    if _TOKEN.fullmatch(token) is None:
        raise ValueError(
            "a session token holds only letters, digits and . _ ~ + / = - (base64 or hex)"
        )
    return f"SET LOCAL app.session_token = '{token}'"


@contextmanager
def acting_as(bind: Engine, session_token: str, **kwargs: Any) -> Iterator[Session]:
    """A session whose every transaction acts for the user of ``session_token`` (the raw
    token of the request's session, as the browser holds it)."""
    if not session_token:
        raise ValueError("acting_as needs the request's session token; it was empty")
    with Session(bind, info={SESSION_TOKEN: session_token}, **kwargs) as session:
        yield session


@contextmanager
def as_service(bind: Engine, **kwargs: Any) -> Iterator[Session]:
    """A session in the service role: it may act for any user. Its login must be granted
    ``ignition_service``; use it where that is the point."""
    with Session(bind, info={SERVICE: True}, **kwargs) as session:
        yield session


def pooled_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine whose connections are reset (``DISCARD ALL``: settings, role, prepared
    statements, temporary tables) when they go back to the pool, so nothing one checkout set
    at session level (``SET app.session_token``, ``SET ROLE``) reaches the next."""
    engine = create_engine(url, pool_reset_on_return=None, **kwargs)

    @event.listens_for(engine, "reset")
    def _discard_all(dbapi_connection: Any, record: ConnectionPoolEntry, reset_state: Any) -> None:
        dbapi_connection.rollback()
        if reset_state.terminate_only:
            return
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("DISCARD ALL")
            cursor.close()
        finally:
            dbapi_connection.autocommit = autocommit

    return engine
