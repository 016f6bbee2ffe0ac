"""System: feedback, notifications, admin audit log, access requests, db metadata.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-21

Creates the ENUM types feedback_status and access_request_status and the tables feedback,
notifications (with a partial index on unread ones), admin_audit_log (details JSONB),
access_requests and db_metadata (key/value, updated_at trigger).

Downgrade drops the tables and the types.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE TYPE access_request_status AS ENUM ('pending', 'approved', 'rejected')")
    op.execute("CREATE TYPE feedback_status AS ENUM ('new', 'reviewed', 'resolved', 'closed')")
    op.create_table(
        "db_metadata",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column(
            "updated_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key", name="db_metadata_pkey"),
    )
    op.create_table(
        "access_requests",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "status",
            postgresql.ENUM(name="access_request_status", create_type=False),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("reviewed_by", sa.UUID(), nullable=True),
        sa.Column("reviewed_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["users.id"],
            name="access_requests_reviewed_by_fkey",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="access_requests_pkey"),
    )
    op.create_index(
        "access_requests_email_lower_idx",
        "access_requests",
        [sa.literal_column("lower(email)")],
        unique=False,
    )
    op.create_index(
        "access_requests_reviewed_by_idx", "access_requests", ["reviewed_by"], unique=False
    )
    op.create_index("access_requests_status_idx", "access_requests", ["status"], unique=False)
    op.create_table(
        "admin_audit_log",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("admin_id", sa.UUID(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("target_type", sa.Text(), nullable=True),
        sa.Column("target_id", sa.Text(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["users.id"], name="admin_audit_log_admin_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="admin_audit_log_pkey"),
    )
    op.create_index("admin_audit_log_admin_id_idx", "admin_audit_log", ["admin_id"], unique=False)
    op.create_index(
        "admin_audit_log_created_at_idx", "admin_audit_log", ["created_at"], unique=False
    )
    op.create_index(
        "admin_audit_log_target_type_target_id_idx",
        "admin_audit_log",
        ["target_type", "target_id"],
        unique=False,
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("page_url", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column(
            "status",
            postgresql.ENUM(name="feedback_status", create_type=False),
            server_default="new",
            nullable=False,
        ),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="feedback_user_id_fkey", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="feedback_pkey"),
    )
    op.create_index("feedback_status_idx", "feedback", ["status"], unique=False)
    op.create_index("feedback_user_id_idx", "feedback", ["user_id"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("is_read", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="notifications_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="notifications_pkey"),
    )
    op.create_index(
        "notifications_unread_user_id_idx",
        "notifications",
        ["user_id"],
        unique=False,
        postgresql_where=sa.text("NOT is_read"),
    )
    op.create_index("notifications_user_id_idx", "notifications", ["user_id"], unique=False)
    op.execute(
        "CREATE TRIGGER db_metadata_set_updated_at BEFORE UPDATE ON db_metadata "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("feedback")
    op.drop_table("admin_audit_log")
    op.drop_table("access_requests")
    op.drop_table("db_metadata")
    op.execute("DROP TYPE feedback_status")
    op.execute("DROP TYPE access_request_status")
