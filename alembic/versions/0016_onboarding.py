"""Onboarding: flows, steps, and each user's onboarding state.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-21

Creates the ENUM types onboarding_step_type and onboarding_status, and the tables
onboarding_flows, onboarding_steps (options/action_config JSONB; one step per order in a
flow) and user_onboarding_state (one per user; responses JSONB; updated_at trigger).

Downgrade drops the tables and the types.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TYPE onboarding_step_type AS ENUM ('explain', 'choice', 'preference', 'tour', 'action')"
    )
    op.execute(
        "CREATE TYPE onboarding_status AS ENUM ('not_started', 'in_progress', 'completed', 'skipped')"
    )
    op.create_table(
        "onboarding_flows",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("total_steps", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "total_steps >= 0", name=op.f("onboarding_flows_total_steps_non_negative_check")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("onboarding_flows_version_positive_check")),
        sa.PrimaryKeyConstraint("id", name="onboarding_flows_pkey"),
    )
    op.create_table(
        "onboarding_steps",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("flow_id", sa.UUID(), nullable=False),
        sa.Column("step_order", sa.Integer(), nullable=False),
        sa.Column(
            "step_type",
            postgresql.ENUM(name="onboarding_step_type", create_type=False),
            nullable=False,
        ),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("target_selector", sa.Text(), nullable=True),
        sa.Column("target_route", sa.Text(), nullable=True),
        sa.Column("fallback_content", sa.Text(), nullable=True),
        sa.Column("options", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("allows_multiple", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("required", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("action_type", sa.Text(), nullable=True),
        sa.Column("action_config", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.CheckConstraint(
            "step_order >= 1", name=op.f("onboarding_steps_step_order_positive_check")
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"],
            ["onboarding_flows.id"],
            name="onboarding_steps_flow_id_fkey",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="onboarding_steps_pkey"),
        sa.UniqueConstraint(
            "flow_id", "step_order", name="onboarding_steps_flow_id_step_order_key"
        ),
    )
    op.create_table(
        "user_onboarding_state",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("flow_id", sa.UUID(), nullable=False),
        sa.Column("current_step_id", sa.UUID(), nullable=True),
        sa.Column(
            "status",
            postgresql.ENUM(name="onboarding_status", create_type=False),
            server_default="not_started",
            nullable=False,
        ),
        sa.Column("started_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("completed_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("skipped_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("last_step_completed_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("responses", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("can_resume", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["current_step_id"],
            ["onboarding_steps.id"],
            name="user_onboarding_state_current_step_id_fkey",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["onboarding_flows.id"], name="user_onboarding_state_flow_id_fkey"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="user_onboarding_state_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="user_onboarding_state_pkey"),
        sa.UniqueConstraint("user_id", name="user_onboarding_state_user_id_key"),
    )
    op.create_index(
        "user_onboarding_state_current_step_id_idx",
        "user_onboarding_state",
        ["current_step_id"],
        unique=False,
    )
    op.create_index(
        "user_onboarding_state_flow_id_idx", "user_onboarding_state", ["flow_id"], unique=False
    )
    op.execute(
        "CREATE TRIGGER user_onboarding_state_set_updated_at BEFORE UPDATE ON user_onboarding_state "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )


def downgrade() -> None:
    op.drop_table("user_onboarding_state")
    op.drop_table("onboarding_steps")
    op.drop_table("onboarding_flows")
    op.execute("DROP TYPE onboarding_status")
    op.execute("DROP TYPE onboarding_step_type")
