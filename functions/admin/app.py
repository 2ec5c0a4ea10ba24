"""The team's fixes: move, relocate or reinstate any session, past ones included; read a therapist's standing
and reactivate their account."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.api.openapi import SessionId, TherapistId, documented
from therapy_booking.api.resolver import caller, create_app
from therapy_booking.api.schemas.admin import AdminRearrangeRequest, ReactivateRequest
from therapy_booking.api.schemas.sessions import SessionResponse
from therapy_booking.api.schemas.standing import StandingResponse
from therapy_booking.wiring import container

logger = Logger()
app = create_app()


@app.post(
    "/admin/sessions/<session_id>/rearrange",
    summary="Rearrange or reinstate any session",
    tags=["admin"],
    responses=documented(403, 404, 409, body=True),
)
def admin_rearrange(session_id: SessionId, body: AdminRearrangeRequest) -> SessionResponse:
    session = container.sessions.admin_rearrange(
        caller(app),
        session_id,
        start=body.start,
        location_id=body.location_id,
        status=body.status,
        reason=body.reason,
        note=body.note,
    )
    return SessionResponse.of(session)


@app.post(
    "/admin/therapists/<therapist_id>/reactivate",
    summary="Reactivate a therapist account and reset their cancellation streak",
    tags=["admin"],
    responses=documented(403, 404, body=True),
)
def reactivate_therapist(therapist_id: TherapistId, body: ReactivateRequest) -> StandingResponse:
    return StandingResponse.of(container.therapists.reactivate(caller(app), therapist_id, body.note))


@app.get(
    "/admin/therapists/<therapist_id>/standing",
    summary="Any therapist's standing: response time, cancellation streak, rearrangements and rank factors",
    tags=["admin"],
    responses=documented(403, 404),
)
def therapist_standing(therapist_id: TherapistId) -> StandingResponse:
    return StandingResponse.of(container.therapists.standing(caller(app), therapist_id))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
