"""The imported calendar (issue 12): busy times as claims, the diff a sync writes, a failing feed, the notices,
and the race with a booking (decided by the units' conditional writes)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.clock import FakeClock
from tests.support.domain_data import CLIENT, THERAPIST, request
from tests.support.fakes import InMemorySessions, InMemoryStore, InMemoryTherapists
from therapy_booking.domain.calendar import TimeRange
from therapy_booking.domain.calendar_import import (
    CalendarAddressRefused,
    CalendarUnavailable,
    FeedNotModified,
    FeedValidators,
    FetchedFeed,
)
from therapy_booking.domain.calendar_sync import (
    BusyWrite,
    CalendarImport,
    CalendarImportService,
    CalendarNotice,
    ImportGone,
    ImportStatus,
)
from therapy_booking.domain.changes import CALENDAR_OWNER, Claim, ClaimKind
from therapy_booking.domain.errors import NotFound, SlotUnavailable, ValidationFailed
from therapy_booking.domain.model import Therapist
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.services import SessionService

POLICY = PlatformPolicy()
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
URL = "https://calendar.example.com/private-abc/basic.ics"
TUESDAY_10 = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


@dataclass
class FakeSource:
    """A calendar feed the test controls: its busy ranges, its ETag, or a failure."""

    ranges: list[TimeRange] = field(default_factory=list)
    etag: str = "v1"
    failure: Exception | None = None
    fetched_with: list[FeedValidators | None] = field(default_factory=list)

    def fetch(self, url: str, validators: FeedValidators | None) -> FetchedFeed | FeedNotModified:
        self.fetched_with.append(validators)
        if self.failure is not None:
            raise self.failure
        if validators is not None and validators.etag == self.etag:
            return FeedNotModified()
        return FetchedFeed(self.etag.encode(), FeedValidators(etag=self.etag))

    def busy(self, body: bytes, start: datetime, end: datetime, zone: str) -> list[TimeRange]:
        return list(self.ranges)


class FakeImports:
    """Imports and busy claims over the in-memory store, with the DynamoDB adapter's conditions."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self.items: dict[str, CalendarImport] = {}

    def get(self, therapist_id: str) -> CalendarImport | None:
        return self.items.get(therapist_id)

    def get_with_therapist(self, therapist_id: str) -> tuple[Therapist | None, CalendarImport | None]:
        return self.store.therapists.get(therapist_id), self.items.get(therapist_id)

    def save(self, calendar: CalendarImport, replacing: str | None) -> None:
        current = self.items.get(calendar.therapist_id)
        if (current.import_id if current else None) != replacing:
            raise ImportGone()
        self.items[calendar.therapist_id] = calendar

    def claims(self, therapist_id: str, since: datetime) -> dict[datetime, Claim]:
        return {u: c for (t, u), c in self.store.claims.items() if t == therapist_id and u >= since}

    def write_busy(self, write: BusyWrite) -> set[datetime]:
        current = self.items.get(write.therapist_id)
        if current is None or current.import_id != write.import_id:
            raise ImportGone()
        skipped: set[datetime] = set()
        for unit in write.remove:
            held = self.store.claims.get((write.therapist_id, unit))
            if held is not None and held.kind is ClaimKind.BUSY:
                del self.store.claims[(write.therapist_id, unit)]
            else:
                skipped.add(unit)
        for unit in write.add:
            if (write.therapist_id, unit) in self.store.claims:
                skipped.add(unit)
            else:
                self.store.claims[(write.therapist_id, unit)] = Claim(
                    write.therapist_id, unit, ClaimKind.BUSY, CALENDAR_OWNER
                )
        return skipped

    def delete(self, therapist_id: str) -> None:
        self.items.pop(therapist_id, None)

    def release_busy(self, therapist_id: str, since: datetime) -> int:
        busy = [k for k, c in self.store.claims.items() if k[0] == therapist_id and c.kind is ClaimKind.BUSY]
        for key in busy:
            del self.store.claims[key]
        return len(busy)

    def therapists_with_imports(self) -> Iterator[str]:
        yield from sorted(self.items)


@dataclass
class RecordingNotifier:
    told: list[tuple[CalendarNotice, str, str | None]] = field(default_factory=list)

    def tell_calendar(
        self, notice: CalendarNotice, therapist_id: str, occasion_id: str, session_id: str | None
    ) -> object:
        self.told.append((notice, therapist_id, session_id))
        return None


@dataclass
class World:
    store: InMemoryStore
    source: FakeSource
    imports: FakeImports
    notifier: RecordingNotifier
    calendars: CalendarImportService
    sessions: SessionService
    clock: FakeClock

    def busy_units(self) -> list[datetime]:
        return sorted(u for (t, u), c in self.store.claims.items() if c.kind is ClaimKind.BUSY)


@pytest.fixture
def world(store: InMemoryStore) -> World:
    clock = FakeClock(NOW)
    source, imports, notifier = FakeSource(), FakeImports(store), RecordingNotifier()
    counter = iter(range(1, 1000))
    calendars = CalendarImportService(
        imports, source, lambda: notifier, clock, POLICY, lambda: f"import-{next(counter)}"
    )
    sessions = SessionService(
        InMemorySessions(store), InMemoryTherapists(store), clock, POLICY, ids=lambda: f"s{next(counter)}"
    )
    return World(store, source, imports, notifier, calendars, sessions, clock)


def hour(start: datetime) -> TimeRange:
    return TimeRange(start, start + timedelta(hours=1))


def test_connecting_claims_the_busy_times_and_a_booking_into_one_is_refused(world: World) -> None:
    # Given a feed with one busy hour on Tuesday 8 December at 10:00
    world.source.ranges = [hour(TUESDAY_10)]
    # When the therapist connects it
    status = world.calendars.connect(THERAPIST, URL)
    # Then it is ok, names the host only, and the hour's four units are busy claims
    assert (status.status, status.host, status.busy_count) == (ImportStatus.OK, "calendar.example.com", 1)
    assert world.busy_units() == [TUESDAY_10 + timedelta(minutes=15 * i) for i in range(4)]
    # And a booking at that time is refused as any taken slot is
    with pytest.raises(SlotUnavailable):
        world.sessions.book(CLIENT, request(TUESDAY_10))


def test_a_sync_writes_only_the_difference_and_an_unchanged_feed_nothing(world: World) -> None:
    # Given a connected feed with one busy hour
    world.source.ranges = [hour(TUESDAY_10)]
    world.calendars.connect(THERAPIST, URL)
    # When the feed moves the hour to 14:00 and a sync runs
    world.source.ranges, world.source.etag = [hour(TUESDAY_10 + timedelta(hours=4))], "v2"
    world.calendars.sync_now(THERAPIST)
    # Then 10:00 is free again and 14:00 busy
    assert world.busy_units() == [TUESDAY_10 + timedelta(hours=4, minutes=15 * i) for i in range(4)]
    # And a sync of the unchanged feed asks with its ETag and writes nothing
    before = dict(world.store.claims)
    synced = world.calendars.sync_now(THERAPIST)
    assert world.source.fetched_with[-1] == FeedValidators(etag="v2")
    assert world.store.claims == before and synced.status is ImportStatus.OK


def test_a_failing_feed_keeps_its_busy_times_and_tells_the_therapist_once(world: World) -> None:
    # Given a connected feed with a busy hour
    world.source.ranges = [hour(TUESDAY_10)]
    world.calendars.connect(THERAPIST, URL)
    # When it fails at two syncs in a row
    world.source.failure = CalendarUnavailable("The calendar's address answered 404 (not found).")
    first = world.calendars.sync_now(THERAPIST)
    second = world.calendars.sync_now(THERAPIST)
    # Then it is failing with the reason, its busy hour still counts, and the therapist was told once
    assert (second.status, second.last_error) == (
        ImportStatus.FAILING,
        "The calendar's address answered 404 (not found).",
    )
    assert first.status is ImportStatus.FAILING and len(world.busy_units()) == 4
    assert world.notifier.told == [(CalendarNotice.FAILING, "t1", None)]
    # When it recovers, then fails again / Then the therapist is told again (a new failure)
    world.source.failure = None
    assert world.calendars.sync_now(THERAPIST).status is ImportStatus.OK
    world.source.failure = CalendarUnavailable("The calendar could not be read.")
    world.calendars.sync_now(THERAPIST)
    assert [n for n, _, _ in world.notifier.told] == [CalendarNotice.FAILING, CalendarNotice.FAILING]


def test_a_new_event_over_a_booked_session_tells_the_therapist_once_and_claims_around_it(world: World) -> None:
    # Given a confirmed session on Tuesday at 10:00 and a connected feed without events
    session = world.sessions.book(CLIENT, request(TUESDAY_10))
    world.sessions.confirm(THERAPIST, session.session_id)
    world.calendars.connect(THERAPIST, URL)
    # When the feed gains an event from 09:30 to 11:30
    world.source.ranges, world.source.etag = (
        [TimeRange(TUESDAY_10 - timedelta(minutes=30), TUESDAY_10 + timedelta(hours=1, minutes=30))],
        "v2",
    )
    world.calendars.sync_now(THERAPIST)
    world.source.etag = "v3"
    world.calendars.sync_now(THERAPIST)
    # Then the therapist is told once about that session, which keeps its time; the rest of the event is busy
    assert world.notifier.told == [(CalendarNotice.OVERLAP, "t1", session.session_id)]
    assert world.store.claims[("t1", TUESDAY_10)].owner_id == session.session_id
    assert len(world.busy_units()) == 8 - 4  # 09:30-10:00 and 11:00-11:30 (the session holds 10:00-10:50 as 4 units)


def test_refused_addresses_and_unreadable_feeds_store_nothing(world: World) -> None:
    # Given an address the fetcher refuses, and one that answers something that is not a calendar
    world.source.failure = CalendarAddressRefused("Only https addresses of public hosts can be imported.")
    with pytest.raises(ValidationFailed, match="https"):
        world.calendars.connect(THERAPIST, "http://10.0.0.1/cal.ics")
    world.source.failure = CalendarUnavailable("The calendar could not be read: it is not in iCalendar format.")
    with pytest.raises(ValidationFailed, match="iCalendar"):
        world.calendars.connect(THERAPIST, URL)
    # Then there is no import and no busy time
    assert world.imports.items == {} and world.busy_units() == []
    with pytest.raises(NotFound):
        world.calendars.status(THERAPIST)


def test_disconnecting_frees_every_busy_time_and_stops_a_sync_in_flight(world: World) -> None:
    # Given a connected feed, and the import as a sync read it before the therapist disconnects
    world.source.ranges = [hour(TUESDAY_10)]
    world.calendars.connect(THERAPIST, URL)
    read_by_a_sync = world.imports.items["t1"]
    # When the therapist disconnects
    world.calendars.disconnect(THERAPIST)
    # Then no busy time is left, and a sync that read the old import writes nothing
    assert world.busy_units() == []
    with pytest.raises(ImportGone):
        world.imports.write_busy(BusyWrite("t1", read_by_a_sync.import_id, (TUESDAY_10,), ()))
    # And a booking at that time goes through
    assert world.sessions.book(CLIENT, request(TUESDAY_10)).status == "pending"


def test_the_periodic_sync_queues_one_request_per_therapist_with_an_import(world: World) -> None:
    # Given three therapists with imports
    for therapist_id in ("t1", "t2", "t3"):
        world.imports.items[therapist_id] = CalendarImport(therapist_id, f"i-{therapist_id}", URL)
    queued: list[list[str]] = []

    class Queue:
        def enqueue(self, therapist_ids: list[str]) -> None:
            queued.append(list(therapist_ids))

    # When the schedule asks for the syncs, two per message batch
    count = world.calendars.request_syncs(Queue(), batch=2)
    # Then every therapist is queued once
    assert count == 3 and queued == [["t1", "t2"], ["t3"]]


def test_a_booking_racing_a_sync_is_decided_by_the_units_conditional_writes(world: World) -> None:
    # Given a feed that turns Tuesday 10:00 busy, and a sync that read the calendar before a booking took that hour
    world.calendars.connect(THERAPIST, URL)
    world.source.ranges, world.source.etag = [hour(TUESDAY_10)], "v2"
    imports = world.imports
    original_claims = imports.claims

    def claims_then_a_booking(therapist_id: str, since: datetime) -> dict[datetime, Claim]:
        seen = original_claims(therapist_id, since)
        world.sessions.book(CLIENT, request(TUESDAY_10))  # commits between the sync's read and its write
        return seen

    imports.claims = claims_then_a_booking  # type: ignore[method-assign]
    # When the sync writes
    world.calendars.sync_now(THERAPIST)
    # Then the booking keeps its units (the sync's puts were refused), and nothing is double-claimed
    owners = {
        c.owner_id for (t, u), c in world.store.claims.items() if TUESDAY_10 <= u < TUESDAY_10 + timedelta(hours=1)
    }
    assert owners == {next(iter(world.store.sessions))}


def test_an_unchanged_feed_still_claims_time_a_session_gave_back(world: World) -> None:
    # Given a confirmed session on Tuesday at 10:00, and a feed busy over that same hour
    session = world.sessions.book(CLIENT, request(TUESDAY_10))
    world.sessions.confirm(THERAPIST, session.session_id)
    world.source.ranges = [hour(TUESDAY_10)]
    world.calendars.connect(THERAPIST, URL)
    assert world.busy_units() == []  # the session holds the hour; the therapist is told of the overlap
    # When the therapist cancels the session and the feed, unchanged, is synced (it answers 304)
    world.sessions.cancel(THERAPIST, session.session_id, "Clash with my other calendar")
    world.calendars.sync_now(THERAPIST)
    # Then the hour the session gave back is busy: the last busy periods read are claimed again
    assert world.source.fetched_with[-1] == FeedValidators(etag="v1")
    assert world.busy_units() == [TUESDAY_10 + timedelta(minutes=15 * i) for i in range(4)]


def test_an_unchanged_feed_claims_the_days_the_horizon_reaches(world: World) -> None:
    # Given a feed with an event just past the booking horizon (30 days) when it is connected
    later = NOW + timedelta(days=32)
    world.source.ranges = [hour(later)]
    world.calendars.connect(THERAPIST, URL)
    assert world.busy_units() == []
    # When three days pass and the unchanged feed is synced
    world.clock.advance(timedelta(days=3))
    world.calendars.sync_now(THERAPIST)
    # Then the event, now within the horizon, is busy, read from what was stored (a 304, no new read)
    assert world.source.fetched_with[-1] == FeedValidators(etag="v1")
    assert world.busy_units() == [later + timedelta(minutes=15 * i) for i in range(4)]
