"""Ready-made people and data for handler and integration tests."""

from __future__ import annotations

from typing import Any

from tests.support.api import Api, Caller
from tests.support.http import Answer

THERAPIST = Caller("therapist-1", "therapist")
OTHER_THERAPIST = Caller("therapist-2", "therapist")
CLIENT = Caller("client-1", "client")
OTHER_CLIENT = Caller("client-2", "client")
ADMIN = Caller("admin-1", "admin")

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def therapist_profile(**overrides: Any) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "name": "Dr Ada Example",
        "email": "ada@example.com",
        "phone": "+447700900001",
        "sms_opt_in": True,
        "timezone": "Europe/London",
        "locations": [
            {"id": "harley-st", "kind": "in_person", "address": "1 Harley Street, London"},
            {"id": "video", "kind": "online", "link": "https://meet.example.com/ada"},
        ],
        "session_types": [
            {"type": "individual", "duration_minutes": 50, "price": {"amount": 6000, "currency": "GBP"}},
            {"type": "couple", "duration_minutes": 80, "price": {"amount": 9000, "currency": "GBP"}},
        ],
        "free_initial_consultation": True,
        "visible": True,
    }
    profile.update(overrides)
    return profile


def availability(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "weekly": [{"day": day, "start": "09:00", "end": "17:00"} for day in WEEKDAYS],
        "min_notice_hours": 24,
        "horizon_days": 60,
    }
    body.update(overrides)
    return body


def publish_therapist(api: Api, who: Caller = THERAPIST, **profile: Any) -> None:
    assert api.put("/therapists/me", who, therapist_profile(**profile)).status == 200
    assert api.put("/therapists/me/availability", who, availability()).status == 200


def booking(start: str = "2026-12-02T10:00:00Z", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "therapist_id": THERAPIST.sub,
        "start": start,
        "session_type": "individual",
        "location_id": "harley-st",
        "attendees": ["Sam Client"],
    }
    body.update(overrides)
    return body


def book(api: Api, who: Caller = CLIENT, **overrides: Any) -> Answer:
    return api.post("/sessions", who, booking(**overrides))
