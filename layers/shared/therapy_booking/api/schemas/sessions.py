"""A session as the API answers it: what every route that changes or reads a session returns."""

from __future__ import annotations

from pydantic import Field

from therapy_booking.api.schemas.fields import Body, LocationBody, MoneyBody, UtcInstant
from therapy_booking.domain.model import HistoryEntry, Money, Offer, Role, Session, SessionStatus, SessionType


class AlternativeBody(Body):
    alternative_id: str
    start: UtcInstant
    end: UtcInstant


class OfferBody(Body):
    offer_id: str
    expires_at: UtcInstant = Field(description="The client's answer must arrive before this instant (410 after).")
    alternatives: list[AlternativeBody]

    @classmethod
    def of(cls, offer: Offer) -> OfferBody:
        return cls(
            offer_id=offer.offer_id,
            expires_at=offer.expires_at,
            alternatives=[
                AlternativeBody(alternative_id=a.alternative_id, start=a.start, end=a.end) for a in offer.alternatives
            ],
        )


class HistoryEntryBody(Body):
    at: UtcInstant
    action: str = Field(examples=["rescheduled", "alternatives_offered", "offer_accepted", "admin_rearranged"])
    actor_role: Role
    actor_id: str | None
    reason: str | None = None
    note: str | None = None

    @classmethod
    def of(cls, entry: HistoryEntry) -> HistoryEntryBody:
        return cls(
            at=entry.at,
            action=entry.action,
            actor_role=Role(entry.actor_role),
            actor_id=entry.actor_id,
            reason=entry.reason,
            note=entry.note,
        )


class SessionResponse(Body):
    session_id: str
    therapist_id: str
    client_id: str
    status: SessionStatus
    session_type: SessionType
    attendees: list[str]
    location: LocationBody
    start: UtcInstant
    end: UtcInstant
    price: MoneyBody
    initial_consultation: bool
    note: str | None
    created_at: UtcInstant
    updated_at: UtcInstant
    version: int
    cancelled_by: Role | None = None
    cancellation_reason: str | None = None
    decline_reason: str | None = None
    refund: MoneyBody | None = None
    therapist_payout: MoneyBody | None = None
    platform_commission: MoneyBody | None = None
    offer: OfferBody | None = Field(default=None, description="The open offer of alternative times, if any.")
    pending_location: LocationBody | None = Field(
        default=None, description="The location the therapist asks to move to (status awaiting_client)."
    )
    change_expires_at: UtcInstant | None = Field(
        default=None, description="The client's answer to the location change must arrive before this instant."
    )
    response_due_at: UtcInstant | None = Field(
        default=None,
        description="The therapist's first answer to the booking is due by this instant (the allowance in their "
        "business hours); null for sessions booked before response times were measured.",
    )
    answered_at: UtcInstant | None = Field(default=None, description="When the therapist first answered the booking.")
    history: list[HistoryEntryBody] = Field(
        default_factory=list, description="The 20 latest rearrangements, oldest first: who asked, why, and when."
    )

    @classmethod
    def of(cls, session: Session) -> SessionResponse:
        def money(value: Money | None) -> MoneyBody | None:
            return None if value is None else MoneyBody.of(value)

        change = session.location_change

        return cls(
            session_id=session.session_id,
            therapist_id=session.therapist_id,
            client_id=session.client_id,
            status=session.status,
            session_type=session.session_type,
            attendees=list(session.attendees),
            location=LocationBody.of(session.location),
            start=session.start,
            end=session.end,
            price=MoneyBody.of(session.price),
            initial_consultation=session.initial_consultation,
            note=session.note,
            created_at=session.created_at,
            updated_at=session.updated_at,
            version=session.version,
            cancelled_by=session.cancelled_by,
            cancellation_reason=session.cancellation_reason,
            decline_reason=session.decline_reason,
            refund=money(session.refund),
            therapist_payout=money(session.therapist_payout),
            platform_commission=money(session.platform_commission),
            offer=None if session.offer is None else OfferBody.of(session.offer),
            pending_location=None if change is None else LocationBody.of(change.location),
            change_expires_at=None if change is None else change.expires_at,
            response_due_at=session.response_due_at,
            answered_at=session.answered_at,
            history=[HistoryEntryBody.of(entry) for entry in session.history],
        )
