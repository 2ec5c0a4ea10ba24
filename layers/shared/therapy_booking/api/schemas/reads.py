"""The read routes' pages: GET /therapists, /therapists/{id}/slots and /sessions."""

from __future__ import annotations

from therapy_booking.api.schemas.fields import Body, UtcInstant
from therapy_booking.api.schemas.sessions import SessionResponse
from therapy_booking.api.schemas.therapists import TherapistPublicProfile


class TherapistPage(Body):
    items: list[TherapistPublicProfile]
    next_cursor: str | None


class Slot(Body):
    start: UtcInstant
    end: UtcInstant


class SlotList(Body):
    items: list[Slot]


class SessionPage(Body):
    items: list[SessionResponse]
    next_cursor: str | None
