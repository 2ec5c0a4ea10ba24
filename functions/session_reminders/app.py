"""Target of the one-time reminder schedules: reminds both parties of a confirmed session 24 h before it.

The event is the schedule's Input, `{"session_id": ..., "start": ...}`: the session and the start
(ISO 8601 with its offset) it had when the reminder was planned. `NotificationService.remind`
reminds only if the session is still confirmed at that very start and has not begun, so a
schedule that outlived its plan (the session moved, or was cancelled, and its schedule was not
replaced or deleted in time) sends nothing. Each message goes under an idempotency record keyed
by (session, start, recipient, channel), so a second delivery of the schedule sends nothing twice.

Errors:
- An Input without a session id and an aware ISO 8601 start (a hand-made or corrupted schedule)
  is logged and dropped, not raised: no retry can make it valid.
- A message that could not be sent raises `DeliveryFailed` after the others went out, so Lambda
  retries the asynchronous invocation (sending only what is missing) and then sends it to the
  schedules' dead-letter queue. A number SNS cannot text is not a failure: the email goes alone.
Logs carry ids, counts and delivery keys only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

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


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    session_id, start = _session_id(event), _start(event)
    if session_id is None or start is None:
        keys = sorted(event) if isinstance(event, dict) else []
        logger.error(
            "reminder input without session_id and an ISO 8601 start with offset: dropped", extra={"keys": keys}
        )
        return {"outcome": "invalid_input"}
    container.delivery_ledger.for_invocation(context)
    ids = {"session_id": session_id, "start": start.isoformat()}
    report = container.notifications.remind(session_id, start)
    if report is None:
        logger.info("nothing to remind: the session moved, was cancelled or has started", extra=ids)
        return {"outcome": "nothing_to_remind", "session_id": session_id}
    logger.info("reminded", extra={**ids, "sent": report.sent, "skipped": report.skipped})
    return {"outcome": "reminded", "session_id": session_id, "sent": len(report.sent), "skipped": len(report.skipped)}
