"""End to end, seeds 000 and 004's rules over HTTP on the local stack (issue 11): the response reminder, the
listing order by response time and by the cancellation flag, the standing a therapist reads, the emails.

The stack's clock is real time plus an offset, so these tests never assume the time of day: a slow answer
is given at the booking's own `response_due_at` (four business hours after it, whenever that is), a quick
one at once. Against a deployment (tests/support/target.py) each runs up to its first move of the clock or read
of the outbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from local_stack import demo
from tests.local_stack.running_stack import Http
from tests.support.target import Target, new_client, new_therapist

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def http(target: Target) -> Http:
    return target.http


@pytest.fixture(scope="module")
def client(target: Target) -> str:
    return new_client(target).token


def free_starts(target: Target, therapist_id: str, client: str) -> list[str]:
    """The therapist's free slots at least five minutes clear of the notice edge (real time passes between the
    slot query and a booking)."""
    reply = target.http.get(f"/therapists/{therapist_id}/slots?session_type=individual", token=client)
    assert reply.status == 200, reply.body
    notice_hours = demo.AVAILABILITY["min_notice_hours"]
    assert isinstance(notice_hours, int)
    edge = target.now() + timedelta(hours=notice_hours, minutes=5)
    starts = [slot["start"] for slot in reply.json()["items"]]
    return [start for start in starts if datetime.fromisoformat(start.replace("Z", "+00:00")) >= edge]


def book(http: Http, therapist_id: str, client: str, start: str) -> dict[str, Any]:
    body = {
        "therapist_id": therapist_id,
        "start": start,
        "session_type": "individual",
        "location_id": "video",
        "attendees": ["Demo Client"],
    }
    reply = http.post("/sessions", body, token=client)
    assert reply.status == 201, reply.body
    session: dict[str, Any] = reply.json()
    return session


def move_clock_to(target: Target, instant: str) -> None:
    """Advance the stack's clock to `instant` (plus a minute); due schedules fire and the stream drains."""
    moment = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    seconds = (moment - target.now()).total_seconds() + 60
    if seconds > 0:
        target.advance_clock(seconds)


def emails_to(target: Target, address: str) -> list[dict[str, Any]]:
    return [email for email in target.outbox()["emails"] if address in email["to"]]


def listing(http: Http, client: str) -> list[str]:
    """Every listed therapist id, in listing order, all pages."""
    ids: list[str] = []
    cursor = ""
    while True:
        page = http.get(f"/therapists?limit=50{cursor}", token=client).json()
        ids += [item["therapist_id"] for item in page["items"]]
        if not page.get("next_cursor"):
            return ids
        cursor = f"&cursor={page['next_cursor']}"


def listed_before(ids: list[str], first: str, second: str) -> bool:
    return first in ids and second in ids and ids.index(first) < ids.index(second)


@pytest.mark.needs_clock
@pytest.mark.needs_outbox
def test_an_unanswered_booking_gets_one_reminder_and_an_answered_one_none(
    target: Target, http: Http, client: str
) -> None:
    # Given two new therapists, each with a new booking
    waiting = new_therapist(target, "waiting")
    prompt = new_therapist(target, "prompt")
    unanswered = book(http, waiting.sub, client, free_starts(target, waiting.sub, client)[0])
    answered = book(http, prompt.sub, client, free_starts(target, prompt.sub, client)[0])
    # When one therapist answers at once and the other does not
    assert http.post(f"/sessions/{answered['session_id']}/confirm", token=prompt.token).status == 200
    # And the clock passes both answers' deadlines, then a day more
    move_clock_to(target, max(unanswered["response_due_at"], answered["response_due_at"]))
    target.advance_clock(86_400)
    # Then the waiting therapist got exactly one reminder about that booking, and the prompt one none
    reminders = [e for e in emails_to(target, waiting.email) if unanswered["session_id"] in e["text"]]
    assert len(reminders) == 2, [e["subject"] for e in reminders]  # the new booking's email and one reminder
    assert sum("waiting for your answer" in e["text"] for e in reminders) == 1
    assert not any("waiting for your answer" in e["text"] for e in emails_to(target, prompt.email))


@pytest.mark.needs_clock
def test_the_faster_responder_lists_first_and_sees_why(target: Target, http: Http, client: str) -> None:
    # Given two new therapists alike but for their answers: one answers at once, the other at the deadline
    quick_therapist, slow_therapist = new_therapist(target, "quick"), new_therapist(target, "slow")
    quick_id, quick = quick_therapist.sub, quick_therapist.token
    slow_id, slow = slow_therapist.sub, slow_therapist.token
    quick_session = book(http, quick_id, client, free_starts(target, quick_id, client)[0])
    slow_session = book(http, slow_id, client, free_starts(target, slow_id, client)[0])
    assert http.post(f"/sessions/{quick_session['session_id']}/confirm", token=quick).status == 200
    move_clock_to(target, slow_session["response_due_at"])
    assert http.post(f"/sessions/{slow_session['session_id']}/confirm", token=slow).status == 200
    # When a client lists therapists
    order = listing(http, client)
    # Then the quick one comes first
    assert order.index(quick_id) < order.index(slow_id)
    # And each sees their response time and the factors of their score
    quick_standing = http.get("/therapists/me/standing", token=quick).json()
    slow_standing = http.get("/therapists/me/standing", token=slow).json()
    assert quick_standing["response_time"]["samples"] == slow_standing["response_time"]["samples"] == 1
    assert slow_standing["response_time"]["median_business_minutes"] >= 239
    assert quick_standing["rank_factors"]["response_time"] > slow_standing["rank_factors"]["response_time"]
    assert quick_standing["rank_score"] > slow_standing["rank_score"]


@pytest.mark.needs_outbox
def test_a_flagged_therapist_drops_below_an_equal_unflagged_one_and_is_told(
    target: Target, http: Http, client: str
) -> None:
    # Given two new therapists who each confirm four bookings at once
    steady_therapist, flaky_therapist = new_therapist(target, "steady"), new_therapist(target, "flaky")
    steady_id, steady = steady_therapist.sub, steady_therapist.token
    flaky_id, flaky = flaky_therapist.sub, flaky_therapist.token
    sessions: dict[str, list[str]] = {}
    for therapist_id, token in ((steady_id, steady), (flaky_id, flaky)):
        sessions[therapist_id] = []
        for start in free_starts(target, therapist_id, client)[:4]:
            booked = book(http, therapist_id, client, start)
            assert http.post(f"/sessions/{booked['session_id']}/confirm", token=token).status == 200
            sessions[therapist_id].append(booked["session_id"])
    # When one of them cancels three of theirs in a row
    for session_id in sessions[flaky_id][:3]:
        reply = http.post(f"/sessions/{session_id}/cancel", {"reason": "unwell"}, token=flaky)
        assert reply.status == 200, reply.body
    # Then they are flagged and listed below the other (once the listing's projection has caught up)
    standing = http.get("/therapists/me/standing", token=flaky).json()
    assert (standing["cancellation_streak"], standing["flagged"], standing["deactivated"]) == (3, True, False)
    assert standing["rank_factors"]["cancellations"] == 0
    order = target.settled(lambda: listing(http, client), until=lambda ids: listed_before(ids, steady_id, flaky_id))
    assert order.index(steady_id) < order.index(flaky_id)
    # And the team sees the same standing
    admin = target.new_user("admin").token
    assert http.get(f"/admin/therapists/{flaky_id}/standing", token=admin).json() == standing
    # And they were told once by email
    flagged = [e for e in emails_to(target, flaky_therapist.email) if "flagged" in e["subject"].lower()]
    assert len(flagged) == 1
