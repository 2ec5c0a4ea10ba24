"""Session reminders on moto: the reminder schedules' target reminds both parties of a confirmed session,
once, and only of the session as it was planned when the schedule was made; and reminds a therapist to
answer a booking, once, only while it is unanswered.

The schedule's Input is `{"session_id", "start"}`, or `{"session_id", "kind": "response"}` for the response
reminder (see `adapters.session_schedules`); sends go through the real SES and SNS senders on moto and the
real delivery ledger in the template's table.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from botocore.client import BaseClient

from functions.session_reminders import app as session_reminders
from tests.integration.test_notifications_delivery import (
    CLIENT_PHONE,
    CLIENT_PROFILE,
    CONTEXT,
    THERAPIST_PHONE,
    book,
    confirmed,
    deliver_on_moto,
    emails_to,
    failing,
    people,
    sent,
    texts_to,
    to_recipient,
    within_policy,
)
from tests.support.clock import FakeClock
from tests.support.domain_data import CLIENT, PROFILE, THERAPIST, WEDNESDAY_10
from therapy_booking.adapters import aws_clients
from therapy_booking.domain.model import ClientProfile, RearrangeReason, Session
from therapy_booking.domain.notifications import DeliveryFailed
from therapy_booking.wiring import container

FUNCTION = "SessionRemindersFunction"
DUE = WEDNESDAY_10 - timedelta(hours=24)  # Tuesday 10:00 UTC


def remind(event: Any) -> dict[str, Any]:
    with within_policy(FUNCTION):
        result: dict[str, Any] = session_reminders.lambda_handler(event, CONTEXT)
    return result


def planned(session: Session) -> dict[str, str]:
    """The Input its schedule was made with."""
    return {"session_id": session.session_id, "start": session.start.isoformat()}


@pytest.fixture
def session(aws: Any, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Session:
    """A session confirmed for Wednesday 10:00, and the clock at its reminder's time, Tuesday 10:00."""
    deliver_on_moto(clock, monkeypatch)
    people()
    confirmed_session = confirmed()
    clock.set(DUE)
    return confirmed_session


def test_both_parties_are_reminded_by_email_and_the_opted_in_by_text(session: Session) -> None:
    # Given a confirmed session whose therapist and client both opted in to texts (and the client's text)
    # When its schedule fires 24 h before
    result = remind(planned(session))

    # Then both got one reminder email, and one text each
    assert result == {"outcome": "reminded", "session_id": session.session_id, "sent": 4, "skipped": 0}
    assert len(emails_to(PROFILE.email)) == 1
    assert len(emails_to(CLIENT_PROFILE.email)) == 1
    assert len(texts_to(THERAPIST_PHONE)) == 1
    assert len(texts_to(CLIENT_PHONE)) == 1


def test_every_aws_call_is_one_the_functions_policy_allows(session: Session) -> None:
    # When the reminder fires, under the check of SessionRemindersFunction's policy in template.yaml
    with within_policy(FUNCTION) as calls:
        session_reminders.lambda_handler(planned(session), CONTEXT)

    # Then it read the session and profiles, recorded its deliveries, sent mail and texts: all allowed
    assert {(service, operation) for service, operation, _ in calls} == {
        ("dynamodb", "GetItem"),  # the session
        ("dynamodb", "BatchGetItem"),  # both parties' contact details, in one call
        ("dynamodb", "PutItem"),
        ("dynamodb", "UpdateItem"),
        ("sesv2", "SendEmail"),
        ("sns", "Publish"),
    }


def test_a_party_who_opted_out_gets_the_email_alone(session: Session) -> None:
    # Given the client has since opted out of texts
    container.clients.put_profile(CLIENT, ClientProfile(**{**CLIENT_PROFILE.__dict__, "sms_opt_in": False}))

    # When the reminder fires
    result = remind(planned(session))

    # Then the client got the email and no text; the therapist both
    assert result["outcome"] == "reminded"
    assert len(emails_to(CLIENT_PROFILE.email)) == 1
    assert texts_to(CLIENT_PHONE) == []
    assert (len(emails_to(PROFILE.email)), len(texts_to(THERAPIST_PHONE))) == (1, 1)


def test_a_second_delivery_sends_nothing_twice(session: Session) -> None:
    # Given the reminder was sent
    remind(planned(session))
    first = sent()

    # When the schedule delivers again, even with the start written in another offset (the same instant)
    again = remind({"session_id": session.session_id, "start": session.start.astimezone().isoformat()})
    paris = remind({"session_id": session.session_id, "start": "2026-12-02T11:00:00+01:00"})

    # Then nothing more was sent
    assert again["outcome"] == paris["outcome"] == "reminded"
    assert sent() == first
    assert (len(first["emails"]), len(first["sms"])) == (2, 2)


def test_a_session_moved_since_is_not_reminded_of_its_old_time(session: Session, clock: FakeClock) -> None:
    # Given the session was moved to Wednesday 14:00, at the client's request, after its reminder was planned
    clock.set(DUE - timedelta(hours=20))
    container.sessions.reschedule(
        THERAPIST, session.session_id, WEDNESDAY_10.replace(hour=14), RearrangeReason.CLIENT_REQUESTED
    )
    clock.set(DUE)

    # When the old schedule fires anyway (its replacement was late)
    result = remind(planned(session))

    # Then nothing is sent
    assert result == {"outcome": "nothing_to_remind", "session_id": session.session_id}
    assert sent() == {"emails": [], "sms": []}


def test_a_cancelled_session_is_not_reminded(session: Session) -> None:
    # Given the client cancelled the session
    container.sessions.cancel(CLIENT, session.session_id, None)
    before = sent()

    # When its schedule fires anyway
    result = remind(planned(session))

    # Then nothing more is sent
    assert result["outcome"] == "nothing_to_remind"
    assert sent() == before


def test_a_session_that_has_started_is_not_reminded(session: Session, clock: FakeClock) -> None:
    # Given the reminder's delivery is so late that the session has begun
    clock.set(session.start + timedelta(minutes=1))

    # When it fires / Then nothing is sent
    assert remind(planned(session))["outcome"] == "nothing_to_remind"
    assert sent() == {"emails": [], "sms": []}


def test_a_failed_send_raises_and_the_retry_sends_only_what_is_missing(session: Session) -> None:
    # Given SES throttles mail to the client
    ses = aws_clients.ses_client()
    # When the reminder fires / Then it raises, so Lambda retries the invocation (then the DLQ)
    with (
        failing(ses, "send_email", "TooManyRequestsException", to_recipient(CLIENT_PROFILE.email)),
        pytest.raises(DeliveryFailed),
    ):
        remind(planned(session))
    # And the other messages went out
    assert (len(emails_to(PROFILE.email)), len(texts_to(THERAPIST_PHONE)), len(texts_to(CLIENT_PHONE))) == (1, 1, 1)
    assert emails_to(CLIENT_PROFILE.email) == []

    # When Lambda retries once SES recovers
    result = remind(planned(session))

    # Then only the client's email is sent now
    assert result["outcome"] == "reminded"
    assert len(emails_to(CLIENT_PROFILE.email)) == 1
    assert (len(emails_to(PROFILE.email)), len(texts_to(THERAPIST_PHONE)), len(texts_to(CLIENT_PHONE))) == (1, 1, 1)


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"session_id": "s1"},
        {"start": "2026-12-02T10:00:00+00:00"},
        {"session_id": "", "start": "2026-12-02T10:00:00+00:00"},
        {"session_id": 7, "start": "2026-12-02T10:00:00+00:00"},
        {"session_id": "s1", "start": "2026-12-02T10:00:00"},  # no offset
        {"session_id": "s1", "start": "next Wednesday"},
        {"session_id": "s1", "start": 1796205600},
        ["s1", "2026-12-02T10:00:00+00:00"],
    ],
)
def test_an_invalid_input_is_dropped_without_a_retry(aws: Any, event: Any) -> None:
    # Given a malformed schedule Input / When the function receives it, with AWS calls forbidden
    forbidden = AssertionError("a malformed input reached AWS")
    with mock.patch.object(BaseClient, "_make_api_call", side_effect=forbidden):
        result = session_reminders.lambda_handler(event, CONTEXT)
    # Then it returns (no error, so no pointless retries) without touching anything
    assert result == {"outcome": "invalid_input"}


# --- the response reminder ----------------------------------------------------------------------


def respond(session: Session) -> dict[str, str]:
    """The Input of the booking's response reminder schedule."""
    return {"session_id": session.session_id, "kind": "response"}


@pytest.fixture
def pending(aws: Any, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Session:
    """A booking made on Monday 09:00, unanswered, and the clock at its response reminder's time (12:00)."""
    deliver_on_moto(clock, monkeypatch)
    people()
    booked = book()
    assert booked.response_reminder_at is not None
    clock.set(booked.response_reminder_at)
    return booked


def test_an_unanswered_booking_reminds_its_therapist_by_email_and_text_once(pending: Session) -> None:
    # Given a booking its therapist (opted in to texts) has not answered
    # When its response reminder fires, under the check of the function's policy in template.yaml
    result = remind(respond(pending))

    # Then the therapist got one email, with the deadline in their time zone, and one text; the client nothing
    assert result == {"outcome": "reminded", "session_id": pending.session_id, "sent": 2, "skipped": 0}
    (email,) = emails_to(PROFILE.email)
    assert "by Monday 30 November 2026 at 13:00 GMT" in " ".join(email["text"].split())
    (text,) = texts_to(THERAPIST_PHONE)
    assert text.startswith("A booking request for Wed 2 Dec, 10:00 GMT is waiting for your answer: ")
    assert CLIENT_PROFILE.name not in text
    assert emails_to(CLIENT_PROFILE.email) == [] and texts_to(CLIENT_PHONE) == []


def test_a_second_firing_of_the_response_reminder_sends_nothing_twice(pending: Session) -> None:
    # Given the response reminder was sent
    remind(respond(pending))
    first = sent()

    # When the schedule delivers again
    again = remind(respond(pending))

    # Then nothing more was sent
    assert again["outcome"] == "reminded"
    assert sent() == first
    assert (len(first["emails"]), len(first["sms"])) == (1, 1)


def test_an_answered_booking_sends_no_response_reminder(pending: Session, clock: FakeClock) -> None:
    # Given the therapist confirmed the booking before its reminder time
    clock.set(pending.created_at + timedelta(minutes=30))
    container.sessions.confirm(THERAPIST, pending.session_id)
    assert pending.response_reminder_at is not None
    clock.set(pending.response_reminder_at)
    before = sent()

    # When its response reminder fires anyway (its deletion came late)
    result = remind(respond(pending))

    # Then nothing more is sent
    assert result == {"outcome": "nothing_to_remind", "session_id": pending.session_id}
    assert sent() == before


def test_a_booking_cancelled_by_the_client_sends_no_response_reminder(pending: Session) -> None:
    # Given the client cancelled the booking before the therapist answered
    container.sessions.cancel(CLIENT, pending.session_id, None)
    before = sent()

    # When its response reminder fires anyway / Then nothing more is sent
    assert remind(respond(pending))["outcome"] == "nothing_to_remind"
    assert sent() == before


@pytest.mark.parametrize(
    "event",
    [
        {"kind": "response"},
        {"session_id": "", "kind": "response"},
        {"session_id": "s1", "kind": "responce"},
        ["s1", "response"],
    ],
)
def test_an_invalid_response_reminder_input_is_dropped_without_a_retry(aws: Any, event: Any) -> None:
    # Given a malformed schedule Input / When the function receives it, with AWS calls forbidden
    forbidden = AssertionError("a malformed input reached AWS")
    with mock.patch.object(BaseClient, "_make_api_call", side_effect=forbidden):
        result = session_reminders.lambda_handler(event, CONTEXT)
    # Then it returns (no error, so no pointless retries) without touching anything
    assert result == {"outcome": "invalid_input"}
