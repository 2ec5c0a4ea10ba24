"""The private calendar feed: GET /calendar-feeds/{token}.ics, read by calendar apps without a JWT.

The template routes `/calendar-feeds/{feed}` with no authorizer (an HTTP API path variable is a whole
segment, so `.ics` is checked here) and a tighter throttle than the rest of the API. The token is the
credential: one of the wrong shape, unknown or rotated is a 404, as an unknown route would be. The path is
never logged (Powertools logs no event here), so the token stays out of the logs.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.api.calendar_feed import CACHE_CONTROL, CONTENT_TYPE, etag, not_modified, render
from therapy_booking.api.openapi import FeedName, calendar_answers
from therapy_booking.api.resolver import create_app
from therapy_booking.domain.calendar_feed import feed_token
from therapy_booking.wiring import container

logger = Logger()
app = create_app()


@app.get(
    "/calendar-feeds/<feed>",
    summary="A therapist's sessions as an iCalendar feed (no bearer token: the address is the secret)",
    description="Pending and confirmed sessions, the held alternatives of open offers, the held occurrences of "
    "reserved recurring slots, and sessions cancelled or declined and occurrences released in the last 30 days as "
    "STATUS:CANCELLED; no client names or notes. Send If-None-Match with the ETag received to get 304 while "
    "nothing changed.",
    tags=["calendars"],
    responses=calendar_answers(),
)
def get_calendar_feed(feed: FeedName) -> Response[str]:
    token = feed_token(feed)  # a 404 for the wrong shape, before any setting or data is read
    body = render(container.calendar_feeds.feed(token), container.calendar_feed_settings)
    tag = etag(body)
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
    if not_modified(app.current_event.headers.get("if-none-match"), tag):
        return Response(304, body="", headers=headers)
    return Response(200, CONTENT_TYPE, body, headers=headers)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
