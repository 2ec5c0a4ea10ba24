"""POST /sessions: a client books a session (Idempotency-Key honoured)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.api.openapi import documented
from therapy_booking.api.resolver import caller, create_app
from therapy_booking.api.schemas.booking import BookSessionRequest
from therapy_booking.api.schemas.sessions import SessionResponse
from therapy_booking.domain.model import Actor
from therapy_booking.domain.services import BookingRequest
from therapy_booking.wiring import container

logger = Logger()
app = create_app()

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="idempotency-key",
        max_length=255,
        description="Repeat a booking safely: the same key from the same client returns the first response.",
    ),
]


def _book(actor: Actor, body: BookSessionRequest) -> SessionResponse:
    session = container.sessions.book(
        actor,
        BookingRequest(
            therapist_id=body.therapist_id,
            start=body.start,
            session_type=body.session_type,
            location_id=body.location_id,
            attendees=tuple(body.attendees),
            initial_consultation=body.initial_consultation,
            note=body.note,
        ),
    )
    return SessionResponse.of(session)


@app.post(
    "/sessions",
    summary="Book a session",
    tags=["sessions"],
    status_code=201,
    responses=documented(403, 404, 409, status=201, description="The new session, pending", body=True),
)
def book_session(body: BookSessionRequest, idempotency_key: IdempotencyKey = None) -> Response[SessionResponse]:
    actor = caller(app)
    if idempotency_key:  # the first answer under (client, key); the booking runs at most once
        result = container.keyed_bookings.book(
            actor.user_id,
            idempotency_key,
            body,
            lambda: _book(actor, body),
            SessionResponse,
            invocation=app.lambda_context,
        )
    else:
        result = _book(actor, body)
    return Response(201, "application/json", result)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
