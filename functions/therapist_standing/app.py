"""Stream consumer: the standing projection. Every change of a therapist's record (the counts the sessions'
own transactions update: answers measured, own-reason rearrangements, the cancellation streak) goes
through `StandingProjection` (domain.services):

- the rank score is computed from the record as the change left it (domain.standing) and stored with the
  listing's key, so `GET /therapists` reads one page in rank order with one Query; the write is
  conditional on the record being unchanged since, and a score already right is not written again (the
  projection's own write comes back as a record and changes nothing), so records delivered twice or late
  never leave an older score behind;
- the therapist is told by email, once, when a change flags them or deactivates their account.

The notice is sent only if the therapist's record, read again, still says it (a record retried or
replayed after a reactivation or a session that went ahead tells nothing).

A daily schedule (and an operator, by invoking the function with `{"rerank": "listed"}`, after changing
the ranking's settings) re-ranks every listed therapist: a score computed under other settings, or an
item keyed before ranking existed, is put right without waiting for that therapist's next change.

The template's filter lets only therapist items' INSERTs and MODIFYs through; anything else is skipped
here too. Powertools' BatchProcessor handles each record on its own: one that fails (SES throttled, an
image that does not read as a therapist) is reported in `batchItemFailures`; Lambda retries the batch
from the first failed record (so the records after it on that shard wait for it), up to 5 times,
bisecting, then sends it to the stream dead-letter queue. Logs carry therapist ids and outcomes only.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.wiring import container

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def project(record: DynamoDBRecord) -> None:
    change = container.therapist_records.change_of(record.raw_event.get("dynamodb") or {})
    if change is None:
        logger.info("not a therapist's record: skipped", extra={"event_name": record.raw_event.get("eventName")})
        return
    report = container.standing_projection.apply(change)
    logger.info(
        "standing projected",
        extra={"therapist_id": change.after.therapist_id, "ranked": report.ranked, "notice": report.notice},
    )


RERANK = {"rerank": "listed"}  # the daily schedule's Input


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse | dict[str, Any]:
    if event == RERANK:
        stored = container.standing_projection.rerank_listed()
        logger.info("listed therapists re-ranked", extra={"stored": stored})
        return {"outcome": "reranked", "stored": stored}
    container.delivery_ledger.for_invocation(context)
    return process_partial_response(event=event, record_handler=project, processor=processor, context=context)
