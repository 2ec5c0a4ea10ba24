"""Emails and texts as the people who receive them would read them."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.notifications.samples import (
    CLIENT,
    LINK,
    PEOPLE,
    PHONE,
    PRIVATE_TEXTS,
    ROOM,
    SESSION_TYPES,
    SETTINGS,
    THERAPIST,
    VIDEO,
    every_rule,
    notice,
    offer,
    refunded,
    session,
)
from therapy_booking.domain.events import EventType
from therapy_booking.domain.model import Location, LocationKind, Money, Role, SessionStatus
from therapy_booking.domain.notifications import REMINDER, Channel, Notice, Rule
from therapy_booking.notifications.rendering import TemplateRenderer

T, C = Role.THERAPIST, Role.CLIENT
DASH = "\u2013"  # the en dash of time ranges: 10:00-10:50 as the messages print it
renderer = TemplateRenderer(SETTINGS)


def visible_text(markup: str) -> str:
    """What a mail client shows of an HTML body: tags dropped, entities decoded, spaces collapsed."""
    inline = re.sub(r"</?(?:a|strong|em|b)\b[^>]*>", "", markup)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def unlabelled(text: str) -> str:
    """Text without the colons that end labels ("Date:"), which HTML puts in table headings instead."""
    return re.sub(r":(?=\s|$)", "", text).strip()


def id_of(value: object) -> str:
    if isinstance(value, Rule):
        return f"{value.template}-{value.recipient}" + (f"-by-{value.cancelled_by}" if value.cancelled_by else "")
    return str(value)


@pytest.mark.parametrize(("kind", "rule", "channel"), every_rule(), ids=id_of)
def test_every_message_renders_for_its_recipient_with_nothing_private(kind: str, rule: Rule, channel: Channel) -> None:
    # Given the session as the occasion leaves it, with a note, a history note and a free-text reason
    message = notice(kind, rule.template, rule.recipient, channel=channel)
    recipient = message.recipient

    # When the message is rendered
    if channel is Channel.EMAIL:
        email = renderer.email(message)
        parts = [email.subject, email.text, email.html]

        # Then it goes to the recipient, with a one-line subject, and both bodies link to the session page
        assert email.to == recipient.email
        assert email.subject and "\n" not in email.subject and len(email.subject) <= 90
        assert LINK in email.text
        assert f'href="{LINK}"' in email.html
        assert email.html.startswith("<!DOCTYPE html>")
        # And the HTML says everything the text says
        shown = unlabelled(visible_text(email.html))
        said = [unlabelled(line.removeprefix("- ")) for line in email.text.splitlines() if line and LINK not in line]
        assert [line for line in said if line not in shown] == []
    else:
        sms = renderer.sms(message)
        parts = [sms.text]

        # Then the text is short, plain, names nobody and says nothing about the kind of therapy
        assert sms.to == recipient.sms_number
        assert len(sms.text) <= 160, sms.text
        assert sms.text.isascii(), "non-GSM characters would halve the length of an SMS"
        assert LINK in sms.text
        assert not [name for name in PEOPLE if name in sms.text]
        assert not [word for word in (*SESSION_TYPES, "couple", "Couple") if word in sms.text]

    # And the session's time is shown as the recipient's clock reads it
    in_london = recipient.role is Role.THERAPIST
    if channel is Channel.EMAIL:
        local = f"15:00{DASH}15:50 GMT" if in_london else f"10:00{DASH}10:50 EST"
        assert local in email.text and local in visible_text(email.html)
    else:
        local = "Tue 1 Dec, 15:00 GMT" if in_london else "Tue 1 Dec, 10:00 EST"
        assert local in sms.text or (kind == EventType.ALTERNATIVES_OFFERED and "Tue 1 Dec session" in sms.text)
    # And no note, history note or free-text reason appears anywhere
    for part in parts:
        assert not [text for text in PRIVATE_TEXTS if text in part or html.escape(text) in part]


def test_the_same_session_shows_each_recipient_their_own_clock() -> None:
    # Given a session at 15:00 UTC on 1 December, a therapist in London and a client in New York
    # When each gets their reminder
    to_therapist = renderer.email(notice(REMINDER, "session_reminder", T))
    to_client = renderer.email(notice(REMINDER, "session_reminder", C))

    # Then the therapist reads London time and the client New York time
    assert f"15:00{DASH}15:50 GMT" in to_therapist.text
    assert f"15:00{DASH}15:50 GMT" in visible_text(to_therapist.html)
    assert f"10:00{DASH}10:50 EST" in to_client.text
    assert f"10:00{DASH}10:50 EST" in visible_text(to_client.html)
    assert "Tuesday 1 December 2026" in to_client.text
    assert to_therapist.subject == "Reminder: your session on Tuesday 1 December at 15:00"
    assert to_client.subject == "Reminder: your session on Tuesday 1 December at 10:00"


@pytest.mark.parametrize(
    ("start", "zone", "date", "times", "short"),
    [
        (
            "2026-03-28T09:00",
            "Europe/London",
            "Saturday 28 March 2026",
            f"09:00{DASH}09:50 GMT",
            "Sat 28 Mar, 09:00 GMT",
        ),
        ("2026-03-29T09:00", "Europe/London", "Sunday 29 March 2026", f"10:00{DASH}10:50 BST", "Sun 29 Mar, 10:00 BST"),
        (
            "2026-03-29T00:30",
            "Europe/London",
            "Sunday 29 March 2026",
            f"00:30 GMT{DASH}02:20 BST",
            "Sun 29 Mar, 00:30 GMT",
        ),
        (
            "2026-10-24T09:00",
            "Europe/London",
            "Saturday 24 October 2026",
            f"10:00{DASH}10:50 BST",
            "Sat 24 Oct, 10:00 BST",
        ),
        (
            "2026-10-25T09:00",
            "Europe/London",
            "Sunday 25 October 2026",
            f"09:00{DASH}09:50 GMT",
            "Sun 25 Oct, 09:00 GMT",
        ),
        (
            "2026-03-29T14:00",
            "America/New_York",
            "Sunday 29 March 2026",
            f"10:00{DASH}10:50 EDT",
            "Sun 29 Mar, 10:00 EDT",
        ),
        (
            "2026-03-01T03:00",
            "America/New_York",
            "Saturday 28 February 2026",
            f"22:00{DASH}22:50 EST",
            "Sat 28 Feb, 22:00 EST",
        ),
        ("2026-06-01T09:00", "Asia/Kolkata", "Monday 1 June 2026", f"14:30{DASH}15:20 IST", "Mon 1 Jun, 14:30 IST"),
        (
            "2026-06-01T09:00",
            "America/Sao_Paulo",
            "Monday 1 June 2026",
            f"06:00{DASH}06:50 UTC-03",
            "Mon 1 Jun, 06:00 UTC-03",
        ),
    ],
)
def test_times_around_clock_changes_are_the_local_ones(
    start: str, zone: str, date: str, times: str, short: str
) -> None:
    # Given a confirmed session at a UTC instant near a clock change, and a client in `zone`
    begins = datetime.fromisoformat(start).replace(tzinfo=UTC)
    s = session(start=begins, end=begins + timedelta(minutes=50))
    client = replace(CLIENT, timezone=zone)

    # When the client is told it is confirmed, and reminded by text
    email = renderer.email(notice(EventType.SESSION_CONFIRMED, "session_confirmed", C, s=s, client=client))
    sms = renderer.sms(notice(REMINDER, "session_reminder", C, s=s, client=client, channel=Channel.SMS))

    # Then both show the local date and time with the zone in force then
    assert f"Date: {date}" in email.text
    assert f"Time: {times}" in email.text
    assert times in visible_text(email.html)
    assert short in sms.text


def test_a_client_with_an_unknown_time_zone_sees_utc_labelled_as_such() -> None:
    # Given a client profile holding a zone name that does not exist
    client = replace(CLIENT, timezone="Mars/Olympus_Mons")

    # When they are reminded
    email = renderer.email(notice(REMINDER, "session_reminder", C, client=client))

    # Then the time is given in UTC, and says so
    assert f"15:00{DASH}15:50 UTC" in email.text


@pytest.mark.parametrize(
    ("location", "shown", "linked"),
    [
        (ROOM, "In person at 12 Harley Street, London W1G 9PG", None),
        (VIDEO, "Online, joining link: https://meet.example.com/dr-okafor", "https://meet.example.com/dr-okafor"),
        (PHONE, "By phone", None),
    ],
    ids=["in_person", "online", "phone"],
)
def test_the_confirmation_says_where_the_session_is(location: Location, shown: str, linked: str | None) -> None:
    # Given a session confirmed at a location of each kind
    s = session(location=location)

    # When the client gets the confirmation
    email = renderer.email(notice(EventType.SESSION_CONFIRMED, "session_confirmed", C, s=s))

    # Then the address, the joining link or "by phone" is in both bodies, a joining link clickable
    assert f"Where: {shown}" in email.text
    assert shown in visible_text(email.html)
    if linked:
        assert f'<a href="{linked}"' in email.html


def test_a_joining_link_that_is_not_a_web_address_is_not_made_clickable() -> None:
    # Given an online location whose link is not http(s)
    s = session(location=Location("video", LocationKind.ONLINE, link="javascript:alert(1)"))

    # When the client gets the confirmation
    email = renderer.email(notice(EventType.SESSION_CONFIRMED, "session_confirmed", C, s=s))

    # Then it is shown as text only
    assert "javascript:alert(1)" in visible_text(email.html)
    assert 'href="javascript' not in email.html


def test_the_confirmation_gives_the_therapists_contact_details_and_the_session() -> None:
    # Given a couple's session confirmed by the therapist
    message = notice(EventType.SESSION_CONFIRMED, "session_confirmed", C)

    # When the client's confirmation is rendered
    email = renderer.email(message)
    shown = visible_text(email.html)

    # Then it names the therapist with email and phone, the session type and the attendees, in both bodies
    assert email.subject == "Your session on Tuesday 1 December at 10:00 is confirmed"
    for fact in (
        "Dr Amara Okafor",
        "amara.okafor@example.com",
        "+447700900123",
        "Couple session",
        "Jordan Whitfield and Casey Whitfield",
    ):
        assert fact in email.text
        assert fact in shown
    assert 'href="mailto:amara.okafor@example.com"' in email.html
    # And it carries the calendar invitation
    assert [a.filename for a in email.attachments] == ["invite.ics"]
    assert "calendar invitation" in email.text


def test_a_therapist_without_a_phone_number_is_shown_without_one() -> None:
    # Given a therapist who gave no phone number
    message = notice(EventType.SESSION_CONFIRMED, "session_confirmed", C, therapist=replace(THERAPIST, phone=None))

    # When the client's confirmation is rendered
    email = renderer.email(message)

    # Then there is no phone line
    assert "Phone:" not in email.text
    assert "Phone:" not in email.html


@pytest.mark.parametrize(
    ("kind", "opening"),
    [
        (EventType.SESSION_CONFIRMED, "Dr Amara Okafor has confirmed your session"),
        (EventType.OFFER_ACCEPTED, "Thank you for choosing a new time"),
        (EventType.LOCATION_CHANGE_ACCEPTED, "Thank you for accepting the new location"),
    ],
)
def test_the_confirmation_opens_with_what_led_to_it(kind: EventType, opening: str) -> None:
    # Given a session confirmed by the therapist, or by the client's answer to a change
    # When the client's confirmation is rendered
    email = renderer.email(notice(kind, "session_confirmed", C))

    # Then it says why it is confirmed
    assert opening in email.text
    assert opening in visible_text(email.html)


def test_the_offer_lists_every_alternative_and_the_deadline_in_the_clients_zone() -> None:
    # Given three alternative times offered, to be answered by 09:00 UTC on 1 December
    message = notice(EventType.ALTERNATIVES_OFFERED, "alternatives_offered", C)

    # When the client gets the email and the text
    email = renderer.email(message)
    sms = renderer.sms(replace(message, channel=Channel.SMS))
    shown = visible_text(email.html)

    # Then each alternative is listed in New York time, with the deadline
    for alternative in (
        f"Wednesday 2 December 2026, 10:00{DASH}10:50 EST",
        f"Thursday 3 December 2026, 12:00{DASH}12:50 EST",
        f"Friday 4 December 2026, 06:00{DASH}06:50 EST",
        "by Tuesday 1 December 2026 at 04:00 EST",
    ):
        assert alternative in email.text
        assert alternative in shown
    assert email.text.count("\n- ") == 3
    assert email.html.count("<li>") == 3
    assert sms.text == f"New times offered for your Tue 1 Dec session. Choose by Tue 1 Dec, 04:00 EST: {LINK}"


def test_the_location_change_request_shows_both_locations_and_the_deadline() -> None:
    # Given the therapist asks to move an in-person session online
    message = notice(EventType.LOCATION_CHANGE_REQUESTED, "location_change_requested", C)

    # When the client gets the request
    email = renderer.email(message)

    # Then the new and current locations and the deadline are shown in the client's zone
    assert "New location: Online, joining link: https://meet.example.com/dr-okafor" in email.text
    assert "Current location: In person at 12 Harley Street, London W1G 9PG" in email.text
    assert "by Tuesday 1 December 2026 at 04:00 EST" in email.text
    assert "New location: Online, joining link: https://meet.example.com/dr-okafor" in visible_text(email.html)
    assert email.subject == "Please confirm a new location for your session on Tuesday 1 December"


@pytest.mark.parametrize(
    ("kind", "template"),
    [
        (EventType.ALTERNATIVES_OFFERED, "alternatives_offered"),
        (EventType.LOCATION_CHANGE_REQUESTED, "location_change_requested"),
    ],
)
@pytest.mark.parametrize(
    ("policy", "outcome"),
    [
        (
            "cancel_and_refund",
            "If you have not answered by then, the session is cancelled and you are refunded in full.",
        ),
        ("revert_to_original", "If you have not answered by then, the session stays as it was booked."),
    ],
)
def test_the_client_is_told_what_happens_if_they_do_not_answer(
    kind: EventType, template: str, policy: str, outcome: str
) -> None:
    # Given a change made under the platform's expiry policy, which its event records
    message = notice(kind, template, C, data={"change_id": "o1", "if_unanswered": policy})

    # When the client gets the email
    email = renderer.email(message)

    # Then it says what the deadline passing will do
    assert outcome in email.text
    assert outcome in visible_text(email.html)


def test_names_and_addresses_are_escaped_in_html_and_kept_as_written_in_text() -> None:
    # Given a therapist, a client and an address with markup in them
    therapist = replace(THERAPIST, name="Dr <script>alert('x')</script> O'Neil & Co")
    client = replace(CLIENT, name="<b>Sam</b>")
    s = session(location=Location("room", LocationKind.IN_PERSON, address="<img src=x onerror=alert(1)>"))

    # When the confirmation and the therapist's booking request are rendered
    confirmation = renderer.email(notice(EventType.SESSION_CONFIRMED, "session_confirmed", C, s=s, therapist=therapist))
    request = renderer.email(notice(EventType.SESSION_BOOKED, "new_booking", T, s=s, client=client))

    # Then the HTML shows the characters, not the markup, and the text shows them as written
    assert "<script>" not in confirmation.html
    assert "<img" not in confirmation.html
    assert "Dr &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; O&#39;Neil &amp; Co" in confirmation.html
    assert "Dr <script>alert('x')</script> O'Neil & Co" in confirmation.text
    assert "&lt;b&gt;Sam&lt;/b&gt;" in request.html
    assert "<b>Sam</b> has booked a session with you" in request.text


def test_the_therapist_is_asked_to_review_a_new_booking_by_email_and_text() -> None:
    # Given a client's new booking
    message = notice(EventType.SESSION_BOOKED, "new_booking", T)

    # When the therapist is told
    email = renderer.email(message)
    sms = renderer.sms(replace(message, channel=Channel.SMS))

    # Then the email names the client and the text does not
    assert email.subject == "New booking request for Tuesday 1 December at 15:00"
    assert "Jordan Whitfield has booked a session with you" in email.text
    assert sms.text == f"New booking request for Tue 1 Dec, 15:00 GMT. Please review it: {LINK}"
    assert sms.to == "+447700900123"
    assert email.attachments == ()


def test_a_late_cancellation_tells_the_therapist_the_payout_and_the_client_no_refund() -> None:
    # Given a client cancels a confirmed session too late for a refund
    # When both are told
    to_therapist = renderer.email(notice(EventType.SESSION_CANCELLED, "cancelled_by_client", T))
    to_client = renderer.email(notice(EventType.SESSION_CANCELLED, "cancellation_receipt", C))

    # Then the therapist learns the payout and who cancelled, the client that nothing is refunded
    assert "you will be paid £54.00" in to_therapist.text
    assert "you will be paid £54.00" in visible_text(to_therapist.html)
    assert "Cancelled by: the client" in to_therapist.text
    assert "it is not refunded" in to_client.text
    assert "The attached calendar update removes the session from your calendar." in to_client.text
    assert "refund of" not in to_client.text
    assert [a.filename for a in to_client.attachments] == ["cancel.ics"]


def test_an_early_cancellation_tells_the_client_the_refund() -> None:
    # Given a client cancels in good time, in a euro-priced session
    s = refunded(by=Role.CLIENT, price=Money(6000, "EUR"), refund=Money(6000, "EUR"))
    data: dict[str, str | int | bool | None] = {"cancelled_by": "client"}

    # When both are told
    to_client = renderer.email(notice(EventType.SESSION_CANCELLED, "cancellation_receipt", C, s=s, data=data))
    to_therapist = renderer.email(notice(EventType.SESSION_CANCELLED, "cancelled_by_client", T, s=s, data=data))

    # Then the client learns the refund, the therapist is not promised a payout
    assert "You will receive a refund of 60.00 EUR." in to_client.text
    assert "You will receive a refund of 60.00 EUR." in visible_text(to_client.html)
    assert "paid" not in to_therapist.text


def test_a_cancellation_by_the_therapist_tells_the_client_the_refund_by_email_and_text() -> None:
    # Given the therapist cancels a confirmed session
    message = notice(EventType.SESSION_CANCELLED, "cancelled_by_therapist", C)

    # When the client is told
    email = renderer.email(message)
    sms = renderer.sms(replace(message, channel=Channel.SMS))

    # Then the refund and who cancelled are in the email, and the text says it is refunded
    assert "You will receive a full refund of £60.00." in email.text
    assert "Cancelled by: your therapist" in email.text
    assert sms.text == f"Your session on Tue 1 Dec, 10:00 EST was cancelled by your therapist. Details: {LINK}"


def test_a_free_consultation_declined_says_nothing_about_money() -> None:
    # Given a free initial consultation declined (nothing was charged)
    free = Money(0, "GBP")
    s = refunded(SessionStatus.DECLINED, price=free, refund=free, initial_consultation=True)

    # When the client is told
    email = renderer.email(notice(EventType.SESSION_DECLINED, "session_declined", C, s=s))

    # Then no refund is mentioned
    assert "refund" not in email.text
    assert email.subject == "Your booking request for Tuesday 1 December was declined"


@pytest.mark.parametrize(
    ("kind", "template", "reverted"),
    [
        (EventType.OFFER_EXPIRED, "offer_expired", "The session has returned to its original time and is confirmed."),
        (
            EventType.LOCATION_CHANGE_EXPIRED,
            "location_change_expired",
            "The session has returned to its original location and is confirmed.",
        ),
    ],
)
def test_an_unanswered_change_tells_both_what_became_of_the_session(
    kind: EventType, template: str, reverted: str
) -> None:
    # Given the client let an offer or a location change expire: the session is cancelled and refunded
    # When both are told
    to_therapist = renderer.email(notice(kind, template, T))
    to_client = renderer.email(notice(kind, template, C))

    # Then the therapist reads about the client, the client about the therapist, and both that it is cancelled
    assert "Jordan Whitfield did not" in to_therapist.text
    assert "you proposed" in to_therapist.text or "you offered" in to_therapist.text
    assert "The session has been cancelled and the client refunded in full." in to_therapist.text
    assert "Dr Amara Okafor" in to_client.text
    assert "Your session has been cancelled and refunded: you will receive £60.00." in to_client.text
    assert [a.filename for a in to_client.attachments] == ["cancel.ics"]
    assert to_therapist.attachments == ()

    # Given instead the platform reverts expired changes: the session is confirmed again
    s = session(SessionStatus.CONFIRMED)
    data: dict[str, str | int | bool | None] = {"outcome": "reverted"}

    # When both are told
    to_therapist = renderer.email(notice(kind, template, T, s=s, data=data))
    to_client = renderer.email(notice(kind, template, C, s=s, data=data))

    # Then both read that it is back as it was, and the client's calendar entry is sent again
    assert reverted in to_therapist.text
    assert reverted in to_client.text
    assert reverted in visible_text(to_client.html)
    assert [a.filename for a in to_client.attachments] == ["invite.ics"]


def test_a_reverted_pending_session_says_who_must_confirm_it() -> None:
    # Given an offer on a pending booking expired and the session went back to pending
    s = session(SessionStatus.PENDING)
    data: dict[str, str | int | bool | None] = {"outcome": "reverted"}

    # When both are told
    to_therapist = renderer.email(notice(EventType.OFFER_EXPIRED, "offer_expired", T, s=s, data=data))
    to_client = renderer.email(notice(EventType.OFFER_EXPIRED, "offer_expired", C, s=s, data=data))

    # Then each reads whose move it is, and no calendar entry is sent for an unconfirmed session
    assert "is waiting for you to confirm it." in to_therapist.text
    assert "is waiting for your therapist to confirm it." in to_client.text
    assert to_client.attachments == ()


def test_a_moved_session_shows_the_new_and_the_previous_time() -> None:
    # Given the therapist moved the session from 30 November to 1 December on the client's request
    message = notice(EventType.SESSION_RESCHEDULED, "session_updated", C)

    # When the client is told
    email = renderer.email(message)

    # Then both times are shown in the client's zone
    assert email.subject == "Your session has moved to Tuesday 1 December at 10:00"
    assert (
        f"it now takes place on Tuesday 1 December 2026, 10:00{DASH}10:50 EST, "
        f"instead of Monday 30 November 2026, 10:00{DASH}10:50 EST" in email.text
    )
    assert f"instead of Monday 30 November 2026, 10:00{DASH}10:50 EST" in visible_text(email.html)


def test_a_relocated_session_shows_the_new_location() -> None:
    # Given the therapist moved the session online on the client's request
    message = notice(EventType.LOCATION_CHANGED, "session_updated", C)

    # When the client is told
    email = renderer.email(message)

    # Then the new location is shown and the time is not said to have moved
    assert email.subject == "New location for your session on Tuesday 1 December"
    assert "Where: Online, joining link: https://meet.example.com/dr-okafor" in email.text
    assert "instead of" not in email.text


def test_the_therapist_learns_which_time_the_client_chose() -> None:
    # Given the client accepted an alternative for a session first booked a day earlier
    # When the therapist is told
    email = renderer.email(notice(EventType.OFFER_ACCEPTED, "offer_accepted", T))

    # Then the chosen and the previous time are shown in the therapist's zone
    assert email.subject == "New time accepted: session on Tuesday 1 December at 15:00 confirmed"
    assert "Jordan Whitfield has chosen one of the times you offered instead of Monday 30 November 2026" in email.text


@pytest.mark.parametrize(("recipient", "other"), [(T, "with Jordan Whitfield"), (C, "with Dr Amara Okafor")])
def test_a_change_by_the_team_gives_the_new_details_and_status(recipient: Role, other: str) -> None:
    # Given the team moved a session online and reinstated it as confirmed
    s = session(location=VIDEO)

    # When each party is told
    email = renderer.email(notice(EventType.ADMIN_REARRANGED, "admin_changed", recipient, s=s))

    # Then it says the team updated it, with the other party, where it is now and its status
    assert f"Our team updated your session {other}." in email.text
    assert "Status: confirmed" in email.text
    assert "Where: Online, joining link: https://meet.example.com/dr-okafor" in email.text
    assert "Status: confirmed" in visible_text(email.html)


def test_a_message_still_goes_out_without_the_clients_profile() -> None:
    # Given a booking whose client has no profile yet
    message = notice(EventType.SESSION_BOOKED, "new_booking", T)
    message = replace(message, client=None)

    # When the therapist is told
    email = renderer.email(message)

    # Then the client is not named
    assert "A client has booked a session with you" in email.text


def test_an_sms_needs_a_number_and_an_sms_wording() -> None:
    # Given a client who opted out of texts, and a message that has no text version
    opted_out = notice(REMINDER, "session_reminder", C, client=replace(CLIENT, sms_opt_in=False), channel=Channel.SMS)
    email_only: Notice = notice(EventType.SESSION_CONFIRMED, "session_confirmed", C, channel=Channel.SMS)

    # When a text is asked for, then it is refused
    with pytest.raises(ValueError, match="no number"):
        renderer.sms(opted_out)
    with pytest.raises(ValueError, match="no SMS wording"):
        renderer.sms(email_only)


@pytest.mark.parametrize(
    ("kind", "rule"), [(kind, rule) for kind, rule, channel in every_rule() if channel is Channel.SMS], ids=id_of
)
def test_every_text_fits_one_sms_with_the_longest_dates_and_zone_labels(kind: str, rule: Rule) -> None:
    # Given a Wednesday in September (the longest short date), both parties on Lord Howe Island (UTC+10:30)
    starts = datetime(2026, 9, 29, 14, 0, tzinfo=UTC)  # Wednesday 30 September there
    typical = notice(kind, rule.template, rule.recipient).occasion.session
    s = replace(typical, start=starts, end=starts + timedelta(minutes=80))
    if s.offer:
        s = replace(s, offer=offer(expires_at=datetime(2026, 9, 29, 14, 0, tzinfo=UTC)))
    therapist = replace(THERAPIST, timezone="Australia/Lord_Howe")
    client = replace(CLIENT, timezone="Australia/Lord_Howe")

    # When the text is rendered
    message = notice(kind, rule.template, rule.recipient, s=s, channel=Channel.SMS, therapist=therapist, client=client)
    sms = renderer.sms(message)

    # Then it still fits in one message
    assert "Wed 30 Sep" in sms.text and "UTC+10:30" in sms.text
    assert len(sms.text) <= 160, sms.text


def test_the_reminder_text_is_the_same_for_both_parties_apart_from_the_clock() -> None:
    # Given a confirmed session tomorrow
    # When both parties are texted
    to_therapist = renderer.sms(notice(REMINDER, "session_reminder", T, channel=Channel.SMS))
    to_client = renderer.sms(notice(REMINDER, "session_reminder", C, channel=Channel.SMS))

    # Then each sees their own time
    assert to_therapist.text == f"Reminder: your session is on Tue 1 Dec, 15:00 GMT. Details: {LINK}"
    assert to_client.text == f"Reminder: your session is on Tue 1 Dec, 10:00 EST. Details: {LINK}"
    assert to_client.to == "+12125550147"


def test_rendering_twice_gives_the_same_message() -> None:
    # Given a notice
    message = notice(EventType.SESSION_CONFIRMED, "session_confirmed", C)

    # When it is rendered twice (a retried delivery)
    first, second = renderer.email(message), TemplateRenderer(SETTINGS).email(message)

    # Then the same email goes out
    assert first == second


def test_a_cancellation_by_the_team_says_so_and_gives_the_client_the_refund() -> None:
    # Given the team cancelled a session, refunding the client
    s = refunded(by=Role.ADMIN)

    # When each party is told
    to_client = renderer.email(notice(EventType.ADMIN_REARRANGED, "admin_changed", C, s=s))
    to_therapist = renderer.email(notice(EventType.ADMIN_REARRANGED, "admin_changed", T, s=s))

    # Then both read that the team cancelled it, the client also the refund and gets the calendar cancellation
    for email in (to_client, to_therapist):
        assert "Status: cancelled" in email.text
        assert "Cancelled by: our team" in email.text
        assert "Cancelled by our team" in visible_text(email.html)
    assert "You will receive a refund of £60.00." in to_client.text
    assert "refund" not in to_therapist.text
    assert [a.filename for a in to_client.attachments] == ["cancel.ics"]
