"""A therapist's imported calendar (PRODUCT.md, "Calendars"): its busy times become unavailable time.

Busy times are **claims** of the therapist's time (`ClaimKind.BUSY`), the same unit items sessions, holds
and blocks take. So the slot query stays one Query of the therapist's partition, and everything that takes
time (a booking, an offer, a reschedule, a block, a reservation) is refused over a busy time by the
condition of its own write (409 `slot_unavailable`): no check-then-write. A booking racing a sync is
decided item by item: the booking's transaction and the sync's write both put a unit only if it does not
exist, so whichever commits first has it; the booking gets 409, or the sync finds the unit booked (and
tells the therapist that their calendar overlaps a session).

A sync reads the feed (conditionally: an unchanged feed is one small request and writes no claim), expands
its busy events over the booking horizon, and writes the difference with the busy claims it finds: new
units claimed, units no longer busy given back. Each batch of claim writes also checks that the import it
belongs to still exists unchanged (its `import_id`), so a sync still running when the therapist removes
or replaces the import cannot leave busy time behind.

A feed that cannot be fetched or read keeps its last good busy times, shows `failing` with a sentence,
and tells the therapist once (until it recovers).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from therapy_booking.domain.calendar import TimeRange, claim_units
from therapy_booking.domain.calendar_import import (
    CalendarAddressRefused,
    CalendarSource,
    CalendarUnavailable,
    FeedNotModified,
    FeedValidators,
    calendar_host,
)
from therapy_booking.domain.changes import Claim, ClaimKind
from therapy_booking.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from therapy_booking.domain.model import Actor, Role, Therapist
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.ports import Clock

logger = logging.getLogger(__name__)  # notices and error classes only: never the calendar's address

DEFAULT_HORIZON_DAYS = 60  # the window synced for a therapist who has not published availability yet
READ_AHEAD = timedelta(days=7)  # the feed is read this far past the window, so a 304 serves a week of its moving


class ImportStatus(StrEnum):
    OK = "ok"
    FAILING = "failing"


@dataclass(frozen=True)
class CalendarImport:
    """A therapist's imported calendar. `url` is the secret address: never logged, never answered whole."""

    therapist_id: str
    import_id: str  # a new one for every address set: claim writes check it
    url: str = field(repr=False)  # never in a repr: a log line or an assertion message would print it
    status: ImportStatus = ImportStatus.OK
    last_synced_at: datetime | None = None
    last_error: str | None = None
    busy_count: int = 0
    validators: FeedValidators = field(default_factory=FeedValidators)
    # The feed's busy periods as last read (merged, UTC): every sync claims them again over the current window,
    # an unchanged feed (304) included, so a horizon that moved on and time a session gave back are claimed.
    busy: tuple[TimeRange, ...] = field(default=(), repr=False)
    covered_until: datetime | None = None  # `busy` was read up to here: a window past it reads the feed in full
    failing_told: bool = False  # the therapist was told it is failing (once, until it recovers)
    overlaps_told: frozenset[str] = frozenset()  # sessions the therapist was told their calendar overlaps

    @property
    def host(self) -> str:
        return calendar_host(self.url)


class CalendarNotice(StrEnum):
    """What a therapist is told about their imported calendar (by email, once each)."""

    FAILING = "calendar.failing"
    OVERLAP = "calendar.overlap"


@dataclass(frozen=True)
class BusyWrite:
    """What one sync writes: units to claim as busy, busy units to give back."""

    therapist_id: str
    import_id: str
    add: tuple[datetime, ...]
    remove: tuple[datetime, ...]


class ImportGone(Exception):
    """The import was removed or replaced while a sync of it ran: its writes stop."""


class CalendarImportRepository(Protocol):
    def get(self, therapist_id: str) -> CalendarImport | None: ...

    def get_with_therapist(self, therapist_id: str) -> tuple[Therapist | None, CalendarImport | None]:
        """The therapist's record and their import, in one read."""

    def save(self, calendar: CalendarImport, replacing: str | None) -> None:
        """Store the import; conditional on the stored one having import id `replacing` (None: on there being
        none, or any for a new address). Raises ImportGone when the condition fails."""

    def claims(self, therapist_id: str, since: datetime) -> dict[datetime, Claim]:
        """Every claim of the therapist's time from `since` on (one Query), by unit."""

    def write_busy(self, write: BusyWrite) -> set[datetime]:
        """Claim `add` (each only if free) and give back `remove` (each only if still busy), in batches each
        conditional on the import still being `import_id`; the units another owner took meanwhile (skipped).
        Raises ImportGone if the import changed."""

    def delete(self, therapist_id: str) -> None:
        """Remove the import item (so no sync writes for it any more); nothing if there is none."""

    def release_busy(self, therapist_id: str, since: datetime) -> int:
        """Give back every busy claim from `since` on; how many."""

    def therapists_with_imports(self) -> Iterator[str]:
        """Every therapist with an import, page by page (for the periodic sync)."""


class CalendarNotifier(Protocol):
    def tell_calendar(
        self, notice: CalendarNotice, therapist_id: str, occasion_id: str, session_id: str | None
    ) -> object:
        """Email the therapist about their imported calendar, once per occasion."""


class SyncQueue(Protocol):
    def enqueue(self, therapist_ids: list[str]) -> None:
        """Ask for each therapist's calendar to be synced, each on its own (one message each)."""


def busy_units(ranges: list[TimeRange], window: TimeRange, unit_minutes: int) -> set[datetime]:
    """The claim units the busy ranges touch within the window."""
    units: set[datetime] = set()
    for busy in ranges:
        start, end = max(busy.start, window.start), min(busy.end, window.end)
        if start < end:
            units.update(claim_units(start, end, unit_minutes))
    return units


def overlapped_sessions(wanted: set[datetime], claims: dict[datetime, Claim]) -> set[str]:
    """Sessions (booked, or holding alternatives) whose time the feed's busy units overlap."""
    return {c.owner_id for unit in wanted if (c := claims.get(unit)) is not None and c.kind in _SESSION_KINDS}


_SESSION_KINDS = frozenset({ClaimKind.SESSION, ClaimKind.HOLD})


class CalendarImportService:
    def __init__(
        self,
        imports: CalendarImportRepository,
        source: CalendarSource,
        notifier: Callable[[], CalendarNotifier],  # built when first needed: most requests tell nobody
        clock: Clock,
        policy: PlatformPolicy,
        ids: Callable[[], str],
    ) -> None:
        self._imports = imports
        self._source = source
        self._notifier = notifier
        self._clock = clock
        self._policy = policy
        self._ids = ids

    # --- the therapist's routes -----------------------------------------------------------------------

    def connect(self, actor: Actor, url: str) -> CalendarImport:
        """Set (or replace) the therapist's import and sync it at once. An address that is refused, cannot be
        fetched or is not iCalendar is 422 and stores nothing."""
        therapist, previous = self._own(actor)
        calendar = CalendarImport(therapist.therapist_id, self._ids(), url.strip())
        window = self._window(therapist)
        try:
            fetched = self._source.fetch(calendar.url, None)
            if isinstance(fetched, FeedNotModified):  # no validators were sent: a server that says so is broken
                raise CalendarUnavailable("The calendar's address did not send the calendar.")
            reading = self._reading(window)
            ranges = self._source.busy(fetched.body, reading.start, reading.end, self._zone(therapist))
        except CalendarAddressRefused:
            raise
        except CalendarUnavailable as error:
            raise ValidationFailed(f"That calendar address could not be used: {error}") from None
        calendar = replace(calendar, validators=fetched.validators, busy=tuple(ranges), covered_until=reading.end)
        try:
            self._imports.save(calendar, replacing=previous.import_id if previous is not None else None)
        except ImportGone:
            raise Conflict("Your calendar was being changed at the same time; please try again.") from None
        return self._apply(calendar, therapist, ranges, window)

    def status(self, actor: Actor) -> CalendarImport:
        return self._connected(*self._own(actor))

    def sync_now(self, actor: Actor) -> CalendarImport:
        therapist, calendar = self._own(actor)
        return self._sync(self._connected(therapist, calendar), therapist)

    def disconnect(self, actor: Actor) -> None:
        """Remove the import, then give back its busy times (a second call finishes what a crash left)."""
        therapist, _ = self._own(actor)
        self._imports.delete(therapist.therapist_id)
        self._imports.release_busy(therapist.therapist_id, self._since())

    # --- the periodic sync --------------------------------------------------------------------------

    def request_syncs(self, queue: SyncQueue, batch: int = 10) -> int:
        """Enqueue one sync per therapist with an import; how many."""
        pending: list[str] = []
        count = 0
        for therapist_id in self._imports.therapists_with_imports():
            pending.append(therapist_id)
            if len(pending) == batch:
                queue.enqueue(pending)
                count, pending = count + len(pending), []
        if pending:
            queue.enqueue(pending)
            count += len(pending)
        return count

    def sync(self, therapist_id: str) -> CalendarImport | None:
        """Sync one therapist's import (the queue's worker); None if they have none any more."""
        therapist, calendar = self._imports.get_with_therapist(therapist_id)
        if calendar is None or therapist is None or therapist.profile is None:
            return None
        return self._sync(calendar, therapist)

    # --- how a sync goes ----------------------------------------------------------------------------

    def _sync(self, calendar: CalendarImport, therapist: Therapist) -> CalendarImport:
        window, reading = self._window(therapist), self._reading(self._window(therapist))
        covered = calendar.covered_until is not None and calendar.covered_until >= window.end
        try:
            fetched = self._source.fetch(calendar.url, calendar.validators if covered else None)
            if isinstance(fetched, FeedNotModified):  # the busy periods last read, over today's window
                return self._apply(calendar, therapist, list(calendar.busy), window)
            ranges = self._source.busy(fetched.body, reading.start, reading.end, self._zone(therapist))
        except CalendarUnavailable as error:
            return self._failing(calendar, str(error))
        except CalendarAddressRefused as error:  # the address (or where it now redirects) is no longer allowed
            return self._failing(calendar, str(error))
        read = replace(calendar, validators=fetched.validators, busy=tuple(ranges), covered_until=reading.end)
        return self._apply(read, therapist, ranges, window)

    def _apply(
        self, calendar: CalendarImport, therapist: Therapist, ranges: list[TimeRange], window: TimeRange
    ) -> CalendarImport:
        """Make the busy claims those of `ranges` over `window`: a difference with the claims read now, so a sync
        cut off halfway, or one that lost a race with another, is put right by the next."""
        unit = self._policy.calendar_unit_minutes
        wanted = busy_units(ranges, window, unit)
        claims = self._imports.claims(therapist.therapist_id, window.start)
        busy_now = {u for u, c in claims.items() if c.kind is ClaimKind.BUSY}
        add = sorted(u for u in wanted - busy_now if u not in claims)
        remove = sorted(busy_now - wanted)
        try:
            self._imports.write_busy(BusyWrite(therapist.therapist_id, calendar.import_id, tuple(add), tuple(remove)))
        except ImportGone:
            return calendar  # removed or replaced meanwhile: nothing more to do for this one
        overlapping = overlapped_sessions(wanted, claims)
        told = {
            session_id
            for session_id in sorted(overlapping - calendar.overlaps_told)
            if self._tell(CalendarNotice.OVERLAP, calendar, f"{calendar.import_id}#{session_id}", session_id)
        }
        synced = replace(
            self._healthy(calendar),
            busy_count=sum(1 for busy in ranges if busy.overlaps(window)),
            # those no longer overlapping are forgotten (bounded); one not told yet is tried at the next sync
            overlaps_told=frozenset(calendar.overlaps_told & overlapping | told),
        )
        return self._store(synced, calendar)

    def _healthy(self, calendar: CalendarImport) -> CalendarImport:
        return replace(
            calendar,
            status=ImportStatus.OK,
            last_synced_at=self._clock.now(),
            last_error=None,
            failing_told=False,
        )

    def _failing(self, calendar: CalendarImport, reason: str) -> CalendarImport:
        """Keep the last good busy times; tell the therapist once per failure (from the last good sync on)."""
        told = calendar.failing_told
        if not told:
            episode = calendar.last_synced_at.isoformat() if calendar.last_synced_at else "never"
            told = self._tell(CalendarNotice.FAILING, calendar, f"{calendar.import_id}#failing#{episode}", None)
        failing = replace(calendar, status=ImportStatus.FAILING, last_error=reason, failing_told=told)
        return self._store(failing, calendar)

    def _tell(self, notice: CalendarNotice, calendar: CalendarImport, occasion_id: str, session_id: str | None) -> bool:
        """Email the therapist; False if it could not be sent (it is tried again at the next sync: the occasion
        id stays the same, so it is never sent twice). A notice never fails the sync itself."""
        try:
            self._notifier().tell_calendar(notice, calendar.therapist_id, occasion_id, session_id)
        except Exception as error:  # the notifier's failure (SES throttled...): the sync's outcome still stands
            logger.warning(
                "calendar notice not sent", extra={"notice": str(notice), "error_type": type(error).__name__}
            )
            return False
        return True

    def _store(self, calendar: CalendarImport, read: CalendarImport) -> CalendarImport:
        """Save the sync's outcome if the import is still the one it read; else leave the newer one be."""
        try:
            self._imports.save(calendar, replacing=read.import_id)
        except ImportGone:
            return read
        return calendar

    def _own(self, actor: Actor) -> tuple[Therapist, CalendarImport | None]:
        """The caller's therapist record and their import, read together."""
        if not actor.has(Role.THERAPIST):
            raise Forbidden("Only therapists can connect a calendar.")
        therapist, calendar = self._imports.get_with_therapist(actor.user_id)
        if therapist is None or therapist.profile is None:
            raise NotFound("You have not published a therapist profile yet.")
        return therapist, calendar

    @staticmethod
    def _connected(therapist: Therapist, calendar: CalendarImport | None) -> CalendarImport:
        if calendar is None:
            raise NotFound("You have not connected a calendar.")
        return calendar

    def _since(self) -> datetime:
        return self._clock.now().astimezone(UTC).replace(minute=0, second=0, microsecond=0)

    def _window(self, therapist: Therapist) -> TimeRange:
        """From the current hour to the end of the booking horizon (a day more: a booking's end may pass it)."""
        days = therapist.availability.horizon_days if therapist.availability else DEFAULT_HORIZON_DAYS
        start = self._since()
        return TimeRange(start, start + timedelta(days=days + 1))

    @staticmethod
    def _reading(window: TimeRange) -> TimeRange:
        return TimeRange(window.start, window.end + READ_AHEAD)

    @staticmethod
    def _zone(therapist: Therapist) -> str:
        assert therapist.profile is not None
        return therapist.profile.timezone
