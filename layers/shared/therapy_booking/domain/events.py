"""Domain events: one frozen dataclass per thing that happens to a session.

Every transition writes its event in the same transaction as the change (the outbox, see
`adapters.dynamodb.outbox`); the stream consumers read them back as these classes, never as
dicts. Each event carries the header every consumer needs (which session, at which version,
when, by whom) and exactly the facts its consumers read; everything else about the session is
in the session as the event left it, which travels with the event.

A few bases group what several events say alike, so that a consumer asks one question of them:
`ChangeOpened` (an offer or location change waiting for the client, with its deadline),
`ChangeClosed` (answers, expiries and the team's fix that end such a change), `Moved` (the
session's time changed) and `LeavesCalendar` (the session may have left the client's calendar).

Adding an event: an `EventType` member and a class here with that `event_type`, listed in
`EVENT_CLASSES`; a row in `domain.notifications.NOTIFICATIONS` (a test fails until it has one). The
two consumers today send every stored type to their handlers (their tables are built from
`STORED_EVENT_TYPES`); a consumer that acts on some types only lists them in its own table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, TypedDict

from therapy_booking.domain.model import OfferExpiryPolicy, RearrangeReason, Role


class EventType(StrEnum):
    SESSION_BOOKED = "session.booked"
    SESSION_CONFIRMED = "session.confirmed"
    SESSION_DECLINED = "session.declined"
    SESSION_CANCELLED = "session.cancelled"
    SESSION_COMPLETED = "session.completed"
    SESSION_RESCHEDULED = "session.rescheduled"
    LOCATION_CHANGED = "session.location_changed"
    LOCATION_CHANGE_REQUESTED = "session.location_change_requested"
    LOCATION_CHANGE_ACCEPTED = "session.location_change_accepted"
    LOCATION_CHANGE_REJECTED = "session.location_change_rejected"
    LOCATION_CHANGE_EXPIRED = "session.location_change_expired"
    ALTERNATIVES_OFFERED = "session.alternatives_offered"
    OFFER_ACCEPTED = "session.offer_accepted"
    OFFER_REJECTED = "session.offer_rejected"
    OFFER_EXPIRED = "session.offer_expired"
    ADMIN_REARRANGED = "session.admin_rearranged"
    SESSION_REMINDER = "session.reminder"  # the reminder before a confirmed session: raised by its schedule
    RESPONSE_REMINDER = "session.response_reminder"  # a booking still unanswered near its deadline: its schedule's


# Every type an outbox item can hold: all but the reminders, which their schedules raise.
STORED_EVENT_TYPES = frozenset(EventType) - {EventType.SESSION_REMINDER, EventType.RESPONSE_REMINDER}


class UnknownEventType(ValueError):
    """An outbox item of an event type this code does not know (written by newer code): no retry helps."""


class MalformedEvent(ValueError):
    """An outbox item of a known type whose facts are missing or of the wrong type."""


class ExpiryOutcome(StrEnum):
    """What an unanswered change's deadline did to the session (the platform's `OfferExpiryPolicy`)."""

    CANCELLED = "cancelled"
    REVERTED = "reverted"


class EventHeader(TypedDict):
    """What every event says about itself; `Transition.header` fills it."""

    session_id: str
    session_version: int
    occurred_at: datetime
    actor_role: Role
    actor_id: str | None


HEADER_FIELDS = frozenset(EventHeader.__annotations__)


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    event_type: ClassVar[EventType]
    session_id: str
    session_version: int
    occurred_at: datetime
    actor_role: Role
    actor_id: str | None

    @property
    def event_id(self) -> str:
        """Unique per session version, so a transition can never write two events."""
        return f"{self.session_id}/{self.session_version}"


# --- what several events say alike -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ChangeOpened(DomainEvent):
    """An offer or location change now waits for the client's answer until `expires_at`."""

    change_id: str
    expires_at: datetime
    if_unanswered: OfferExpiryPolicy


@dataclass(frozen=True, kw_only=True)
class ChangeClosed(DomainEvent):
    """Ends the offer or location change `change_id` names, if it names one."""

    change_id: str | None


@dataclass(frozen=True, kw_only=True)
class Moved(DomainEvent):
    """The session now starts at another time; it started at `previous_start`."""

    previous_start: datetime


@dataclass(frozen=True, kw_only=True)
class LeavesCalendar(DomainEvent):
    """The session may have left the client's calendar: whether it was confirmed before this event
    (so the calendar held it), and who cancelled it, when this event cancelled it."""

    was_confirmed: bool
    cancelled_by: Role | None = None


# --- the events --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SessionBooked(DomainEvent):
    event_type = EventType.SESSION_BOOKED


@dataclass(frozen=True, kw_only=True)
class SessionConfirmed(DomainEvent):
    event_type = EventType.SESSION_CONFIRMED


@dataclass(frozen=True, kw_only=True)
class SessionDeclined(DomainEvent):
    event_type = EventType.SESSION_DECLINED


@dataclass(frozen=True, kw_only=True)
class SessionCancelled(LeavesCalendar):
    event_type = EventType.SESSION_CANCELLED


@dataclass(frozen=True, kw_only=True)
class SessionCompleted(DomainEvent):
    event_type = EventType.SESSION_COMPLETED


@dataclass(frozen=True, kw_only=True)
class SessionRescheduled(Moved):
    event_type = EventType.SESSION_RESCHEDULED
    reason: RearrangeReason


@dataclass(frozen=True, kw_only=True)
class LocationChanged(DomainEvent):
    event_type = EventType.LOCATION_CHANGED
    reason: RearrangeReason


@dataclass(frozen=True, kw_only=True)
class LocationChangeRequested(ChangeOpened):
    event_type = EventType.LOCATION_CHANGE_REQUESTED


@dataclass(frozen=True, kw_only=True)
class LocationChangeAccepted(ChangeClosed):
    event_type = EventType.LOCATION_CHANGE_ACCEPTED


@dataclass(frozen=True, kw_only=True)
class LocationChangeRejected(ChangeClosed, LeavesCalendar):
    event_type = EventType.LOCATION_CHANGE_REJECTED


@dataclass(frozen=True, kw_only=True)
class LocationChangeExpired(ChangeClosed, LeavesCalendar):
    event_type = EventType.LOCATION_CHANGE_EXPIRED
    outcome: ExpiryOutcome


@dataclass(frozen=True, kw_only=True)
class AlternativesOffered(ChangeOpened):
    event_type = EventType.ALTERNATIVES_OFFERED


@dataclass(frozen=True, kw_only=True)
class OfferAccepted(ChangeClosed, Moved):
    event_type = EventType.OFFER_ACCEPTED


@dataclass(frozen=True, kw_only=True)
class OfferRejected(ChangeClosed, LeavesCalendar):
    event_type = EventType.OFFER_REJECTED


@dataclass(frozen=True, kw_only=True)
class OfferExpired(ChangeClosed, LeavesCalendar):
    event_type = EventType.OFFER_EXPIRED
    outcome: ExpiryOutcome


@dataclass(frozen=True, kw_only=True)
class AdminRearranged(ChangeClosed, LeavesCalendar):
    event_type = EventType.ADMIN_REARRANGED
    reason: RearrangeReason
    # The team's note, for the audit trail only (kept on the outbox item): no consumer reads it.
    note: str


@dataclass(frozen=True, kw_only=True)
class SessionReminderDue(DomainEvent):
    """A confirmed session planned to start at `start` is near: raised by its reminder schedule, not
    written to the outbox. One per (session, start), whatever the session's version."""

    event_type = EventType.SESSION_REMINDER
    start: datetime

    @property
    def event_id(self) -> str:
        return f"{self.session_id}/reminder/{self.start:%Y%m%dT%H%M%SZ}"


@dataclass(frozen=True, kw_only=True)
class ResponseReminderDue(DomainEvent):
    """A booking still waits for its therapist's first answer as its response deadline nears: raised by its
    response reminder schedule, not written to the outbox. One per session: a booking is answered once."""

    event_type = EventType.RESPONSE_REMINDER

    @property
    def event_id(self) -> str:
        return f"{self.session_id}/respond"


EVENT_CLASSES: dict[EventType, type[DomainEvent]] = {
    cls.event_type: cls
    for cls in (
        SessionBooked,
        SessionConfirmed,
        SessionDeclined,
        SessionCancelled,
        SessionCompleted,
        SessionRescheduled,
        LocationChanged,
        LocationChangeRequested,
        LocationChangeAccepted,
        LocationChangeRejected,
        LocationChangeExpired,
        AlternativesOffered,
        OfferAccepted,
        OfferRejected,
        OfferExpired,
        AdminRearranged,
        SessionReminderDue,
        ResponseReminderDue,
    )
}
