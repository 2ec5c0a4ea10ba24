"""The calendar import routes over the real handlers (issue 12), with a feed served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.api import Api
from tests.support.ical_server import Feed, ics, serving
from tests.support.scenario import CLIENT, THERAPIST, book, publish_therapist
from therapy_booking.adapters import aws_clients
from therapy_booking.wiring import container

WEDNESDAY_10 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def feed(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Feed, str]]:
    """A feed on 127.0.0.1, importable as on the local stack; emails from the platform's sender."""
    monkeypatch.setenv("CALENDAR_ALLOW_LOCAL_HTTP", "true")
    monkeypatch.setenv("EMAIL_SENDER", "bookings@example.com")
    monkeypatch.setenv("DASHBOARD_BASE_URL", "https://app.example.com")
    aws_clients.ses_client().create_email_identity(EmailIdentity="bookings@example.com")
    container.reset(clock=container.clock)
    _ = container.storage
    busy = Feed(ics((WEDNESDAY_10, WEDNESDAY_10 + timedelta(hours=1))))
    with serving(busy) as url:
        yield busy, url


def slot_starts(api: Api) -> list[str]:
    query = {"from": "2026-12-02T00:00:00Z", "to": "2026-12-03T00:00:00Z", "session_type": "individual"}
    answer = api.get(f"/therapists/{THERAPIST.sub}/slots", CLIENT, query=query)
    return [slot["start"] for slot in answer.body["items"]]


def test_a_connected_calendar_takes_its_busy_time_out_of_the_slots(api: Api, feed: tuple[Feed, str]) -> None:
    # Given a published therapist free on Wednesday 2 December at 10:00
    _, url = feed
    publish_therapist(api)
    assert "2026-12-02T10:00:00Z" in slot_starts(api)
    # When they connect a calendar that is busy then
    answer = api.put("/therapists/me/calendar-import", THERAPIST, {"url": url})
    # Then it is synced at once: ok, the host only (never the secret address), one busy event
    assert answer.status == 200, answer.body
    assert answer.body == {
        "host": "127.0.0.1",
        "status": "ok",
        "last_synced_at": "2026-11-30T09:00:00Z",
        "last_error": None,
        "busy_count": 1,
    }
    # And the slot is gone, and booking it is 409 slot_unavailable
    assert "2026-12-02T10:00:00Z" not in slot_starts(api)
    refused = book(api, start="2026-12-02T10:00:00Z")
    assert (refused.status, refused.body["code"]) == (409, "slot_unavailable")
    # And the status reads back the same
    assert api.get("/therapists/me/calendar-import", THERAPIST).body == answer.body


def test_a_failing_feed_is_shown_failing_and_keeps_its_busy_time(api: Api, feed: tuple[Feed, str]) -> None:
    busy, url = feed
    publish_therapist(api)
    assert api.put("/therapists/me/calendar-import", THERAPIST, {"url": url}).status == 200
    # When the feed starts answering 500 and the therapist asks for a sync
    busy.status = 500
    answer = api.post("/therapists/me/calendar-import/sync", THERAPIST)
    # Then the import is failing with a sentence (no address in it), and the busy hour still counts
    assert answer.status == 200 and answer.body["status"] == "failing"
    assert "500" in answer.body["last_error"] and "private-secret-token" not in answer.body["last_error"]
    assert "2026-12-02T10:00:00Z" not in slot_starts(api)


@pytest.mark.parametrize(
    "url",
    [
        "http://calendar.example.com/basic.ics",
        "https://10.0.0.5/basic.ics",
        "https://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
        "not a url",
    ],
)
def test_addresses_that_are_not_https_to_a_public_host_are_422_and_store_nothing(
    api: Api, feed: tuple[Feed, str], url: str
) -> None:
    publish_therapist(api)
    answer = api.put("/therapists/me/calendar-import", THERAPIST, {"url": url})
    assert (answer.status, answer.body["code"]) == (422, "validation_error")
    assert api.get("/therapists/me/calendar-import", THERAPIST).status == 404


def test_a_feed_that_is_not_icalendar_is_422(api: Api, feed: tuple[Feed, str]) -> None:
    busy, url = feed
    busy.body = b"<html>Sign in to continue</html>"
    publish_therapist(api)
    answer = api.put("/therapists/me/calendar-import", THERAPIST, {"url": url})
    assert (answer.status, answer.body["code"]) == (422, "validation_error")
    assert "2026-12-02T10:00:00Z" in slot_starts(api)


def test_disconnecting_gives_the_time_back(api: Api, feed: tuple[Feed, str]) -> None:
    _, url = feed
    publish_therapist(api)
    assert api.put("/therapists/me/calendar-import", THERAPIST, {"url": url}).status == 200
    assert api.delete("/therapists/me/calendar-import", THERAPIST).status == 204
    assert api.get("/therapists/me/calendar-import", THERAPIST).status == 404
    assert "2026-12-02T10:00:00Z" in slot_starts(api)
    assert api.delete("/therapists/me/calendar-import", THERAPIST).status == 204  # again: nothing to do


def test_only_therapists_connect_calendars(api: Api, feed: tuple[Feed, str]) -> None:
    _, url = feed
    assert api.put("/therapists/me/calendar-import", CLIENT, {"url": url}).status == 403
    assert api.get("/therapists/me/calendar-import", THERAPIST).status == 404  # no profile yet
