"""Reserved recurring slots (PRODUCT.md, "Calendars"; docs/reservations.md).

A therapist reserves the same wall-clock time in their zone every 1 to 4 weeks, up to 26 times, for one
ongoing client. Every occurrence's units are **claims** (`ClaimKind.RESERVED`, owner the reservation; the
first unit's `held_for` names the client and the occurrence), so everything else that takes time is refused
over a held occurrence by its own conditional write, and the slot query reads them with the rest.

Making a reservation: the occurrences' units are read first (one consistent batch read), so a refusal names
every clashing start and writes nothing. Then they are claimed. When the claims and the reservation fit in
one transaction (at most 100 items), that is one atomic write. Otherwise the reservation is first written
**pending** (invisible: no list shows it, its client cannot book it) with the first batch of claims, the
next batches each check it is still pending, and the last batch makes it active with its `reservation.made`
event. A batch refused by a unit someone took meanwhile gives back what was claimed and removes the pending
reservation, and the request is refused naming the clashing occurrences; a crash half-way leaves a pending
reservation whose due time (`PENDING_GRACE` after it was made) has the sweeper give its claims back and
remove it. A half-made reservation is never visible and never stays.

Giving time back may follow in later idempotent steps (ARCHITECTURE.md): deleting writes the reservation
`deleted` (with its event) and the first released units in one transaction, then the rest; until all are
back it stays due and the sweeper finishes it. Held occurrences whose start has passed unbooked are given
back by the sweeper. A booked occurrence is the session's from then on: deleting the reservation leaves it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from therapy_booking.domain.calendar import TimeRange, claim_units, on_grid, wall_time_instant
from therapy_booking.domain.changes import TRANSACTION_ITEM_LIMIT, Claim, ClaimKind, HeldOccurrence
from therapy_booking.domain.errors import (
    Conflict,
    NotFound,
    SlotUnavailable,
    TherapistUnavailableForBooking,
    ValidationFailed,
)
from therapy_booking.domain.model import Actor, ClientProfile, Location, Role, SessionType, Therapist
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.ports import Clock, UnreadableItem
from therapy_booking.domain.services import require_role

logger = logging.getLogger(__name__)  # ids and error classes only

MAX_OCCURRENCES = 26
MAX_EVERY_WEEKS = 4
PENDING_GRACE = timedelta(minutes=5)  # a reservation still pending this long after it was made was abandoned


class ReservationStatus(StrEnum):
    PENDING = "pending"  # being made: its claims are being written; invisible
    ACTIVE = "active"
    DELETED = "deleted"
    ENDED = "ended"  # every occurrence has passed


class OccurrenceStatus(StrEnum):
    HELD = "held"
    BOOKED = "booked"
    RELEASED = "released"


@dataclass(frozen=True)
class OccurrenceView:
    """An occurrence as the API shows it."""

    start: datetime
    end: datetime
    status: OccurrenceStatus
    session_id: str | None = None


@dataclass(frozen=True)
class Reservation:
    reservation_id: str
    therapist_id: str
    client_id: str
    session_type: SessionType
    location: Location
    every_weeks: int
    occurrences: tuple[TimeRange, ...]
    status: ReservationStatus
    created_at: datetime
    updated_at: datetime
    version: int
    booked: dict[datetime, str] = field(default_factory=dict)  # occurrence start -> the session that booked it
    # The claims of the unbooked occurrences starting at or before this instant have been given back.
    released_through: datetime | None = None

    def is_released(self, occurrence: TimeRange) -> bool:
        return self.released_through is not None and occurrence.start <= self.released_through

    def status_of(self, occurrence: TimeRange) -> OccurrenceStatus:
        if occurrence.start in self.booked:
            return OccurrenceStatus.BOOKED
        if self.status in (ReservationStatus.DELETED, ReservationStatus.ENDED) or self.is_released(occurrence):
            return OccurrenceStatus.RELEASED
        return OccurrenceStatus.HELD

    def views(self) -> list[OccurrenceView]:
        return [OccurrenceView(o.start, o.end, self.status_of(o), self.booked.get(o.start)) for o in self.occurrences]

    @property
    def unreleased(self) -> tuple[TimeRange, ...]:
        """Occurrences not booked whose claims are still out (held, or given up and not yet given back)."""
        return tuple(o for o in self.occurrences if o.start not in self.booked and not self.is_released(o))

    @property
    def last_end(self) -> datetime:
        return self.occurrences[-1].end

    @property
    def due_at(self) -> datetime | None:
        """When the sweeper must look at it: an abandoned making, time still to give back, a held occurrence
        that passes unbooked at its start, the end of the last occurrence."""
        if self.status is ReservationStatus.PENDING:
            return self.created_at + PENDING_GRACE
        if self.status is ReservationStatus.DELETED:
            return self.updated_at if self.unreleased else None
        if self.status is ReservationStatus.ACTIVE:
            unreleased = self.unreleased
            return unreleased[0].start if unreleased else self.last_end
        return None

    def is_visible_to(self, actor: Actor) -> bool:
        return (actor.has(Role.THERAPIST) and actor.user_id == self.therapist_id) or (
            actor.has(Role.CLIENT) and actor.user_id == self.client_id
        )


class ReservationEventType(StrEnum):
    MADE = "reservation.made"
    DELETED = "reservation.deleted"


@dataclass(frozen=True, kw_only=True)
class ReservationEvent:
    """What happened to a reservation, written in the same transaction (its outbox item), for the client's email."""

    event_type: ReservationEventType
    reservation_id: str
    version: int
    occurred_at: datetime
    actor_role: Role
    actor_id: str | None

    @property
    def event_id(self) -> str:
        return f"{self.reservation_id}/{self.version}"


@dataclass(frozen=True)
class ReservationRequest:
    client_id: str
    first_start: datetime
    every_weeks: int
    occurrences: int
    session_type: SessionType
    location_id: str


class UnitsTaken(Exception):
    """Units another owner holds: a write that would claim them was refused."""

    def __init__(self, units: Iterable[datetime]) -> None:
        super().__init__("units taken")
        self.units = frozenset(units)


class ReservationRepository(Protocol):
    def get(self, therapist_id: str, reservation_id: str) -> Reservation | None:
        """The reservation (strongly consistent)."""

    def claims_at(self, therapist_id: str, units: Sequence[datetime]) -> dict[datetime, Claim]:
        """The claims on `units` that exist, by unit (strongly consistent reads)."""

    def save(
        self,
        reservation: Reservation,
        expected_version: int | None,
        event: ReservationEvent | None = None,
        take: Sequence[Claim] = (),
        give_back: Sequence[Claim] = (),
    ) -> None:
        """One transaction: the reservation (new if `expected_version` is None, else conditional on that
        version), its event, `take` (each only if free) and `give_back` (each only if still the reservation's
        or gone). Raises UnitsTaken, or Conflict if the reservation changed (or a unit to give back is someone
        else's: the whole write is refused then)."""

    def take(self, reservation: Reservation, claims: Sequence[Claim]) -> None:
        """One transaction: `claims` (each only if free), conditional on the reservation still being pending
        at its version. Raises UnitsTaken, or Conflict if the reservation changed or is gone."""

    def give_back(self, reservation_id: str, claims: Sequence[Claim]) -> None:
        """Delete each claim still the reservation's, in transactions of at most 100; one already gone or someone
        else's by now is skipped. Idempotent."""

    def remove(self, reservation: Reservation) -> None:
        """Delete a pending reservation's item (nothing if it is gone or no longer pending)."""

    def for_therapist(self, therapist_id: str) -> list[Reservation]:
        """The therapist's active reservations, by first start."""

    def for_client(self, client_id: str) -> list[Reservation]:
        """The active reservations held for the client, by first start."""

    def list_due(self, now: datetime, page_size: int) -> Iterator[Reservation | UnreadableItem]:
        """Reservations due at or before `now`, earliest first, page by page."""


class ReservationEvents(Protocol):
    """Reads a reservation's outbox item, as a stream record carries it, back into its event."""

    def decode(self, image: Mapping[str, Any]) -> tuple[ReservationEvent, Reservation]:
        """The typed event and the reservation as it left it. Raises `events.UnknownEventType` for a type
        this code does not know, `events.MalformedEvent` for an item that does not fit its type."""


class TherapistReader(Protocol):
    def get(self, therapist_id: str) -> Therapist | None: ...


class ClientReader(Protocol):
    def get_with_relationship(self, client_id: str, therapist_id: str) -> tuple[ClientProfile | None, bool]:
        """The client's profile, and whether they have booked with the therapist, in one read."""


def occurrence_starts(first_start: datetime, every_weeks: int, count: int, timezone: str) -> list[datetime]:
    """`count` starts `every_weeks` weeks apart at the first start's wall-clock time in `timezone` (UTC instants):
    an 18:00 session stays at 18:00 across a clock change. A wall time that occurs twice (the clock goes back)
    is its first occurrence on later days (the first start itself stays as given); one that does not exist that day
    (the clock goes forward) refuses them all."""
    zone = ZoneInfo(timezone)
    wall = first_start.astimezone(zone).replace(tzinfo=None, fold=0)
    starts: list[datetime] = []
    missing: list[str] = []
    for index in range(count):
        local = wall + timedelta(weeks=every_weeks * index)
        instant = first_start if index == 0 else wall_time_instant(local, zone)
        if instant is None:
            missing.append(local.date().isoformat())
        else:
            starts.append(instant)
    if missing:
        raise ValidationFailed(
            f"{wall:%H:%M} does not exist in {timezone} on {', '.join(missing)} (the clocks go forward): "
            "choose another time."
        )
    return starts


def reservation_claims(reservation: Reservation, occurrences: Iterable[TimeRange], unit_minutes: int) -> list[Claim]:
    """The claims of `occurrences` of the reservation. An occurrence's first unit also says whom and which
    occurrence it is held for: that is the unit a booking of the occurrence reads, and the one the slot query
    shows the client (the others stay small: every slot read reads them)."""
    claims: list[Claim] = []
    for occurrence in occurrences:
        held = HeldOccurrence(reservation.client_id, occurrence.start, occurrence.end, reservation.session_type)
        claims += [
            Claim(
                reservation.therapist_id,
                unit,
                ClaimKind.RESERVED,
                reservation.reservation_id,
                held if unit == occurrence.start else None,
            )
            for unit in claim_units(occurrence.start, occurrence.end, unit_minutes)
        ]
    return claims


def clashing(occurrences: Iterable[TimeRange], units: Iterable[datetime], unit_minutes: int) -> list[datetime]:
    """The starts of the occurrences that touch any of `units`."""
    taken = set(units)
    return [o.start for o in occurrences if taken.intersection(claim_units(o.start, o.end, unit_minutes))]


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def clash_error(starts: Sequence[datetime]) -> SlotUnavailable:
    named = [_iso(start) for start in sorted(starts)]
    return SlotUnavailable(
        f"{len(named)} of the occurrences clash with time already taken (nothing was reserved): {', '.join(named)}.",
        tuple(named),
    )


def _batches[T](items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[at : at + size] for at in range(0, len(items), size)]


@dataclass(frozen=True)
class ReservationSweepReport:
    released: int = 0  # reservations whose past or deleted occurrences were given back
    ended: int = 0
    abandoned: int = 0  # pending reservations whose making never finished, removed
    skipped: int = 0  # changed meanwhile: the next sweep looks again
    failures: tuple[tuple[str, str], ...] = ()  # (reservation id, error class)


class ReservationService:
    def __init__(
        self,
        reservations: ReservationRepository,
        therapists: TherapistReader,
        clients: ClientReader,
        clock: Clock,
        policy: PlatformPolicy,
        ids: Callable[[], str],
    ) -> None:
        self._reservations = reservations
        self._therapists = therapists
        self._clients = clients
        self._clock = clock
        self._policy = policy
        self._ids = ids

    @property
    def _unit(self) -> int:
        return self._policy.calendar_unit_minutes

    # --- the therapist's routes -------------------------------------------------------------------------

    def reserve(self, actor: Actor, request: ReservationRequest) -> Reservation:
        """Hold every occurrence for the client, or none (409 `slot_unavailable` naming each clashing start)."""
        require_role(actor, Role.THERAPIST, "reserve slots")
        therapist = self._therapists.get(actor.user_id)
        if therapist is None or therapist.profile is None:
            raise NotFound("Publish your therapist profile first.")
        if not therapist.accepts_bookings:
            raise TherapistUnavailableForBooking(
                "Your profile is hidden or deactivated: your client could not book these times."
            )
        profile = therapist.profile
        offer = profile.offer_for(request.session_type)
        if offer is None:
            raise ValidationFailed(f"You do not offer {request.session_type} sessions.")
        location = profile.location(request.location_id)
        if location is None:
            raise ValidationFailed(f"location_id '{request.location_id}' is not one of your locations.")
        if not 1 <= request.every_weeks <= MAX_EVERY_WEEKS or not 1 <= request.occurrences <= MAX_OCCURRENCES:
            raise ValidationFailed(f"every_weeks is 1 to {MAX_EVERY_WEEKS}, occurrences 1 to {MAX_OCCURRENCES}.")
        client, booked_before = self._clients.get_with_relationship(request.client_id, actor.user_id)
        if client is None or not booked_before:  # one answer for both: no telling whether an id is a client's
            raise ValidationFailed(
                "client_id is not one of your clients: reserve for a client who has booked with you."
            )
        availability = therapist.availability
        if availability is None:
            raise ValidationFailed("Publish your availability first: your client books held times with your notice.")
        now = self._clock.now()
        first = request.first_start.astimezone(UTC)
        if first < now + timedelta(hours=availability.min_notice_hours):
            raise ValidationFailed(
                f"first_start must be at least your notice ({availability.min_notice_hours} hours) ahead: "
                "your client could not book an earlier one."
            )
        starts = occurrence_starts(first, request.every_weeks, request.occurrences, profile.timezone)
        if not all(on_grid(start, self._unit) for start in starts):
            raise ValidationFailed(f"Occurrences start on the {self._unit}-minute grid (e.g. 18:00, 18:15).")
        reservation = Reservation(
            reservation_id=self._ids(),
            therapist_id=actor.user_id,
            client_id=request.client_id,
            session_type=request.session_type,
            location=location,
            every_weeks=request.every_weeks,
            occurrences=tuple(TimeRange(start, start + offer.duration) for start in starts),
            status=ReservationStatus.ACTIVE,
            created_at=now,
            updated_at=now,
            version=1,
        )
        claims = reservation_claims(reservation, reservation.occurrences, self._unit)
        taken = self._reservations.claims_at(actor.user_id, [claim.unit_start for claim in claims])
        if taken:
            raise clash_error(clashing(reservation.occurrences, taken, self._unit))
        try:
            return self._make(reservation, claims, actor)
        except UnitsTaken as refused:  # taken between the read and the write
            raise clash_error(clashing(reservation.occurrences, refused.units, self._unit)) from None

    def _make(self, reservation: Reservation, claims: list[Claim], actor: Actor) -> Reservation:
        """Claim everything atomically, or in batches behind a pending reservation (see the module's docstring)."""
        made = ReservationEvent(
            event_type=ReservationEventType.MADE,
            reservation_id=reservation.reservation_id,
            version=reservation.version,
            occurred_at=reservation.created_at,
            actor_role=Role.THERAPIST,
            actor_id=actor.user_id,
        )
        if len(claims) + 2 <= TRANSACTION_ITEM_LIMIT:  # the reservation, its event and every claim
            self._reservations.save(reservation, None, made, take=claims)
            return reservation
        pending = replace(reservation, status=ReservationStatus.PENDING)
        # An occurrence's first unit names whom it is held for (what the client's slots show, what a booking reads):
        # those go in the activating write, so nothing of a reservation still being made shows as held.
        named = [claim for claim in claims if claim.held_for is not None]
        others = [claim for claim in claims if claim.held_for is None]
        room = TRANSACTION_ITEM_LIMIT - 2 - len(named)  # the last write: the reservation, its event, those units
        early, late = others[: len(others) - room], others[len(others) - room :]
        first, *middle = _batches(early, TRANSACTION_ITEM_LIMIT - 1)  # with the reservation's put or check
        try:
            self._reservations.save(pending, None, take=first)
            for chunk in middle:
                self._reservations.take(pending, chunk)
            active = replace(reservation, version=pending.version + 1)
            self._reservations.save(active, pending.version, replace(made, version=active.version), take=late + named)
            return active
        except (UnitsTaken, Conflict):  # refused: that write took nothing, the earlier ones are undone now
            try:
                self._abandon(pending)
            except Exception as error:
                logger.warning(
                    "reservation left pending for the sweeper",
                    extra={"reservation_id": pending.reservation_id, "error_type": type(error).__name__},
                )
            raise
        # Any other error (a timeout) may have committed the write it interrupted: the reservation is left as it is,
        # pending (the sweeper abandons it at its due time) or, if the last write did commit, active.

    def _abandon(self, pending: Reservation) -> None:
        """Undo a making that did not finish: first fence the pending reservation (a write conditional on the
        version its making read, so any write of the making still to come fails), then give back every unit it
        may have claimed (one already gone, or someone else's, is skipped), then remove it."""
        fenced = replace(pending, version=pending.version + 1)
        self._reservations.save(fenced, pending.version)
        self._reservations.give_back(
            pending.reservation_id, reservation_claims(pending, pending.occurrences, self._unit)
        )
        self._reservations.remove(fenced)

    def own(self, actor: Actor) -> list[Reservation]:
        require_role(actor, Role.THERAPIST, "list the slots they reserved")
        return self._reservations.for_therapist(actor.user_id)

    def held_for_me(self, actor: Actor) -> list[Reservation]:
        require_role(actor, Role.CLIENT, "list the times reserved for them")
        return self._reservations.for_client(actor.user_id)

    def delete(self, actor: Actor, reservation_id: str) -> None:
        """Release every held occurrence at once (booked ones stay sessions). Deleting one already deleted or
        ended does nothing. A booking that commits first wins its occurrence; the delete then reads again."""
        require_role(actor, Role.THERAPIST, "delete reserved slots")
        try:
            self._delete(actor.user_id, reservation_id, actor)
        except Conflict:
            self._delete(actor.user_id, reservation_id, actor)

    def release_for_erasure(self, actor: Actor) -> int:
        """The client erasing their data: every reservation held for them deleted as the therapist's delete does,
        the deletion's event naming the client as its actor (they are not emailed about it: see
        `NotificationService.tell_reservation`). Idempotent: a deleted reservation is no longer held. The number
        deleted."""
        require_role(actor, Role.CLIENT, "erase their data")
        held = self._reservations.for_client(actor.user_id)
        for reservation in held:
            try:
                self._delete(reservation.therapist_id, reservation.reservation_id, actor)
            except Conflict:
                self._delete(reservation.therapist_id, reservation.reservation_id, actor)
            except NotFound:  # gone since it was listed (its making abandoned)
                continue
        return len(held)

    def _delete(self, therapist_id: str, reservation_id: str, actor: Actor) -> None:
        reservation = self._reservations.get(therapist_id, reservation_id)
        if reservation is None or reservation.status is ReservationStatus.PENDING:
            raise NotFound("There is no reservation with that id.")
        if reservation.status is not ReservationStatus.ACTIVE:
            return
        now = self._clock.now()
        deleted = replace(
            reservation, status=ReservationStatus.DELETED, version=reservation.version + 1, updated_at=now
        )
        event = ReservationEvent(
            event_type=ReservationEventType.DELETED,
            reservation_id=reservation_id,
            version=deleted.version,
            occurred_at=now,
            actor_role=Role.CLIENT if actor.has(Role.CLIENT) else Role.THERAPIST,
            actor_id=actor.user_id,
        )
        claims = reservation_claims(reservation, reservation.unreleased, self._unit)
        room = TRANSACTION_ITEM_LIMIT - 2  # the reservation and its event
        if len(claims) <= room:
            self._reservations.save(_released(deleted), reservation.version, event, give_back=claims)
            return
        self._reservations.save(deleted, reservation.version, event, give_back=claims[:room])
        self._finish_release(deleted, claims[room:])

    def _finish_release(self, deleted: Reservation, claims: Sequence[Claim]) -> None:
        self._reservations.give_back(deleted.reservation_id, claims)
        self._reservations.save(replace(_released(deleted), version=deleted.version + 1), deleted.version)

    # --- the sweeper -------------------------------------------------------------------------------------

    def sweep(self, limit: int = 100) -> ReservationSweepReport:
        """Give back held occurrences that passed unbooked, finish deletions and abandoned makings, end
        reservations whose last occurrence is over; each reservation on its own."""
        now = self._clock.now()
        released = ended = abandoned = skipped = handled = 0
        failures: list[tuple[str, str]] = []
        for reservation in self._reservations.list_due(now, limit):
            if handled >= limit or len(failures) >= limit:
                break
            if isinstance(reservation, UnreadableItem):
                failures.append((reservation.item_id, reservation.error_type))
                continue
            handled += 1
            try:
                outcome = self._sweep_one(reservation, now)
            except Conflict:
                skipped += 1
                continue
            except Exception as error:  # isolate the reservation; the caller reports it
                failures.append((reservation.reservation_id, type(error).__name__))
                continue
            released += outcome == "released"
            ended += outcome == "ended"
            abandoned += outcome == "abandoned"
        return ReservationSweepReport(released, ended, abandoned, skipped, tuple(failures))

    def _sweep_one(self, reservation: Reservation, now: datetime) -> str | None:
        if reservation.status is ReservationStatus.PENDING:
            # The index may lag behind the item: only a reservation read pending now is abandoned.
            current = self._reservations.get(reservation.therapist_id, reservation.reservation_id)
            if current is None or current.status is not ReservationStatus.PENDING:
                return None
            self._abandon(current)
            return "abandoned"
        if reservation.status is ReservationStatus.DELETED:
            self._finish_release(reservation, reservation_claims(reservation, reservation.unreleased, self._unit))
            return "released"
        if reservation.status is not ReservationStatus.ACTIVE:
            return None
        passed = [o for o in reservation.unreleased if o.start <= now]
        swept = replace(reservation, version=reservation.version + 1, updated_at=now)
        if passed:
            self._reservations.give_back(
                reservation.reservation_id, reservation_claims(reservation, passed, self._unit)
            )
            swept = replace(swept, released_through=max(o.start for o in passed))
        if not swept.unreleased and now >= swept.last_end:
            self._reservations.save(replace(swept, status=ReservationStatus.ENDED), reservation.version)
            return "ended"
        # Saved even when nothing passed: a booking of the occurrence it was due at leaves its due time behind
        # (the booking's write sets only the occurrence), and this moves it on to the next held one.
        self._reservations.save(swept, reservation.version)
        return "released" if passed else None


def _released(deleted: Reservation) -> Reservation:
    """A deleted reservation once every claim of its unbooked occurrences is given back: due no more."""
    return replace(deleted, released_through=deleted.occurrences[-1].start)
