"""A therapist's calendar feed address: read (created on first use) and rotated."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.api.openapi import documented
from therapy_booking.api.resolver import caller, create_app, request_base_url
from therapy_booking.api.schemas.calendar_feed import CalendarFeedAddress
from therapy_booking.wiring import container

logger = Logger()
app = create_app()


@app.get(
    "/therapists/me/calendar-feed",
    summary="The caller's private iCal address of their sessions (created on the first call, then the same)",
    tags=["calendars"],
    responses=documented(403, 409),
)
def get_calendar_feed() -> CalendarFeedAddress:
    actor = caller(app)
    return _address(container.calendar_feeds.own_token(actor))


@app.post(
    "/therapists/me/calendar-feed/rotate",
    summary="A new private iCal address; the old one answers 404 at once",
    tags=["calendars"],
    responses=documented(403, 409),
)
def rotate_calendar_feed() -> CalendarFeedAddress:
    actor = caller(app)
    return _address(container.calendar_feeds.rotate(actor))


def _address(token: str) -> CalendarFeedAddress:
    return CalendarFeedAddress(url=container.calendar_feed_settings.feed_url(token, request_base_url(app)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
