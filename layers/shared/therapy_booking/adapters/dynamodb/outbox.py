"""The outbox: a transition's event as its item (with the session as the event left it), and a stream
image back into the event."""

from __future__ import annotations

import json
from typing import Any

from therapy_booking.adapters.dynamodb.codecs import session_from_item, session_item
from therapy_booking.adapters.dynamodb.models import EventItem, SessionItem, session_key
from therapy_booking.domain.changes import SessionChange
from therapy_booking.domain.events import DomainEvent, EventType
from therapy_booking.domain.model import Session


def event_item(change: SessionChange) -> EventItem:
    event = change.event
    return EventItem(
        session_key(event.session_id),
        f"EVENT#{event.session_version:08d}",
        event_id=event.event_id,
        event_type=event.event_type,
        session_id=event.session_id,
        session_version=event.session_version,
        therapist_id=change.session.therapist_id,
        client_id=change.session.client_id,
        occurred_at=event.occurred_at,
        actor_role=event.actor_role,
        actor_id=event.actor_id,
        data=json.loads(json.dumps(event.data)),  # plain types only (enums become strings)
        session=session_snapshot(change.session),
        note=event.note,
    )


# Keys, and the free text that may hold health details (the client's note, the reasons given, the history's
# notes): no consumer needs them, and every event item would otherwise keep another copy.
SNAPSHOT_LEAVES_OUT = frozenset(
    {
        *("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk"),
        *("history", "note", "cancellation_reason", "decline_reason"),
        "releases_pending",  # bookkeeping of the store, not part of what happened
    }
)


def session_snapshot(session: Session) -> dict[str, Any]:
    """The session item's attributes as DynamoDB stores them, without keys, history and free text."""
    return {k: v for k, v in session_item(session).serialize().items() if k not in SNAPSHOT_LEAVES_OUT}


def event_from_image(image: dict[str, Any]) -> tuple[DomainEvent, Session | None]:
    """An outbox item from a stream record's NewImage (DynamoDB JSON): the event and, when the item
    has one, the session as the event left it. Raises ValueError for an event type this code does
    not know."""
    item = EventItem.from_raw_data(image)
    event = DomainEvent(
        event_type=EventType(item.event_type),
        session_id=item.session_id,
        session_version=int(item.session_version),
        occurred_at=item.occurred_at,
        actor_role=item.actor_role,
        actor_id=item.actor_id,
        data=dict(item.data.as_dict()) if item.data is not None else {},
    )
    snapshot = SessionItem.from_raw_data(item.session) if item.session else None
    return event, session_from_item(snapshot) if snapshot is not None else None
