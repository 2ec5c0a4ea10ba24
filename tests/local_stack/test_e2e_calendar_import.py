"""End to end over HTTP on the local stack (issue 12): a therapist connects a calendar served by the test on
127.0.0.1; its busy times vanish from /slots and a booking into one is 409; the feed changes and the periodic
sync (the stack's clock passing 15 minutes) picks it up; the feed fails and the old busy times stay, `failing`.

Local stack only: the calendar is served on 127.0.0.1, which a deployment cannot reach (and a deployment fetches
https feeds only); the sync is driven by moving the clock, and the therapist's email read from the outbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.local_stack.running_stack import Http
from tests.support.ical_server import Feed, ics, serving
from tests.support.target import Target, instant, new_client, new_therapist

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.local_only(reason="the test serves the calendar on 127.0.0.1 (http), which a deployment cannot reach"),
]


@pytest.fixture(scope="module")
def http(target: Target) -> Http:
    return target.http


def free_starts(http: Http, therapist_id: str, token: str) -> list[str]:
    reply = http.get(f"/therapists/{therapist_id}/slots?session_type=individual", token=token)
    assert reply.status == 200, reply.body
    return [slot["start"] for slot in reply.json()["items"]]


def test_an_imported_calendar_blocks_its_busy_times_follows_changes_and_survives_failures(
    target: Target, http: Http
) -> None:
    # Given a new therapist and a client, and two free slots a few days ahead
    therapist_user = new_therapist(target, "cal")
    therapist_id, therapist, email = therapist_user.sub, therapist_user.token, therapist_user.email
    client = new_client(target).token
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
        target.advance_clock(16 * 60)
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
        told = [e for e in target.outbox()["emails"] if e["to"] == [email]]
        assert ["cannot read your connected calendar" in e["subject"] for e in told] == [True]

    # When the therapist disconnects it / Then the second slot is bookable again
    assert http.delete("/therapists/me/calendar-import", token=therapist).status == 204
    assert second in free_starts(http, therapist_id, client)
