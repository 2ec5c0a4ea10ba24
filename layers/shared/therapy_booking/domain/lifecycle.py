"""The session state machine: each transition checks who may do it and from which
state, and returns the `SessionChange` to commit. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, TypedDict

from therapy_booking.domain.changes import (
    Claim,
    ClaimKind,
    FreeConsultationMark,
    SessionChange,
    StreakChange,
    claims_over,
)
from therapy_booking.domain.errors import Forbidden, InvalidTransition, SessionInPast
from therapy_booking.domain.events import (
    EventHeader,
    SessionBooked,
    SessionCancelled,
    SessionConfirmed,
    SessionDeclined,
)
from therapy_booking.domain.model import Actor, Money, Role, Session, SessionStatus, Therapist
from therapy_booking.domain.policies import (
    PlatformPolicy,
    Settlement,
    full_refund,
    full_refund_until,
    settle_cancellation,
)

PAST_SESSION_DETAIL = (
    "This session's start time has passed, so it can no longer be changed here; please contact the team to update it."
)
ENDED_SESSION_DETAIL = (
    "This session has taken place, so it can no longer be changed here; please contact the team to update it."
)


@dataclass(frozen=True)
class Transition:
    """Context shared by every transition: who acts, when, under which rules."""

    actor: Actor
    now: datetime
    policy: PlatformPolicy

    def role_on(self, session: Session) -> Role:
        if self.actor.has(Role.SYSTEM):
            return Role.SYSTEM
        if session.is_therapist(self.actor):
            return Role.THERAPIST
        if session.is_client(self.actor):
            return Role.CLIENT
        return Role.ADMIN

    def header(self, session: Session) -> EventHeader:
        """What the event of this transition says about itself: `session` is the session it leaves."""
        return EventHeader(
            session_id=session.session_id,
            session_version=session.version,
            occurred_at=self.now,
            actor_role=self.role_on(session),
            actor_id=self.actor.user_id,
        )


def session_claims(session: Session, unit_minutes: int) -> tuple[Claim, ...]:
    return claims_over(
        session.therapist_id, ClaimKind.SESSION, session.session_id, session.start, session.end, unit_minutes
    )


def free_consultation(session: Session) -> FreeConsultationMark | None:
    if not session.initial_consultation:
        return None
    return FreeConsultationMark(session.client_id, session.therapist_id, session.session_id)


def book(session: Session, ctx: Transition) -> SessionChange:
    """A client's new booking, already validated against the therapist's offer."""
    return SessionChange(
        session=session,
        expected_version=None,
        event=SessionBooked(**ctx.header(session)),
        claims_added=session_claims(session, ctx.policy.calendar_unit_minutes),
        free_consultation_taken=free_consultation(session),
        therapist_must_accept_bookings=True,
        records_client_relationship=True,
    )


def require(condition: bool, error: Exception) -> None:
    if not condition:
        raise error


def refuse_if_taken_place(session: Session) -> None:
    """The one rule for a session that has ended: its therapist and client change or cancel nothing any more
    (409 session_in_past, the team fixes it), whatever they ask. Every therapist and client transition calls
    this once it knows the caller is a party, before it looks at the status; the team's changes do not.
    A declined or cancelled session did not take place: those answer invalid_transition, as before."""
    require(session.status is not SessionStatus.COMPLETED, SessionInPast(ENDED_SESSION_DETAIL))


def advance(changed: Session, ctx: Transition) -> Session:
    """`changed` (the session with this transition's changes, made with `dataclasses.replace`, which
    the type checker checks field by field) as the session's next version, changed now."""
    return replace(changed, version=changed.version + 1, updated_at=ctx.now)


class SettledFields(TypedDict):
    """A session's money fields once it is settled."""

    refund: Money | None
    therapist_payout: Money | None
    platform_commission: Money | None


def settled(settlement: Settlement) -> SettledFields:
    return SettledFields(
        refund=settlement.refund,
        therapist_payout=settlement.therapist_payout,
        platform_commission=settlement.platform_commission,
    )


def confirm(session: Session, ctx: Transition) -> SessionChange:
    require(session.is_therapist(ctx.actor), Forbidden("Only the session's therapist can confirm it."))
    refuse_if_taken_place(session)
    require(
        session.status is SessionStatus.PENDING,
        InvalidTransition(f"A {session.status} session cannot be confirmed; only pending ones can."),
    )
    require(not session.has_started(ctx.now), SessionInPast(PAST_SESSION_DETAIL))
    confirmed = advance(replace(session, status=SessionStatus.CONFIRMED), ctx)
    return SessionChange(
        session=confirmed,
        expected_version=session.version,
        event=SessionConfirmed(**ctx.header(confirmed)),
    )


def decline(session: Session, ctx: Transition, reason: str | None) -> SessionChange:
    """Declining a pending booking releases its time and refunds it in full.

    A pending booking whose start has passed can still be declined, so that the
    client is refunded rather than left waiting.
    """
    require(session.is_therapist(ctx.actor), Forbidden("Only the session's therapist can decline it."))
    refuse_if_taken_place(session)
    require(
        session.status is SessionStatus.PENDING,
        InvalidTransition(f"A {session.status} session cannot be declined; only pending ones can."),
    )
    declined = advance(
        replace(session, status=SessionStatus.DECLINED, decline_reason=reason, **settled(full_refund(session.price))),
        ctx,
    )
    return SessionChange(
        session=declined,
        expected_version=session.version,
        event=SessionDeclined(**ctx.header(declined)),
        claims_released=session_claims(session, ctx.policy.calendar_unit_minutes),
        free_consultation_released=free_consultation(session),
    )


Party = Literal[Role.CLIENT, Role.THERAPIST]
"""Who a cancellation through the API is by (the team's and the system's go other ways)."""


@dataclass(frozen=True)
class CancellationTerms:
    """What cancelling the session now, by the caller, gives: who it is by, the settlement, and until when a
    client's cancellation is refunded in full (None when the refund is full whatever the time)."""

    session: Session
    cancelled_by: Party
    settlement: Settlement
    full_refund_until: datetime | None
    now: datetime
    streak: StreakOutlook | None = None  # the therapist's, when they cancel and their record was read


@dataclass(frozen=True)
class StreakOutlook:
    """What one more cancellation would do to a therapist's cancellation streak: its length after, and whether it
    would then flag them (ranked lower) or deactivate the account (hidden, refusing bookings)."""

    streak_after: int
    flags: bool
    deactivates: bool

    @classmethod
    def of(cls, therapist: Therapist, policy: PlatformPolicy) -> StreakOutlook:
        after = replace(therapist, cancellation_streak=therapist.cancellation_streak + 1)
        return cls(
            streak_after=after.cancellation_streak,
            flags=after.flagged(policy.streak_flag_at),
            deactivates=StreakChange.counted(therapist.cancellation_streak, policy.streak_deactivate_at).deactivates,
        )


def cancellation_terms(session: Session, ctx: Transition, therapist: Therapist | None = None) -> CancellationTerms:
    """The checks of a cancellation by the caller, and what it would settle now: `cancel` applies these terms,
    GET /sessions/{id}/cancellation-terms shows them, so both refuse exactly alike (403, 409).

    The session's client may cancel it pending or confirmed, its therapist confirmed (a pending booking is
    declined); neither once its start has passed or it has taken place. With the therapist's record (their own
    cancellation), the terms say what it would do to their cancellation streak."""
    by: Party
    if session.is_client(ctx.actor):
        by = Role.CLIENT
        cancellable = session.status in (SessionStatus.PENDING, SessionStatus.CONFIRMED)
        refusal = f"A {session.status} session cannot be cancelled."
    elif session.is_therapist(ctx.actor):
        by = Role.THERAPIST
        cancellable = session.status is SessionStatus.CONFIRMED
        refusal = (
            "A pending booking is declined, not cancelled."
            if session.status is SessionStatus.PENDING
            else f"A {session.status} session cannot be cancelled."
        )
    else:
        raise Forbidden("Only the session's client or therapist can cancel it.")
    refuse_if_taken_place(session)
    require(cancellable, InvalidTransition(refusal))
    require(not session.has_started(ctx.now), SessionInPast(PAST_SESSION_DETAIL))
    return CancellationTerms(
        session=session,
        cancelled_by=by,
        settlement=settle_cancellation(session, by, ctx.now, ctx.policy),
        full_refund_until=full_refund_until(session, by, ctx.policy),
        now=ctx.now,
        streak=StreakOutlook.of(therapist, ctx.policy) if by is Role.THERAPIST and therapist is not None else None,
    )


def cancel(session: Session, ctx: Transition, reason: str | None, therapist_streak: int = 0) -> SessionChange:
    """Cancellation by the session's client (pending or confirmed) or therapist (confirmed), on the terms
    `cancellation_terms` gives.

    The therapist's cancellation adds one to their cancellation streak in the same write
    (`therapist_streak` is the streak as read with the session; the write checks it is still on the same
    side of the deactivation threshold). A decline is not a cancellation and does not count.
    """
    terms = cancellation_terms(session, ctx)
    by, settlement = terms.cancelled_by, terms.settlement
    cancelled = advance(
        replace(
            session,
            status=SessionStatus.CANCELLED,
            cancelled_by=by,
            cancellation_reason=reason,
            **settled(settlement),
        ),
        ctx,
    )
    return SessionChange(
        session=cancelled,
        expected_version=session.version,
        event=SessionCancelled(
            **ctx.header(cancelled),
            cancelled_by=by,
            was_confirmed=session.standing_status is SessionStatus.CONFIRMED,
        ),
        claims_released=session_claims(session, ctx.policy.calendar_unit_minutes),
        free_consultation_released=free_consultation(session),
        cancellation_streak=(
            StreakChange.counted(therapist_streak, ctx.policy.streak_deactivate_at) if by is Role.THERAPIST else None
        ),
    )
