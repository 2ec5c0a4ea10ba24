"""Outbox stream consumer: keeps each session's one-time schedules in step with its events.

- Expiry: an offer or location change that opens gets its expiry schedule at its deadline; one
  that is answered, expired or settled by the team loses it.
- Reminder: every event item carries the session as the event left it. While that session is
  confirmed and its reminder time (24 h before the start) is still ahead, it has one reminder
  schedule at that time, for that start: a confirmation creates it; a reschedule, an accepted
  offer or location change, or the team's move replaces it; an expiry that reverts to the
  confirmed session creates it again. Otherwise (declined, cancelled, completed, waiting for the
  client's answer to an offer or location change) it is deleted. A session confirmed, or moved,
  less than 24 h before its start gets no reminder: the email about that confirmation or move
  has just told both parties, and a reminder at once would repeat it. A new booking makes no
  call: a session never confirmed has no reminder to delete. The rule is
  `domain.notifications.reminder_plan`. An event item written before items carried the session
  (no snapshot), or of a type this code does not know, is handled for expiry only.

The template's filter lets only event items' INSERTs through; the check here keeps that true if
the filter changes. Powertools' BatchProcessor handles each record on its own: a record that fails
(a throttled Scheduler call) is reported in `batchItemFailures`, and Lambda retries from it. The
records delivered again after it change nothing: creating an existing expiry schedule, deleting a
missing schedule and replacing a reminder with the same plan all succeed, and a session's records
come in order, so the last plan wins (see `adapters.session_schedules`). Logs carry event types
and ids only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.adapters.dynamodb.outbox import event_from_image
from therapy_booking.domain import events
from therapy_booking.domain.notifications import reminder_plan
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


def _keep_expiry_in_step(image: dict[str, Any]) -> None:
    event_type, session_id = image.get("event_type"), image.get("session_id")
    data = image.get("data") or {}
    change_id = data.get("change_id")
    ids = {"event_type": event_type, "session_id": session_id, "change_id": change_id}
    if event_type in OPENING:
        if not (session_id and change_id and data.get("expires_at")):
            raise ValueError(f"{event_type} event without session_id, change_id or expires_at")
        at = max(_deadline(data["expires_at"]), container.clock.now() + LATE_LEAD)
        container.session_schedules.schedule(change_id, session_id, at)
        logger.info("expiry schedule in place", extra={**ids, "at": at.isoformat()})
    elif event_type in CLOSING and change_id:
        container.session_schedules.cancel(change_id)
        logger.info("expiry schedule gone", extra=ids)


def _keep_reminder_in_step(raw_image: dict[str, Any]) -> None:
    try:
        event, session = event_from_image(raw_image)
    except ValueError:
        logger.warning("event of a type this code does not know: no reminder change", extra={"keys": sorted(raw_image)})
        return
    if session is None:
        return  # an item from before event items carried the session
    plan = reminder_plan(event.event_type, session, container.clock.now())
    ids = {"event_type": str(event.event_type), "session_id": session.session_id}
    if plan is None:
        return
    if plan.at is not None:
        container.session_schedules.schedule_reminder(session.session_id, session.start, plan.at)
        logger.info("reminder schedule in place", extra={**ids, "at": plan.at.isoformat()})
    else:
        container.session_schedules.cancel_reminder(session.session_id)
        logger.info("no reminder schedule", extra=ids)


def record_handler(record: DynamoDBRecord) -> None:
    stream = record.dynamodb
    image = stream.new_image if stream else {}
    if stream is None or record.event_name is not DynamoDBRecordEventName.INSERT or image.get("entity") != "event":
        return
    _keep_expiry_in_step(image)
    if image.get("session"):
        _keep_reminder_in_step(stream.raw_event["NewImage"])


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
