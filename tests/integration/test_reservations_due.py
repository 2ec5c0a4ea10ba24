"""Reservations on moto: a booked occurrence does not leave its reservation due for the sweeper run after run.

Booking a held occurrence updates the reservation item (`booked.<start>`, the version) but not its due key
(gsi3sk, written from `Reservation.due_at`), so a reservation whose next held occurrence was booked is still due
at that occurrence's start. The sweep that finds it then saves it, which moves the key on to the next held
occurrence. Without that, every run would list it again and change nothing; the sweep handles at most 100
reservations a run, earliest due first, so more than 100 such reservations would keep the ones really due
(held occurrences to give back, deletions to finish) from ever being swept.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.api import Api
from tests.support.clock import FakeClock
from tests.support.scenario import CLIENT, THERAPIST, booking, publish_therapist
from therapy_booking.adapters.dynamodb.reservations import DynamoReservations
from therapy_booking.wiring import container

FIRST = datetime(2026, 12, 15, 16, 0, tzinfo=UTC)  # a Tuesday, inside the weekly availability


def test_a_reservation_whose_booked_occurrence_passed_is_not_due_again_before_its_next(
    api: Api, clock: FakeClock
) -> None:
    # Given three weekly occurrences held for the client, who books the first
    publish_therapist(api)
    profile = {"name": "Sam Client", "email": "sam@example.com", "timezone": "Europe/London"}
    assert api.put("/clients/me", CLIENT, profile).status == 200
    assert api.post("/sessions", CLIENT, booking()).status == 201  # an ongoing client (a Wednesday session)
    reserve = {
        "client_id": CLIENT.sub,
        "first_start": "2026-12-15T16:00:00Z",
        "every_weeks": 1,
        "occurrences": 3,
        "session_type": "individual",
        "location_id": "video",
    }
    made = api.post("/therapists/me/reservations", THERAPIST, reserve)
    assert made.status == 201, made.body
    booked = api.post("/sessions", CLIENT, booking(start="2026-12-15T16:00:00Z", location_id="video"))
    assert booked.status == 201, booked.body

    # When the first occurrence's start has passed and the sweeper ran
    clock.set(FIRST + timedelta(hours=1))
    container.reservations.sweep()

    # Then the reservation is not due again before its second occurrence starts
    due = list(DynamoReservations().list_due(clock.now(), 100))
    assert due == []
