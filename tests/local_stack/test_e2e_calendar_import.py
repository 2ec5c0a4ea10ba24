"""End to end over HTTP on the local stack (issue 12): a therapist connects a calendar served by the test on
127.0.0.1; its busy times vanish from /slots and a booking into one is 409; the feed changes and the periodic
sync (the stack's clock passing 15 minutes) picks it up; the feed fails and the old busy times stay, `failing`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from local_stack import demo
from tests.local_stack.running_stack import Http, running_stack
from tests.support.ical_server import Feed, ics, serving

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def http() -> Iterator[Http]:
    with running_stack() as process:
        yield Http(process.base_url)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def free_starts(http: Http, therapist_id: str, token: str) -> list[str]:
    reply = http.get(f"/therapists/{therapist_id}/slots?session_type=individual", token=token)
    assert reply.status == 200, reply.body
    return [slot["start"] for slot in reply.json()["items"]]


def test_an_imported_calendar_blocks_its_busy_times_follows_changes_and_survives_failures(http: Http) -> None:
    # Given a new therapist and a client, and two free slots a few days ahead
    therapist_id = f"cal-{uuid.uuid4().hex[:10]}"
    therapist = http.token(therapist_id, "therapist")
    client = http.token(demo.CLIENT.sub, demo.CLIENT.role)
    email = f"{therapist_id}@demo.invalid"
    assert http.put("/therapists/me", {**demo.THERAPIST_PROFILE, "email": email}, token=therapist).status == 200
    assert http.put("/therapists/me/availability", demo.AVAILABILITY, token=therapist).status == 200
    assert http.put("/clients/me", demo.CLIENT_PROFILE, token=client).status == 200
    starts = free_starts(http, therapist_id, client)
    first, second = starts[10], starts[20]
    feed = Feed(ics((instant(first), instant(first) + timedelta(hours=1))))
    with serving(feed) as url:
        # When the therapist connects the calendar, busy at the first slot
        connected = http.put("/therapists/me/calendar-import", {"url": url}, token=therapist)
        # Then it is ok, shows the host only, and the slot is gone; booking it is 409
        assert connected.status == 200, connected.body
        status: dict[str, Any] = connected.json()
        assert (status["status"], status["host"], status["busy_count"]) == ("ok", "127.0.0.1", 1)
        assert "private-secret-token" not in connected.body.decode()
        assert first not in free_starts(http, therapist_id, client)
        body = {
            "therapist_id": therapist_id,
            "start": first,
            "session_type": "individual",
            "location_id": "video",
            "attendees": ["Demo Client"],
        }
        refused = http.post("/sessions", body, token=client)
        assert (refused.status, refused.json()["code"]) == (409, "slot_unavailable")

        # When the event moves to the second slot and the clock passes the periodic sync
        feed.body = ics((instant(second), instant(second) + timedelta(hours=1)))
        assert http.post("/dev/clock", {"advance_seconds": 16 * 60}).status == 200
        # Then the first slot is free again and the second gone
        now_free = free_starts(http, therapist_id, client)
        assert first in now_free and second not in now_free

        # When the feed fails and the therapist syncs
        feed.status = 500
        failing = http.post("/therapists/me/calendar-import/sync", token=therapist)
        # Then it is failing with a sentence, and the second slot stays busy
        assert failing.status == 200, failing.body
        assert failing.json()["status"] == "failing" and failing.json()["last_error"]
        assert second not in free_starts(http, therapist_id, client)
        # And the therapist got one email about it, however many syncs fail
        assert http.post("/therapists/me/calendar-import/sync", token=therapist).json()["status"] == "failing"
        told = [e for e in http.get("/dev/outbox").json()["emails"] if e["to"] == [email]]
        assert ["cannot read your connected calendar" in e["subject"] for e in told] == [True]

    # When the therapist disconnects it / Then the second slot is bookable again
    assert http.delete("/therapists/me/calendar-import", token=therapist).status == 204
    assert second in free_starts(http, therapist_id, client)
