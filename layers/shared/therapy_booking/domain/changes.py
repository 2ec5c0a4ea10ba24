"""What a transition asks the store to write atomically."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from therapy_booking.domain.calendar import claim_units
from therapy_booking.domain.errors import Conflict
from therapy_booking.domain.events import DomainEvent
from therapy_booking.domain.model import Session, SessionType


class ClaimKind(StrEnum):
    SESSION = "session"
    HOLD = "hold"
    BLOCK = "block"
    BUSY = "busy"  # a busy time of the therapist's imported calendar (owner: CALENDAR_OWNER)
    RESERVED = "reserved"  # an occurrence of a reserved recurring slot (owner: the reservation), `held_for` says


CALENDAR_OWNER = "calendar"  # the owner id of busy claims: the therapist's imported calendar


@dataclass(frozen=True)
class HeldOccurrence:
    """Whom a reservation's claim is held for, and the occurrence it belongs to: the first unit of a held
    occurrence carries it, so the slot query and a booking read it straight from the claims
    (`domain.reservations`)."""

    client_id: str
    start: datetime
    end: datetime
    session_type: SessionType


@dataclass(frozen=True)
class Claim:
    """One unit of a therapist's time, owned by a session, a hold, a block, a calendar or a reservation."""

    therapist_id: str
    unit_start: datetime
    kind: ClaimKind
    owner_id: str
    held_for: HeldOccurrence | None = None  # the first unit of a reserved occurrence only

    def is_held_for(self, client_id: str, session_type: SessionType, start: datetime, end: datetime) -> bool:
        """Whether this unit starts an occurrence held for `client_id`, of `session_type`, exactly [start, end)."""
        held = self.held_for
        return (
            self.kind is ClaimKind.RESERVED
            and held is not None
            and held.client_id == client_id
            and held.session_type == session_type
            and held.start == start
            and held.end == end
        )


def claims_of(therapist_id: str, kind: ClaimKind, owner_id: str, units: Iterable[datetime]) -> tuple[Claim, ...]:
    """The claims an owner makes on each of `units` of a therapist's time, in order."""
    return tuple(Claim(therapist_id, unit, kind, owner_id) for unit in sorted(units))


def claims_over(
    therapist_id: str, kind: ClaimKind, owner_id: str, start: datetime, end: datetime, unit_minutes: int
) -> tuple[Claim, ...]:
    """The claims an owner makes on the units covering [start, end)."""
    return claims_of(therapist_id, kind, owner_id, claim_units(start, end, unit_minutes))


@dataclass(frozen=True)
class FreeConsultationMark:
    """At most one free initial consultation per client and therapist."""

    client_id: str
    therapist_id: str
    session_id: str


@dataclass(frozen=True)
class StreakChange:
    """What a transition does to its therapist's cancellation streak, as one more item of its transaction.

    `reset`: the session went ahead (completed): the streak becomes 0 (no condition). Otherwise one
    therapist cancellation is added: an atomic ADD, so concurrent cancellations count exactly. Whether
    this one reaches `deactivate_at` cannot be decided inside one update, so the transition says which
    side it expects (`deactivates`, from the streak read with the session) and the write is conditional
    on it: below, on the streak staying under `deactivate_at - 1`; at or above, on the streak being at
    least `deactivate_at - 1`, and the account is deactivated (and leaves the listing) in the same write.
    A wrong guess (a concurrent cancellation or completion moved the streak) cancels the transaction as a
    Conflict; the service reads again and retries once.
    """

    reset: bool = False
    deactivate_at: int = 0
    deactivates: bool = False

    @classmethod
    def counted(cls, streak_before: int, deactivate_at: int) -> StreakChange:
        """One more therapist cancellation, after `streak_before` as read."""
        return cls(deactivate_at=deactivate_at, deactivates=streak_before + 1 >= deactivate_at)

    @classmethod
    def went_ahead(cls) -> StreakChange:
        return cls(reset=True)


@dataclass(frozen=True)
class ResponseSample:
    """A therapist's first answer to a booking, measured (`domain.responses`): counted on their record in the
    answer's own write (one more sample, within the allowance or not, and its business minutes)."""

    business_minutes: int
    within_sla: bool


@dataclass(frozen=True)
class ReservedBooking:
    """The reserved client books a held occurrence: its units pass from the reservation to the session (each put
    on the condition it is still the reservation's), and the reservation records the occurrence as booked (on
    the condition it is still active and the occurrence not booked yet), in the booking's own transaction."""

    reservation_id: str
    therapist_id: str
    occurrence_start: datetime
    claims: tuple[Claim, ...]  # the session's claims, replacing the reservation's on the same units


@dataclass(frozen=True)
class SessionChange:
    """A session's new state and everything that must commit with it, or not at all.

    `expected_version` is None for a new session; otherwise the write is
    conditional on the stored version. Added claims must not exist; released
    and converted claims must still belong to this session.
    """

    session: Session
    expected_version: int | None
    event: DomainEvent
    claims_added: tuple[Claim, ...] = ()
    claims_released: tuple[Claim, ...] = ()
    claims_converted: tuple[Claim, ...] = ()  # held units this session now occupies (same owner)
    free_consultation_taken: FreeConsultationMark | None = None
    free_consultation_released: FreeConsultationMark | None = None
    therapist_must_accept_bookings: bool = False
    counts_as_therapists_own_rearrangement: bool = False
    cancellation_streak: StreakChange | None = None
    response: ResponseSample | None = None  # the therapist's first answer to the booking, measured
    reserved: ReservedBooking | None = None  # a booking of a held occurrence of a reservation
    # The client has booked with the therapist (written, the same each time, with every booking): the therapist may
    # read the client's self-assessment from then on (`domain.assessment`).
    records_client_relationship: bool = False

    def __post_init__(self) -> None:
        # A transaction may touch an item once (DynamoDB refuses it otherwise; moto does not): the therapist's
        # item is either checked for a booking or updated with what the change counts on it (one update).
        if self.therapist_must_accept_bookings and self.updates_therapist:
            raise ValueError("a change may touch the therapist's item once in its transaction")

    @property
    def updates_therapist(self) -> bool:
        """Whether the change counts something on the therapist's record: an own-reason rearrangement, a
        measured first answer or the cancellation streak (all in one update of the item)."""
        return (
            self.counts_as_therapists_own_rearrangement
            or self.cancellation_streak is not None
            or self.response is not None
        )

    @property
    def item_count(self) -> int:
        """Items of the one atomic write: the session, its event, every claim and every guard or mark."""
        guards = (
            self.therapist_must_accept_bookings,
            self.updates_therapist,
            self.free_consultation_taken is not None,
            self.free_consultation_released is not None,
        )
        claims = len(self.claims_added) + len(self.claims_released) + len(self.claims_converted)
        reserved = len(self.reserved.claims) + 1 if self.reserved is not None else 0  # its units and the reservation
        client = (
            2 if self.records_client_relationship else 0
        )  # the relationship, and the check the client is not erased
        return 2 + claims + reserved + client + sum(guards)


# DynamoDB's TransactWriteItems holds at most 100 items.
TRANSACTION_ITEM_LIMIT = 100


def within_budget(change: SessionChange, limit: int = TRANSACTION_ITEM_LIMIT) -> SessionChange:
    """The change as one atomic write of at most `limit` items.

    Taking time (added and converted claims), the session, its event and every guard always stay
    in the atomic write. Releases that do not fit are left to a second, idempotent step: the
    session records them (`releases_pending`), so the step can be finished by anyone, the sweeper
    included, after a crash. A late release keeps time unavailable a little longer; it can never
    double-book. Pending releases stay below `limit`, so that step is always one write (a change that
    would pile up more while earlier ones are not given back yet is refused with Conflict).
    """
    room = limit - (change.item_count - len(change.claims_released))
    if room < 0:
        raise ValueError(f"a transition needs {change.item_count - len(change.claims_released)} items to take time")
    if len(change.claims_released) <= room and not change.session.releases_pending:
        return change
    kept, deferred = change.claims_released[:room], change.claims_released[room:]
    pending = sorted({*change.session.releases_pending, *(c.unit_start for c in deferred)})
    if len(pending) >= limit:  # the second step gives everything back in one write, with the session's
        raise Conflict("Time this session gave up is still being released; please try again in a few minutes.")
    return replace(change, session=replace(change.session, releases_pending=tuple(pending)), claims_released=kept)
