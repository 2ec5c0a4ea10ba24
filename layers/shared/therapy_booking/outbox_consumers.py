"""What the outbox stream consumers share: which stream records are outbox events, each decoded once
into its typed event (with the session as the event left it), and a dispatch table per consumer from
event type to the handlers that act on it.

Adding an event type a consumer acts on is one entry in that consumer's table; a type missing from a
table is simply not that consumer's business. A reservation's outbox items (entity `reservation_event`) are
decoded the same way, into the event and the reservation as it left it, and go to the consumer's
`reservations` handlers; a consumer without any is not concerned with them.

`OutboxConsumer.record_handler` is the Powertools batch record handler both consumers use: an item
of a type this code does not know is logged and skipped (newer code wrote it: no retry helps); one
whose facts do not fit its type, or a handler that raises, fails the record (Lambda retries it,
bisecting, then sends it to the dead-letter queue, where an operator sees it). With `in_order`, a
session (or reservation) whose record failed in this batch has its later records fail too (`HeldBack`),
whatever the failure, so that its events are never acted on out of order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from therapy_booking.domain.events import DomainEvent, EventType, UnknownEventType
from therapy_booking.domain.model import Session
from therapy_booking.domain.reservations import Reservation, ReservationEvent
from therapy_booking.wiring import container

Handler = Callable[[DomainEvent, Session | None], None]
Dispatch = Mapping[EventType, Sequence[Handler]]
ReservationHandler = Callable[[ReservationEvent, Reservation], None]


def _string(image: Mapping[str, Any], name: str) -> str | None:
    value = image.get(name)
    found = value.get("S") if isinstance(value, dict) else None
    return found if isinstance(found, str) else None


def _new_image(record: DynamoDBRecord) -> Mapping[str, Any]:
    image = record.dynamodb.raw_event.get("NewImage") if record.dynamodb else None
    return image if isinstance(image, dict) else {}


def _is_insert_of(record: DynamoDBRecord, entity: str) -> bool:
    return record.event_name is DynamoDBRecordEventName.INSERT and _string(_new_image(record), "entity") == entity


def is_outbox_event(record: DynamoDBRecord) -> bool:
    """A session's outbox item's INSERT. The template's filter lets only these (and, to a consumer of
    reservations, `is_reservation_event`'s) through; this keeps it true if the filter changes."""
    return _is_insert_of(record, "event")


def is_reservation_event(record: DynamoDBRecord) -> bool:
    """A reservation's outbox item's INSERT."""
    return _is_insert_of(record, "reservation_event")


def log_keys(record: DynamoDBRecord) -> dict[str, str | None]:
    """What a log line may say about a record, read without decoding it: its event type and session id."""
    image = _new_image(record)
    return {"event_type": _string(image, "event_type"), "session_id": _string(image, "session_id")}


def reservation_log_keys(record: DynamoDBRecord) -> dict[str, str | None]:
    """What a log line may say about a reservation's record, read without decoding it."""
    image = _new_image(record)
    return {"event_type": _string(image, "event_type"), "reservation_id": _string(image, "reservation_id")}


def reservation_event(record: DynamoDBRecord) -> tuple[ReservationEvent, Reservation]:
    """The record's typed reservation event and the reservation as it left it. Raises `UnknownEventType`
    or `MalformedEvent` (`domain.events`)."""
    return container.reservation_outbox.decode(_new_image(record))


def outbox_event(record: DynamoDBRecord) -> tuple[DomainEvent, Session | None]:
    """The record's typed event and the session as it left it (None in items written before items
    carried it). Raises `UnknownEventType` or `MalformedEvent` (`domain.events`)."""
    return container.outbox.decode(_new_image(record))


def dispatch(table: Dispatch, event: DomainEvent, session: Session | None) -> None:
    """Run every handler `table` lists for the event's type, in order."""
    for handler in table.get(event.event_type, ()):
        handler(event, session)


def run_each(handlers: Sequence[ReservationHandler], event: ReservationEvent, reservation: Reservation) -> None:
    """Run each of `handlers` on the reservation event, in order."""
    for handler in handlers:
        handler(event, reservation)


class HeldBack(Exception):
    """Not acted on yet because an earlier record of the same session (or reservation) failed in this batch."""


@dataclass
class OutboxConsumer:
    """One stream consumer: its dispatch table, its logger, whether a session's (or a reservation's) events
    must be acted on in order (`in_order`), and what acts on each reservation event (`reservations`, in
    order). Call `new_batch()` at the start of each invocation."""

    table: Dispatch
    logger: Logger
    in_order: bool = False
    reservations: Sequence[ReservationHandler] = ()
    _failed: set[str] = field(default_factory=set)  # "session <id>", "reservation <id>"

    def new_batch(self) -> None:
        self._failed.clear()

    def record_handler(self, record: DynamoDBRecord) -> None:
        if is_outbox_event(record):
            keys = log_keys(record)
            decoded = self._decode(partial(outbox_event, record), keys, _subject("session", keys["session_id"]))
            if decoded is not None:
                event, session = decoded
                self._act(_subject("session", event.session_id), partial(dispatch, self.table, event, session))
        elif self.reservations and is_reservation_event(record):
            keys = reservation_log_keys(record)
            found = self._decode(
                partial(reservation_event, record), keys, _subject("reservation", keys["reservation_id"])
            )
            if found is not None:
                told, reservation = found
                subject = _subject("reservation", told.reservation_id)
                self._act(subject, partial(run_each, self.reservations, told, reservation))

    def _decode[T](self, decode: Callable[[], T], keys: dict[str, str | None], subject: str | None) -> T | None:
        """The record's decoded item; None (logged, skipped) for an event type this code does not know."""
        try:
            return decode()
        except UnknownEventType:
            self.logger.warning("event of a type this code does not know: skipped", extra=keys)
            return None
        except Exception:
            self.logger.warning("event item that does not fit its type: the record fails", extra=keys)
            self._hold_back(subject)
            raise

    def _act(self, subject: str | None, act: Callable[[], None]) -> None:
        """Act on a record of `subject` (a session or a reservation), unless an earlier one of it failed."""
        if self.in_order and subject in self._failed:
            raise HeldBack(f"an earlier event of {subject} failed in this batch")
        try:
            act()
        except Exception:
            self._hold_back(subject)
            raise

    def _hold_back(self, subject: str | None) -> None:
        if self.in_order and subject:
            self._failed.add(subject)


def _subject(kind: str, item_id: str | None) -> str | None:
    return f"{kind} {item_id}" if item_id else None
