"""Safety net every 5 minutes: gives back time a transition left pending, expires overdue offers and
location changes whose schedule was lost, and completes confirmed sessions that have ended (the
therapist is paid, the time released). Then the reservations: held occurrences that passed unbooked are
given back, deletions cut short are finished, makings abandoned half-way are undone, and reservations whose
last occurrence is over end.

Each session is changed under its version condition: one answered or expired meanwhile is skipped
and looked at again by the next run. Each session is handled on its own: one that fails (any error)
is logged with its id and error class and reported to the dead-letter queue, and the others go on;
it stays due, so the next run tries it again. An error outside any one session (the index cannot be
read, the report cannot be sent) raises, so the Scheduler retries the run and then dead-letters it.
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
    reservations = container.reservations.sweep()
    failures = [("session", f.session_id, f.error_type) for f in report.failures]
    failures += [("reservation", reservation_id, error_type) for reservation_id, error_type in reservations.failures]
    unreported = 0
    for kind, item_id, error_type in failures:
        ids = {f"{kind}_id": item_id, "error_type": error_type}
        logger.error(f"{kind} could not be swept", extra=ids)
        try:
            container.failure_reports.report("sweeper", item_id, error_type)
        except Exception as error:  # report the others first; then fail the run (retried, then dead-lettered)
            logger.error("failure not reported", extra={**ids, "report_error_type": type(error).__name__})
            unreported += 1
    counts = {
        "expired": report.expired,
        "completed": report.completed,
        "released": report.released,
        "skipped": report.skipped,
        "failed": len(report.failures),
        "reservations_released": reservations.released,
        "reservations_ended": reservations.ended,
        "reservations_abandoned": reservations.abandoned,
        "reservations_skipped": reservations.skipped,
        "reservations_failed": len(reservations.failures),
    }
    logger.info("swept", extra=counts)
    if unreported:
        raise RuntimeError(f"{unreported} failed items could not be reported")
    return counts
