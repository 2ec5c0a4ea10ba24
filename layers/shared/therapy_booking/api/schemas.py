"""Request and response bodies of the HTTP API (they also make the OpenAPI document)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from therapy_booking.domain.formats import E164_PATTERN, email_pattern
from therapy_booking.domain.model import (
    ADMIN_SETTABLE_STATUSES,
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


def _utc_text(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


UtcInstant = Annotated[datetime, PlainSerializer(_utc_text, return_type=str)]

# --- instants on input --------------------------------------------------------------------------
# RFC 3339 date-time (what JSON Schema's `format: date-time` means) with an offset, in the years
# INSTANT_YEARS. Digits are written [0-9], not \d, so that every regex engine reads the same pattern.
INSTANT_YEARS = (2000, 2199)
INSTANT_PATTERN = (
    r"^2[01][0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
_INSTANT = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt]"
    r"(?P<hour>[01][0-9]|2[0-3]):(?P<minute>[0-5][0-9]):(?P<second>[0-5][0-9])(?:\.(?P<fraction>[0-9]+))?"
    r"(?P<offset>[Zz]|(?P<sign>[+-])(?P<offset_hours>[01][0-9]|2[0-3]):(?P<offset_minutes>[0-5][0-9]))?"
)
_INSTANT_EXAMPLE = "2026-12-01T10:00:00Z"


def parse_instant(value: object) -> datetime:
    """An RFC 3339 date-time string with an offset, as an aware UTC datetime; ValueError otherwise.

    Only strings: a number is not an instant (pydantic alone would read `8259` as Unix time)."""
    match = _INSTANT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"Input should be a valid datetime: ISO 8601 with an offset, e.g. {_INSTANT_EXAMPLE}")
    if match["offset"] is None:
        raise ValueError(f"Input should have timezone info: an offset such as Z or +01:00, e.g. {_INSTANT_EXAMPLE}")
    low, high = INSTANT_YEARS
    if not low <= int(match["year"]) <= high:
        raise ValueError(f"Input should be a datetime in the years {low} to {high}")
    try:
        day = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        raise ValueError("Input should be a valid datetime: that day does not exist") from None
    offset = timedelta()
    if match["sign"]:
        offset = timedelta(hours=int(match["offset_hours"]), minutes=int(match["offset_minutes"]))
        offset = -offset if match["sign"] == "-" else offset
    local = datetime(
        day.year,
        day.month,
        day.day,
        int(match["hour"]),
        int(match["minute"]),
        int(match["second"]),
        int((match["fraction"] or "0")[:6].ljust(6, "0")),
        tzinfo=timezone(offset),
    )
    instant = local.astimezone(UTC)
    if not low <= instant.year <= high:  # an extreme offset on the first or last day of the range
        raise ValueError(f"Input should be a datetime in the years {low} to {high}, in UTC too")
    return instant


Instant = Annotated[
    datetime,
    PlainValidator(parse_instant),
    PlainSerializer(_utc_text, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": INSTANT_PATTERN,
            "description": (
                f"An instant: ISO 8601 / RFC 3339 with an offset (Z or +01:00), "
                f"years {INSTANT_YEARS[0]} to {INSTANT_YEARS[1]} (as written and in UTC)."
            ),
            "examples": [_INSTANT_EXAMPLE],
        }
    ),
]
"""Every instant a request carries (bodies and query parameters): read as UTC."""

# --- text ---------------------------------------------------------------------------------------
# The characters Python's str.strip() removes (str.isspace()), listed so that the JSON Schema pattern
# means exactly what the handler does in every regex engine (`\s` differs between engines).
BLANKS = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NON_BLANK = f"[^{BLANKS}]"


def _stripped_non_blank(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise ValueError("should contain a character other than spaces")
    return stripped


def _text_schema(max_length: int, *, non_blank: bool) -> dict[str, Any]:
    """Lengths count the text as sent; it is stored without leading and trailing spaces."""
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length}
    if non_blank:
        schema |= {"minLength": 1, "pattern": NON_BLANK}
    return schema


Text = Annotated[
    str,
    StringConstraints(max_length=200),
    AfterValidator(_stripped_non_blank),
    WithJsonSchema(_text_schema(200, non_blank=True)),
]
NonBlankLongText = Annotated[
    str,
    StringConstraints(max_length=2000),
    AfterValidator(_stripped_non_blank),
    WithJsonSchema(_text_schema(2000, non_blank=True)),
]
LongText = Annotated[
    str,
    StringConstraints(max_length=2000),
    AfterValidator(str.strip),
    WithJsonSchema(_text_schema(2000, non_blank=False)),
]
Reason = Annotated[
    str,
    StringConstraints(max_length=500),
    AfterValidator(str.strip),
    WithJsonSchema(_text_schema(500, non_blank=False)),
]
LocationDetail = Annotated[  # an address or a joining link: something to go to, never only spaces
    str,
    StringConstraints(max_length=500),
    AfterValidator(_stripped_non_blank),
    WithJsonSchema(_text_schema(500, non_blank=True)),
]
Identifier = Annotated[
    str,
    StringConstraints(max_length=128),
    AfterValidator(_stripped_non_blank),
    WithJsonSchema(_text_schema(128, non_blank=True)),
]
Email = Annotated[str, StringConstraints(pattern=email_pattern(BLANKS), max_length=254)]
E164 = Annotated[str, StringConstraints(pattern=E164_PATTERN)]


def _json_integer(value: object) -> object:
    """A JSON number only: pydantic alone would also read `true` as 1 and `"5"` as 5 (the document says integer)."""
    if isinstance(value, bool | str | bytes):
        raise ValueError("Input should be a valid integer")
    return value


JsonInt = Annotated[int, BeforeValidator(_json_integer)]
JsonBool = StrictBool
WallClock = Annotated[
    str,
    StringConstraints(pattern=r"^([01][0-9]|2[0-3]):(00|15|30|45)$"),
    Field(description="HH:MM on the 15-minute grid (minutes 00, 15, 30 or 45)."),
]


class Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class MoneyBody(Body):
    amount: JsonInt = Field(ge=0, le=100_000_000, description="Minor units (pence, cents).")
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["GBP"])

    @classmethod
    def of(cls, money: Money) -> MoneyBody:
        return cls(amount=money.amount, currency=money.currency)


# The detail each kind of location must have (a non-empty string): the validator and the document both read it.
LOCATION_DETAIL = {LocationKind.IN_PERSON: "address", LocationKind.ONLINE: "link"}


class LocationBody(Body):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "allOf": [
                {
                    "if": {"properties": {"kind": {"const": kind.value}}},
                    "then": {"required": [detail], "properties": {detail: {"type": "string", "minLength": 1}}},
                }
                for kind, detail in LOCATION_DETAIL.items()
            ]
        },
    )

    id: Identifier
    kind: LocationKind
    address: LocationDetail | None = None
    link: LocationDetail | None = None

    @model_validator(mode="after")
    def _details_match_kind(self) -> Self:
        detail = LOCATION_DETAIL.get(self.kind)
        if detail is not None and not getattr(self, detail):
            raise ValueError(f"an {self.kind} location needs its {detail}")
        return self

    def to_domain(self) -> Location:
        return Location(self.id, self.kind, self.address, self.link)

    @classmethod
    def of(cls, location: Location) -> LocationBody:
        return cls(id=location.id, kind=location.kind, address=location.address, link=location.link)


class SessionTypeBody(Body):
    type: SessionType
    duration_minutes: JsonInt = Field(ge=15, le=240)
    price: MoneyBody


class TherapistProfileRequest(Body):
    name: Text
    email: Email
    phone: E164 | None = None
    sms_opt_in: JsonBool = False
    timezone: Text = Field(examples=["Europe/London"])
    locations: list[LocationBody] = Field(min_length=1, max_length=20)
    session_types: list[SessionTypeBody] = Field(min_length=1, max_length=3)
    free_initial_consultation: JsonBool = False
    visible: JsonBool = True

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
    min_notice_hours: JsonInt = Field(default=24, ge=0, le=24 * 30)
    horizon_days: JsonInt = Field(default=60, ge=1, le=365)

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
    start: Instant
    end: Instant
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
    sms_opt_in: JsonBool = False
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
    start: Instant = Field(examples=["2026-12-01T10:00:00Z"])
    session_type: SessionType
    location_id: Identifier
    attendees: list[Text] = Field(min_length=1, max_length=8)
    initial_consultation: JsonBool = False
    note: LongText | None = None


class ReasonRequest(Body):
    reason: Reason | None = None


class RescheduleRequest(Body):
    start: Instant = Field(
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
    start: Instant = Field(
        examples=["2026-12-03T10:00:00Z"], description="One of the therapist's free bookable starts."
    )


class OffersRequest(Body):
    alternatives: list[AlternativeRequest] = Field(
        min_length=1, max_length=5, description="1 to 5 alternative times, held for the client for 24 hours."
    )


class AcceptOfferRequest(Body):
    alternative_id: Identifier = Field(description="The alternative_id of one of the offer's alternatives.")


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
    start: Instant | None = Field(
        default=None, examples=["2026-12-02T15:00:00Z"], description="Move the session (past ones too)."
    )
    location_id: Identifier | None = Field(default=None, description="One of the therapist's locations.")
    status: AdminSettableStatus | None = Field(
        default=None, description="Set the status, e.g. confirmed to reinstate a cancelled session."
    )
    reason: RearrangeReason
    note: NonBlankLongText = Field(description="Why the team made the change; kept in the session's history.")


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
        default_factory=list, description="The 20 latest rearrangements, oldest first: who asked, why, and when."
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


class FieldError(Body):
    field: str = Field(examples=["start"])
    message: str = Field(examples=["Input should have timezone info"])


class Problem(Body):
    """RFC 9457 problem details (application/problem+json); input values are never echoed."""

    type: str = Field(examples=["/problems/slot_unavailable"])
    title: str = Field(examples=["Conflict"])
    status: int = Field(ge=400, le=599, examples=[409])
    detail: str = Field(description="A sentence for people.", examples=["That time is no longer available."])
    code: str = Field(description="A code for programs (see the API docs).", examples=["slot_unavailable"])
    errors: list[FieldError] | None = Field(
        default=None, description="validation_error only: each offending field (values are not echoed)."
    )


class GatewayMessage(Body):
    """What API Gateway itself answers (its authorizer's 401, a route it does not know)."""

    message: str = Field(examples=["Unauthorized"])
