"""Target of the one-time reminder schedules: reminds both parties of a confirmed session 24 h before it,
and reminds a therapist to answer a booking before its response deadline.

The event is the schedule's Input. Its `kind` says which reminder it is:

- `"response"` (`{"session_id": ..., "kind": "response"}`): the booking's therapist is reminded to
  answer it. `NotificationService.remind_to_respond` sends only while the booking still waits for
  its first answer (and has not started), so a firing after the answer sends nothing; its messages
  go under the booking's own delivery keys, so a second firing sends nothing twice.
- absent: the 24 h reminder, `{"session_id": ..., "start": ...}`: the session and the start
(ISO 8601 with its offset) it had when the reminder was planned. `NotificationService.remind`
reminds only if the session is still confirmed at that very start and has not begun, so a
schedule that outlived its plan (the session moved, or was cancelled, and its schedule was not
replaced or deleted in time) sends nothing. Each message goes under an idempotency record keyed
by (session, start, recipient, channel), so a second delivery of the schedule sends nothing twice.

Errors:
- An Input without a session id, or of an unknown kind, or of the 24 h kind without an aware
  ISO 8601 start (a hand-made or corrupted schedule) is logged and dropped, not raised: no retry
  can make it valid.
- A message that could not be sent raises `DeliveryFailed` after the others went out, so Lambda
  retries the asynchronous invocation (sending only what is missing) and then sends it to the
  schedules' dead-letter queue. A number SNS cannot text is not a failure: the email goes alone.
Business metrics (docs/observability.md): each message sent or failed by its channel, and each reminder
message sent by the reminder's kind (`NotificationService`), written as EMF when the invocation ends.
Logs carry ids, counts and delivery keys only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.domain.schedules import RESPONSE_REMINDER_KIND
from therapy_booking.wiring import container

logger = Logger()


def _session_id(event: Any) -> str | None:
    value = event.get("session_id") if isinstance(event, dict) else None
    return value if isinstance(value, str) and value else None


def _start(event: Any) -> datetime | None:
    value = event.get("start") if isinstance(event, dict) else None
    if not isinstance(value, str):
        return None
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        return None
    return start if start.tzinfo is not None else None


def _kind(event: Any) -> object:
    return event.get("kind") if isinstance(event, dict) else None


def _invalid(event: Any, why: str) -> dict[str, Any]:
    keys = sorted(event) if isinstance(event, dict) else []
    logger.error(f"reminder input {why}: dropped", extra={"keys": keys})
    return {"outcome": "invalid_input"}


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with container.business_metrics.published():
        return _remind(event, context)


def _remind(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    kind = _kind(event)
    if kind == RESPONSE_REMINDER_KIND:
        return remind_to_respond(event, context)
    if kind is not None:
        return _invalid(event, "of an unknown kind")
    return remind_of_session(event, context)


def remind_to_respond(event: Any, context: LambdaContext) -> dict[str, Any]:
    session_id = _session_id(event)
    if session_id is None:
        return _invalid(event, "without session_id")
    container.delivery_ledger.for_invocation(context)
    ids = {"session_id": session_id, "kind": RESPONSE_REMINDER_KIND}
    report = container.notifications.remind_to_respond(session_id)
    if report is None:
        logger.info("nothing to remind: the booking was answered, cancelled or has started", extra=ids)
        return {"outcome": "nothing_to_remind", "session_id": session_id}
    logger.info("reminded to respond", extra={**ids, "sent": report.sent, "skipped": report.skipped})
    return {"outcome": "reminded", "session_id": session_id, "sent": len(report.sent), "skipped": len(report.skipped)}


def remind_of_session(event: Any, context: LambdaContext) -> dict[str, Any]:
    session_id, start = _session_id(event), _start(event)
    if session_id is None or start is None:
        return _invalid(event, "without session_id and an ISO 8601 start with offset")
    container.delivery_ledger.for_invocation(context)
    ids = {"session_id": session_id, "start": start.isoformat()}
    report = container.notifications.remind(session_id, start)
    if report is None:
        logger.info("nothing to remind: the session moved, was cancelled or has started", extra=ids)
        return {"outcome": "nothing_to_remind", "session_id": session_id}
    logger.info("reminded", extra={**ids, "sent": report.sent, "skipped": report.skipped})
    return {"outcome": "reminded", "session_id": session_id, "sent": len(report.sent), "skipped": len(report.skipped)}
