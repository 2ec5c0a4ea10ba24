"""Request and response bodies of the HTTP API (they also make the OpenAPI document)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from therapy_booking.domain.model import (
    Availability,
    Block,
    ClientProfile,
    HistoryEntry,
    Location,
    LocationKind,
    Money,
    Offer,
    RearrangeReason,
    Role,
    Session,
    SessionStatus,
    SessionType,
    SessionTypeOffer,
    Therapist,
    TherapistProfile,
    Weekday,
    WeeklyWindow,
)

UtcInstant = Annotated[
    datetime, PlainSerializer(lambda d: d.astimezone(UTC).isoformat().replace("+00:00", "Z"), return_type=str)
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
E164 = Annotated[str, StringConstraints(pattern=r"^\+[1-9]\d{6,14}$")]
WallClock = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


class Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class MoneyBody(Body):
    amount: int = Field(ge=0, le=100_000_000, description="Minor units (pence, cents).")
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["GBP"])

    @classmethod
    def of(cls, money: Money) -> MoneyBody:
        return cls(amount=money.amount, currency=money.currency)


class LocationBody(Body):
    id: Identifier
    kind: LocationKind
    address: Annotated[str, StringConstraints(max_length=500)] | None = None
    link: Annotated[str, StringConstraints(max_length=500)] | None = None

    @model_validator(mode="after")
    def _details_match_kind(self) -> Self:
        if self.kind is LocationKind.IN_PERSON and not self.address:
            raise ValueError("an in_person location needs an address")
        if self.kind is LocationKind.ONLINE and not self.link:
            raise ValueError("an online location needs a link")
        return self

    def to_domain(self) -> Location:
        return Location(self.id, self.kind, self.address, self.link)

    @classmethod
    def of(cls, location: Location) -> LocationBody:
        return cls(id=location.id, kind=location.kind, address=location.address, link=location.link)


class SessionTypeBody(Body):
    type: SessionType
    duration_minutes: int = Field(ge=15, le=240)
    price: MoneyBody


class TherapistProfileRequest(Body):
    name: Text
    email: Email
    phone: E164 | None = None
    sms_opt_in: bool = False
    timezone: Text = Field(examples=["Europe/London"])
    locations: list[LocationBody] = Field(min_length=1, max_length=20)
    session_types: list[SessionTypeBody] = Field(min_length=1, max_length=3)
    free_initial_consultation: bool = False
    visible: bool = True

    @model_validator(mode="after")
    def _unique(self) -> Self:
        if len({loc.id for loc in self.locations}) != len(self.locations):
            raise ValueError("location ids must be unique")
        if len({t.type for t in self.session_types}) != len(self.session_types):
            raise ValueError("each session type may be listed once")
        return self

    def to_domain(self) -> TherapistProfile:
        return TherapistProfile(
            name=self.name,
            email=self.email,
            phone=self.phone,
            sms_opt_in=self.sms_opt_in,
            timezone=self.timezone,
            locations=tuple(loc.to_domain() for loc in self.locations),
            session_types=tuple(
                SessionTypeOffer(t.type, t.duration_minutes, Money(t.price.amount, t.price.currency))
                for t in self.session_types
            ),
            free_initial_consultation=self.free_initial_consultation,
            visible=self.visible,
        )


class WeeklyWindowBody(Body):
    day: Weekday
    start: WallClock = Field(examples=["09:00"])
    end: WallClock = Field(examples=["17:00"])


class AvailabilityRequest(Body):
    weekly: list[WeeklyWindowBody] = Field(max_length=70)
    min_notice_hours: int = Field(default=24, ge=0, le=24 * 30)
    horizon_days: int = Field(default=60, ge=1, le=365)

    def to_domain(self) -> Availability:
        return Availability(
            weekly=tuple(
                WeeklyWindow(w.day, time.fromisoformat(w.start), time.fromisoformat(w.end)) for w in self.weekly
            ),
            min_notice_hours=self.min_notice_hours,
            horizon_days=self.horizon_days,
        )

    @classmethod
    def of(cls, availability: Availability) -> AvailabilityRequest:
        return cls(
            weekly=[
                WeeklyWindowBody(day=w.day, start=w.start.strftime("%H:%M"), end=w.end.strftime("%H:%M"))
                for w in availability.weekly
            ],
            min_notice_hours=availability.min_notice_hours,
            horizon_days=availability.horizon_days,
        )


class TherapistPublicProfile(Body):
    therapist_id: str
    name: str
    timezone: str
    locations: list[LocationBody]
    session_types: list[SessionTypeBody]
    free_initial_consultation: bool
    accepting_bookings: bool

    @classmethod
    def of(cls, therapist: Therapist) -> TherapistPublicProfile:
        profile = therapist.profile
        assert profile is not None
        return cls(
            therapist_id=therapist.therapist_id,
            name=profile.name,
            timezone=profile.timezone,
            locations=[LocationBody.of(loc) for loc in profile.locations],
            session_types=[
                SessionTypeBody(type=t.type, duration_minutes=t.duration_minutes, price=MoneyBody.of(t.price))
                for t in profile.session_types
            ],
            free_initial_consultation=profile.free_initial_consultation,
            accepting_bookings=therapist.accepts_bookings,
        )


class TherapistOwnProfile(TherapistPublicProfile):
    """What a therapist sees of their own account."""

    email: str
    phone: str | None
    sms_opt_in: bool
    visible: bool
    deactivated: bool
    availability: AvailabilityRequest | None

    @classmethod
    def of(cls, therapist: Therapist) -> TherapistOwnProfile:
        public = TherapistPublicProfile.of(therapist)
        profile = therapist.profile
        assert profile is not None
        return cls(
            **public.model_dump(),
            email=profile.email,
            phone=profile.phone,
            sms_opt_in=profile.sms_opt_in,
            visible=profile.visible,
            deactivated=therapist.deactivated,
            availability=AvailabilityRequest.of(therapist.availability) if therapist.availability else None,
        )


class AvailabilityResponse(AvailabilityRequest):
    therapist_id: str


class TherapistPage(Body):
    items: list[TherapistPublicProfile]
    next_cursor: str | None


class Slot(Body):
    start: UtcInstant
    end: UtcInstant


class SlotList(Body):
    items: list[Slot]


class BlockRequest(Body):
    start: AwareDatetime
    end: AwareDatetime
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class BlockResponse(Body):
    block_id: str
    start: UtcInstant
    end: UtcInstant
    note: str | None

    @classmethod
    def of(cls, block: Block) -> BlockResponse:
        return cls(block_id=block.block_id, start=block.start, end=block.end, note=block.note)


class ClientProfileRequest(Body):
    name: Text
    email: Email
    phone: E164 | None = None
    sms_opt_in: bool = False
    timezone: Text = Field(examples=["Europe/London"])

    def to_domain(self, client_id: str) -> ClientProfile:
        return ClientProfile(client_id, self.name, self.email, self.phone, self.sms_opt_in, self.timezone)


class ClientProfileResponse(ClientProfileRequest):
    client_id: str

    @classmethod
    def of(cls, profile: ClientProfile) -> ClientProfileResponse:
        return cls(
            client_id=profile.client_id,
            name=profile.name,
            email=profile.email,
            phone=profile.phone,
            sms_opt_in=profile.sms_opt_in,
            timezone=profile.timezone,
        )


class BookSessionRequest(Body):
    therapist_id: Identifier
    start: AwareDatetime = Field(examples=["2026-12-01T10:00:00Z"])
    session_type: SessionType
    location_id: Identifier
    attendees: list[Text] = Field(min_length=1, max_length=8)
    initial_consultation: bool = False
    note: LongText | None = None


class ReasonRequest(Body):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class RescheduleRequest(Body):
    start: AwareDatetime = Field(
        examples=["2026-12-03T14:00:00Z"], description="The new start; the session keeps its length."
    )
    reason: RearrangeReason = Field(
        description=(
            "client_requested or error_correction. A move for the therapist's own reasons "
            "(therapist_unavailable) is refused with 422: offer alternative times instead."
        )
    )


class LocationChangeRequest(Body):
    location_id: Identifier = Field(description="One of the therapist's locations.")
    reason: RearrangeReason = Field(
        description=(
            "client_requested or error_correction: changed at once (confirmed). "
            "therapist_unavailable: the client is asked to agree within 24 hours (awaiting_client)."
        )
    )


class AlternativeRequest(Body):
    start: AwareDatetime = Field(
        examples=["2026-12-03T10:00:00Z"], description="One of the therapist's free bookable starts."
    )


class OffersRequest(Body):
    alternatives: list[AlternativeRequest] = Field(
        min_length=1, max_length=5, description="1 to 5 alternative times, held for the client for 24 hours."
    )


class AcceptOfferRequest(Body):
    alternative_id: Identifier = Field(description="The alternative_id of one of the offer's alternatives.")


ADMIN_SETTABLE_STATUSES = (
    SessionStatus.PENDING,
    SessionStatus.CONFIRMED,
    SessionStatus.CANCELLED,
    SessionStatus.COMPLETED,
)


def _admin_settable_status(value: object) -> SessionStatus:
    if isinstance(value, str) and value in ADMIN_SETTABLE_STATUSES:
        return SessionStatus(value)
    raise ValueError("Input should be 'pending', 'confirmed', 'cancelled' or 'completed'")


AdminSettableStatus = Annotated[
    SessionStatus,
    PlainValidator(_admin_settable_status),
    WithJsonSchema({"type": "string", "enum": [status.value for status in ADMIN_SETTABLE_STATUSES]}),
]


class AdminRearrangeRequest(Body):
    start: AwareDatetime | None = Field(
        default=None, examples=["2026-12-02T15:00:00Z"], description="Move the session (past ones too)."
    )
    location_id: Identifier | None = Field(default=None, description="One of the therapist's locations.")
    status: AdminSettableStatus | None = Field(
        default=None, description="Set the status, e.g. confirmed to reinstate a cancelled session."
    )
    reason: RearrangeReason
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)] = Field(
        description="Why the team made the change; kept in the session's history."
    )


class AlternativeBody(Body):
    alternative_id: str
    start: UtcInstant
    end: UtcInstant


class OfferBody(Body):
    offer_id: str
    expires_at: UtcInstant = Field(description="The client's answer must arrive before this instant (410 after).")
    alternatives: list[AlternativeBody]

    @classmethod
    def of(cls, offer: Offer) -> OfferBody:
        return cls(
            offer_id=offer.offer_id,
            expires_at=offer.expires_at,
            alternatives=[
                AlternativeBody(alternative_id=a.alternative_id, start=a.start, end=a.end) for a in offer.alternatives
            ],
        )


class HistoryEntryBody(Body):
    at: UtcInstant
    action: str = Field(examples=["rescheduled", "alternatives_offered", "offer_accepted", "admin_rearranged"])
    actor_role: Role
    actor_id: str | None
    reason: str | None = None
    note: str | None = None

    @classmethod
    def of(cls, entry: HistoryEntry) -> HistoryEntryBody:
        return cls(
            at=entry.at,
            action=entry.action,
            actor_role=Role(entry.actor_role),
            actor_id=entry.actor_id,
            reason=entry.reason,
            note=entry.note,
        )


class SessionResponse(Body):
    session_id: str
    therapist_id: str
    client_id: str
    status: SessionStatus
    session_type: SessionType
    attendees: list[str]
    location: LocationBody
    start: UtcInstant
    end: UtcInstant
    price: MoneyBody
    initial_consultation: bool
    note: str | None
    created_at: UtcInstant
    updated_at: UtcInstant
    version: int
    cancelled_by: Role | None = None
    cancellation_reason: str | None = None
    decline_reason: str | None = None
    refund: MoneyBody | None = None
    therapist_payout: MoneyBody | None = None
    platform_commission: MoneyBody | None = None
    offer: OfferBody | None = Field(default=None, description="The open offer of alternative times, if any.")
    pending_location: LocationBody | None = Field(
        default=None, description="The location the therapist asks to move to (status awaiting_client)."
    )
    change_expires_at: UtcInstant | None = Field(
        default=None, description="The client's answer to the location change must arrive before this instant."
    )
    history: list[HistoryEntryBody] = Field(
        default_factory=list, description="Rearrangements, oldest first: who asked, why, and when."
    )

    @classmethod
    def of(cls, session: Session) -> SessionResponse:
        def money(value: Money | None) -> MoneyBody | None:
            return None if value is None else MoneyBody.of(value)

        change = session.location_change

        return cls(
            session_id=session.session_id,
            therapist_id=session.therapist_id,
            client_id=session.client_id,
            status=session.status,
            session_type=session.session_type,
            attendees=list(session.attendees),
            location=LocationBody.of(session.location),
            start=session.start,
            end=session.end,
            price=MoneyBody.of(session.price),
            initial_consultation=session.initial_consultation,
            note=session.note,
            created_at=session.created_at,
            updated_at=session.updated_at,
            version=session.version,
            cancelled_by=session.cancelled_by,
            cancellation_reason=session.cancellation_reason,
            decline_reason=session.decline_reason,
            refund=money(session.refund),
            therapist_payout=money(session.therapist_payout),
            platform_commission=money(session.platform_commission),
            offer=None if session.offer is None else OfferBody.of(session.offer),
            pending_location=None if change is None else LocationBody.of(change.location),
            change_expires_at=None if change is None else change.expires_at,
            history=[HistoryEntryBody.of(entry) for entry in session.history],
        )


class SessionPage(Body):
    items: list[SessionResponse]
    next_cursor: str | None
