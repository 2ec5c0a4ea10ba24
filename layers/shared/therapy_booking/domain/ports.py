"""What the domain needs from the outside world. Adapters implement these."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from therapy_booking.domain.changes import Claim, SessionChange
from therapy_booking.domain.events import DomainEvent
from therapy_booking.domain.model import (
    Availability,
    Block,
    ClientProfile,
    Reactivation,
    Role,
    Session,
    SessionStatus,
    Therapist,
    TherapistProfile,
)
from therapy_booking.domain.standing import RankUpdate, StandingNotice


@dataclass(frozen=True)
class Page[T]:
    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class SessionQuery:
    status: SessionStatus | None = None
    start_from: datetime | None = None
    start_to: datetime | None = None
    limit: int = 20
    cursor: str | None = None


@dataclass(frozen=True)
class UnreadableItem:
    """A stored item that could not be read (corrupt, or written by a newer version): its id and the error class."""

    item_id: str
    error_type: str


@dataclass(frozen=True)
class Calendar:
    """A therapist with the units of time already claimed from `since` on, and among them the claims of reserved
    occurrences (each saying whom it is held for)."""

    therapist: Therapist
    claimed_units: set[datetime] = field(default_factory=set)
    reserved: tuple[Claim, ...] = ()


class Clock(Protocol):
    def now(self) -> datetime: ...


class SessionRepository(Protocol):
    def get(self, session_id: str) -> Session | None: ...

    def get_with_therapist(self, session_id: str, therapist_id: str) -> tuple[Session | None, Therapist | None]:
        """The session and the therapist `therapist_id` in one read, whether or not the session is theirs."""

    def commit(self, change: SessionChange) -> None:
        """Write the change atomically or raise SlotUnavailable, Conflict,
        FreeConsultationUsed or TherapistUnavailableForBooking."""

    def give_back(self, session: Session, units: Iterable[datetime]) -> None:
        """Delete the session's claims on `units` (skipping any that are someone else's by now) and clear
        `releases_pending`, conditional on the session's version (Conflict if it changed meanwhile)."""

    def list_for(self, role: Role, user_id: str, query: SessionQuery) -> Page[Session]: ...

    def list_due(self, now: datetime, page_size: int) -> Iterator[Session | UnreadableItem]:
        """Sessions due at or before `now` (time to give back, an answer's deadline, an end), earliest first,
        read `page_size` at a time as they are consumed; a stored item that cannot be read as a session
        stands in their place as an `UnreadableItem`."""


class Listing(Protocol):
    """The therapist listing's pages (the repository's, or a cache of its first pages in front of it)."""

    def list_bookable(self, limit: int, cursor: str | None) -> Page[Therapist]:
        """Listed therapists by rank score, highest first (ties by id); `cursor` continues a page given out before
        (a cursor not given out by this listing is refused with ValidationFailed)."""


class TherapistRepository(Protocol):
    def get(self, therapist_id: str) -> Therapist | None: ...

    def get_with_client(self, therapist_id: str, client_id: str) -> tuple[Therapist | None, ClientProfile | None]:
        """The therapist and the client's profile in one read (a session's two parties)."""

    def get_with_claim(self, therapist_id: str, unit_start: datetime) -> tuple[Therapist | None, Claim | None]:
        """The therapist and the claim on one unit of their time (is it an occurrence held for a client?), in one
        read."""

    def get_calendar(self, therapist_id: str, since: datetime) -> Calendar | None: ...

    def save_profile(
        self, therapist_id: str, profile: TherapistProfile, newcomer_score: Decimal | None = None
    ) -> Therapist:
        """Publish the profile; listed if visible and not deactivated, at its rank (a first profile at
        `newcomer_score`, last if None, until the standing projection ranks it)."""

    def save_availability(self, therapist_id: str, availability: Availability) -> Therapist: ...

    def list_bookable(self, limit: int, cursor: str | None) -> Page[Therapist]:
        """Listed therapists by rank score, highest first (ties by id): one page is one Query."""

    def record_rank(self, update: RankUpdate) -> bool:
        """Store the rank the projection computed, if the record is still as it saw it (else False)."""

    def get_block(self, therapist_id: str, block_id: str) -> Block | None: ...

    def future_blocks(self, therapist_id: str, now: datetime) -> list[Block]:
        """The therapist's blocks that end after `now`, by start (then id), in one read."""

    def add_block(self, block: Block, claims: tuple[Claim, ...]) -> None:
        """Raise SlotUnavailable if any claim is taken."""

    def remove_block(self, block: Block, claims: tuple[Claim, ...]) -> None: ...

    def reactivate(
        self, therapist_id: str, reactivation: Reactivation, newcomer_score: Decimal | None = None
    ) -> Therapist | None:
        """Not deactivated, streak 0, listed again if visible (at its rank, or `newcomer_score`'s if it has none
        yet), the reactivation recorded; None if unknown."""

    def listed_records(self) -> Iterator[tuple[Therapist, Decimal | None]]:
        """Every listed therapist with its stored rank score (None: never ranked), page by page."""


class ClientRepository(Protocol):
    def get(self, client_id: str) -> ClientProfile | None: ...

    def save_profile(self, profile: ClientProfile) -> ClientProfile: ...


class ReminderSchedules(Protocol):
    """One one-time timer per session: its reminder. Idempotent like `ExpirySchedules`."""

    def schedule_reminder(self, session_id: str, start: datetime, at: datetime) -> None:
        """Have `NotificationService.remind(session_id, start)` run at `at`, replacing any earlier plan."""

    def cancel_reminder(self, session_id: str) -> None:
        """Drop the session's reminder, if there still is one."""


class ResponseReminderSchedules(Protocol):
    """One one-time timer per booking: the reminder to its therapist to answer. Idempotent like `ExpirySchedules`
    (a booking's reminder time never moves, so scheduling it again changes nothing)."""

    def schedule_response_reminder(self, session_id: str, at: datetime) -> None:
        """Have `NotificationService.remind_to_respond(session_id)` run at `at` (whole seconds, UTC)."""

    def cancel_response_reminder(self, session_id: str) -> None:
        """Drop the booking's response reminder, if there still is one."""


class ExpirySchedules(Protocol):
    """One-time timers that expire an unanswered offer or location change at its deadline.

    Both operations are idempotent: scheduling a change already scheduled, or
    cancelling one that is not (or no longer) scheduled, succeeds and does nothing.
    """

    def schedule(self, change_id: str, session_id: str, at: datetime) -> None:
        """Have `SessionService.expire(session_id, change_id)` run at `at` (whole seconds, UTC)."""

    def cancel(self, change_id: str) -> None:
        """Drop the timer of `change_id`, if there still is one."""


class FailureReports(Protocol):
    """Where an item that failed on its own is reported for a person to look at (a dead-letter queue)."""

    def report(self, source: str, item_id: str, error_type: str) -> None:
        """Record that `item_id` failed in `source` with an error of class `error_type` (ids only, no content)."""


class UserDirectory(Protocol):
    """Where people sign in (the user pool): the groups that give them their roles, and their second factor."""

    def add_to_group(self, user_name: str, group: str) -> None:
        """Make the user a member of `group`. Idempotent: a user already in it stays in it once, and no error."""

    def has_totp(self, user_name: str) -> bool:
        """Whether the user has MFA by authenticator app (TOTP) set up and enabled: then every sign-in of theirs
        asks for a code."""


class OutboxEvents(Protocol):
    """Reads an outbox item, as a stream record carries it, back into its event."""

    def decode(self, image: Mapping[str, Any]) -> tuple[DomainEvent, Session | None]:
        """The typed event and the session as it left it (None if the item does not carry it).
        Raises `events.UnknownEventType` or `events.MalformedEvent`."""


@dataclass(frozen=True)
class TherapistRecordChange:
    """One change of a therapist's record, as its stream record tells it: the record before (None when it was
    created) and after, the rank score stored with it, and an id unique to this change (its sequence number)."""

    before: Therapist | None
    after: Therapist
    stored_score: Decimal | None
    change_id: str


class StandingNotifier(Protocol):
    def tell_standing(self, notice: StandingNotice, therapist_id: str, occasion_id: str) -> object:
        """Tell the therapist (by email, once per occasion) that their streak flagged or deactivated them."""
