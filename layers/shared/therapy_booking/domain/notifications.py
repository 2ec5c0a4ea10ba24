"""Who is told what, over which channel: the one mapping from domain events to notifications.

`NOTIFICATIONS` is the table (docs/notifications.md shows the same one). Each domain event,
the reminder 24 h before a confirmed session and the reminder to answer a booking is an
*occasion*; each rule of its row is one message to one party, by email always and by SMS too
where the rule says so and the party has opted in with a valid E.164 number.
`NotificationService` plans the messages of an occasion, renders and sends each through the
ports, and records every send in a ledger keyed by (occasion, recipient, channel), so an
occasion delivered twice sends nothing twice.

A therapist's standing (flagged, deactivated: `domain.standing`) is about their account, not a
session (their standing, their imported calendar): `ACCOUNT_TEMPLATES` is its table, and
`NotificationService.tell_standing` / `tell_calendar` send it as an
`AccountNotice`, by email only, through the same ledger. A reservation made or deleted is told to its
client (`RESERVATION_TEMPLATES`) by `NotificationService.tell_reservation`, as a `ReservationNotice`, by
email only, through the same ledger too.
Pure apart from the ports: no boto3, no templates here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Protocol

from therapy_booking.domain.calendar_sync import CalendarNotice
from therapy_booking.domain.events import (
    DomainEvent,
    EventType,
    LeavesCalendar,
    ResponseReminderDue,
    SessionReminderDue,
)
from therapy_booking.domain.formats import E164
from therapy_booking.domain.metrics import (
    NO_METRICS,
    NOTIFICATIONS_FAILED,
    NOTIFICATIONS_SENT,
    REMINDERS_SENT,
    BusinessMetrics,
)
from therapy_booking.domain.model import Role, Session, SessionStatus
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.reservations import (
    OccurrenceStatus,
    OccurrenceView,
    Reservation,
    ReservationEvent,
    ReservationEventType,
)
from therapy_booking.domain.standing import StandingNotice

if TYPE_CHECKING:
    from therapy_booking.domain.model import TherapistProfile
    from therapy_booking.domain.ports import Clock, SessionRepository, TherapistRepository

REMINDER = EventType.SESSION_REMINDER
RESPONSE_REMINDER = EventType.RESPONSE_REMINDER


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class CalendarMethod(StrEnum):
    """The iCalendar METHOD of the invitation attached to an email (RFC 5546)."""

    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


@dataclass(frozen=True)
class Rule:
    """One row's message: to `recipient`, from the template named `template`.

    `sms`: also by SMS to a party who opted in. `invite`: the email carries the client's
    calendar entry as the session now stands (an invitation while it is confirmed, a
    cancellation once it is cancelled if it had been confirmed, nothing otherwise).
    `cancelled_by`: the rule applies only to a cancellation by that party.
    """

    recipient: Role
    template: str
    sms: bool = False
    invite: bool = False
    cancelled_by: Role | None = None


THERAPIST, CLIENT = Role.THERAPIST, Role.CLIENT

NOTIFICATIONS: dict[EventType, tuple[Rule, ...]] = {
    EventType.SESSION_BOOKED: (Rule(THERAPIST, "new_booking", sms=True),),
    EventType.SESSION_CONFIRMED: (Rule(CLIENT, "session_confirmed", invite=True),),
    EventType.SESSION_DECLINED: (Rule(CLIENT, "session_declined"),),
    EventType.SESSION_CANCELLED: (
        Rule(THERAPIST, "cancelled_by_client", sms=True, cancelled_by=CLIENT),
        Rule(CLIENT, "cancellation_receipt", invite=True, cancelled_by=CLIENT),
        Rule(CLIENT, "cancelled_by_therapist", sms=True, invite=True, cancelled_by=THERAPIST),
    ),
    EventType.SESSION_COMPLETED: (),
    EventType.SESSION_RESCHEDULED: (Rule(CLIENT, "session_updated", invite=True),),
    EventType.LOCATION_CHANGED: (Rule(CLIENT, "session_updated", invite=True),),
    EventType.LOCATION_CHANGE_REQUESTED: (Rule(CLIENT, "location_change_requested", sms=True),),
    EventType.LOCATION_CHANGE_ACCEPTED: (
        Rule(THERAPIST, "location_change_accepted"),
        Rule(CLIENT, "session_confirmed", invite=True),
    ),
    EventType.LOCATION_CHANGE_REJECTED: (
        Rule(THERAPIST, "location_change_rejected"),
        Rule(CLIENT, "location_change_rejected_receipt", invite=True),
    ),
    EventType.LOCATION_CHANGE_EXPIRED: (
        Rule(THERAPIST, "location_change_expired"),
        Rule(CLIENT, "location_change_expired", invite=True),
    ),
    EventType.ALTERNATIVES_OFFERED: (Rule(CLIENT, "alternatives_offered", sms=True),),
    EventType.OFFER_ACCEPTED: (
        Rule(THERAPIST, "offer_accepted"),
        Rule(CLIENT, "session_confirmed", invite=True),
    ),
    EventType.OFFER_REJECTED: (
        Rule(THERAPIST, "offer_rejected"),
        Rule(CLIENT, "offer_rejected_receipt", invite=True),
    ),
    EventType.OFFER_EXPIRED: (
        Rule(THERAPIST, "offer_expired"),
        Rule(CLIENT, "offer_expired", invite=True),
    ),
    EventType.ADMIN_REARRANGED: (
        Rule(THERAPIST, "admin_changed"),
        Rule(CLIENT, "admin_changed", invite=True),
    ),
    REMINDER: (
        Rule(THERAPIST, "session_reminder", sms=True),
        Rule(CLIENT, "session_reminder", sms=True),
    ),
    RESPONSE_REMINDER: (Rule(THERAPIST, "respond_reminder", sms=True),),
}

# What a therapist is told when their cancellation streak crosses a threshold: one email each, no SMS.
ACCOUNT_TEMPLATES: dict[StandingNotice | CalendarNotice, str] = {
    StandingNotice.FLAGGED: "standing_flagged",
    StandingNotice.DEACTIVATED: "account_deactivated",
    CalendarNotice.FAILING: "calendar_failing",
    CalendarNotice.OVERLAP: "calendar_overlap",
}

# What the reserved client is told when their reservation is made or deleted: one email each, no SMS.
RESERVATION_TEMPLATES: dict[ReservationEventType, str] = {
    ReservationEventType.MADE: "reservation_made",
    ReservationEventType.DELETED: "reservation_deleted",
}


@dataclass(frozen=True)
class Contact:
    """How to reach one party, from their profile."""

    role: Role
    name: str
    email: str
    phone: str | None
    sms_opt_in: bool
    timezone: str

    @property
    def sms_number(self) -> str | None:
        """The number to text: only with the party's opt-in, only if it is E.164."""
        if self.sms_opt_in and self.phone and E164.match(self.phone):
            return self.phone
        return None


@dataclass(frozen=True)
class Occasion:
    """Something to tell people about: a domain event (the reminder is one too), with the session
    as the event left it (the outbox item's snapshot), so a message never shows a later state than
    the one it announces."""

    event: DomainEvent
    session: Session

    @classmethod
    def of_event(cls, event: DomainEvent, session: Session) -> Occasion:
        return cls(event, session)

    @classmethod
    def reminder(cls, session: Session, now: datetime) -> Occasion:
        due = SessionReminderDue(
            session_id=session.session_id,
            session_version=session.version,
            occurred_at=now,
            actor_role=Role.SYSTEM,
            actor_id=None,
            start=session.start,
        )
        return cls(due, session)

    @classmethod
    def response_reminder(cls, session: Session, now: datetime) -> Occasion:
        due = ResponseReminderDue(
            session_id=session.session_id,
            session_version=session.version,
            occurred_at=now,
            actor_role=Role.SYSTEM,
            actor_id=None,
        )
        return cls(due, session)

    @property
    def occasion_id(self) -> str:
        return self.event.event_id

    @property
    def kind(self) -> EventType:
        return self.event.event_type

    @property
    def occurred_at(self) -> datetime:
        return self.event.occurred_at

    @property
    def had_invitation(self) -> bool:
        """Whether the client's calendar holds the session: it was confirmed before this event (if it says)."""
        return not isinstance(self.event, LeavesCalendar) or self.event.was_confirmed

    @property
    def cancelled_by(self) -> Role | None:
        named = self.event.cancelled_by if isinstance(self.event, LeavesCalendar) else None
        return named or self.session.cancelled_by


@dataclass(frozen=True)
class Notice:
    """One message to one party over one channel, ready to render."""

    occasion: Occasion
    rule: Rule
    channel: Channel
    recipient: Contact
    therapist: Contact
    client: Contact | None

    @property
    def delivery_key(self) -> str:
        return delivery_key(self.occasion, self.rule, self.channel)

    @property
    def calendar(self) -> CalendarMethod | None:
        if self.channel is not Channel.EMAIL or not self.rule.invite:
            return None
        status = self.occasion.session.status
        if status is SessionStatus.CONFIRMED:
            return CalendarMethod.REQUEST
        if status is SessionStatus.CANCELLED and self.occasion.had_invitation:
            return CalendarMethod.CANCEL
        return None


@dataclass(frozen=True)
class AccountNotice:
    """One email to a therapist about their account rather than a session: their standing changed, or their
    imported calendar is failing or overlaps a booked session (`session`, the one it overlaps).

    `occasion_id` is unique to what happened (a standing crossing's stream record, a calendar's failure or
    overlap), so the same occasion delivered twice has one delivery key. `flag_at` and `deactivate_at` are
    the platform's thresholds, for the wording."""

    notice: StandingNotice | CalendarNotice
    therapist_id: str
    occasion_id: str
    recipient: Contact
    flag_at: int
    deactivate_at: int
    session: Session | None = None

    @property
    def template(self) -> str:
        return ACCOUNT_TEMPLATES[self.notice]

    @property
    def delivery_key(self) -> str:
        return account_delivery_key(self.notice, self.therapist_id, self.occasion_id)


def account_delivery_key(notice: StandingNotice | CalendarNotice, therapist_id: str, occasion_id: str) -> str:
    """(occasion, recipient, channel), like a session's message: the therapist, by email, the one channel."""
    return f"{therapist_id}/{notice}/{occasion_id}/{Role.THERAPIST}/{Channel.EMAIL}"


@dataclass(frozen=True)
class ReservationNotice:
    """One email to the reserved client about their reservation, as the event left it (the outbox item's
    snapshot): it was made, or deleted. `therapist` is for the wording (their name)."""

    event: ReservationEvent
    reservation: Reservation
    recipient: Contact
    therapist: Contact

    @property
    def template(self) -> str:
        return RESERVATION_TEMPLATES[self.event.event_type]

    @property
    def delivery_key(self) -> str:
        return reservation_delivery_key(self.event)

    @property
    def occurrences(self) -> tuple[OccurrenceView, ...]:
        """What the email lists: the occurrences held for the client (made), or the upcoming ones the
        deletion gave back (deleted; those that had passed unbooked were given back before)."""
        views = self.reservation.views()
        if self.event.event_type is ReservationEventType.DELETED:
            return tuple(v for v in views if v.status is OccurrenceStatus.RELEASED and v.start > self.event.occurred_at)
        return tuple(v for v in views if v.status is OccurrenceStatus.HELD)

    @property
    def kept(self) -> tuple[OccurrenceView, ...]:
        """The upcoming occurrences the client booked: sessions, which a deletion leaves as they are."""
        return tuple(
            v
            for v in self.reservation.views()
            if v.status is OccurrenceStatus.BOOKED and v.start > self.event.occurred_at
        )


def reservation_delivery_key(event: ReservationEvent) -> str:
    """(occasion, recipient, channel), like a session's message: the reserved client, by email, the one channel."""
    return f"{event.event_id}/{Role.CLIENT}/{Channel.EMAIL}"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Sms:
    to: str
    text: str


class InvalidPhoneNumber(Exception):
    """The SMS provider refused the number: the message goes by email only."""


class Renderer(Protocol):
    def email(self, notice: Notice) -> Email: ...

    def sms(self, notice: Notice) -> Sms: ...

    def account_email(self, notice: AccountNotice) -> Email: ...

    def reservation_email(self, notice: ReservationNotice) -> Email: ...


class EmailSender(Protocol):
    def send(self, email: Email) -> None: ...


class SmsSender(Protocol):
    def send(self, sms: Sms) -> None:
        """Send, or raise InvalidPhoneNumber if the number cannot receive texts."""


class DeliveryLedger(Protocol):
    def once(self, key: str, send: Callable[[], None]) -> None:
        """Run `send` unless a send under `key` has completed. A send that raises is not recorded."""


class ContactBook(Protocol):
    def parties(self, therapist_id: str, client_id: str) -> tuple[Contact | None, Contact | None]:
        """The therapist's and the client's contacts (None for one without a profile), in one read."""

    def therapist(self, therapist_id: str) -> Contact | None:
        """The therapist's contact alone (None without a profile): for what is about their account."""


class DeliveryFailed(Exception):
    """Some messages of an occasion could not be sent; those that were sent stay sent."""

    def __init__(self, keys: list[str], causes: list[Exception]) -> None:
        names = sorted({type(cause).__name__ for cause in causes})
        super().__init__(f"{len(keys)} message(s) not sent: {', '.join(names)}")
        self.keys = keys
        self.causes = causes


@dataclass
class DeliveryReport:
    """What happened to an occasion's messages, by delivery key: nothing personal in it."""

    sent: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def delivery_key(occasion: Occasion, rule: Rule, channel: Channel) -> str:
    """What makes a send unique: (occasion, recipient, channel)."""
    return f"{occasion.occasion_id}/{rule.recipient}/{channel}"


def rules_for(occasion: Occasion) -> tuple[Rule, ...]:
    rules = NOTIFICATIONS.get(occasion.kind, ())
    return tuple(r for r in rules if r.cancelled_by is None or r.cancelled_by == occasion.cancelled_by)


def plan(occasion: Occasion, therapist: Contact | None, client: Contact | None) -> tuple[list[Notice], dict[str, str]]:
    """The messages an occasion calls for, and the ones it cannot have (by key, with why)."""
    notices: list[Notice] = []
    skipped: dict[str, str] = {}
    for rule in rules_for(occasion):
        recipient = therapist if rule.recipient is Role.THERAPIST else client
        channels = [Channel.EMAIL, *([Channel.SMS] if rule.sms else [])]
        for channel in channels:
            key = delivery_key(occasion, rule, channel)
            if recipient is None or therapist is None:
                skipped[key] = "no_contact_details"
            elif channel is Channel.SMS and not recipient.sms_opt_in:
                continue  # opted out: not a message this party gets
            elif channel is Channel.SMS and recipient.sms_number is None:
                skipped[key] = "invalid_phone_number"
            else:
                notices.append(Notice(occasion, rule, channel, recipient, therapist, client))
    return notices, skipped


class ProfileContacts:
    """The `ContactBook` read from the parties' profiles, both in one read (`get_with_client`)."""

    def __init__(self, therapists: TherapistRepository) -> None:
        self._therapists = therapists

    def parties(self, therapist_id: str, client_id: str) -> tuple[Contact | None, Contact | None]:
        therapist, c = self._therapists.get_with_client(therapist_id, client_id)
        return (
            therapist_contact(therapist.profile if therapist else None),
            Contact(Role.CLIENT, c.name, c.email, c.phone, c.sms_opt_in, c.timezone) if c else None,
        )

    def therapist(self, therapist_id: str) -> Contact | None:
        therapist = self._therapists.get(therapist_id)
        return therapist_contact(therapist.profile if therapist else None)


def therapist_contact(profile: TherapistProfile | None) -> Contact | None:
    if profile is None:
        return None
    return Contact(Role.THERAPIST, profile.name, profile.email, profile.phone, profile.sms_opt_in, profile.timezone)


DEFAULT_POLICY = PlatformPolicy()  # the wording's thresholds when none is given (the wiring passes the settings')


class NotificationService:
    def __init__(
        self,
        contacts: ContactBook,
        renderer: Renderer,
        email: EmailSender,
        sms: SmsSender,
        ledger: DeliveryLedger,
        sessions: SessionRepository,
        clock: Clock,
        policy: PlatformPolicy = DEFAULT_POLICY,
        metrics: BusinessMetrics = NO_METRICS,
    ) -> None:
        self._contacts = contacts
        self._renderer = renderer
        self._email = email
        self._sms = sms
        self._ledger = ledger
        self._sessions = sessions
        self._clock = clock
        self._policy = policy
        self._metrics = metrics

    def session_as_left_by(self, event: DomainEvent) -> Session | None:
        """The session as `event` left it, read from the store: only while nothing has changed it since."""
        session = self._sessions.get(event.session_id)
        return session if session is not None and session.version == event.session_version else None

    def remind(self, session_id: str, start: datetime) -> DeliveryReport | None:
        """The reminder of a session planned to start at `start`; None (nothing sent) if it has
        since moved, been cancelled or already started: its schedule outlived the plan."""
        session = self._sessions.get(session_id)
        now = self._clock.now()
        if session is None or session.status is not SessionStatus.CONFIRMED or session.start != start:
            return None
        if session.has_started(now):
            return None
        return self.notify(Occasion.reminder(session, now))

    def remind_to_respond(self, session_id: str) -> DeliveryReport | None:
        """Remind the therapist of a booking still waiting for their first answer; None (nothing sent) once
        it has been answered, cancelled or settled, or has started: a late or repeated firing of its schedule.
        Its delivery keys are the booking's own, so a second firing sends nothing twice."""
        session = self._sessions.get(session_id)
        now = self._clock.now()
        if session is None or not session.awaits_first_answer or session.has_started(now):
            return None
        return self.notify(Occasion.response_reminder(session, now))

    def tell_standing(self, notice: StandingNotice, therapist_id: str, occasion_id: str) -> DeliveryReport:
        """Tell the therapist, by email only, that their cancellation streak flagged them or deactivated their
        account; once per (occasion, recipient, channel). A therapist without a profile is skipped
        (`no_contact_details`); a failed send raises DeliveryFailed, so the occasion is retried."""
        return self._tell_account(notice, therapist_id, occasion_id, None)

    def tell_calendar(
        self, notice: CalendarNotice, therapist_id: str, occasion_id: str, session_id: str | None
    ) -> DeliveryReport:
        """Tell the therapist, by email only, that their imported calendar is failing, or that it overlaps the
        booked session `session_id`; once per occasion, as `tell_standing`."""
        session = self._sessions.get(session_id) if session_id is not None else None
        return self._tell_account(notice, therapist_id, occasion_id, session)

    def _tell_account(
        self, notice: StandingNotice | CalendarNotice, therapist_id: str, occasion_id: str, session: Session | None
    ) -> DeliveryReport:
        report = DeliveryReport()
        therapist = self._contacts.therapist(therapist_id)
        if therapist is None:
            report.skipped[account_delivery_key(notice, therapist_id, occasion_id)] = "no_contact_details"
            return report
        policy = self._policy
        account = AccountNotice(
            notice, therapist_id, occasion_id, therapist, policy.streak_flag_at, policy.streak_deactivate_at, session
        )
        try:
            self._ledger.once(account.delivery_key, partial(self._send_account, account))
        except Exception as error:
            raise DeliveryFailed([account.delivery_key], [error]) from error
        report.sent.append(account.delivery_key)
        return report

    def tell_reservation(self, event: ReservationEvent, reservation: Reservation) -> DeliveryReport:
        """Tell the reserved client, by email only, that the reservation (as `event` left it) was made or
        deleted; once per (event, recipient, channel). A deletion the client made (erasing their data) is not
        told; without the client's or the therapist's profile it is
        skipped (`no_contact_details`); a failed send raises DeliveryFailed, so the event is retried."""
        report = DeliveryReport()
        key = reservation_delivery_key(event)
        if event.event_type not in RESERVATION_TEMPLATES:
            return report
        if event.actor_role is Role.CLIENT:  # the client's own erasure released it: they are not written to
            report.skipped[key] = "client_erased"
            return report
        therapist, client = self._contacts.parties(reservation.therapist_id, reservation.client_id)
        if therapist is None or client is None:
            report.skipped[key] = "no_contact_details"
            return report
        notice = ReservationNotice(event, reservation, client, therapist)
        try:
            self._ledger.once(key, partial(self._send_reservation, notice))
        except Exception as error:
            self._metrics.count(NOTIFICATIONS_FAILED, channel=Channel.EMAIL)
            raise DeliveryFailed([key], [error]) from error
        report.sent.append(key)
        return report

    def notify(self, occasion: Occasion) -> DeliveryReport:
        """Send every message the occasion calls for, at most once each.

        Every message is attempted; if any failed, DeliveryFailed is raised after the others
        went out, so a retry of the occasion sends only what is still missing.
        """
        report = DeliveryReport()
        if not rules_for(occasion):
            return report
        session = occasion.session
        therapist, client = self._contacts.parties(session.therapist_id, session.client_id)
        notices, report.skipped = plan(occasion, therapist, client)
        failed: list[str] = []
        causes: list[Exception] = []
        for notice in notices:
            try:
                self._ledger.once(notice.delivery_key, partial(self._send, notice))
            except InvalidPhoneNumber:
                report.skipped[notice.delivery_key] = "invalid_phone_number"
            except Exception as error:  # one failed send must not stop the others
                self._metrics.count(NOTIFICATIONS_FAILED, channel=notice.channel)
                failed.append(notice.delivery_key)
                causes.append(error)
            else:
                report.sent.append(notice.delivery_key)
        if failed:
            raise DeliveryFailed(failed, causes)
        return report

    def _send_account(self, notice: AccountNotice) -> None:
        self._email.send(self._renderer.account_email(notice))

    def _send_reservation(self, notice: ReservationNotice) -> None:
        self._email.send(self._renderer.reservation_email(notice))
        self._metrics.count(NOTIFICATIONS_SENT, channel=Channel.EMAIL)

    def _send(self, notice: Notice) -> None:
        """Send one message, and count it (here, not in `notify`: a message the ledger already holds as
        sent is not sent, nor counted, again)."""
        if notice.channel is Channel.EMAIL:
            self._email.send(self._renderer.email(notice))
        else:
            self._sms.send(self._renderer.sms(notice))
        self._metrics.count(NOTIFICATIONS_SENT, channel=notice.channel)
        if notice.occasion.kind in (REMINDER, RESPONSE_REMINDER):
            self._metrics.count(REMINDERS_SENT, reminder=notice.occasion.kind)
