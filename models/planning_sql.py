"""Views of planning (revision 0006); the revision adds no functions.

"Today" and "this week" follow the session's ``TimeZone`` (``CURRENT_DATE``), so the app
sets the user's zone on its connection to get the user's day.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from models.base import ViewBase
from models.enums import CalendarEventType
from models.planning import CALENDAR_EVENT_TYPE
from models.sql import declare_view

TODAYS_EVENTS = declare_view(
    "todays_events",
    """
SELECT e.id,
       e.user_id,
       e.title,
       e.event_type,
       e.start_time,
       e.end_time,
       e.all_day,
       e.location,
       e.workout_id
FROM calendar_events e
WHERE e.start_time < CURRENT_DATE + 1
  AND COALESCE(e.end_time, e.start_time) >= CURRENT_DATE
""",
)

THIS_WEEKS_EVENTS = declare_view(
    "this_weeks_events",
    """
SELECT e.id,
       e.user_id,
       e.title,
       e.event_type,
       e.start_time,
       e.end_time,
       e.all_day,
       e.location,
       e.workout_id
FROM calendar_events e
WHERE e.start_time < date_trunc('WEEK', CURRENT_DATE::timestamp) + interval '7 days'
  AND COALESCE(e.end_time, e.start_time) >= date_trunc('WEEK', CURRENT_DATE::timestamp)
""",
)


class _EventRow:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID]
    title: Mapped[str]
    event_type: Mapped[CalendarEventType] = mapped_column(CALENDAR_EVENT_TYPE)
    start_time: Mapped[datetime]
    end_time: Mapped[datetime | None]
    all_day: Mapped[bool]
    location: Mapped[str | None]
    workout_id: Mapped[uuid.UUID | None]


class TodaysEvent(_EventRow, ViewBase):
    """Read-only row of ``todays_events``: events that overlap today."""

    __tablename__ = "todays_events"


class ThisWeeksEvent(_EventRow, ViewBase):
    """Read-only row of ``this_weeks_events``: events that overlap this ISO week."""

    __tablename__ = "this_weeks_events"
