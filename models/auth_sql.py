"""Functions, triggers and views of the auth domain (revision 0001)."""

import uuid
from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from models.base import ViewBase
from models.sql import declare_function, declare_view

SET_UPDATED_AT = declare_function(
    "set_updated_at",
    """
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
""",
    returns="trigger",
)

CLEANUP_EXPIRED_SESSIONS = declare_function(
    "cleanup_expired_sessions",
    """
DECLARE
    removed integer;
BEGIN
    DELETE FROM sessions WHERE expires_at <= now();
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END;
""",
    returns="integer",
)

CLEANUP_EXPIRED_VERIFICATION_TOKENS = declare_function(
    "cleanup_expired_verification_tokens",
    """
DECLARE
    removed integer;
BEGIN
    DELETE FROM verification_tokens WHERE expires_at <= now();
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END;
""",
    returns="integer",
)

USER_WITH_ROLES = declare_view(
    "user_with_roles",
    """
SELECT u.id,
       u.name,
       u.email,
       u.image,
       u.role,
       u.approved,
       u.created_at,
       COALESCE(array_agg(r.key ORDER BY r.key) FILTER (WHERE r.key IS NOT NULL), '{}'::text[]) AS roles
FROM users u
LEFT JOIN user_roles ur ON ur.user_id = u.id
LEFT JOIN roles r ON r.id = ur.role_id
GROUP BY u.id
""",
)

USER_SESSION_COUNT = declare_view(
    "user_session_count",
    """
SELECT s.user_id,
       count(s.id) FILTER (WHERE s.expires_at > CURRENT_TIMESTAMP) AS active_sessions,
       count(s.id) AS total_sessions,
       max(s.last_active_at) AS last_active_at
FROM sessions s
GROUP BY s.user_id
""",
)


class UserWithRoles(ViewBase):
    """Read-only row of ``user_with_roles``."""

    __tablename__ = "user_with_roles"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str]
    email: Mapped[str]
    image: Mapped[str | None]
    role: Mapped[str]
    approved: Mapped[bool]
    created_at: Mapped[datetime]
    roles: Mapped[list[str]]


class UserSessionCount(ViewBase):
    """Read-only row of ``user_session_count``."""

    __tablename__ = "user_session_count"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    active_sessions: Mapped[int]
    total_sessions: Mapped[int]
    last_active_at: Mapped[datetime | None]
