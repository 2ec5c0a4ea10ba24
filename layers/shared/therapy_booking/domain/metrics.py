"""Business metrics: what the platform counts, under which names, with which dimensions.

The one home of the metric names (docs/observability.md lists them, the template's dashboard plots them).
Every dimension's value comes from a fixed enumeration of the domain (a role, a channel, an expiry's
outcome, a reminder's kind): never an id, a name, an address, a number or a note, so each metric has a
handful of series at most.

- Each committed transition counts once per handling of its outbox record (`EVENT_METRICS`,
  `event_dimensions`; the notifications consumer counts them after the record's messages went out).
- Each message counts when it is sent (`NOTIFICATIONS_SENT`, by channel) or fails (`NOTIFICATIONS_FAILED`,
  by channel), in `domain.notifications.NotificationService`; a reminder's messages count as reminders too
  (`REMINDERS_SENT`, by kind).

`BusinessMetrics` is the port; `adapters.business_metrics` writes it as CloudWatch embedded metric format
(Powertools). Pure: no Powertools here.
"""

from __future__ import annotations

from typing import Protocol

from therapy_booking.domain.events import (
    DomainEvent,
    EventType,
    LocationChangeExpired,
    OfferExpired,
    SessionCancelled,
)
from therapy_booking.domain.reservations import ReservationEventType


class BusinessMetrics(Protocol):
    def count(self, name: str, **dimensions: str) -> None:
        """Count one of `name`; each dimension's value is one of a fixed enumeration's."""


class NoMetrics:
    """Counts nothing: the default of the services that can count."""

    def count(self, name: str, **dimensions: str) -> None:
        return None


NO_METRICS = NoMetrics()

# One metric per stored event type (a test fails until a new type has one).
EVENT_METRICS: dict[EventType, str] = {
    EventType.SESSION_BOOKED: "SessionsBooked",
    EventType.SESSION_CONFIRMED: "SessionsConfirmed",
    EventType.SESSION_DECLINED: "SessionsDeclined",
    EventType.SESSION_CANCELLED: "SessionsCancelled",  # cancelled_by: model.Role
    EventType.SESSION_COMPLETED: "SessionsCompleted",
    EventType.SESSION_RESCHEDULED: "SessionsRescheduled",
    EventType.LOCATION_CHANGED: "LocationsChanged",
    EventType.LOCATION_CHANGE_REQUESTED: "LocationChangesRequested",
    EventType.LOCATION_CHANGE_ACCEPTED: "LocationChangesAccepted",
    EventType.LOCATION_CHANGE_REJECTED: "LocationChangesRejected",
    EventType.LOCATION_CHANGE_EXPIRED: "LocationChangesExpired",  # outcome: events.ExpiryOutcome
    EventType.ALTERNATIVES_OFFERED: "OffersMade",
    EventType.OFFER_ACCEPTED: "OffersAccepted",
    EventType.OFFER_REJECTED: "OffersRejected",
    EventType.OFFER_EXPIRED: "OffersExpired",  # outcome: events.ExpiryOutcome
    EventType.ADMIN_REARRANGED: "AdminRearrangements",
}

RESERVATION_METRICS: dict[ReservationEventType, str] = {
    ReservationEventType.MADE: "ReservationsMade",
    ReservationEventType.DELETED: "ReservationsDeleted",
}

# Counted by `NotificationService`, per message.
NOTIFICATIONS_SENT = "NotificationsSent"  # channel: notifications.Channel
NOTIFICATIONS_FAILED = "NotificationsFailed"  # channel: notifications.Channel
REMINDERS_SENT = "RemindersSent"  # reminder: the occasion's EventType (session.reminder, session.response_reminder)


def event_dimensions(event: DomainEvent) -> dict[str, str]:
    """The dimensions an event's count has: who cancelled a cancellation (the actor when the event does not
    say), what an unanswered change's expiry did."""
    if isinstance(event, SessionCancelled):
        return {"cancelled_by": str(event.cancelled_by or event.actor_role)}
    if isinstance(event, OfferExpired | LocationChangeExpired):
        return {"outcome": str(event.outcome)}
    return {}


def count_event(metrics: BusinessMetrics, event: DomainEvent) -> None:
    """Count a committed transition under its event type's metric (an unknown type counts nothing)."""
    name = EVENT_METRICS.get(event.event_type)
    if name is not None:
        metrics.count(name, **event_dimensions(event))


def count_reservation_event(metrics: BusinessMetrics, event_type: ReservationEventType) -> None:
    """Count a reservation made or deleted."""
    metrics.count(RESERVATION_METRICS[event_type])
