"""A therapist's private calendar feed (PRODUCT.md, "Calendars": Feed): which entries it lists, their UIDs,
and the unguessable address that reads it.

The address is `<API>/calendar-feeds/<token>.ics`. The token is derived, never stored: an HMAC of the
therapist's id and the feed's generation under the platform's secret (`FeedTokens`), so the same address comes
back on every call while the table holds only the SHA-256 of the token (the lookup key). Rotating the feed
moves the generation on, which derives another token and drops the old one's lookup item in one transaction.

The UID rules are here so that the emailed invitation (`notifications.calendar_invite`) and the feed give the
same session the same UID: a calendar app that has both keeps one entry. A reserved recurring slot's held
occurrences (`domain.reservations`) are entries of their own, under a UID per occurrence; a booked occurrence
is its session's entry, not listed again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from therapy_booking.domain.calendar import TimeRange
from therapy_booking.domain.errors import Conflict, NotFound
from therapy_booking.domain.model import Actor, Location, LocationKind, Role, Session, SessionStatus, SessionType
from therapy_booking.domain.ports import Clock
from therapy_booking.domain.reservations import OccurrenceStatus, Reservation
from therapy_booking.domain.services import require_role

PAST_DAYS = 30  # how far back the feed lists entries, and how long a cancelled or released one stays (CANCELLED)
AHEAD_DAYS = 365  # the longest booking horizon a therapist may set (PUT /therapists/me/availability)
TOKEN_BYTES = 32  # HMAC-SHA256: 256 bits
TOKEN_LENGTH = 43  # unpadded base64url of 32 bytes
FEED_SUFFIX = ".ics"
UNKNOWN_FEED = "There is no calendar feed at that address."


def uid_domain(sender: str) -> str:
    """The right-hand side of every UID: the platform sender's domain (bookings@example.com: example.com)."""
    return sender.rpartition("@")[2]


def session_uid(session_id: str, domain: str) -> str:
    """A session's UID, in its emailed invitation and in the feed alike, for every version of it."""
    return f"{session_id}@{domain}"


def alternative_uid(session_id: str, alternative_id: str, domain: str) -> str:
    """An offered alternative time's own UID in the feed (stable while the offer is open)."""
    return f"{session_id}-{alternative_id}@{domain}"


def reservation_uid(reservation_id: str, start: datetime, domain: str) -> str:
    """A reserved occurrence's UID in the feed: its reservation and its start (UTC). An occurrence never moves, so
    it keeps its UID from held to released; once booked, it is its session's entry (`session_uid`) instead."""
    return f"reservation-{reservation_id}-{start.astimezone(UTC):%Y%m%dT%H%M%SZ}@{domain}"


def location_label(location: Location) -> str:
    """Where a session is, as a calendar entry shows it: the practice's address, the joining link, or Phone."""
    if location.kind is LocationKind.IN_PERSON:
        return location.address or "In person"
    if location.kind is LocationKind.ONLINE:
        return location.link or "Online"
    return "Phone"


class EntryStatus(StrEnum):
    """iCalendar's VEVENT STATUS values the feed uses."""

    TENTATIVE = "TENTATIVE"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class FeedEntry:
    """One VEVENT of the feed: nothing about the client, only the time, the kind of session and where. It is a
    session's (`session_id`) or a reserved occurrence's (`reservation_id`)."""

    uid: str
    session_id: str | None
    start: datetime
    end: datetime
    status: EntryStatus
    sequence: int
    session_type: SessionType
    location: Location
    changed_at: datetime  # the session's (or reservation's) last change (DTSTAMP / LAST-MODIFIED)
    alternative: bool = False  # a time offered to the client, held until they answer
    reservation_id: str | None = None  # an occurrence of a reserved recurring slot, not booked


@dataclass(frozen=True)
class FeedOwner:
    """What the lookup item of a token's hash names: the therapist, and the generation it was made for."""

    therapist_id: str
    generation: int


@dataclass(frozen=True)
class Feed:
    therapist_id: str
    entries: tuple[FeedEntry, ...]


class FeedTokens(Protocol):
    """Derives a feed's token from the platform's secret (adapters: the secret read once per container)."""

    def token(self, therapist_id: str, generation: int) -> str:
        """base64url (unpadded) of HMAC-SHA256(secret, f"{therapist_id}:{generation}")."""


class CalendarFeeds(Protocol):
    """The feed records: the therapist's generation, and one lookup item per live token hash."""

    def generation(self, therapist_id: str) -> int | None:
        """The feed's current generation, or None if the therapist has none yet."""

    def create(self, therapist_id: str, token_hash: str) -> None:
        """Generation 1 and its lookup item, in one transaction; Conflict if the feed exists already."""

    def rotate(self, therapist_id: str, generation: int, old_hash: str, new_hash: str) -> None:
        """Move from `generation` to the next: the old lookup item deleted, the new one put, the generation
        moved on conditional on still being `generation` (Conflict otherwise), all in one transaction."""

    def owner(self, token_hash: str) -> FeedOwner | None:
        """The lookup item of a token's hash (a strongly consistent read), or None."""


class TherapistSessions(Protocol):
    def starting_between(self, therapist_id: str, start_from: datetime, start_to: datetime) -> list[Session]:
        """The therapist's sessions with a start in [start_from, start_to], by start: one Query, every page."""


class TherapistReservations(Protocol):
    def for_feed(self, therapist_id: str) -> list[Reservation]:
        """The therapist's reservations still stored: active, and deleted or ended ones not yet expired (none
        pending: a reservation being made is invisible), by first start: one Query, every page."""


def feed_window(now: datetime) -> TimeRange:
    """The starts the feed lists: from PAST_DAYS back to AHEAD_DAYS ahead (both included)."""
    return TimeRange(now - timedelta(days=PAST_DAYS), now + timedelta(days=AHEAD_DAYS))


def still_listed(changed_at: datetime, now: datetime) -> bool:
    """Whether a cancelled entry (a session cancelled or declined, an occurrence released) is still listed, as
    CANCELLED so that subscribed calendars remove it: while its last change is within PAST_DAYS."""
    return changed_at >= now - timedelta(days=PAST_DAYS)


def token_hash(token: str) -> str:
    """The lookup key of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def feed_token(feed_name: str) -> str:
    """The token of a feed address's last segment `<token>.ics`; NotFound if it is not of that shape (checked
    before anything is read: such an address can only be unknown)."""
    token = feed_name.removesuffix(FEED_SUFFIX)
    if token == feed_name or len(token) != TOKEN_LENGTH:
        raise NotFound(UNKNOWN_FEED)
    try:
        raw = base64.urlsafe_b64decode(token + "=")
    except (binascii.Error, ValueError):
        raise NotFound(UNKNOWN_FEED) from None
    if len(raw) != TOKEN_BYTES or base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != token:
        raise NotFound(UNKNOWN_FEED)
    return token


def entries_of(sessions: Iterable[Session], now: datetime, domain: str) -> list[FeedEntry]:
    """The feed's entries: pending sessions TENTATIVE, confirmed (and completed) ones CONFIRMED, each at its
    time; an open offer's original time with its status before the offer, and each held alternative
    TENTATIVE under its own UID; a location change waiting for the client at its time; cancelled and declined
    sessions changed within PAST_DAYS as CANCELLED (so subscribed calendars remove them), older ones left out."""
    entries: list[FeedEntry] = []
    for session in sessions:

        def entry(status: EntryStatus, s: Session = session) -> FeedEntry:
            return FeedEntry(
                uid=session_uid(s.session_id, domain),
                session_id=s.session_id,
                start=s.start,
                end=s.end,
                status=status,
                sequence=s.version,
                session_type=s.session_type,
                location=s.location,
                changed_at=s.updated_at,
            )

        if session.status in (SessionStatus.CANCELLED, SessionStatus.DECLINED):
            if still_listed(session.updated_at, now):
                entries.append(entry(EntryStatus.CANCELLED))
            continue
        standing = session.standing_status
        status = EntryStatus.TENTATIVE if standing is SessionStatus.PENDING else EntryStatus.CONFIRMED
        entries.append(entry(status))
        if session.status is SessionStatus.ALTERNATIVES_OFFERED and session.offer is not None:
            for alternative in session.offer.alternatives:
                entries.append(
                    FeedEntry(
                        uid=alternative_uid(session.session_id, alternative.alternative_id, domain),
                        session_id=session.session_id,
                        start=alternative.start,
                        end=alternative.end,
                        status=EntryStatus.TENTATIVE,
                        sequence=session.version,
                        session_type=session.session_type,
                        location=session.location,
                        changed_at=session.updated_at,
                        alternative=True,
                    )
                )
    return entries


def reservation_entries(reservations: Iterable[Reservation], now: datetime, domain: str) -> list[FeedEntry]:
    """The feed's entries of reserved recurring slots, for occurrences starting in the feed's window: each held
    occurrence TENTATIVE (held for the client until they book it) under its own UID; booked ones not at all
    (their sessions are entries); released ones (the reservation deleted or ended, or an occurrence passed
    unbooked) CANCELLED while the reservation changed within PAST_DAYS, so subscribed calendars remove them.
    SEQUENCE is the reservation's version, DTSTAMP its last change."""
    window = feed_window(now)
    entries: list[FeedEntry] = []
    for reservation in reservations:
        released_listed = still_listed(reservation.updated_at, now)
        for occurrence in reservation.views():
            if not window.start <= occurrence.start <= window.end or occurrence.status is OccurrenceStatus.BOOKED:
                continue
            if occurrence.status is OccurrenceStatus.RELEASED and not released_listed:
                continue
            held = occurrence.status is OccurrenceStatus.HELD
            entries.append(
                FeedEntry(
                    uid=reservation_uid(reservation.reservation_id, occurrence.start, domain),
                    session_id=None,
                    start=occurrence.start,
                    end=occurrence.end,
                    status=EntryStatus.TENTATIVE if held else EntryStatus.CANCELLED,
                    sequence=reservation.version,
                    session_type=reservation.session_type,
                    location=reservation.location,
                    changed_at=reservation.updated_at,
                    reservation_id=reservation.reservation_id,
                )
            )
    return entries


class CalendarFeedService:
    """The therapist's feed address (created on first use, rotatable) and the feed it reads."""

    def __init__(
        self,
        feeds: CalendarFeeds,
        sessions: TherapistSessions,
        reservations: TherapistReservations,
        tokens: FeedTokens,
        clock: Clock,
        uid_domain: str,
    ) -> None:
        self._feeds = feeds
        self._sessions = sessions
        self._reservations = reservations
        self._tokens = tokens
        self._clock = clock
        self._domain = uid_domain

    def own_token(self, actor: Actor) -> str:
        """The caller's feed token: the same on every call; the feed is created on the first (1 read, then
        1 transaction the first time)."""
        require_role(actor, Role.THERAPIST, "have a calendar feed")
        generation = self._feeds.generation(actor.user_id)
        if generation is None:
            token = self._tokens.token(actor.user_id, 1)
            try:
                self._feeds.create(actor.user_id, token_hash(token))
            except Conflict:
                # Another first call created it meanwhile: generation 1 derives the same token, unless it has
                # been rotated since.
                generation = self._feeds.generation(actor.user_id)
                if generation is None:
                    raise
                return self._tokens.token(actor.user_id, generation)
            return token
        return self._tokens.token(actor.user_id, generation)

    def rotate(self, actor: Actor) -> str:
        """A new token for the caller's feed; the old one stops working at once (its lookup item is gone)."""
        require_role(actor, Role.THERAPIST, "rotate a calendar feed")
        generation = self._feeds.generation(actor.user_id)
        if generation is None:
            return self.own_token(actor)
        old = self._tokens.token(actor.user_id, generation)
        new = self._tokens.token(actor.user_id, generation + 1)
        self._feeds.rotate(actor.user_id, generation, token_hash(old), token_hash(new))
        return new

    def feed(self, token: str) -> Feed:
        """The feed a token (as `feed_token` read it) opens: NotFound for an unknown or rotated one."""
        owner = self._feeds.owner(token_hash(token))
        # The lookup found the hash; the token is still compared, in constant time, with the one the owner's
        # generation derives (a lookup item left behind by anything but `rotate` cannot open a feed).
        if owner is None or not hmac.compare_digest(self._tokens.token(owner.therapist_id, owner.generation), token):
            raise NotFound(UNKNOWN_FEED)
        now = self._clock.now()
        window = feed_window(now)
        sessions = self._sessions.starting_between(owner.therapist_id, window.start, window.end)
        reservations = self._reservations.for_feed(owner.therapist_id)
        entries = (
            *entries_of(sessions, now, self._domain),
            *reservation_entries(reservations, now, self._domain),
        )
        return Feed(owner.therapist_id, entries)
