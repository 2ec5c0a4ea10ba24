"""Races around offers and location changes, decided by the store's conditions alone.

The in-memory fakes check every condition of a change at commit (the session's
version, the outbox event's id, that released and converted claims are still
the session's, that added claims are free). Here they sit behind one lock, so
each read and each commit runs alone, as DynamoDB serialises conflicting
transactions. Each racer runs in its own thread with its own clock: it loads
the session and decides with the pure rules, then waits at a barrier until
every racer has done the same, and only then commits. So every race is
load, load, commit, commit: nothing but the conditions picks the winner. A
random head start of up to a millisecond after the barrier makes either racer
commit first; the answer-versus-expiry races check that both outcomes occurred.

An accept racing the expiry of an offer loses on the version and on the claims
(the other racer released or converted them); agreeing to a location change
touches no claims, so that race is decided by the version (and event id) alone.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import pytest

from tests.support.clock import FakeClock
from tests.support.domain_data import (
    AVAILABILITY,
    CLIENT,
    NOW,
    OTHER_CLIENT,
    PROFILE,
    THERAPIST,
    WEDNESDAY_10,
    request,
)
from tests.support.fakes import InMemorySessions, InMemoryStore, InMemoryTherapists
from therapy_booking.domain.calendar import claim_units
from therapy_booking.domain.changes import Claim, ClaimKind, SessionChange
from therapy_booking.domain.errors import Conflict, SlotUnavailable
from therapy_booking.domain.events import EventType
from therapy_booking.domain.model import (
    Actor,
    Location,
    LocationKind,
    OfferExpiryPolicy,
    RearrangeReason,
    Role,
    Session,
    SessionStatus,
    Therapist,
)
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.ports import UnreadableItem
from therapy_booking.domain.services import SessionService, SweepReport

TRIALS = 100
WED_14 = WEDNESDAY_10 + timedelta(hours=4)
WED_15 = WEDNESDAY_10 + timedelta(hours=5)
DEADLINE = NOW + timedelta(hours=24)
THIRD_CLIENT = Actor("c3", frozenset({Role.CLIENT}))
VIDEO = Location("video", LocationKind.ONLINE, link="https://meet.example/t1")
BARRIER_SECONDS = 10.0


class Rendezvous:
    """Holds each racer's first commit until every racer has loaded the session and decided."""

    def __init__(self, parties: int) -> None:
        self._barrier = threading.Barrier(parties, timeout=BARRIER_SECONDS)
        self._racer = threading.local()

    def enter(self, delay: float) -> None:
        self._racer.waiting = True
        self._racer.delay = delay

    def before_commit(self) -> None:
        if getattr(self._racer, "waiting", False):
            self._racer.waiting = False  # a retry by the same racer commits at once
            self._barrier.wait()
            time.sleep(self._racer.delay)  # vary who reaches the lock first


class SerialSessions(InMemorySessions):
    def __init__(self, store: InMemoryStore, lock: threading.Lock, rendezvous: Rendezvous) -> None:
        super().__init__(store)
        self._lock = lock
        self._rendezvous = rendezvous

    def get(self, session_id: str) -> Session | None:
        with self._lock:
            return super().get(session_id)

    def get_with_therapist(self, session_id: str, therapist_id: str) -> tuple[Session | None, Therapist | None]:
        with self._lock:
            return self.store.sessions.get(session_id), self.store.therapists.get(therapist_id)

    def list_due(self, now: datetime, page_size: int) -> Iterator[Session | UnreadableItem]:
        with self._lock:
            due = list(super().list_due(now, page_size))
        yield from due

    def give_back(self, session: Session, units: Iterable[datetime]) -> None:
        with self._lock:
            super().give_back(session, units)

    def commit(self, change: SessionChange) -> None:
        self._rendezvous.before_commit()
        with self._lock:
            super().commit(change)


class SerialTherapists(InMemoryTherapists):
    def __init__(self, store: InMemoryStore, lock: threading.Lock) -> None:
        super().__init__(store)
        self._lock = lock

    def get(self, therapist_id: str) -> Therapist | None:
        with self._lock:
            return super().get(therapist_id)


@dataclass
class SerialStore:
    """One store, one lock, and a service per racer (each with its own clock)."""

    policy: PlatformPolicy = field(default_factory=PlatformPolicy)
    store: InMemoryStore = field(
        default_factory=lambda: InMemoryStore(therapists={"t1": Therapist("t1", PROFILE, AVAILABILITY)})
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        counter = iter(range(1, 10_000))
        self._ids: Callable[[], str] = lambda: f"id{next(counter)}"

    def service(self, now: datetime, rendezvous: Rendezvous | None = None) -> SessionService:
        return SessionService(
            SerialSessions(self.store, self.lock, rendezvous or Rendezvous(1)),
            SerialTherapists(self.store, self.lock),
            FakeClock(now),
            self.policy,
            ids=self._ids,
        )

    def offered(self) -> Session:
        """A confirmed Wednesday 10:00 session with 14:00 and 15:00 on offer until DEADLINE."""
        setup = self.service(NOW)
        session = setup.book(CLIENT, request(WEDNESDAY_10))
        setup.confirm(THERAPIST, session.session_id)
        return setup.offer_alternatives(THERAPIST, session.session_id, [WED_14, WED_15])


def race(rendezvous: Rendezvous, *calls: tuple[Callable[[], object], float]) -> list[object]:
    """Run each call in its own thread; the result of each, or the exception it raised."""
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object], delay: float) -> None:
        rendezvous.enter(delay)
        try:
            results[index] = call()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, call, delay)) for i, (call, delay) in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BARRIER_SECONDS * 2)
    assert not any(thread.is_alive() for thread in threads)
    assert not any(isinstance(r, threading.BrokenBarrierError) for r in results), results
    return results


def jitter(rng: random.Random) -> tuple[float, float]:
    """A head start of up to a millisecond for one racer or the other."""
    lead = rng.uniform(0, 0.001)
    return (0.0, lead) if rng.random() < 0.5 else (lead, 0.0)


def units(start: datetime) -> set[datetime]:
    return set(claim_units(start, start + timedelta(minutes=50), 15))


def claims_of(store: InMemoryStore) -> set[tuple[datetime, ClaimKind, str]]:
    return {(c.unit_start, c.kind, c.owner_id) for c in store.claims.values()}


def alternative_at(session: Session, start: datetime) -> str:
    assert session.offer is not None
    return next(a.alternative_id for a in session.offer.alternatives if a.start == start)


def accept_racing_expiry(rng: random.Random, policy: OfferExpiryPolicy) -> str:
    """One trial: the client's accept, decided just before the deadline, against the expiry just after it."""
    # Given an offer
    serial = SerialStore(PlatformPolicy(offer_expiry_policy=policy))
    offered = serial.offered()
    assert offered.offer is not None
    sid, offer_id, choice = offered.session_id, offered.offer.offer_id, alternative_at(offered, WED_15)
    events_before = len(serial.store.events)
    rendezvous = Rendezvous(2)
    client = serial.service(DEADLINE - timedelta(microseconds=rng.randint(1, 1_000_000)), rendezvous)
    system = serial.service(DEADLINE + timedelta(microseconds=rng.randint(0, 1_000_000)), rendezvous)
    accept_delay, expiry_delay = jitter(rng)

    # When both load the session and decide, and then commit together
    accepted, expired = race(
        rendezvous,
        (lambda: client.answer_offer(CLIENT, sid, choice), accept_delay),
        (lambda: system.expire(sid, offer_id), expiry_delay),
    )

    # Then exactly one of them took effect: a late accept is refused by the version condition,
    # a late expiry finds the offer answered and does nothing
    assert isinstance(accepted, Session) != isinstance(expired, Session), (accepted, expired)
    assert isinstance(accepted, Conflict) or expired is None, (accepted, expired)
    session = serial.store.sessions[sid]
    new_events = list(serial.store.events.values())[events_before:]
    assert len(new_events) == 1 and new_events[0].session_version == session.version
    assert session.offer is None
    if isinstance(accepted, Session):
        outcome = "accepted"
        assert session.status is SessionStatus.CONFIRMED and session.start == WED_15
        assert new_events[0].event_type is EventType.OFFER_ACCEPTED
        assert claims_of(serial.store) == {(u, ClaimKind.SESSION, sid) for u in units(WED_15)}
    else:
        outcome = "expired"
        assert new_events[0].event_type is EventType.OFFER_EXPIRED
        if policy is OfferExpiryPolicy.CANCEL_AND_REFUND:
            assert session.status is SessionStatus.CANCELLED and session.cancelled_by is Role.SYSTEM
            assert session.refund == session.price and claims_of(serial.store) == set()
        else:
            assert session.status is SessionStatus.CONFIRMED and session.start == WEDNESDAY_10
            assert claims_of(serial.store) == {(u, ClaimKind.SESSION, sid) for u in units(WEDNESDAY_10)}
    # And the expiry delivered again (the scheduler's retry after a conflict) finds nothing left to do
    assert system.expire(sid, offer_id) is None
    assert len(serial.store.events) == events_before + 1
    return outcome


@pytest.mark.parametrize("policy", list(OfferExpiryPolicy))
def test_an_accept_and_the_expiry_racing_for_one_offer_have_exactly_one_outcome(policy: OfferExpiryPolicy) -> None:
    rng = random.Random(f"accept-vs-expiry-{policy}")
    outcomes = Counter(accept_racing_expiry(rng, policy) for _ in range(TRIALS))
    assert outcomes["accepted"] > 0 and outcomes["expired"] > 0, outcomes  # both orders were exercised


def location_answer_racing_expiry(rng: random.Random, policy: OfferExpiryPolicy) -> str:
    """One trial: the client agreeing to a location change just before its deadline, against its expiry.

    Agreeing touches no claims (and neither does reverting), so the session's version alone decides.
    """
    serial = SerialStore(PlatformPolicy(offer_expiry_policy=policy))
    serial.store.therapists["t1"] = replace(
        serial.store.therapists["t1"], profile=replace(PROFILE, locations=(*PROFILE.locations, VIDEO))
    )
    setup = serial.service(NOW)
    session = setup.confirm(THERAPIST, setup.book(CLIENT, request(WEDNESDAY_10)).session_id)
    waiting = setup.change_location(THERAPIST, session.session_id, "video", RearrangeReason.THERAPIST_UNAVAILABLE)
    assert waiting.location_change is not None
    sid, change_id = waiting.session_id, waiting.location_change.change_id
    events_before = len(serial.store.events)
    rendezvous = Rendezvous(2)
    client = serial.service(DEADLINE - timedelta(microseconds=rng.randint(1, 1_000_000)), rendezvous)
    system = serial.service(DEADLINE + timedelta(microseconds=rng.randint(0, 1_000_000)), rendezvous)
    accept_delay, expiry_delay = jitter(rng)

    agreed, expired = race(
        rendezvous,
        (lambda: client.answer_location_change(CLIENT, sid, accept=True), accept_delay),
        (lambda: system.expire(sid, change_id), expiry_delay),
    )

    assert isinstance(agreed, Session) != isinstance(expired, Session), (agreed, expired)
    assert isinstance(agreed, Conflict) or expired is None, (agreed, expired)
    stored = serial.store.sessions[sid]
    new_events = list(serial.store.events.values())[events_before:]
    assert len(new_events) == 1 and new_events[0].session_version == stored.version
    assert stored.location_change is None
    if isinstance(agreed, Session):
        assert new_events[0].event_type is EventType.LOCATION_CHANGE_ACCEPTED
        assert (stored.status, stored.location) == (SessionStatus.CONFIRMED, VIDEO)
    else:
        assert new_events[0].event_type is EventType.LOCATION_CHANGE_EXPIRED
        cancelled = policy is OfferExpiryPolicy.CANCEL_AND_REFUND
        assert stored.status is (SessionStatus.CANCELLED if cancelled else SessionStatus.CONFIRMED)
        assert stored.location == PROFILE.locations[0]
    assert system.expire(sid, change_id) is None
    assert len(serial.store.events) == events_before + 1
    return "agreed" if isinstance(agreed, Session) else "expired"


@pytest.mark.parametrize("policy", list(OfferExpiryPolicy))
def test_agreeing_to_a_location_change_and_its_expiry_racing_have_exactly_one_outcome(
    policy: OfferExpiryPolicy,
) -> None:
    rng = random.Random(f"location-vs-expiry-{policy}")
    outcomes = Counter(location_answer_racing_expiry(rng, policy) for _ in range(TRIALS))
    assert outcomes["agreed"] > 0 and outcomes["expired"] > 0, outcomes


def two_clients_booking(serial: SerialStore, rng: random.Random, start: datetime) -> list[object]:
    rendezvous = Rendezvous(2)
    first, second = serial.service(NOW, rendezvous), serial.service(NOW, rendezvous)
    delays = jitter(rng)
    return race(
        rendezvous,
        (lambda: first.book(OTHER_CLIENT, request(start)), delays[0]),
        (lambda: second.book(THIRD_CLIENT, request(start)), delays[1]),
    )


def test_two_clients_booking_a_held_alternative_are_both_refused() -> None:
    rng = random.Random("held-alternative")
    for _ in range(TRIALS // 4):
        serial = SerialStore()
        serial.offered()
        before = (dict(serial.store.sessions), dict(serial.store.claims), dict(serial.store.events))
        results = two_clients_booking(serial, rng, WED_14)
        assert all(isinstance(r, SlotUnavailable) for r in results), results
        assert (dict(serial.store.sessions), dict(serial.store.claims), dict(serial.store.events)) == before


def test_two_clients_booking_an_alternative_released_by_an_accept_one_wins() -> None:
    rng = random.Random("released-alternative")
    for _ in range(TRIALS // 4):
        serial = SerialStore()
        offered = serial.offered()
        serial.service(NOW).answer_offer(CLIENT, offered.session_id, alternative_at(offered, WED_15))
        results = two_clients_booking(serial, rng, WED_14)
        winners = [r for r in results if isinstance(r, Session)]
        assert len(winners) == 1 and sum(isinstance(r, SlotUnavailable) for r in results) == 1, results
        assert {c.owner_id for c in serial.store.claims.values() if c.unit_start in units(WED_14)} == {
            winners[0].session_id
        }


def expiry_delivered_twice(rng: random.Random, policy: OfferExpiryPolicy, second_by: str) -> None:
    """One trial: the schedule's expiry against a second delivery of it, or against the sweeper."""
    serial = SerialStore(PlatformPolicy(offer_expiry_policy=policy))
    offered = serial.offered()
    assert offered.offer is not None
    sid, offer_id = offered.session_id, offered.offer.offer_id
    events_before = len(serial.store.events)
    rendezvous = Rendezvous(2)
    one = serial.service(DEADLINE + timedelta(microseconds=rng.randint(0, 1000)), rendezvous)
    other = serial.service(DEADLINE + timedelta(microseconds=rng.randint(0, 1000)), rendezvous)
    delays = jitter(rng)
    second: Callable[[], object] = (lambda: other.expire(sid, offer_id)) if second_by == "schedule" else other.sweep
    first_result, second_result = race(rendezvous, (lambda: one.expire(sid, offer_id), delays[0]), (second, delays[1]))

    # Exactly one expiry took effect; the other lost on the version condition and, finding the
    # offer already expired, quietly did nothing (no error for Lambda to retry)
    if second_by == "schedule":
        assert isinstance(first_result, Session) != isinstance(second_result, Session)
        assert first_result is None or second_result is None
    else:
        assert isinstance(second_result, SweepReport)
        won_by_sweeper = second_result == SweepReport(expired=1)
        assert won_by_sweeper or second_result == SweepReport(skipped=1), second_result
        assert first_result is None if won_by_sweeper else isinstance(first_result, Session), first_result
    new_events = list(serial.store.events.values())[events_before:]
    assert [e.event_type for e in new_events] == [EventType.OFFER_EXPIRED]
    session = serial.store.sessions[sid]
    assert session.offer is None and session.version == new_events[0].session_version
    expected_claims = (
        set()
        if policy is OfferExpiryPolicy.CANCEL_AND_REFUND
        else {Claim("t1", u, ClaimKind.SESSION, sid) for u in units(WEDNESDAY_10)}
    )
    assert set(serial.store.claims.values()) == expected_claims
    # A third delivery finds nothing
    assert one.expire(sid, offer_id) is None and other.sweep() == SweepReport()
    assert len(serial.store.events) == events_before + 1


class TestExpiryDeliveredTwice:
    def test_sequentially_the_second_delivery_does_nothing(self) -> None:
        serial = SerialStore()
        offered = serial.offered()
        assert offered.offer is not None
        events_before = len(serial.store.events)
        system = serial.service(DEADLINE)
        first = system.expire(offered.session_id, offered.offer.offer_id)
        after_first = (dict(serial.store.sessions), dict(serial.store.claims), dict(serial.store.events))
        second = system.expire(offered.session_id, offered.offer.offer_id)
        assert first is not None and first.status is SessionStatus.CANCELLED and second is None
        assert len(serial.store.events) == events_before + 1
        assert (dict(serial.store.sessions), dict(serial.store.claims), dict(serial.store.events)) == after_first

    @pytest.mark.parametrize("policy", list(OfferExpiryPolicy))
    @pytest.mark.parametrize("second_by", ["schedule", "sweeper"])
    def test_concurrently_one_outcome_and_one_event(self, policy: OfferExpiryPolicy, second_by: str) -> None:
        rng = random.Random(f"expiry-twice-{policy}-{second_by}")
        for _ in range(TRIALS // 2):
            expiry_delivered_twice(rng, policy, second_by)
