"""Domain-level people, a therapist's offer and a booking request, for unit and adapter tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

from therapy_booking.domain.model import (
    Actor,
    Availability,
    Location,
    LocationKind,
    Money,
    Role,
    SessionType,
    SessionTypeOffer,
    TherapistProfile,
    Weekday,
    WeeklyWindow,
)
from therapy_booking.domain.services import BookingRequest

THERAPIST = Actor("t1", frozenset({Role.THERAPIST}))
CLIENT = Actor("c1", frozenset({Role.CLIENT}))
OTHER_CLIENT = Actor("c2", frozenset({Role.CLIENT}))
ADMIN = Actor("a1", frozenset({Role.ADMIN}))
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday
WEDNESDAY_10 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)

PROFILE = TherapistProfile(
    name="Dr T",
    email="t@example.com",
    phone=None,
    sms_opt_in=False,
    timezone="Europe/London",
    locations=(Location("room", LocationKind.IN_PERSON, address="1 Street"),),
    session_types=(
        SessionTypeOffer(SessionType.INDIVIDUAL, 50, Money(6000, "GBP")),
        SessionTypeOffer(SessionType.COUPLE, 80, Money(9000, "GBP")),
    ),
    free_initial_consultation=True,
    visible=True,
)
AVAILABILITY = Availability(
    weekly=tuple(WeeklyWindow(d, time(9), time(17)) for d in (Weekday.MON, Weekday.TUE, Weekday.WED)),
    min_notice_hours=24,
    horizon_days=30,
)


def request(start: datetime = WEDNESDAY_10, **changes: object) -> BookingRequest:
    base = BookingRequest("t1", start, SessionType.INDIVIDUAL, "room", ("Sam",))
    return replace(base, **changes)  # type: ignore[arg-type]
