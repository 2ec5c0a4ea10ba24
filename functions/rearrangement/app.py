"""A therapist rearranges a session: moves it, changes its location, or offers alternative times."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.api.openapi import SessionId, documented
from therapy_booking.api.resolver import caller, create_app
from therapy_booking.api.schemas.rearrangement import LocationChangeRequest, OffersRequest, RescheduleRequest
from therapy_booking.api.schemas.sessions import SessionResponse
from therapy_booking.wiring import container

logger = Logger()
app = create_app()


@app.post(
    "/sessions/<session_id>/reschedule",
    summary="Move a session to another time",
    tags=["sessions"],
    responses=documented(403, 404, 409, body=True),
)
def reschedule_session(session_id: SessionId, body: RescheduleRequest) -> SessionResponse:
    return SessionResponse.of(container.sessions.reschedule(caller(app), session_id, body.start, body.reason))


@app.post(
    "/sessions/<session_id>/location-change",
    summary="Change a session's location",
    tags=["sessions"],
    responses=documented(403, 404, 409, body=True),
)
def change_location(session_id: SessionId, body: LocationChangeRequest) -> SessionResponse:
    return SessionResponse.of(
        container.sessions.change_location(caller(app), session_id, body.location_id, body.reason)
    )


@app.post(
    "/sessions/<session_id>/offers",
    summary="Offer the client alternative times",
    tags=["sessions"],
    status_code=201,
    responses=documented(403, 404, 409, status=201, description="The session, alternatives_offered", body=True),
)
def offer_alternatives(session_id: SessionId, body: OffersRequest) -> Response[SessionResponse]:
    starts = [alternative.start for alternative in body.alternatives]
    session = container.sessions.offer_alternatives(caller(app), session_id, starts)
    return Response(201, "application/json", SessionResponse.of(session))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
