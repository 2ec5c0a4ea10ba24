"""The response reminder's schedule, event by event: `domain.schedules.response_reminder_step` driven by real
transitions on in-memory adapters (the event and the session as it left it, as the outbox item carries them)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.support.clock import FakeClock
from tests.support.domain_data import ADMIN, CLIENT, NOW, THERAPIST, WEDNESDAY_10, request
from tests.support.fakes import InMemoryStore, InMemoryTherapists, RecordingSessions
from therapy_booking.domain.changes import SessionChange
from therapy_booking.domain.events import EventType
from therapy_booking.domain.model import RearrangeReason, SessionStatus
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.schedules import (
    LATE_LEAD,
    ResponseReminderAt,
    ResponseReminderGone,
    response_reminder_step,
)
from therapy_booking.domain.services import SessionService

WED_14 = WEDNESDAY_10.replace(hour=14)


@pytest.fixture
def sessions(store: InMemoryStore) -> RecordingSessions:
    return RecordingSessions(store)


@pytest.fixture
def service(sessions: RecordingSessions, store: InMemoryStore, clock: FakeClock) -> SessionService:
    counter = iter(range(1, 1000))
    return SessionService(
        sessions, InMemoryTherapists(store), clock, PlatformPolicy(), ids=lambda: f"id{next(counter)}"
    )


def last(sessions: RecordingSessions, event_type: EventType) -> SessionChange:
    change = sessions.committed[-1]
    assert change.event.event_type is event_type
    return change


def step(change: SessionChange, clock: FakeClock) -> ResponseReminderAt | ResponseReminderGone | None:
    return response_reminder_step(change.event, change.session, clock.now())


def test_a_booking_gets_a_response_reminder_at_its_reminder_time(service, sessions, clock) -> None:
    # Given a client books on Monday 09:00 (the therapist's business hours: the reminder 3 business hours later)
    booked = service.book(CLIENT, request())

    # When the booking's event is applied
    planned = step(last(sessions, EventType.SESSION_BOOKED), clock)

    # Then the booking has one response reminder, at the time the domain set on it
    assert booked.response_reminder_at == NOW + timedelta(hours=3)
    assert planned == ResponseReminderAt(booked.session_id, NOW + timedelta(hours=3))


def test_a_booking_whose_record_comes_after_its_reminder_time_is_reminded_a_minute_ahead(
    service, sessions, clock
) -> None:
    # Given a booking whose record only arrives after its reminder time (an outage)
    service.book(CLIENT, request())
    change = last(sessions, EventType.SESSION_BOOKED)
    clock.set(NOW + timedelta(hours=5))

    # When it is applied / Then its reminder is `LATE_LEAD` ahead, not in the past
    assert step(change, clock) == ResponseReminderAt(change.session.session_id, clock.now() + LATE_LEAD)


def test_a_booking_without_a_reminder_time_gets_none(service, sessions, clock) -> None:
    # Given a booking written without response deadlines (older code)
    service.book(CLIENT, request())
    change = last(sessions, EventType.SESSION_BOOKED)
    session = replace(change.session, response_due_at=None, response_reminder_at=None)

    # When it is applied / Then nothing is scheduled
    assert response_reminder_step(change.event, session, clock.now()) is None


@pytest.mark.parametrize(
    ("answer", "event_type"),
    [
        (lambda s, sid: s.confirm(THERAPIST, sid), EventType.SESSION_CONFIRMED),
        (lambda s, sid: s.decline(THERAPIST, sid, None), EventType.SESSION_DECLINED),
        (
            lambda s, sid: s.reschedule(THERAPIST, sid, WED_14, RearrangeReason.CLIENT_REQUESTED),
            EventType.SESSION_RESCHEDULED,
        ),
        (lambda s, sid: s.offer_alternatives(THERAPIST, sid, [WED_14]), EventType.ALTERNATIVES_OFFERED),
    ],
    ids=["confirm", "decline", "reschedule", "offer"],
)
def test_the_therapists_first_answer_deletes_the_response_reminder(
    service, sessions, clock, answer, event_type
) -> None:
    # Given a booking waiting for its therapist
    booked = service.book(CLIENT, request())
    clock.advance(timedelta(minutes=30))

    # When the therapist first answers it
    answer(service, booked.session_id)

    # Then its response reminder goes
    assert step(last(sessions, event_type), clock) == ResponseReminderGone(booked.session_id)


def test_a_client_cancelling_a_pending_booking_deletes_the_response_reminder(service, sessions, clock) -> None:
    # Given a booking waiting for its therapist
    booked = service.book(CLIENT, request())
    clock.advance(timedelta(minutes=30))

    # When the client cancels it before the therapist answered
    service.cancel(CLIENT, booked.session_id, None)

    # Then its response reminder goes
    change = last(sessions, EventType.SESSION_CANCELLED)
    assert change.session.answered_at is None
    assert step(change, clock) == ResponseReminderGone(booked.session_id)


def test_the_team_settling_a_pending_booking_deletes_the_response_reminder(service, sessions, clock) -> None:
    # Given a booking waiting for its therapist
    booked = service.book(CLIENT, request())
    clock.advance(timedelta(minutes=30))

    # When the team confirms it (the therapist never answered)
    service.admin_rearrange(
        ADMIN,
        booked.session_id,
        start=None,
        location_id=None,
        status=SessionStatus.CONFIRMED,
        reason=RearrangeReason.ERROR_CORRECTION,
        note="confirmed on the therapist's behalf",
    )

    # Then its response reminder goes
    assert step(last(sessions, EventType.ADMIN_REARRANGED), clock) == ResponseReminderGone(booked.session_id)


def test_later_events_of_an_answered_booking_make_no_call(service, sessions, clock) -> None:
    # Given a booking the therapist answered by offering another time, which the client accepted
    booked = service.book(CLIENT, request())
    clock.advance(timedelta(minutes=30))
    offered = service.offer_alternatives(THERAPIST, booked.session_id, [WED_14])
    assert offered.offer is not None
    clock.advance(timedelta(minutes=30))
    service.answer_offer(CLIENT, booked.session_id, offered.offer.alternatives[0].alternative_id)
    accepted = last(sessions, EventType.OFFER_ACCEPTED)
    clock.advance(timedelta(minutes=30))

    # When the accepted session is later moved and then cancelled by the therapist
    service.reschedule(THERAPIST, booked.session_id, WEDNESDAY_10, RearrangeReason.CLIENT_REQUESTED)
    moved = last(sessions, EventType.SESSION_RESCHEDULED)
    clock.advance(timedelta(minutes=30))
    service.cancel(THERAPIST, booked.session_id, None)
    cancelled = last(sessions, EventType.SESSION_CANCELLED)

    # Then none of those events touches the response reminder
    assert [step(change, clock) for change in (accepted, moved, cancelled)] == [None, None, None]


def test_a_later_confirmation_of_an_already_answered_booking_makes_no_call(service, sessions, clock) -> None:
    # Given a booking answered at 09:10 (say by an offer that expired back to the pending booking), which the
    # therapist confirms at 09:30
    booked = service.book(CLIENT, request())
    clock.advance(timedelta(minutes=30))
    service.confirm(THERAPIST, booked.session_id)
    change = last(sessions, EventType.SESSION_CONFIRMED)
    answered_before = replace(change.session, answered_at=NOW + timedelta(minutes=10))

    # When the confirmation is applied / Then it makes no call: the first answer came before it
    assert response_reminder_step(change.event, answered_before, clock.now()) is None
