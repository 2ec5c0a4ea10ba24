"""End to end: the private calendar feed on the local stack, over real HTTP (issue 12's feed part).

The therapist's address comes back under the stack's own URL (http://127.0.0.1:<port> locally; a deployment's
API URL, unless it sets CalendarFeedBaseUrl); a calendar app reads it without any token; it parses back with
icalendar, lists the booked session under its stable UID with no client name; rotating the address makes the old
one 404 at once.
"""

from __future__ import annotations

import pytest
from icalendar import Calendar

from tests.local_stack.test_e2e import book
from tests.support.target import Target, new_client, new_therapist

pytestmark = pytest.mark.e2e


def test_a_calendar_app_subscribes_to_the_feed_without_a_token_and_a_rotation_closes_the_old_address(
    target: Target,
) -> None:
    http = target.http
    therapist_user, client_user = new_therapist(target), new_client(target)
    therapist = therapist_user.token

    # Given a booking with the therapist, and the therapist's feed address
    session = book(target, therapist_user, client_user)
    reply = http.get("/therapists/me/calendar-feed", token=therapist)
    assert reply.status == 200, reply.body
    url = reply.json()["url"]
    assert url.startswith(f"{http.base_url}/calendar-feeds/") and url.endswith(".ics")
    path = url.removeprefix(http.base_url)

    # When a calendar app reads it, with no token at all
    feed = http.get(path)

    # Then it is the therapist's sessions as iCalendar, under the invitation's UID, without the client's name
    assert feed.status == 200, feed.body
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    events = {str(e["UID"]): e for e in Calendar.from_ical(feed.body).walk("VEVENT")}
    assert str(events[f"{session['session_id']}@{target.email_sender_domain}"]["STATUS"]) == "TENTATIVE"
    assert b"Demo Client" not in feed.body and client_user.email.encode() not in feed.body

    # And a second read with its ETag is 304
    assert http.get(path, headers={"if-none-match": feed.headers["etag"]}).status == 304

    # When the therapist rotates the address / Then the old one is 404 at once and the new one answers
    rotated = http.post("/therapists/me/calendar-feed/rotate", token=therapist)
    assert rotated.status == 200, rotated.body
    assert http.get(path).status == 404
    assert http.get(rotated.json()["url"].removeprefix(http.base_url)).status == 200
    # And the therapist's own routes still want a token
    assert http.get("/therapists/me/calendar-feed").status == 401
