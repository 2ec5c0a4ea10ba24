"""What a transition asks the store to write atomically."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from therapy_booking.domain.events import DomainEvent
from therapy_booking.domain.model import Session


class ClaimKind(StrEnum):
    SESSION = "session"
    HOLD = "hold"
    BLOCK = "block"


@dataclass(frozen=True)
class Claim:
    """One unit of a therapist's time, owned by a session, a hold or a block."""

    therapist_id: str
    unit_start: datetime
    kind: ClaimKind
    owner_id: str


@dataclass(frozen=True)
class FreeConsultationMark:
    """At most one free initial consultation per client and therapist."""

    client_id: str
    therapist_id: str
    session_id: str


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
