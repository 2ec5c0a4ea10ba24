"""Use cases: load, decide with the pure rules, commit. One service per aggregate."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from itertools import pairwise

from therapy_booking.domain import lifecycle, rearrangement
from therapy_booking.domain.business_hours import parse_country
from therapy_booking.domain.calendar import TimeRange, bookable_starts, free_slots, on_grid
from therapy_booking.domain.changes import (
    Claim,
    ClaimKind,
    ReservedBooking,
    SessionChange,
    claims_over,
    within_budget,
)
from therapy_booking.domain.errors import (
    Conflict,
    Forbidden,
    NotAnAvailableSlot,
    NotFound,
    TherapistUnavailableForBooking,
    ValidationFailed,
)
from therapy_booking.domain.model import (
    Actor,
    Availability,
    Block,
    ClientProfile,
    Location,
    Money,
    Reactivation,
    RearrangeReason,
    Role,
    Session,
    SessionStatus,
    SessionType,
    SessionTypeOffer,
    Therapist,
    TherapistProfile,
)
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.ports import (
    ClientRepository,
    Clock,
    Listing,
    Page,
    SessionQuery,
    SessionRepository,
    StandingNotifier,
    TherapistRecordChange,
    TherapistRepository,
    UnreadableItem,
)
from therapy_booking.domain.responses import with_first_answer, with_response_deadlines
from therapy_booking.domain.standing import Standing, StandingNotice, rank, rank_update, standing_notice

ATTENDEE_COUNTS = {
    SessionType.INDIVIDUAL: (1, 1),
    SessionType.COUPLE: (2, 2),
    SessionType.FAMILY: (2, 8),
}


SYSTEM = Actor("system", frozenset({Role.SYSTEM}))
logger = logging.getLogger(__name__)  # ids and error classes only


@dataclass(frozen=True)
class SweepFailure:
    """A session the sweep could not handle: its id and the error's class (never its message)."""

    session_id: str
    error_type: str


@dataclass(frozen=True)
class SweepReport:
    expired: int = 0
    completed: int = 0
    skipped: int = 0
    released: int = 0  # sessions whose pending time was given back
    failures: tuple[SweepFailure, ...] = ()


def new_id() -> str:
    return str(uuid.uuid4())


def require_role(actor: Actor, role: Role, action: str) -> None:
    if not actor.has(role):
        raise Forbidden(f"Only {role}s can {action}.")


@cache
def _iana_zones() -> frozenset[str]:
    """The zones of the pinned tzdata package (the layer ships it, so every environment knows the same ones)."""
    return frozenset(resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split())


def ensure_timezone(name: str) -> None:
    """A zone name, not a folder of them (`America`), a file path or a system file (`localtime`)."""
    if name not in _iana_zones():
        raise ValidationFailed("The timezone is not a known IANA time zone (e.g. Europe/London).")


def ensure_within_horizon(availability: Availability, start: datetime, now: datetime) -> None:
    """Bookings, and a therapist's moves, reach at most the therapist's booking horizon ahead."""
    if start > now + timedelta(days=availability.horizon_days):
        raise ValidationFailed(f"This therapist takes bookings at most {availability.horizon_days} days ahead.")


def _existing(therapist: Therapist | None) -> Therapist:
    """A session's therapist as read: one without a profile no longer exists."""
    if therapist is None or therapist.profile is None:
        raise NotFound("The session's therapist no longer exists.")
    return therapist


def location_of(profile: TherapistProfile, location_id: str) -> Location:
    location = profile.location(location_id)
    if location is None:
        raise ValidationFailed(f"location_id '{location_id}' is not one of this therapist's locations.")
    return location


def ensure_sms_reachable(sms_opt_in: bool, phone: str | None) -> None:
    if sms_opt_in and not phone:
        raise ValidationFailed("sms_opt_in needs a phone number.")


def held_slots(
    reserved: Iterable[Claim],
    client_id: str,
    offer: SessionTypeOffer,
    start_from: datetime,
    start_to: datetime,
    now: datetime,
    availability: Availability,
) -> set[TimeRange]:
    """The occurrences held for the client (from their claims) that they can book as `offer`'s session type,
    starting in the window and with the therapist's notice: each appears in their slots like any other."""
    earliest = max(start_from, now + timedelta(hours=availability.min_notice_hours))
    return {
        TimeRange(held.start, held.end)
        for claim in reserved
        if (held := claim.held_for) is not None
        and claim.is_held_for(client_id, offer.type, held.start, held.start + offer.duration)
        and earliest <= held.start < start_to
    }


def is_bookable_start(
    availability: Availability,
    timezone: str,
    duration: timedelta,
    start: datetime,
    now: datetime,
    policy: PlatformPolicy,
) -> bool:
    """Whether `start` is one of the weekly availability's slots for a session of `duration` (claims aside)."""
    window = TimeRange(start, start + timedelta(minutes=1))
    slots = bookable_starts(availability, timezone, duration, policy.calendar_unit_minutes, window, now)
    return any(slot.start == start for slot in slots)


@dataclass(frozen=True)
class BookingRequest:
    therapist_id: str
    start: datetime
    session_type: SessionType
    location_id: str
    attendees: tuple[str, ...]
    initial_consultation: bool = False
    note: str | None = None


def _visible(session: Session | None, actor: Actor) -> Session:
    """The session, if the caller may see it; to anyone else it does not exist."""
    if session is None or not session.is_visible_to(actor):
        raise NotFound("There is no session with that id.")
    return session


class SessionService:
    def __init__(
        self,
        sessions: SessionRepository,
        therapists: TherapistRepository,
        clock: Clock,
        policy: PlatformPolicy,
        ids: Callable[[], str] = new_id,
    ) -> None:
        self._sessions = sessions
        self._therapists = therapists
        self._clock = clock
        self._policy = policy
        self._ids = ids

    def _transition(self, actor: Actor) -> lifecycle.Transition:
        return lifecycle.Transition(actor=actor, now=self._clock.now(), policy=self._policy)

    def book(self, actor: Actor, request: BookingRequest) -> Session:
        require_role(actor, Role.CLIENT, "book sessions")
        start = request.start.astimezone(UTC)
        therapist, claim = self._therapists.get_with_claim(request.therapist_id, start)
        if therapist is None or therapist.profile is None:
            raise NotFound("There is no therapist with that id.")
        if not therapist.accepts_bookings:
            raise TherapistUnavailableForBooking("This therapist is not taking bookings at the moment.")
        profile = therapist.profile
        offer = profile.offer_for(request.session_type)
        if offer is None:
            raise ValidationFailed(f"This therapist does not offer {request.session_type} sessions.")
        location = location_of(profile, request.location_id)
        low, high = ATTENDEE_COUNTS[request.session_type]
        if not low <= len(request.attendees) <= high:
            expected = str(low) if low == high else f"{low} to {high}"
            raise ValidationFailed(f"A {request.session_type} session needs {expected} attendee names.")
        if request.initial_consultation and not profile.free_initial_consultation:
            raise ValidationFailed("This therapist does not offer a free initial consultation.")

        ctx = self._transition(actor)
        end = start + offer.duration
        held = claim if claim is not None and claim.is_held_for(actor.user_id, offer.type, start, end) else None
        self._ensure_bookable(therapist, offer, start, ctx.now, reserved=held is not None)
        price = Money(0, offer.price.currency) if request.initial_consultation else offer.price
        session = Session(
            session_id=self._ids(),
            therapist_id=therapist.therapist_id,
            client_id=actor.user_id,
            status=SessionStatus.PENDING,
            session_type=request.session_type,
            attendees=request.attendees,
            location=location,
            start=start,
            end=start + offer.duration,
            price=price,
            initial_consultation=request.initial_consultation,
            created_at=ctx.now,
            updated_at=ctx.now,
            version=1,
            note=request.note,
        )
        change = lifecycle.book(with_response_deadlines(session, profile, self._policy), ctx)
        if held is not None:  # an occurrence reserved for this client: the reservation's units become the session's
            reserved = ReservedBooking(held.owner_id, therapist.therapist_id, start, change.claims_added)
            change = replace(change, claims_added=(), reserved=reserved)
        return self._commit(change)

    def _ensure_bookable(
        self, therapist: Therapist, offer: SessionTypeOffer, start: datetime, now: datetime, reserved: bool
    ) -> None:
        """Notice always; an occurrence reserved for the client was agreed with the therapist, so neither their
        weekly availability nor their booking horizon applies to it."""
        availability = therapist.availability
        assert therapist.profile is not None
        if availability is None:
            raise ValidationFailed("This therapist has not published any availability yet.")
        if start < now + timedelta(hours=availability.min_notice_hours):
            raise ValidationFailed(
                f"This therapist needs at least {availability.min_notice_hours} hours' notice for a booking."
            )
        if reserved:
            return
        ensure_within_horizon(availability, start, now)
        if not is_bookable_start(availability, therapist.profile.timezone, offer.duration, start, now, self._policy):
            raise NotAnAvailableSlot()

    def get(self, actor: Actor, session_id: str) -> Session:
        return _visible(self._sessions.get(session_id), actor)

    def list_own(self, actor: Actor, query: SessionQuery) -> Page[Session]:
        if query.start_from and query.start_to and query.start_to <= query.start_from:
            raise ValidationFailed("'to' must be after 'from'.")
        if actor.has(Role.THERAPIST):
            return self._sessions.list_for(Role.THERAPIST, actor.user_id, query)
        if actor.has(Role.CLIENT):
            return self._sessions.list_for(Role.CLIENT, actor.user_id, query)
        raise Forbidden("Only therapists and clients have sessions to list.")

    def list_as_client(self, actor: Actor, query: SessionQuery) -> Page[Session]:
        """The caller's sessions as a client, whatever other role they also have."""
        require_role(actor, Role.CLIENT, "list their sessions as a client")
        return self._sessions.list_for(Role.CLIENT, actor.user_id, query)

    def confirm(self, actor: Actor, session_id: str) -> Session:
        session, therapist = self._get_with_own_therapist(actor, session_id)
        return self._answer(lifecycle.confirm(session, self._transition(actor)), session, therapist)

    def decline(self, actor: Actor, session_id: str, reason: str | None) -> Session:
        session, therapist = self._get_with_own_therapist(actor, session_id)
        return self._answer(lifecycle.decline(session, self._transition(actor), reason), session, therapist)

    def _answer(self, change: SessionChange, before: Session, therapist: Therapist | None) -> Session:
        """Commit a therapist's answer; the first to a booking is measured as their response time."""
        profile = therapist.profile if therapist is not None else None
        return self._commit(with_first_answer(change, before, profile, self._policy))

    def cancellation_terms(self, actor: Actor, session_id: str) -> lifecycle.CancellationTerms:
        """What `cancel` would settle if the caller cancelled now, refused exactly as `cancel` would refuse (the
        same checks, `lifecycle.cancellation_terms`); nothing written. A client's read is the session alone (one
        GetItem); a therapist's is the session with their record (one call), for what it does to their streak."""
        session, therapist = self._get_with_own_therapist(actor, session_id)
        return lifecycle.cancellation_terms(session, self._transition(actor), therapist)

    def cancel(self, actor: Actor, session_id: str, reason: str | None) -> Session:
        """The session's therapist's cancellation counts towards their streak: the session is read with their
        record (one call), and if a concurrent cancellation or completion moved the streak across the
        deactivation threshold the write is refused as a Conflict; then both are read again and it is retried
        once (a second Conflict is answered 409)."""
        if not actor.has(Role.THERAPIST):
            return self._commit(lifecycle.cancel(self.get(actor, session_id), self._transition(actor), reason))
        try:
            return self._cancel_as_therapist(actor, session_id, reason)
        except Conflict:
            return self._cancel_as_therapist(actor, session_id, reason)

    def _cancel_as_therapist(self, actor: Actor, session_id: str, reason: str | None) -> Session:
        session, therapist = self._get_with_own_therapist(actor, session_id)
        streak = therapist.cancellation_streak if therapist is not None else 0
        return self._commit(lifecycle.cancel(session, self._transition(actor), reason, streak))

    def _commit(self, change: SessionChange) -> Session:
        """Write the transition atomically; time it gave up beyond one write's size follows at once."""
        change = within_budget(change)
        self._sessions.commit(change)
        if change.session.releases_pending:
            self._give_back(change.session)
        return change.session

    def _give_back(self, session: Session) -> None:
        try:
            self._sessions.give_back(session, self._units_to_give_back(session))
        except Exception as error:  # the transition stands; the session stays due and the sweeper finishes it
            logger.warning(
                "time left to give back", extra={"session_id": session.session_id, "error_type": type(error).__name__}
            )

    def _units_to_give_back(self, session: Session) -> tuple[datetime, ...]:
        return rearrangement.units_to_give_back(session, self._policy.calendar_unit_minutes)

    def _therapist_of(self, session: Session) -> Therapist:
        return _existing(self._therapists.get(session.therapist_id))

    def _get_with_own_therapist(self, actor: Actor, session_id: str) -> tuple[Session, Therapist | None]:
        """The session as `get` gives it, with the caller's therapist record when they are its therapist
        (None otherwise). A therapist's session and their own record are read together, in one call."""
        if not actor.has(Role.THERAPIST):
            return self.get(actor, session_id), None
        found, therapist = self._sessions.get_with_therapist(session_id, actor.user_id)
        session = _visible(found, actor)
        return session, therapist if session.is_therapist(actor) else None

    def reschedule(self, actor: Actor, session_id: str, start: datetime, reason: RearrangeReason) -> Session:
        session, therapist = self._get_with_own_therapist(actor, session_id)
        ctx = self._transition(actor)
        rearrangement.ensure_therapist_can_change(session, ctx, "reschedule it")  # before any therapist error
        availability = _existing(therapist).availability
        if availability is None:
            raise ValidationFailed("Publish your availability first: a move is bounded by its booking horizon.")
        ensure_within_horizon(availability, start, ctx.now)
        return self._answer(rearrangement.reschedule(session, ctx, start.astimezone(UTC), reason), session, therapist)

    def change_location(self, actor: Actor, session_id: str, location_id: str, reason: RearrangeReason) -> Session:
        session, therapist = self._get_with_own_therapist(actor, session_id)
        ctx = self._transition(actor)
        rearrangement.ensure_therapist_can_change(session, ctx, "change its location")  # before any therapist error
        profile = _existing(therapist).profile
        assert profile is not None
        location = location_of(profile, location_id)
        change = rearrangement.change_location(session, ctx, location, reason, self._ids())
        return self._answer(change, session, therapist)

    def answer_location_change(self, actor: Actor, session_id: str, accept: bool) -> Session:
        session = self.get(actor, session_id)
        ctx = self._transition(actor)
        answer = rearrangement.accept_location_change if accept else rearrangement.reject_location_change
        return self._commit(answer(session, ctx))

    def offer_alternatives(self, actor: Actor, session_id: str, starts: list[datetime]) -> Session:
        session, own = self._get_with_own_therapist(actor, session_id)
        ctx = self._transition(actor)
        therapist = _existing(own) if session.is_therapist(actor) else None

        def is_bookable(start: datetime) -> bool:
            if therapist is None or therapist.availability is None or therapist.profile is None:
                return False
            duration = session.end - session.start
            return is_bookable_start(
                therapist.availability, therapist.profile.timezone, duration, start, ctx.now, self._policy
            )

        utc_starts = [s.astimezone(UTC) for s in starts]
        change = rearrangement.offer_alternatives(session, ctx, utc_starts, is_bookable, self._ids)
        return self._answer(change, session, therapist)

    def answer_offer(self, actor: Actor, session_id: str, alternative_id: str | None) -> Session:
        """Accept the alternative named, or reject them all (None)."""
        session = self.get(actor, session_id)
        ctx = self._transition(actor)
        if alternative_id is None:
            return self._commit(rearrangement.reject_offer(session, ctx))
        return self._commit(rearrangement.accept_offer(session, ctx, alternative_id))

    def expire(self, session_id: str, change_id: str) -> Session | None:
        """Expire an unanswered offer or location change; nothing happens if it was answered or is not due."""
        session = self._sessions.get(session_id)
        if session is None:
            return None
        change = rearrangement.expire(session, self._transition(SYSTEM), change_id)
        if change is None:
            return None
        try:
            return self._commit(change)
        except Conflict:
            current = self._sessions.get(session_id)
            if current is not None and current.open_change_id == change_id:
                raise  # still open: something else changed it; let the retry look again
            return None  # answered or expired meanwhile (a racing answer, a second delivery): nothing to do

    def sweep(self, limit: int = 100) -> SweepReport:
        """Give back time left pending, expire what is overdue (a lost schedule) and complete sessions
        that have ended, at most `limit` sessions a run.

        Each session on its own: one that fails (or an item that cannot be read) is reported and the
        others go on. Failures do not count against `limit` (up to `limit` of them are passed over),
        so sessions that keep failing at the head of the index never starve the rest.
        """
        ctx = self._transition(SYSTEM)
        tally: Counter[str] = Counter()
        failures: list[SweepFailure] = []
        handled = 0
        for session in self._sessions.list_due(ctx.now, limit):
            if handled >= limit or len(failures) >= limit:
                break
            if isinstance(session, UnreadableItem):
                failures.append(SweepFailure(session.item_id, session.error_type))
                continue
            handled += 1
            try:
                self._sweep_one(session, ctx, tally)
            except Conflict:
                tally["skipped"] += 1  # changed meanwhile (answered, expired by its schedule): the next sweep sees it
            except Exception as error:  # isolate the session; the caller reports it
                failures.append(SweepFailure(session.session_id, type(error).__name__))
        return SweepReport(
            expired=tally["expired"],
            completed=tally["completed"],
            skipped=tally["skipped"],
            released=tally["released"],
            failures=tuple(failures),
        )

    def _sweep_one(self, session: Session, ctx: lifecycle.Transition, tally: Counter[str]) -> None:
        """Give back the session's pending time, then expire or complete it if that is due."""
        if session.releases_pending:
            self._sessions.give_back(session, self._units_to_give_back(session))
            session = replace(session, releases_pending=())
            tally["released"] += 1
        change_id = session.open_change_id
        change = (
            rearrangement.expire(session, ctx, change_id)
            if change_id is not None
            else rearrangement.complete(session, ctx)
        )
        if change is not None:
            self._commit(change)
            tally["completed" if change_id is None else "expired"] += 1

    def admin_rearrange(
        self,
        actor: Actor,
        session_id: str,
        *,
        start: datetime | None,
        location_id: str | None,
        status: SessionStatus | None,
        reason: RearrangeReason,
        note: str,
    ) -> Session:
        session = self.get(actor, session_id)
        location = None
        if location_id is not None and actor.has(Role.ADMIN):
            profile = self._therapist_of(session).profile
            assert profile is not None
            location = location_of(profile, location_id)
        change = rearrangement.admin_rearrange(
            session,
            self._transition(actor),
            start=start.astimezone(UTC) if start else None,
            location=location,
            status=status,
            reason=reason,
            note=note,
        )
        return self._commit(change)


class TherapistService:
    def __init__(
        self,
        therapists: TherapistRepository,
        clock: Clock,
        policy: PlatformPolicy,
        ids: Callable[[], str] = new_id,
        listing: Listing | None = None,
    ) -> None:
        """`listing` serves the listing's pages: the repository itself unless given (the reads function's
        container puts a short cache of the first pages in front of it: docs/scaling.md)."""
        self._therapists = therapists
        self._listing: Listing = therapists if listing is None else listing
        self._clock = clock
        self._policy = policy
        self._ids = ids

    def put_profile(self, actor: Actor, profile: TherapistProfile) -> Therapist:
        require_role(actor, Role.THERAPIST, "publish a therapist profile")
        ensure_timezone(profile.timezone)
        if profile.country is not None:
            try:
                code, subdivision = parse_country(profile.country)
            except ValueError as error:
                raise ValidationFailed(str(error)) from None
            named_subdivision = "-" in profile.country  # `GB` stays `GB` (England by default), not `GB-ENG`
            profile = replace(profile, country=f"{code}-{subdivision}" if named_subdivision else code)
        newcomer = rank(Therapist(actor.user_id), self._policy).score
        ensure_sms_reachable(profile.sms_opt_in, profile.phone)
        for offer in profile.session_types:
            if offer.price.currency != self._policy.currency:
                raise ValidationFailed(f"Prices must be in {self._policy.currency}.")
        return self._therapists.save_profile(actor.user_id, profile, newcomer)

    def put_availability(self, actor: Actor, availability: Availability) -> Therapist:
        require_role(actor, Role.THERAPIST, "publish availability")
        unit = self._policy.calendar_unit_minutes
        for window in availability.weekly:
            if window.end <= window.start:
                raise ValidationFailed(f"The {window.day} window must end after it starts.")
            if not (on_grid(window.start, unit) and on_grid(window.end, unit)):
                raise ValidationFailed(
                    f"The {window.day} window must start and end on the {unit}-minute grid (e.g. 09:00, 09:15)."
                )
        by_day = sorted(availability.weekly, key=lambda w: (w.day.number, w.start))
        for earlier, later in pairwise(by_day):
            if earlier.day == later.day and later.start < earlier.end:
                raise ValidationFailed(f"Two {earlier.day} windows overlap.")
        return self._therapists.save_availability(actor.user_id, availability)

    def _visible(self, actor: Actor, therapist: Therapist | None) -> Therapist:
        if therapist is None or therapist.profile is None:
            raise NotFound("There is no therapist with that id.")
        if not therapist.accepts_bookings and actor.user_id != therapist.therapist_id and not actor.has(Role.ADMIN):
            raise NotFound("There is no therapist with that id.")
        return therapist

    def get(self, actor: Actor, therapist_id: str) -> Therapist:
        return self._visible(actor, self._therapists.get(therapist_id))

    def own_profile(self, actor: Actor) -> Therapist:
        """The caller's own account as `put_profile` answers it (hidden or deactivated included)."""
        require_role(actor, Role.THERAPIST, "read a therapist profile of their own")
        therapist = self._therapists.get(actor.user_id)
        if therapist is None or therapist.profile is None:
            raise NotFound("You have not published a therapist profile yet.")
        return therapist

    def own_blocks(self, actor: Actor) -> list[Block]:
        """The caller's blocks that have not ended yet, by start."""
        require_role(actor, Role.THERAPIST, "read their blocks")
        return self._therapists.future_blocks(actor.user_id, self._clock.now())

    def list_bookable(self, limit: int, cursor: str | None) -> Page[Therapist]:
        """The same for every caller (nothing of the caller's is read), so its first pages may be cached."""
        return self._listing.list_bookable(limit, cursor)

    def reactivate(self, actor: Actor, therapist_id: str, note: str) -> Standing:
        """The team restores an account: not deactivated, streak 0, listed again if its profile is visible;
        the admin's note is kept with who and when."""
        require_role(actor, Role.ADMIN, "reactivate a therapist")
        reactivation = Reactivation(actor.user_id, self._clock.now(), note)
        newcomer = rank(Therapist(therapist_id), self._policy).score
        therapist = self._therapists.reactivate(therapist_id, reactivation, newcomer)
        if therapist is None or therapist.profile is None:
            raise NotFound("There is no therapist with that id.")
        return Standing.of(therapist, self._policy)

    def own_standing(self, actor: Actor) -> Standing:
        """The caller's standing: their measures, flag, rank score and each factor of it."""
        return Standing.of(self.own_profile(actor), self._policy)

    def standing(self, actor: Actor, therapist_id: str) -> Standing:
        """Any therapist's standing, for the team (hidden and deactivated ones included)."""
        require_role(actor, Role.ADMIN, "read another therapist's standing")
        therapist = self._therapists.get(therapist_id)
        if therapist is None or therapist.profile is None:
            raise NotFound("There is no therapist with that id.")
        return Standing.of(therapist, self._policy)

    def slots(
        self,
        actor: Actor,
        therapist_id: str,
        start_from: datetime | None,
        start_to: datetime | None,
        session_type: SessionType | None,
    ) -> list[TimeRange]:
        now = self._clock.now()
        start_from = (start_from or now).astimezone(UTC)
        start_to = (start_to or start_from + timedelta(days=14)).astimezone(UTC)
        if start_to <= start_from:
            raise ValidationFailed("'to' must be after 'from'.")
        if start_to - start_from > timedelta(days=self._policy.max_slot_window_days):
            raise ValidationFailed(f"Ask for at most {self._policy.max_slot_window_days} days of slots at a time.")
        calendar = self._therapists.get_calendar(therapist_id, since=start_from)
        therapist = self._visible(actor, calendar.therapist if calendar else None)
        assert calendar is not None and therapist.profile is not None
        offer = therapist.profile.offer_for(session_type) if session_type else therapist.profile.session_types[0]
        if offer is None:
            raise ValidationFailed(f"This therapist does not offer {session_type} sessions.")
        if therapist.availability is None or not therapist.accepts_bookings:
            return []
        unit = self._policy.calendar_unit_minutes
        candidates = bookable_starts(
            therapist.availability,
            therapist.profile.timezone,
            offer.duration,
            unit,
            TimeRange(start_from, start_to),
            now,
        )
        free = free_slots(candidates, calendar.claimed_units, unit)
        if not actor.has(Role.CLIENT):
            return free
        return sorted(
            {
                *free,
                *held_slots(calendar.reserved, actor.user_id, offer, start_from, start_to, now, therapist.availability),
            },
            key=lambda slot: slot.start,
        )

    def add_block(self, actor: Actor, start: datetime, end: datetime, note: str | None) -> Block:
        require_role(actor, Role.THERAPIST, "block time")
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            raise ValidationFailed("'end' must be after 'start'.")
        if end - start > timedelta(hours=self._policy.max_block_hours):
            raise ValidationFailed(
                f"A block can last at most {self._policy.max_block_hours} hours; "
                "add one per day, or hide your profile for a longer break."
            )
        if end <= self._clock.now():
            raise ValidationFailed("A block must end in the future.")
        block = Block(self._ids(), actor.user_id, start, end, note)
        self._therapists.add_block(block, self._block_claims(block))
        return block

    def delete_block(self, actor: Actor, block_id: str) -> None:
        require_role(actor, Role.THERAPIST, "remove blocks")
        block = self._therapists.get_block(actor.user_id, block_id)
        if block is None:
            raise NotFound("There is no block with that id.")
        self._therapists.remove_block(block, self._block_claims(block))

    def _block_claims(self, block: Block) -> tuple[Claim, ...]:
        return claims_over(
            block.therapist_id,
            ClaimKind.BLOCK,
            block.block_id,
            block.start,
            block.end,
            self._policy.calendar_unit_minutes,
        )


class ClientService:
    def __init__(self, clients: ClientRepository) -> None:
        self._clients = clients

    def own_profile(self, actor: Actor) -> ClientProfile:
        require_role(actor, Role.CLIENT, "read a client profile of their own")
        profile = self._clients.get(actor.user_id)
        if profile is None:
            raise NotFound("You have not published a client profile yet.")
        return profile

    def put_profile(self, actor: Actor, profile: ClientProfile) -> ClientProfile:
        require_role(actor, Role.CLIENT, "publish a client profile")
        ensure_timezone(profile.timezone)
        ensure_sms_reachable(profile.sms_opt_in, profile.phone)
        return self._clients.save_profile(profile)


@dataclass(frozen=True)
class ProjectionReport:
    ranked: bool  # a new score (or trimmed answers) was written
    notice: str | None  # the notice the change called for, if any


class StandingProjection:
    """Follows every change of a therapist's record (the table's stream): keeps the score and the listing key
    computed from the counts the sessions' transactions update, and tells the therapist once when their
    streak flags or deactivates them. Idempotent: a change seen twice computes the same score (written only
    if it differs from the stored one) and the same notice occasion (sent once)."""

    def __init__(self, therapists: TherapistRepository, notifier: StandingNotifier, policy: PlatformPolicy) -> None:
        self._therapists = therapists
        self._notifier = notifier
        self._policy = policy

    def apply(self, change: TherapistRecordChange) -> ProjectionReport:
        update = rank_update(change.after, change.stored_score, self._policy)
        ranked = update is not None and self._therapists.record_rank(update)
        notice = standing_notice(change.before, change.after, self._policy)
        if notice is not None and self._still_stands(notice, change.after.therapist_id):
            self._notifier.tell_standing(notice, change.after.therapist_id, f"{notice}#{change.change_id}")
            return ProjectionReport(ranked, str(notice))
        return ProjectionReport(ranked, None)

    def _still_stands(self, notice: StandingNotice, therapist_id: str) -> bool:
        """Whether the record still says what the notice tells: a record retried (or replayed) after the team
        reactivated the account, or after a session went ahead, tells nothing any more."""
        current = self._therapists.get(therapist_id)
        if current is None:
            return False
        if notice is StandingNotice.DEACTIVATED:
            return current.deactivated
        return current.flagged(self._policy.streak_flag_at) and not current.deactivated

    def rerank_listed(self) -> int:
        """Recompute every listed therapist's score and store those that changed (after a change of the ranking's
        settings, or for items keyed before ranking existed); the number stored. Idempotent."""
        stored = 0
        for therapist, score in self._therapists.listed_records():
            update = rank_update(therapist, score, self._policy)
            stored += update is not None and self._therapists.record_rank(update)
        return stored
