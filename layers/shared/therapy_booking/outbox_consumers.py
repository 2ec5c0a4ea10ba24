"""What the outbox stream consumers share: which stream records are outbox events, each decoded once
into its typed event (with the session as the event left it), and a dispatch table per consumer from
event type to the handlers that act on it.

Adding an event type a consumer acts on is one entry in that consumer's table; a type missing from a
table is simply not that consumer's business.

`OutboxConsumer.record_handler` is the Powertools batch record handler both consumers use: an item
of a type this code does not know is logged and skipped (newer code wrote it: no retry helps); one
whose facts do not fit its type, or a handler that raises, fails the record (Lambda retries it,
bisecting, then sends it to the dead-letter queue, where an operator sees it). With `in_order`, a
session whose record failed in this batch has its later records fail too (`HeldBack`), whatever
the failure, so that its events are never acted on out of order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from therapy_booking.domain.events import DomainEvent, EventType, UnknownEventType
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


class HeldBack(Exception):
    """Not acted on yet because an earlier record of the same session failed in this batch."""


@dataclass
class OutboxConsumer:
    """One stream consumer: its dispatch table, its logger, and whether a session's events must be
    acted on in order (`in_order`). Call `new_batch()` at the start of each invocation."""

    table: Dispatch
    logger: Logger
    in_order: bool = False
    _failed_sessions: set[str] = field(default_factory=set)

    def new_batch(self) -> None:
        self._failed_sessions.clear()

    def record_handler(self, record: DynamoDBRecord) -> None:
        if not is_outbox_event(record):
            return
        keys = log_keys(record)
        try:
            event, session = outbox_event(record)
        except UnknownEventType:
            self.logger.warning("event of a type this code does not know: skipped", extra=keys)
            return
        except Exception:
            self.logger.warning("event item that does not fit its type: the record fails", extra=keys)
            self._hold_back(keys["session_id"])
            raise
        if self.in_order and event.session_id in self._failed_sessions:
            raise HeldBack(f"an earlier event of session {event.session_id} failed in this batch")
        try:
            dispatch(self.table, event, session)
        except Exception:
            self._hold_back(event.session_id)
            raise

    def _hold_back(self, session_id: str | None) -> None:
        if self.in_order and session_id:
            self._failed_sessions.add(session_id)
