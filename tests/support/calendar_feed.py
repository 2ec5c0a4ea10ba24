"""What the calendar feed functions need besides the table: their settings, and the feed secret on moto."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from unittest import mock

from therapy_booking.adapters import aws_clients

FEED_SECRET = "therapy-booking-test-calendar-feed"
FEED_ENVIRONMENT = {
    "CALENDAR_FEED_SECRET_ID": FEED_SECRET,
    "EMAIL_SENDER": "bookings@example.com",
    "DASHBOARD_BASE_URL": "https://app.example.com",
}


def create_feed_secret() -> None:
    """The template's CalendarFeedSecret on moto (inside `mock_aws`), if not there yet."""
    client = aws_clients.secretsmanager_client()
    with suppress(client.exceptions.ResourceExistsException):
        client.create_secret(Name=FEED_SECRET, SecretString="x" * 64)


@contextmanager
def calendar_feed_environment() -> Iterator[None]:
    """The feed functions' environment as the template gives it, and their secret (inside `mock_aws`)."""
    with mock.patch.dict(os.environ, FEED_ENVIRONMENT):
        create_feed_secret()
        yield
