"""A client's answers: POST /sessions/{id}/offers/accept (the location change's answers have no body)."""

from __future__ import annotations

from pydantic import Field

from therapy_booking.api.schemas.fields import Body, Identifier


class AcceptOfferRequest(Body):
    alternative_id: Identifier = Field(description="The alternative_id of one of the offer's alternatives.")
