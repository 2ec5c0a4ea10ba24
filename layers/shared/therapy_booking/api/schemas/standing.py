"""A therapist's standing (API.md, "Standing and ranking"): GET /therapists/me/standing, the team's
GET /admin/therapists/{id}/standing and the answer of POST /admin/therapists/{id}/reactivate."""

from __future__ import annotations

from pydantic import Field

from therapy_booking.api.schemas.fields import Body
from therapy_booking.domain.standing import Standing


class ResponseTimeResponse(Body):
    median_business_minutes: float | None = Field(
        description="Median business minutes from a booking to your first answer, over your recent answers; "
        "null before your first answer."
    )
    samples: int = Field(description="First answers measured so far (since response times are measured).")
    within_sla_ratio: float | None = Field(
        description="Share of those answers given within the allowance; null before your first answer."
    )


class RearrangementsResponse(Body):
    own_reason: int = Field(description="Rearrangements for your own reasons: offers, location changes you asked for.")
    total_sessions: int = Field(description="Sessions you have answered (the rate is taken over these).")
    rate: float = Field(
        description="Own-reason rearrangements per answered session: own_reason / total_sessions, over at least one."
    )


class RankFactorsResponse(Body):
    response_time: float = Field(description="The response-time factor times its weight.")
    cancellations: float = Field(description="The cancellation factor times its weight.")
    rearrangements: float = Field(description="The rearrangement factor times its weight.")


class StandingResponse(Body):
    """How a therapist stands: the three measures, the flag, and the rank score with each factor's part."""

    therapist_id: str
    response_time: ResponseTimeResponse
    response_sla_business_hours: int = Field(description="The allowance for a first answer, in business hours.")
    cancellation_streak: int = Field(description="Cancellations by the therapist since a session last went ahead.")
    flagged: bool = Field(description="The streak has reached the flag (3 by default): ranked lower.")
    deactivated: bool = Field(description="Hidden from the listing and refusing bookings (a streak of 5 by default).")
    rearrangements: RearrangementsResponse
    rank_score: float = Field(description="Higher ranks first; the sum of rank_factors (docs/ranking.md).")
    rank_factors: RankFactorsResponse

    @classmethod
    def of(cls, standing: Standing) -> StandingResponse:
        response, rearranged, factors = standing.response_time, standing.rearrangements, standing.rank_factors
        median, ratio = response.median_business_minutes, response.within_sla_ratio
        return cls(
            therapist_id=standing.therapist_id,
            response_time=ResponseTimeResponse(
                median_business_minutes=None if median is None else float(median),
                samples=response.samples,
                within_sla_ratio=None if ratio is None else round(float(ratio), 4),
            ),
            response_sla_business_hours=standing.response_sla_business_hours,
            cancellation_streak=standing.cancellation_streak,
            flagged=standing.flagged,
            deactivated=standing.deactivated,
            rearrangements=RearrangementsResponse(
                own_reason=rearranged.own_reason,
                total_sessions=rearranged.total_sessions,
                rate=round(float(rearranged.rate), 4),
            ),
            rank_score=float(standing.rank_score),
            rank_factors=RankFactorsResponse(
                response_time=round(float(factors.response_time), 6),
                cancellations=round(float(factors.cancellations), 6),
                rearrangements=round(float(factors.rearrangements), 6),
            ),
        )
