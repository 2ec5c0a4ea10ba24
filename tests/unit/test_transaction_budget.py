"""Every transition fits one DynamoDB transaction (at most 100 items), even in the worst cases.

The worst cases are a therapist's longest session (240 minutes: 16 units of 15 minutes) with
five alternatives on offer (80 held units): accepting, rejecting or expiring the offer, the team
moving or ending the offered session, and reinstating it. The in-memory store refuses a change of
more than 100 items as DynamoDB does (`TransactionTooLarge`, not a domain refusal), so a
transition over the budget fails these tests. Time given back beyond one transaction follows in
a second step; after it, the therapist's claims are exactly what the session still occupies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.clock import FakeClock
from tests.support.domain_data import ADMIN, CLIENT, NOW, OTHER_CLIENT, PROFILE, THERAPIST
from tests.support.fakes import InMemoryStore, InMemoryTherapists, RecordingSessions
from tests.unit.notifications.samples import session as sample_session
from therapy_booking.domain.calendar import claim_units
from therapy_booking.domain.changes import (
    TRANSACTION_ITEM_LIMIT,
    ClaimKind,
    SessionChange,
    StreakChange,
    within_budget,
)
from therapy_booking.domain.errors import Conflict, SlotUnavailable
from therapy_booking.domain.events import SessionCancelled
from therapy_booking.domain.model import (
    ACTIVE_STATUSES,
    Availability,
    Money,
    OfferExpiryPolicy,
    RearrangeReason,
    Role,
    Session,
    SessionStatus,
    SessionType,
    SessionTypeOffer,
    Therapist,
    Weekday,
    WeeklyWindow,
)
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.services import BookingRequest, SessionService

LONGEST = SessionTypeOffer(SessionType.FAMILY, 240, Money(20000, "GBP"))
LONG_PROFILE = replace(PROFILE, session_types=(LONGEST,), free_initial_consultation=True)
# Every day 08:00-20:00 London time (UTC in winter): 240-minute slots at 08:00, 12:00 and 16:00.
EVERY_DAY = Availability(
    weekly=tuple(WeeklyWindow(day, time(8), time(20)) for day in Weekday), min_notice_hours=1, horizon_days=30
)
SLOTS = [datetime(2026, 12, 1, hour, tzinfo=UTC) + timedelta(days=day) for day in range(10) for hour in (8, 12, 16)]
ATTENDEES = ("Sam", "Alex")
REASONS = list(RearrangeReason)


class Platform:
    """One therapist offering 240-minute sessions, on in-memory adapters that keep every change."""

    def __init__(
        self, policy: PlatformPolicy | None = None, store: type[RecordingSessions] = RecordingSessions
    ) -> None:
        self.store = InMemoryStore(therapists={"t1": Therapist("t1", LONG_PROFILE, EVERY_DAY)})
        self.clock = FakeClock(NOW)
        self.sessions = store(self.store)
        self.service = SessionService(
            self.sessions, InMemoryTherapists(self.store), self.clock, policy or PlatformPolicy()
        )

    def offered(self, start: datetime, alternatives: list[datetime], free: bool = False) -> Session:
        """A confirmed 240-minute session at `start` with `alternatives` on offer."""
        booking = BookingRequest("t1", start, SessionType.FAMILY, "room", ATTENDEES, initial_consultation=free)
        session = self.service.book(CLIENT, booking)
        self.service.confirm(THERAPIST, session.session_id)
        return self.service.offer_alternatives(THERAPIST, session.session_id, alternatives)

    def team_moves(
        self, session_id: str, start: datetime, reason: RearrangeReason = RearrangeReason.ERROR_CORRECTION
    ) -> Session:
        """The team moves the session to `start` (nothing else changed)."""
        return self.service.admin_rearrange(
            ADMIN, session_id, start=start, location_id=None, status=None, reason=reason, note="moved by the team"
        )

    def largest_transaction(self) -> int:
        return max(change.item_count for change in self.sessions.committed)

    def claims_of(self, session_id: str) -> dict[datetime, ClaimKind]:
        return {c.unit_start: c.kind for c in self.store.claims.values() if c.owner_id == session_id}


def occupied(session: Session) -> dict[datetime, ClaimKind]:
    """The units a session in this state must claim, and how."""
    wanted: dict[datetime, ClaimKind] = {}
    if session.status in ACTIVE_STATUSES:
        wanted |= dict.fromkeys(claim_units(session.start, session.end, 15), ClaimKind.SESSION)
    if session.offer is not None:
        for alternative in session.offer.alternatives:
            wanted |= dict.fromkeys(claim_units(alternative.start, alternative.end, 15), ClaimKind.HOLD)
    return wanted


ADMIN_STATUSES = [
    None,
    SessionStatus.PENDING,
    SessionStatus.CONFIRMED,
    SessionStatus.CANCELLED,
    SessionStatus.COMPLETED,
]
ACTIONS = ["accept", "reject", "expire", "admin", "admin_cancel_then_reinstate"]


@settings(max_examples=150, deadline=None)
@given(
    picks=st.lists(st.integers(0, len(SLOTS) - 1), min_size=6, max_size=6, unique=True),
    free=st.booleans(),
    action=st.sampled_from(ACTIONS),
    data=st.data(),
)
def test_every_transition_from_the_largest_offer_fits_one_transaction(
    picks: list[int], free: bool, action: str, data: st.DataObject
) -> None:
    # Given a confirmed 240-minute session with five 240-minute alternatives on offer
    policy = PlatformPolicy(offer_expiry_policy=data.draw(st.sampled_from(list(OfferExpiryPolicy))))
    platform = Platform(policy)
    start, *alternatives = (SLOTS[i] for i in picks)
    offered = platform.offered(start, alternatives, free=free)
    assert offered.offer is not None
    sid, reason, note = offered.session_id, data.draw(st.sampled_from(REASONS)), "fixed by the team"

    # When the client, the platform or the team acts on it
    if action == "accept":
        chosen = data.draw(st.sampled_from(offered.offer.alternatives))
        platform.service.answer_offer(CLIENT, sid, chosen.alternative_id)
    elif action == "reject":
        platform.service.answer_offer(CLIENT, sid, None)
    elif action == "expire":
        platform.clock.advance(timedelta(hours=24))
        platform.service.expire(sid, offered.offer.offer_id)
    elif action == "admin":
        target = data.draw(st.one_of(st.none(), st.sampled_from(SLOTS)))
        status = data.draw(st.sampled_from(ADMIN_STATUSES if target else ADMIN_STATUSES[1:]))
        platform.service.admin_rearrange(
            ADMIN, sid, start=target, location_id=None, status=status, reason=reason, note=note
        )
    else:
        for status in (SessionStatus.CANCELLED, SessionStatus.CONFIRMED):
            platform.service.admin_rearrange(
                ADMIN, sid, start=None, location_id=None, status=status, reason=reason, note=note
            )

    # Then no transaction held more than 100 items
    assert platform.largest_transaction() <= TRANSACTION_ITEM_LIMIT
    # And the therapist's claims are exactly what the session now occupies: nothing left behind
    session = platform.store.sessions[sid]
    assert session.releases_pending == ()
    assert platform.claims_of(sid) == occupied(session)


def test_the_team_moving_an_offered_longest_session_gives_back_the_rest_in_a_second_step() -> None:
    # Given a confirmed 240-minute session with five alternatives on offer (96 units claimed)
    platform = Platform()
    offered = platform.offered(SLOTS[0], SLOTS[1:6])
    assert len(platform.claims_of(offered.session_id)) == 96

    # When the team moves it to another time for the therapist's own reason (16 new units)
    moved = platform.team_moves(offered.session_id, SLOTS[9], RearrangeReason.THERAPIST_UNAVAILABLE)

    # Then the move itself was one transaction within the limit, leaving some releases pending
    move = platform.sessions.committed[-1]
    assert move.item_count <= TRANSACTION_ITEM_LIMIT
    assert move.session.releases_pending
    # And they were given back at once: only the new time is claimed, and nothing is pending
    assert platform.claims_of(offered.session_id) == dict.fromkeys(
        claim_units(SLOTS[9], moved.end, 15), ClaimKind.SESSION
    )
    assert platform.store.sessions[offered.session_id].releases_pending == ()


class CrashingGiveBack(RecordingSessions):
    """A store whose second step fails once, as a function crashing between the two writes would."""

    crashes = 1

    def give_back(self, session: Session, units: Iterable[datetime]) -> None:
        if self.crashes:
            self.crashes -= 1
            raise RuntimeError("the function stopped")
        super().give_back(session, units)


def test_time_left_pending_by_a_crash_is_never_double_booked_and_the_sweeper_gives_it_back() -> None:
    # Given the team's move of an offered 240-minute session, whose second step crashed
    platform = Platform(store=CrashingGiveBack)
    offered = platform.offered(SLOTS[0], SLOTS[1:6])
    moved = platform.team_moves(offered.session_id, SLOTS[9])
    pending = platform.store.sessions[moved.session_id].releases_pending
    assert pending, "the move left time to give back"
    freed_slot = max(s for s in SLOTS[1:6] if claim_units(s, s + timedelta(hours=4), 15)[-1] in pending)

    # When another client books the time that is still pending
    # Then it is refused: the time is not free until it has been given back
    with pytest.raises(SlotUnavailable):
        platform.service.book(OTHER_CLIENT, BookingRequest("t1", freed_slot, SessionType.FAMILY, "room", ATTENDEES))

    # When the sweeper runs
    report = platform.service.sweep()

    # Then it gave the time back, and the client can book it
    assert (report.released, report.failures) == (1, ())
    assert platform.claims_of(moved.session_id) == occupied(platform.store.sessions[moved.session_id])
    booked = platform.service.book(
        OTHER_CLIENT, BookingRequest("t1", freed_slot, SessionType.FAMILY, "room", ATTENDEES)
    )
    assert booked.status is SessionStatus.PENDING


class StaleRead(CrashingGiveBack):
    """A store whose second step fails once, and whose read returns an earlier copy of the session when
    told to, as a request that read it before the sweeper's give-back would see it."""

    stale: Session | None = None

    def get(self, session_id: str) -> Session | None:
        stale, self.stale = self.stale, None
        return stale or super().get(session_id)


def test_a_stale_change_that_takes_back_pending_time_keeps_it() -> None:
    # Given the team's move of an offered 240-minute session, whose second step crashed, so that the
    # last alternative's time is still pending release
    platform = Platform(store=StaleRead)
    offered = platform.offered(SLOTS[0], SLOTS[1:6])
    platform.team_moves(offered.session_id, SLOTS[9])
    read_before = platform.store.sessions[offered.session_id]
    assert read_before.releases_pending
    # And a request of the team that read the session then (pending list and all)
    assert isinstance(platform.sessions, StaleRead)
    platform.sessions.stale = read_before

    # When the sweeper gives the time back first, and that request then moves the session onto that very time
    assert platform.service.sweep().released == 1
    moved = platform.team_moves(offered.session_id, SLOTS[5])

    # Then the session holds all of its new time (the stale pending list gave none of it away)
    assert moved.start == SLOTS[5]
    assert platform.claims_of(offered.session_id) == occupied(platform.store.sessions[offered.session_id])
    assert platform.store.sessions[offered.session_id].releases_pending == ()


def test_a_change_that_would_pile_up_a_hundred_pending_units_is_refused() -> None:
    # Given a session with 95 units still pending release (its earlier give-backs keep failing)
    platform = Platform()
    offered = platform.offered(SLOTS[0], SLOTS[1:6])
    offer = platform.sessions.committed[-1]  # 83 items: the session, its event, 80 holds, the counter
    old_time = tuple(datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=15 * n) for n in range(95))
    session = replace(offered, releases_pending=old_time)
    # And a change of it that takes 80 units and gives back 30 (113 items: 13 more than one transaction holds)
    releases = tuple(
        replace(claim, unit_start=claim.unit_start - timedelta(days=7)) for claim in offer.claims_added[:30]
    )
    change = replace(offer, session=session, claims_released=releases)

    # When it is fitted to one transaction
    # Then it is refused rather than let the list reach 100 (the second step must stay one write)
    with pytest.raises(Conflict, match="still being released"):
        within_budget(change)
    # And without the earlier backlog the same change fits, leaving the 13 to the second step
    fitted = within_budget(replace(change, session=offered))
    assert (fitted.item_count, len(fitted.session.releases_pending)) == (TRANSACTION_ITEM_LIMIT, 13)


def test_a_change_that_would_touch_the_therapists_item_twice_is_refused_before_any_write() -> None:
    # Given a session's change that would both check the therapist's item (as a booking does) and count on it
    session = sample_session()
    cancelled = SessionCancelled(
        session_id=session.session_id,
        session_version=session.version,
        occurred_at=NOW,
        actor_role=Role.THERAPIST,
        actor_id="t1",
        was_confirmed=True,
        cancelled_by=Role.THERAPIST,
    )

    # When the change is built, then it is refused: DynamoDB refuses two operations on one item of a transaction
    with pytest.raises(ValueError, match="once"):
        SessionChange(
            session=session,
            expected_version=session.version - 1,
            event=cancelled,
            therapist_must_accept_bookings=True,
            cancellation_streak=StreakChange.counted(0, 5),
        )
