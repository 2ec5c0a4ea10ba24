"""The field types the bodies share: instants, texts, contact formats, integers and booleans as JSON has
them, money and locations. Each type validates what the OpenAPI document says it accepts, and nothing else."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any, Self

from annotated_types import GroupedMetadata
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

from therapy_booking.domain.formats import CURRENCY_PATTERN, E164_PATTERN, email_pattern
from therapy_booking.domain.model import Location, LocationKind, Money


def _utc_text(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


UtcInstant = Annotated[datetime, PlainSerializer(_utc_text, return_type=str)]

# --- instants on input --------------------------------------------------------------------------
# RFC 3339 date-time (what JSON Schema's `format: date-time` means) with an offset, in the years
# INSTANT_YEARS. Digits are written [0-9], not \d, so that every regex engine reads the same pattern.
INSTANT_YEARS = (2000, 2199)
# On the range's first day an offset ahead of UTC, and on its last day one behind it, could put the
# instant outside the range in UTC, so there the offset must be zero (the lookaheads; the handler
# applies the same rule, and a test checks that both agree on every string).
INSTANT_PATTERN = (
    r"^(?!2000-01-01[Tt][0-9:.]+\+(?!00:00))(?!2199-12-31[Tt][0-9:.]+-(?!00:00))"
    r"2[01][0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
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
    if (day == date(low, 1, 1) and offset > timedelta()) or (day == date(high, 12, 31) and offset < timedelta()):
        raise ValueError(f"Input should be given in UTC on {day.isoformat()}, the first or last day of the range")
    return local.astimezone(UTC)


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
                f"years {INSTANT_YEARS[0]} to {INSTANT_YEARS[1]} "
                "(on the first and the last day of that range, in UTC: Z or +00:00)."
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
IDENTIFIER_MAX_LENGTH = 128
"""An id in a body or in a path (a user id, a location's, a session's...)."""


def _stripped_non_blank(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise ValueError("should contain a character other than spaces")
    return stripped


@dataclass(frozen=True)
class FreeText(GroupedMetadata):
    """Free text of at most `max_length` characters as sent, stored without leading and trailing spaces;
    `non_blank`: it must hold more than spaces. The one place where validator and document meet."""

    max_length: int
    non_blank: bool

    def __iter__(self) -> Iterator[object]:
        yield StringConstraints(max_length=self.max_length)
        yield AfterValidator(_stripped_non_blank if self.non_blank else str.strip)
        schema: dict[str, Any] = {"type": "string", "maxLength": self.max_length}
        if self.non_blank:
            schema |= {"minLength": 1, "pattern": NON_BLANK}
        yield WithJsonSchema(schema)


Text = Annotated[str, FreeText(200, non_blank=True)]
NonBlankLongText = Annotated[str, FreeText(2000, non_blank=True)]
LongText = Annotated[str, FreeText(2000, non_blank=False)]
ShortText = Annotated[str, FreeText(500, non_blank=False)]
"""A reason or a note: may be empty once stripped."""
LocationDetail = Annotated[str, FreeText(500, non_blank=True)]
"""An address or a joining link: something to go to, never only spaces."""
Identifier = Annotated[str, FreeText(IDENTIFIER_MAX_LENGTH, non_blank=True)]
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
    currency: str = Field(pattern=CURRENCY_PATTERN, examples=["GBP"])

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
