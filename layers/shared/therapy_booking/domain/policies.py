"""Platform settings as the domain sees them, and the money rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from therapy_booking.domain.model import Money, OfferExpiryPolicy, Role, Session, SessionStatus


@dataclass(frozen=True)
class PlatformPolicy:
    cancellation_window_hours: int = 24
    commission_percent: Decimal = Decimal(10)
    currency: str = "GBP"
    calendar_unit_minutes: int = 15
    max_block_hours: int = 24
    max_slot_window_days: int = 62
    offer_expiry_policy: OfferExpiryPolicy = OfferExpiryPolicy.CANCEL_AND_REFUND
    answer_window_hours: int = 24
    max_alternatives: int = 5
    history_limit: int = 20  # entries kept on a session (the outbox events keep them all)
    streak_flag_at: int = 3  # therapist cancellations in a row that flag the therapist
    streak_deactivate_at: int = 5  # ... and that deactivate the account, in the cancellation's own transaction


@dataclass(frozen=True)
class Settlement:
    refund: Money
    therapist_payout: Money
    platform_commission: Money


def full_refund(price: Money) -> Settlement:
    return Settlement(refund=price, therapist_payout=price.zero(), platform_commission=price.zero())


def paid_out(price: Money, policy: PlatformPolicy) -> Settlement:
    """The therapist is paid the fee less the platform commission."""
    commission = int(
        (Decimal(price.amount) * policy.commission_percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    )
    return Settlement(
        refund=price.zero(),
        therapist_payout=Money(price.amount - commission, price.currency),
        platform_commission=Money(commission, price.currency),
    )


def settle_cancellation(session: Session, cancelled_by: Role, now: datetime, policy: PlatformPolicy) -> Settlement:
    """Who gets what when a future session is cancelled.

    Full refund when the therapist cancels, when the session was still pending,
    or when the client cancels at least the window ahead of the start. Otherwise
    the therapist is paid the fee less the platform commission.
    """
    window = timedelta(hours=policy.cancellation_window_hours)
    if (
        cancelled_by is not Role.CLIENT
        or session.status is not SessionStatus.CONFIRMED
        or session.start - now >= window
    ):
        return full_refund(session.price)
    return paid_out(session.price, policy)
