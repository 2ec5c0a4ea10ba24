"""Read-only routes: the therapist directory, slots, and the caller's sessions."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.api.openapi import SessionId, TherapistId, documented
from therapy_booking.api.resolver import caller, create_app, request_id
from therapy_booking.api.schemas.fields import Instant
from therapy_booking.api.schemas.reads import SessionPage, Slot, SlotList, TherapistPage
from therapy_booking.api.schemas.sessions import SessionResponse
from therapy_booking.api.schemas.therapists import TherapistPublicProfile
from therapy_booking.domain.model import SessionStatus, SessionType
from therapy_booking.domain.ports import SessionQuery
from therapy_booking.wiring import container

logger = Logger()
app = create_app()

Limit = Annotated[int, Query(ge=1, le=100, description="Page size.")]
Cursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page.")]
From = Annotated[Instant | None, Query(alias="from", description="Earliest start (inclusive).")]
To = Annotated[Instant | None, Query(alias="to", description="Latest start (exclusive).")]


@app.get("/therapists", summary="List therapists taking bookings", tags=["therapists"], responses=documented())
def list_therapists(limit: Limit = 20, cursor: Cursor = None) -> TherapistPage:
    caller(app)
    page = container.therapists.list_bookable(limit, cursor)
    return TherapistPage(items=[TherapistPublicProfile.of(t) for t in page.items], next_cursor=page.next_cursor)


@app.get(
    "/therapists/<therapist_id>",
    summary="A therapist's public profile",
    tags=["therapists"],
    responses=documented(404),
)
def get_therapist(therapist_id: TherapistId) -> TherapistPublicProfile:
    return TherapistPublicProfile.of(container.therapists.get(caller(app), therapist_id))


@app.get(
    "/therapists/<therapist_id>/slots",
    summary="Free bookable start times",
    tags=["therapists"],
    responses=documented(404),
)
def list_slots(
    therapist_id: TherapistId,
    start_from: From = None,
    start_to: To = None,
    session_type: Annotated[SessionType | None, Query(description="Defaults to the first type offered.")] = None,
) -> SlotList:
    slots = container.therapists.slots(caller(app), therapist_id, start_from, start_to, session_type)
    return SlotList(items=[Slot(start=s.start, end=s.end) for s in slots])


@app.get(
    "/sessions",
    summary="The caller's own sessions, by start time",
    tags=["sessions"],
    responses=documented(403),
)
def list_sessions(
    status: Annotated[SessionStatus | None, Query()] = None,
    start_from: From = None,
    start_to: To = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> SessionPage:
    query = SessionQuery(status=status, start_from=start_from, start_to=start_to, limit=limit, cursor=cursor)
    page = container.sessions.list_own(caller(app), query)
    return SessionPage(items=[SessionResponse.of(s) for s in page.items], next_cursor=page.next_cursor)


@app.get(
    "/sessions/<session_id>",
    summary="One session (an admin's read is written to the audit trail first)",
    tags=["sessions"],
    responses=documented(404),
)
def get_session(session_id: SessionId) -> SessionResponse:
    session = container.audit.read_session(container.sessions, caller(app), session_id, request_id(app))
    return SessionResponse.of(session)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
