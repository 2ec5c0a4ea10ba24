"""The cancellation streak (issue 11): counted in the cancellation's own write, reset by a session that went
ahead, flagged at 3 (derived), deactivated at 5 in that same write, reactivated by the team."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from tests.support.clock import FakeClock
from tests.support.domain_data import ADMIN, CLIENT, THERAPIST, WEDNESDAY_10, request
from tests.support.fakes import InMemorySessions, InMemoryStore, InMemoryTherapists, RecordingSessions
from therapy_booking.domain.errors import Conflict, Forbidden, NotFound, TherapistUnavailableForBooking
from therapy_booking.domain.model import RearrangeReason, Session, SessionStatus, Therapist
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.services import SessionService, TherapistService

MONDAY_7TH_10 = WEDNESDAY_10 + timedelta(days=5)
POLICY = PlatformPolicy()


def sessions_service(
    store: InMemoryStore, clock: FakeClock, sessions: InMemorySessions | None = None
) -> SessionService:
    counter = iter(range(1, 1000))
    return SessionService(
        sessions or InMemorySessions(store), InMemoryTherapists(store), clock, POLICY, ids=lambda: f"s{next(counter)}"
    )


@pytest.fixture
def service(store: InMemoryStore, clock: FakeClock) -> SessionService:
    return sessions_service(store, clock)


@pytest.fixture
def therapists(store: InMemoryStore, clock: FakeClock) -> TherapistService:
    return TherapistService(InMemoryTherapists(store), clock, POLICY)


def confirmed(service: SessionService, start: datetime) -> str:
    """A session booked by the client and confirmed by the therapist."""
    session_id = service.book(CLIENT, request(start)).session_id
    service.confirm(THERAPIST, session_id)
    return session_id


def confirmed_sessions(service: SessionService, count: int) -> list[str]:
    """`count` confirmed sessions on the Monday, Tuesday and Wednesday of the week after next, hour by hour."""
    starts = [MONDAY_7TH_10 + timedelta(days=day, hours=hour) for day in range(3) for hour in range(7)]
    return [confirmed(service, start) for start in starts[:count]]


def therapist(store: InMemoryStore) -> Therapist:
    return store.therapists["t1"]


class TestStreak:
    def test_a_mixed_sequence_counts_cancellations_and_a_completion_resets(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock
    ) -> None:
        # Given a session on Wednesday 2nd that will go ahead, and four more the week after
        going_ahead = confirmed(service, WEDNESDAY_10)
        later = confirmed_sessions(service, 4)
        # When the therapist cancels two of them / Then the streak is 2, not flagged
        service.cancel(THERAPIST, later[0], "Ill")
        service.cancel(THERAPIST, later[1], "Ill")
        assert therapist(store).cancellation_streak == 2
        assert not therapist(store).flagged(POLICY.streak_flag_at)
        # When Wednesday's session ends and the sweeper completes it / Then the streak is back to 0
        clock.set(WEDNESDAY_10 + timedelta(hours=1))
        assert service.sweep().completed == 1
        assert store.sessions[going_ahead].status is SessionStatus.COMPLETED
        assert therapist(store).cancellation_streak == 0
        # When the therapist cancels again / Then the count starts over at 1
        service.cancel(THERAPIST, later[2], None)
        assert therapist(store).cancellation_streak == 1

    def test_the_team_recording_a_session_as_completed_resets_the_streak(
        self, service: SessionService, store: InMemoryStore, clock: FakeClock
    ) -> None:
        # Given a therapist with two cancellations in a row and a session that went ahead unrecorded
        going_ahead = confirmed(service, WEDNESDAY_10)
        for session_id in confirmed_sessions(service, 2):
            service.cancel(THERAPIST, session_id, "Ill")
        assert therapist(store).cancellation_streak == 2
        # When the team sets that session to completed
        clock.set(WEDNESDAY_10 + timedelta(minutes=55))
        service.admin_rearrange(
            ADMIN,
            going_ahead,
            start=None,
            location_id=None,
            status=SessionStatus.COMPLETED,
            reason=RearrangeReason.ERROR_CORRECTION,
            note="It took place",
        )
        # Then the streak is back to 0, as when the sweeper completes it
        assert therapist(store).cancellation_streak == 0

    def test_three_in_a_row_flag_the_therapist_without_deactivating(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        # Given three confirmed sessions / When the therapist cancels all three
        for session_id in confirmed_sessions(service, 3):
            service.cancel(THERAPIST, session_id, None)
        # Then the streak is 3: flagged (derived from the streak), still active
        assert therapist(store).cancellation_streak == 3
        assert therapist(store).flagged(POLICY.streak_flag_at)
        assert not therapist(store).deactivated and therapist(store).accepts_bookings

    def test_client_cancellations_and_declines_do_not_count(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        # Given a confirmed session, a pending one and another pending one
        ids = confirmed_sessions(service, 1)
        pending = [service.book(CLIENT, request(MONDAY_7TH_10 + timedelta(days=1, hours=h))).session_id for h in (0, 1)]
        # When the client cancels the confirmed one, and the therapist declines one pending booking
        service.cancel(CLIENT, ids[0], None)
        service.decline(THERAPIST, pending[0], "Away")
        # And the client cancels the other pending one
        service.cancel(CLIENT, pending[1], None)
        # Then the therapist's streak is untouched (only their own cancellation of a confirmed session counts)
        assert therapist(store).cancellation_streak == 0

    def test_the_streak_is_one_more_item_of_the_cancellation_and_the_completion(
        self, store: InMemoryStore, clock: FakeClock
    ) -> None:
        # Given a service that records what each transition wrote
        recorded = RecordingSessions(store)
        service = sessions_service(store, clock, recorded)
        ids = [confirmed(service, WEDNESDAY_10), *confirmed_sessions(service, 1)]
        # When the therapist cancels one and the other completes
        service.cancel(THERAPIST, ids[1], None)
        clock.set(WEDNESDAY_10 + timedelta(hours=1))
        service.sweep()
        cancelled, completed = recorded.committed[-2:]
        # Then each carries the therapist's streak in its own transaction, counted in its item budget
        units = 4  # 50 minutes in 15-minute units
        assert cancelled.cancellation_streak is not None and not cancelled.cancellation_streak.reset
        assert cancelled.item_count == 2 + units + 1
        assert completed.cancellation_streak is not None and completed.cancellation_streak.reset
        assert completed.item_count == 2 + units + 1


class TestDeactivation:
    def test_the_fifth_cancellation_in_a_row_deactivates_in_the_same_write(
        self, service: SessionService, store: InMemoryStore
    ) -> None:
        # Given six confirmed sessions
        ids = confirmed_sessions(service, 6)
        # When the therapist cancels four / Then still active (flagged)
        for session_id in ids[:4]:
            service.cancel(THERAPIST, session_id, None)
        assert (therapist(store).cancellation_streak, therapist(store).deactivated) == (4, False)
        # When the therapist cancels the fifth
        service.cancel(THERAPIST, ids[4], None)
        # Then the account is deactivated at exactly 5: hidden from the listing, no longer taking bookings
        assert (therapist(store).cancellation_streak, therapist(store).deactivated) == (5, True)
        assert [t.therapist_id for t in InMemoryTherapists(store).list_bookable(10, None).items] == []
        # And the session already booked stays as it was
        assert store.sessions[ids[5]].status is SessionStatus.CONFIRMED
        # And a new booking is refused
        with pytest.raises(TherapistUnavailableForBooking):
            service.book(CLIENT, request(MONDAY_7TH_10 + timedelta(days=2, hours=3)))

    def test_a_stale_read_of_the_streak_is_refused_then_retried_once(
        self, store: InMemoryStore, clock: FakeClock
    ) -> None:
        # Given a therapist at 4, whose record the first read sees as it was one cancellation earlier
        class StaleOnce(InMemorySessions):
            stale = True

            def get_with_therapist(self, session_id: str, therapist_id: str) -> tuple[Session | None, Therapist | None]:
                session, found = super().get_with_therapist(session_id, therapist_id)
                if self.stale and found is not None:
                    self.stale, found = False, replace(found, cancellation_streak=found.cancellation_streak - 1)
                return session, found

        service = sessions_service(store, clock, StaleOnce(store))
        ids = confirmed_sessions(service, 1)
        store.therapists["t1"] = replace(therapist(store), cancellation_streak=4)
        # When the therapist cancels (the first write expects to stay below 5 and is refused as a conflict)
        service.cancel(THERAPIST, ids[0], None)
        # Then the retry reads 4 and deactivates: the count is exact and the threshold is not skipped
        assert (therapist(store).cancellation_streak, therapist(store).deactivated) == (5, True)
        assert store.sessions[ids[0]].status is SessionStatus.CANCELLED

    def test_a_conflict_that_persists_is_answered_after_one_retry(self, store: InMemoryStore, clock: FakeClock) -> None:
        # Given a store whose therapist streak condition always fails (every read is stale)
        class AlwaysStale(InMemorySessions):
            def get_with_therapist(self, session_id: str, therapist_id: str) -> tuple[Session | None, Therapist | None]:
                session, found = super().get_with_therapist(session_id, therapist_id)
                return session, None if found is None else replace(found, cancellation_streak=0)

        service = sessions_service(store, clock, AlwaysStale(store))
        ids = confirmed_sessions(service, 1)
        store.therapists["t1"] = replace(therapist(store), cancellation_streak=4)
        # When the therapist cancels / Then Conflict (409) and nothing changed
        with pytest.raises(Conflict):
            service.cancel(THERAPIST, ids[0], None)
        assert store.sessions[ids[0]].status is SessionStatus.CONFIRMED
        assert therapist(store).cancellation_streak == 4


class TestReactivation:
    def test_the_team_reactivates_resets_and_lists_again(
        self, service: SessionService, therapists: TherapistService, store: InMemoryStore
    ) -> None:
        # Given a therapist deactivated by five cancellations
        for session_id in confirmed_sessions(service, 5):
            service.cancel(THERAPIST, session_id, None)
        assert therapist(store).deactivated
        # When an admin reactivates the account with a note
        standing = therapists.reactivate(ADMIN, "t1", "Family emergency, talked it through")
        # Then the standing is active with a streak of 0, not flagged, and the note is kept with who and when
        assert (standing.cancellation_streak, standing.flagged, standing.deactivated) == (0, False, False)
        ((reactivated, record),) = store.reactivations
        assert (reactivated, record.admin_id, record.note) == ("t1", "a1", "Family emergency, talked it through")
        # And the therapist is listed and bookable again
        assert [t.therapist_id for t in InMemoryTherapists(store).list_bookable(10, None).items] == ["t1"]
        assert service.book(CLIENT, request(MONDAY_7TH_10 + timedelta(days=2, hours=3))).status is SessionStatus.PENDING

    def test_only_admins_reactivate_and_only_known_therapists(self, therapists: TherapistService) -> None:
        # When the therapist themselves or a client asks / Then Forbidden
        for who in (THERAPIST, CLIENT):
            with pytest.raises(Forbidden):
                therapists.reactivate(who, "t1", "Please")
        # When an admin names an unknown therapist / Then NotFound
        with pytest.raises(NotFound):
            therapists.reactivate(ADMIN, "nobody", "Note")
