"""Reserved recurring slots written straight to the table (there are no reservation routes yet): a reservation
and its claims through `DynamoReservations.save`, as `ReservationService.reserve` writes a small one."""

from __future__ import annotations

from datetime import datetime, timedelta

from therapy_booking.adapters.dynamodb.reservations import DynamoReservations
from therapy_booking.domain.calendar import TimeRange
from therapy_booking.domain.model import Location, SessionType
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.reservations import Reservation, ReservationStatus, reservation_claims


def weekly(
    reservation_id: str,
    therapist_id: str,
    client_id: str,
    location: Location,
    first: datetime,
    count: int,
    now: datetime,
    minutes: int = 50,
    booked: dict[datetime, str] | None = None,
) -> Reservation:
    """An active reservation of `count` weekly individual sessions from `first` (UTC instants a week apart),
    `booked` naming the sessions that booked some."""
    starts = [first + timedelta(weeks=index) for index in range(count)]
    return Reservation(
        reservation_id=reservation_id,
        therapist_id=therapist_id,
        client_id=client_id,
        session_type=SessionType.INDIVIDUAL,
        location=location,
        every_weeks=1,
        occurrences=tuple(TimeRange(start, start + timedelta(minutes=minutes)) for start in starts),
        status=ReservationStatus.ACTIVE,
        created_at=now,
        updated_at=now,
        version=1,
        booked=booked or {},
    )


def save_new(reservation: Reservation) -> Reservation:
    """The reservation written with the claims of its occurrences not booked, in one transaction."""
    claims = reservation_claims(reservation, reservation.unreleased, PlatformPolicy().calendar_unit_minutes)
    DynamoReservations().save(reservation, None, take=claims)
    return reservation
