"""`DynamoReservations.for_feed` on moto: the reservations a therapist's calendar feed reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.reservations import save_new, weekly
from therapy_booking.adapters.dynamodb.reservations import DynamoReservations
from therapy_booking.domain.model import Location, LocationKind
from therapy_booking.domain.reservations import Reservation, ReservationStatus

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
FIRST = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
ROOM = Location("room", LocationKind.IN_PERSON, address="1 Street")


def reservation(reservation_id: str, week: int, therapist_id: str = "t1") -> Reservation:
    return weekly(reservation_id, therapist_id, "c1", ROOM, FIRST + timedelta(weeks=week), 2, NOW)


def finish(reservation: Reservation, status: ReservationStatus) -> Reservation:
    """The reservation written again as `status` (its claims left as they are: the feed reads none)."""
    finished = replace(reservation, status=status, version=reservation.version + 1, updated_at=NOW)
    DynamoReservations().save(finished, reservation.version)
    return finished


def test_the_feed_reads_active_deleted_and_ended_reservations_of_the_therapist_and_no_pending_one(aws: Any) -> None:
    # Given, for one therapist, an active, a deleted, an ended and a pending reservation, and another therapist's
    repository = DynamoReservations()
    active = save_new(reservation("res-active", 2))
    deleted = finish(save_new(reservation("res-deleted", 0)), ReservationStatus.DELETED)
    ended = finish(save_new(reservation("res-ended", 4)), ReservationStatus.ENDED)
    save_new(replace(reservation("res-pending", 6), status=ReservationStatus.PENDING))
    save_new(reservation("res-theirs", 8, therapist_id="t2"))

    # When the feed's reservations are read
    found = repository.for_feed("t1")

    # Then they are the therapist's active, deleted and ended ones, by first start, as stored
    assert found == [deleted, active, ended]
    # And the therapist's own list still shows only the active one
    assert [r.reservation_id for r in repository.for_therapist("t1")] == ["res-active"]


def test_a_therapist_without_reservations_has_none_in_the_feed(aws: Any) -> None:
    assert DynamoReservations().for_feed("t1") == []
