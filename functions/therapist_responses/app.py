"""A therapist's answer to a pending booking: confirm or decline."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.api.openapi import SessionId, documented
from therapy_booking.api.resolver import caller, create_app
from therapy_booking.api.schemas.reasons import ReasonRequest
from therapy_booking.api.schemas.sessions import SessionResponse
from therapy_booking.wiring import container

logger = Logger()
app = create_app()


@app.post(
    "/sessions/<session_id>/confirm",
    summary="Confirm a pending booking",
    tags=["sessions"],
    responses=documented(403, 404, 409),
)
def confirm_session(session_id: SessionId) -> SessionResponse:
    return SessionResponse.of(container.sessions.confirm(caller(app), session_id))


@app.post(
    "/sessions/<session_id>/decline",
    summary="Decline a pending booking",
    tags=["sessions"],
    responses=documented(403, 404, 409, body=True),
)
def decline_session(session_id: SessionId, body: ReasonRequest | None = None) -> SessionResponse:
    reason = body.reason if body else None
    return SessionResponse.of(container.sessions.decline(caller(app), session_id, reason))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
