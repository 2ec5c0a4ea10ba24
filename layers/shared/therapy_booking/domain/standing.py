"""A therapist's standing, and the rank score the listing orders by (docs/ranking.md says it in words).

Pure: a function of the counts on the therapist's record, so the standing a therapist reads and the
score the listing is ordered by (kept by the standing projection) are computed by the same code.

Three measures, each a factor between 0 and 1, weighted by `RankingPolicy` (weights add up to 1):

- Response time: the median business minutes of the recent first answers, as a speed (1 for an
  instant answer, 1/2 at the allowance, 0 at twice the allowance or slower), blended with a neutral
  prior (`prior_speed`) worth `prior_weight` answers: samples / (samples + prior_weight) of the
  weight is the therapist's own record. Two quick answers move a newcomer a little; two hundred
  decide.
- Cancellations: 1 with no therapist cancellation since a session last went ahead, falling in equal
  steps to 0 at the flag (a flagged or deactivated therapist gets 0).
- Rearrangements: 1 minus the share of their answered sessions they rearranged for their own reasons,
  with the same kind of prior (`prior_rearrangement_rate` worth `prior_weight` sessions).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from statistics import median

from therapy_booking.domain.model import RECENT_RESPONSES, Therapist
from therapy_booking.domain.policies import PlatformPolicy

SCORE_PLACES = Decimal("0.000001")  # scores are kept to six decimal places: the listing's key stores them so


def _fraction(numerator: Decimal, denominator: Decimal) -> Decimal:
    return min(Decimal(1), max(Decimal(0), numerator / denominator))


@dataclass(frozen=True)
class RankFactors:
    """Each measure's contribution to the rank score (its factor times its weight)."""

    response_time: Decimal
    cancellations: Decimal
    rearrangements: Decimal

    @property
    def score(self) -> Decimal:
        """Their sum: each contribution is kept to `SCORE_PLACES`, so the parts a therapist sees add up exactly."""
        return self.response_time + self.cancellations + self.rearrangements


def median_response_minutes(therapist: Therapist) -> Decimal | None:
    recent = therapist.responses.recent_minutes[-RECENT_RESPONSES:]
    return Decimal(str(median(recent))) if recent else None


def response_speed(therapist: Therapist, policy: PlatformPolicy) -> Decimal:
    """The response factor: the recent median as a speed, blended with the neutral prior by sample count."""
    ranking, samples = policy.ranking, therapist.responses.samples
    middle = median_response_minutes(therapist)
    observed = Decimal(0) if middle is None else 1 - _fraction(middle, Decimal(2 * policy.response_sla_minutes))
    return (samples * observed + ranking.prior_weight * ranking.prior_speed) / (samples + ranking.prior_weight)


def reliability(therapist: Therapist, policy: PlatformPolicy) -> Decimal:
    """The cancellation factor: 1 without a streak, 0 once flagged (or deactivated)."""
    if therapist.deactivated:
        return Decimal(0)
    return 1 - _fraction(Decimal(therapist.cancellation_streak), Decimal(policy.streak_flag_at))


def sessions_answered(therapist: Therapist) -> int:
    """The sessions a rearrangement rate is taken over: those they answered (a booking is rearranged only once
    answered; counting at booking would make concurrent bookings of one therapist conflict, see decisions.md)."""
    return therapist.responses.samples


def rearrangement_rate(therapist: Therapist) -> Decimal:
    """Own-reason rearrangements per answered session, over at least one session: above 1 when sessions are
    rearranged more than once (or, for records older than the measure, when rearrangements predate it)."""
    return Decimal(therapist.own_rearrangements) / max(sessions_answered(therapist), 1)


def steadiness(therapist: Therapist, policy: PlatformPolicy) -> Decimal:
    """The rearrangement factor: 1 minus the own-reason rearrangement rate, blended with the prior rate."""
    ranking = policy.ranking
    own = therapist.own_rearrangements + ranking.prior_weight * ranking.prior_rearrangement_rate
    return 1 - _fraction(own, Decimal(sessions_answered(therapist) + ranking.prior_weight))


def rank(therapist: Therapist, policy: PlatformPolicy) -> RankFactors:
    ranking = policy.ranking
    return RankFactors(
        response_time=(ranking.response_weight * response_speed(therapist, policy)).quantize(SCORE_PLACES),
        cancellations=(ranking.cancellation_weight * reliability(therapist, policy)).quantize(SCORE_PLACES),
        rearrangements=(ranking.rearrangement_weight * steadiness(therapist, policy)).quantize(SCORE_PLACES),
    )


@dataclass(frozen=True)
class ResponseTime:
    median_business_minutes: Decimal | None  # None before the first answer
    samples: int
    within_sla_ratio: Decimal | None  # None before the first answer


@dataclass(frozen=True)
class Rearrangements:
    own_reason: int
    total_sessions: int
    rate: Decimal  # own_reason / max(total_sessions, 1)


@dataclass(frozen=True)
class Standing:
    """What the API's standing says (API.md, "Standing and ranking")."""

    therapist_id: str
    response_time: ResponseTime
    response_sla_business_hours: int
    cancellation_streak: int
    flagged: bool
    deactivated: bool
    rearrangements: Rearrangements
    rank_score: Decimal
    rank_factors: RankFactors

    @classmethod
    def of(cls, therapist: Therapist, policy: PlatformPolicy) -> Standing:
        responses, total = therapist.responses, sessions_answered(therapist)
        factors = rank(therapist, policy)
        return cls(
            therapist_id=therapist.therapist_id,
            response_time=ResponseTime(
                median_business_minutes=median_response_minutes(therapist),
                samples=responses.samples,
                within_sla_ratio=Decimal(responses.within_sla) / responses.samples if responses.samples else None,
            ),
            response_sla_business_hours=policy.response_sla_business_hours,
            cancellation_streak=therapist.cancellation_streak,
            flagged=therapist.flagged(policy.streak_flag_at),
            deactivated=therapist.deactivated,
            rearrangements=Rearrangements(
                own_reason=therapist.own_rearrangements,
                total_sessions=total,
                rate=rearrangement_rate(therapist),
            ),
            rank_score=factors.score,
            rank_factors=factors,
        )


@dataclass(frozen=True)
class RankUpdate:
    """What the standing projection writes after a change of a therapist's record: the score (and listing
    key) computed from the record as the change left it, and the recent answers trimmed to the newest
    `RECENT_RESPONSES` once there are more. The write is conditional on the record being unchanged since."""

    therapist: Therapist
    score: Decimal
    recent_minutes: tuple[int, ...] | None  # None: the list is short enough and stays as it is


def rank_update(therapist: Therapist, stored_score: Decimal | None, policy: PlatformPolicy) -> RankUpdate | None:
    """The projection's write for the record `therapist`, or None when its stored score is already right."""
    score = rank(therapist, policy).score
    recent = therapist.responses.recent_minutes
    trimmed = recent[-RECENT_RESPONSES:] if len(recent) > RECENT_RESPONSES else None
    if stored_score == score and trimmed is None:
        return None
    return RankUpdate(therapist, score, trimmed)


class StandingNotice(StrEnum):
    """What a therapist is told when their cancellation streak crosses a threshold (by email)."""

    FLAGGED = "therapist.flagged"
    DEACTIVATED = "therapist.deactivated"


def standing_notice(before: Therapist | None, after: Therapist, policy: PlatformPolicy) -> StandingNotice | None:
    """The notice a change of a therapist's record from `before` to `after` calls for, if any: deactivation when
    it deactivated the account, else the flag when it raised the streak to the flag."""
    if after.deactivated and not (before is not None and before.deactivated):
        return StandingNotice.DEACTIVATED
    flag_at = policy.streak_flag_at
    if after.flagged(flag_at) and not (before is not None and before.flagged(flag_at)) and not after.deactivated:
        return StandingNotice.FLAGGED
    return None
