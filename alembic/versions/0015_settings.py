"""Settings and personalization: user settings, interests, UI modules.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-21

Creates the ENUM types nudge_intensity, gamification_visibility, theme_preference and
planner_mode, and the tables user_settings (one row per user; updated_at trigger),
user_interests and user_ui_modules.

Downgrade drops the tables and the types.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE TYPE nudge_intensity AS ENUM ('gentle', 'standard', 'energetic')")
    op.execute("CREATE TYPE gamification_visibility AS ENUM ('always', 'subtle', 'hidden')")
    op.execute("CREATE TYPE planner_mode AS ENUM ('collapsed', 'expanded')")
    op.execute("CREATE TYPE theme_preference AS ENUM ('light', 'dark', 'system')")
    op.create_table(
        "user_interests",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("interest_key", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("priority >= 1", name=op.f("user_interests_priority_positive_check")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="user_interests_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="user_interests_pkey"),
        sa.UniqueConstraint(
            "user_id", "interest_key", name="user_interests_user_id_interest_key_key"
        ),
    )
    op.create_table(
        "user_settings",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column(
            "nudge_intensity",
            postgresql.ENUM(name="nudge_intensity", create_type=False),
            server_default="standard",
            nullable=True,
        ),
        sa.Column(
            "default_focus_duration", sa.Integer(), server_default=sa.text("300"), nullable=True
        ),
        sa.Column(
            "gamification_visible",
            postgresql.ENUM(name="gamification_visibility", create_type=False),
            server_default="always",
            nullable=True,
        ),
        sa.Column(
            "planner_mode",
            postgresql.ENUM(name="planner_mode", create_type=False),
            server_default="collapsed",
            nullable=True,
        ),
        sa.Column(
            "theme",
            postgresql.ENUM(name="theme_preference", create_type=False),
            server_default="system",
            nullable=True,
        ),
        sa.Column(
            "notifications_enabled", sa.Boolean(), server_default=sa.text("true"), nullable=True
        ),
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
        sa.CheckConstraint(
            "default_focus_duration > 0",
            name=op.f("user_settings_default_focus_duration_positive_check"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="user_settings_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="user_settings_pkey"),
        sa.UniqueConstraint("user_id", name="user_settings_user_id_key"),
    )
    op.create_table(
        "user_ui_modules",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("module_key", sa.Text(), nullable=False),
        sa.Column("weight", sa.Integer(), server_default=sa.text("50"), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("last_shown_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "weight BETWEEN 0 AND 100", name=op.f("user_ui_modules_weight_range_check")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="user_ui_modules_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="user_ui_modules_pkey"),
        sa.UniqueConstraint("user_id", "module_key", name="user_ui_modules_user_id_module_key_key"),
    )
    op.execute(
        "CREATE TRIGGER user_settings_set_updated_at BEFORE UPDATE ON user_settings "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )


def downgrade() -> None:
    op.drop_table("user_ui_modules")
    op.drop_table("user_settings")
    op.drop_table("user_interests")
    op.execute("DROP TYPE theme_preference")
    op.execute("DROP TYPE planner_mode")
    op.execute("DROP TYPE gamification_visibility")
    op.execute("DROP TYPE nudge_intensity")
