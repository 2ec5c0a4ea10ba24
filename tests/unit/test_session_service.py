"""The booking use cases on in-memory adapters."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.clock import FakeClock
from tests.support.domain_data import (
    ADMIN,
    CLIENT,
    OTHER_CLIENT,
    PROFILE,
    THERAPIST,
    WEDNESDAY_10,
    request,
)
from tests.support.fakes import InMemorySessions, InMemoryStore, InMemoryTherapists
from therapy_booking.domain.errors import (
    Forbidden,
    FreeConsultationUsed,
    InvalidTransition,
    NotFound,
    SessionInPast,
    SlotUnavailable,
    TherapistUnavailableForBooking,
    ValidationFailed,
)
from therapy_booking.domain.events import EventType
from therapy_booking.domain.model import (
    Actor,
    Money,
    Role,
    SessionStatus,
    SessionType,
)
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.services import SessionService


@pytest.fixture
def service(store: InMemoryStore, clock: FakeClock) -> SessionService:
    counter = iter(range(1, 1000))
    return SessionService(
        InMemorySessions(store), InMemoryTherapists(store), clock, PlatformPolicy(), ids=lambda: f"s{next(counter)}"
    )


class TestBooking:
    def test_a_booking_is_pending_claims_its_time_and_writes_one_event(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        # When a client books Wednesday 10:00 for 50 minutes
        session = service.book(CLIENT, request())
        # Then the session is pending at the therapist's price, its four units are claimed, one event is written
        assert session.status is SessionStatus.PENDING
        assert session.end == WEDNESDAY_10 + timedelta(minutes=50)
        assert session.price == Money(6000, "GBP")
        assert {c.owner_id for c in store.claims.values()} == {session.session_id}
        assert len(store.claims) == 4
        assert [e.event_type for e in store.events.values()] == [EventType.SESSION_BOOKED]

    def test_a_taken_slot_is_refused_and_nothing_is_written(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        service.book(CLIENT, request())
        with pytest.raises(SlotUnavailable):
            service.book(OTHER_CLIENT, request())
        assert len(store.sessions) == 1 and len(store.events) == 1

    def test_a_longer_session_overlapping_the_next_slot_blocks_it(self, service: SessionService) -> None:
        # Given a couple session 10:30-11:50 (couple slots step by 90 minutes from 09:00)
        service.book(
            CLIENT,
            request(datetime(2026, 12, 2, 10, 30, tzinfo=UTC), session_type=SessionType.COUPLE, attendees=("A", "B")),
        )
        # Then an individual session at 11:00 overlaps it
        with pytest.raises(SlotUnavailable):
            service.book(OTHER_CLIENT, request(datetime(2026, 12, 2, 11, 0, tzinfo=UTC)))

    @pytest.mark.parametrize(
        ("start", "reason"),
        [
            (datetime(2026, 12, 2, 10, 15, tzinfo=UTC), "not one of the therapist's available slots"),
            (datetime(2026, 12, 3, 10, 0, tzinfo=UTC), "not one of the therapist's available slots"),  # Thursday
            (datetime(2026, 12, 2, 17, 0, tzinfo=UTC), "not one of the therapist's available slots"),
            (datetime(2026, 11, 30, 15, 0, tzinfo=UTC), "24 hours' notice"),
            (datetime(2027, 1, 4, 10, 0, tzinfo=UTC), "30 days ahead"),
        ],
    )
    def test_times_outside_availability_notice_or_horizon_are_invalid(
        self, service: SessionService, store: InMemoryStore, start: datetime, reason: str
    ) -> None:
        with pytest.raises(ValidationFailed, match=reason):
            service.book(CLIENT, request(start))
        assert store.sessions == {} and store.claims == {}

    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"location_id": "nowhere"}, "not one of this therapist's locations"),
            ({"session_type": SessionType.FAMILY, "attendees": ("A", "B")}, "does not offer family"),
            ({"session_type": SessionType.COUPLE}, "needs 2 attendee names"),
            ({"attendees": ("A", "B")}, "needs 1 attendee names"),
        ],
    )
    def test_requests_that_break_the_therapists_offer_are_invalid(
        self, service: SessionService, changes: dict[str, object], reason: str
    ) -> None:
        with pytest.raises(ValidationFailed, match=reason):
            service.book(CLIENT, request(**changes))  # type: ignore[arg-type]

    def test_only_clients_book(self, service: SessionService) -> None:
        with pytest.raises(Forbidden):
            service.book(THERAPIST, request())

    def test_unknown_therapist_is_not_found(self, service: SessionService) -> None:
        with pytest.raises(NotFound):
            service.book(CLIENT, request(therapist_id="nobody"))

    @pytest.mark.parametrize("change", [{"deactivated": True}, {"profile": replace(PROFILE, visible=False)}])
    def test_hidden_or_deactivated_therapists_take_no_bookings(
        self, service: SessionService, store: InMemoryStore, change: dict[str, object]
    ) -> None:
        store.therapists["t1"] = replace(store.therapists["t1"], **change)  # type: ignore[arg-type]
        with pytest.raises(TherapistUnavailableForBooking):
            service.book(CLIENT, request())


class TestFreeInitialConsultation:
    def test_the_first_is_free_and_a_second_is_refused(self, service: SessionService) -> None:
        first = service.book(CLIENT, request(initial_consultation=True))
        assert first.price == Money(0, "GBP") and first.initial_consultation
        with pytest.raises(FreeConsultationUsed):
            service.book(CLIENT, request(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), initial_consultation=True))

    def test_later_bookings_are_paid_and_other_clients_still_get_theirs(self, service: SessionService) -> None:
        service.book(CLIENT, request(initial_consultation=True))
        paid = service.book(CLIENT, request(datetime(2026, 12, 2, 12, 0, tzinfo=UTC)))
        assert paid.price == Money(6000, "GBP")
        assert service.book(OTHER_CLIENT, request(datetime(2026, 12, 2, 13, 0, tzinfo=UTC), initial_consultation=True))

    def test_a_declined_consultation_can_be_booked_again(self, service: SessionService) -> None:
        first = service.book(CLIENT, request(initial_consultation=True))
        service.decline(THERAPIST, first.session_id, None)
        again = service.book(CLIENT, request(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), initial_consultation=True))
        assert again.price == Money(0, "GBP")

    def test_refused_when_the_therapist_offers_none(self, service: SessionService, store: InMemoryStore) -> None:
        store.therapists["t1"] = replace(
            store.therapists["t1"], profile=replace(PROFILE, free_initial_consultation=False)
        )
        with pytest.raises(ValidationFailed, match="free initial consultation"):
            service.book(CLIENT, request(initial_consultation=True))


class TestTherapistResponses:
    def test_confirm_moves_pending_to_confirmed_and_bumps_the_version(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        booked = service.book(CLIENT, request())
        confirmed = service.confirm(THERAPIST, booked.session_id)
        assert confirmed.status is SessionStatus.CONFIRMED and confirmed.version == 2
        assert [e.event_type for e in store.events.values()] == [EventType.SESSION_BOOKED, EventType.SESSION_CONFIRMED]
        assert len(store.claims) == 4

    def test_confirming_twice_is_an_invalid_transition(self, service: SessionService) -> None:
        booked = service.book(CLIENT, request())
        service.confirm(THERAPIST, booked.session_id)
        with pytest.raises(InvalidTransition):
            service.confirm(THERAPIST, booked.session_id)

    def test_decline_releases_the_time_and_refunds_in_full(self, service: SessionService, store: InMemoryStore) -> None:
        booked = service.book(CLIENT, request())
        declined = service.decline(THERAPIST, booked.session_id, "Not a good fit")
        assert declined.status is SessionStatus.DECLINED
        assert declined.refund == Money(6000, "GBP") and declined.decline_reason == "Not a good fit"
        assert store.claims == {}
        assert service.book(OTHER_CLIENT, request()).status is SessionStatus.PENDING

    def test_the_client_may_see_but_not_confirm(self, service: SessionService) -> None:
        booked = service.book(CLIENT, request())
        with pytest.raises(Forbidden):
            service.confirm(CLIENT, booked.session_id)

    def test_other_people_cannot_see_the_session_at_all(self, service: SessionService) -> None:
        booked = service.book(CLIENT, request())
        other_therapist = Actor("t2", frozenset({Role.THERAPIST}))
        for outsider in (OTHER_CLIENT, other_therapist):
            with pytest.raises(NotFound):
                service.get(outsider, booked.session_id)
            with pytest.raises(NotFound):
                service.confirm(outsider, booked.session_id)
        assert service.get(ADMIN, booked.session_id).session_id == booked.session_id

    def test_a_pending_session_whose_start_passed_cannot_be_confirmed(
        self, service: SessionService, clock: FakeClock
    ) -> None:
        booked = service.book(CLIENT, request())
        clock.set(WEDNESDAY_10 + timedelta(minutes=1))
        with pytest.raises(SessionInPast, match="contact the team"):
            service.confirm(THERAPIST, booked.session_id)


class TestCancellation:
    def test_client_cancelling_early_gets_everything_back_and_frees_the_slot(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        booked = service.book(CLIENT, request())
        service.confirm(THERAPIST, booked.session_id)
        cancelled = service.cancel(CLIENT, booked.session_id, "Feeling better")
        assert cancelled.status is SessionStatus.CANCELLED and cancelled.cancelled_by is Role.CLIENT
        assert cancelled.refund == Money(6000, "GBP") and cancelled.therapist_payout == Money(0, "GBP")
        assert store.claims == {}

    def test_client_cancelling_late_pays_the_therapist_less_commission(
        self, service: SessionService, clock: FakeClock
    ) -> None:
        booked = service.book(CLIENT, request())
        service.confirm(THERAPIST, booked.session_id)
        clock.set(WEDNESDAY_10 - timedelta(hours=2))
        cancelled = service.cancel(CLIENT, booked.session_id, None)
        assert cancelled.refund == Money(0, "GBP")
        assert cancelled.therapist_payout == Money(5400, "GBP")
        assert cancelled.platform_commission == Money(600, "GBP")

    def test_late_cancellation_of_a_pending_booking_is_refunded_in_full(
        self, service: SessionService, clock: FakeClock
    ) -> None:
        booked = service.book(CLIENT, request())
        clock.set(WEDNESDAY_10 - timedelta(hours=2))
        assert service.cancel(CLIENT, booked.session_id, None).refund == Money(6000, "GBP")

    def test_therapist_cancels_confirmed_sessions_with_a_full_refund(
        self, service: SessionService, clock: FakeClock
    ) -> None:
        booked = service.book(CLIENT, request())
        service.confirm(THERAPIST, booked.session_id)
        clock.set(WEDNESDAY_10 - timedelta(hours=1))
        cancelled = service.cancel(THERAPIST, booked.session_id, None)
        assert cancelled.cancelled_by is Role.THERAPIST and cancelled.refund == Money(6000, "GBP")

    def test_therapist_declines_rather_than_cancels_a_pending_booking(self, service: SessionService) -> None:
        booked = service.book(CLIENT, request())
        with pytest.raises(InvalidTransition, match="declined"):
            service.cancel(THERAPIST, booked.session_id, None)

    def test_a_session_that_has_started_cannot_be_cancelled(self, service: SessionService, clock: FakeClock) -> None:
        booked = service.book(CLIENT, request())
        service.confirm(THERAPIST, booked.session_id)
        clock.set(WEDNESDAY_10)
        with pytest.raises(SessionInPast):
            service.cancel(CLIENT, booked.session_id, None)

    def test_cancelling_twice_is_an_invalid_transition(self, service: SessionService) -> None:
        booked = service.book(CLIENT, request())
        service.cancel(CLIENT, booked.session_id, None)
        with pytest.raises(InvalidTransition):
            service.cancel(CLIENT, booked.session_id, None)

    def test_admins_do_not_cancel_through_this_route(self, service: SessionService) -> None:
        booked = service.book(CLIENT, request())
        with pytest.raises(Forbidden):
            service.cancel(ADMIN, booked.session_id, None)
