"""Safety net every 5 minutes: expires overdue offers and location changes whose schedule was lost,
and completes confirmed sessions that have ended (the therapist is paid, the time released).

Each session is changed under its version condition: one answered or expired meanwhile is skipped
and looked at again by the next run. An error raises, so the Scheduler retries the run and then
dead-letters it; the next run picks up whatever is still due anyway.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.wiring import container

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    report = container.sessions.sweep()
    counts = {"expired": report.expired, "completed": report.completed, "skipped": report.skipped}
    logger.info("swept", extra=counts)
    return counts
