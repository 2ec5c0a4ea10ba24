"""Target of the one-time expiry schedules: expires an offer or location change left unanswered.

The event is the schedule's Input, `{"session_id": ..., "change_id": ...}`. `SessionService.expire`
acts only if that very change is still open and its deadline has passed, under the session's
version condition, so a second delivery, a late one after the client answered, or one that races
the sweeper writes nothing.

Errors:
- An Input without both ids (a hand-made or corrupted schedule) is logged and dropped, not raised:
  no retry can make it valid, and the sweeper still expires the real change when it is due.
- Losing a race to the client's answer or to the sweeper is not an error (nothing to expire).
  Anything else (throttling, a concurrent write that left the change open) raises, so Lambda
  retries the asynchronous invocation and then sends it to the schedules' dead-letter queue;
  a retry is harmless.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.wiring import container

logger = Logger()


def _id(event: Any, key: str) -> str | None:
    value = event.get(key) if isinstance(event, dict) else None
    return value if isinstance(value, str) and value else None


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    session_id, change_id = _id(event, "session_id"), _id(event, "change_id")
    if session_id is None or change_id is None:
        keys = sorted(event) if isinstance(event, dict) else []
        logger.error("expiry input without session_id and change_id: dropped", extra={"keys": keys})
        return {"outcome": "invalid_input"}
    ids = {"session_id": session_id, "change_id": change_id}
    session = container.sessions.expire(session_id, change_id)
    if session is None:
        logger.info("nothing to expire: answered, already expired or not yet due", extra=ids)
        return {"outcome": "nothing_to_expire", **ids}
    logger.info("expired", extra={**ids, "status": session.status})
    return {"outcome": "expired", **ids, "status": str(session.status)}
