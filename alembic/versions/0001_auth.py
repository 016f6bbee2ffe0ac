"""Auth and identity: users, accounts, sessions, passkeys, tokens, roles, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

Creates the 11 tables of the checkpoint's 0001 (users, accounts, sessions,
verification_tokens, authenticators, roles, entitlements, role_entitlements, user_roles,
audit_log, activity_events), the shared ``set_updated_at()`` trigger function with its trigger
on ``users``, the cleanup functions ``cleanup_expired_sessions()`` and
``cleanup_expired_verification_tokens()``, and the views ``user_with_roles`` and
``user_session_count``. Email uniqueness is case-insensitive (unique index on lower(email)).
Sessions keep only the SHA-256 of their token (``token_hash BYTEA``).

Downgrade drops all of it, views and functions first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TSTZ = postgresql.TIMESTAMP(timezone=True)


def _id() -> sa.Column[object]:
    return sa.Column(
        "id", postgresql.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False
    )


def _created_at() -> sa.Column[object]:
    return sa.Column("created_at", TSTZ, server_default=sa.text("now()"), nullable=False)


def _user_id(nullable: bool = False) -> sa.Column[object]:
    return sa.Column("user_id", postgresql.UUID(), nullable=nullable)


def upgrade() -> None:
    op.execute("""
CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$""")

    op.create_table(
        "users",
        _id(),
        sa.Column("name", sa.Text(), server_default="User", nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("email_verified", TSTZ, nullable=True),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("role", sa.Text(), server_default="user", nullable=False),
        sa.Column("approved", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("age_verified", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("tos_accepted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("tos_accepted_at", TSTZ, nullable=True),
        sa.Column("tos_version", sa.Text(), nullable=True),
        sa.Column("last_activity_at", TSTZ, nullable=True),
        _created_at(),
        sa.Column("updated_at", TSTZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="users_pkey"),
    )
    op.create_index("users_email_lower_key", "users", [sa.text("lower(email)")], unique=True)
    op.create_index("users_role_idx", "users", ["role"])
    op.execute(
        "CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )

    op.create_table(
        "accounts",
        _id(),
        _user_id(),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("provider_account_id", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("token_type", sa.Text(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("id_token", sa.Text(), nullable=True),
        sa.Column("session_state", sa.Text(), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="accounts_pkey"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="accounts_user_id_fkey", ondelete="CASCADE"
        ),
        sa.UniqueConstraint(
            "provider", "provider_account_id", name="accounts_provider_provider_account_id_key"
        ),
    )
    op.create_index("accounts_user_id_idx", "accounts", ["user_id"])

    op.create_table(
        "sessions",
        _id(),
        sa.Column("token_hash", postgresql.BYTEA(), nullable=False),
        _user_id(),
        sa.Column("expires_at", TSTZ, nullable=False),
        sa.Column("ip_address", postgresql.INET(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        _created_at(),
        sa.Column("last_active_at", TSTZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="sessions_pkey"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="sessions_user_id_fkey", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("token_hash", name="sessions_token_hash_key"),
        sa.CheckConstraint(
            "expires_at > created_at", name=op.f("sessions_expires_after_created_check")
        ),
    )
    op.create_index("sessions_user_id_idx", "sessions", ["user_id"])
    op.create_index("sessions_expires_at_idx", "sessions", ["expires_at"])

    op.create_table(
        "verification_tokens",
        sa.Column("identifier", sa.Text(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("expires_at", TSTZ, nullable=False),
        sa.PrimaryKeyConstraint("identifier", "token", name="verification_tokens_pkey"),
        sa.UniqueConstraint("token", name="verification_tokens_token_key"),
    )
    op.create_index("verification_tokens_expires_at_idx", "verification_tokens", ["expires_at"])

    op.create_table(
        "authenticators",
        sa.Column("credential_id", sa.Text(), nullable=False),
        _user_id(),
        sa.Column("provider_account_id", sa.Text(), nullable=False),
        sa.Column("credential_public_key", sa.Text(), nullable=False),
        sa.Column("counter", sa.BigInteger(), nullable=False),
        sa.Column("credential_device_type", sa.Text(), nullable=False),
        sa.Column("credential_backed_up", sa.Boolean(), nullable=False),
        sa.Column("transports", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("credential_id", name="authenticators_pkey"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="authenticators_user_id_fkey", ondelete="CASCADE"
        ),
        sa.CheckConstraint("counter >= 0", name=op.f("authenticators_counter_non_negative_check")),
    )
    op.create_index("authenticators_user_id_idx", "authenticators", ["user_id"])

    for table in ("roles", "entitlements"):
        op.create_table(
            table,
            _id(),
            sa.Column("key", sa.Text(), nullable=False),
            sa.Column("name", sa.Text(), nullable=False),
            sa.Column("description", sa.Text(), nullable=True),
            _created_at(),
            sa.PrimaryKeyConstraint("id", name=f"{table}_pkey"),
            sa.UniqueConstraint("key", name=f"{table}_key_key"),
        )

    op.create_table(
        "role_entitlements",
        sa.Column("role_id", postgresql.UUID(), nullable=False),
        sa.Column("entitlement_id", postgresql.UUID(), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("role_id", "entitlement_id", name="role_entitlements_pkey"),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], name="role_entitlements_role_id_fkey", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["entitlement_id"],
            ["entitlements.id"],
            name="role_entitlements_entitlement_id_fkey",
            ondelete="CASCADE",
        ),
    )
    op.create_index("role_entitlements_entitlement_id_idx", "role_entitlements", ["entitlement_id"])

    op.create_table(
        "user_roles",
        _user_id(),
        sa.Column("role_id", postgresql.UUID(), nullable=False),
        sa.Column("granted_by", postgresql.UUID(), nullable=True),
        sa.Column("granted_at", TSTZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "role_id", name="user_roles_pkey"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="user_roles_user_id_fkey", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], name="user_roles_role_id_fkey", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["granted_by"], ["users.id"], name="user_roles_granted_by_fkey", ondelete="SET NULL"
        ),
    )
    op.create_index("user_roles_role_id_idx", "user_roles", ["role_id"])
    op.create_index("user_roles_granted_by_idx", "user_roles", ["granted_by"])

    op.create_table(
        "audit_log",
        _id(),
        _user_id(nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("entity_type", sa.Text(), nullable=True),
        sa.Column("entity_id", sa.Text(), nullable=True),
        sa.Column("ip_address", postgresql.INET(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("details", postgresql.JSONB(), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="audit_log_pkey"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="audit_log_user_id_fkey", ondelete="SET NULL"
        ),
    )
    op.create_index("audit_log_user_id_idx", "audit_log", ["user_id"])
    op.create_index("audit_log_created_at_idx", "audit_log", ["created_at"])
    op.create_index(
        "audit_log_entity_type_entity_id_idx", "audit_log", ["entity_type", "entity_id"]
    )

    op.create_table(
        "activity_events",
        _id(),
        _user_id(),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("metadata", postgresql.JSONB(), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="activity_events_pkey"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="activity_events_user_id_fkey", ondelete="CASCADE"
        ),
    )
    op.create_index("activity_events_user_id_idx", "activity_events", ["user_id"])
    op.create_index("activity_events_event_type_idx", "activity_events", ["event_type"])
    op.create_index("activity_events_created_at_idx", "activity_events", ["created_at"])
    op.create_index(
        "activity_events_metadata_idx", "activity_events", ["metadata"], postgresql_using="gin"
    )

    op.execute("""
CREATE FUNCTION cleanup_expired_sessions() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    removed integer;
BEGIN
    DELETE FROM sessions WHERE expires_at <= now();
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END;
$$""")
    op.execute("""
CREATE FUNCTION cleanup_expired_verification_tokens() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    removed integer;
BEGIN
    DELETE FROM verification_tokens WHERE expires_at <= now();
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END;
$$""")

    op.execute("""
CREATE VIEW user_with_roles AS
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
GROUP BY u.id""")
    op.execute("""
CREATE VIEW user_session_count AS
SELECT u.id AS user_id,
       count(s.id) FILTER (WHERE s.expires_at > CURRENT_TIMESTAMP) AS active_sessions,
       count(s.id) AS total_sessions,
       max(s.last_active_at) AS last_active_at
FROM users u
LEFT JOIN sessions s ON s.user_id = u.id
GROUP BY u.id""")


def downgrade() -> None:
    op.execute("DROP VIEW user_session_count")
    op.execute("DROP VIEW user_with_roles")
    op.execute("DROP FUNCTION cleanup_expired_verification_tokens()")
    op.execute("DROP FUNCTION cleanup_expired_sessions()")
    for table in (
        "activity_events",
        "audit_log",
        "user_roles",
        "role_entitlements",
        "entitlements",
        "roles",
        "authenticators",
        "verification_tokens",
        "sessions",
        "accounts",
        "users",
    ):
        op.drop_table(table)
    op.execute("DROP FUNCTION set_updated_at()")
