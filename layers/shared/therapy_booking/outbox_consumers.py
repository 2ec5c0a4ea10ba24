"""What the outbox stream consumers share: which stream records are outbox events, each decoded once
into its typed event (with the session as the event left it), and a dispatch table per consumer from
event type to the handlers that act on it.

Adding an event type a consumer acts on is one entry in that consumer's table; a type missing from a
table is simply not that consumer's business.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from therapy_booking.domain.events import DomainEvent, EventType
from therapy_booking.domain.model import Session
from therapy_booking.wiring import container

Handler = Callable[[DomainEvent, Session | None], None]
Dispatch = Mapping[EventType, Sequence[Handler]]


def _string(image: Mapping[str, Any], name: str) -> str | None:
    value = image.get(name)
    found = value.get("S") if isinstance(value, dict) else None
    return found if isinstance(found, str) else None


def _new_image(record: DynamoDBRecord) -> Mapping[str, Any]:
    image = record.dynamodb.raw_event.get("NewImage") if record.dynamodb else None
    return image if isinstance(image, dict) else {}


def is_outbox_event(record: DynamoDBRecord) -> bool:
    """An outbox item's INSERT. The template's filter lets only these through; this keeps it true if
    the filter changes."""
    return record.event_name is DynamoDBRecordEventName.INSERT and _string(_new_image(record), "entity") == "event"


def log_keys(record: DynamoDBRecord) -> dict[str, str | None]:
    """What a log line may say about a record, read without decoding it: its event type and session id."""
    image = _new_image(record)
    return {"event_type": _string(image, "event_type"), "session_id": _string(image, "session_id")}


def outbox_event(record: DynamoDBRecord) -> tuple[DomainEvent, Session | None]:
    """The record's typed event and the session as it left it (None in items written before items
    carried it). Raises `UnknownEventType` or `MalformedEvent` (`domain.events`)."""
    return container.outbox.decode(_new_image(record))


def dispatch(table: Dispatch, event: DomainEvent, session: Session | None) -> None:
    """Run every handler `table` lists for the event's type, in order."""
    for handler in table.get(event.event_type, ()):
        handler(event, session)
