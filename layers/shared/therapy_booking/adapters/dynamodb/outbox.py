"""The outbox codec: a transition's event as its item (with the session as the event left it), and a
stream image back into the typed event.

The item keeps one shape for every event: the header (`event_type`, `session_id`,
`session_version`, `occurred_at`, `actor_role`, `actor_id`) as attributes, the event's own
facts in `data` (plain JSON types: instants as ISO 8601, enums as their values, plus the status
the event left, for the audit trail), the team's note in `note`, and the session snapshot in
`session`. Decoding reads each fact by the event class's field types, so a consumer gets
`OfferAccepted.previous_start` as an aware `datetime`, never `data["previous_start"]`.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import MISSING, Field, fields
from datetime import datetime
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

from therapy_booking.adapters.dynamodb.codecs import session_from_item, session_item
from therapy_booking.adapters.dynamodb.models import EventItem, SessionItem, session_key
from therapy_booking.domain.changes import SessionChange
from therapy_booking.domain.events import (
    EVENT_CLASSES,
    HEADER_FIELDS,
    DomainEvent,
    EventType,
    LocationChangeExpired,
    MalformedEvent,
    OfferExpired,
    UnknownEventType,
)
from therapy_booking.domain.model import Role, Session

# Kept on the item's own `note` attribute rather than in `data`: the team's free text, audit trail only.
NOTE = "note"
# Facts that expiry items written before events were typed may lack, with what those items meant: one
# that cancelled said no outcome, and one that reverted did not say whether the session was confirmed
# (its messages then treat the client's calendar as holding it).
LEGACY_DEFAULTS: dict[type[DomainEvent], dict[str, object]] = {
    expired: {"outcome": "cancelled", "was_confirmed": True} for expired in (OfferExpired, LocationChangeExpired)
}


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
        data={"status": str(change.session.status), **event_data(event)},
        session=session_snapshot(change.session),
        note=getattr(event, NOTE, None),
    )


def event_data(event: DomainEvent) -> dict[str, str | int | bool | None]:
    """The event's own facts (all but the header and the note), as plain JSON values."""
    return {f.name: _plain(getattr(event, f.name)) for f in _facts(type(event))}


def _plain(value: object) -> str | int | bool | None:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"an event fact of type {type(value).__name__} has no plain form")


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


def event_from_image(image: Mapping[str, Any]) -> tuple[DomainEvent, Session | None]:
    """An outbox item from a stream record's NewImage (DynamoDB JSON): the typed event and, when the
    item has one, the session as the event left it.

    Raises UnknownEventType for a type this code does not know, MalformedEvent for an item whose
    facts do not fit its type (both ValueError)."""
    item = EventItem.from_raw_data(dict(image))
    try:
        cls = EVENT_CLASSES[EventType(item.event_type)]
    except ValueError:
        raise UnknownEventType(f"unknown event type {item.event_type!r}") from None
    data = dict(item.data.as_dict()) if item.data is not None else {}
    facts: dict[str, Any] = {}
    legacy = LEGACY_DEFAULTS.get(cls, {})
    for f in _facts(cls):
        if f.name in data or f.name in legacy:
            facts[f.name] = _typed(_hints(cls)[f.name], data.get(f.name, legacy.get(f.name)), f.name)
        elif f.default is MISSING:
            raise MalformedEvent(f"{item.event_type} event without {f.name}")
    if NOTE in _field_names(cls):
        facts[NOTE] = item.note or ""
    try:
        event = cls(
            session_id=item.session_id,
            session_version=int(item.session_version),
            occurred_at=item.occurred_at,
            actor_role=Role(item.actor_role),
            actor_id=item.actor_id,
            **facts,
        )
    except ValueError as error:
        raise MalformedEvent(f"{item.event_type} event: {error}") from None
    snapshot = SessionItem.from_raw_data(item.session) if item.session else None
    return event, session_from_item(snapshot) if snapshot is not None else None


def _facts(cls: type[DomainEvent]) -> tuple[Field[Any], ...]:
    return tuple(f for f in fields(cls) if f.name not in HEADER_FIELDS and f.name != NOTE)


def _field_names(cls: type[DomainEvent]) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls))


# Each event class's field types, resolved once (the classes' annotations are strings).
_HINTS: dict[type[DomainEvent], dict[str, Any]] = {cls: get_type_hints(cls) for cls in EVENT_CLASSES.values()}


def _hints(cls: type[DomainEvent]) -> dict[str, Any]:
    return _HINTS[cls]


def _typed(hint: Any, value: object, name: str) -> object:
    """`value` as read from the item, as the field's type `hint` says (optional, enum, instant or plain)."""
    if get_origin(hint) in (Union, types.UnionType):
        options = [option for option in get_args(hint) if option is not type(None)]
        if value is None and len(options) < len(get_args(hint)):
            return None
        if len(options) != 1:
            raise MalformedEvent(f"{name}: this codec reads optional facts of one type only")
        (hint,) = options
    if isinstance(hint, type) and issubclass(hint, Enum):
        if not isinstance(value, str):
            raise MalformedEvent(f"{name} is not a string")
        try:
            return hint(value)
        except ValueError:
            raise MalformedEvent(f"{name} is not one of {', '.join(str(m.value) for m in hint)}") from None
    if hint is datetime:
        try:
            instant = datetime.fromisoformat(str(value))
        except ValueError:
            raise MalformedEvent(f"{name} is not an ISO 8601 instant") from None
        if instant.tzinfo is None:
            raise MalformedEvent(f"{name} has no time zone")
        return instant
    if hint is bool and not isinstance(value, bool):
        raise MalformedEvent(f"{name} is not a boolean")
    if hint is str and not isinstance(value, str):
        raise MalformedEvent(f"{name} is not a string")
    return value


class OutboxCodec:
    """The `OutboxEvents` port: stream images of outbox items back into typed events."""

    def decode(self, image: Mapping[str, Any]) -> tuple[DomainEvent, Session | None]:
        return event_from_image(image)
