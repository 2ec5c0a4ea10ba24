"""What a session's one-time schedules must become after each of its events. Pure: the outbox
consumer `functions/session_schedules` applies these steps through the schedule ports.

- Expiry: an offer or location change that opens (`ChangeOpened`) gets one schedule at its
  deadline; one that is answered, expires or is settled by the team (`ChangeClosed` naming it)
  loses it. A deadline that has (nearly) passed when its event arrives (a long outage) is
  scheduled `LATE_LEAD` ahead rather than in the past: answers are refused from the deadline on
  anyway, and the sweeper is the backstop.
- Reminder: while the session as the event left it is confirmed and its reminder time
  (`REMINDER_LEAD` before the start) is still ahead, it has one reminder at that time; otherwise
  none. A session confirmed or moved later than that gets none: the email about that change has
  just told both parties. A new booking changes nothing (a session never confirmed has no
  reminder to delete).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from therapy_booking.domain.events import ChangeClosed, ChangeOpened, DomainEvent, SessionBooked
from therapy_booking.domain.model import Session, SessionStatus

LATE_LEAD = timedelta(minutes=1)
REMINDER_LEAD = timedelta(hours=24)


@dataclass(frozen=True)
class ExpiryAt:
    """The change `change_id` of session `session_id` must expire at `at`."""

    change_id: str
    session_id: str
    at: datetime


@dataclass(frozen=True)
class ExpiryGone:
    """The change `change_id` is closed: its expiry schedule must go."""

    change_id: str


def expiry_step(event: DomainEvent, now: datetime) -> ExpiryAt | ExpiryGone | None:
    """The expiry schedule change this event calls for, if any."""
    if isinstance(event, ChangeOpened):
        return ExpiryAt(event.change_id, event.session_id, max(event.expires_at, now + LATE_LEAD))
    if isinstance(event, ChangeClosed) and event.change_id:
        return ExpiryGone(event.change_id)
    return None


def reminder_due_at(session: Session) -> datetime | None:
    """When a session's reminder goes out: `REMINDER_LEAD` before a confirmed session, else never."""
    if session.status is not SessionStatus.CONFIRMED:
        return None
    return session.start - REMINDER_LEAD


@dataclass(frozen=True)
class ReminderPlan:
    """What a session's reminder schedule must become: a reminder at `at`, or none (`at` is None)."""

    at: datetime | None


def reminder_plan(event: DomainEvent, session: Session, now: datetime) -> ReminderPlan | None:
    """The reminder after `event`, which left `session`; None when there is nothing to change."""
    if isinstance(event, SessionBooked):
        return None
    due = reminder_due_at(session)
    return ReminderPlan(due if due is not None and due > now else None)
