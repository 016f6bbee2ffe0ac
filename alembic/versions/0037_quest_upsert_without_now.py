"""Functions read now() once into a variable, outside the statements Citus checks.

Revision ID: 0037
Revises: 0036
Create Date: 2026-11-22

On a distributed table Citus refuses a function that is not IMMUTABLE in the ``DO UPDATE SET``
clause of an ``INSERT ... ON CONFLICT`` ("functions used in the DO UPDATE SET clause of INSERTs
on distributed tables must be marked IMMUTABLE") and inside CASE or COALESCE of a modification
("non-IMMUTABLE functions are not allowed in CASE or COALESCE statements"):
``accept_universal_quest`` (upsert), ``update_quest_progress`` (``completed_at = CASE ... THEN
now() END``) and ``pause_focus_session`` failed on the cluster. Each body now reads ``now()``
once into ``v_now`` (a PL/pgSQL variable reaches Citus as a parameter); the value is the same,
the transaction's start. These are the only functions at head that call ``now()`` in such a
place. Their HINT no longer names the settings that 0021 replaced.

Lock safety: CREATE OR REPLACE FUNCTION changes only the catalog.

Downgrade restores the previous bodies.
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
$function$;

CREATE OR REPLACE FUNCTION public.pause_focus_session(p_user_id uuid, p_session_id uuid)
 RETURNS focus_sessions
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
    v_now timestamptz := now();
    v_session focus_sessions;
    v_remaining integer;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Present the user''s session token (SET LOCAL app.session_token), or act as the service.';
    END IF;
    SELECT * INTO v_session FROM focus_sessions
    WHERE id = p_session_id AND user_id = p_user_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'focus session % not found for user %', p_session_id, p_user_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF v_session.status <> 'active' THEN
        RAISE EXCEPTION 'focus session % is not running (%)', p_session_id, v_session.status
            USING ERRCODE = 'P0001';
    END IF;
    v_remaining := GREATEST(0, ceil(EXTRACT(epoch FROM GREATEST(
        v_session.started_at + make_interval(secs => v_session.duration), v_session.expires_at) - v_now)))::integer;
    UPDATE focus_sessions
    SET status = 'paused', paused_at = v_now, paused_remaining = v_remaining
    WHERE id = p_session_id AND user_id = p_user_id
    RETURNING * INTO v_session;
    DELETE FROM focus_pause_state WHERE user_id = p_user_id;
    INSERT INTO focus_pause_state (user_id, mode, time_remaining, paused_at)
    VALUES (p_user_id, v_session.mode, v_remaining, v_now);
    RETURN v_session;
END;
$function$;

CREATE OR REPLACE FUNCTION public.update_quest_progress(p_user_id uuid, p_quest_id uuid, p_increment integer DEFAULT 1)
 RETURNS user_quest_progress
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
    v_now timestamptz := now();
    v_progress user_quest_progress;
    v_target integer;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Present the user''s session token (SET LOCAL app.session_token), or act as the service.';
    END IF;
    IF p_increment IS NULL OR p_increment <= 0 THEN
        RAISE EXCEPTION 'update_quest_progress: increment must be positive, got %', p_increment
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT p.* INTO v_progress FROM user_quest_progress p
    WHERE p.user_id = p_user_id AND p.quest_id = p_quest_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user % has not accepted quest %', p_user_id, p_quest_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF v_progress.completed THEN
        RETURN v_progress;
    END IF;
    SELECT target INTO v_target FROM universal_quests WHERE id = p_quest_id;
    UPDATE user_quest_progress
    SET progress = LEAST(v_target, progress + p_increment),
        status = CASE WHEN progress + p_increment >= v_target THEN 'completed'::quest_status
                      ELSE 'in_progress'::quest_status END,
        completed = progress + p_increment >= v_target,
        completed_at = CASE WHEN progress + p_increment >= v_target THEN v_now END
    WHERE id = v_progress.id AND user_id = p_user_id
    RETURNING * INTO v_progress;
    RETURN v_progress;
END;
$function$;
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
$function$;

CREATE OR REPLACE FUNCTION public.pause_focus_session(p_user_id uuid, p_session_id uuid)
 RETURNS focus_sessions
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
    v_session focus_sessions;
    v_remaining integer;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    SELECT * INTO v_session FROM focus_sessions
    WHERE id = p_session_id AND user_id = p_user_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'focus session % not found for user %', p_session_id, p_user_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF v_session.status <> 'active' THEN
        RAISE EXCEPTION 'focus session % is not running (%)', p_session_id, v_session.status
            USING ERRCODE = 'P0001';
    END IF;
    v_remaining := GREATEST(0, ceil(EXTRACT(epoch FROM GREATEST(
        v_session.started_at + make_interval(secs => v_session.duration), v_session.expires_at) - now())))::integer;
    UPDATE focus_sessions
    SET status = 'paused', paused_at = now(), paused_remaining = v_remaining
    WHERE id = p_session_id AND user_id = p_user_id
    RETURNING * INTO v_session;
    DELETE FROM focus_pause_state WHERE user_id = p_user_id;
    INSERT INTO focus_pause_state (user_id, mode, time_remaining, paused_at)
    VALUES (p_user_id, v_session.mode, v_remaining, now());
    RETURN v_session;
END;
$function$;

CREATE OR REPLACE FUNCTION public.update_quest_progress(p_user_id uuid, p_quest_id uuid, p_increment integer DEFAULT 1)
 RETURNS user_quest_progress
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
    v_progress user_quest_progress;
    v_target integer;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    IF p_increment IS NULL OR p_increment <= 0 THEN
        RAISE EXCEPTION 'update_quest_progress: increment must be positive, got %', p_increment
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT p.* INTO v_progress FROM user_quest_progress p
    WHERE p.user_id = p_user_id AND p.quest_id = p_quest_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user % has not accepted quest %', p_user_id, p_quest_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF v_progress.completed THEN
        RETURN v_progress;
    END IF;
    SELECT target INTO v_target FROM universal_quests WHERE id = p_quest_id;
    UPDATE user_quest_progress
    SET progress = LEAST(v_target, progress + p_increment),
        status = CASE WHEN progress + p_increment >= v_target THEN 'completed'::quest_status
                      ELSE 'in_progress'::quest_status END,
        completed = progress + p_increment >= v_target,
        completed_at = CASE WHEN progress + p_increment >= v_target THEN now() END
    WHERE id = v_progress.id AND user_id = p_user_id
    RETURNING * INTO v_progress;
    RETURN v_progress;
END;
$function$;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
