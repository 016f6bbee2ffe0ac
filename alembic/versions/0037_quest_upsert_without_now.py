"""accept_universal_quest takes now() into a variable before its upsert (Citus).

Revision ID: 0037
Revises: 0036
Create Date: 2026-11-22

On a distributed table Citus refuses a function that is not IMMUTABLE in the ``DO UPDATE SET``
clause of an ``INSERT ... ON CONFLICT`` ("functions used in the DO UPDATE SET clause of INSERTs
on distributed tables must be marked IMMUTABLE"): ``accept_universal_quest`` set
``accepted_at = now()`` there, so accepting a quest failed on the cluster. The body now reads
``now()`` once into ``v_now`` (a PL/pgSQL variable reaches Citus as a parameter); the value is
the same, the transaction's start. It is the only function at head with an upsert that calls
a function. Its HINT no longer names the settings that 0021 replaced.

Lock safety: CREATE OR REPLACE FUNCTION changes only the catalog.

Downgrade restores the body of 0032.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE OR REPLACE FUNCTION public.accept_universal_quest(p_user_id uuid, p_quest_id uuid)
 RETURNS user_quest_progress
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
    v_progress user_quest_progress;
    v_now timestamptz := now();
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Present the user''s session token (SET LOCAL app.session_token), or act as the service.';
    END IF;
    PERFORM 1 FROM universal_quests WHERE id = p_quest_id AND is_active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'universal quest % does not exist or is not active', p_quest_id
            USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO user_quest_progress (user_id, quest_id, status, accepted_at)
    VALUES (p_user_id, p_quest_id, 'accepted', v_now)
    ON CONFLICT (user_id, quest_id) DO UPDATE
        SET status = 'accepted', accepted_at = v_now
        WHERE user_quest_progress.status = 'available'
    RETURNING * INTO v_progress;
    IF NOT FOUND THEN
        SELECT * INTO v_progress FROM user_quest_progress
        WHERE user_id = p_user_id AND quest_id = p_quest_id;
    END IF;
    RETURN v_progress;
END;
$function$
"""

DOWNGRADE = """
CREATE OR REPLACE FUNCTION public.accept_universal_quest(p_user_id uuid, p_quest_id uuid)
 RETURNS user_quest_progress
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
    v_progress user_quest_progress;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    PERFORM 1 FROM universal_quests WHERE id = p_quest_id AND is_active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'universal quest % does not exist or is not active', p_quest_id
            USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO user_quest_progress (user_id, quest_id, status, accepted_at)
    VALUES (p_user_id, p_quest_id, 'accepted', now())
    ON CONFLICT (user_id, quest_id) DO UPDATE
        SET status = 'accepted', accepted_at = now()
        WHERE user_quest_progress.status = 'available'
    RETURNING * INTO v_progress;
    IF NOT FOUND THEN
        SELECT * INTO v_progress FROM user_quest_progress
        WHERE user_id = p_user_id AND quest_id = p_quest_id;
    END IF;
    RETURN v_progress;
END;
$function$
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
