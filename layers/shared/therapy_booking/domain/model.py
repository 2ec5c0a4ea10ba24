"""Entities and value objects of the booking domain."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from enum import StrEnum


class Role(StrEnum):
    THERAPIST = "therapist"
    CLIENT = "client"
    ADMIN = "admin"
    SYSTEM = "system"  # the platform itself: expiry, sweeper


# The user pool group of each role a person can hold: the one home of the group names (the JWT's
# `cognito:groups`, the sign-up trigger's group, the template's groups are checked against it).
ROLE_GROUPS: dict[Role, str] = {Role.THERAPIST: "therapists", Role.CLIENT: "clients", Role.ADMIN: "admins"}


class RearrangeReason(StrEnum):
    CLIENT_REQUESTED = "client_requested"
    THERAPIST_UNAVAILABLE = "therapist_unavailable"
    ERROR_CORRECTION = "error_correction"

    @property
    def is_therapists_own(self) -> bool:
        """Counts against the therapist's ranking (not done on the client's behalf)."""
        return self is RearrangeReason.THERAPIST_UNAVAILABLE


class OfferExpiryPolicy(StrEnum):
    CANCEL_AND_REFUND = "cancel_and_refund"
    REVERT_TO_ORIGINAL = "revert_to_original"


class SessionStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    ALTERNATIVES_OFFERED = "alternatives_offered"
    AWAITING_CLIENT = "awaiting_client"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


ACTIVE_STATUSES = frozenset(
    {
        SessionStatus.PENDING,
        SessionStatus.CONFIRMED,
        SessionStatus.ALTERNATIVES_OFFERED,
        SessionStatus.AWAITING_CLIENT,
    }
)
# The statuses the team may set directly (`POST /admin/sessions/{id}/rearrange`), in the order the API lists them.
ADMIN_SETTABLE_STATUSES = (
    SessionStatus.PENDING,
    SessionStatus.CONFIRMED,
    SessionStatus.CANCELLED,
    SessionStatus.COMPLETED,
)


class SessionType(StrEnum):
    INDIVIDUAL = "individual"
    COUPLE = "couple"
    FAMILY = "family"


class LocationKind(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    PHONE = "phone"


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        """Monday is 0, as `date.weekday()` counts."""
        return list(Weekday).index(self)


@dataclass(frozen=True)
class Money:
    amount: int
    currency: str

    def zero(self) -> Money:
        return Money(0, self.currency)


@dataclass(frozen=True)
class Actor:
    """The verified caller: `user_id` is the JWT `sub`."""

    user_id: str
    roles: frozenset[Role]

    def has(self, role: Role) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Location:
    id: str
    kind: LocationKind
    address: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class SessionTypeOffer:
    type: SessionType
    duration_minutes: int
    price: Money

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)


@dataclass(frozen=True)
class WeeklyWindow:
    """A recurring stretch of wall-clock time in the therapist's time zone."""

    day: Weekday
    start: time
    end: time


@dataclass(frozen=True)
class Availability:
    weekly: tuple[WeeklyWindow, ...]
    min_notice_hours: int
    horizon_days: int


@dataclass(frozen=True)
class TherapistProfile:
    name: str
    email: str
    phone: str | None
    sms_opt_in: bool
    timezone: str
    locations: tuple[Location, ...]
    session_types: tuple[SessionTypeOffer, ...]
    free_initial_consultation: bool
    visible: bool
    country: str | None = None  # ISO 3166 code of the public holidays they keep; None: the platform's default

    def location(self, location_id: str) -> Location | None:
        return next((loc for loc in self.locations if loc.id == location_id), None)

    def offer_for(self, session_type: SessionType) -> SessionTypeOffer | None:
        return next((o for o in self.session_types if o.type == session_type), None)


@dataclass(frozen=True)
class ResponseRecord:
    """A therapist's first answers to bookings: how many, how many within the allowance, and the business
    minutes of the most recent ones (at most `RECENT_RESPONSES`; the median is taken over those)."""

    samples: int = 0
    within_sla: int = 0
    recent_minutes: tuple[int, ...] = ()


RECENT_RESPONSES = 50  # the answers the median response time is taken over


@dataclass(frozen=True)
class Therapist:
    """A therapist account: profile and availability are published separately."""

    therapist_id: str
    profile: TherapistProfile | None = None
    availability: Availability | None = None
    deactivated: bool = False
    cancellation_streak: int = 0  # the therapist's cancellations since a session last went ahead
    responses: ResponseRecord = ResponseRecord()
    own_rearrangements: int = 0  # rearrangements for their own reasons (RearrangeReason.is_therapists_own, offers)

    @property
    def accepts_bookings(self) -> bool:
        return self.profile is not None and self.profile.visible and not self.deactivated

    def flagged(self, flag_at: int) -> bool:
        """Derived, never stored: the streak has reached `flag_at` (`PlatformPolicy.streak_flag_at`)."""
        return self.cancellation_streak >= flag_at


@dataclass(frozen=True)
class Reactivation:
    """The team's reactivation of a therapist account: who, when and why (kept on the account)."""

    admin_id: str
    at: datetime
    note: str


@dataclass(frozen=True)
class ClientProfile:
    client_id: str
    name: str
    email: str
    phone: str | None
    sms_opt_in: bool
    timezone: str


@dataclass(frozen=True)
class Block:
    block_id: str
    therapist_id: str
    start: datetime
    end: datetime
    note: str | None = None


@dataclass(frozen=True)
class Alternative:
    alternative_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Offer:
    """Alternative times offered by the therapist; held until answered or expired."""

    offer_id: str
    expires_at: datetime
    alternatives: tuple[Alternative, ...]
    previous_status: SessionStatus

    def alternative(self, alternative_id: str) -> Alternative | None:
        return next((a for a in self.alternatives if a.alternative_id == alternative_id), None)


@dataclass(frozen=True)
class LocationChange:
    """A location change for the therapist's own reasons, waiting for the client's agreement."""

    change_id: str
    location: Location
    expires_at: datetime
    previous_status: SessionStatus


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    action: str
    actor_role: str
    actor_id: str | None
    reason: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Session:
    session_id: str
    therapist_id: str
    client_id: str
    status: SessionStatus
    session_type: SessionType
    attendees: tuple[str, ...]
    location: Location
    start: datetime
    end: datetime
    price: Money
    initial_consultation: bool
    created_at: datetime
    updated_at: datetime
    version: int
    note: str | None = None
    cancelled_by: Role | None = None
    cancellation_reason: str | None = None
    decline_reason: str | None = None
    refund: Money | None = None
    therapist_payout: Money | None = None
    platform_commission: Money | None = None
    offer: Offer | None = None
    location_change: LocationChange | None = None
    history: tuple[HistoryEntry, ...] = ()
    # Units of time this session gave up whose claims are still to be deleted (a transition that would
    # have exceeded a transaction's size leaves them to a second step; see `changes.within_budget`).
    releases_pending: tuple[datetime, ...] = ()
    # The response rule (PRODUCT.md, "Details of the platform rules"), set at booking in the therapist's business
    # hours: when the first answer is due and when they are reminded; and when they first answered.
    response_due_at: datetime | None = None
    response_reminder_at: datetime | None = None
    answered_at: datetime | None = None

    @property
    def awaits_first_answer(self) -> bool:
        """A booking the therapist has not answered yet (confirm, decline, reschedule, location change, offer)."""
        return self.status is SessionStatus.PENDING and self.answered_at is None

    @property
    def open_change_id(self) -> str | None:
        """The offer or location change waiting for the client, if any."""
        if self.status is SessionStatus.ALTERNATIVES_OFFERED and self.offer is not None:
            return self.offer.offer_id
        if self.status is SessionStatus.AWAITING_CLIENT and self.location_change is not None:
            return self.location_change.change_id
        return None

    @property
    def standing_status(self) -> SessionStatus:
        """Its status apart from an offer or location change waiting for the client: what it goes back to."""
        if self.status is SessionStatus.ALTERNATIVES_OFFERED and self.offer is not None:
            return self.offer.previous_status
        if self.status is SessionStatus.AWAITING_CLIENT and self.location_change is not None:
            return self.location_change.previous_status
        return self.status

    @property
    def answer_deadline(self) -> datetime | None:
        """When the offer or location change waiting for the client expires, if one is."""
        if self.status is SessionStatus.ALTERNATIVES_OFFERED and self.offer is not None:
            return self.offer.expires_at
        if self.status is SessionStatus.AWAITING_CLIENT and self.location_change is not None:
            return self.location_change.expires_at
        return None

    @property
    def due_at(self) -> datetime | None:
        """When the sweeper must look at this session: at once while time is still to be given back,
        else an answer's deadline, or a confirmed session's end."""
        if self.releases_pending:
            return self.updated_at
        if self.answer_deadline is not None:
            return self.answer_deadline
        if self.status is SessionStatus.CONFIRMED:
            return self.end
        return None

    def is_visible_to(self, actor: Actor) -> bool:
        return (
            actor.has(Role.ADMIN)
            or (actor.has(Role.THERAPIST) and actor.user_id == self.therapist_id)
            or (actor.has(Role.CLIENT) and actor.user_id == self.client_id)
        )

    def is_therapist(self, actor: Actor) -> bool:
        return actor.has(Role.THERAPIST) and actor.user_id == self.therapist_id

    def is_client(self, actor: Actor) -> bool:
        return actor.has(Role.CLIENT) and actor.user_id == self.client_id

    def without_personal_data(self) -> Session:
        """The session as kept once its client's data is erased: ids, times, statuses and amounts stay; the
        attendees, the client's note and every reason or note given along the way go."""
        return replace(
            self,
            attendees=(),
            note=None,
            cancellation_reason=None,
            decline_reason=None,
            history=tuple(replace(entry, reason=None, note=None) for entry in self.history),
        )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def has_started(self, now: datetime) -> bool:
        return now >= self.start
