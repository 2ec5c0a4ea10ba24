"""Outbox stream consumer: an offer or location change that opens gets its one-time expiry schedule;
one that is answered, expired or settled by the team loses it.

The template's filter lets only event items' INSERTs through; the check here keeps that true if
the filter changes. Powertools' BatchProcessor handles each record on its own: a record that fails
(a throttled Scheduler call) is reported in `batchItemFailures`, and Lambda retries from it. The
records delivered again after it change nothing: creating an existing schedule and deleting a
missing one both succeed (see `adapters.expiry_schedules`). Logs carry event types and ids only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.domain import events
from therapy_booking.wiring import container

OPENING = frozenset({events.EventType.ALTERNATIVES_OFFERED, events.EventType.LOCATION_CHANGE_REQUESTED})
CLOSING = frozenset(
    {
        events.EventType.OFFER_ACCEPTED,
        events.EventType.OFFER_REJECTED,
        events.EventType.OFFER_EXPIRED,
        events.EventType.LOCATION_CHANGE_ACCEPTED,
        events.EventType.LOCATION_CHANGE_REJECTED,
        events.EventType.LOCATION_CHANGE_EXPIRED,
        events.EventType.ADMIN_REARRANGED,  # closes the change only when its data names one
    }
)
# A deadline that has (nearly) passed when its record arrives (a long outage) is scheduled this far ahead
# rather than in the past: answers are refused from the deadline on anyway, and the sweeper is the backstop.
LATE_LEAD = timedelta(minutes=1)

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def _deadline(value: Any) -> datetime:
    instant = datetime.fromisoformat(str(value))
    if instant.tzinfo is None:
        raise ValueError("expires_at has no time zone")
    return instant


def record_handler(record: DynamoDBRecord) -> None:
    image = record.dynamodb.new_image if record.dynamodb else {}
    if image.get("entity") != "event":
        return
    event_type, session_id = image.get("event_type"), image.get("session_id")
    data = image.get("data") or {}
    change_id = data.get("change_id")
    ids = {"event_type": event_type, "session_id": session_id, "change_id": change_id}
    if event_type in OPENING:
        if not (session_id and change_id and data.get("expires_at")):
            raise ValueError(f"{event_type} event without session_id, change_id or expires_at")
        at = max(_deadline(data["expires_at"]), container.clock.now() + LATE_LEAD)
        container.expiry_schedules.schedule(change_id, session_id, at)
        logger.info("expiry schedule in place", extra={**ids, "at": at.isoformat()})
    elif event_type in CLOSING and change_id:
        container.expiry_schedules.cancel(change_id)
        logger.info("expiry schedule gone", extra=ids)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
