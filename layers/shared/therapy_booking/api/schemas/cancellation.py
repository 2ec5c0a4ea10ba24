"""What cancelling a session now would give (GET /sessions/{id}/cancellation-terms), shown before the caller
confirms POST /sessions/{id}/cancel."""

from __future__ import annotations

from pydantic import Field

from therapy_booking.api.schemas.fields import Body, MoneyBody, UtcInstant
from therapy_booking.domain.lifecycle import CancellationTerms, Party, StreakOutlook


class StreakOutlookBody(Body):
    streak_after: int = Field(description="The therapist's cancellations in a row, counting this one.")
    flags: bool = Field(description="This cancellation would flag the therapist (ranked lower in the listing).")
    deactivates: bool = Field(
        description="This cancellation would deactivate the account (hidden, refusing bookings) until the team "
        "reactivates it."
    )

    @classmethod
    def of(cls, outlook: StreakOutlook) -> StreakOutlookBody:
        return cls(streak_after=outlook.streak_after, flags=outlook.flags, deactivates=outlook.deactivates)


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
    streak: StreakOutlookBody | None = Field(
        default=None,
        description="For the therapist: what this cancellation would do to their cancellation streak. Null for the "
        "client.",
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
            streak=StreakOutlookBody.of(terms.streak) if terms.streak is not None else None,
        )
