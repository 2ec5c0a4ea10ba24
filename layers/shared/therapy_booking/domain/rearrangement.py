"""How a booked session is changed: moves, location changes, offers of alternative times,
the client's answers, expiry, completion and the team's fixes. Pure, like `lifecycle`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import pairwise
from typing import TypedDict

from therapy_booking.domain import events
from therapy_booking.domain.calendar import claim_units, on_grid
from therapy_booking.domain.changes import Claim, ClaimKind, SessionChange, StreakChange, claims_over
from therapy_booking.domain.errors import (
    Forbidden,
    InvalidTransition,
    NotAnAvailableSlot,
    OfferAlreadyOpen,
    OfferExpired,
    SessionInPast,
    ValidationFailed,
)
from therapy_booking.domain.events import EventHeader, ExpiryOutcome, LeavesCalendar
from therapy_booking.domain.formats import in_words
from therapy_booking.domain.lifecycle import (
    PAST_SESSION_DETAIL,
    SettledFields,
    Transition,
    advance,
    free_consultation,
    refuse_if_taken_place,
    require,
    session_claims,
    settled,
)
from therapy_booking.domain.model import (
    ACTIVE_STATUSES,
    ADMIN_SETTABLE_STATUSES,
    Alternative,
    HistoryEntry,
    Location,
    LocationChange,
    Money,
    Offer,
    OfferExpiryPolicy,
    RearrangeReason,
    Role,
    Session,
    SessionStatus,
)
from therapy_booking.domain.policies import full_refund, paid_out

CHANGEABLE = (SessionStatus.PENDING, SessionStatus.CONFIRMED)
_GIVEN_UP = (SessionStatus.DECLINED, SessionStatus.CANCELLED)


def _claims(session: Session, start: datetime, end: datetime, kind: ClaimKind, unit: int) -> set[Claim]:
    return set(claims_over(session.therapist_id, kind, session.session_id, start, end, unit))


def _holds(session: Session, unit: int) -> set[Claim]:
    if session.offer is None:
        return set()
    return {
        claim
        for alternative in session.offer.alternatives
        for claim in _claims(session, alternative.start, alternative.end, ClaimKind.HOLD, unit)
    }


def occupied_units(session: Session, unit: int) -> set[datetime]:
    """The units the session's current state claims: its own time while active, and its holds."""
    own = set(claim_units(session.start, session.end, unit)) if session.status in ACTIVE_STATUSES else set()
    return own | {claim.unit_start for claim in _holds(session, unit)}


def units_to_give_back(session: Session, unit: int) -> tuple[datetime, ...]:
    """The pending releases the session may still give back: never a unit its current state claims."""
    return tuple(sorted(set(session.releases_pending) - occupied_units(session, unit)))


def _entry(
    ctx: Transition, session: Session, action: str, reason: str | None = None, note: str | None = None
) -> tuple[HistoryEntry, ...]:
    """The session's history with this change added, keeping the most recent entries only (the outbox
    events are the full audit trail)."""
    entry = HistoryEntry(ctx.now, action, ctx.role_on(session), ctx.actor.user_id, reason, note)
    return (*session.history, entry)[-ctx.policy.history_limit :]


def _deadline(ctx: Transition) -> datetime:
    """The answer window's end, on a whole second (as `at()` schedules are written)."""
    instant = ctx.now + timedelta(hours=ctx.policy.answer_window_hours)
    return instant.replace(microsecond=0) + (timedelta(seconds=1) if instant.microsecond else timedelta())


def ensure_therapist_can_change(session: Session, ctx: Transition, what: str) -> None:
    """The checks every therapist change shares: role, not taken place, no open offer, status, not started."""
    require(session.is_therapist(ctx.actor), Forbidden(f"Only the session's therapist can {what}."))
    refuse_if_taken_place(session)
    if session.status is SessionStatus.ALTERNATIVES_OFFERED:
        raise OfferAlreadyOpen("Alternative times are on offer; they cannot be changed until answered or expired.")
    require(
        session.status in CHANGEABLE,
        InvalidTransition(f"A {session.status} session cannot be changed; only pending or confirmed ones can."),
    )
    require(not session.has_started(ctx.now), SessionInPast(PAST_SESSION_DETAIL))


def reschedule(session: Session, ctx: Transition, start: datetime, reason: RearrangeReason) -> SessionChange:
    """Move at once (agreed with the client, or fixing a mistake); the session is then confirmed."""
    ensure_therapist_can_change(session, ctx, "reschedule it")
    if reason is RearrangeReason.THERAPIST_UNAVAILABLE:
        raise ValidationFailed(
            "A move for the therapist's own reasons needs the client's agreement: offer alternative times instead."
        )
    unit = ctx.policy.calendar_unit_minutes
    require(start > ctx.now, ValidationFailed("The new start must be in the future."))
    require(start != session.start, ValidationFailed("The session already starts at that time."))
    require(on_grid(start, unit), ValidationFailed(f"The new start must be on a {unit}-minute boundary."))
    end = start + (session.end - session.start)
    old = _claims(session, session.start, session.end, ClaimKind.SESSION, unit)
    new = _claims(session, start, end, ClaimKind.SESSION, unit)
    moved = advance(
        replace(
            session,
            status=SessionStatus.CONFIRMED,
            start=start,
            end=end,
            history=_entry(ctx, session, "rescheduled", reason),
        ),
        ctx,
    )
    return SessionChange(
        session=moved,
        expected_version=session.version,
        event=events.SessionRescheduled(**ctx.header(moved), reason=reason, previous_start=session.start),
        claims_added=tuple(sorted(new - old, key=lambda c: c.unit_start)),
        claims_released=tuple(sorted(old - new, key=lambda c: c.unit_start)),
    )


def change_location(
    session: Session, ctx: Transition, location: Location, reason: RearrangeReason, change_id: str
) -> SessionChange:
    ensure_therapist_can_change(session, ctx, "change its location")
    require(location != session.location, ValidationFailed("The session is already at that location."))
    if not reason.is_therapists_own:
        changed = advance(
            replace(
                session,
                status=SessionStatus.CONFIRMED,
                location=location,
                history=_entry(ctx, session, "location_changed", reason),
            ),
            ctx,
        )
        return SessionChange(
            session=changed,
            expected_version=session.version,
            event=events.LocationChanged(**ctx.header(changed), reason=reason),
        )
    change = LocationChange(change_id, location, _deadline(ctx), session.status)
    requested = advance(
        replace(
            session,
            status=SessionStatus.AWAITING_CLIENT,
            location_change=change,
            history=_entry(ctx, session, "location_change_requested", reason),
        ),
        ctx,
    )
    return SessionChange(
        session=requested,
        expected_version=session.version,
        event=events.LocationChangeRequested(
            **ctx.header(requested),
            change_id=change_id,
            expires_at=change.expires_at,
            if_unanswered=ctx.policy.offer_expiry_policy,
        ),
        counts_as_therapists_own_rearrangement=True,
    )


EXPIRED_ACTIONS = ("offer_expired", "location_change_expired")
_TOO_LATE = "The time to answer has passed."


def _client_answer(session: Session, ctx: Transition, status: SessionStatus, what: str) -> datetime:
    require(session.is_client(ctx.actor), Forbidden(f"Only the session's client can {what}."))
    refuse_if_taken_place(session)
    if session.status is not status and session.history and session.history[-1].action in EXPIRED_ACTIONS:
        raise OfferExpired(f"{_TOO_LATE} The change has expired.")
    require(session.status is status, InvalidTransition(f"There is nothing to {what} on a {session.status} session."))
    deadline = session.answer_deadline
    assert deadline is not None  # the status says a change is waiting for the client
    if ctx.now >= deadline:
        raise OfferExpired(_TOO_LATE)
    return deadline


def accept_location_change(session: Session, ctx: Transition) -> SessionChange:
    _client_answer(session, ctx, SessionStatus.AWAITING_CLIENT, "accept")
    change = session.location_change
    assert change is not None
    accepted = advance(
        replace(
            session,
            status=SessionStatus.CONFIRMED,
            location=change.location,
            location_change=None,
            history=_entry(ctx, session, "location_change_accepted"),
        ),
        ctx,
    )
    return SessionChange(
        session=accepted,
        expected_version=session.version,
        event=events.LocationChangeAccepted(**ctx.header(accepted), change_id=change.change_id),
    )


def _cancel_everything(
    session: Session,
    ctx: Transition,
    by: Role,
    reason: str,
    event: Callable[[EventHeader, str | None, Role, bool], LeavesCalendar],
    action: str,
) -> SessionChange:
    """Cancel, refund in full, release the session's time and any holds. `event` makes the event from
    its header, the change it closes, who cancelled and whether the session had been confirmed."""
    unit = ctx.policy.calendar_unit_minutes
    cancelled = advance(
        replace(
            session,
            status=SessionStatus.CANCELLED,
            cancelled_by=by,
            cancellation_reason=reason,
            offer=None,
            location_change=None,
            history=_entry(ctx, session, action),
            **settled(full_refund(session.price)),
        ),
        ctx,
    )
    return SessionChange(
        session=cancelled,
        expected_version=session.version,
        event=event(
            ctx.header(cancelled), session.open_change_id, by, session.standing_status is SessionStatus.CONFIRMED
        ),
        claims_released=tuple(sorted(set(session_claims(session, unit)) | _holds(session, unit), key=_order)),
        free_consultation_released=free_consultation(session),
    )


def _order(claim: Claim) -> tuple[datetime, str]:
    return claim.unit_start, claim.kind


def reject_location_change(session: Session, ctx: Transition) -> SessionChange:
    _client_answer(session, ctx, SessionStatus.AWAITING_CLIENT, "reject")
    return _cancel_everything(
        session,
        ctx,
        Role.CLIENT,
        "location_change_rejected",
        lambda header, change_id, by, was_confirmed: events.LocationChangeRejected(
            **header, change_id=change_id, cancelled_by=by, was_confirmed=was_confirmed
        ),
        "location_change_rejected",
    )


def offer_alternatives(
    session: Session,
    ctx: Transition,
    starts: Sequence[datetime],
    is_bookable: Callable[[datetime], bool],
    new_id: Callable[[], str],
) -> SessionChange:
    """Hold 1 to 5 alternative times (and the original) for the client to choose from within the answer window."""
    ensure_therapist_can_change(session, ctx, "offer alternative times")
    limit = ctx.policy.max_alternatives
    require(1 <= len(starts) <= limit, ValidationFailed(f"Offer between 1 and {limit} alternative times."))
    duration = session.end - session.start
    alternatives = tuple(Alternative(new_id(), s, s + duration) for s in sorted(starts))
    for earlier, later in pairwise(alternatives):
        require(earlier.end <= later.start, ValidationFailed("Alternative times must not overlap each other."))
    for alternative in alternatives:
        require(
            not (alternative.start < session.end and session.start < alternative.end),
            ValidationFailed("An alternative must not overlap the session's current time."),
        )
        require(
            is_bookable(alternative.start),
            NotAnAvailableSlot(alternative.start.isoformat()),
        )
    offer = Offer(new_id(), _deadline(ctx), alternatives, session.status)
    offered = advance(
        replace(
            session,
            status=SessionStatus.ALTERNATIVES_OFFERED,
            offer=offer,
            history=_entry(ctx, session, "alternatives_offered", RearrangeReason.THERAPIST_UNAVAILABLE),
        ),
        ctx,
    )
    holds = sorted(_holds(offered, ctx.policy.calendar_unit_minutes), key=_order)
    return SessionChange(
        session=offered,
        expected_version=session.version,
        event=events.AlternativesOffered(
            **ctx.header(offered),
            change_id=offer.offer_id,
            expires_at=offer.expires_at,
            if_unanswered=ctx.policy.offer_expiry_policy,
        ),
        claims_added=tuple(holds),
        counts_as_therapists_own_rearrangement=True,
    )


def accept_offer(session: Session, ctx: Transition, alternative_id: str) -> SessionChange:
    _client_answer(session, ctx, SessionStatus.ALTERNATIVES_OFFERED, "accept")
    offer = session.offer
    assert offer is not None
    chosen = offer.alternative(alternative_id)
    if chosen is None:
        raise ValidationFailed("alternative_id is not one of this offer's alternatives.")
    require(chosen.start > ctx.now, ValidationFailed("That alternative's start time has passed; choose another one."))
    unit = ctx.policy.calendar_unit_minutes
    kept = _claims(session, chosen.start, chosen.end, ClaimKind.SESSION, unit)
    kept_units = {c.unit_start for c in kept}
    released = {c for c in set(session_claims(session, unit)) | _holds(session, unit) if c.unit_start not in kept_units}
    accepted = advance(
        replace(
            session,
            status=SessionStatus.CONFIRMED,
            start=chosen.start,
            end=chosen.end,
            offer=None,
            history=_entry(ctx, session, "offer_accepted"),
        ),
        ctx,
    )
    return SessionChange(
        session=accepted,
        expected_version=session.version,
        event=events.OfferAccepted(**ctx.header(accepted), change_id=offer.offer_id, previous_start=session.start),
        claims_released=tuple(sorted(released, key=_order)),
        claims_converted=tuple(sorted(kept, key=_order)),
    )


def reject_offer(session: Session, ctx: Transition) -> SessionChange:
    _client_answer(session, ctx, SessionStatus.ALTERNATIVES_OFFERED, "reject")
    return _cancel_everything(
        session,
        ctx,
        Role.CLIENT,
        "alternatives_rejected",
        lambda header, change_id, by, was_confirmed: events.OfferRejected(
            **header, change_id=change_id, cancelled_by=by, was_confirmed=was_confirmed
        ),
        "offer_rejected",
    )


def expire(session: Session, ctx: Transition, change_id: str) -> SessionChange | None:
    """The client did not answer in time. None when there is nothing (left) to expire: idempotent."""
    deadline = session.answer_deadline
    if session.open_change_id != change_id or deadline is None or ctx.now < deadline:
        return None
    expired: type[events.OfferExpired | events.LocationChangeExpired] = (
        events.OfferExpired if session.status is SessionStatus.ALTERNATIVES_OFFERED else events.LocationChangeExpired
    )
    action = "offer_expired" if expired is events.OfferExpired else "location_change_expired"
    was_confirmed = session.standing_status is SessionStatus.CONFIRMED
    revert = ctx.policy.offer_expiry_policy is OfferExpiryPolicy.REVERT_TO_ORIGINAL
    if not revert or session.has_started(ctx.now):  # nothing to go back to once the original time has passed
        return _cancel_everything(
            session,
            ctx,
            Role.SYSTEM,
            action,
            lambda header, change_id, by, was_confirmed: expired(
                **header,
                change_id=change_id,
                cancelled_by=by,
                was_confirmed=was_confirmed,
                outcome=ExpiryOutcome.CANCELLED,
            ),
            action,
        )
    unit = ctx.policy.calendar_unit_minutes
    reverted = advance(
        replace(
            session,
            status=session.standing_status,
            offer=None,
            location_change=None,
            history=_entry(ctx, session, action, ExpiryOutcome.REVERTED),
        ),
        ctx,
    )
    return SessionChange(
        session=reverted,
        expected_version=session.version,
        event=expired(
            **ctx.header(reverted), change_id=change_id, was_confirmed=was_confirmed, outcome=ExpiryOutcome.REVERTED
        ),
        claims_released=tuple(sorted(_holds(session, unit), key=_order)),
    )


def complete(session: Session, ctx: Transition) -> SessionChange | None:
    """A confirmed session whose end has passed took place: the therapist is paid; its time is released."""
    if session.status is not SessionStatus.CONFIRMED or ctx.now < session.end:
        return None
    completed = advance(
        replace(session, status=SessionStatus.COMPLETED, **settled(paid_out(session.price, ctx.policy))), ctx
    )
    return SessionChange(
        session=completed,
        expected_version=session.version,
        event=events.SessionCompleted(**ctx.header(completed)),
        claims_released=session_claims(session, ctx.policy.calendar_unit_minutes),
        cancellation_streak=StreakChange.went_ahead(),  # a session that went ahead resets the streak
    )


def admin_rearrange(
    session: Session,
    ctx: Transition,
    *,
    start: datetime | None,
    location: Location | None,
    status: SessionStatus | None,
    reason: RearrangeReason,
    note: str,
) -> SessionChange:
    """The team moves, relocates or reinstates any session, past ones included."""
    require(ctx.actor.has(Role.ADMIN), Forbidden("Only the team can make this change."))
    require(
        start is not None or location is not None or status is not None,
        ValidationFailed("Give at least one of start, location_id or status."),
    )
    require(
        status is None or status in ADMIN_SETTABLE_STATUSES,
        ValidationFailed(f"status can be set to {in_words([str(s) for s in ADMIN_SETTABLE_STATUSES])}."),
    )
    unit = ctx.policy.calendar_unit_minutes
    if start is not None:
        require(on_grid(start, unit), ValidationFailed(f"The new start must be on a {unit}-minute boundary."))
    new_start = start or session.start
    new_end = new_start + (session.end - session.start)
    new_status = status or (SessionStatus.CONFIRMED if session.status in ACTIVE_STATUSES else session.status)
    was_holding = session.status in ACTIVE_STATUSES
    will_hold = new_status in ACTIVE_STATUSES
    old = (
        _claims(session, session.start, session.end, ClaimKind.SESSION, unit) | _holds(session, unit)
        if was_holding
        else set()
    )
    new = _claims(session, new_start, new_end, ClaimKind.SESSION, unit) if will_hold else set()
    changed = advance(
        replace(
            session,
            status=new_status,
            start=new_start,
            end=new_end,
            location=location or session.location,
            offer=None,
            location_change=None,
            history=_entry(ctx, session, "admin_rearranged", reason, note),
            **_admin_settlement(session, new_status, ctx, reason),
        ),
        ctx,
    )
    cancels = new_status is SessionStatus.CANCELLED and session.status is not SessionStatus.CANCELLED
    gave_up = session.status in _GIVEN_UP  # a free consultation's mark is released once it is given up
    gives_up = new_status in _GIVEN_UP
    held_units = {c.unit_start: c for c in old}
    new_units = {c.unit_start for c in new}
    converted = {c for c in new if c.unit_start in held_units and held_units[c.unit_start].kind is not c.kind}
    return SessionChange(
        session=changed,
        expected_version=session.version,
        event=events.AdminRearranged(
            **ctx.header(changed),
            reason=reason,
            change_id=session.open_change_id,
            was_confirmed=session.standing_status is SessionStatus.CONFIRMED,
            cancelled_by=Role.ADMIN if cancels else None,
            note=note,
        ),
        claims_added=tuple(sorted((c for c in new if c.unit_start not in held_units), key=_order)),
        claims_released=tuple(sorted((c for c in old if c.unit_start not in new_units), key=_order)),
        claims_converted=tuple(sorted(converted, key=_order)),
        free_consultation_taken=free_consultation(session) if gave_up and not gives_up else None,
        free_consultation_released=free_consultation(session) if gives_up and not gave_up else None,
        counts_as_therapists_own_rearrangement=reason.is_therapists_own,
        # The team recording that a session went ahead resets the therapist's streak, as the sweeper's does.
        cancellation_streak=(
            StreakChange.went_ahead()
            if new_status is SessionStatus.COMPLETED and session.status is not SessionStatus.COMPLETED
            else None
        ),
    )


class AdminSettlement(TypedDict, total=False):
    """The money and cancellation fields the team's change sets (those it leaves out stay as they are)."""

    cancelled_by: Role | None
    cancellation_reason: str | None
    decline_reason: str | None
    refund: Money | None
    therapist_payout: Money | None
    platform_commission: Money | None


def _admin_settlement(
    session: Session, status: SessionStatus, ctx: Transition, reason: RearrangeReason
) -> AdminSettlement:
    """Money and cancellation fields when the team ends a session, or brings an ended one back.

    Cancelled by the team: full refund. Completed: the therapist is paid less commission.
    Reinstated: nothing is settled any more (the session goes ahead).
    """
    if status is session.status:
        return AdminSettlement()
    if status is SessionStatus.CANCELLED:
        return AdminSettlement(
            cancelled_by=Role.ADMIN,
            cancellation_reason=reason,
            decline_reason=session.decline_reason,
            **settled(full_refund(session.price)),
        )
    if status is SessionStatus.COMPLETED:
        money = settled(paid_out(session.price, ctx.policy))
    elif session.status in ACTIVE_STATUSES:
        return AdminSettlement()
    else:
        money = SettledFields(refund=None, therapist_payout=None, platform_commission=None)
    return AdminSettlement(cancelled_by=None, cancellation_reason=None, decline_reason=None, **money)
