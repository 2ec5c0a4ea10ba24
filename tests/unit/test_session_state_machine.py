"""The session state machine under random sequences of everything people and the platform do.

Two therapists, three clients and a controllable clock; every step goes through
`SessionService` (and `TherapistService` for blocks) on the in-memory fakes. After
every step the invariants of ARCHITECTURE.md and the money rules must hold:

- claims exist exactly for active sessions (their units, kind `session`), open
  offers (each alternative's units, kind `hold`) and blocks: no more, no fewer,
  and no unit is wanted by two of them (no double booking);
- every successful transition wrote exactly one outbox event (a session's version
  is the number of its events), and a refused one wrote nothing at all;
- every ended session (declined, cancelled, completed) has its refund, payout and
  commission set, adding up to its price;
- the therapist's own-reason rearrangement count matches the own-reason changes made;
- free initial consultations: one mark per client and therapist, held by the
  consultation that has not been given up.

Actions are mostly tried on a session in a state where they make sense and by the
person entitled to them, sometimes on any session or by someone else (a refusal must
change nothing). The expiry policy is a platform setting: each expiry and sweep draws
it, so both outcomes (and a setting changed while a question is open) occur in a run.
An expiry schedule fires early, at its deadline or late.

A single thread never meets a `Conflict`: one would mean a transition released a
claim it does not own, or wrote a stale version, so it fails the test.

The default run is 100 examples of 40 steps (4,000 steps). For a longer hunt:
`SESSION_MACHINE_EXAMPLES=2000 SESSION_MACHINE_STEPS=80 .venv/bin/pytest tests/unit/test_session_state_machine.py`.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, time, timedelta

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
)

from tests.support.clock import FakeClock
from tests.support.domain_data import ADMIN, NOW, PROFILE
from tests.support.fakes import InMemorySessions, InMemoryStore, InMemoryTherapists
from therapy_booking.domain.calendar import TimeRange, bookable_starts, claim_units
from therapy_booking.domain.changes import ClaimKind
from therapy_booking.domain.errors import Conflict, DomainError
from therapy_booking.domain.model import (
    ACTIVE_STATUSES,
    Actor,
    Availability,
    Location,
    LocationKind,
    OfferExpiryPolicy,
    RearrangeReason,
    Role,
    Session,
    SessionStatus,
    SessionType,
    Therapist,
    Weekday,
    WeeklyWindow,
)
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.services import BookingRequest, SessionService, TherapistService

UNIT_MINUTES = 15
THERAPISTS = ("t1", "t2")
CLIENTS = ("c1", "c2", "c3")
ENDED = (SessionStatus.DECLINED, SessionStatus.CANCELLED, SessionStatus.COMPLETED)
GIVEN_UP = (SessionStatus.DECLINED, SessionStatus.CANCELLED)
MAX_ACTIVE = 6  # then the steps go to what happens to booked sessions
LOOKAHEAD = timedelta(days=4)  # bookings crowd into the next few mornings, so that they collide

MACHINE_PROFILE = replace(
    PROFILE,
    locations=(*PROFILE.locations, Location("video", LocationKind.ONLINE, link="https://meet.example/room")),
)
MACHINE_AVAILABILITY = Availability(
    weekly=tuple(WeeklyWindow(day, time(9), time(13)) for day in Weekday),
    min_notice_hours=1,
    horizon_days=10,
)

# Which session an action is tried on: mostly one in a state where it makes sense, sometimes any.
PICK = st.tuples(st.integers(0, 9), st.integers(0, 10**6))
CHANGEABLE = (SessionStatus.PENDING, SessionStatus.CONFIRMED)
OPEN = (SessionStatus.ALTERNATIVES_OFFERED, SessionStatus.AWAITING_CLIENT)


def having(*statuses: SessionStatus) -> Callable[[SessionMachine], bool]:
    """Precondition: some session is in one of `statuses` (any session if none are given)."""
    return lambda machine: any(not statuses or s.status in statuses for s in machine.store.sessions.values())


# Who performs an action on a session: mostly the right person, sometimes someone who may not.
WHO = st.sampled_from(("own",) * 8 + ("counterpart", "stranger", "admin"))
REASONS = st.sampled_from(list(RearrangeReason))
POLICIES = st.sampled_from(list(OfferExpiryPolicy))


def therapist(user_id: str) -> Actor:
    return Actor(user_id, frozenset({Role.THERAPIST}))


def client(user_id: str) -> Actor:
    return Actor(user_id, frozenset({Role.CLIENT}))


def units(start: datetime, end: datetime) -> list[datetime]:
    return claim_units(start, end, UNIT_MINUTES)


class SessionMachine(RuleBasedStateMachine):
    blocks = Bundle("blocks")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(NOW)
        self.store = InMemoryStore(
            therapists={t: Therapist(t, MACHINE_PROFILE, MACHINE_AVAILABILITY) for t in THERAPISTS}
        )
        counter = itertools.count(1)
        self.ids: Callable[[], str] = lambda: f"id{next(counter)}"
        self.therapist_service = TherapistService(
            InMemoryTherapists(self.store), self.clock, PlatformPolicy(), ids=self.ids
        )
        self.services = {
            policy: self._session_service(PlatformPolicy(offer_expiry_policy=policy)) for policy in OfferExpiryPolicy
        }
        self.service = self.services[OfferExpiryPolicy.CANCEL_AND_REFUND]
        self.transitions = 0  # successful transitions: each must have written exactly one event
        self.own_rearrangements: dict[str, int] = {}

    def _session_service(self, policy: PlatformPolicy) -> SessionService:
        return SessionService(
            InMemorySessions(self.store), InMemoryTherapists(self.store), self.clock, policy, ids=self.ids
        )

    # -- helpers --------------------------------------------------------------------------

    def _snapshot(self) -> tuple[object, ...]:
        s = self.store
        return (
            dict(s.sessions),
            dict(s.claims),
            dict(s.events),
            dict(s.free_consultations),
            dict(s.blocks),
            dict(s.own_rearrangements),
        )

    def _attempt[T](self, call: Callable[[], T]) -> T | None:
        """Run a transition: on success count it; on a refusal check that nothing was written."""
        before = self._snapshot()
        try:
            result = call()
        except Conflict:
            raise  # nothing runs concurrently here: a conflict is a transition contradicting the store
        except DomainError as refusal:
            assert self._snapshot() == before, "a refused transition wrote something"
            event(f"refused: {type(refusal).__name__}")
            return None
        self.transitions += 1
        event(f"done: {next(reversed(self.store.events.values())).event_type}")
        return result

    def _pick(self, pick: tuple[int, int], *statuses: SessionStatus) -> Session:
        aim, index = pick
        everyone = sorted(self.store.sessions.values(), key=lambda s: s.session_id)
        aimed = [s for s in everyone if s.status in statuses] if aim else []
        candidates = aimed or everyone
        return candidates[index % len(candidates)]

    def _actor(self, session: Session, acting: Role, who: str) -> Actor:
        own, counterpart = (
            (therapist(session.therapist_id), client(session.client_id))
            if acting is Role.THERAPIST
            else (client(session.client_id), therapist(session.therapist_id))
        )
        if who == "own":
            return own
        if who == "counterpart":
            return counterpart
        if who == "admin":
            return ADMIN
        pool = THERAPISTS if acting is Role.THERAPIST else CLIENTS
        stranger = next(p for p in pool if p != own.user_id)
        return therapist(stranger) if acting is Role.THERAPIST else client(stranger)

    def _slot(self, duration: timedelta, index: int) -> datetime:
        """One of the next days' bookable starts for a session of `duration` (claims not considered)."""
        now = self.clock.now()
        slots = bookable_starts(
            MACHINE_AVAILABILITY, MACHINE_PROFILE.timezone, duration, UNIT_MINUTES, TimeRange(now, now + LOOKAHEAD), now
        )
        return slots[index % len(slots)].start if slots else now + timedelta(hours=1)

    def _count_own(self, session: Session) -> None:
        self.own_rearrangements[session.therapist_id] = self.own_rearrangements.get(session.therapist_id, 0) + 1

    # -- booking and the therapist's answers ----------------------------------------------

    @precondition(lambda self: sum(s.is_active for s in self.store.sessions.values()) < MAX_ACTIVE)
    @rule(
        client_id=st.sampled_from(CLIENTS),
        therapist_id=st.sampled_from(THERAPISTS),
        couple=st.integers(0, 3),
        slot=st.integers(0, 1000),
        free=st.integers(0, 4),
    )
    def book(self, client_id: str, therapist_id: str, couple: int, slot: int, free: int) -> None:
        session_type, attendees = (SessionType.COUPLE, ("A", "B")) if couple == 0 else (SessionType.INDIVIDUAL, ("A",))
        offer = MACHINE_PROFILE.offer_for(session_type)
        assert offer is not None
        booking = BookingRequest(
            therapist_id,
            self._slot(offer.duration, slot),
            session_type,
            "room",
            attendees,
            initial_consultation=free == 0,
        )
        booked = self._attempt(lambda: self.service.book(client(client_id), booking))
        assert booked is None or booked.status is SessionStatus.PENDING

    @precondition(having())
    @rule(pick=PICK, who=WHO)
    def confirm(self, pick: tuple[int, int], who: str) -> None:
        session = self._pick(pick, SessionStatus.PENDING)
        actor = self._actor(session, Role.THERAPIST, who)
        self._attempt(lambda: self.service.confirm(actor, session.session_id))

    @precondition(having())
    @rule(pick=PICK, who=WHO)
    def decline(self, pick: tuple[int, int], who: str) -> None:
        session = self._pick(pick, SessionStatus.PENDING)
        actor = self._actor(session, Role.THERAPIST, who)
        self._attempt(lambda: self.service.decline(actor, session.session_id, "Not a good fit"))

    @precondition(having())
    @rule(pick=PICK, who=WHO, by=st.sampled_from((Role.CLIENT, Role.THERAPIST)))
    def cancel(self, pick: tuple[int, int], who: str, by: Role) -> None:
        session = self._pick(pick, *CHANGEABLE)
        actor = self._actor(session, by, who)
        self._attempt(lambda: self.service.cancel(actor, session.session_id, None))

    # -- rearrangement ---------------------------------------------------------------------

    @precondition(having())
    @rule(pick=PICK, who=WHO, slot=st.integers(0, 1000), offset=st.sampled_from((0, 15, 30)), reason=REASONS)
    def reschedule(self, pick: tuple[int, int], who: str, slot: int, offset: int, reason: RearrangeReason) -> None:
        session = self._pick(pick, *CHANGEABLE)
        actor = self._actor(session, Role.THERAPIST, who)
        start = self._slot(session.end - session.start, slot) + timedelta(minutes=offset)
        moved = self._attempt(lambda: self.service.reschedule(actor, session.session_id, start, reason))
        if moved is not None:
            assert moved.status is SessionStatus.CONFIRMED and moved.start == start
            assert reason is not RearrangeReason.THERAPIST_UNAVAILABLE

    @precondition(having())
    @rule(pick=PICK, who=WHO, location_id=st.sampled_from(("room", "video")), reason=REASONS)
    def change_location(self, pick: tuple[int, int], who: str, location_id: str, reason: RearrangeReason) -> None:
        session = self._pick(pick, *CHANGEABLE)
        actor = self._actor(session, Role.THERAPIST, who)
        changed = self._attempt(lambda: self.service.change_location(actor, session.session_id, location_id, reason))
        if changed is not None and reason.is_therapists_own:
            assert changed.status is SessionStatus.AWAITING_CLIENT
            self._count_own(changed)

    @precondition(having(SessionStatus.AWAITING_CLIENT))
    @rule(pick=PICK, who=WHO, accept=st.booleans())
    def answer_location_change(self, pick: tuple[int, int], who: str, accept: bool) -> None:
        session = self._pick(pick, SessionStatus.AWAITING_CLIENT)
        actor = self._actor(session, Role.CLIENT, who)
        self._attempt(lambda: self.service.answer_location_change(actor, session.session_id, accept))

    @precondition(having())
    @rule(pick=PICK, who=WHO, slots=st.lists(st.integers(0, 1000), min_size=1, max_size=5), careless=st.integers(0, 4))
    def offer_alternatives(self, pick: tuple[int, int], who: str, slots: list[int], careless: int) -> None:
        session = self._pick(pick, *CHANGEABLE)
        actor = self._actor(session, Role.THERAPIST, who)
        starts = [self._slot(session.end - session.start, slot) for slot in slots]
        if careless:  # mostly distinct free times away from the session's own, as the slots listing shows
            own, duration = TimeRange(session.start, session.end), session.end - session.start
            taken = {unit for (therapist_id, unit) in self.store.claims if therapist_id == session.therapist_id}
            starts = (
                sorted(
                    {
                        start
                        for start in starts
                        if not own.overlaps(TimeRange(start, start + duration))
                        and taken.isdisjoint(units(start, start + duration))
                    }
                )
                or starts
            )
        offered = self._attempt(lambda: self.service.offer_alternatives(actor, session.session_id, starts))
        if offered is not None:
            assert offered.status is SessionStatus.ALTERNATIVES_OFFERED
            self._count_own(offered)

    @precondition(having(SessionStatus.ALTERNATIVES_OFFERED))
    @rule(pick=PICK, who=WHO, choice=st.integers(0, 4))
    def accept_offer(self, pick: tuple[int, int], who: str, choice: int) -> None:
        session = self._pick(pick, SessionStatus.ALTERNATIVES_OFFERED)
        actor = self._actor(session, Role.CLIENT, who)
        alternatives = session.offer.alternatives if session.offer else ()
        chosen = alternatives[choice % len(alternatives)] if alternatives else None
        alternative_id = chosen.alternative_id if chosen else "none"
        accepted = self._attempt(lambda: self.service.answer_offer(actor, session.session_id, alternative_id))
        if accepted is not None:
            assert chosen is not None and (accepted.status, accepted.start) == (SessionStatus.CONFIRMED, chosen.start)
            assert accepted.start > self.clock.now(), "a client accepted a time that has already passed"

    @precondition(having(SessionStatus.ALTERNATIVES_OFFERED))
    @rule(pick=PICK, who=WHO)
    def reject_offer(self, pick: tuple[int, int], who: str) -> None:
        session = self._pick(pick, SessionStatus.ALTERNATIVES_OFFERED)
        actor = self._actor(session, Role.CLIENT, who)
        self._attempt(lambda: self.service.answer_offer(actor, session.session_id, None))

    @precondition(having())
    @rule(
        pick=PICK,
        who=st.sampled_from(("admin", "admin", "admin", "own", "counterpart")),
        slot=st.none() | st.integers(0, 1000),
        location_id=st.none() | st.sampled_from(("room", "video")),
        status=st.none() | st.sampled_from(list(SessionStatus)),
        reason=REASONS,
    )
    def admin_rearrange(
        self,
        pick: tuple[int, int],
        who: str,
        slot: int | None,
        location_id: str | None,
        status: SessionStatus | None,
        reason: RearrangeReason,
    ) -> None:
        session = self._pick(pick, *SessionStatus)
        actor = self._actor(session, Role.THERAPIST, who)
        start = None if slot is None else self._slot(session.end - session.start, slot)
        changed = self._attempt(
            lambda: self.service.admin_rearrange(
                actor,
                session.session_id,
                start=start,
                location_id=location_id,
                status=status,
                reason=reason,
                note="Fixed by the team",
            )
        )
        if changed is not None and reason.is_therapists_own:
            self._count_own(changed)

    # -- the platform: expiry, sweeper, time ------------------------------------------------

    @precondition(having(*OPEN))
    @rule(
        pick=PICK,
        right_change=st.integers(0, 5),
        policy=POLICIES,
        fire=st.sampled_from(("now", "at the deadline", "at the deadline", "a second late", "a minute late")),
    )
    def expire(self, pick: tuple[int, int], right_change: int, policy: OfferExpiryPolicy, fire: str) -> None:
        """The expiry schedule of a change fires: now (early), or at its deadline as scheduled, or late."""
        session = self._pick(pick, *OPEN)
        lateness = {"at the deadline": 0, "a second late": 1, "a minute late": 60}.get(fire)
        if session.due_at is not None and lateness is not None:
            self.clock.set(max(self.clock.now(), session.due_at + timedelta(seconds=lateness)))
        change_id = session.open_change_id if right_change else None
        before = self._snapshot()
        expired = self.services[policy].expire(session.session_id, change_id or "another-change")
        if expired is None:
            assert self._snapshot() == before, "an expiry that did nothing wrote something"
            return
        self.transitions += 1
        event(f"done: expiry to {expired.status}")
        assert session.due_at is not None and self.clock.now() >= session.due_at
        assert expired.open_change_id is None and expired.location == session.location
        question = session.offer or session.location_change
        assert question is not None
        if policy is OfferExpiryPolicy.REVERT_TO_ORIGINAL and not session.has_started(self.clock.now()):
            assert (expired.status, expired.start) == (question.previous_status, session.start)
        else:
            assert expired.status is SessionStatus.CANCELLED and expired.cancelled_by is Role.SYSTEM

    @rule(policy=POLICIES)
    def sweep(self, policy: OfferExpiryPolicy) -> None:
        report = self.services[policy].sweep()
        assert report.skipped == 0
        self.transitions += report.expired + report.completed
        event(f"sweep: {min(report.expired, 1)} expired, {min(report.completed, 1)} completed (0 or more)")
        assert list(InMemorySessions(self.store).list_due(self.clock.now(), 1000)) == [], "the sweep left something due"

    @rule(minutes=st.sampled_from((15, 60, 60, 180, 180, 720, 1440)))
    def advance_clock(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    @precondition(having(*OPEN))
    @rule(pick=PICK, seconds=st.sampled_from((-1, 0, 0, 1)))
    def advance_to_a_deadline(self, pick: tuple[int, int], seconds: int) -> None:
        """To just before, at or just after an open offer's or location change's deadline."""
        deadline = self._pick(pick, *OPEN).due_at
        if deadline is not None and deadline + timedelta(seconds=seconds) > self.clock.now():
            self.clock.set(deadline + timedelta(seconds=seconds))

    # -- blocks -------------------------------------------------------------------------------

    @rule(target=blocks, therapist_id=st.sampled_from(THERAPISTS), slot=st.integers(0, 1000), length=st.integers(1, 8))
    def add_block(self, therapist_id: str, slot: int, length: int) -> object:
        start = self._slot(timedelta(minutes=50), slot)
        before = self._snapshot()
        try:
            block = self.therapist_service.add_block(
                therapist(therapist_id), start, start + timedelta(minutes=UNIT_MINUTES * length), None
            )
        except DomainError:
            assert self._snapshot() == before
            return multiple()
        return (therapist_id, block.block_id)

    @rule(block=blocks)
    def remove_block(self, block: tuple[str, str]) -> None:
        therapist_id, block_id = block
        before = self._snapshot()
        try:
            self.therapist_service.delete_block(therapist(therapist_id), block_id)
        except DomainError:
            assert self._snapshot() == before

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def claims_are_exactly_the_active_sessions_open_offers_and_blocks(self) -> None:
        wanted: dict[tuple[str, datetime], tuple[ClaimKind, str]] = {}

        def want(therapist_id: str, start: datetime, end: datetime, kind: ClaimKind, owner: str) -> None:
            for unit in units(start, end):
                key = (therapist_id, unit)
                assert key not in wanted, f"{owner} ({kind}) and {wanted[key]} both want {therapist_id} at {unit}"
                wanted[key] = (kind, owner)

        for s in self.store.sessions.values():
            if s.status in ACTIVE_STATUSES:
                want(s.therapist_id, s.start, s.end, ClaimKind.SESSION, s.session_id)
            if s.status is SessionStatus.ALTERNATIVES_OFFERED:
                assert s.offer is not None
                for alternative in s.offer.alternatives:
                    want(s.therapist_id, alternative.start, alternative.end, ClaimKind.HOLD, s.session_id)
        for b in self.store.blocks.values():
            want(b.therapist_id, b.start, b.end, ClaimKind.BLOCK, b.block_id)

        actual = {}
        for key, claim in self.store.claims.items():
            assert key == (claim.therapist_id, claim.unit_start)
            actual[key] = (claim.kind, claim.owner_id)
        assert actual == wanted

    @invariant()
    def every_successful_transition_wrote_exactly_one_event(self) -> None:
        assert len(self.store.events) == self.transitions
        versions: dict[str, list[int]] = {}
        for event_id, written in self.store.events.items():
            assert event_id == written.event_id
            versions.setdefault(written.session_id, []).append(written.session_version)
        assert set(versions) == set(self.store.sessions)
        for session_id, session in self.store.sessions.items():
            assert sorted(versions[session_id]) == list(range(1, session.version + 1))

    @invariant()
    def ended_sessions_balance_their_money(self) -> None:
        for s in self.store.sessions.values():
            if s.status in ENDED:
                assert s.refund is not None and s.therapist_payout is not None and s.platform_commission is not None
                assert s.refund.amount + s.therapist_payout.amount + s.platform_commission.amount == s.price.amount
                assert {s.refund.currency, s.therapist_payout.currency, s.platform_commission.currency} == {
                    s.price.currency
                }
                assert min(s.refund.amount, s.therapist_payout.amount, s.platform_commission.amount) >= 0

    @invariant()
    def open_questions_match_the_status(self) -> None:
        for s in self.store.sessions.values():
            assert (s.offer is not None) == (s.status is SessionStatus.ALTERNATIVES_OFFERED)
            assert (s.location_change is not None) == (s.status is SessionStatus.AWAITING_CLIENT)

    @invariant()
    def own_reason_rearrangements_are_counted(self) -> None:
        assert self.store.own_rearrangements == {k: v for k, v in self.own_rearrangements.items() if v}

    @invariant()
    def one_free_consultation_per_client_and_therapist(self) -> None:
        holding = {
            (s.client_id, s.therapist_id): s.session_id
            for s in self.store.sessions.values()
            if s.initial_consultation and s.status not in GIVEN_UP
        }
        kept = [s for s in self.store.sessions.values() if s.initial_consultation and s.status not in GIVEN_UP]
        assert len(kept) == len(holding), "two free consultations with one therapist"
        assert self.store.free_consultations == holding


SessionMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("SESSION_MACHINE_EXAMPLES", "100")),
    stateful_step_count=int(os.environ.get("SESSION_MACHINE_STEPS", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestSessionStateMachine = SessionMachine.TestCase
