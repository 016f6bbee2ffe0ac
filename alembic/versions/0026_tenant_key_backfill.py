"""Tenant keys, step 2: fill user_id on the children and user_emails, in batches; move the
global quests to quest_templates.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-22

- The global quests (``quests`` rows without a user: the seeded starter quests and D1's
  universal ones) move to ``quest_templates`` in one statement (a DELETE ... RETURNING feeding
  the INSERT: both or neither). Their per-user state (status, accepted/completed dates, streak)
  has no place in a catalogue and is not kept. Few rows: one short transaction.
- Each child's ``user_id`` is copied from its parent (parents before children:
  ``program_weeks`` before ``program_workouts``), and ``user_emails`` gets ``lower(email)`` of
  every user, in batches of 5000 rows walked by primary key, each batch committed on its own
  (a DO block in an autocommit block, so COMMIT is allowed inside it): no long transaction,
  no lock held across batches, row locks only on the batch being written. Rows written since
  revision 0025 already have ``user_id`` (its trigger) and are skipped; a re-run after an
  interruption continues where it stopped.

Downgrade moves the quest templates back into ``quests`` as global rows (user_id NULL, the
per-user state at its defaults). The copied ``user_id`` values and ``user_emails`` rows are
derived data and stay; revision 0025's downgrade drops them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (child, parent, the child's column that references the parent), parents first
CHILDREN = (
    ("goal_milestones", "goals", "goal_id"),
    ("workout_sections", "workouts", "workout_id"),
    ("workout_exercises", "workouts", "workout_id"),
    ("exercise_sets", "workout_sessions", "session_id"),
    ("program_weeks", "training_programs", "program_id"),
    ("program_workouts", "program_weeks", "program_week_id"),
    ("flashcards", "flashcard_decks", "deck_id"),
    ("track_analysis_cache", "reference_tracks", "track_id"),
)
TEMPLATE_COLUMNS = (
    "id, title, description, category, difficulty, xp_reward, coin_reward, is_universal, "
    "is_active, expires_at, is_repeatable, repeat_frequency, created_at"
)
BATCH = 5000

BATCHED = """
DO $$
DECLARE
    v_last uuid := '00000000-0000-0000-0000-000000000000';
    v_next uuid;
BEGIN
    LOOP
        SELECT b.id INTO v_next
        FROM (SELECT id FROM {table} WHERE id > v_last ORDER BY id LIMIT {batch}) b
        ORDER BY b.id DESC LIMIT 1;
        EXIT WHEN v_next IS NULL;
        {statement}
        v_last := v_next;
        COMMIT;
    END LOOP;
END
$$"""


def upgrade() -> None:
    op.execute(f"""
WITH moved AS (
    DELETE FROM quests WHERE user_id IS NULL
    RETURNING {TEMPLATE_COLUMNS}
)
INSERT INTO quest_templates ({TEMPLATE_COLUMNS})
SELECT {TEMPLATE_COLUMNS} FROM moved""")
    with op.get_context().autocommit_block():
        for table, parent, column in CHILDREN:
            fill = (
                f"UPDATE {table} c SET user_id = p.user_id FROM {parent} p\n"
                f"        WHERE p.id = c.{column} AND c.id > v_last AND c.id <= v_next\n"
                "          AND c.user_id IS NULL;"
            )
            op.execute(BATCHED.format(table=table, batch=BATCH, statement=fill))
        emails = (
            "INSERT INTO user_emails (email_lower, user_id)\n"
            "        SELECT lower(u.email), u.id FROM users u WHERE u.id > v_last AND u.id <= v_next\n"
            "        ON CONFLICT (email_lower) DO NOTHING;"
        )
        op.execute(BATCHED.format(table="users", batch=BATCH, statement=emails))


def downgrade() -> None:
    op.execute(f"""
WITH moved AS (
    DELETE FROM quest_templates
    RETURNING {TEMPLATE_COLUMNS}
)
INSERT INTO quests ({TEMPLATE_COLUMNS})
SELECT {TEMPLATE_COLUMNS} FROM moved""")
