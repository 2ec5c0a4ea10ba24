"""The client's calendar entry, as a calendar app reads it back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Component

from tests.unit.notifications.samples import (
    CLIENT,
    LINK,
    OCCURRED_AT,
    PHONE,
    PRIVATE_TEXTS,
    SESSION_ID,
    SETTINGS,
    START,
    VIDEO,
    notice,
    refunded,
    session,
)
from therapy_booking.domain.events import EventType
from therapy_booking.domain.model import Location, Role, Session, SessionStatus
from therapy_booking.domain.notifications import Attachment, Channel, Notice
from therapy_booking.notifications.calendar_invite import invitation

T, C = Role.THERAPIST, Role.CLIENT


def confirmed(s: Session | None = None) -> Notice:
    return notice(EventType.SESSION_CONFIRMED, "session_confirmed", C, s=s)


def attached(message: Notice) -> Attachment:
    found = invitation(message, SETTINGS)
    assert found is not None
    return found


def read_back(attachment: Attachment) -> tuple[Calendar, Component]:
    calendar = Calendar.from_ical(attachment.content)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def test_a_confirmed_session_is_an_invitation_a_calendar_app_can_read() -> None:
    # Given the client's confirmation of an in-person session
    # When its calendar entry is built
    attachment = attached(confirmed())
    calendar, event = read_back(attachment)

    # Then it is an iTIP request for one confirmed event, in UTC, pointing at the session page
    assert attachment.filename == "invite.ics"
    assert attachment.content_type == "text/calendar"
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    assert event["UID"] == f"{SESSION_ID}@example.com"
    assert event["STATUS"] == "CONFIRMED"
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTSTART").tzinfo is not None and event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == START + timedelta(minutes=50)
    assert event.decoded("DTSTAMP") == OCCURRED_AT
    assert event["SUMMARY"] == "Therapy session with Dr Amara Okafor"
    assert event["LOCATION"] == "12 Harley Street, London W1G 9PG"
    assert event["URL"] == LINK
    assert LINK in str(event["DESCRIPTION"])
    assert str(event["ORGANIZER"]) == "mailto:bookings@example.com"
    assert event["ORGANIZER"].params["CN"] == "Dr Amara Okafor"
    assert str(event["ATTENDEE"]) == f"mailto:{CLIENT.email}"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    # And the start and end are written in UTC ("Z"), whatever zone the session was given in
    assert b"DTSTART:20261201T150000Z" in attachment.content
    assert b"DTEND:20261201T155000Z" in attachment.content


def test_the_entry_is_in_utc_even_for_a_start_given_in_local_time() -> None:
    # Given a session whose start is held with a London offset, on the day the clocks go forward
    start = datetime(2026, 3, 29, 10, 0, tzinfo=ZoneInfo("Europe/London"))  # 09:00 UTC (BST)
    s = session(start=start, end=start + timedelta(minutes=50))

    # When its calendar entry is built
    attachment = attached(confirmed(s))
    _, event = read_back(attachment)

    # Then the instant is the same, written in UTC
    assert b"DTSTART:20260329T090000Z" in attachment.content
    assert event.decoded("DTSTART") == datetime(2026, 3, 29, 9, 0, tzinfo=UTC)


def test_every_version_of_a_session_updates_the_same_entry() -> None:
    # Given a session confirmed at version 2, then moved (version 3)
    first = attached(confirmed(session(version=2)))
    later = attached(notice(EventType.SESSION_RESCHEDULED, "session_updated", C, s=session(version=3)))

    # When a calendar app reads both
    _, before = read_back(first)
    _, after = read_back(later)

    # Then both are the same event, the later one with a higher sequence
    assert before["UID"] == after["UID"]
    assert after.decoded("SEQUENCE") > before.decoded("SEQUENCE")


@pytest.mark.parametrize(
    ("kind", "template"),
    [
        (EventType.SESSION_CANCELLED, "cancelled_by_therapist"),
        (EventType.SESSION_CANCELLED, "cancellation_receipt"),
        (EventType.OFFER_REJECTED, "offer_rejected_receipt"),
        (EventType.LOCATION_CHANGE_REJECTED, "location_change_rejected_receipt"),
        (EventType.OFFER_EXPIRED, "offer_expired"),
        (EventType.LOCATION_CHANGE_EXPIRED, "location_change_expired"),
    ],
)
def test_a_cancelled_session_removes_the_entry(kind: EventType, template: str) -> None:
    # Given a confirmed session's entry, then the session cancelled (a later version)
    invite = attached(confirmed(session(version=2)))
    cancellation = attached(notice(kind, template, C, s=refunded(by=Role.SYSTEM, version=3)))

    # When a calendar app reads the cancellation
    calendar, event = read_back(cancellation)
    _, original = read_back(invite)

    # Then it is an iTIP cancel of the same event, later in sequence
    assert cancellation.filename == "cancel.ics"
    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["UID"] == original["UID"]
    assert event.decoded("SEQUENCE") > original.decoded("SEQUENCE")


@pytest.mark.parametrize(
    ("location", "shown"),
    [(VIDEO, "https://meet.example.com/dr-okafor"), (PHONE, "Phone")],
    ids=["online", "phone"],
)
def test_the_entry_says_where(location: Location, shown: str) -> None:
    # Given an online or a phone session
    # When its calendar entry is built
    _, event = read_back(attached(confirmed(session(location=location))))

    # Then its location is the joining link, or "Phone"
    assert event["LOCATION"] == shown


def test_no_entry_for_the_therapist_a_text_or_an_unsettled_session() -> None:
    # Given messages that carry no calendar entry
    to_therapist = notice(EventType.OFFER_ACCEPTED, "offer_accepted", T)
    by_text = notice(EventType.SESSION_CANCELLED, "cancelled_by_therapist", C, channel=Channel.SMS)
    reverted_to_pending = notice(
        EventType.OFFER_EXPIRED, "offer_expired", C, s=session(SessionStatus.PENDING), data={"outcome": "reverted"}
    )

    # When their calendar entries are asked for, then there are none
    assert invitation(to_therapist, SETTINGS) is None
    assert invitation(by_text, SETTINGS) is None
    assert invitation(reverted_to_pending, SETTINGS) is None


def test_the_entry_carries_nothing_private() -> None:
    # Given a session with a note, a history note and a free-text reason
    s = replace(refunded(by=Role.CLIENT), status=SessionStatus.CANCELLED)

    # When the client's cancellation entry is built
    content = attached(notice(EventType.SESSION_CANCELLED, "cancellation_receipt", C, s=s)).content.decode()

    # Then none of them is in it (iCalendar folds long lines: unfold before looking)
    unfolded = content.replace("\r\n ", "")
    assert [text for text in PRIVATE_TEXTS if text in unfolded] == []
