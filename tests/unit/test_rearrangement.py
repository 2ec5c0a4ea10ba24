"""Rearranging booked sessions on in-memory adapters: moves, location changes, offers of
alternative times, the client's answers, expiry, completion and the team's fixes.

Each test says what the transition claims and releases: `store.claims` maps a
therapist's time unit to the claim that owns it (kind `session`, `hold` or `block`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.clock import FakeClock
from tests.support.domain_data import ADMIN, CLIENT, NOW, OTHER_CLIENT, PROFILE, THERAPIST, WEDNESDAY_10, request
from tests.support.fakes import InMemoryStore, InMemoryTherapists, RecordingSessions
from therapy_booking.domain import events
from therapy_booking.domain.calendar import claim_units
from therapy_booking.domain.changes import Claim, ClaimKind
from therapy_booking.domain.errors import (
    Forbidden,
    FreeConsultationUsed,
    InvalidTransition,
    NotFound,
    OfferAlreadyOpen,
    OfferExpired,
    SessionInPast,
    SlotUnavailable,
    ValidationFailed,
)
from therapy_booking.domain.events import EventType
from therapy_booking.domain.model import (
    Actor,
    Block,
    Location,
    LocationKind,
    Money,
    OfferExpiryPolicy,
    RearrangeReason,
    Role,
    Session,
    SessionStatus,
)
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.services import SessionService

ROOM = PROFILE.locations[0]
VIDEO = Location("video", LocationKind.ONLINE, link="https://meet.example/t1")
OTHER_THERAPIST = Actor("t2", frozenset({Role.THERAPIST}))
STRANGERS = (OTHER_CLIENT, OTHER_THERAPIST)
DEADLINE = NOW + timedelta(hours=24)  # of an offer or location change made at NOW (a whole second)
PRICE = Money(6000, "GBP")
ZERO = Money(0, "GBP")

WED_12 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
WED_14 = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
WED_15 = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
TUE_14 = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def units(start: datetime, minutes: int = 50) -> set[datetime]:
    return set(claim_units(start, start + timedelta(minutes=minutes), 15))


def claimed(store: InMemoryStore, owner: str) -> dict[ClaimKind, set[datetime]]:
    """The units `owner` holds, by kind of claim."""
    by_kind: dict[ClaimKind, set[datetime]] = {}
    for (therapist_id, unit), claim in store.claims.items():
        assert therapist_id == claim.therapist_id and unit == claim.unit_start
        if claim.owner_id == owner:
            by_kind.setdefault(claim.kind, set()).add(unit)
    return by_kind


def snapshot(store: InMemoryStore) -> tuple[object, ...]:
    return (
        dict(store.sessions),
        dict(store.claims),
        dict(store.events),
        dict(store.free_consultations),
        dict(store.own_rearrangements),
    )


def event_types(store: InMemoryStore) -> list[EventType]:
    return [e.event_type for e in store.events.values()]


@pytest.fixture
def policy() -> PlatformPolicy:
    return PlatformPolicy()


@pytest.fixture
def sessions(store: InMemoryStore) -> RecordingSessions:
    store.therapists["t1"] = replace(store.therapists["t1"], profile=replace(PROFILE, locations=(ROOM, VIDEO)))
    return RecordingSessions(store)


@pytest.fixture
def service(
    sessions: RecordingSessions, store: InMemoryStore, clock: FakeClock, policy: PlatformPolicy
) -> SessionService:
    counter = iter(range(1, 1000))
    return SessionService(sessions, InMemoryTherapists(store), clock, policy, ids=lambda: f"id{next(counter)}")


def book(service: SessionService, start: datetime = WEDNESDAY_10, client: Actor = CLIENT, **changes: object) -> Session:
    return service.book(client, request(start, **changes))


def booked_and_confirmed(service: SessionService, start: datetime = WEDNESDAY_10) -> Session:
    return service.confirm(THERAPIST, book(service, start).session_id)


def offered(service: SessionService, *starts: datetime, confirm: bool = True) -> Session:
    session = booked_and_confirmed(service) if confirm else book(service)
    return service.offer_alternatives(THERAPIST, session.session_id, list(starts or (WED_14, WED_15)))


def alternative_at(session: Session, start: datetime) -> str:
    assert session.offer is not None
    return next(a.alternative_id for a in session.offer.alternatives if a.start == start)


class TestReschedule:
    def test_moving_to_the_time_it_already_has_is_invalid(self, service: SessionService, store: InMemoryStore) -> None:
        session = book(service)
        before = snapshot(store)
        with pytest.raises(ValidationFailed, match="already starts at that time"):
            service.reschedule(THERAPIST, session.session_id, WEDNESDAY_10, RearrangeReason.CLIENT_REQUESTED)
        assert snapshot(store) == before

    @pytest.mark.parametrize("reason", [RearrangeReason.CLIENT_REQUESTED, RearrangeReason.ERROR_CORRECTION])
    def test_moves_at_once_confirmed_releasing_the_old_units_and_claiming_the_new_in_one_change(
        self, service: SessionService, sessions: RecordingSessions, store: InMemoryStore, reason: RearrangeReason
    ) -> None:
        # Given a pending booking on Wednesday at 10:00
        session = book(service)
        # When the therapist moves it to 14:00
        moved = service.reschedule(THERAPIST, session.session_id, WED_14, reason)
        # Then it is confirmed at 14:00 for the same length, at once
        assert moved.status is SessionStatus.CONFIRMED and moved.version == 2
        assert (moved.start, moved.end) == (WED_14, WED_14 + timedelta(minutes=50))
        # And one change released the old four units and claimed the new four
        change = sessions.committed[-1]
        assert {c.unit_start for c in change.claims_released} == units(WEDNESDAY_10)
        assert {c.unit_start for c in change.claims_added} == units(WED_14)
        assert claimed(store, session.session_id) == {ClaimKind.SESSION: units(WED_14)}
        assert len(store.claims) == 4
        assert event_types(store)[-1] is EventType.SESSION_RESCHEDULED and len(store.events) == 2
        # And it does not count against the therapist
        assert store.own_rearrangements == {}

    def test_a_move_overlapping_its_own_old_time_keeps_the_shared_units(
        self, service: SessionService, sessions: RecordingSessions, store: InMemoryStore
    ) -> None:
        # Given a confirmed session 10:00-10:50 (units 10:00, 10:15, 10:30, 10:45)
        session = booked_and_confirmed(service)
        shared = {u: store.claims[("t1", u)] for u in units(WEDNESDAY_10) & units(WEDNESDAY_10 + timedelta(minutes=30))}
        # When it moves half an hour later, 10:30-11:20
        later = WEDNESDAY_10 + timedelta(minutes=30)
        service.reschedule(THERAPIST, session.session_id, later, RearrangeReason.ERROR_CORRECTION)
        # Then only 10:00 and 10:15 are released and only 11:00 and 11:15 are claimed
        change = sessions.committed[-1]
        assert {c.unit_start for c in change.claims_released} == {WEDNESDAY_10, WEDNESDAY_10 + timedelta(minutes=15)}
        assert {c.unit_start for c in change.claims_added} == {
            WEDNESDAY_10 + timedelta(hours=1),
            WEDNESDAY_10 + timedelta(hours=1, minutes=15),
        }
        # And the shared units are the very same claims, never deleted and re-added
        assert all(store.claims[("t1", u)] is claim for u, claim in shared.items())
        assert claimed(store, session.session_id) == {ClaimKind.SESSION: units(later)}

    def test_a_move_onto_another_session_or_a_block_is_refused_and_changes_nothing(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        session = booked_and_confirmed(service)
        book(service, WED_14, OTHER_CLIENT)
        block = Block("b1", "t1", WED_12, WED_12 + timedelta(minutes=15))
        InMemoryTherapists(store).add_block(block, (Claim("t1", WED_12, ClaimKind.BLOCK, "b1"),))
        before = snapshot(store)
        for start in (WED_14 + timedelta(minutes=30), WED_12 - timedelta(minutes=30)):
            with pytest.raises(SlotUnavailable):
                service.reschedule(THERAPIST, session.session_id, start, RearrangeReason.CLIENT_REQUESTED)
        assert snapshot(store) == before

    @pytest.mark.parametrize(
        ("start", "reason", "message"),
        [
            (WED_14, RearrangeReason.THERAPIST_UNAVAILABLE, "offer alternative times"),
            (WED_14 + timedelta(minutes=10), RearrangeReason.CLIENT_REQUESTED, "15-minute boundary"),
            (NOW - timedelta(hours=1), RearrangeReason.CLIENT_REQUESTED, "in the future"),
            (NOW, RearrangeReason.CLIENT_REQUESTED, "in the future"),
        ],
    )
    def test_bad_input_is_invalid(
        self, service: SessionService, store: InMemoryStore, start: datetime, reason: RearrangeReason, message: str
    ) -> None:
        session = book(service)
        before = snapshot(store)
        with pytest.raises(ValidationFailed, match=message):
            service.reschedule(THERAPIST, session.session_id, start, reason)
        assert snapshot(store) == before

    def test_only_the_sessions_therapist_may_move_it(self, service: SessionService, store: InMemoryStore) -> None:
        session = book(service)
        before = snapshot(store)
        for insider in (CLIENT, ADMIN):
            with pytest.raises(Forbidden):
                service.reschedule(insider, session.session_id, WED_14, RearrangeReason.CLIENT_REQUESTED)
        for stranger in STRANGERS:
            with pytest.raises(NotFound):
                service.reschedule(stranger, session.session_id, WED_14, RearrangeReason.CLIENT_REQUESTED)
        with pytest.raises(NotFound):
            service.reschedule(THERAPIST, "no-such-session", WED_14, RearrangeReason.CLIENT_REQUESTED)
        assert snapshot(store) == before

    def test_a_session_whose_start_has_passed_cannot_be_moved(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock
    ) -> None:
        session = booked_and_confirmed(service)
        clock.set(WEDNESDAY_10)
        with pytest.raises(SessionInPast, match="contact the team"):
            service.reschedule(THERAPIST, session.session_id, WED_14, RearrangeReason.CLIENT_REQUESTED)

    def test_ended_or_waiting_sessions_cannot_be_moved(self, service: SessionService) -> None:
        cancelled = book(service)
        service.cancel(CLIENT, cancelled.session_id, None)
        with pytest.raises(InvalidTransition):
            service.reschedule(THERAPIST, cancelled.session_id, WED_14, RearrangeReason.CLIENT_REQUESTED)
        waiting = booked_and_confirmed(service, WED_15)
        service.change_location(THERAPIST, waiting.session_id, "video", RearrangeReason.THERAPIST_UNAVAILABLE)
        with pytest.raises(InvalidTransition):
            service.reschedule(THERAPIST, waiting.session_id, WED_14, RearrangeReason.CLIENT_REQUESTED)

    def test_an_open_offer_blocks_the_move(self, service: SessionService) -> None:
        session = offered(service)
        with pytest.raises(OfferAlreadyOpen):
            service.reschedule(THERAPIST, session.session_id, WED_12, RearrangeReason.CLIENT_REQUESTED)


class TestChangeLocation:
    @pytest.mark.parametrize("reason", [RearrangeReason.CLIENT_REQUESTED, RearrangeReason.ERROR_CORRECTION])
    def test_on_the_clients_behalf_it_is_immediate_and_confirmed(
        self, service: SessionService, store: InMemoryStore, reason: RearrangeReason
    ) -> None:
        session = book(service)
        changed = service.change_location(THERAPIST, session.session_id, "video", reason)
        assert changed.status is SessionStatus.CONFIRMED and changed.location == VIDEO
        assert changed.location_change is None
        assert claimed(store, session.session_id) == {ClaimKind.SESSION: units(WEDNESDAY_10)}
        assert event_types(store)[-1] is EventType.LOCATION_CHANGED and len(store.events) == 2
        assert store.own_rearrangements == {}

    def test_for_the_therapists_own_reasons_the_client_must_agree_within_24_hours(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        # Given a confirmed session in the room
        session = booked_and_confirmed(service)
        # When the therapist moves it online because they cannot be there
        waiting = service.change_location(THERAPIST, session.session_id, "video", RearrangeReason.THERAPIST_UNAVAILABLE)
        # Then the client is asked: the session stays in the room with the new location pending for 24 hours
        assert waiting.status is SessionStatus.AWAITING_CLIENT and waiting.location == ROOM
        change = waiting.location_change
        assert change is not None
        assert (change.location, change.expires_at, change.previous_status) == (
            VIDEO,
            DEADLINE,
            SessionStatus.CONFIRMED,
        )
        assert waiting.open_change_id == change.change_id and waiting.due_at == DEADLINE
        # And its time stays claimed, one event is written and the therapist's own rearrangements go up
        assert claimed(store, session.session_id) == {ClaimKind.SESSION: units(WEDNESDAY_10)}
        assert event_types(store)[-1] is EventType.LOCATION_CHANGE_REQUESTED and len(store.events) == 3
        assert store.own_rearrangements == {"t1": 1}

    def test_the_deadline_is_rounded_up_to_a_whole_second(self, service: SessionService, clock: FakeClock) -> None:
        session = book(service)
        clock.set(NOW + timedelta(microseconds=1))
        waiting = service.change_location(THERAPIST, session.session_id, "video", RearrangeReason.THERAPIST_UNAVAILABLE)
        assert waiting.location_change is not None
        assert waiting.location_change.expires_at == DEADLINE + timedelta(seconds=1)

    def test_accepting_confirms_at_the_new_location(self, service: SessionService, store: InMemoryStore) -> None:
        session = book(service)  # pending: agreeing confirms it
        service.change_location(THERAPIST, session.session_id, "video", RearrangeReason.THERAPIST_UNAVAILABLE)
        accepted = service.answer_location_change(CLIENT, session.session_id, accept=True)
        assert accepted.status is SessionStatus.CONFIRMED and accepted.location == VIDEO
        assert accepted.location_change is None and accepted.due_at == accepted.end
        assert claimed(store, session.session_id) == {ClaimKind.SESSION: units(WEDNESDAY_10)}
        assert event_types(store)[-1] is EventType.LOCATION_CHANGE_ACCEPTED and len(store.events) == 3

    def test_rejecting_cancels_refunds_in_full_and_releases_the_time(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        session = booked_and_confirmed(service)
        service.change_location(THERAPIST, session.session_id, "video", RearrangeReason.THERAPIST_UNAVAILABLE)
        rejected = service.answer_location_change(CLIENT, session.session_id, accept=False)
        assert rejected.status is SessionStatus.CANCELLED and rejected.cancelled_by is Role.CLIENT
        assert rejected.location == ROOM and rejected.location_change is None
        assert (rejected.refund, rejected.therapist_payout, rejected.platform_commission) == (PRICE, ZERO, ZERO)
        assert store.claims == {}
        assert event_types(store)[-1] is EventType.LOCATION_CHANGE_REJECTED and len(store.events) == 4
        assert book(service, client=OTHER_CLIENT).status is SessionStatus.PENDING

    def test_answers_at_or_after_the_deadline_are_refused_even_before_the_expiry_runs(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock
    ) -> None:
        session = booked_and_confirmed(service)
        service.change_location(THERAPIST, session.session_id, "video", RearrangeReason.THERAPIST_UNAVAILABLE)
        before = snapshot(store)
        for late in (DEADLINE, DEADLINE + timedelta(hours=1)):
            clock.set(late)
            for accept in (True, False):
                with pytest.raises(OfferExpired):
                    service.answer_location_change(CLIENT, session.session_id, accept=accept)
        assert snapshot(store) == before
        clock.set(DEADLINE - timedelta(microseconds=1))
        assert service.answer_location_change(CLIENT, session.session_id, accept=True).location == VIDEO

    def test_only_the_client_answers_and_only_what_was_asked(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        session = booked_and_confirmed(service)
        with pytest.raises(InvalidTransition):
            service.answer_location_change(CLIENT, session.session_id, accept=True)
        service.change_location(THERAPIST, session.session_id, "video", RearrangeReason.THERAPIST_UNAVAILABLE)
        before = snapshot(store)
        for insider in (THERAPIST, ADMIN):
            with pytest.raises(Forbidden):
                service.answer_location_change(insider, session.session_id, accept=True)
        for stranger in STRANGERS:
            with pytest.raises(NotFound):
                service.answer_location_change(stranger, session.session_id, accept=False)
        with pytest.raises(InvalidTransition):  # a location change is answered here, not through the offer route
            service.answer_offer(CLIENT, session.session_id, None)
        with pytest.raises(InvalidTransition):  # and only once
            service.change_location(THERAPIST, session.session_id, "room", RearrangeReason.CLIENT_REQUESTED)
        assert snapshot(store) == before

    @pytest.mark.parametrize(
        ("location_id", "message"), [("nowhere", "not one of this therapist's locations"), ("room", "already")]
    )
    def test_unknown_or_unchanged_locations_are_invalid(
        self, service: SessionService, store: InMemoryStore, location_id: str, message: str
    ) -> None:
        session = book(service)
        before = snapshot(store)
        with pytest.raises(ValidationFailed, match=message):
            service.change_location(THERAPIST, session.session_id, location_id, RearrangeReason.CLIENT_REQUESTED)
        assert snapshot(store) == before

    def test_only_the_sessions_therapist_may_change_it_and_not_once_started(
        self, service: SessionService, clock: FakeClock
    ) -> None:
        session = booked_and_confirmed(service)
        for insider in (CLIENT, ADMIN):
            with pytest.raises(Forbidden):
                service.change_location(insider, session.session_id, "video", RearrangeReason.CLIENT_REQUESTED)
        for stranger in STRANGERS:
            with pytest.raises(NotFound):
                service.change_location(stranger, session.session_id, "video", RearrangeReason.CLIENT_REQUESTED)
        clock.set(WEDNESDAY_10 + timedelta(minutes=5))
        with pytest.raises(SessionInPast):
            service.change_location(THERAPIST, session.session_id, "video", RearrangeReason.ERROR_CORRECTION)


class TestOffers:
    def test_an_offer_holds_each_alternative_and_keeps_the_original(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        # When the therapist offers Wednesday 15:00 and 14:00 instead of 10:00
        session = offered(service, WED_15, WED_14)
        # Then the client has 24 hours to pick one, in time order
        assert session.status is SessionStatus.ALTERNATIVES_OFFERED and session.start == WEDNESDAY_10
        offer = session.offer
        assert offer is not None
        assert [a.start for a in offer.alternatives] == [WED_14, WED_15]
        assert all(a.end - a.start == timedelta(minutes=50) for a in offer.alternatives)
        assert offer.expires_at == DEADLINE and offer.previous_status is SessionStatus.CONFIRMED
        assert session.open_change_id == offer.offer_id and session.due_at == DEADLINE
        # And both alternatives are held for the session while its original time stays claimed
        assert claimed(store, session.session_id) == {
            ClaimKind.SESSION: units(WEDNESDAY_10),
            ClaimKind.HOLD: units(WED_14) | units(WED_15),
        }
        assert len(store.claims) == 12
        assert event_types(store)[-1] is EventType.ALTERNATIVES_OFFERED and len(store.events) == 3
        offer_made = store.events[f"{session.session_id}/3"]
        assert isinstance(offer_made, events.AlternativesOffered) and offer_made.change_id == offer.offer_id
        assert store.own_rearrangements == {"t1": 1}

    def test_five_alternatives_is_the_most(self, service: SessionService, store: InMemoryStore) -> None:
        five = [WED_12 + timedelta(hours=h) for h in range(5)]
        session = offered(service, *five)
        assert session.offer is not None and len(session.offer.alternatives) == 5
        other = booked_and_confirmed(service, TUE_14)
        before = snapshot(store)
        six = [TUE_14 - timedelta(hours=h) for h in range(1, 6)] + [TUE_14 + timedelta(hours=1)]
        with pytest.raises(ValidationFailed, match="between 1 and 5"):
            service.offer_alternatives(THERAPIST, other.session_id, six)
        with pytest.raises(ValidationFailed, match="between 1 and 5"):
            service.offer_alternatives(THERAPIST, other.session_id, [])
        assert snapshot(store) == before

    @pytest.mark.parametrize(
        ("starts", "message"),
        [
            ([datetime(2026, 12, 3, 10, 0, tzinfo=UTC)], "not one of the therapist's available slots"),  # Thursday
            ([WED_14 + timedelta(minutes=15)], "not one of the therapist's available slots"),  # off the slot grid
            ([datetime(2026, 12, 2, 17, 0, tzinfo=UTC)], "not one of the therapist's available slots"),  # after hours
            ([datetime(2026, 11, 30, 15, 0, tzinfo=UTC)], "not one of the therapist's available slots"),  # notice
            ([datetime(2027, 1, 4, 10, 0, tzinfo=UTC)], "not one of the therapist's available slots"),  # horizon
            ([WED_14, WED_14], "must not overlap each other"),
            ([WEDNESDAY_10], "must not overlap the session's current time"),
        ],
    )
    def test_alternatives_must_be_bookable_distinct_and_away_from_the_current_time(
        self, service: SessionService, store: InMemoryStore, starts: list[datetime], message: str
    ) -> None:
        session = booked_and_confirmed(service)
        before = snapshot(store)
        with pytest.raises(ValidationFailed, match=message):
            service.offer_alternatives(THERAPIST, session.session_id, starts)
        assert snapshot(store) == before

    def test_an_alternative_that_is_taken_is_refused_and_nothing_is_held(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        session = booked_and_confirmed(service)
        book(service, WED_15, OTHER_CLIENT)
        before = snapshot(store)
        with pytest.raises(SlotUnavailable):
            service.offer_alternatives(THERAPIST, session.session_id, [WED_14, WED_15])
        assert snapshot(store) == before

    def test_a_held_alternative_cannot_be_booked_by_anyone_else(self, service: SessionService) -> None:
        offered(service)
        for start in (WED_14, WED_15, WEDNESDAY_10):
            with pytest.raises(SlotUnavailable):
                book(service, start, OTHER_CLIENT)

    def test_an_offer_cannot_be_replaced_edited_or_withdrawn(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        session = offered(service)
        before = snapshot(store)
        with pytest.raises(OfferAlreadyOpen):
            service.offer_alternatives(THERAPIST, session.session_id, [WED_12])
        with pytest.raises(OfferAlreadyOpen):
            service.change_location(THERAPIST, session.session_id, "video", RearrangeReason.CLIENT_REQUESTED)
        with pytest.raises(InvalidTransition):
            service.cancel(THERAPIST, session.session_id, None)
        with pytest.raises(InvalidTransition):  # the client answers the offer instead
            service.cancel(CLIENT, session.session_id, None)
        assert snapshot(store) == before

    def test_only_the_sessions_therapist_offers_and_not_once_started_or_ended(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock
    ) -> None:
        session = booked_and_confirmed(service)
        for insider in (CLIENT, ADMIN):
            with pytest.raises(Forbidden):
                service.offer_alternatives(insider, session.session_id, [WED_14])
        for stranger in STRANGERS:
            with pytest.raises(NotFound):
                service.offer_alternatives(stranger, session.session_id, [WED_14])
        declined = book(service, WED_12, OTHER_CLIENT)
        service.decline(THERAPIST, declined.session_id, None)
        with pytest.raises(InvalidTransition):
            service.offer_alternatives(THERAPIST, declined.session_id, [WED_14])
        clock.set(WEDNESDAY_10)
        with pytest.raises(SessionInPast):
            service.offer_alternatives(THERAPIST, session.session_id, [WED_14])
        assert store.own_rearrangements == {}

    @pytest.mark.parametrize("confirm", [True, False])
    def test_accepting_confirms_at_the_chosen_time_and_releases_the_rest_at_once(
        self, service: SessionService, sessions: RecordingSessions, store: InMemoryStore, confirm: bool
    ) -> None:
        session = offered(service, WED_14, WED_15, confirm=confirm)
        accepted = service.answer_offer(CLIENT, session.session_id, alternative_at(session, WED_15))
        assert accepted.status is SessionStatus.CONFIRMED and accepted.offer is None
        assert (accepted.start, accepted.end) == (WED_15, WED_15 + timedelta(minutes=50))
        # The chosen alternative's holds become the session's claims; the original and the other are released
        change = sessions.committed[-1]
        assert {c.unit_start for c in change.claims_converted} == units(WED_15)
        assert {c.unit_start for c in change.claims_released} == units(WEDNESDAY_10) | units(WED_14)
        assert change.claims_added == ()
        assert claimed(store, session.session_id) == {ClaimKind.SESSION: units(WED_15)}
        assert len(store.claims) == 4
        assert event_types(store)[-1] is EventType.OFFER_ACCEPTED
        assert store.own_rearrangements == {"t1": 1}  # the offer counted, the answer does not
        for start in (WEDNESDAY_10, WED_14):
            assert book(service, start, OTHER_CLIENT).status is SessionStatus.PENDING

    def test_rejecting_cancels_refunds_and_releases_everything(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        session = offered(service)
        rejected = service.answer_offer(CLIENT, session.session_id, None)
        assert rejected.status is SessionStatus.CANCELLED and rejected.cancelled_by is Role.CLIENT
        assert rejected.cancellation_reason == "alternatives_rejected" and rejected.offer is None
        assert (rejected.refund, rejected.therapist_payout, rejected.platform_commission) == (PRICE, ZERO, ZERO)
        assert store.claims == {}
        assert event_types(store)[-1] is EventType.OFFER_REJECTED and len(store.events) == 4

    def test_rejecting_a_free_consultation_lets_the_client_book_it_again(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        session = book(service, initial_consultation=True)
        service.offer_alternatives(THERAPIST, session.session_id, [WED_14])
        service.answer_offer(CLIENT, session.session_id, None)
        assert store.free_consultations == {}
        assert book(service, WED_15, initial_consultation=True).price == ZERO

    def test_an_unknown_alternative_is_invalid(self, service: SessionService, store: InMemoryStore) -> None:
        session = offered(service)
        before = snapshot(store)
        assert session.offer is not None
        with pytest.raises(ValidationFailed, match="alternative_id"):
            service.answer_offer(CLIENT, session.session_id, session.offer.offer_id)
        assert snapshot(store) == before

    def test_only_the_client_answers_once_and_before_the_deadline(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock
    ) -> None:
        session = offered(service)
        choice = alternative_at(session, WED_14)
        before = snapshot(store)
        for insider in (THERAPIST, ADMIN):
            with pytest.raises(Forbidden):
                service.answer_offer(insider, session.session_id, choice)
        for stranger in STRANGERS:
            with pytest.raises(NotFound):
                service.answer_offer(stranger, session.session_id, choice)
        with pytest.raises(InvalidTransition):  # an offer is answered here, not through the location route
            service.answer_location_change(CLIENT, session.session_id, accept=True)
        for late in (DEADLINE, DEADLINE + timedelta(minutes=1)):
            clock.set(late)
            for answer in (choice, None):
                with pytest.raises(OfferExpired):
                    service.answer_offer(CLIENT, session.session_id, answer)
        assert snapshot(store) == before
        clock.set(DEADLINE - timedelta(microseconds=1))
        service.answer_offer(CLIENT, session.session_id, choice)
        with pytest.raises(InvalidTransition):
            service.answer_offer(CLIENT, session.session_id, alternative_at(session, WED_15))

    def test_an_alternative_whose_start_has_passed_cannot_be_accepted(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock
    ) -> None:
        # Given a therapist who takes bookings at two hours' notice, and an offer of Monday 12:00 made at 09:00
        therapist = store.therapists["t1"]
        assert therapist.availability is not None
        store.therapists["t1"] = replace(therapist, availability=replace(therapist.availability, min_notice_hours=2))
        session = booked_and_confirmed(service)
        monday_12 = NOW + timedelta(hours=3)
        service.offer_alternatives(THERAPIST, session.session_id, [monday_12, WED_14])
        choice = alternative_at(service.get(CLIENT, session.session_id), monday_12)
        # When the client answers at 12:30, still within the 24 hours
        clock.set(monday_12 + timedelta(minutes=30))
        before = snapshot(store)
        # Then that time is gone: the client may still pick another one
        with pytest.raises(ValidationFailed, match="passed"):
            service.answer_offer(CLIENT, session.session_id, choice)
        assert snapshot(store) == before
        later = service.answer_offer(CLIENT, session.session_id, alternative_at(session_of(service, session), WED_14))
        assert later.start == WED_14


def session_of(service: SessionService, session: Session) -> Session:
    return service.get(ADMIN, session.session_id)


class TestExpiry:
    @pytest.fixture
    def policy(self, request: pytest.FixtureRequest) -> PlatformPolicy:
        return PlatformPolicy(offer_expiry_policy=getattr(request, "param", OfferExpiryPolicy.CANCEL_AND_REFUND))

    @pytest.mark.parametrize("confirm", [True, False])
    def test_cancel_and_refund_cancels_by_the_system_refunds_and_releases_everything(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock, confirm: bool
    ) -> None:
        session = offered(service, confirm=confirm)
        assert session.offer is not None
        clock.set(DEADLINE)
        expired = service.expire(session.session_id, session.offer.offer_id)
        assert expired is not None
        assert expired.status is SessionStatus.CANCELLED and expired.cancelled_by is Role.SYSTEM
        assert expired.cancellation_reason == "offer_expired" and expired.offer is None
        assert (expired.refund, expired.therapist_payout, expired.platform_commission) == (PRICE, ZERO, ZERO)
        assert store.claims == {}
        assert event_types(store)[-1] is EventType.OFFER_EXPIRED
        assert store.events[f"{session.session_id}/{expired.version}"].actor_role == Role.SYSTEM

    @pytest.mark.parametrize("policy", [OfferExpiryPolicy.REVERT_TO_ORIGINAL], indirect=True)
    @pytest.mark.parametrize("confirm", [True, False])
    def test_revert_to_original_returns_to_the_original_time_and_status_releasing_the_holds(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock, confirm: bool
    ) -> None:
        session = offered(service, confirm=confirm)
        assert session.offer is not None
        clock.set(DEADLINE + timedelta(minutes=3))
        reverted = service.expire(session.session_id, session.offer.offer_id)
        assert reverted is not None
        assert reverted.status is (SessionStatus.CONFIRMED if confirm else SessionStatus.PENDING)
        assert reverted.start == WEDNESDAY_10 and reverted.offer is None and reverted.refund is None
        assert claimed(store, session.session_id) == {ClaimKind.SESSION: units(WEDNESDAY_10)}
        assert len(store.claims) == 4
        assert event_types(store)[-1] is EventType.OFFER_EXPIRED
        expired = store.events[f"{session.session_id}/{reverted.version}"]
        assert isinstance(expired, events.OfferExpired) and expired.outcome == "reverted"
        assert book(service, WED_14, OTHER_CLIENT).status is SessionStatus.PENDING

    @pytest.mark.parametrize(
        "policy", [OfferExpiryPolicy.CANCEL_AND_REFUND, OfferExpiryPolicy.REVERT_TO_ORIGINAL], indirect=True
    )
    def test_an_answer_after_the_expiry_has_run_is_still_told_it_expired(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock
    ) -> None:
        # Given an offer that expired (by its schedule) under either policy
        session = offered(service)
        assert session.offer is not None
        clock.set(DEADLINE)
        assert service.expire(session.session_id, session.offer.offer_id) is not None
        before = snapshot(store)
        # When the client answers late, Then both answers are 410 offer_expired, and nothing changes
        with pytest.raises(OfferExpired):
            service.answer_offer(CLIENT, session.session_id, session.offer.alternatives[0].alternative_id)
        with pytest.raises(OfferExpired):
            service.answer_offer(CLIENT, session.session_id, None)
        assert snapshot(store) == before

    @pytest.mark.parametrize("policy", [OfferExpiryPolicy.REVERT_TO_ORIGINAL], indirect=True)
    def test_revert_to_original_cancels_when_the_original_time_has_passed(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock
    ) -> None:
        session = offered(service)
        assert session.offer is not None
        clock.set(WEDNESDAY_10 + timedelta(minutes=1))
        expired = service.expire(session.session_id, session.offer.offer_id)
        assert expired is not None and expired.status is SessionStatus.CANCELLED
        assert expired.refund == PRICE and store.claims == {}

    @pytest.mark.parametrize(
        ("policy", "status", "location"),
        [
            (OfferExpiryPolicy.CANCEL_AND_REFUND, SessionStatus.CANCELLED, ROOM),
            (OfferExpiryPolicy.REVERT_TO_ORIGINAL, SessionStatus.CONFIRMED, ROOM),
        ],
        indirect=["policy"],
    )
    def test_an_unanswered_location_change_follows_the_same_policy(
        self,
        service: SessionService,
        store: InMemoryStore,
        clock: FakeClock,
        status: SessionStatus,
        location: Location,
    ) -> None:
        session = booked_and_confirmed(service)
        waiting = service.change_location(THERAPIST, session.session_id, "video", RearrangeReason.THERAPIST_UNAVAILABLE)
        assert waiting.location_change is not None
        clock.set(DEADLINE)
        expired = service.expire(session.session_id, waiting.location_change.change_id)
        assert expired is not None and expired.status is status and expired.location == location
        assert expired.location_change is None
        assert event_types(store)[-1] is EventType.LOCATION_CHANGE_EXPIRED
        if status is SessionStatus.CANCELLED:
            assert expired.refund == PRICE and store.claims == {}
        else:
            assert expired.refund is None and claimed(store, session.session_id) == {
                ClaimKind.SESSION: units(WEDNESDAY_10)
            }

    @pytest.mark.parametrize(
        "policy", [OfferExpiryPolicy.CANCEL_AND_REFUND, OfferExpiryPolicy.REVERT_TO_ORIGINAL], indirect=True
    )
    def test_before_the_deadline_after_an_answer_or_for_another_change_nothing_happens(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock
    ) -> None:
        session = offered(service)
        assert session.offer is not None
        offer_id = session.offer.offer_id
        before = snapshot(store)
        clock.set(DEADLINE - timedelta(microseconds=1))
        assert service.expire(session.session_id, offer_id) is None
        clock.set(DEADLINE)
        assert service.expire(session.session_id, "another-change") is None
        assert service.expire("no-such-session", offer_id) is None
        assert snapshot(store) == before
        clock.set(DEADLINE - timedelta(seconds=1))
        service.answer_offer(CLIENT, session.session_id, alternative_at(session, WED_14))
        answered = snapshot(store)
        clock.set(DEADLINE + timedelta(hours=1))
        assert service.expire(session.session_id, offer_id) is None
        assert snapshot(store) == answered

    def test_expiring_twice_changes_nothing_the_second_time(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock
    ) -> None:
        session = offered(service)
        assert session.offer is not None
        clock.set(DEADLINE)
        assert service.expire(session.session_id, session.offer.offer_id) is not None
        after = snapshot(store)
        assert service.expire(session.session_id, session.offer.offer_id) is None
        assert service.sweep().expired == 0
        assert snapshot(store) == after

    def test_the_sweeper_expires_what_a_lost_schedule_missed(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock
    ) -> None:
        first = offered(service)
        second = booked_and_confirmed(service, TUE_14)
        service.change_location(THERAPIST, second.session_id, "video", RearrangeReason.THERAPIST_UNAVAILABLE)
        clock.set(DEADLINE - timedelta(seconds=1))
        assert service.sweep().expired == 0
        clock.set(DEADLINE)
        report = service.sweep()
        assert (report.expired, report.completed, report.skipped) == (2, 0, 0)
        for session in (first, second):
            assert session_of(service, session).cancelled_by is Role.SYSTEM
        assert store.claims == {}


class TestCompletion:
    def test_a_confirmed_session_that_has_ended_is_completed_and_the_therapist_paid(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock
    ) -> None:
        session = booked_and_confirmed(service)
        pending = book(service, WED_14, OTHER_CLIENT)
        clock.set(session.end - timedelta(microseconds=1))
        assert service.sweep().completed == 0
        clock.set(session.end)
        report = service.sweep()
        assert report.completed == 1
        completed = session_of(service, session)
        assert completed.status is SessionStatus.COMPLETED
        assert completed.refund == ZERO
        assert completed.therapist_payout == Money(5400, "GBP") and completed.platform_commission == Money(600, "GBP")
        assert claimed(store, session.session_id) == {}
        assert event_types(store)[-1] is EventType.SESSION_COMPLETED
        assert store.events[f"{session.session_id}/{completed.version}"].actor_role == Role.SYSTEM
        # A pending booking is never completed, and a completed session is not completed twice
        clock.set(pending.end + timedelta(hours=1))
        assert service.sweep().completed == 0
        assert session_of(service, pending).status is SessionStatus.PENDING


class TestAdminRearrange:
    def test_only_admins(self, service: SessionService, store: InMemoryStore) -> None:
        session = booked_and_confirmed(service)
        before = snapshot(store)
        for insider in (THERAPIST, CLIENT):
            with pytest.raises(Forbidden):
                service.admin_rearrange(
                    insider,
                    session.session_id,
                    start=WED_14,
                    location_id=None,
                    status=None,
                    reason=RearrangeReason.ERROR_CORRECTION,
                    note="n",
                )
        for stranger in STRANGERS:
            with pytest.raises(NotFound):
                service.admin_rearrange(
                    stranger,
                    session.session_id,
                    start=WED_14,
                    location_id=None,
                    status=None,
                    reason=RearrangeReason.ERROR_CORRECTION,
                    note="n",
                )
        assert snapshot(store) == before

    def test_moves_a_past_session_keeping_the_note_in_its_history(
        self, service: SessionService, sessions: RecordingSessions, store: InMemoryStore, clock: FakeClock
    ) -> None:
        session = booked_and_confirmed(service)
        clock.set(WEDNESDAY_10 + timedelta(minutes=5))
        moved = service.admin_rearrange(
            ADMIN,
            session.session_id,
            start=WEDNESDAY_10 + timedelta(minutes=30),
            location_id="video",
            status=None,
            reason=RearrangeReason.CLIENT_REQUESTED,
            note="Client arrived late; agreed by phone",
        )
        assert moved.status is SessionStatus.CONFIRMED and moved.location == VIDEO
        assert moved.start == WEDNESDAY_10 + timedelta(minutes=30)
        assert claimed(store, session.session_id) == {ClaimKind.SESSION: units(WEDNESDAY_10 + timedelta(minutes=30))}
        change = sessions.committed[-1]
        assert len(change.claims_added) == 2 and len(change.claims_released) == 2  # the shared units are kept
        entry = moved.history[-1]
        assert (entry.action, entry.actor_role, entry.actor_id, entry.reason, entry.note) == (
            "admin_rearranged",
            Role.ADMIN,
            "a1",
            RearrangeReason.CLIENT_REQUESTED,
            "Client arrived late; agreed by phone",
        )
        assert event_types(store)[-1] is EventType.ADMIN_REARRANGED
        assert store.own_rearrangements == {}

    def test_reinstates_a_cancelled_session_claiming_its_time_again(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        session = booked_and_confirmed(service)
        service.cancel(CLIENT, session.session_id, "Changed my mind")
        reinstated = service.admin_rearrange(
            ADMIN,
            session.session_id,
            start=None,
            location_id=None,
            status=SessionStatus.CONFIRMED,
            reason=RearrangeReason.ERROR_CORRECTION,
            note="Cancelled by mistake",
        )
        assert reinstated.status is SessionStatus.CONFIRMED and reinstated.start == WEDNESDAY_10
        assert claimed(store, session.session_id) == {ClaimKind.SESSION: units(WEDNESDAY_10)}
        # Nothing is settled any more: the session goes ahead
        assert (reinstated.refund, reinstated.therapist_payout, reinstated.platform_commission) == (None, None, None)
        assert reinstated.cancelled_by is None and reinstated.cancellation_reason is None

    def test_reinstating_onto_time_taken_meanwhile_is_refused(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        session = booked_and_confirmed(service)
        service.cancel(CLIENT, session.session_id, None)
        book(service, WEDNESDAY_10, OTHER_CLIENT)
        before = snapshot(store)
        with pytest.raises(SlotUnavailable):
            service.admin_rearrange(
                ADMIN,
                session.session_id,
                start=None,
                location_id=None,
                status=SessionStatus.PENDING,
                reason=RearrangeReason.ERROR_CORRECTION,
                note="n",
            )
        assert snapshot(store) == before

    def test_reinstating_a_free_consultation_takes_the_clients_free_consultation_again(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        first = book(service, initial_consultation=True)
        service.cancel(CLIENT, first.session_id, None)
        second = book(service, WED_14, initial_consultation=True)
        before = snapshot(store)
        with pytest.raises(FreeConsultationUsed):
            service.admin_rearrange(
                ADMIN,
                first.session_id,
                start=None,
                location_id=None,
                status=SessionStatus.CONFIRMED,
                reason=RearrangeReason.ERROR_CORRECTION,
                note="n",
            )
        assert snapshot(store) == before
        service.cancel(CLIENT, second.session_id, None)
        service.admin_rearrange(
            ADMIN,
            first.session_id,
            start=None,
            location_id=None,
            status=SessionStatus.CONFIRMED,
            reason=RearrangeReason.ERROR_CORRECTION,
            note="n",
        )
        assert store.free_consultations == {(CLIENT.user_id, "t1"): first.session_id}

    @pytest.mark.parametrize(
        ("status", "settlement", "cancelled_by"),
        [
            (SessionStatus.CANCELLED, (PRICE, ZERO, ZERO), Role.ADMIN),
            (SessionStatus.COMPLETED, (ZERO, Money(5400, "GBP"), Money(600, "GBP")), None),
        ],
    )
    def test_ending_a_session_settles_it_and_releases_its_time(
        self,
        service: SessionService,
        store: InMemoryStore,
        status: SessionStatus,
        settlement: tuple[Money, Money, Money],
        cancelled_by: Role | None,
    ) -> None:
        session = offered(service)
        ended = service.admin_rearrange(
            ADMIN,
            session.session_id,
            start=None,
            location_id=None,
            status=status,
            reason=RearrangeReason.ERROR_CORRECTION,
            note="n",
        )
        assert ended.status is status and ended.offer is None and ended.cancelled_by is cancelled_by
        assert (ended.refund, ended.therapist_payout, ended.platform_commission) == settlement
        assert store.claims == {}

    def test_moving_onto_a_held_alternative_converts_the_hold_and_releases_the_rest(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        session = offered(service)
        moved = service.admin_rearrange(
            ADMIN,
            session.session_id,
            start=WED_14,
            location_id=None,
            status=None,
            reason=RearrangeReason.THERAPIST_UNAVAILABLE,
            note="Agreed by phone",
        )
        assert moved.status is SessionStatus.CONFIRMED and moved.offer is None and moved.start == WED_14
        assert claimed(store, session.session_id) == {ClaimKind.SESSION: units(WED_14)}
        assert len(store.claims) == 4
        assert store.own_rearrangements == {"t1": 2}  # the offer and this fix, both for the therapist's reasons

    @pytest.mark.parametrize(
        ("start", "location_id", "status", "message"),
        [
            (None, None, None, "at least one"),
            (None, None, SessionStatus.DECLINED, "status can be set to"),
            (WED_14 + timedelta(minutes=5), None, None, "15-minute boundary"),
            (None, "nowhere", None, "not one of this therapist's locations"),
        ],
    )
    def test_bad_input_is_invalid(
        self,
        service: SessionService,
        store: InMemoryStore,
        start: datetime | None,
        location_id: str | None,
        status: SessionStatus | None,
        message: str,
    ) -> None:
        session = booked_and_confirmed(service)
        before = snapshot(store)
        with pytest.raises(ValidationFailed, match=message):
            service.admin_rearrange(
                ADMIN,
                session.session_id,
                start=start,
                location_id=location_id,
                status=status,
                reason=RearrangeReason.ERROR_CORRECTION,
                note="n",
            )
        assert snapshot(store) == before


class TestHistoryAndRanking:
    def test_history_records_who_asked_and_why(self, service: SessionService, clock: FakeClock) -> None:
        session = booked_and_confirmed(service)
        service.reschedule(THERAPIST, session.session_id, WED_12, RearrangeReason.CLIENT_REQUESTED)
        service.change_location(THERAPIST, session.session_id, "video", RearrangeReason.ERROR_CORRECTION)
        service.offer_alternatives(THERAPIST, session.session_id, [WED_14])
        service.answer_offer(CLIENT, session.session_id, alternative_at(session_of(service, session), WED_14))
        service.change_location(THERAPIST, session.session_id, "room", RearrangeReason.THERAPIST_UNAVAILABLE)
        clock.set(DEADLINE)
        final = service.expire(session.session_id, session_of(service, session).open_change_id or "")
        assert final is not None
        assert [(e.action, e.actor_role, e.actor_id, e.reason) for e in final.history] == [
            ("rescheduled", Role.THERAPIST, "t1", RearrangeReason.CLIENT_REQUESTED),
            ("location_changed", Role.THERAPIST, "t1", RearrangeReason.ERROR_CORRECTION),
            ("alternatives_offered", Role.THERAPIST, "t1", RearrangeReason.THERAPIST_UNAVAILABLE),
            ("offer_accepted", Role.CLIENT, "c1", None),
            ("location_change_requested", Role.THERAPIST, "t1", RearrangeReason.THERAPIST_UNAVAILABLE),
            ("location_change_expired", Role.SYSTEM, "system", None),
        ]
        assert [e.at for e in final.history] == [NOW] * 5 + [DEADLINE]

    def test_only_the_therapists_own_reasons_count_against_them(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        session = booked_and_confirmed(service)
        service.reschedule(THERAPIST, session.session_id, WED_12, RearrangeReason.CLIENT_REQUESTED)
        service.reschedule(THERAPIST, session.session_id, WEDNESDAY_10, RearrangeReason.ERROR_CORRECTION)
        service.change_location(THERAPIST, session.session_id, "video", RearrangeReason.CLIENT_REQUESTED)
        service.change_location(THERAPIST, session.session_id, "room", RearrangeReason.ERROR_CORRECTION)
        for reason in (RearrangeReason.CLIENT_REQUESTED, RearrangeReason.ERROR_CORRECTION):
            service.admin_rearrange(
                ADMIN, session.session_id, start=None, location_id="video", status=None, reason=reason, note="n"
            )
            service.admin_rearrange(
                ADMIN, session.session_id, start=None, location_id="room", status=None, reason=reason, note="n"
            )
        assert store.own_rearrangements == {}
        service.change_location(THERAPIST, session.session_id, "video", RearrangeReason.THERAPIST_UNAVAILABLE)
        assert store.own_rearrangements == {"t1": 1}
        service.answer_location_change(CLIENT, session.session_id, accept=True)
        service.offer_alternatives(THERAPIST, session.session_id, [WED_14])
        assert store.own_rearrangements == {"t1": 2}
        service.answer_offer(CLIENT, session.session_id, None)
        assert store.own_rearrangements == {"t1": 2}
