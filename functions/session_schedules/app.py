"""Outbox stream consumer: keeps each session's one-time schedules in step with its events.

Each record is decoded once into its typed event (`therapy_booking.outbox_consumers`) and goes
through the dispatch table `HANDLERS`; what each event does to the schedules is decided in
`domain.schedules`:

- Expiry: an offer or location change that opens gets its expiry schedule at its deadline; one
  that is answered, expired or settled by the team loses it.
- Reminder: every event item carries the session as the event left it. While that session is
  confirmed and its reminder time (24 h before the start) is still ahead, it has one reminder
  schedule at that time, for that start: a confirmation creates it; a reschedule, an accepted
  offer or location change, or the team's move replaces it; an expiry that reverts to the
  confirmed session creates it again. Otherwise (declined, cancelled, completed, waiting for the
  client's answer to an offer or location change) it is deleted. A new booking makes no call. An
  event item written before items carried the session (no snapshot) is handled for expiry only;
  one of a type this code does not know is logged and skipped.
- Response reminder: a new booking gets one schedule at its `response_reminder_at` (the reminder to
  the therapist to answer before the response deadline); the therapist's first answer, or the
  booking ending or being settled by the team unanswered (a client's cancellation), deletes it.
  Other events make no call; an item without the session is skipped.

The template's filter lets only event items' INSERTs through; the check here keeps that true if
the filter changes. Powertools' BatchProcessor handles each record on its own: a record that fails
(a throttled Scheduler call, an item whose facts do not fit its type) is reported in
`batchItemFailures`, and Lambda retries from it. The records delivered again after it change
nothing: creating an existing expiry or response reminder schedule, deleting a missing schedule and replacing a reminder
with the same plan all succeed, and a session's records come in order, so the last plan wins (see
`adapters.session_schedules`). Logs carry event types and ids only.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.domain.events import STORED_EVENT_TYPES, DomainEvent
from therapy_booking.domain.model import Session
from therapy_booking.domain.schedules import (
    ExpiryAt,
    ExpiryGone,
    ResponseReminderAt,
    ResponseReminderGone,
    expiry_step,
    reminder_plan,
    response_reminder_step,
)
from therapy_booking.outbox_consumers import Dispatch, OutboxConsumer
from therapy_booking.wiring import container

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def keep_expiry_in_step(event: DomainEvent, session: Session | None) -> None:
    step = expiry_step(event, container.clock.now())
    ids = {"event_type": str(event.event_type), "session_id": event.session_id}
    if isinstance(step, ExpiryAt):
        container.session_schedules.schedule(step.change_id, step.session_id, step.at)
        logger.info("expiry schedule in place", extra={**ids, "change_id": step.change_id, "at": step.at.isoformat()})
    elif isinstance(step, ExpiryGone):
        container.session_schedules.cancel(step.change_id)
        logger.info("expiry schedule gone", extra={**ids, "change_id": step.change_id})


def keep_reminder_in_step(event: DomainEvent, session: Session | None) -> None:
    if session is None:
        return  # an item from before event items carried the session
    plan = reminder_plan(event, session, container.clock.now())
    ids = {"event_type": str(event.event_type), "session_id": session.session_id}
    if plan is None:
        return
    if plan.at is not None:
        container.session_schedules.schedule_reminder(session.session_id, session.start, plan.at)
        logger.info("reminder schedule in place", extra={**ids, "at": plan.at.isoformat()})
    else:
        container.session_schedules.cancel_reminder(session.session_id)
        logger.info("no reminder schedule", extra=ids)


def keep_response_reminder_in_step(event: DomainEvent, session: Session | None) -> None:
    if session is None:
        return  # an item from before event items carried the session
    step = response_reminder_step(event, session, container.clock.now())
    ids = {"event_type": str(event.event_type), "session_id": session.session_id}
    if isinstance(step, ResponseReminderAt):
        container.session_schedules.schedule_response_reminder(step.session_id, step.at)
        logger.info("response reminder schedule in place", extra={**ids, "at": step.at.isoformat()})
    elif isinstance(step, ResponseReminderGone):
        container.session_schedules.cancel_response_reminder(step.session_id)
        logger.info("response reminder schedule gone", extra=ids)


# Every stored event may open or close a change, move, confirm or end the session, or answer a booking.
HANDLERS: Dispatch = {
    event_type: (keep_expiry_in_step, keep_reminder_in_step, keep_response_reminder_in_step)
    for event_type in STORED_EVENT_TYPES
}


consumer = OutboxConsumer(HANDLERS, logger)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=consumer.record_handler, processor=processor, context=context
    )
