"""POST /sessions/{id}/cancel by the session's client or therapist, and the terms it would give now
(GET /sessions/{id}/cancellation-terms)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.api.openapi import SessionId, documented
from therapy_booking.api.resolver import caller, create_app
from therapy_booking.api.schemas.cancellation import CancellationTermsResponse
from therapy_booking.api.schemas.reasons import ReasonRequest
from therapy_booking.api.schemas.sessions import SessionResponse
from therapy_booking.wiring import container

logger = Logger()
app = create_app()


@app.post(
    "/sessions/<session_id>/cancel",
    summary="Cancel a session",
    tags=["sessions"],
    responses=documented(403, 404, 409, body=True),
)
def cancel_session(session_id: SessionId, body: ReasonRequest | None = None) -> SessionResponse:
    reason = body.reason if body else None
    return SessionResponse.of(container.sessions.cancel(caller(app), session_id, reason))


@app.get(
    "/sessions/<session_id>/cancellation-terms",
    summary="What cancelling the session now would give",
    description=(
        "For the session's client or therapist: the refund, the therapist's payout and the platform's commission "
        "that POST /sessions/{session_id}/cancel would settle if the caller cancelled now, and `full_refund_until` "
        "(a client's cancellation of a confirmed session is refunded in full until the start less the "
        "cancellation window). Refused exactly as the cancellation would be: 404 for anyone who may not see the "
        "session, 403 for an admin (the team cancels through POST /admin/sessions/{session_id}/rearrange), 409 "
        "`invalid_transition` or `session_in_past` when it cannot be cancelled. Reads the session only."
    ),
    tags=["sessions"],
    responses=documented(403, 404, 409),
)
def get_cancellation_terms(session_id: SessionId) -> CancellationTermsResponse:
    return CancellationTermsResponse.of(container.sessions.cancellation_terms(caller(app), session_id))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
