"""A therapist's rearrangements: POST /sessions/{id}/reschedule, /location-change and /offers."""

from __future__ import annotations

from pydantic import Field

from therapy_booking.api.schemas.fields import Body, Identifier, Instant
from therapy_booking.domain.model import RearrangeReason


class RescheduleRequest(Body):
    start: Instant = Field(
        examples=["2026-12-03T14:00:00Z"], description="The new start; the session keeps its length."
    )
    reason: RearrangeReason = Field(
        description=(
            "client_requested or error_correction. A move for the therapist's own reasons "
            "(therapist_unavailable) is refused with 422: offer alternative times instead."
        )
    )


class LocationChangeRequest(Body):
    location_id: Identifier = Field(description="One of the therapist's locations.")
    reason: RearrangeReason = Field(
        description=(
            "client_requested or error_correction: changed at once (confirmed). "
            "therapist_unavailable: the client is asked to agree within 24 hours (awaiting_client)."
        )
    )


class AlternativeRequest(Body):
    start: Instant = Field(
        examples=["2026-12-03T10:00:00Z"], description="One of the therapist's free bookable starts."
    )


class OffersRequest(Body):
    alternatives: list[AlternativeRequest] = Field(
        min_length=1, max_length=5, description="1 to 5 alternative times, held for the client for 24 hours."
    )
