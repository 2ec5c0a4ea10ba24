"""What grows with use stays bounded, and one bad session never stops the sweeper."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from tests.support.clock import FakeClock
from tests.support.domain_data import ADMIN, CLIENT, NOW, THERAPIST, WEDNESDAY_10, request
from tests.support.fakes import InMemoryStore, InMemoryTherapists, RecordingSessions
from therapy_booking.domain.changes import SessionChange
from therapy_booking.domain.events import AdminRearranged
from therapy_booking.domain.model import RearrangeReason, Session, SessionStatus
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.ports import UnreadableItem
from therapy_booking.domain.services import SessionService, SweepFailure

NOTE = "n" * 2000  # the longest note the API accepts


def test_a_session_changed_thousands_of_times_keeps_a_bounded_history_and_a_full_audit_trail(
    store: InMemoryStore,
) -> None:
    # Given a booked session
    sessions = RecordingSessions(store)
    service = SessionService(sessions, InMemoryTherapists(store), FakeClock(NOW), PlatformPolicy())
    session = service.book(CLIENT, request(WEDNESDAY_10))

    # When the team rearranges it 2,000 times, each time with the longest note
    for n in range(2000):
        status = SessionStatus.CONFIRMED if n % 2 else SessionStatus.PENDING
        session = service.admin_rearrange(
            ADMIN,
            session.session_id,
            start=None,
            location_id=None,
            status=status,
            reason=RearrangeReason.ERROR_CORRECTION,
            note=f"{n:04d}{NOTE[4:]}",
        )

    # Then the session keeps only the 20 latest history entries, the newest last
    assert len(session.history) == 20
    assert [entry.note[:4] for entry in session.history if entry.note] == [f"{n:04d}" for n in range(1980, 2000)]
    # And every change, with its note, is in the outbox events (the audit trail)
    admin_events = [e for e in store.events.values() if isinstance(e, AdminRearranged)]
    assert len(admin_events) == 2000
    assert sorted(e.note[:4] for e in admin_events if e.note) == [f"{n:04d}" for n in range(2000)]


class PoisonedSessions(RecordingSessions):
    """A store in which every write of one session fails, as a corrupt or oversized item would."""

    def __init__(self, store: InMemoryStore, poisoned: str, unreadable: str | None = None) -> None:
        super().__init__(store)
        self.poisoned = poisoned
        self.unreadable = unreadable

    def commit(self, change: SessionChange) -> None:
        if change.session.session_id == self.poisoned:
            raise RuntimeError("Item size has exceeded the maximum allowed size")
        super().commit(change)

    def list_due(self, now: datetime, page_size: int) -> Iterator[Session | UnreadableItem]:
        if self.unreadable:
            yield UnreadableItem(self.unreadable, "ValueError")
        yield from super().list_due(now, page_size)


def test_one_session_that_always_fails_never_stops_the_sweeper(store: InMemoryStore) -> None:
    # Given three confirmed sessions that have ended, the earliest of which can never be written,
    # and an unreadable item first in the sweeper's index
    clock = FakeClock(NOW)
    setup = SessionService(RecordingSessions(store), InMemoryTherapists(store), clock, PlatformPolicy())
    ended = [
        setup.confirm(THERAPIST, setup.book(CLIENT, request(WEDNESDAY_10 + timedelta(hours=h))).session_id)
        for h in (0, 1, 2)
    ]
    poisoned, *healthy = ended
    sessions = PoisonedSessions(store, poisoned.session_id, unreadable="corrupt-1")
    service = SessionService(sessions, InMemoryTherapists(store), clock, PlatformPolicy())
    clock.set(WEDNESDAY_10 + timedelta(hours=4))

    # When the sweeper runs, twice
    first, second = service.sweep(), service.sweep()

    # Then the healthy sessions are completed on the first run, and the bad ones are reported by id
    # and error class, on every run, until someone fixes them
    assert first.completed == 2 and second.completed == 0
    expected_failures = (SweepFailure("corrupt-1", "ValueError"), SweepFailure(poisoned.session_id, "RuntimeError"))
    assert first.failures == second.failures == expected_failures
    assert [store.sessions[s.session_id].status for s in healthy] == [SessionStatus.COMPLETED] * 2
    assert store.sessions[poisoned.session_id] == poisoned
