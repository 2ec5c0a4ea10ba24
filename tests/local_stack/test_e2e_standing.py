"""End to end, seeds 000 and 004's rules over HTTP on the local stack (issue 11): the response reminder, the
listing order by response time and by the cancellation flag, the standing a therapist reads, the emails.

The stack's clock is real time plus an offset, so these tests never assume the time of day: a slow answer
is given at the booking's own `response_due_at` (four business hours after it, whenever that is), a quick
one at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from local_stack import demo
from tests.local_stack.running_stack import Http, running_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def http() -> Iterator[Http]:
    with running_stack() as process:
        yield Http(process.base_url)


@pytest.fixture(scope="module")
def client(http: Http) -> str:
    token = http.token(demo.CLIENT.sub, demo.CLIENT.role)
    assert http.put("/clients/me", demo.CLIENT_PROFILE, token=token).status == 200
    return token


def new_therapist(http: Http, label: str) -> tuple[str, str]:
    """A new therapist, published with the demo profile (its own email) and availability: (id, token)."""
    therapist_id = f"{label}-{uuid.uuid4().hex[:10]}"
    token = http.token(therapist_id, "therapist")
    profile = {**demo.THERAPIST_PROFILE, "email": f"{therapist_id}@demo.invalid"}
    assert http.put("/therapists/me", profile, token=token).status == 200
    assert http.put("/therapists/me/availability", demo.AVAILABILITY, token=token).status == 200
    return therapist_id, token


def free_starts(http: Http, therapist_id: str, client: str) -> list[str]:
    """The therapist's free slots at least five minutes clear of the notice edge (real time passes between the
    slot query and a booking)."""
    reply = http.get(f"/therapists/{therapist_id}/slots?session_type=individual", token=client)
    assert reply.status == 200, reply.body
    notice_hours = demo.AVAILABILITY["min_notice_hours"]
    assert isinstance(notice_hours, int)
    edge = now(http) + timedelta(hours=notice_hours, minutes=5)
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


def now(http: Http) -> datetime:
    return datetime.fromisoformat(http.get("/dev/clock").json()["now"].replace("Z", "+00:00"))


def move_clock_to(http: Http, instant: str) -> None:
    """Advance the stack's clock to `instant` (plus a minute); due schedules fire and the stream drains."""
    target = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    seconds = (target - now(http)).total_seconds() + 60
    if seconds > 0:
        assert http.post("/dev/clock", {"advance_seconds": seconds}).status == 200


def emails_to(http: Http, address: str) -> list[dict[str, Any]]:
    return [email for email in http.get("/dev/outbox").json()["emails"] if address in email["to"]]


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


def test_an_unanswered_booking_gets_one_reminder_and_an_answered_one_none(http: Http, client: str) -> None:
    # Given two new therapists, each with a new booking
    waiting_id, _ = new_therapist(http, "waiting")
    prompt_id, prompt = new_therapist(http, "prompt")
    unanswered = book(http, waiting_id, client, free_starts(http, waiting_id, client)[0])
    answered = book(http, prompt_id, client, free_starts(http, prompt_id, client)[0])
    # When one therapist answers at once and the other does not
    assert http.post(f"/sessions/{answered['session_id']}/confirm", token=prompt).status == 200
    # And the clock passes both answers' deadlines, then a day more
    move_clock_to(http, max(unanswered["response_due_at"], answered["response_due_at"]))
    assert http.post("/dev/clock", {"advance_seconds": 86_400}).status == 200
    # Then the waiting therapist got exactly one reminder about that booking, and the prompt one none
    reminders = [e for e in emails_to(http, f"{waiting_id}@demo.invalid") if unanswered["session_id"] in e["text"]]
    assert len(reminders) == 2, [e["subject"] for e in reminders]  # the new booking's email and one reminder
    assert sum("waiting for your answer" in e["text"] for e in reminders) == 1
    assert not any("waiting for your answer" in e["text"] for e in emails_to(http, f"{prompt_id}@demo.invalid"))


def test_the_faster_responder_lists_first_and_sees_why(http: Http, client: str) -> None:
    # Given two new therapists alike but for their answers: one answers at once, the other at the deadline
    quick_id, quick = new_therapist(http, "quick")
    slow_id, slow = new_therapist(http, "slow")
    quick_session = book(http, quick_id, client, free_starts(http, quick_id, client)[0])
    slow_session = book(http, slow_id, client, free_starts(http, slow_id, client)[0])
    assert http.post(f"/sessions/{quick_session['session_id']}/confirm", token=quick).status == 200
    move_clock_to(http, slow_session["response_due_at"])
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


def test_a_flagged_therapist_drops_below_an_equal_unflagged_one_and_is_told(http: Http, client: str) -> None:
    # Given two new therapists who each confirm four bookings at once
    steady_id, steady = new_therapist(http, "steady")
    flaky_id, flaky = new_therapist(http, "flaky")
    sessions: dict[str, list[str]] = {}
    for therapist_id, token in ((steady_id, steady), (flaky_id, flaky)):
        sessions[therapist_id] = []
        for start in free_starts(http, therapist_id, client)[:4]:
            booked = book(http, therapist_id, client, start)
            assert http.post(f"/sessions/{booked['session_id']}/confirm", token=token).status == 200
            sessions[therapist_id].append(booked["session_id"])
    # When one of them cancels three of theirs in a row
    for session_id in sessions[flaky_id][:3]:
        reply = http.post(f"/sessions/{session_id}/cancel", {"reason": "unwell"}, token=flaky)
        assert reply.status == 200, reply.body
    # Then they are flagged, listed below the other, and told once by email
    standing = http.get("/therapists/me/standing", token=flaky).json()
    assert (standing["cancellation_streak"], standing["flagged"], standing["deactivated"]) == (3, True, False)
    assert standing["rank_factors"]["cancellations"] == 0
    order = listing(http, client)
    assert order.index(steady_id) < order.index(flaky_id)
    flagged = [e for e in emails_to(http, f"{flaky_id}@demo.invalid") if "flagged" in e["subject"].lower()]
    assert len(flagged) == 1
    # And the team sees the same standing
    admin = http.token(demo.ADMIN.sub, demo.ADMIN.role)
    assert http.get(f"/admin/therapists/{flaky_id}/standing", token=admin).json() == standing
