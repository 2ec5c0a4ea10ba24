"""POST /sessions: what a client sends to book."""

from __future__ import annotations

from pydantic import Field

from therapy_booking.api.schemas.fields import Body, Identifier, Instant, JsonBool, LongText, Text
from therapy_booking.domain.model import SessionType


class BookSessionRequest(Body):
    therapist_id: Identifier
    start: Instant = Field(examples=["2026-12-01T10:00:00Z"])
    session_type: SessionType
    location_id: Identifier
    attendees: list[Text] = Field(min_length=1, max_length=8)
    initial_consultation: JsonBool = False
    note: LongText | None = None
