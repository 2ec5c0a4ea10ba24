"""Outbox stream consumer: tells therapists and clients about each session event, by email and by
SMS to those who opted in (see `domain.notifications.NOTIFICATIONS` for who is told what), and the
reserved client, by email, about each reservation event (`RESERVATION_TEMPLATES`: made, deleted).

The template's filter lets only the INSERTs of session and reservation event items through; the
checks here keep that true if the filter changes. Each record's outbox item carries the session as
the event left it, so a message never shows a later state than the one it announces.

Exactly once: every message is sent under an idempotency record keyed by (event, recipient,
channel) (`adapters.delivery_ledger`), so a record delivered again sends only what is still
missing. Powertools' BatchProcessor handles each record on its own: if any message of a record
could not be sent (SES throttled, a concurrent duplicate still in progress), the record's
other messages still go out and it raises `DeliveryFailed`, so it is reported in
`batchItemFailures` and Lambda retries from it (bounded, bisecting, then the dead-letter queue).
A number SNS cannot text is not a failure: that party gets the email alone.

A session's messages go out in the order of its events: once a record of a session fails (for
whatever reason), the session's later records in the batch are held back (failed unsent) until it
has gone through (`OutboxConsumer(in_order=True)`).
Each record is decoded once into its typed event (`therapy_booking.outbox_consumers`) and goes
through the dispatch table `HANDLERS`. An item without its session snapshot (written by code older
than the snapshot) uses the session as stored if it is still at that event's version. An event type
this code does not know, and a snapshot-less event whose session has moved on, are logged and
skipped; an item whose facts do not fit its type fails its record, and so reaches the dead-letter
queue once Lambda's retries are spent.

A reservation's record goes the same way (`OutboxConsumer.reservations`): decoded once into its event
and the reservation as the event left it, told once per delivery key, failed (and its reservation's
later records held back) when its email could not be sent.

Business metrics (`domain.metrics`, docs/observability.md): every session event counts once its record's
messages went out (`count`, after `notify` in `HANDLERS`), every reservation event once its email went out,
and each message sent or failed by its channel (`NotificationService`); written as EMF when the batch ends.
A record handled again (Lambda retrying a batch from an earlier failed record) counts its event again; a
message the ledger already holds as sent does not count again.

Logs carry event types, ids and delivery keys (ids, roles and channels) only: never an address,
a number, a name or a note.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.domain.events import STORED_EVENT_TYPES, DomainEvent
from therapy_booking.domain.metrics import count_event, count_reservation_event
from therapy_booking.domain.model import Session
from therapy_booking.domain.notifications import DeliveryFailed, DeliveryReport, Occasion
from therapy_booking.domain.reservations import Reservation, ReservationEvent
from therapy_booking.outbox_consumers import Dispatch, OutboxConsumer
from therapy_booking.wiring import container

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def _ids(event: DomainEvent) -> dict[str, str]:
    return {"event_type": str(event.event_type), "session_id": event.session_id, "event_id": event.event_id}


def notify(event: DomainEvent, session: Session | None) -> None:
    """Send what `domain.notifications.NOTIFICATIONS` says the event calls for."""
    session = session or container.notifications.session_as_left_by(event)
    if session is None:
        logger.warning("event without its session snapshot, and the session has moved on: skipped", extra=_ids(event))
        return
    _deliver(
        _ids(event), "some messages not sent", lambda: container.notifications.notify(Occasion.of_event(event, session))
    )


def _reservation_ids(event: ReservationEvent) -> dict[str, str]:
    return {"event_type": str(event.event_type), "reservation_id": event.reservation_id, "event_id": event.event_id}


def tell_reservation(event: ReservationEvent, reservation: Reservation) -> None:
    """Email the reserved client that the reservation was made or deleted (`RESERVATION_TEMPLATES`)."""
    ids = _reservation_ids(event)
    _deliver(ids, "reservation email not sent", lambda: container.notifications.tell_reservation(event, reservation))


def _deliver(ids: dict[str, str], not_sent: str, send: Callable[[], DeliveryReport]) -> None:
    """Send an occasion's messages and log what went (ids and delivery keys only); a failure is logged and raised,
    so the record is retried."""
    try:
        report = send()
    except DeliveryFailed as failed:
        causes = sorted({type(c).__name__ for c in failed.causes})
        logger.warning(
            f"{not_sent}: the record will be retried", extra={**ids, "failed": failed.keys, "causes": causes}
        )
        raise
    logger.info(
        "notified",
        extra={**ids, "sent_count": len(report.sent), "sent": report.sent, "skipped": report.skipped},
    )


def count(event: DomainEvent, session: Session | None) -> None:
    """Count the committed transition (after `notify`: a record that fails counts when it goes through)."""
    count_event(container.business_metrics, event)


def count_reservation(event: ReservationEvent, reservation: Reservation) -> None:
    count_reservation_event(container.business_metrics, event.event_type)


# Every event a session's people may hear about (the mapping decides who hears what, if anything), then counted.
HANDLERS: Dispatch = {event_type: (notify, count) for event_type in STORED_EVENT_TYPES}
# A session's messages go out in the order of its events: once a record of a session fails, its later
# records in the batch fail too (Lambda retries from the first failed record anyway).
# A reservation's events go out in order too: "deleted" never before "made".
consumer = OutboxConsumer(HANDLERS, logger, in_order=True, reservations=(tell_reservation, count_reservation))


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    consumer.new_batch()
    container.delivery_ledger.for_invocation(context)
    with container.business_metrics.published():
        return process_partial_response(
            event=event, record_handler=consumer.record_handler, processor=processor, context=context
        )
