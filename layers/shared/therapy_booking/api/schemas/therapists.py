"""A therapist as anyone may see them: the directory and profile reads, and the start of a therapist's own view.

A public profile names each location by its kind and a label, never its joining link: the link goes only to a
session's client and therapist (the session resource, its emails and calendar files) and to the therapist's
own profile (docs/decisions.md, "Public profiles")."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from therapy_booking.api.schemas.fields import Body, JsonInt, MoneyBody
from therapy_booking.domain.model import Location, LocationKind, SessionType, Therapist

KIND_LABELS = {LocationKind.IN_PERSON: "In person", LocationKind.ONLINE: "Online", LocationKind.PHONE: "Phone"}


class SessionTypeBody(Body):
    type: SessionType
    duration_minutes: JsonInt = Field(ge=15, le=240)
    price: MoneyBody


class PublicLocationBody(Body):
    """A location as a public profile shows it: what to pick when booking (`id`), never how to join."""

    id: str = Field(description="The location_id a booking names.")
    kind: LocationKind
    label: str = Field(
        description="'In person: <the practice address>', 'Online' or 'Phone'. A joining link is never public.",
        examples=["In person: 1 Harley Street, London", "Online"],
    )

    @classmethod
    def of(cls, location: Location) -> PublicLocationBody:
        label = KIND_LABELS[location.kind]
        if location.kind is LocationKind.IN_PERSON and location.address:
            label = f"{label}: {location.address}"
        return cls(id=location.id, kind=location.kind, label=label)


class TherapistCommon(Body):
    """The fields the public profile and the therapist's own profile share (locations differ: see each)."""

    therapist_id: str
    name: str
    timezone: str
    session_types: list[SessionTypeBody]
    free_initial_consultation: bool
    accepting_bookings: bool

    @staticmethod
    def common_fields(therapist: Therapist) -> dict[str, Any]:
        profile = therapist.profile
        assert profile is not None
        return {
            "therapist_id": therapist.therapist_id,
            "name": profile.name,
            "timezone": profile.timezone,
            "session_types": [
                SessionTypeBody(type=t.type, duration_minutes=t.duration_minutes, price=MoneyBody.of(t.price))
                for t in profile.session_types
            ],
            "free_initial_consultation": profile.free_initial_consultation,
            "accepting_bookings": therapist.accepts_bookings,
        }


class TherapistPublicProfile(TherapistCommon):
    """What any signed-in user sees: no contact details, no joining links, nothing of the therapist's standing."""

    locations: list[PublicLocationBody]

    @classmethod
    def of(cls, therapist: Therapist) -> TherapistPublicProfile:
        profile = therapist.profile
        assert profile is not None
        return cls(
            **cls.common_fields(therapist),
            locations=[PublicLocationBody.of(loc) for loc in profile.locations],
        )
