"""Who is told what, event by event: the notification mapping driven by real transitions on
in-memory adapters, with recording senders in place of SES and SNS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.clock import FakeClock
from tests.support.domain_data import ADMIN, CLIENT, PROFILE, THERAPIST, WEDNESDAY_10, request
from tests.support.fakes import InMemoryStore, InMemoryTherapists, RecordingSessions
from therapy_booking.domain.changes import SessionChange
from therapy_booking.domain.events import EventType
from therapy_booking.domain.model import (
    ClientProfile,
    Location,
    LocationKind,
    OfferExpiryPolicy,
    RearrangeReason,
    Role,
    Session,
    SessionStatus,
)
from therapy_booking.domain.notifications import (
    NOTIFICATIONS,
    REMINDER,
    AccountNotice,
    CalendarMethod,
    Channel,
    DeliveryFailed,
    Email,
    InvalidPhoneNumber,
    Notice,
    NotificationService,
    Occasion,
    ProfileContacts,
    ReservationNotice,
    Sms,
)
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.schedules import reminder_due_at
from therapy_booking.domain.services import SessionService

THERAPIST_PHONE = "+447700900001"
CLIENT_PHONE = "+447700900002"
VIDEO = Location("video", LocationKind.ONLINE, link="https://meet.example/t1")
WED_14 = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
WED_15 = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)

T, C = Role.THERAPIST, Role.CLIENT
EMAIL, SMS = Channel.EMAIL, Channel.SMS


@dataclass(frozen=True)
class Told:
    """One message as a person would notice it: to whom, how, which message, with which calendar entry."""

    role: Role
    channel: Channel
    template: str
    calendar: CalendarMethod | None = None


class TemplateNameRenderer:
    """Renders a notice as its template's name: enough to see which message went to whom."""

    def email(self, notice: Notice) -> Email:
        return Email(notice.recipient.email, notice.rule.template, "", "")

    def sms(self, notice: Notice) -> Sms:
        assert notice.recipient.sms_number is not None
        return Sms(notice.recipient.sms_number, notice.rule.template)

    def account_email(self, notice: AccountNotice) -> Email:
        return Email(notice.recipient.email, notice.template, "", "")

    def reservation_email(self, notice: ReservationNotice) -> Email:
        return Email(notice.recipient.email, notice.template, "", "")


@dataclass
class Channels:
    """The email and SMS senders, recording what went out; addresses listed in `failing` fail to send."""

    sent: list[Told] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    unusable_numbers: set[str] = field(default_factory=set)
    notices: list[Notice] = field(default_factory=list)

    def email_sender(self) -> EmailSender:
        return EmailSender(self)

    def sms_sender(self) -> SmsSender:
        return SmsSender(self)


@dataclass
class EmailSender:
    channels: Channels

    def send(self, email: Email) -> None:
        if email.to in self.channels.failing:
            raise TimeoutError("throttled")
        self.channels.sent.append(Told(role_of(email.to), EMAIL, email.subject))


@dataclass
class SmsSender:
    channels: Channels

    def send(self, sms: Sms) -> None:
        if sms.to in self.channels.unusable_numbers:
            raise InvalidPhoneNumber("unusable number")
        self.channels.sent.append(Told(role_of(sms.to), SMS, sms.text))


def role_of(address: str) -> Role:
    return T if address in (PROFILE.email, THERAPIST_PHONE) else C


class InMemoryLedger:
    def __init__(self) -> None:
        self.done: set[str] = set()

    def once(self, key: str, send: Callable[[], None]) -> None:
        if key in self.done:
            return
        send()
        self.done.add(key)


class RecordingRenderer(TemplateNameRenderer):
    def __init__(self, channels: Channels) -> None:
        self.channels = channels

    def email(self, notice: Notice) -> Email:
        self.channels.notices.append(notice)
        return super().email(notice)


@pytest.fixture
def policy() -> PlatformPolicy:
    return PlatformPolicy()


@pytest.fixture
def sessions(store: InMemoryStore) -> RecordingSessions:
    profile = replace(PROFILE, phone=THERAPIST_PHONE, sms_opt_in=True, locations=(*PROFILE.locations, VIDEO))
    store.therapists["t1"] = replace(store.therapists["t1"], profile=profile)
    store.clients["c1"] = ClientProfile("c1", "Sam Client", "c@example.com", CLIENT_PHONE, True, "America/New_York")
    return RecordingSessions(store)


@pytest.fixture
def service(
    sessions: RecordingSessions, store: InMemoryStore, clock: FakeClock, policy: PlatformPolicy
) -> SessionService:
    counter = iter(range(1, 1000))
    return SessionService(sessions, InMemoryTherapists(store), clock, policy, ids=lambda: f"id{next(counter)}")


@pytest.fixture
def channels() -> Channels:
    return Channels()


@pytest.fixture
def notifications(
    store: InMemoryStore, sessions: RecordingSessions, clock: FakeClock, channels: Channels
) -> NotificationService:
    return NotificationService(
        contacts=ProfileContacts(InMemoryTherapists(store)),
        renderer=RecordingRenderer(channels),
        email=channels.email_sender(),
        sms=channels.sms_sender(),
        ledger=InMemoryLedger(),
        sessions=sessions,
        clock=clock,
    )


def told(notifications: NotificationService, channels: Channels, change: SessionChange) -> set[Told]:
    """Everything sent for one committed change, with the calendar entry of each email."""
    channels.sent.clear()
    channels.notices.clear()
    notifications.notify(Occasion.of_event(change.event, change.session))
    calendars = {(n.rule.recipient, n.rule.template): n.calendar for n in channels.notices}
    return {
        replace(m, calendar=calendars.get((m.role, m.template))) if m.channel is EMAIL else m for m in channels.sent
    }


def last(sessions: RecordingSessions, event_type: EventType) -> SessionChange:
    change = sessions.committed[-1]
    assert change.event.event_type is event_type
    return change


def booked(service: SessionService) -> Session:
    return service.book(CLIENT, request())


def confirmed(service: SessionService) -> Session:
    return service.confirm(THERAPIST, booked(service).session_id)


def offered(service: SessionService) -> Session:
    return service.offer_alternatives(THERAPIST, confirmed(service).session_id, [WED_14, WED_15])


def asked_to_agree(service: SessionService) -> Session:
    session = confirmed(service)
    return service.change_location(THERAPIST, session.session_id, "video", RearrangeReason.THERAPIST_UNAVAILABLE)


class TestEveryEventTellsTheRightPeople:
    def test_a_new_booking_tells_the_therapist_by_email_and_sms(self, service, sessions, notifications, channels):
        # Given a therapist who opted in to SMS
        # When a client books
        booked(service)
        # Then the therapist gets an email and a text, and the client nothing
        assert told(notifications, channels, last(sessions, EventType.SESSION_BOOKED)) == {
            Told(T, EMAIL, "new_booking"),
            Told(T, SMS, "new_booking"),
        }

    def test_a_confirmation_sends_the_client_the_details_with_a_calendar_invitation(
        self, service, sessions, notifications, channels
    ):
        confirmed(service)
        assert told(notifications, channels, last(sessions, EventType.SESSION_CONFIRMED)) == {
            Told(C, EMAIL, "session_confirmed", CalendarMethod.REQUEST),
        }

    def test_a_decline_tells_the_client(self, service, sessions, notifications, channels):
        service.decline(THERAPIST, booked(service).session_id, None)
        assert told(notifications, channels, last(sessions, EventType.SESSION_DECLINED)) == {
            Told(C, EMAIL, "session_declined"),
        }

    def test_a_client_cancelling_tells_the_therapist_and_gives_the_client_a_receipt(
        self, service, sessions, notifications, channels
    ):
        service.cancel(CLIENT, confirmed(service).session_id, None)
        assert told(notifications, channels, last(sessions, EventType.SESSION_CANCELLED)) == {
            Told(T, EMAIL, "cancelled_by_client"),
            Told(T, SMS, "cancelled_by_client"),
            Told(C, EMAIL, "cancellation_receipt", CalendarMethod.CANCEL),
        }

    def test_a_pending_booking_cancelled_or_refused_leaves_no_calendar_cancellation(
        self, service, sessions, notifications, channels
    ):
        # Given bookings the therapist never confirmed: the client has no invitation in their calendar
        service.cancel(CLIENT, booked(service).session_id, None)
        cancelled = told(notifications, channels, last(sessions, EventType.SESSION_CANCELLED))
        pending = booked(service)
        service.offer_alternatives(THERAPIST, pending.session_id, [WED_14])
        service.answer_offer(CLIENT, pending.session_id, None)
        refused = told(notifications, channels, last(sessions, EventType.OFFER_REJECTED))
        # Then the client's receipts carry no calendar file
        assert Told(C, EMAIL, "cancellation_receipt") in cancelled
        assert Told(C, EMAIL, "offer_rejected_receipt") in refused

    def test_a_therapist_cancelling_tells_the_client_only(self, service, sessions, notifications, channels):
        service.cancel(THERAPIST, confirmed(service).session_id, None)
        assert told(notifications, channels, last(sessions, EventType.SESSION_CANCELLED)) == {
            Told(C, EMAIL, "cancelled_by_therapist", CalendarMethod.CANCEL),
            Told(C, SMS, "cancelled_by_therapist"),
        }

    def test_a_move_on_the_clients_behalf_sends_the_client_an_updated_invitation(
        self, service, sessions, notifications, channels
    ):
        service.reschedule(THERAPIST, booked(service).session_id, WED_14, RearrangeReason.CLIENT_REQUESTED)
        assert told(notifications, channels, last(sessions, EventType.SESSION_RESCHEDULED)) == {
            Told(C, EMAIL, "session_updated", CalendarMethod.REQUEST),
        }

    def test_a_location_change_on_the_clients_behalf_sends_an_updated_invitation(
        self, service, sessions, notifications, channels
    ):
        service.change_location(THERAPIST, confirmed(service).session_id, "video", RearrangeReason.ERROR_CORRECTION)
        assert told(notifications, channels, last(sessions, EventType.LOCATION_CHANGED)) == {
            Told(C, EMAIL, "session_updated", CalendarMethod.REQUEST),
        }

    def test_a_location_change_for_the_therapists_reasons_asks_the_client_to_agree(
        self, service, sessions, notifications, channels
    ):
        asked_to_agree(service)
        assert told(notifications, channels, last(sessions, EventType.LOCATION_CHANGE_REQUESTED)) == {
            Told(C, EMAIL, "location_change_requested"),
            Told(C, SMS, "location_change_requested"),
        }

    def test_agreeing_to_a_location_change_tells_the_therapist_and_confirms_to_the_client(
        self, service, sessions, notifications, channels
    ):
        service.answer_location_change(CLIENT, asked_to_agree(service).session_id, accept=True)
        assert told(notifications, channels, last(sessions, EventType.LOCATION_CHANGE_ACCEPTED)) == {
            Told(T, EMAIL, "location_change_accepted"),
            Told(C, EMAIL, "session_confirmed", CalendarMethod.REQUEST),
        }

    def test_refusing_a_location_change_tells_both(self, service, sessions, notifications, channels):
        service.answer_location_change(CLIENT, asked_to_agree(service).session_id, accept=False)
        assert told(notifications, channels, last(sessions, EventType.LOCATION_CHANGE_REJECTED)) == {
            Told(T, EMAIL, "location_change_rejected"),
            Told(C, EMAIL, "location_change_rejected_receipt", CalendarMethod.CANCEL),
        }

    def test_alternatives_go_to_the_client_by_email_and_sms(self, service, sessions, notifications, channels):
        offered(service)
        assert told(notifications, channels, last(sessions, EventType.ALTERNATIVES_OFFERED)) == {
            Told(C, EMAIL, "alternatives_offered"),
            Told(C, SMS, "alternatives_offered"),
        }

    def test_an_accepted_offer_tells_the_therapist_and_confirms_the_new_time_to_the_client(
        self, service, sessions, notifications, channels
    ):
        session = offered(service)
        assert session.offer is not None
        service.answer_offer(CLIENT, session.session_id, session.offer.alternatives[0].alternative_id)
        assert told(notifications, channels, last(sessions, EventType.OFFER_ACCEPTED)) == {
            Told(T, EMAIL, "offer_accepted"),
            Told(C, EMAIL, "session_confirmed", CalendarMethod.REQUEST),
        }

    def test_a_rejected_offer_tells_both(self, service, sessions, notifications, channels):
        service.answer_offer(CLIENT, offered(service).session_id, None)
        assert told(notifications, channels, last(sessions, EventType.OFFER_REJECTED)) == {
            Told(T, EMAIL, "offer_rejected"),
            Told(C, EMAIL, "offer_rejected_receipt", CalendarMethod.CANCEL),
        }

    @pytest.mark.parametrize(
        ("policy", "calendar"),
        [
            (PlatformPolicy(offer_expiry_policy=OfferExpiryPolicy.CANCEL_AND_REFUND), CalendarMethod.CANCEL),
            (PlatformPolicy(offer_expiry_policy=OfferExpiryPolicy.REVERT_TO_ORIGINAL), CalendarMethod.REQUEST),
        ],
    )
    def test_an_expired_offer_tells_both_and_the_clients_calendar_follows_the_policy(
        self, service, sessions, notifications, channels, clock, calendar
    ):
        # Given a platform with this expiry policy and an offer left unanswered for 24 hours
        session = offered(service)
        assert session.offer is not None
        clock.advance(timedelta(hours=24))
        # When it expires
        service.expire(session.session_id, session.offer.offer_id)
        # Then both are told; the client's calendar entry is cancelled or kept at the original time
        assert told(notifications, channels, last(sessions, EventType.OFFER_EXPIRED)) == {
            Told(T, EMAIL, "offer_expired"),
            Told(C, EMAIL, "offer_expired", calendar),
        }

    def test_an_expired_location_change_tells_both(self, service, sessions, notifications, channels, clock):
        session = asked_to_agree(service)
        assert session.location_change is not None
        clock.advance(timedelta(hours=24))
        service.expire(session.session_id, session.location_change.change_id)
        assert told(notifications, channels, last(sessions, EventType.LOCATION_CHANGE_EXPIRED)) == {
            Told(T, EMAIL, "location_change_expired"),
            Told(C, EMAIL, "location_change_expired", CalendarMethod.CANCEL),
        }

    def test_a_change_by_the_team_tells_both(self, service, sessions, notifications, channels):
        session = confirmed(service)
        service.admin_rearrange(
            ADMIN,
            session.session_id,
            start=WED_14,
            location_id=None,
            status=None,
            reason=RearrangeReason.ERROR_CORRECTION,
            note="moved by phone",
        )
        assert told(notifications, channels, last(sessions, EventType.ADMIN_REARRANGED)) == {
            Told(T, EMAIL, "admin_changed"),
            Told(C, EMAIL, "admin_changed", CalendarMethod.REQUEST),
        }

    def test_a_completed_session_tells_nobody(self, service, sessions, notifications, channels, clock):
        session = confirmed(service)
        clock.set(session.end)
        service.sweep()
        assert told(notifications, channels, last(sessions, EventType.SESSION_COMPLETED)) == set()

    def test_every_event_type_has_a_row_and_the_reminder_goes_to_both_by_email_and_sms(self):
        assert set(NOTIFICATIONS) == {*EventType, REMINDER}
        assert {(r.recipient, r.sms) for r in NOTIFICATIONS[REMINDER]} == {(T, True), (C, True)}


class TestSms:
    def test_people_who_did_not_opt_in_get_email_only(self, service, sessions, notifications, channels, store):
        # Given a therapist who has a phone number but did not opt in to SMS
        therapist = store.therapists["t1"]
        assert therapist.profile is not None
        store.therapists["t1"] = replace(therapist, profile=replace(therapist.profile, sms_opt_in=False))
        # When a client books
        booked(service)
        # Then only the email goes out
        assert told(notifications, channels, last(sessions, EventType.SESSION_BOOKED)) == {
            Told(T, EMAIL, "new_booking")
        }

    def test_a_number_that_is_not_e164_degrades_to_email_only(self, service, sessions, notifications, channels, store):
        therapist = store.therapists["t1"]
        assert therapist.profile is not None
        store.therapists["t1"] = replace(therapist, profile=replace(therapist.profile, phone="07700 900001"))
        booked(service)
        change = last(sessions, EventType.SESSION_BOOKED)
        report = notifications.notify(Occasion.of_event(change.event, change.session))
        assert [m.channel for m in channels.sent] == [EMAIL]
        assert report.skipped == {f"{change.event.event_id}/therapist/sms": "invalid_phone_number"}

    def test_a_number_the_sms_provider_refuses_degrades_to_email_only(self, service, sessions, notifications, channels):
        channels.unusable_numbers.add(THERAPIST_PHONE)
        booked(service)
        change = last(sessions, EventType.SESSION_BOOKED)
        report = notifications.notify(Occasion.of_event(change.event, change.session))
        assert [m.channel for m in channels.sent] == [EMAIL]
        assert report.skipped == {f"{change.event.event_id}/therapist/sms": "invalid_phone_number"}


class TestExactlyOnce:
    def test_an_event_delivered_twice_sends_each_message_once(self, service, sessions, notifications, channels):
        booked(service)
        change = last(sessions, EventType.SESSION_BOOKED)
        occasion = Occasion.of_event(change.event, change.session)
        notifications.notify(occasion)
        notifications.notify(occasion)
        assert sorted(m.channel for m in channels.sent) == [EMAIL, SMS]

    def test_a_failed_send_fails_only_itself_and_a_retry_sends_only_what_is_missing(
        self, service, sessions, notifications, channels
    ):
        # Given the therapist's email provider failing
        channels.failing.add(PROFILE.email)
        booked(service)
        change = last(sessions, EventType.SESSION_BOOKED)
        occasion = Occasion.of_event(change.event, change.session)
        # When the booking is notified
        with pytest.raises(DeliveryFailed) as failure:
            notifications.notify(occasion)
        # Then the text went out and the email is reported failed
        assert failure.value.keys == [f"{change.event.event_id}/therapist/email"]
        assert [m.channel for m in channels.sent] == [SMS]
        # And a retry once the provider is back sends the email, and not the text again
        channels.failing.clear()
        notifications.notify(occasion)
        assert sorted(m.channel for m in channels.sent) == [EMAIL, SMS]

    def test_a_client_without_a_profile_is_skipped_and_the_therapist_still_told(
        self, service, sessions, notifications, channels, store
    ):
        del store.clients["c1"]
        service.cancel(CLIENT, confirmed(service).session_id, None)
        change = last(sessions, EventType.SESSION_CANCELLED)
        report = notifications.notify(Occasion.of_event(change.event, change.session))
        assert {m.role for m in channels.sent} == {T}
        assert report.skipped == {f"{change.event.event_id}/client/email": "no_contact_details"}


class TestReminders:
    def test_a_confirmed_session_is_due_a_reminder_24_hours_before_it_and_others_are_not(self, service):
        session = confirmed(service)
        assert reminder_due_at(session) == session.start - timedelta(hours=24)
        assert reminder_due_at(replace(session, status=SessionStatus.PENDING)) is None

    def test_both_parties_are_reminded_once(self, service, notifications, channels):
        session = confirmed(service)
        notifications.remind(session.session_id, session.start)
        notifications.remind(session.session_id, session.start)
        assert set(channels.sent) == {
            Told(T, EMAIL, "session_reminder"),
            Told(T, SMS, "session_reminder"),
            Told(C, EMAIL, "session_reminder"),
            Told(C, SMS, "session_reminder"),
        }
        assert len(channels.sent) == 4

    def test_a_reminder_planned_for_an_old_time_or_a_cancelled_session_sends_nothing(
        self, service, notifications, channels
    ):
        moved = service.reschedule(THERAPIST, confirmed(service).session_id, WED_14, RearrangeReason.CLIENT_REQUESTED)
        assert notifications.remind(moved.session_id, WEDNESDAY_10) is None
        service.cancel(CLIENT, moved.session_id, None)
        assert notifications.remind(moved.session_id, WED_14) is None
        assert channels.sent == []

    def test_a_reminder_after_the_start_sends_nothing(self, service, notifications, channels, clock):
        session = confirmed(service)
        clock.set(session.start)
        assert notifications.remind(session.session_id, session.start) is None
        assert channels.sent == []


class TestResponseReminders:
    def test_the_therapist_of_an_unanswered_booking_is_reminded_once_by_email_and_sms(
        self, service, notifications, channels
    ):
        # Given a booking the therapist (opted in to SMS) has not answered
        session = booked(service)
        # When its response reminder fires, twice
        first = notifications.remind_to_respond(session.session_id)
        notifications.remind_to_respond(session.session_id)
        # Then the therapist got one email and one text, under the booking's own keys; the client nothing
        assert channels.sent == [Told(T, EMAIL, "respond_reminder"), Told(T, SMS, "respond_reminder")]
        assert first is not None
        assert first.sent == [
            f"{session.session_id}/respond/therapist/email",
            f"{session.session_id}/respond/therapist/sms",
        ]

    def test_an_answered_cancelled_or_started_booking_gets_no_reminder(self, service, notifications, channels, clock):
        # Given a booking answered, one cancelled by the client, and one whose start has passed, all unanswered
        answered = confirmed(service)
        cancelled = service.cancel(CLIENT, service.book(CLIENT, request(WED_14)).session_id, None)
        started = service.book(CLIENT, request(WED_15))
        # When their response reminders fire (late) / Then nothing is sent
        assert notifications.remind_to_respond(answered.session_id) is None
        assert notifications.remind_to_respond(cancelled.session_id) is None
        clock.set(started.start)
        assert notifications.remind_to_respond(started.session_id) is None
        assert notifications.remind_to_respond("no-such-session") is None
        assert channels.sent == []
