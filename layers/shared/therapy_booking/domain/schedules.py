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
- Response reminder: a new booking whose session has `response_reminder_at` (set at booking, in the
  therapist's business hours: see `domain.responses`) gets one schedule at that time, `LATE_LEAD`
  ahead at the earliest, as an expiry. It goes when the session stops waiting for its first answer:
  the therapist's first answer (the event that set `answered_at`), or the session leaving the
  active statuses, or the team settling it, while never answered (a client cancelling a pending
  booking). Any other event makes no call. A firing that comes late anyway sends nothing
  (`NotificationService.remind_to_respond` reads the session again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from therapy_booking.domain.events import AdminRearranged, ChangeClosed, ChangeOpened, DomainEvent, SessionBooked
from therapy_booking.domain.model import Session, SessionStatus

LATE_LEAD = timedelta(minutes=1)
RESPONSE_REMINDER_KIND = "response"  # the `kind` of a response reminder's schedule Input (the 24 h reminder's has none)
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


@dataclass(frozen=True)
class ResponseReminderAt:
    """The booking `session_id` must remind its therapist to answer at `at`."""

    session_id: str
    at: datetime


@dataclass(frozen=True)
class ResponseReminderGone:
    """The booking `session_id` no longer waits for its first answer: its response reminder must go."""

    session_id: str


def stopped_awaiting_first_answer(event: DomainEvent, session: Session) -> bool:
    """Whether `event`, which left `session`, ended the wait for the therapist's first answer: it is that
    answer, or it ended or settled a booking never answered (a client's cancellation, the team's fix)."""
    if session.answered_at is not None:
        return session.answered_at == event.occurred_at
    if session.awaits_first_answer:
        return False
    return not session.is_active or isinstance(event, AdminRearranged)


def response_reminder_step(
    event: DomainEvent, session: Session, now: datetime
) -> ResponseReminderAt | ResponseReminderGone | None:
    """The response reminder schedule change `event` (which left `session`) calls for, if any."""
    if isinstance(event, SessionBooked):
        due = session.response_reminder_at
        if due is None or not session.awaits_first_answer:
            return None
        return ResponseReminderAt(session.session_id, max(due, now + LATE_LEAD))
    if stopped_awaiting_first_answer(event, session):
        return ResponseReminderGone(session.session_id)
    return None
