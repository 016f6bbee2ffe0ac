"""Auth and identity (revision 0001): users, their OAuth accounts, sessions, passkeys,
verification tokens, and the role/entitlement grants."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import (
    Base,
    CreatedAt,
    FalseByDefault,
    JSONDict,
    OwnerKey,
    TrueByDefault,
    UpdatedAt,
    UUIDPk,
)


class User(Base):
    __tablename__ = "users"
    id: Mapped[UUIDPk]
    name: Mapped[str] = mapped_column(server_default="User")
    email: Mapped[str]
    email_verified: Mapped[datetime | None]
    image: Mapped[str | None]
    role: Mapped[str] = mapped_column(server_default="user", index=True)
    approved: Mapped[TrueByDefault]
    age_verified: Mapped[TrueByDefault]
    tos_accepted: Mapped[FalseByDefault]
    tos_accepted_at: Mapped[datetime | None]
    tos_version: Mapped[str | None]
    last_activity_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    # No foreign keys: accounts and sessions are distributed by their own lookup keys on
    # Citus, and delete_user() deletes them (revision 0031).
    accounts: Mapped[list[Account]] = relationship(
        back_populates="user",
        primaryjoin="User.id == foreign(Account.user_id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    sessions: Mapped[list[Session]] = relationship(
        back_populates="user",
        primaryjoin="User.id == foreign(Session.user_id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    roles: Mapped[list[Role]] = relationship(
        secondary="user_roles",
        primaryjoin="User.id == UserRole.user_id",
        secondaryjoin="Role.id == UserRole.role_id",
        viewonly=True,
    )


class Account(Base):
    """An OAuth identity linked to a user."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("provider", "provider_account_id"),)

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    type: Mapped[str]
    provider: Mapped[str]
    provider_account_id: Mapped[str] = mapped_column(primary_key=True)
    refresh_token: Mapped[str | None]
    access_token: Mapped[str | None]
    expires_at: Mapped[int | None] = mapped_column(BigInteger)
    token_type: Mapped[str | None]
    scope: Mapped[str | None]
    id_token: Mapped[str | None]
    session_state: Mapped[str | None]
    created_at: Mapped[CreatedAt]

    user: Mapped[User] = relationship(
        back_populates="accounts", primaryjoin="User.id == foreign(Account.user_id)"
    )


class Session(Base):
    """A login session. Only the SHA-256 of the session token is stored."""

    __tablename__ = "sessions"
    __table_args__ = (CheckConstraint("expires_at > created_at", name="expires_after_created"),)

    id: Mapped[UUIDPk]
    token_hash: Mapped[bytes] = mapped_column(primary_key=True, unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ip_address: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None]
    created_at: Mapped[CreatedAt]
    last_active_at: Mapped[datetime] = mapped_column(server_default=func.now())

    user: Mapped[User] = relationship(
        back_populates="sessions", primaryjoin="User.id == foreign(Session.user_id)"
    )


class UserEmail(Base):
    """The cluster-wide unique e-mail (revision 0025): one row per user, keyed by
    ``lower(email)``. On Citus it is distributed by ``email_lower`` (``users`` by ``id`` cannot
    keep a unique key on the e-mail), so it has no foreign key to ``users``: ``delete_user``
    deletes it. Written by the service only (sign-up, e-mail change); the app reads its own."""

    __tablename__ = "user_emails"
    __table_args__ = (CheckConstraint("email_lower = lower(email_lower)", name="lowercase"),)

    email_lower: Mapped[str] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)


class VerificationToken(Base):
    """Email sign-in / verification tokens: only the SHA-256 of the token is stored, and only
    the service role may read or write them (revision 0021)."""

    __tablename__ = "verification_tokens"

    identifier: Mapped[str] = mapped_column(primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Authenticator(Base):
    """A WebAuthn credential (passkey)."""

    __tablename__ = "authenticators"
    __table_args__ = (CheckConstraint("counter >= 0", name="counter_non_negative"),)

    credential_id: Mapped[str] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    provider_account_id: Mapped[str]
    credential_public_key: Mapped[str]
    # The WebAuthn signature counter is an unsigned 32-bit value: it does not fit INTEGER.
    counter: Mapped[int] = mapped_column(BigInteger)
    credential_device_type: Mapped[str]
    credential_backed_up: Mapped[bool]
    transports: Mapped[str | None]


class Role(Base):
    __tablename__ = "roles"

    id: Mapped[UUIDPk]
    key: Mapped[str] = mapped_column(unique=True)
    name: Mapped[str]
    description: Mapped[str | None]
    created_at: Mapped[CreatedAt]

    entitlements: Mapped[list[Entitlement]] = relationship(
        secondary="role_entitlements", viewonly=True
    )


class Entitlement(Base):
    __tablename__ = "entitlements"

    id: Mapped[UUIDPk]
    key: Mapped[str] = mapped_column(unique=True)
    name: Mapped[str]
    description: Mapped[str | None]
    created_at: Mapped[CreatedAt]


class RoleEntitlement(Base):
    __tablename__ = "role_entitlements"

    role_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True
    )
    entitlement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("entitlements.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[CreatedAt]


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    granted_by: Mapped[uuid.UUID | None] = mapped_column(index=True)
    granted_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AuditLog(Base):
    """Security-relevant actions. Rows outlive the user they name (``delete_user`` sets
    ``user_id`` NULL; no foreign key: the log stays on the Citus coordinator)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "entity_type", "entity_id"),)

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    action: Mapped[str]
    entity_type: Mapped[str | None]
    entity_id: Mapped[str | None]
    ip_address: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None]
    details: Mapped[JSONDict | None]
    created_at: Mapped[CreatedAt] = mapped_column(index=True)


class ActivityEvent(Base):
    __tablename__ = "activity_events"
    __table_args__ = (Index(None, "metadata", postgresql_using="gin"),)

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    event_type: Mapped[str] = mapped_column(index=True)
    # ``metadata`` is reserved on declarative classes; the column keeps the map's name.
    event_metadata: Mapped[JSONDict | None] = mapped_column("metadata")
    created_at: Mapped[CreatedAt] = mapped_column(index=True)
