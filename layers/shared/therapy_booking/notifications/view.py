"""What a message may say about a session (or a reservation), worked out for its recipient: the templates'
context.

Times are shown in the recipient's time zone, money in major units with its currency, and
only what the message needs: never the session's note, its history or the client's
self-assessment (the session page has those, behind a sign-in).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from therapy_booking.domain.events import ChangeOpened, Moved
from therapy_booking.domain.model import Location, LocationKind, Money, Role, SessionStatus
from therapy_booking.domain.notifications import AccountNotice, Contact, Notice, ReservationNotice
from therapy_booking.settings import NotificationSettings

CURRENCY_SYMBOLS = {"GBP": "£"}
WEB_LINK = ("https://", "http://")
EN_DASH = "\u2013"


@dataclass(frozen=True)
class When:
    """A session's time as the recipient reads it."""

    date: str  # Tuesday 1 December 2026
    day: str  # Tuesday 1 December
    start: str  # 10:00
    times: str  # 10:00-10:50 GMT, with an en dash
    short: str  # Tue 1 Dec, 10:00 GMT (SMS: ASCII only)
    short_day: str  # Tue 1 Dec


@dataclass(frozen=True)
class Moment:
    """An instant, such as a deadline, as the recipient reads it."""

    full: str  # Wednesday 2 December 2026 at 09:00 GMT
    short: str  # Wed 2 Dec, 09:00 GMT


@dataclass(frozen=True)
class Place:
    kind: str  # a LocationKind value
    address: str | None
    link: str | None
    href: str | None  # the link, only if it is a web address (safe in an <a href>)


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    phone: str | None


@dataclass(frozen=True)
class MessageView:
    """Everything a template may show; built per recipient."""

    kind: str  # the occasion: an EventType value, or the reminder
    to_therapist: bool
    recipient_name: str
    therapist: Person
    client_name: str | None  # None when the client's profile is missing
    session_type: str  # a SessionType value
    initial_consultation: bool
    attendees: str  # Sam and Alex
    when: When
    previous: When | None  # the time before a move, when the event records it
    place: Place
    status: str  # a SessionStatus value
    cancelled: bool
    cancelled_by: str | None  # a Role value
    paid: bool
    refund: str | None  # only a refund of more than nothing
    payout: str | None  # only a payout of more than nothing
    alternatives: tuple[When, ...]
    answer_by: Moment | None  # the deadline of an open offer or location change
    respond_by: Moment | None  # the therapist's deadline to answer the booking (set at booking)
    if_unanswered: str | None  # an OfferExpiryPolicy value: what the deadline passing does, as the event told
    proposed_place: Place | None
    link: str
    invite: str | None  # the METHOD of the attached calendar entry (REQUEST, CANCEL), if any

    def context(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def message_view(notice: Notice, settings: NotificationSettings) -> MessageView:
    occasion = notice.occasion
    session = occasion.session
    zone = time_zone(notice.recipient)
    event = occasion.event
    previous_start = event.previous_start if isinstance(event, Moved) else None
    return MessageView(
        kind=occasion.kind,
        to_therapist=notice.recipient.role is Role.THERAPIST,
        recipient_name=notice.recipient.name,
        therapist=Person(notice.therapist.name, notice.therapist.email, notice.therapist.phone),
        client_name=notice.client.name if notice.client else None,
        session_type=session.session_type,
        initial_consultation=session.initial_consultation,
        attendees=in_words(session.attendees),
        when=when(session.start, session.end, zone),
        previous=when(previous_start, previous_start + (session.end - session.start), zone) if previous_start else None,
        place=place(session.location),
        status=session.status,
        cancelled=session.status is SessionStatus.CANCELLED,
        cancelled_by=occasion.cancelled_by,
        paid=session.price.amount > 0,
        refund=some(session.refund),
        payout=some(session.therapist_payout),
        alternatives=tuple(when(a.start, a.end, zone) for a in session.offer.alternatives) if session.offer else (),
        answer_by=moment(deadline, zone) if (deadline := session.answer_deadline) else None,
        respond_by=moment(due, zone) if (due := session.response_due_at) else None,
        if_unanswered=str(event.if_unanswered) if isinstance(event, ChangeOpened) else None,
        proposed_place=place(session.location_change.location) if session.location_change else None,
        link=settings.session_link(session.session_id),
        invite=notice.calendar,
    )


@dataclass(frozen=True)
class AccountView:
    """Everything a message about a therapist's account (not a session) may show."""

    kind: str  # a StandingNotice or CalendarNotice value
    recipient_name: str
    flag_at: int  # cancellations in a row that flag a therapist
    deactivate_at: int  # ... and that deactivate the account
    link: str  # their dashboard, or the session the notice is about
    when: When | None  # the session it is about (an overlap), in the therapist's time zone

    def context(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def account_view(notice: AccountNotice, settings: NotificationSettings) -> AccountView:
    session = notice.session
    return AccountView(
        kind=notice.notice,
        recipient_name=notice.recipient.name,
        flag_at=notice.flag_at,
        deactivate_at=notice.deactivate_at,
        link=settings.dashboard_base_url if session is None else settings.session_link(session.session_id),
        when=None if session is None else when(session.start, session.end, time_zone(notice.recipient)),
    )


@dataclass(frozen=True)
class ReservationView:
    """Everything an email to a reserved client about their reservation may show: never a note or anything
    clinical beyond the session type, as a session's own emails."""

    kind: str  # a ReservationEventType value
    recipient_name: str
    therapist_name: str
    session_type: str  # a SessionType value
    place: Place
    every_weeks: int
    occurrences: tuple[When, ...]  # held for the client (made), or given back by the deletion (deleted)
    kept: tuple[When, ...]  # upcoming occurrences the client booked: they stay sessions
    zone: str  # the recipient's time zone, named: Europe/London
    link: str  # the client's dashboard

    def context(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def reservation_view(notice: ReservationNotice, settings: NotificationSettings) -> ReservationView:
    zone = time_zone(notice.recipient)
    reservation = notice.reservation
    return ReservationView(
        kind=notice.event.event_type,
        recipient_name=notice.recipient.name,
        therapist_name=notice.therapist.name,
        session_type=reservation.session_type,
        place=place(reservation.location),
        every_weeks=reservation.every_weeks,
        occurrences=tuple(when(o.start, o.end, zone) for o in notice.occurrences),
        kept=tuple(when(o.start, o.end, zone) for o in notice.kept),
        zone=str(zone),
        link=settings.dashboard_base_url,
    )


def time_zone(contact: Contact) -> tzinfo:
    """The contact's zone; UTC (and labelled so) if their profile holds an unknown one."""
    try:
        return ZoneInfo(contact.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def zone_name(local: datetime) -> str:
    """GMT, BST, EST...; a zone without an abbreviation as its offset: UTC-03, UTC+10:30."""
    name = local.tzname() or "UTC"
    offset = local.utcoffset()
    if name[0] not in "+-" or offset is None:
        return name
    minutes = int(offset.total_seconds()) // 60
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours:02d}" + (f":{rest:02d}" if rest else "")


def when(start: datetime, end: datetime, zone: tzinfo) -> When:
    first, last = start.astimezone(zone), end.astimezone(zone)
    first_zone, last_zone = zone_name(first), zone_name(last)
    opening = f"{first:%H:%M}" if first_zone == last_zone else f"{first:%H:%M} {first_zone}"  # across a clock change
    return When(
        date=f"{first:%A} {first.day} {first:%B %Y}",
        day=f"{first:%A} {first.day} {first:%B}",
        start=f"{first:%H:%M}",
        times=f"{opening}{EN_DASH}{last:%H:%M} {last_zone}",
        short=f"{first:%a} {first.day} {first:%b}, {first:%H:%M} {first_zone}",
        short_day=f"{first:%a} {first.day} {first:%b}",
    )


def moment(instant: datetime, zone: tzinfo) -> Moment:
    local = instant.astimezone(zone)
    name = zone_name(local)
    return Moment(
        full=f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} {name}",
        short=f"{local:%a} {local.day} {local:%b}, {local:%H:%M} {name}",
    )


def place(location: Location) -> Place:
    link = location.link if location.kind is LocationKind.ONLINE else None
    return Place(
        kind=location.kind,
        address=location.address if location.kind is LocationKind.IN_PERSON else None,
        link=link,
        href=link if link and link.lower().startswith(WEB_LINK) else None,
    )


def some(value: Money | None) -> str | None:
    """The amount, if there is more than nothing of it."""
    return money(value) if value is not None and value.amount > 0 else None


def money(value: Money) -> str:
    """Minor units as an amount: £45.00 for pounds, 45.00 EUR for other currencies."""
    sign = "-" if value.amount < 0 else ""
    units, cents = divmod(abs(value.amount), 100)
    amount = f"{units:,}.{cents:02d}"
    symbol = CURRENCY_SYMBOLS.get(value.currency)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {value.currency}"


def in_words(names: tuple[str, ...]) -> str:
    """Sam; Sam and Alex; Sam, Alex and Jo."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"
