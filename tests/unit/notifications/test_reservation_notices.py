"""A reserved client told by email that a therapist reserved recurring times for them, or deleted the reservation.

`NotificationService.tell_reservation` with the in-memory fakes of `tests/unit/test_notifications.py` (recording
senders, an in-memory ledger), and the real templates for what the emails say: a therapist in London reserving
18:00 every week across the clock changes of March 2026, read by a client in New York.
"""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.clock import FakeClock
from tests.support.fakes import InMemorySessions, InMemoryStore, InMemoryTherapists
from tests.unit.notifications.samples import CLIENT, PRIVATE_TEXTS, ROOM, SETTINGS, THERAPIST, VIDEO
from tests.unit.notifications.test_rendering import DASH, visible_text
from tests.unit.test_notifications import CLIENT_PHONE, EMAIL, Channels, InMemoryLedger, RecordingRenderer, Told
from therapy_booking.domain.calendar import TimeRange
from therapy_booking.domain.model import ClientProfile, Role, SessionType
from therapy_booking.domain.notifications import (
    RESERVATION_TEMPLATES,
    DeliveryFailed,
    NotificationService,
    ProfileContacts,
    ReservationNotice,
)
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.reservations import (
    Reservation,
    ReservationEvent,
    ReservationEventType,
    ReservationStatus,
    occurrence_starts,
)
from therapy_booking.notifications.rendering import TemplateRenderer

MADE, DELETED = ReservationEventType.MADE, ReservationEventType.DELETED
MADE_AT = datetime(2026, 2, 27, 9, 0, tzinfo=UTC)
FIRST = datetime(2026, 3, 3, 18, 0, tzinfo=UTC)  # Tuesday 18:00 in London (GMT), 13:00 in New York (EST)
C = Role.CLIENT
renderer = TemplateRenderer(SETTINGS)


def reservation(**changes: object) -> Reservation:
    """Five weekly occurrences at 18:00 London time: GMT until 29 March, BST on the 31st (17:00 UTC)."""
    starts = occurrence_starts(FIRST, 1, 5, "Europe/London")
    made = Reservation(
        reservation_id="r1",
        therapist_id="t1",
        client_id="c1",
        session_type=SessionType.INDIVIDUAL,
        location=ROOM,
        every_weeks=1,
        occurrences=tuple(TimeRange(start, start + timedelta(minutes=50)) for start in starts),
        status=ReservationStatus.ACTIVE,
        created_at=MADE_AT,
        updated_at=MADE_AT,
        version=1,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def event(kind: ReservationEventType = MADE, version: int = 1, at: datetime = MADE_AT) -> ReservationEvent:
    return ReservationEvent(
        event_type=kind, reservation_id="r1", version=version, occurred_at=at, actor_role=Role.THERAPIST, actor_id="t1"
    )


def deleted_on_the_11th(booked: dict[datetime, str] | None = None) -> tuple[ReservationEvent, Reservation]:
    """Deleted on Wednesday 11 March: the 3rd and 10th have passed; the rest is given back (or stays booked)."""
    at = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
    left = reservation(status=ReservationStatus.DELETED, version=2, updated_at=at, booked=booked or {})
    return event(DELETED, 2, at), replace(left, released_through=left.occurrences[-1].start)


def email_of(e: ReservationEvent, r: Reservation) -> tuple[str, str, str]:
    sent = renderer.reservation_email(ReservationNotice(e, r, CLIENT, THERAPIST))
    assert sent.to == CLIENT.email
    return sent.subject, sent.text, visible_text(sent.html)


NEW_YORK_TIMES = [  # each occurrence as the client's clock reads it, the zone named
    f"Tuesday 3 March 2026, 13:00{DASH}13:50 EST",  # before the US change (8 March)
    f"Tuesday 10 March 2026, 14:00{DASH}14:50 EDT",  # between the US and the UK changes
    f"Tuesday 17 March 2026, 14:00{DASH}14:50 EDT",
    f"Tuesday 24 March 2026, 14:00{DASH}14:50 EDT",
    f"Tuesday 31 March 2026, 13:00{DASH}13:50 EDT",  # after the UK change (29 March)
]


# --- what the emails say -----------------------------------------------------------------------------


def test_the_made_email_lists_every_held_time_on_the_clients_clock_across_the_clock_changes() -> None:
    # Given a reservation at 18:00 London time every week, made for a client in New York
    # When its email is rendered
    subject, text, shown = email_of(event(), reservation())

    # Then it names the therapist, the kind of session, how often and where
    assert subject == f"{THERAPIST.name} has reserved regular session times for you"
    for part in (text, shown):
        assert THERAPIST.name in part
        assert "Individual session, every week" in part
        assert "In person at 12 Harley Street, London W1G 9PG" in part
        # And every occurrence, in the client's time zone, which it names, across both clock changes
        assert [line for line in NEW_YORK_TIMES if line not in part] == []
        assert "America/New_York" in part
        # And it says how the client uses the times, and links to their dashboard
        assert "Book each one from your dashboard before it starts" in part
    assert [line.removeprefix("- ") for line in text.splitlines() if line.startswith("- ")] == NEW_YORK_TIMES
    assert f"See your reserved times on your dashboard: {SETTINGS.dashboard_base_url}" in text


def test_a_reservation_every_two_weeks_online_says_so() -> None:
    # Given a reservation every 2 weeks, online
    _, text, shown = email_of(event(), reservation(every_weeks=2, location=VIDEO))
    # Then both bodies say so, with the joining link
    for part in (text, shown):
        assert "Individual session, every 2 weeks" in part
        assert f"Online, joining link: {VIDEO.link}" in part


def test_the_deleted_email_lists_the_upcoming_times_given_back_and_the_booked_sessions_that_stay() -> None:
    # Given a reservation deleted on 11 March, whose 24 March occurrence the client had booked
    twenty_fourth = reservation().occurrences[3].start
    e, r = deleted_on_the_11th(booked={twenty_fourth: "s-24"})

    # When its email is rendered
    subject, text, shown = email_of(e, r)

    # Then it lists the times given back that were still ahead (17 and 31 March), not those already past
    assert subject == f"{THERAPIST.name} has released the session times reserved for you"
    released = text[text.index("no longer held") : text.index("stay booked")]
    assert NEW_YORK_TIMES[2] in released and NEW_YORK_TIMES[4] in released
    assert NEW_YORK_TIMES[0] not in text and NEW_YORK_TIMES[1] not in text
    # And says the booked session stays a session, on the client's clock
    kept = text[text.index("stay booked") :]
    assert NEW_YORK_TIMES[3] in kept and NEW_YORK_TIMES[3] not in released
    for part in (text, shown):
        assert "The sessions you already booked are not affected" in part
        assert "America/New_York" in part
        assert "Individual session, every week" in part


def test_a_deletion_with_nothing_booked_says_nothing_about_booked_sessions() -> None:
    # Given a reservation deleted with nothing booked
    _, text, shown = email_of(*deleted_on_the_11th())
    # Then the times given back are listed and no booked session is mentioned
    for part in (text, shown):
        assert NEW_YORK_TIMES[3] in part
        assert "already booked" not in part


@pytest.mark.parametrize("kind", [MADE, DELETED])
def test_no_reservation_email_shows_anything_private(kind: ReservationEventType) -> None:
    # Given either email
    e, r = (event(), reservation()) if kind is MADE else deleted_on_the_11th()
    sent = renderer.reservation_email(ReservationNotice(e, r, CLIENT, THERAPIST))
    # Then no note or private text appears, nor the client's own contact details, nor the therapist's phone
    for part in (sent.subject, sent.text, sent.html):
        assert not [text for text in PRIVATE_TEXTS if text in part or html.escape(text) in part]
        assert CLIENT.email not in part and str(CLIENT.phone) not in part and str(THERAPIST.phone) not in part
    # And the subject is one short line
    assert "\n" not in sent.subject and len(sent.subject) <= 90


def test_every_reservation_event_type_has_its_templates() -> None:
    # Given the reservation event types / Then each has a template, with a text and an HTML file
    assert set(RESERVATION_TEMPLATES) == set(ReservationEventType)
    assert RESERVATION_TEMPLATES == {MADE: "reservation_made", DELETED: "reservation_deleted"}


# --- once, to the client, by email only ---------------------------------------------------------------


@pytest.fixture
def channels() -> Channels:
    return Channels()


@pytest.fixture
def notifications(store: InMemoryStore, clock: FakeClock, channels: Channels) -> NotificationService:
    return NotificationService(
        contacts=ProfileContacts(InMemoryTherapists(store)),
        renderer=RecordingRenderer(channels),
        email=channels.email_sender(),
        sms=channels.sms_sender(),
        ledger=InMemoryLedger(),
        sessions=InMemorySessions(store),
        clock=clock,
        policy=PlatformPolicy(),
    )


@pytest.fixture
def client_who_texts(store: InMemoryStore) -> InMemoryStore:
    """The client c1, opted in to texts with a valid number: a reservation's notice must still not text them."""
    store.clients["c1"] = ClientProfile("c1", "Sam Client", "c@example.com", CLIENT_PHONE, True, "America/New_York")
    return store


@pytest.mark.parametrize(("kind", "template"), [(MADE, "reservation_made"), (DELETED, "reservation_deleted")])
def test_each_reservation_event_sends_the_client_one_email_and_no_text(
    client_who_texts: InMemoryStore, notifications: NotificationService, channels: Channels, kind, template
) -> None:
    # Given a client opted in to texts, and a reservation event
    e, r = (event(), reservation()) if kind is MADE else deleted_on_the_11th()

    # When it is told
    report = notifications.tell_reservation(e, r)

    # Then the client gets exactly one email, from the event's template, and no text; the therapist nothing
    assert channels.sent == [Told(C, EMAIL, template)]
    assert report.sent == [f"r1/{e.version}/client/email"]
    assert report.skipped == {}


def test_the_same_event_delivered_again_sends_nothing(
    client_who_texts: InMemoryStore, notifications: NotificationService, channels: Channels
) -> None:
    # Given a reservation's event already told
    notifications.tell_reservation(event(), reservation())

    # When the same event is delivered again (Lambda retries the record)
    report = notifications.tell_reservation(event(), reservation())

    # Then nothing more is sent: one email in all, under the same delivery key
    assert channels.sent == [Told(C, EMAIL, "reservation_made")]
    assert report.sent == ["r1/1/client/email"]
    # And the deletion, a later event, is a message of its own
    notifications.tell_reservation(*deleted_on_the_11th())
    assert channels.sent == [Told(C, EMAIL, "reservation_made"), Told(C, EMAIL, "reservation_deleted")]


def test_a_client_without_a_profile_is_skipped(notifications: NotificationService, channels: Channels) -> None:
    # Given a client with no saved profile (nothing to email)
    # When their reservation is told
    report = notifications.tell_reservation(event(), reservation())

    # Then nothing is sent, and the report says why, by delivery key only
    assert channels.sent == []
    assert report.sent == []
    assert report.skipped == {"r1/1/client/email": "no_contact_details"}


def test_a_failed_send_fails_the_event_and_its_retry_sends_it(
    client_who_texts: InMemoryStore, notifications: NotificationService, channels: Channels
) -> None:
    # Given the email service failing for the client's address
    channels.failing.add("c@example.com")

    # When the reservation is told, then it fails naming the delivery key, and nothing was recorded as sent
    with pytest.raises(DeliveryFailed) as failed:
        notifications.tell_reservation(event(), reservation())
    assert failed.value.keys == ["r1/1/client/email"]
    assert channels.sent == []

    # When the service recovers and the record is retried, then the email goes out, once
    channels.failing.clear()
    notifications.tell_reservation(event(), reservation())
    notifications.tell_reservation(event(), reservation())
    assert channels.sent == [Told(C, EMAIL, "reservation_made")]
