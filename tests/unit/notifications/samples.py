"""Realistic sessions, people and notices for the notification renderers' tests.

A couple's session with a therapist in London and a client in New York, carrying the kind
of private text (a note, a history note, free-text reasons) that no message may show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from therapy_booking.domain.events import (
    EVENT_CLASSES,
    HEADER_FIELDS,
    DomainEvent,
    EventHeader,
    EventType,
    ExpiryOutcome,
)
from therapy_booking.domain.model import (
    Alternative,
    HistoryEntry,
    Location,
    LocationChange,
    LocationKind,
    Money,
    Offer,
    OfferExpiryPolicy,
    RearrangeReason,
    Role,
    Session,
    SessionStatus,
    SessionType,
)
from therapy_booking.domain.notifications import (
    NOTIFICATIONS,
    REMINDER,
    RESPONSE_REMINDER,
    Channel,
    Contact,
    Notice,
    Occasion,
    Rule,
)
from therapy_booking.settings import NotificationSettings

SETTINGS = NotificationSettings(sender="bookings@example.com", dashboard_base_url="https://app.example.com")
SESSION_ID = "3f2b1c9e-8d4a-4e5f-9a6b-7c8d9e0f1a2b"
LINK = f"https://app.example.com/sessions/{SESSION_ID}"
START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # a Tuesday: 15:00 in London, 10:00 in New York
BOOKED_AT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
OCCURRED_AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
RESPONSE_DUE_AT = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # Monday: 14:00 in London
PRICE = Money(6000, "GBP")

ROOM = Location("room", LocationKind.IN_PERSON, address="12 Harley Street, London W1G 9PG")
VIDEO = Location("video", LocationKind.ONLINE, link="https://meet.example.com/dr-okafor")
PHONE = Location("phone", LocationKind.PHONE)

NOTE = "Struggling with panic attacks since the divorce"
HISTORY_NOTE = "Client disclosed self-harm thoughts on the phone"
REASON = "I have been feeling too depressed to leave the house"
PRIVATE_TEXTS = (NOTE, HISTORY_NOTE, REASON)

THERAPIST = Contact(
    Role.THERAPIST,
    "Dr Amara Okafor",
    "amara.okafor@example.com",
    "+447700900123",
    sms_opt_in=True,
    timezone="Europe/London",
)
CLIENT = Contact(
    Role.CLIENT,
    "Jordan Whitfield",
    "jordan.whitfield@example.com",
    "+12125550147",
    sms_opt_in=True,
    timezone="America/New_York",
)
ATTENDEES = ("Jordan Whitfield", "Casey Whitfield")
PEOPLE = (THERAPIST.name, CLIENT.name, *ATTENDEES)
SESSION_TYPES = tuple(t.value for t in SessionType)


def session(status: SessionStatus = SessionStatus.CONFIRMED, **changes: object) -> Session:
    base = Session(
        session_id=SESSION_ID,
        therapist_id="t1",
        client_id="c1",
        status=status,
        session_type=SessionType.COUPLE,
        attendees=ATTENDEES,
        location=ROOM,
        start=START,
        end=START + timedelta(minutes=50),
        price=PRICE,
        initial_consultation=False,
        created_at=BOOKED_AT,
        updated_at=OCCURRED_AT,
        version=2,
        note=NOTE,
        history=(HistoryEntry(BOOKED_AT, "booked", "client", "c1", note=HISTORY_NOTE),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def refunded(status: SessionStatus = SessionStatus.CANCELLED, by: Role | None = None, **changes: object) -> Session:
    """Ended with the price back to the client."""
    settled: dict[str, object] = {
        "cancelled_by": by,
        "cancellation_reason": REASON,
        "refund": PRICE,
        "therapist_payout": PRICE.zero(),
        "platform_commission": PRICE.zero(),
    }
    return session(status, **(settled | changes))


def offer(expires_at: datetime = OCCURRED_AT + timedelta(hours=24)) -> Offer:
    starts = (START + timedelta(days=1), START + timedelta(days=2, hours=2), START + timedelta(days=3, hours=-4))
    return Offer(
        "offer-1",
        expires_at,
        tuple(Alternative(f"alt-{i}", s, s + timedelta(minutes=50)) for i, s in enumerate(starts)),
        SessionStatus.CONFIRMED,
    )


def location_change() -> LocationChange:
    return LocationChange("change-1", VIDEO, OCCURRED_AT + timedelta(hours=24), SessionStatus.CONFIRMED)


Data = dict[str, str | int | bool | None]


def as_left_by(kind: str, cancelled_by: Role | None = None) -> tuple[Session, Data]:
    """The session as an occasion of `kind` leaves it, with the event's data."""
    previous: Data = {"previous_start": (START - timedelta(days=1)).isoformat()}
    match kind:
        case EventType.SESSION_BOOKED:
            return session(SessionStatus.PENDING), {}
        case EventType.RESPONSE_REMINDER:
            due = {"response_due_at": RESPONSE_DUE_AT, "response_reminder_at": RESPONSE_DUE_AT - timedelta(hours=1)}
            return session(SessionStatus.PENDING, **due), {}
        case EventType.SESSION_DECLINED:
            return refunded(SessionStatus.DECLINED, decline_reason=REASON), {}
        case EventType.SESSION_CANCELLED if cancelled_by is Role.CLIENT:
            late = refunded(
                by=Role.CLIENT,
                refund=PRICE.zero(),
                therapist_payout=Money(5400, "GBP"),
                platform_commission=Money(600, "GBP"),
            )
            return late, {"cancelled_by": Role.CLIENT}
        case EventType.SESSION_CANCELLED:
            return refunded(by=cancelled_by), {"cancelled_by": cancelled_by}
        case EventType.SESSION_RESCHEDULED | EventType.OFFER_ACCEPTED:
            return session(), previous
        case EventType.LOCATION_CHANGED | EventType.LOCATION_CHANGE_ACCEPTED:
            return session(location=VIDEO), {}
        case EventType.LOCATION_CHANGE_REQUESTED:
            return session(SessionStatus.AWAITING_CLIENT, location_change=location_change()), {}
        case EventType.ALTERNATIVES_OFFERED:
            return session(SessionStatus.ALTERNATIVES_OFFERED, offer=offer()), {}
        case EventType.LOCATION_CHANGE_REJECTED | EventType.OFFER_REJECTED:
            return refunded(by=Role.CLIENT), {"cancelled_by": Role.CLIENT}
        case EventType.LOCATION_CHANGE_EXPIRED | EventType.OFFER_EXPIRED:
            return refunded(by=Role.SYSTEM), {"cancelled_by": Role.SYSTEM}
        case _:
            return session(), {}


# Each event fact a test leaves out, and how a test may write one (as the outbox item stores it).
FACT_DEFAULTS: dict[str, object] = {
    "change_id": "change-1",
    "expires_at": OCCURRED_AT + timedelta(hours=24),
    "if_unanswered": OfferExpiryPolicy.CANCEL_AND_REFUND,
    "previous_start": START - timedelta(days=1),
    "reason": RearrangeReason.CLIENT_REQUESTED,
    "was_confirmed": True,
    "cancelled_by": None,
    "outcome": ExpiryOutcome.CANCELLED,
    "note": "",
}
FACT_TYPES: dict[str, Callable[[Any], object]] = {
    "expires_at": datetime.fromisoformat,
    "previous_start": datetime.fromisoformat,
    "if_unanswered": OfferExpiryPolicy,
    "reason": RearrangeReason,
    "cancelled_by": lambda value: None if value is None else Role(value),
    "outcome": ExpiryOutcome,
}


def event(kind: str, s: Session, data: Data | None = None) -> DomainEvent:
    """The typed event of `kind` that left `s`, with the facts `data` names (the others typical)."""
    cls = EVENT_CLASSES[EventType(kind)]
    given = {name: FACT_TYPES.get(name, lambda v: v)(value) for name, value in (data or {}).items()}
    facts = {
        f.name: given.get(f.name, FACT_DEFAULTS.get(f.name))
        for f in fields(cls)
        if f.name not in HEADER_FIELDS and f.name in {*FACT_DEFAULTS, *given}
    }
    header = EventHeader(
        session_id=s.session_id,
        session_version=s.version,
        occurred_at=OCCURRED_AT,
        actor_role=Role.THERAPIST,
        actor_id="t1",
    )
    return cls(**header, **facts)


def occasion(kind: str, s: Session, data: Data | None = None) -> Occasion:
    if kind == REMINDER:
        return Occasion.reminder(s, OCCURRED_AT)
    if kind == RESPONSE_REMINDER:
        return Occasion.response_reminder(s, OCCURRED_AT)
    return Occasion.of_event(event(kind, s, data), s)


def notice(
    kind: str,
    template: str,
    recipient: Role,
    *,
    s: Session | None = None,
    data: dict[str, str | int | bool | None] | None = None,
    channel: Channel = Channel.EMAIL,
    therapist: Contact = THERAPIST,
    client: Contact = CLIENT,
) -> Notice:
    """The notice of the rule of `kind` sending `template` to `recipient`, for the given (or a typical) session."""
    rule = next(r for r in NOTIFICATIONS[EventType(kind)] if r.template == template and r.recipient is recipient)
    typical, typical_data = as_left_by(kind, rule.cancelled_by)
    to = therapist if recipient is Role.THERAPIST else client
    return Notice(
        occasion(kind, s or typical, typical_data if data is None else data), rule, channel, to, therapist, client
    )


def every_rule() -> list[tuple[str, Rule, Channel]]:
    """Each (occasion, rule, channel) of the mapping: every message the platform can send."""
    return [
        (kind, rule, channel)
        for kind, rules in NOTIFICATIONS.items()
        for rule in rules
        for channel in (Channel.EMAIL, *([Channel.SMS] if rule.sms else []))
    ]
