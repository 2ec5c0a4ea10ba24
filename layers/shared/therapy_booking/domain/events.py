"""Domain events: one per state change, written in the same transaction (outbox)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


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


@dataclass(frozen=True)
class DomainEvent:
    event_type: EventType
    session_id: str
    session_version: int
    occurred_at: datetime
    actor_role: str
    actor_id: str | None
    data: dict[str, str | int | bool | None] = field(default_factory=dict)
    # Free text of the change (the team's note) for the audit trail only: no consumer reads it.
    note: str | None = None

    @property
    def event_id(self) -> str:
        """Unique per session version, so a transition can never write two events."""
        return f"{self.session_id}/{self.session_version}"
