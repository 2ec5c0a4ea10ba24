"""The team's fixes: move, relocate or reinstate any session, past ones included; read a therapist's standing
and reactivate their account; read the audit trail of the team's reads of sessions."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.api.openapi import SessionId, TherapistId, documented
from therapy_booking.api.resolver import caller, create_app
from therapy_booking.api.schemas.admin import AdminRearrangeRequest, AuditEntryResponse, AuditPage, ReactivateRequest
from therapy_booking.api.schemas.fields import IDENTIFIER_MAX_LENGTH, Instant
from therapy_booking.api.schemas.sessions import SessionResponse
from therapy_booking.api.schemas.standing import StandingResponse
from therapy_booking.domain.audit import AuditQuery
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


@app.get(
    "/admin/audit",
    summary="The audit trail of admin reads of sessions, by session or by admin, newest first",
    tags=["admin"],
    responses=documented(403),
)
def list_audit(
    session_id: Annotated[
        str | None, Query(min_length=1, max_length=IDENTIFIER_MAX_LENGTH, description="Who read this session?")
    ] = None,
    admin_id: Annotated[
        str | None, Query(min_length=1, max_length=IDENTIFIER_MAX_LENGTH, description="What did this admin read?")
    ] = None,
    read_from: Annotated[Instant | None, Query(alias="from", description="Earliest read (inclusive).")] = None,
    read_to: Annotated[Instant | None, Query(alias="to", description="Latest read (exclusive).")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size.")] = 20,
    cursor: Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page.")] = None,
) -> AuditPage:
    query = AuditQuery(session_id, admin_id, read_from, read_to, limit, cursor)
    page = container.audit.entries(caller(app), query)
    return AuditPage(items=[AuditEntryResponse.of(e) for e in page.items], next_cursor=page.next_cursor)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
