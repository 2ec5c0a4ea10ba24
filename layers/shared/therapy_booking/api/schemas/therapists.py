"""A therapist as anyone may see them: the directory and profile reads, and the start of a therapist's own view."""

from __future__ import annotations

from pydantic import Field

from therapy_booking.api.schemas.fields import Body, JsonInt, LocationBody, MoneyBody
from therapy_booking.domain.model import SessionType, Therapist


class SessionTypeBody(Body):
    type: SessionType
    duration_minutes: JsonInt = Field(ge=15, le=240)
    price: MoneyBody


class TherapistPublicProfile(Body):
    therapist_id: str
    name: str
    timezone: str
    locations: list[LocationBody]
    session_types: list[SessionTypeBody]
    free_initial_consultation: bool
    accepting_bookings: bool

    @classmethod
    def of(cls, therapist: Therapist) -> TherapistPublicProfile:
        profile = therapist.profile
        assert profile is not None
        return cls(
            therapist_id=therapist.therapist_id,
            name=profile.name,
            timezone=profile.timezone,
            locations=[LocationBody.of(loc) for loc in profile.locations],
            session_types=[
                SessionTypeBody(type=t.type, duration_minutes=t.duration_minutes, price=MoneyBody.of(t.price))
                for t in profile.session_types
            ],
            free_initial_consultation=profile.free_initial_consultation,
            accepting_bookings=therapist.accepts_bookings,
        )
