"""The periodic sync of imported calendars, in two steps so that no therapist's feed delays another's.

- Every 15 minutes the schedule invokes this function with `{"sync": "due"}`: it lists the therapists
  with an import (one Query of gsi2 `CALENDAR_IMPORTS`, page by page) and queues one message each.
- The queue invokes it with one SQS record at a time (`BatchSize: 1`): each therapist's calendar is synced on its own
  (`CalendarImportService.sync`). A feed that cannot be fetched or read is not an error here: it is
  marked `failing` and keeps its busy times. A record that fails for another reason (the table
  throttled, an email not sent) is reported in `batchItemFailures` and comes back after the queue's
  visibility timeout; after 3 receives it goes to the queue's dead-letter queue. A malformed message is
  logged and dropped (no retry can fix it).

Logs carry therapist ids and statuses only: never the calendar's address.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.wiring import container

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)
DUE = {"sync": "due"}  # the schedule's Input


def _therapist_id(record: SQSRecord) -> str | None:
    try:
        body = json.loads(record.body)
    except ValueError:
        return None
    value = body.get("therapist_id") if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else None


def sync_one(record: SQSRecord) -> None:
    therapist_id = _therapist_id(record)
    if therapist_id is None:
        logger.error("sync message without a therapist id: dropped", extra={"message_id": record.message_id})
        return
    synced = container.calendar_imports.sync(therapist_id)
    status = None if synced is None else str(synced.status)
    logger.info("calendar synced", extra={"therapist_id": therapist_id, "status": status})


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse | dict[str, Any]:
    if event == DUE:
        queued = container.calendar_imports.request_syncs(container.calendar_sync_queue)
        logger.info("calendar syncs queued", extra={"queued": queued})
        return {"outcome": "queued", "queued": queued}
    container.delivery_ledger.for_invocation(context)
    return process_partial_response(event=event, record_handler=sync_one, processor=processor, context=context)
