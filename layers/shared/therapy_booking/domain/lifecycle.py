"""The session state machine: each transition checks who may do it and from which
state, and returns the `SessionChange` to commit. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from therapy_booking.domain.calendar import claim_units
from therapy_booking.domain.changes import Claim, ClaimKind, FreeConsultationMark, SessionChange
from therapy_booking.domain.errors import Forbidden, InvalidTransition, SessionInPast
from therapy_booking.domain.events import DomainEvent, EventType
from therapy_booking.domain.model import Actor, Role, Session, SessionStatus
from therapy_booking.domain.policies import PlatformPolicy, Settlement, full_refund, settle_cancellation

PAST_SESSION_DETAIL = (
    "This session's start time has passed, so it can no longer be changed here; please contact the team to update it."
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

    def event(self, session: Session, event_type: EventType, **data: str | int | bool | None) -> DomainEvent:
        return DomainEvent(
            event_type=event_type,
            session_id=session.session_id,
            session_version=session.version,
            occurred_at=self.now,
            actor_role=self.role_on(session),
            actor_id=self.actor.user_id,
            data={"status": session.status, **data},
        )


def session_claims(session: Session, unit_minutes: int) -> tuple[Claim, ...]:
    return tuple(
        Claim(session.therapist_id, unit, ClaimKind.SESSION, session.session_id)
        for unit in claim_units(session.start, session.end, unit_minutes)
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
        event=ctx.event(session, EventType.SESSION_BOOKED, start=session.start.isoformat()),
        claims_added=session_claims(session, ctx.policy.calendar_unit_minutes),
        free_consultation_taken=free_consultation(session),
        therapist_must_accept_bookings=True,
    )


def require(condition: bool, error: Exception) -> None:
    if not condition:
        raise error


def advance(session: Session, ctx: Transition, **changes: object) -> Session:
    return replace(session, version=session.version + 1, updated_at=ctx.now, **changes)  # type: ignore[arg-type]


def settled(session: Session, settlement: Settlement) -> dict[str, object]:
    return {
        "refund": settlement.refund,
        "therapist_payout": settlement.therapist_payout,
        "platform_commission": settlement.platform_commission,
    }


def confirm(session: Session, ctx: Transition) -> SessionChange:
    require(session.is_therapist(ctx.actor), Forbidden("Only the session's therapist can confirm it."))
    require(
        session.status is SessionStatus.PENDING,
        InvalidTransition(f"A {session.status} session cannot be confirmed; only pending ones can."),
    )
    require(not session.has_started(ctx.now), SessionInPast(PAST_SESSION_DETAIL))
    confirmed = advance(session, ctx, status=SessionStatus.CONFIRMED)
    return SessionChange(
        session=confirmed,
        expected_version=session.version,
        event=ctx.event(confirmed, EventType.SESSION_CONFIRMED),
    )


def decline(session: Session, ctx: Transition, reason: str | None) -> SessionChange:
    """Declining a pending booking releases its time and refunds it in full.

    A pending booking whose start has passed can still be declined, so that the
    client is refunded rather than left waiting.
    """
    require(session.is_therapist(ctx.actor), Forbidden("Only the session's therapist can decline it."))
    require(
        session.status is SessionStatus.PENDING,
        InvalidTransition(f"A {session.status} session cannot be declined; only pending ones can."),
    )
    declined = advance(
        session,
        ctx,
        status=SessionStatus.DECLINED,
        decline_reason=reason,
        **settled(session, full_refund(session.price)),
    )
    return SessionChange(
        session=declined,
        expected_version=session.version,
        event=ctx.event(declined, EventType.SESSION_DECLINED),
        claims_released=session_claims(session, ctx.policy.calendar_unit_minutes),
        free_consultation_released=free_consultation(session),
    )


def cancel(session: Session, ctx: Transition, reason: str | None) -> SessionChange:
    """Cancellation by the session's client (pending or confirmed) or therapist (confirmed)."""
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
    require(cancellable, InvalidTransition(refusal))
    require(not session.has_started(ctx.now), SessionInPast(PAST_SESSION_DETAIL))
    settlement = settle_cancellation(session, by, ctx.now, ctx.policy)
    cancelled = advance(
        session,
        ctx,
        status=SessionStatus.CANCELLED,
        cancelled_by=by,
        cancellation_reason=reason,
        **settled(session, settlement),
    )
    return SessionChange(
        session=cancelled,
        expected_version=session.version,
        event=ctx.event(
            cancelled,
            EventType.SESSION_CANCELLED,
            cancelled_by=by,
            was_confirmed=session.standing_status is SessionStatus.CONFIRMED,
        ),
        claims_released=session_claims(session, ctx.policy.calendar_unit_minutes),
        free_consultation_released=free_consultation(session),
    )
