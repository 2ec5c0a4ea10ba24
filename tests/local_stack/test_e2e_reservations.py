"""End to end, reserved recurring slots over real HTTP on the local stack (docs/design/API.md, "Reserved
recurring slots"): a therapist holds twelve Tuesdays at 10:00 London for one client; another client can
neither book nor see them; the reserved client sees them, books one, and the reservation shows it booked;
deleting the reservation gives the others back and leaves the booked one a session. A reservation refused by
one clashing occurrence names exactly it, and succeeds once the clash is gone; the sweeper releases an
occurrence whose start passed unbooked.

One stack serves the module (locally a subprocess; or a deployment, tests/support/target.py); each test has its
own therapist and clients (new users), and works from the stack's clock at that moment (real time plus an offset,
moved forward by the last test only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from local_stack import demo
from tests.local_stack.running_stack import Http, Reply
from tests.support.target import Target, instant, new_therapist, publish_client

pytestmark = pytest.mark.e2e

LONDON = ZoneInfo("Europe/London")
SLOT_WINDOW = timedelta(days=60)  # a slot query spans at most 62 days
AVAILABILITY = {**demo.AVAILABILITY, "horizon_days": 120}  # every occurrence inside the booking horizon
TUESDAY = 1
MONDAY = 0


@pytest.fixture(scope="module")
def http(target: Target) -> Http:
    return target.http


@dataclass(frozen=True)
class People:
    therapist_id: str
    therapist: str  # tokens
    client_a_id: str
    client_a: str
    client_b: str


@pytest.fixture
def people(target: Target, http: Http) -> People:
    """A new therapist, published (Europe/London, weekdays 09:00-17:00, 24 hours' notice), and two new clients
    with profiles."""
    therapist = new_therapist(target, "res-t", AVAILABILITY)
    client_a, client_b = target.new_user("client", "res-a"), target.new_user("client", "res-b")
    for client in (client_a, client_b):
        publish_client(target, client, name=client.sub)
    # Client A is an ongoing client: a first session, on a Monday morning (the reservations are on Tuesdays)
    day = (target.now() + timedelta(days=2)).astimezone(LONDON).date()
    day += timedelta(days=(MONDAY - day.weekday()) % 7)
    first_session = book(http, therapist.sub, client_a.token, z(datetime.combine(day, time(9, 0), tzinfo=LONDON)))
    assert first_session.status == 201, first_session.body
    return People(therapist.sub, therapist.token, client_a.sub, client_a.token, client_b.token)


def z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tuesdays_at_ten(target: Target, count: int) -> list[str]:
    """`count` weekly Tuesdays at 10:00 London (inside availability), the first at least two days ahead, as UTC
    instants: the wall-clock time stays 10:00 across a clock change."""
    day = (target.now() + timedelta(days=2)).astimezone(LONDON).date()
    day += timedelta(days=(TUESDAY - day.weekday()) % 7)
    return [z(datetime.combine(day + timedelta(weeks=week), time(10, 0), tzinfo=LONDON)) for week in range(count)]


def reserve(http: Http, people: People, first_start: str, occurrences: int) -> Reply:
    body = {
        "client_id": people.client_a_id,
        "first_start": first_start,
        "every_weeks": 1,
        "occurrences": occurrences,
        "session_type": "individual",
        "location_id": "video",
    }
    return http.post("/therapists/me/reservations", body, token=people.therapist)


def book(http: Http, therapist_id: str, client: str, start: str) -> Reply:
    body = {
        "therapist_id": therapist_id,
        "start": start,
        "session_type": "individual",
        "location_id": "video",
        "attendees": ["A Client"],
    }
    return http.post("/sessions", body, token=client)


def slots(http: Http, therapist_id: str, client: str, first: str, last: str) -> set[str]:
    """Every individual slot starting in [first, last], window by window."""
    found: set[str] = set()
    start, end = instant(first), instant(last) + timedelta(minutes=1)
    while start < end:
        to = min(start + SLOT_WINDOW, end)
        reply = http.get(
            f"/therapists/{therapist_id}/slots?session_type=individual&from={z(start)}&to={z(to)}", token=client
        )
        assert reply.status == 200, reply.body
        found |= {slot["start"] for slot in reply.json()["items"]}
        start = to
    return found


def occurrences(reservation: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(o["start"], o["status"], o.get("session_id")) for o in reservation["occurrences"]]


def only(reply: Reply) -> dict[str, Any]:
    assert reply.status == 200, reply.body
    items: list[dict[str, Any]] = reply.json()["items"]
    assert len(items) == 1, items
    return items[0]


@pytest.mark.needs_dead_letters
def test_a_reservation_holds_twelve_weeks_for_one_client_until_deleted(
    target: Target, http: Http, people: People
) -> None:
    starts = tuesdays_at_ten(target, 12)
    first, last = starts[0], starts[-1]

    # Given the therapist reserves twelve weekly Tuesdays at 10:00 London for client A
    made = reserve(http, people, first, 12)
    assert made.status == 201, made.body
    reservation = made.json()
    assert (reservation["client_id"], reservation["session_type"], reservation["every_weeks"]) == (
        people.client_a_id,
        "individual",
        1,
    )
    assert occurrences(reservation) == [(start, "held", None) for start in starts]
    assert [instant(o["end"]) - instant(o["start"]) for o in reservation["occurrences"]] == [timedelta(minutes=50)] * 12
    reservation_id = reservation["reservation_id"]

    # Then client B can book none of them, and does not see them in the therapist's slots
    for start in starts:
        refused = book(http, people.therapist_id, people.client_b, start)
        assert (refused.status, refused.json()["code"]) == (409, "slot_unavailable"), (start, refused.body)
    assert not set(starts) & slots(http, people.therapist_id, people.client_b, first, last)
    # And client A sees every one in their slots and in their reservations
    assert set(starts) <= slots(http, people.therapist_id, people.client_a, first, last)
    assert only(http.get("/clients/me/reservations", token=people.client_a)) == reservation
    assert http.get("/clients/me/reservations", token=people.client_b).json() == {"items": []}
    assert only(http.get("/therapists/me/reservations", token=people.therapist)) == reservation

    # When client A books the third as any slot
    booked = book(http, people.therapist_id, people.client_a, starts[2])
    assert booked.status == 201, booked.body
    session = booked.json()
    assert (session["start"], session["status"], session["client_id"]) == (starts[2], "pending", people.client_a_id)

    # Then both lists show the third booked, with its session, and the others still held
    expected = [(start, "held", None) for start in starts]
    expected[2] = (starts[2], "booked", session["session_id"])
    assert occurrences(only(http.get("/therapists/me/reservations", token=people.therapist))) == expected
    assert occurrences(only(http.get("/clients/me/reservations", token=people.client_a))) == expected
    # and it is a slot no more, even for A
    assert starts[2] not in slots(http, people.therapist_id, people.client_a, first, last)

    # When the therapist deletes the reservation
    assert http.delete(f"/therapists/me/reservations/{reservation_id}", token=people.therapist).status == 204

    # Then neither list shows it
    assert http.get("/therapists/me/reservations", token=people.therapist).json() == {"items": []}
    assert http.get("/clients/me/reservations", token=people.client_a).json() == {"items": []}
    # And the third is still A's session, its time still taken
    kept = http.get(f"/sessions/{session['session_id']}", token=people.client_a)
    assert kept.status == 200, kept.body
    assert (kept.json()["status"], kept.json()["start"]) == ("pending", starts[2])
    refused = book(http, people.therapist_id, people.client_b, starts[2])
    assert (refused.status, refused.json()["code"]) == (409, "slot_unavailable"), refused.body
    # And the other eleven are free again: B sees them all and books one
    released = [start for index, start in enumerate(starts) if index != 2]
    b_slots = slots(http, people.therapist_id, people.client_b, first, last)
    assert set(released) <= b_slots
    assert starts[2] not in b_slots
    rebooked = book(http, people.therapist_id, people.client_b, released[0])
    assert rebooked.status == 201, rebooked.body
    assert released[0] not in slots(http, people.therapist_id, people.client_a, first, last)
    # And deleting it again does nothing
    assert http.delete(f"/therapists/me/reservations/{reservation_id}", token=people.therapist).status == 204
    assert target.dead_letters() == {"items": []}


def test_a_reservation_clashing_on_one_occurrence_names_it_and_reserves_nothing(
    target: Target, http: Http, people: People
) -> None:
    starts = tuesdays_at_ten(target, 12)
    # Given client B booked the time of the fifth occurrence
    taken = book(http, people.therapist_id, people.client_b, starts[4])
    assert taken.status == 201, taken.body

    # When the therapist reserves the twelve Tuesdays for client A
    refused = reserve(http, people, starts[0], 12)

    # Then it is refused naming exactly the fifth, and nothing is held
    assert refused.status == 409, refused.body
    problem = refused.json()
    assert (problem["code"], problem["clashing_starts"]) == ("slot_unavailable", [starts[4]])
    assert http.get("/therapists/me/reservations", token=people.therapist).json() == {"items": []}
    assert http.get("/clients/me/reservations", token=people.client_a).json() == {"items": []}
    assert set(starts) - {starts[4]} <= slots(http, people.therapist_id, people.client_b, starts[0], starts[-1])

    # When B cancels, and the therapist makes the same request again
    cancelled = http.post(f"/sessions/{taken.json()['session_id']}/cancel", {"reason": "moved"}, token=people.client_b)
    assert cancelled.status == 200, cancelled.body
    made = reserve(http, people, starts[0], 12)

    # Then it is made, every occurrence held for A
    assert made.status == 201, made.body
    assert occurrences(made.json()) == [(start, "held", None) for start in starts]
    assert not set(starts) & slots(http, people.therapist_id, people.client_b, starts[0], starts[-1])
    assert occurrences(only(http.get("/clients/me/reservations", token=people.client_a))) == occurrences(made.json())


@pytest.mark.needs_clock
@pytest.mark.needs_dead_letters
def test_the_sweeper_releases_an_occurrence_whose_start_passed_unbooked(
    target: Target, http: Http, people: People
) -> None:
    starts = tuesdays_at_ten(target, 3)
    # Given three weekly occurrences held for client A
    made = reserve(http, people, starts[0], 3)
    assert made.status == 201, made.body

    # When the clock passes the first one's start, unbooked, and the sweeper runs (every 5 minutes)
    seconds = (instant(starts[0]) - target.now()).total_seconds() + 60
    target.advance_clock(seconds)
    target.advance_clock(6 * 60)

    # Then the first shows released, the others still held, in both lists
    expected = [(starts[0], "released", None), (starts[1], "held", None), (starts[2], "held", None)]
    assert occurrences(only(http.get("/therapists/me/reservations", token=people.therapist))) == expected
    assert occurrences(only(http.get("/clients/me/reservations", token=people.client_a))) == expected
    # And the next one is still A's alone
    refused = book(http, people.therapist_id, people.client_b, starts[1])
    assert (refused.status, refused.json()["code"]) == (409, "slot_unavailable"), refused.body
    assert starts[1] in slots(http, people.therapist_id, people.client_a, starts[1], starts[2])
    assert target.dead_letters() == {"items": []}
