"""A held occurrence booked by its client while the therapist deletes the reservation: exactly one wins it.

The table lives in a moto server that serves one request at a time (see test_booking_concurrency), so the
race is decided by the conditions of the two TransactWriteItems as in DynamoDB. Both requests run the domain
services in threads (no HTTP resolver, whose current request is process-wide) and meet at a rendezvous just
before their first write, so both have read the reservation as active before either writes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.test_booking_concurrency import (  # noqa: F401 (the fixture)
    SerialTable,
    serial_table,
)
from tests.support.api import Api
from tests.support.clock import FakeClock
from tests.support.scenario import CLIENT, THERAPIST, book, publish_therapist
from therapy_booking.adapters.dynamodb.reservations import DynamoReservations
from therapy_booking.adapters.dynamodb.sessions import DynamoSessionRepository
from therapy_booking.domain.errors import Conflict, DomainError, SlotUnavailable
from therapy_booking.domain.model import Actor, Role, SessionType
from therapy_booking.domain.services import BookingRequest
from therapy_booking.wiring import container

ROUNDS = 6
FIRST = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


def claims_at(table: SerialTable, starts: list[datetime]) -> dict[str, dict[str, Any]]:
    """The claim items on the units of 50-minute sessions at `starts`, by unit."""
    found: dict[str, dict[str, Any]] = {}
    for start in starts:
        for unit in range(4):
            at = (start + timedelta(minutes=15 * unit)).strftime("%Y-%m-%dT%H:%M:%SZ")
            item = table.client.get_item(
                TableName=table.name, Key={"pk": {"S": f"THERAPIST#{THERAPIST.sub}"}, "sk": {"S": f"CLAIM#{at}"}}
            ).get("Item")
            if item is not None:
                found[at] = item
    return found


def rendezvous(barrier: threading.Barrier, write: Callable[..., Any]) -> Callable[..., Any]:
    """`write`, whose first call in each thread waits for the other thread's first call."""
    waited = threading.local()

    def first_waits(*args: Any, **kwargs: Any) -> Any:
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait(30)
        return write(*args, **kwargs)

    return first_waits


def book_and_delete_at_once(client: Actor, therapist: Actor, start: datetime, reservation_id: str) -> dict[str, object]:
    """The client's booking of `start` and the therapist's deletion of the reservation, in two threads: each
    one's answer (the session id or "deleted") or its refusal."""
    outcomes: dict[str, object] = {}

    def booking() -> None:
        request = BookingRequest(THERAPIST.sub, start, SessionType.INDIVIDUAL, "video", ("Sam",))
        try:
            outcomes["booking"] = container.sessions.book(client, request).session_id
        except DomainError as error:
            outcomes["booking"] = error

    def deletion() -> None:
        try:
            container.reservations.delete(therapist, reservation_id)
            outcomes["deletion"] = "deleted"
        except DomainError as error:
            outcomes["deletion"] = error

    threads = [threading.Thread(target=booking), threading.Thread(target=deletion)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_a_booking_and_a_deletion_of_the_same_held_occurrence_never_both_win(
    serial_table: SerialTable,  # noqa: F811 (the fixture imported above)
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = Api()
    publish_therapist(api)
    profile = {"name": "Sam", "email": "sam@example.com", "sms_opt_in": False, "timezone": "Europe/London"}
    assert api.put("/clients/me", CLIENT, profile).status == 200
    assert book(api).status == 201  # an ongoing client: they booked with the therapist before
    client = Actor(CLIENT.sub, frozenset({Role.CLIENT}))
    therapist = Actor(THERAPIST.sub, frozenset({Role.THERAPIST}))
    winners: list[str] = []
    for race in range(ROUNDS):
        # Given one occurrence held for the client (a new Tuesday each round)
        start = FIRST + timedelta(weeks=race)
        body = {
            "client_id": CLIENT.sub,
            "first_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "every_weeks": 1,
            "occurrences": 1,
            "session_type": "individual",
            "location_id": "video",
        }
        made = api.post("/therapists/me/reservations", THERAPIST, body)
        assert made.status == 201, made.body
        reservation_id = made.body["reservation_id"]
        # When the client books it and the therapist deletes the reservation, both having read it active
        with monkeypatch.context() as patch:
            barrier = threading.Barrier(2)
            patch.setattr(DynamoSessionRepository, "commit", rendezvous(barrier, DynamoSessionRepository.commit))
            patch.setattr(DynamoReservations, "save", rendezvous(barrier, DynamoReservations.save))
            outcomes = book_and_delete_at_once(client, therapist, start, reservation_id)
        # Then the reservation is deleted either way (a booking that won first makes the deletion read again)
        assert outcomes["deletion"] == "deleted", outcomes
        occurrence = api.get("/therapists/me/reservations", THERAPIST).body["items"]
        assert occurrence == []
        units = claims_at(serial_table, [start])
        if isinstance(outcomes["booking"], str):
            # And if the booking won, the occurrence is its session's: every unit, and nothing of the reservation
            winners.append("booking")
            assert len(units) == 4 and {item["owner_id"]["S"] for item in units.values()} == {outcomes["booking"]}
        else:
            # And if the deletion won, the booking was refused and the time is free: no orphan claim
            winners.append("deletion")
            assert isinstance(outcomes["booking"], SlotUnavailable | Conflict) and units == {}, outcomes
        clock.advance(timedelta(seconds=1))
    assert len(winners) == ROUNDS
