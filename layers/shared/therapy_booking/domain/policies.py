"""Platform settings as the domain sees them, and the money rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from therapy_booking.domain.business_hours import WorkingHours
from therapy_booking.domain.model import Money, OfferExpiryPolicy, Role, Session, SessionStatus


@dataclass(frozen=True)
class RankingPolicy:
    """How the listing's order weighs the three measures (docs/ranking.md explains them to therapists).

    Each measure gives a factor between 0 and 1; the rank score is their weighted sum (the weights sum to 1).
    A newcomer's measures start at a neutral prior worth `prior_weight` answers (or sessions), so a few
    quick answers move the score a little and many move it a lot.
    """

    response_weight: Decimal = Decimal("0.5")
    cancellation_weight: Decimal = Decimal("0.3")
    rearrangement_weight: Decimal = Decimal("0.2")
    prior_weight: int = 10  # answers (and sessions) the neutral prior counts as
    prior_speed: Decimal = Decimal("0.5")  # a newcomer counts as answering right at the allowance
    prior_rearrangement_rate: Decimal = Decimal("0.1")  # ... and as rearranging one session in ten

    def __post_init__(self) -> None:
        weights = (self.response_weight, self.cancellation_weight, self.rearrangement_weight)
        if any(weight < 0 for weight in weights) or sum(weights) != 1:
            raise ValueError("The ranking weights must not be negative and must add up to 1.")
        if self.prior_weight < 1:
            raise ValueError("The ranking's prior must count as at least one answer.")


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
    # Business hours, on the therapist's wall clock (frozen values, so one default instance is shared safely).
    working_hours: WorkingHours = WorkingHours()  # noqa: RUF009
    default_country: str = "GB"  # whose public holidays a therapist keeps unless their profile names a country
    response_sla_business_hours: int = 4  # the allowance for a therapist's first answer to a booking
    response_reminder_business_hours_before: int = 1  # the reminder goes out this long before that deadline
    ranking: RankingPolicy = RankingPolicy()

    def __post_init__(self) -> None:
        if not 0 < self.streak_flag_at < self.streak_deactivate_at:
            raise ValueError("A streak flags a therapist before it deactivates them (0 < flag < deactivate).")
        if not 0 <= self.response_reminder_business_hours_before < self.response_sla_business_hours:
            raise ValueError("The response reminder goes out within the allowance (0 <= before < allowance).")

    @property
    def response_sla_minutes(self) -> int:
        return self.response_sla_business_hours * 60


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


def full_refund_until(session: Session, cancelled_by: Role, policy: PlatformPolicy) -> datetime | None:
    """The last instant at which a cancellation by `cancelled_by` is still refunded in full: for the client of a
    confirmed session, its start less the cancellation window; None when the refund is full whatever the time
    (the therapist cancels, or the session was still pending)."""
    if cancelled_by is not Role.CLIENT or session.status is not SessionStatus.CONFIRMED:
        return None
    return session.start - timedelta(hours=policy.cancellation_window_hours)


def settle_cancellation(session: Session, cancelled_by: Role, now: datetime, policy: PlatformPolicy) -> Settlement:
    """Who gets what when a future session is cancelled.

    Full refund when the therapist cancels, when the session was still pending,
    or when the client cancels at least the window ahead of the start (until `full_refund_until`).
    Otherwise the therapist is paid the fee less the platform commission.
    """
    deadline = full_refund_until(session, cancelled_by, policy)
    if deadline is None or now <= deadline:
        return full_refund(session.price)
    return paid_out(session.price, policy)
