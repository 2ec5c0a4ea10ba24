"""A therapist's imported calendar: connect it (synced at once), read its status, sync it now, remove it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.api.openapi import documented
from therapy_booking.api.resolver import caller, create_app
from therapy_booking.api.schemas.calendar_import import CalendarImportRequest, CalendarImportStatus
from therapy_booking.wiring import container

logger = Logger()
app = create_app()


@app.put(
    "/therapists/me/calendar-import",
    summary="Connect an external calendar by its private iCal address (synced at once)",
    tags=["calendars"],
    responses=documented(403, 404, 409, body=True),
)
def connect_calendar(body: CalendarImportRequest) -> CalendarImportStatus:
    return CalendarImportStatus.of(container.calendar_imports.connect(caller(app), body.url))


@app.get(
    "/therapists/me/calendar-import",
    summary="The connected calendar's status",
    tags=["calendars"],
    responses=documented(403, 404),
)
def calendar_status() -> CalendarImportStatus:
    return CalendarImportStatus.of(container.calendar_imports.status(caller(app)))


@app.post(
    "/therapists/me/calendar-import/sync",
    summary="Sync the connected calendar now",
    tags=["calendars"],
    responses=documented(403, 404),
)
def sync_calendar() -> CalendarImportStatus:
    return CalendarImportStatus.of(container.calendar_imports.sync_now(caller(app)))


@app.delete(
    "/therapists/me/calendar-import",
    summary="Disconnect the calendar: its busy times stop counting",
    tags=["calendars"],
    status_code=204,
    responses=documented(403, 404, status=204, description="Disconnected"),
)
def disconnect_calendar() -> Response[None]:
    container.calendar_imports.disconnect(caller(app))
    return Response(204)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
