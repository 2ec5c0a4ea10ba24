"""A client's personal data: GET /clients/me/export (DELETE /clients/me answers 204, no body)."""

from __future__ import annotations

from pydantic import Field

from therapy_booking.api.schemas.assessment import AssessmentResponse
from therapy_booking.api.schemas.fields import Body, UtcInstant
from therapy_booking.api.schemas.profiles import ClientProfileResponse
from therapy_booking.api.schemas.reservations import ReservationResponse
from therapy_booking.api.schemas.sessions import SessionResponse
from therapy_booking.domain.personal_data import ClientData


class ClientDataExport(Body):
    client_id: str
    exported_at: UtcInstant
    profile: ClientProfileResponse | None = Field(description="As GET /clients/me answers it; null without one.")
    assessment: AssessmentResponse | None = Field(
        description="As GET /clients/me/assessment answers it (without the crisis guidance); null without one."
    )
    sessions: list[SessionResponse] = Field(
        description="Every session of the client, by start, as GET /sessions/{id} answers it to them."
    )
    reservations: list[ReservationResponse] = Field(description="As GET /clients/me/reservations lists them.")

    @classmethod
    def of(cls, data: ClientData) -> ClientDataExport:
        return cls(
            client_id=data.client_id,
            exported_at=data.exported_at,
            profile=ClientProfileResponse.of(data.profile) if data.profile is not None else None,
            assessment=AssessmentResponse.of(data.assessment) if data.assessment is not None else None,
            sessions=[SessionResponse.of(session) for session in data.sessions],
            reservations=[ReservationResponse.of(reservation) for reservation in data.reservations],
        )
