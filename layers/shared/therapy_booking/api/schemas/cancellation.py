"""What cancelling a session now would give (GET /sessions/{id}/cancellation-terms), shown before the caller
confirms POST /sessions/{id}/cancel."""

from __future__ import annotations

from pydantic import Field

from therapy_booking.api.schemas.fields import Body, MoneyBody, UtcInstant
from therapy_booking.domain.lifecycle import CancellationTerms, Party


class CancellationTermsResponse(Body):
    session_id: str
    cancelled_by: Party = Field(description="The caller's role on the session: whom the cancellation would be by.")
    refund: MoneyBody = Field(description="What the client would get back.")
    therapist_payout: MoneyBody = Field(description="What the therapist would be paid.")
    platform_commission: MoneyBody = Field(description="What the platform would keep.")
    full_refund_until: UtcInstant | None = Field(
        description="For the client of a confirmed session: the session's start less the cancellation window, the "
        "last instant a cancellation is refunded in full (it may have passed). Null when the refund is full "
        "whatever the time (the therapist cancels, or the session is still pending)."
    )
    now: UtcInstant = Field(
        description="The instant these terms hold at: a cancellation sent later is settled at its own time."
    )

    @classmethod
    def of(cls, terms: CancellationTerms) -> CancellationTermsResponse:
        settlement = terms.settlement
        return cls(
            session_id=terms.session.session_id,
            cancelled_by=terms.cancelled_by,
            refund=MoneyBody.of(settlement.refund),
            therapist_payout=MoneyBody.of(settlement.therapist_payout),
            platform_commission=MoneyBody.of(settlement.platform_commission),
            full_refund_until=terms.full_refund_until,
            now=terms.now,
        )
