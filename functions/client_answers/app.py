"""A client answers a location change or an offer of alternative times: accept or reject."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.api.openapi import SessionId, documented
from therapy_booking.api.resolver import caller, create_app
from therapy_booking.api.schemas.client_answers import AcceptOfferRequest
from therapy_booking.api.schemas.sessions import SessionResponse
from therapy_booking.wiring import container

logger = Logger()
app = create_app()


@app.post(
    "/sessions/<session_id>/location-change/accept",
    summary="Agree to the new location",
    tags=["sessions"],
    responses=documented(403, 404, 409, 410),
)
def accept_location_change(session_id: SessionId) -> SessionResponse:
    return SessionResponse.of(container.sessions.answer_location_change(caller(app), session_id, accept=True))


@app.post(
    "/sessions/<session_id>/location-change/reject",
    summary="Refuse the new location (the session is cancelled and refunded)",
    tags=["sessions"],
    responses=documented(403, 404, 409, 410),
)
def reject_location_change(session_id: SessionId) -> SessionResponse:
    return SessionResponse.of(container.sessions.answer_location_change(caller(app), session_id, accept=False))


@app.post(
    "/sessions/<session_id>/offers/accept",
    summary="Take one of the alternative times",
    tags=["sessions"],
    responses=documented(403, 404, 409, 410, body=True),
)
def accept_offer(session_id: SessionId, body: AcceptOfferRequest) -> SessionResponse:
    return SessionResponse.of(container.sessions.answer_offer(caller(app), session_id, body.alternative_id))


@app.post(
    "/sessions/<session_id>/offers/reject",
    summary="Refuse all the alternative times (the session is cancelled and refunded)",
    tags=["sessions"],
    responses=documented(403, 404, 409, 410),
)
def reject_offer(session_id: SessionId) -> SessionResponse:
    return SessionResponse.of(container.sessions.answer_offer(caller(app), session_id, None))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
