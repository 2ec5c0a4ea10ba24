"""A therapist's profile, availability and blocks, and a client's profile: PUT /therapists/me,
/therapists/me/availability, POST /therapists/me/blocks, PUT /clients/me, and the own reads that answer
the same models (GET /therapists/me, /therapists/me/blocks, /clients/me)."""

from __future__ import annotations

from datetime import time
from typing import Self

from pydantic import Field, model_validator

from therapy_booking.api.schemas.fields import (
    E164,
    Body,
    Email,
    Instant,
    JsonBool,
    JsonInt,
    LocationBody,
    ShortText,
    Text,
    UtcInstant,
    WallClock,
)
from therapy_booking.api.schemas.therapists import SessionTypeBody, TherapistCommon
from therapy_booking.domain.model import (
    Availability,
    Block,
    ClientProfile,
    Money,
    SessionTypeOffer,
    Therapist,
    TherapistProfile,
    Weekday,
    WeeklyWindow,
)


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
    country: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$",
        examples=["GB", "GB-SCT", "IE"],
        description="ISO 3166 code whose public holidays are not business hours (response times); "
        "the platform's default (GB, meaning England) when left out.",
    )

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
            country=self.country,
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


class AvailabilityResponse(AvailabilityRequest):
    therapist_id: str


class TherapistOwnProfile(TherapistCommon):
    """What a therapist sees of their own account: the public fields, the locations in full (links included),
    contact details and settings."""

    locations: list[LocationBody]

    email: str
    phone: str | None
    sms_opt_in: bool
    visible: bool
    deactivated: bool
    country: str | None = Field(
        description="As given, in capitals (a subdivision only if one was given); null means the platform's default."
    )
    availability: AvailabilityRequest | None

    @classmethod
    def of(cls, therapist: Therapist) -> TherapistOwnProfile:
        profile = therapist.profile
        assert profile is not None
        return cls(
            **cls.common_fields(therapist),
            locations=[LocationBody.of(loc) for loc in profile.locations],
            email=profile.email,
            phone=profile.phone,
            sms_opt_in=profile.sms_opt_in,
            visible=profile.visible,
            deactivated=therapist.deactivated,
            country=profile.country,
            availability=AvailabilityRequest.of(therapist.availability) if therapist.availability else None,
        )


class BlockRequest(Body):
    start: Instant
    end: Instant
    note: ShortText | None = None


class BlockResponse(Body):
    block_id: str
    start: UtcInstant
    end: UtcInstant
    note: str | None

    @classmethod
    def of(cls, block: Block) -> BlockResponse:
        return cls(block_id=block.block_id, start=block.start, end=block.end, note=block.note)


class BlockList(Body):
    """The caller's blocks that have not ended yet, by start; all of them (no pages)."""

    items: list[BlockResponse]


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
