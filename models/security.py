"""Acting as a user: every transaction of an app session says who it acts for.

Row-level security (revision 0019) shows the ``ignition_app`` role only the rows of the user in
``app.user_id``, and the money functions act only for that user. Set it through these helpers
rather than by hand, so no code path forgets it:

    with acting_as(engine, user_id) as session:      # every transaction: SET LOCAL app.user_id
        session.scalars(select(Habit)).all()         # only this user's habits

    with as_service(engine) as session:              # explicit: may act for any user
        session.execute(text("SELECT award_coins(:u, 10, 'bonus')"), {"u": someone})
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, SessionTransaction

ACTING_USER = "acting_user_id"
SERVICE = "service_context"


@event.listens_for(Session, "after_begin")
def _set_acting_user(session: Session, transaction: SessionTransaction, connection: Any) -> None:
    """At the start of every transaction: SET LOCAL the context the session carries."""
    user_id = session.info.get(ACTING_USER)
    if user_id is not None:
        connection.execute(
            text("SELECT set_config('app.user_id', :user_id, true)"), {"user_id": str(user_id)}
        )
    if session.info.get(SERVICE):
        connection.execute(text("SELECT set_config('app.service_context', 'on', true)"))


@contextmanager
def acting_as(bind: Engine, user_id: uuid.UUID, **kwargs: Any) -> Iterator[Session]:
    """A session whose every transaction acts for ``user_id``."""
    with Session(bind, info={ACTING_USER: user_id}, **kwargs) as session:
        yield session


@contextmanager
def as_service(bind: Engine, **kwargs: Any) -> Iterator[Session]:
    """A session in service context: it may act for any user. Use it where that is the point."""
    with Session(bind, info={SERVICE: True}, **kwargs) as session:
        yield session
