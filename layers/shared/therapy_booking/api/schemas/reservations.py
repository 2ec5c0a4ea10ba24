"""Reserved recurring slots: POST/GET /therapists/me/reservations, DELETE .../{reservation_id},
GET /clients/me/reservations."""

from __future__ import annotations

from pydantic import Field

from therapy_booking.api.schemas.fields import Body, Identifier, Instant, JsonInt, LocationBody, UtcInstant
from therapy_booking.domain.model import SessionType
from therapy_booking.domain.reservations import (
    MAX_EVERY_WEEKS,
    MAX_OCCURRENCES,
    OccurrenceStatus,
    Reservation,
    ReservationRequest,
    ReservationStatus,
)


class ReserveRequest(Body):
    client_id: Identifier = Field(description="The ongoing client the time is held for (their user id).")
    first_start: Instant = Field(
        description="The first occurrence; the others keep its wall-clock time in the therapist's time zone.",
        examples=["2027-01-05T18:00:00Z"],
    )
    every_weeks: JsonInt = Field(ge=1, le=MAX_EVERY_WEEKS, description="Weeks between occurrences.")
    occurrences: JsonInt = Field(ge=1, le=MAX_OCCURRENCES, description="How many occurrences to hold.")
    session_type: SessionType
    location_id: Identifier

    def to_domain(self) -> ReservationRequest:
        return ReservationRequest(
            client_id=self.client_id,
            first_start=self.first_start,
            every_weeks=self.every_weeks,
            occurrences=self.occurrences,
            session_type=self.session_type,
            location_id=self.location_id,
        )


class OccurrenceBody(Body):
    start: UtcInstant
    end: UtcInstant
    status: OccurrenceStatus = Field(
        description="held (only the reserved client can book it), booked (now a session), or released."
    )
    session_id: str | None = Field(default=None, description="The session that booked it, once booked.")


class ReservationResponse(Body):
    reservation_id: str
    therapist_id: str
    client_id: str
    session_type: SessionType
    location: LocationBody
    every_weeks: int
    status: ReservationStatus = Field(description="active, deleted, or ended (every occurrence has passed).")
    occurrences: list[OccurrenceBody]
    created_at: UtcInstant

    @classmethod
    def of(cls, reservation: Reservation) -> ReservationResponse:
        return cls(
            reservation_id=reservation.reservation_id,
            therapist_id=reservation.therapist_id,
            client_id=reservation.client_id,
            session_type=reservation.session_type,
            location=LocationBody.of(reservation.location),
            every_weeks=reservation.every_weeks,
            status=reservation.status,
            occurrences=[
                OccurrenceBody(start=v.start, end=v.end, status=v.status, session_id=v.session_id)
                for v in reservation.views()
            ],
            created_at=reservation.created_at,
        )


class ReservationList(Body):
    items: list[ReservationResponse]

    @classmethod
    def of(cls, reservations: list[Reservation]) -> ReservationList:
        return cls(items=[ReservationResponse.of(r) for r in reservations])
