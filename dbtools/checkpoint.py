"""What the validation checkpoint (shared/seeds/000_*.txt) says each revision creates.

This is the project's own copy of the document's facts: the tests compare against it, and
``make check-sources`` compares it with the document when ``shared/`` is there.

Revisions 0002-0007 must create exactly these tables, functions and views; for 0001 the
checkpoint lists only the tables (its functions and views are ours: ``None`` = not fixed).
Trigger functions attached by triggers (``set_updated_at``) belong to 0001.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Created:
    tables: frozenset[str]
    functions: frozenset[str] | None
    views: frozenset[str] | None


def _c(tables: str, functions: str | None, views: str | None) -> Created:
    def split(text: str | None) -> frozenset[str] | None:
        return None if text is None else frozenset(text.split())

    return Created(frozenset(tables.split()), split(functions), split(views))


CHECKPOINT: dict[str, Created] = {
    "0001": _c(
        "users accounts sessions verification_tokens authenticators roles entitlements "
        "role_entitlements user_roles audit_log activity_events",
        None,
        None,
    ),
    "0002": _c(
        "skill_definitions user_skills achievement_definitions user_achievements user_progress "
        "user_wallet points_ledger user_streaks",
        "award_xp award_coins spend_coins update_streak",
        "user_gamification_summary",
    ),
    "0003": _c(
        "focus_sessions focus_pause_state",
        "start_focus_session complete_focus_session",
        "active_focus_session user_focus_stats",
    ),
    "0004": _c(
        "habits habit_logs goals goal_milestones",
        "complete_habit update_goal_progress",
        "habits_today goals_with_milestones",
    ),
    "0005": _c(
        "universal_quests user_quest_progress quests",
        "accept_universal_quest update_quest_progress claim_quest_rewards",
        "user_available_quests quest_completion_stats",
    ),
    "0006": _c("calendar_events daily_plans plan_templates", "", "todays_events this_weeks_events"),
    "0007": _c(
        "market_items user_purchases",
        "purchase_item redeem_purchase",
        "available_market_items user_unredeemed_purchases market_stats",
    ),
}


# Beyond the checkpoint: the revisions that bring the remaining D1 tables (no functions or
# views of their own). Together with CHECKPOINT this is every table at head.
LATER: dict[str, Created] = {
    "0008": _c(
        "exercises workouts workout_sections workout_exercises workout_sessions exercise_sets "
        "personal_records training_programs program_weeks program_workouts",
        "",
        "",
    ),
    "0009": _c("", "", ""),  # the calendar_events.workout_id index, CONCURRENTLY
    "0010": _c("", "", ""),  # validates the calendar_events.workout_id foreign key
    "0011": _c("books reading_sessions", "", ""),
    "0012": _c(
        "learn_topics learn_lessons learn_drills user_lesson_progress user_drill_stats "
        "flashcard_decks flashcards",
        "",
        "",
    ),
    "0013": _c("journal_entries", "", ""),
    "0014": _c("reference_tracks track_analysis_cache", "", ""),
    "0015": _c("user_settings user_interests user_ui_modules", "", ""),
    "0016": _c("onboarding_flows onboarding_steps user_onboarding_state", "", ""),
    "0017": _c(
        "ignition_packs daw_shortcuts glossary_terms recipe_templates infobase_entries ideas",
        "",
        "",
    ),
    "0018": _c("feedback notifications admin_audit_log access_requests db_metadata", "", ""),
    "0019": _c("", "app_user_id app_is_service app_may_act_for", ""),  # roles, grants, RLS
    "0020": _c("", "ensure_row_level_security", ""),  # owner role, RLS everywhere
    "0021": _c("", "", ""),  # signed identity: session tokens, ignition_service
    "0022": _c("", "", ""),  # points_ledger (user_id, idempotency_key), CONCURRENTLY
    "0023": _c("", "", ""),  # idempotency keys per user and typed
    "0024": _c(  # no minting: game actions only
        "", "pause_focus_session resume_focus_session abandon_focus_session advance_quest", ""
    ),
    # tenant keys (issue #16): user_id on the children, user_emails, quest_templates
    "0025": _c("user_emails quest_templates", "fill_user_id_from_parent", ""),
    "0026": _c("", "", ""),  # backfill in batches; global quests to quest_templates
    "0027": _c("", "", ""),  # CHECK (user_id IS NOT NULL) NOT VALID
    "0028": _c("", "", ""),  # validate, SET NOT NULL
    "0029": _c("", "", ""),  # the children's user_id indexes, CONCURRENTLY
    "0030": _c("", "", ""),  # the (id, user_id) unique indexes, CONCURRENTLY
    "0031": _c(  # composite keys; delete helpers (fill_user_id_from_parent came with 0025)
        "",
        "delete_workout delete_workout_section delete_workout_session delete_exercise_set "
        "delete_user",
        "",
    ),
    "0032": _c("", "", ""),  # the children's own-rows policies; functions by user
    "0033": _c("", "", ""),  # validates the composite foreign keys
    "0034": _c("", "", ""),  # drops the unique keys that span users
    "0035": _c("", "", ""),  # drops the fill triggers
    "0036": _c("", "", ""),  # policies call app_user_id()/app_is_service() plainly
    "0037": _c("", "", ""),  # three functions read now() into a variable (Citus)
}

# The document's summary table, as it states it: (tables, functions, views) per revision.
DOCUMENT_COUNTS: dict[str, tuple[int, int, int]] = {
    "0002": (8, 4, 1),
    "0003": (2, 2, 2),
    "0004": (4, 2, 2),
    "0005": (3, 3, 2),
    "0006": (3, 0, 2),
    "0007": (2, 2, 3),
}

MANIFEST: dict[str, Created] = {**CHECKPOINT, **LATER}
"""What every revision creates: the checkpoint's 0001-0007, then ours."""
