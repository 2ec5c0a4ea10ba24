"""Expiry at exactly 24 hours and reminders 24 hours ahead, on moto: the stream consumer that keeps one
EventBridge Scheduler schedule per open offer or location change and one reminder schedule per confirmed session,
the expiry schedules' target that expires the change, and the sweeper behind both.

Stream records are read from moto's stream of the template's table (written by the real repository) and
handed over as Lambda does, after the template's filter; schedules are created in moto's Scheduler.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any
from unittest import mock

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from pynamodb.exceptions import TransactWriteError

from functions.offer_expiry import app as offer_expiry
from functions.session_schedules import app as session_schedules
from functions.sweeper import app as sweeper
from tests.support.clock import FakeClock
from tests.support.domain_data import ADMIN, AVAILABILITY, CLIENT, NOW, PROFILE, THERAPIST, WEDNESDAY_10, request
from tests.support.http import LambdaContext
from tests.support.streams import TableStream, record_of
from tests.test_events import allowed, needed, recording_aws_calls
from therapy_booking.adapters import aws_clients
from therapy_booking.adapters.dynamodb.sessions import DynamoSessionRepository
from therapy_booking.domain.changes import SessionChange
from therapy_booking.domain.model import (
    Location,
    LocationKind,
    Money,
    RearrangeReason,
    Role,
    Session,
    SessionStatus,
)
from therapy_booking.wiring import container

TABLE = os.environ["TABLE_NAME"]
GROUP = "therapy-booking-test-sessions"
EXPIRY_FUNCTION_ARN = "arn:aws:lambda:eu-west-2:123456789012:function:OfferExpiryFunction"
REMINDER_FUNCTION_ARN = "arn:aws:lambda:eu-west-2:123456789012:function:SessionRemindersFunction"
SCHEDULER_ROLE_ARN = "arn:aws:iam::123456789012:role/therapy-booking-SchedulerRole"
SCHEDULES_DLQ_ARN = "arn:aws:sqs:eu-west-2:123456789012:SchedulesDeadLetterQueue"
CONSUMER = "SessionSchedulesFunction"
CONTEXT: Any = LambdaContext()

# 2026-11-30 is a Monday; the therapist works Mon-Wed 09:00-17:00 London time (UTC in winter).
TUESDAY = datetime.fromisoformat("2026-12-01T00:00:00+00:00")
WEDNESDAY = datetime.fromisoformat("2026-12-02T00:00:00+00:00")
DEADLINE = NOW + timedelta(hours=24)  # of an offer made at NOW

TWO_LOCATIONS = replace(
    PROFILE,
    locations=(
        Location("room", LocationKind.IN_PERSON, address="1 Street"),
        Location("video", LocationKind.ONLINE, link="https://meet.example.com/t1"),
    ),
)

# What a sweep that found no reservation due reports about reservations.
NO_RESERVATIONS = {
    "reservations_released": 0,
    "reservations_ended": 0,
    "reservations_abandoned": 0,
    "reservations_skipped": 0,
    "reservations_failed": 0,
}


@pytest.fixture
def scheduler(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """moto's Scheduler with the sessions' schedule group; the consumer's environment as the template sets it."""
    monkeypatch.setenv("SCHEDULE_GROUP", GROUP)
    monkeypatch.setenv("EXPIRY_FUNCTION_ARN", EXPIRY_FUNCTION_ARN)
    monkeypatch.setenv("REMINDER_FUNCTION_ARN", REMINDER_FUNCTION_ARN)
    monkeypatch.setenv("SCHEDULER_ROLE_ARN", SCHEDULER_ROLE_ARN)
    monkeypatch.setenv("SCHEDULES_DLQ_ARN", SCHEDULES_DLQ_ARN)
    client = aws_clients.scheduler_client()
    client.create_schedule_group(Name=GROUP)
    return client


@pytest.fixture
def stream(aws: Any) -> TableStream:
    return TableStream(aws, TABLE)


@pytest.fixture
def therapist(aws: Any) -> None:
    container.therapists.put_profile(THERAPIST, TWO_LOCATIONS)
    container.therapists.put_availability(THERAPIST, AVAILABILITY)


# --- helpers -----------------------------------------------------------------------------------


def book(start: datetime = WEDNESDAY_10) -> Session:
    return container.sessions.book(CLIENT, request(start))


def offer(session: Session, *starts: datetime) -> Session:
    chosen = list(starts) or [WEDNESDAY.replace(hour=14), TUESDAY.replace(hour=15)]
    return container.sessions.offer_alternatives(THERAPIST, session.session_id, chosen)


def request_location_change(session: Session) -> Session:
    return container.sessions.change_location(
        THERAPIST, session.session_id, "video", RearrangeReason.THERAPIST_UNAVAILABLE
    )


def accept_offer(session: Session) -> Session:
    assert session.offer is not None
    return container.sessions.answer_offer(CLIENT, session.session_id, session.offer.alternatives[0].alternative_id)


def reject_offer(session: Session) -> Session:
    return container.sessions.answer_offer(CLIENT, session.session_id, None)


def accept_location_change(session: Session) -> Session:
    return container.sessions.answer_location_change(CLIENT, session.session_id, accept=True)


def reject_location_change(session: Session) -> Session:
    return container.sessions.answer_location_change(CLIENT, session.session_id, accept=False)


def admin_confirms(session: Session) -> Session:
    return container.sessions.admin_rearrange(
        ADMIN,
        session.session_id,
        start=None,
        location_id=None,
        status=SessionStatus.CONFIRMED,
        reason=RearrangeReason.ERROR_CORRECTION,
        note="the client phoned to keep the original time",
    )


def confirm(session: Session) -> Session:
    return container.sessions.confirm(THERAPIST, session.session_id)


def therapist_reschedules(session: Session, start: datetime) -> Session:
    return container.sessions.reschedule(THERAPIST, session.session_id, start, RearrangeReason.CLIENT_REQUESTED)


def admin_moves(session: Session, start: datetime) -> Session:
    return container.sessions.admin_rearrange(
        ADMIN,
        session.session_id,
        start=start,
        location_id=None,
        status=None,
        reason=RearrangeReason.ERROR_CORRECTION,
        note="moved by the team",
    )


def client_cancels(session: Session) -> Session:
    return container.sessions.cancel(CLIENT, session.session_id, None)


def therapist_cancels(session: Session) -> Session:
    return container.sessions.cancel(THERAPIST, session.session_id, None)


def admin_cancels(session: Session) -> Session:
    return container.sessions.admin_rearrange(
        ADMIN,
        session.session_id,
        start=None,
        location_id=None,
        status=SessionStatus.CANCELLED,
        reason=RearrangeReason.ERROR_CORRECTION,
        note="cancelled by the team",
    )


def change_id(session: Session) -> str:
    assert session.open_change_id is not None
    return session.open_change_id


@contextmanager
def within_policy(function: str) -> Iterator[None]:
    """Fails if the code inside makes an AWS call that the function's own policy in template.yaml does not allow."""
    permitted = allowed(function)
    with recording_aws_calls() as calls:
        yield
    for service, operation, params in calls:
        for action, resource, table in needed(service, operation, params):
            assert table in (None, TABLE), f"{operation} on another table: {table}"
            assert any(action == granted and fnmatchcase(resource, pattern) for granted, pattern in permitted), (
                f"{function} calls {action} on {resource}, which its policy in template.yaml does not allow"
            )


def consume(records: list[dict[str, Any]]) -> dict[str, Any]:
    with within_policy(CONSUMER):
        response: dict[str, Any] = dict(session_schedules.lambda_handler({"Records": records}, CONTEXT))
    return response


def sweep() -> dict[str, int]:
    with within_policy("SweeperFunction"):
        counts: dict[str, int] = sweeper.lambda_handler({}, CONTEXT)
    return counts


def schedules(client: Any, prefix: str = "") -> list[dict[str, Any]]:
    """The group's schedules (whose names start with `prefix`), as GetSchedule describes them."""
    listed = [s for s in client.list_schedules(GroupName=GROUP)["Schedules"] if s["Name"].startswith(prefix)]
    found = [client.get_schedule(Name=s["Name"], GroupName=GROUP) for s in listed]
    return [{k: v for k, v in schedule.items() if k != "ResponseMetadata"} for schedule in found]


def expiry_schedules(client: Any) -> list[dict[str, Any]]:
    return schedules(client, "expire-")


def reminder_schedules(client: Any) -> list[dict[str, Any]]:
    return schedules(client, "remind-")


def outbox(aws: Any, session_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = aws.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :events)",
        ExpressionAttributeValues={":pk": {"S": f"SESSION#{session_id}"}, ":events": {"S": "EVENT#"}},
    )["Items"]
    return items


def event_types(aws: Any, session_id: str) -> list[str]:
    return [item["event_type"]["S"] for item in outbox(aws, session_id)]


def throttled(client: Any, operation: str, when: Callable[[dict[str, Any]], bool]) -> Any:
    """Patch the Scheduler client so that `operation` is throttled for the calls `when` picks."""
    real = getattr(client, operation)

    def call(**kwargs: Any) -> Any:
        if when(kwargs):
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation)
        return real(**kwargs)

    return mock.patch.object(client, operation, side_effect=call)


def expire(session_id: str, change: str) -> dict[str, Any]:
    with within_policy("OfferExpiryFunction"):
        result: dict[str, Any] = offer_expiry.lambda_handler({"session_id": session_id, "change_id": change}, CONTEXT)
    return result


# --- the stream consumer -----------------------------------------------------------------------


@pytest.mark.usefixtures("therapist")
class TestExpirySchedulesConsumer:
    def test_an_offer_gets_exactly_one_schedule_at_its_deadline(self, scheduler: Any, stream: TableStream) -> None:
        # Given a booked session for which the therapist offers alternative times at NOW
        offered = offer(book())
        records = stream.new_records_for(CONSUMER)

        # When the consumer receives the stream's records (the booking's and the offer's events)
        response = consume(records)

        # Then nothing failed, and there is one schedule, named after the offer, firing once at its deadline
        assert response == {"batchItemFailures": []}
        (schedule,) = schedules(scheduler)
        assert offered.offer is not None and offered.offer.expires_at == DEADLINE
        assert schedule["Name"] == f"expire-{offered.offer.offer_id}"
        assert schedule["ScheduleExpression"] == "at(2026-12-01T09:00:00)"
        assert schedule["ScheduleExpressionTimezone"] == "UTC"
        assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert schedule["ActionAfterCompletion"] == "DELETE"
        assert schedule["State"] == "ENABLED"
        # And it invokes the expiry function, as the scheduler role, with the session and change ids
        target = schedule["Target"]
        assert target["Arn"] == EXPIRY_FUNCTION_ARN
        assert target["RoleArn"] == SCHEDULER_ROLE_ARN
        assert json.loads(target["Input"]) == {"session_id": offered.session_id, "change_id": offered.offer.offer_id}
        # And what cannot be delivered is retried for a bounded time, then dead-lettered
        assert target["DeadLetterConfig"] == {"Arn": SCHEDULES_DLQ_ARN}
        assert 0 < target["RetryPolicy"]["MaximumRetryAttempts"] <= 185
        assert 60 <= target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 86400

    def test_a_location_change_waiting_for_the_client_gets_its_schedule(
        self, scheduler: Any, stream: TableStream, clock: FakeClock
    ) -> None:
        # Given a session whose therapist asks, at 09:00:00.250, to move it online for their own reasons
        session = container.sessions.confirm(THERAPIST, book().session_id)
        clock.advance(timedelta(milliseconds=250))
        requested = request_location_change(session)

        # When the consumer receives the stream's records
        assert consume(stream.new_records_for(CONSUMER)) == {"batchItemFailures": []}

        # Then the change has its schedule at its deadline, rounded up to the whole second
        (schedule,) = schedules(scheduler)
        assert schedule["Name"] == f"expire-{change_id(requested)}"
        assert schedule["ScheduleExpression"] == "at(2026-12-01T09:00:01)"
        assert json.loads(schedule["Target"]["Input"]) == {
            "session_id": requested.session_id,
            "change_id": change_id(requested),
        }

    def test_a_duplicate_delivery_creates_nothing_new_and_reports_no_failure(
        self, scheduler: Any, stream: TableStream
    ) -> None:
        # Given the offer's records were consumed once
        offer(book())
        records = stream.new_records_for(CONSUMER)
        consume(records)
        (first,) = schedules(scheduler)

        # When the same records are delivered again
        with mock.patch.object(scheduler, "create_schedule", wraps=scheduler.create_schedule) as create:
            response = consume(records)

        # Then the expiry's create was attempted, its conflict counted as done, and the one schedule is unchanged
        assert [c.kwargs["Name"] for c in create.call_args_list if c.kwargs["Name"].startswith("expire-")] == [
            first["Name"]
        ]
        assert response == {"batchItemFailures": []}
        assert schedules(scheduler) == [first]

    @pytest.mark.parametrize(
        ("opening", "answer", "answer_event"),
        [
            (offer, accept_offer, "session.offer_accepted"),
            (offer, reject_offer, "session.offer_rejected"),
            (request_location_change, accept_location_change, "session.location_change_accepted"),
            (request_location_change, reject_location_change, "session.location_change_rejected"),
            (offer, admin_confirms, "session.admin_rearranged"),
        ],
        ids=["offer accepted", "offer rejected", "change accepted", "change rejected", "admin rearranged"],
    )
    def test_an_answer_deletes_the_schedule(
        self,
        scheduler: Any,
        stream: TableStream,
        aws: Any,
        opening: Callable[[Session], Session],
        answer: Callable[[Session], Session],
        answer_event: str,
    ) -> None:
        # Given an open offer or location change with its schedule
        opened = opening(container.sessions.confirm(THERAPIST, book().session_id))
        consume(stream.new_records_for(CONSUMER))
        assert [s["Name"] for s in schedules(scheduler)] == [f"expire-{change_id(opened)}"]

        # When it is answered (or settled by the team) and the consumer receives the answer's event
        answer(opened)
        records = stream.new_records_for(CONSUMER)
        assert [r["dynamodb"]["NewImage"]["event_type"]["S"] for r in records] == [answer_event]
        response = consume(records)

        # Then the expiry schedule is gone, and nothing failed
        assert response == {"batchItemFailures": []}
        assert expiry_schedules(scheduler) == []

    def test_deleting_a_schedule_that_is_already_gone_is_fine(self, scheduler: Any, stream: TableStream) -> None:
        # Given an offer answered, whose schedule was already deleted (it never existed: its records were lost)
        offered = offer(book())
        stream.new_records_for(CONSUMER)
        container.sessions.answer_offer(CLIENT, offered.session_id, None)
        answer = stream.new_records_for(CONSUMER)

        # When the answer's record is delivered, twice
        with mock.patch.object(scheduler, "delete_schedule", wraps=scheduler.delete_schedule) as delete:
            first, second = consume(answer), consume(answer)

        # Then the delete was tried each time, found nothing, and no record failed
        deleted = [call.kwargs["Name"] for call in delete.call_args_list]
        assert [name for name in deleted if name.startswith("expire-")] == [f"expire-{change_id(offered)}"] * 2
        assert first == second == {"batchItemFailures": []}
        assert schedules(scheduler) == []

    def test_other_items_are_ignored_and_other_events_touch_only_the_reminder(
        self, scheduler: Any, stream: TableStream, clock: FakeClock
    ) -> None:
        # Given a booking that is confirmed, fixed by the team, then cancelled, a minute apart (events, session,
        # claims: no offer)
        session = container.sessions.confirm(THERAPIST, book().session_id)
        clock.advance(timedelta(minutes=1))
        admin_confirms(session)
        clock.advance(timedelta(minutes=1))
        container.sessions.cancel(CLIENT, session.session_id, None)
        records = stream.new_records()  # unfiltered: the consumer must not rely on the template's filter
        entities = {r["dynamodb"].get("NewImage", {}).get("entity", {}).get("S") for r in records}
        assert "session.admin_rearranged" in {
            r["dynamodb"].get("NewImage", {}).get("event_type", {}).get("S") for r in records
        }
        assert entities >= {
            "session",
            "claim",
            "event",
        }

        # When the consumer receives every record of the stream
        with (
            mock.patch.object(scheduler, "create_schedule") as create,
            mock.patch.object(scheduler, "update_schedule") as update,
            mock.patch.object(scheduler, "delete_schedule") as delete,
        ):
            response = consume(records)

        # Then nothing failed, and no expiry schedule was touched (the team's fix closed no offer)
        assert response == {"batchItemFailures": []}
        # And the only Scheduler calls are the session's reminders following its events, one call per event:
        # the response reminder made on booking and deleted on confirmation (the first answer); the 24 h
        # reminder made on confirmation and on the team's fix, deleted on cancellation
        respond, reminder = f"respond-{session.session_id}", f"remind-{session.session_id}"
        assert [call.kwargs["Name"] for call in create.call_args_list] == [respond, reminder, reminder]
        assert [call.kwargs["Name"] for call in delete.call_args_list] == [respond, reminder]
        assert update.call_count == 0

    def test_a_throttled_record_alone_is_reported_failed_and_succeeds_when_retried(
        self, scheduler: Any, stream: TableStream
    ) -> None:
        # Given two sessions with offers, their records in one batch
        first = offer(book(WEDNESDAY.replace(hour=10)), WEDNESDAY.replace(hour=14))
        second = offer(book(WEDNESDAY.replace(hour=12)), WEDNESDAY.replace(hour=16))
        records = stream.new_records_for(CONSUMER)
        first_offer = record_of(records, first, "session.alternatives_offered")

        # When the Scheduler throttles the first offer's CreateSchedule (after the client's own retries)
        with throttled(scheduler, "create_schedule", lambda call: call["Name"] == f"expire-{change_id(first)}"):
            response = consume(records)

        # Then only that record is reported failed, by its sequence number; the second offer is scheduled
        assert response == {"batchItemFailures": [{"itemIdentifier": first_offer["dynamodb"]["SequenceNumber"]}]}
        assert [s["Name"] for s in expiry_schedules(scheduler)] == [f"expire-{change_id(second)}"]

        # When Lambda retries from the failed record on (the records after it come again)
        retried = records[records.index(first_offer) :]
        response = consume(retried)

        # Then both offers have their one schedule, and nothing failed
        assert response == {"batchItemFailures": []}
        assert sorted(s["Name"] for s in schedules(scheduler)) == sorted(
            [f"expire-{change_id(first)}", f"expire-{change_id(second)}"]
        )

    def test_a_throttled_delete_fails_its_record(self, scheduler: Any, stream: TableStream) -> None:
        # Given an offer with its schedule, then rejected; and another session booked meanwhile
        offered = offer(book())
        consume(stream.new_records_for(CONSUMER))
        container.sessions.answer_offer(CLIENT, offered.session_id, None)
        book(WEDNESDAY.replace(hour=15))
        records = stream.new_records_for(CONSUMER)
        rejected = record_of(records, offered, "session.offer_rejected")

        # When the Scheduler throttles the delete
        with throttled(scheduler, "delete_schedule", lambda call: True):
            response = consume(records)
            # And when the rejection's record comes alone, the whole invocation fails (Powertools: all failed)
            with pytest.raises(BatchProcessingError):
                consume([rejected])

        # Then the record is reported failed (to be retried), and the schedule is still there
        assert response == {"batchItemFailures": [{"itemIdentifier": rejected["dynamodb"]["SequenceNumber"]}]}
        assert len(expiry_schedules(scheduler)) == 1

    def test_an_opening_event_without_its_deadline_fails_only_that_record(
        self, scheduler: Any, stream: TableStream
    ) -> None:
        # Given two offers' records, one of them stripped of its expires_at
        bad = offer(book(WEDNESDAY.replace(hour=10)), WEDNESDAY.replace(hour=14))
        good = offer(book(WEDNESDAY.replace(hour=12)), WEDNESDAY.replace(hour=16))
        records = stream.new_records_for(CONSUMER)
        broken = record_of(records, bad, "session.alternatives_offered")
        del broken["dynamodb"]["NewImage"]["data"]["M"]["expires_at"]

        # When the consumer receives them
        response = consume(records)

        # Then only the broken record failed, and the good offer is scheduled
        assert response == {"batchItemFailures": [{"itemIdentifier": broken["dynamodb"]["SequenceNumber"]}]}
        assert [s["Name"] for s in expiry_schedules(scheduler)] == [f"expire-{change_id(good)}"]

    def test_a_record_arriving_after_its_deadline_is_scheduled_a_minute_ahead(
        self, scheduler: Any, stream: TableStream, clock: FakeClock
    ) -> None:
        # Given an offer whose record only arrives 25 hours later (an outage)
        offer(book())
        records = stream.new_records_for(CONSUMER)
        clock.set(NOW + timedelta(hours=25, seconds=30))

        # When the consumer receives it
        consume(records)

        # Then its schedule fires a minute from now, not in the past
        (schedule,) = schedules(scheduler)
        assert schedule["ScheduleExpression"] == "at(2026-12-01T10:01:30)"


# --- reminders ---------------------------------------------------------------------------------


def reminder_plan(schedule: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(name, when, input) of a reminder schedule."""
    return schedule["Name"], schedule["ScheduleExpression"], json.loads(schedule["Target"]["Input"])


@pytest.mark.usefixtures("therapist")
class TestReminderSchedules:
    def test_a_confirmation_gets_one_reminder_24_hours_before_the_start(
        self, scheduler: Any, stream: TableStream
    ) -> None:
        # Given a session on Wednesday 10:00 (UTC), booked and confirmed on Monday 09:00
        confirmed = confirm(book())

        # When the consumer receives the stream's records (the booking's and the confirmation's events)
        response = consume(stream.new_records_for(CONSUMER))

        # Then nothing failed, and there is one schedule, named after the session, firing once on Tuesday 10:00 UTC
        assert response == {"batchItemFailures": []}
        (schedule,) = schedules(scheduler)
        assert schedule["Name"] == f"remind-{confirmed.session_id}"
        assert schedule["ScheduleExpression"] == "at(2026-12-01T10:00:00)"
        assert schedule["ScheduleExpressionTimezone"] == "UTC"
        assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert schedule["ActionAfterCompletion"] == "DELETE"
        assert schedule["State"] == "ENABLED"
        # And it invokes the reminder function, as the scheduler role, with the session and the start it plans for
        target = schedule["Target"]
        assert target["Arn"] == REMINDER_FUNCTION_ARN
        assert target["RoleArn"] == SCHEDULER_ROLE_ARN
        assert json.loads(target["Input"]) == {"session_id": confirmed.session_id, "start": "2026-12-02T10:00:00+00:00"}
        assert datetime.fromisoformat(json.loads(target["Input"])["start"]) == confirmed.start
        # And what cannot be delivered is retried for a bounded time, then dead-lettered
        assert target["DeadLetterConfig"] == {"Arn": SCHEDULES_DLQ_ARN}
        assert 0 < target["RetryPolicy"]["MaximumRetryAttempts"] <= 185
        assert 60 <= target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 86400

    def test_a_booking_not_yet_confirmed_has_no_reminder_and_costs_no_call_for_it(
        self, scheduler: Any, stream: TableStream
    ) -> None:
        # Given a booking waiting for the therapist
        booked = book()
        # When its record is consumed
        with (
            mock.patch.object(scheduler, "create_schedule", wraps=scheduler.create_schedule) as create,
            mock.patch.object(scheduler, "delete_schedule", wraps=scheduler.delete_schedule) as delete,
        ):
            assert consume(stream.new_records_for(CONSUMER)) == {"batchItemFailures": []}
        # Then there is no 24 h reminder, and the Scheduler was called for the response reminder alone
        # (there is no 24 h reminder to delete yet)
        assert reminder_schedules(scheduler) == []
        assert [call.kwargs["Name"] for call in create.call_args_list] == [f"respond-{booked.session_id}"]
        assert delete.call_count == 0

    @pytest.mark.parametrize("move", [therapist_reschedules, admin_moves], ids=["therapist", "team"])
    def test_a_move_replaces_the_reminder(
        self, scheduler: Any, stream: TableStream, move: Callable[[Session, datetime], Session]
    ) -> None:
        # Given a confirmed session on Wednesday 10:00 with its reminder
        confirmed = confirm(book())
        consume(stream.new_records_for(CONSUMER))
        (before,) = schedules(scheduler)

        # When it is moved to Wednesday 14:00 and the consumer receives the move's record
        move(confirmed, WEDNESDAY.replace(hour=14))
        with mock.patch.object(scheduler, "update_schedule", wraps=scheduler.update_schedule) as update:
            assert consume(stream.new_records_for(CONSUMER)) == {"batchItemFailures": []}

        # Then the same schedule (still the only one) now fires on Tuesday 14:00 and names the new start
        (after,) = schedules(scheduler)
        assert reminder_plan(after) == (
            f"remind-{confirmed.session_id}",
            "at(2026-12-01T14:00:00)",
            {"session_id": confirmed.session_id, "start": "2026-12-02T14:00:00+00:00"},
        )
        # And the update restated the whole definition (UpdateSchedule resets what it is not given)
        assert update.call_count == 1
        restated = update.call_args.kwargs
        assert restated["ActionAfterCompletion"] == "DELETE"
        assert restated["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert restated["ScheduleExpressionTimezone"] == "UTC"
        assert restated["State"] == "ENABLED"
        assert restated["Target"]["DeadLetterConfig"] == before["Target"]["DeadLetterConfig"]
        assert restated["Target"]["RetryPolicy"] == before["Target"]["RetryPolicy"]
        assert (restated["Target"]["Arn"], restated["Target"]["RoleArn"]) == (REMINDER_FUNCTION_ARN, SCHEDULER_ROLE_ARN)

    @pytest.mark.parametrize(
        "cancel", [client_cancels, therapist_cancels, admin_cancels], ids=["client", "therapist", "team"]
    )
    def test_a_cancellation_deletes_the_reminder(
        self, scheduler: Any, stream: TableStream, cancel: Callable[[Session], Session]
    ) -> None:
        # Given a confirmed session with its reminder
        confirmed = confirm(book())
        consume(stream.new_records_for(CONSUMER))
        assert len(reminder_schedules(scheduler)) == 1

        # When it is cancelled and the consumer receives the cancellation's record, twice
        cancel(confirmed)
        records = stream.new_records_for(CONSUMER)
        first, second = consume(records), consume(records)

        # Then the reminder is gone, and deleting it again was fine
        assert first == second == {"batchItemFailures": []}
        assert schedules(scheduler) == []

    @pytest.mark.parametrize(
        ("confirmed_at", "consumed_at"),
        [
            (NOW + timedelta(hours=2), NOW + timedelta(hours=2)),  # confirmed 23 h before the start
            (NOW, NOW + timedelta(hours=1, seconds=1)),  # in time, but its record arrives after the reminder's time
        ],
        ids=["confirmed late", "record late"],
    )
    def test_less_than_24_hours_ahead_gets_no_reminder(
        self, scheduler: Any, stream: TableStream, clock: FakeClock, confirmed_at: datetime, consumed_at: datetime
    ) -> None:
        # Given a session on Tuesday 10:00, booked on Monday 09:00 and confirmed when the test says
        session = book(TUESDAY.replace(hour=10))
        clock.set(confirmed_at)
        confirm(session)

        # When the consumer receives the records when the test says
        clock.set(consumed_at)
        with mock.patch.object(scheduler, "create_schedule", wraps=scheduler.create_schedule) as create:
            assert consume(stream.new_records_for(CONSUMER)) == {"batchItemFailures": []}

        # Then no reminder was planned (the confirmation email has just told them)
        assert [c for c in create.call_args_list if c.kwargs["Name"].startswith("remind-")] == []
        assert schedules(scheduler) == []

    def test_a_move_to_less_than_24_hours_ahead_drops_the_reminder(
        self, scheduler: Any, stream: TableStream, clock: FakeClock
    ) -> None:
        # Given a confirmed session on Wednesday 10:00 with its reminder
        confirmed = confirm(book())
        consume(stream.new_records_for(CONSUMER))
        assert len(reminder_schedules(scheduler)) == 1

        # When on Monday 11:00 the team moves it to Tuesday 10:00 (23 hours ahead)
        clock.set(NOW + timedelta(hours=2))
        admin_moves(confirmed, TUESDAY.replace(hour=10))
        assert consume(stream.new_records_for(CONSUMER)) == {"batchItemFailures": []}

        # Then there is no reminder any more (the move's email has just told them)
        assert schedules(scheduler) == []

    @pytest.mark.parametrize(
        ("opening", "answer", "start"),
        [
            (
                lambda session: offer(session, WEDNESDAY.replace(hour=14)),
                accept_offer,
                "2026-12-02T14:00:00+00:00",
            ),
            (request_location_change, accept_location_change, "2026-12-02T10:00:00+00:00"),
        ],
        ids=["offer accepted", "location change accepted"],
    )
    def test_a_change_waiting_for_the_client_suspends_the_reminder_until_accepted(
        self,
        scheduler: Any,
        stream: TableStream,
        opening: Callable[[Session], Session],
        answer: Callable[[Session], Session],
        start: str,
    ) -> None:
        # Given a confirmed session with its reminder
        confirmed = confirm(book())
        consume(stream.new_records_for(CONSUMER))
        assert len(reminder_schedules(scheduler)) == 1

        # When the therapist offers another time (or asks to move it online) and the consumer receives it
        opened = opening(confirmed)
        assert consume(stream.new_records_for(CONSUMER)) == {"batchItemFailures": []}

        # Then the reminder is gone while the client has not answered; the change's expiry is there instead
        assert [s["Name"] for s in schedules(scheduler)] == [f"expire-{change_id(opened)}"]

        # When the client accepts
        answer(opened)
        assert consume(stream.new_records_for(CONSUMER)) == {"batchItemFailures": []}

        # Then the reminder is back, 24 hours before the start they agreed on, and the expiry is gone
        (schedule,) = schedules(scheduler)
        when = datetime.fromisoformat(start) - timedelta(hours=24)
        assert reminder_plan(schedule) == (
            f"remind-{confirmed.session_id}",
            f"at({when:%Y-%m-%dT%H:%M:%S})",
            {"session_id": confirmed.session_id, "start": start},
        )

    def test_an_expiry_back_to_the_confirmed_session_restores_the_reminder(
        self, scheduler: Any, stream: TableStream, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Given the platform runs with OFFER_EXPIRY_POLICY=revert_to_original
        monkeypatch.setenv("OFFER_EXPIRY_POLICY", "revert_to_original")
        container.reset(clock=clock)
        # And a confirmed session on Wednesday 10:00 with alternatives offered on Monday 09:00 (no reminder now)
        offered = offer(confirm(book()), WEDNESDAY.replace(hour=14))
        consume(stream.new_records_for(CONSUMER))
        assert reminder_schedules(scheduler) == []

        # When the offer expires on Tuesday 09:00 and the consumer receives the expiry's record
        clock.set(DEADLINE)
        assert expire(offered.session_id, change_id(offered))["status"] == "confirmed"
        assert consume(stream.new_records_for(CONSUMER)) == {"batchItemFailures": []}

        # Then the session's reminder is back, for Tuesday 10:00, and the offer's expiry schedule is gone
        (schedule,) = schedules(scheduler)
        assert reminder_plan(schedule) == (
            f"remind-{offered.session_id}",
            "at(2026-12-01T10:00:00)",
            {"session_id": offered.session_id, "start": "2026-12-02T10:00:00+00:00"},
        )

    def test_redelivered_records_leave_one_reminder_at_the_latest_plan(
        self, scheduler: Any, stream: TableStream
    ) -> None:
        # Given a session booked, confirmed, then moved twice
        confirmed = confirm(book())
        moved = therapist_reschedules(confirmed, WEDNESDAY.replace(hour=14))
        therapist_reschedules(moved, TUESDAY.replace(hour=15))
        records = stream.new_records_for(CONSUMER)
        assert len(records) == 4

        # When the records are delivered, then delivered again, then again from the first move on (a retry)
        results = [consume(records), consume(records), consume(records[2:])]

        # Then nothing failed, and there is one reminder, for the last start
        assert results == [{"batchItemFailures": []}] * 3
        (schedule,) = schedules(scheduler)
        assert reminder_plan(schedule) == (
            f"remind-{confirmed.session_id}",
            "at(2026-11-30T15:00:00)",
            {"session_id": confirmed.session_id, "start": "2026-12-01T15:00:00+00:00"},
        )

    def test_a_throttled_reminder_fails_only_its_record_and_the_retry_catches_up(
        self, scheduler: Any, stream: TableStream
    ) -> None:
        # Given two sessions confirmed, their records in one batch
        first = confirm(book(WEDNESDAY.replace(hour=10)))
        second = confirm(book(WEDNESDAY.replace(hour=12)))
        records = stream.new_records_for(CONSUMER)
        first_confirmation = record_of(records, first, "session.confirmed")

        # When the Scheduler throttles the first session's reminder
        with throttled(scheduler, "create_schedule", lambda call: call["Name"] == f"remind-{first.session_id}"):
            response = consume(records)

        # Then only that record is reported failed; the second session has its reminder
        assert response == {"batchItemFailures": [{"itemIdentifier": first_confirmation["dynamodb"]["SequenceNumber"]}]}
        assert [s["Name"] for s in reminder_schedules(scheduler)] == [f"remind-{second.session_id}"]

        # When Lambda retries from the failed record on
        assert consume(records[records.index(first_confirmation) :]) == {"batchItemFailures": []}

        # Then both sessions have their one reminder
        assert sorted(s["Name"] for s in schedules(scheduler)) == sorted(
            [f"remind-{first.session_id}", f"remind-{second.session_id}"]
        )

    def test_an_event_item_without_the_session_is_handled_for_expiry_only(
        self, scheduler: Any, stream: TableStream
    ) -> None:
        # Given a confirmed session with alternatives offered, its event items as written before they carried
        # the session
        offered = offer(confirm(book()))
        records = stream.new_records_for(CONSUMER)
        for record in records:
            del record["dynamodb"]["NewImage"]["session"]

        # When the consumer receives them
        with (
            mock.patch.object(scheduler, "create_schedule", wraps=scheduler.create_schedule) as create,
            mock.patch.object(scheduler, "delete_schedule", wraps=scheduler.delete_schedule) as delete,
        ):
            response = consume(records)

        # Then the offer has its expiry schedule, and no reminder was created or deleted
        assert response == {"batchItemFailures": []}
        assert [s["Name"] for s in schedules(scheduler)] == [f"expire-{change_id(offered)}"]
        assert [call.kwargs["Name"] for call in create.call_args_list] == [f"expire-{change_id(offered)}"]
        assert delete.call_count == 0


# --- response reminders ------------------------------------------------------------------------


def response_reminder_schedules(client: Any) -> list[dict[str, Any]]:
    return schedules(client, "respond-")


@pytest.mark.usefixtures("therapist")
class TestResponseReminderSchedules:
    def test_a_booking_gets_one_response_reminder_at_its_reminder_time(
        self, scheduler: Any, stream: TableStream
    ) -> None:
        # Given a booking made on Monday 09:00 (UTC, the therapist's London business hours): due by 13:00,
        # its therapist reminded at 12:00
        booked = book()
        assert booked.response_reminder_at == NOW + timedelta(hours=3)

        # When the consumer receives its record
        assert consume(stream.new_records_for(CONSUMER)) == {"batchItemFailures": []}

        # Then there is one schedule, named after the session and apart from its 24 h reminder, firing at 12:00
        (schedule,) = schedules(scheduler)
        assert schedule["Name"] == f"respond-{booked.session_id}"
        assert schedule["ScheduleExpression"] == "at(2026-11-30T12:00:00)"
        assert schedule["ActionAfterCompletion"] == "DELETE"
        # And it invokes the reminder function, as the scheduler role, saying which reminder it is
        target = schedule["Target"]
        assert target["Arn"] == REMINDER_FUNCTION_ARN
        assert target["RoleArn"] == SCHEDULER_ROLE_ARN
        assert json.loads(target["Input"]) == {"session_id": booked.session_id, "kind": "response"}
        assert target["DeadLetterConfig"] == {"Arn": SCHEDULES_DLQ_ARN}

    def test_a_redelivered_booking_record_creates_nothing_new(self, scheduler: Any, stream: TableStream) -> None:
        # Given a booking's record consumed once
        book()
        records = stream.new_records_for(CONSUMER)
        consume(records)
        (first,) = schedules(scheduler)

        # When it is delivered again / Then its create conflicts, counts as done, and the schedule is unchanged
        assert consume(records) == {"batchItemFailures": []}
        assert schedules(scheduler) == [first]

    @pytest.mark.parametrize(
        "answer",
        [confirm, lambda session: offer(session, WEDNESDAY.replace(hour=14)), client_cancels],
        ids=["therapist confirms", "therapist offers", "client cancels the pending booking"],
    )
    def test_the_first_answer_or_a_cancellation_deletes_it(
        self, scheduler: Any, stream: TableStream, clock: FakeClock, answer: Callable[[Session], Session]
    ) -> None:
        # Given a booking with its response reminder
        booked = book()
        consume(stream.new_records_for(CONSUMER))
        assert len(response_reminder_schedules(scheduler)) == 1

        # When, half an hour later, the therapist first answers it or the client cancels it
        clock.advance(timedelta(minutes=30))
        answer(booked)
        with mock.patch.object(scheduler, "delete_schedule", wraps=scheduler.delete_schedule) as delete:
            assert consume(stream.new_records_for(CONSUMER)) == {"batchItemFailures": []}

        # Then the response reminder is gone
        assert response_reminder_schedules(scheduler) == []
        assert f"respond-{booked.session_id}" in [call.kwargs["Name"] for call in delete.call_args_list]

    def test_events_after_the_first_answer_leave_it_alone(
        self, scheduler: Any, stream: TableStream, clock: FakeClock
    ) -> None:
        # Given a booking confirmed (its response reminder gone)
        confirmed = confirm(book())
        consume(stream.new_records_for(CONSUMER))

        # When the therapist later moves it and the client cancels it
        clock.advance(timedelta(minutes=30))
        therapist_reschedules(confirmed, WEDNESDAY.replace(hour=14))
        clock.advance(timedelta(minutes=30))
        client_cancels(confirmed)
        with (
            mock.patch.object(scheduler, "create_schedule", wraps=scheduler.create_schedule) as create,
            mock.patch.object(scheduler, "delete_schedule", wraps=scheduler.delete_schedule) as delete,
        ):
            assert consume(stream.new_records_for(CONSUMER)) == {"batchItemFailures": []}

        # Then no Scheduler call concerned the response reminder
        names = [call.kwargs["Name"] for call in (*create.call_args_list, *delete.call_args_list)]
        assert [name for name in names if name.startswith("respond-")] == []


# --- the expiry function (the schedules' target) -----------------------------------------------


@pytest.mark.usefixtures("therapist")
class TestOfferExpiryFunction:
    def test_an_unanswered_offer_expires_once_at_its_deadline(self, aws: Any, clock: FakeClock) -> None:
        # Given a pending session with alternatives offered at NOW
        offered = offer(book())
        events_before = event_types(aws, offered.session_id)

        # When the schedule fires one second early
        clock.set(DEADLINE - timedelta(seconds=1))
        early = expire(offered.session_id, change_id(offered))

        # Then nothing happens: the session is still waiting, nothing is written
        assert early["outcome"] == "nothing_to_expire"
        unchanged = container.sessions.get(ADMIN, offered.session_id)
        assert unchanged == offered
        assert event_types(aws, offered.session_id) == events_before

        # When it fires at the deadline (default policy: cancel and refund)
        clock.set(DEADLINE)
        result = expire(offered.session_id, change_id(offered))

        # Then the session is cancelled by the system and refunded in full, with one offer_expired event
        assert result == {
            "outcome": "expired",
            "session_id": offered.session_id,
            "change_id": change_id(offered),
            "status": "cancelled",
        }
        expired = container.sessions.get(ADMIN, offered.session_id)
        assert (expired.status, expired.cancelled_by, expired.cancellation_reason) == (
            SessionStatus.CANCELLED,
            Role.SYSTEM,
            "offer_expired",
        )
        assert expired.refund == offered.price
        assert event_types(aws, offered.session_id) == [*events_before, "session.offer_expired"]

        # When the schedule delivers again
        again = expire(offered.session_id, change_id(offered))

        # Then nothing changes and no second event is written
        assert again["outcome"] == "nothing_to_expire"
        assert container.sessions.get(ADMIN, offered.session_id) == expired
        assert event_types(aws, offered.session_id) == [*events_before, "session.offer_expired"]

    def test_an_answered_offer_is_left_alone(self, aws: Any, clock: FakeClock) -> None:
        # Given an offer the client accepted before the deadline
        offered = offer(book())
        assert offered.offer is not None
        accepted = container.sessions.answer_offer(
            CLIENT, offered.session_id, offered.offer.alternatives[0].alternative_id
        )
        events_before = event_types(aws, offered.session_id)

        # When its schedule fires anyway (its delete was lost)
        clock.set(DEADLINE + timedelta(seconds=30))
        result = expire(offered.session_id, change_id(offered))

        # Then nothing changes
        assert result["outcome"] == "nothing_to_expire"
        assert container.sessions.get(ADMIN, offered.session_id) == accepted
        assert event_types(aws, offered.session_id) == events_before

    def test_under_revert_to_original_the_session_goes_back(
        self, aws: Any, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Given the platform runs with OFFER_EXPIRY_POLICY=revert_to_original
        monkeypatch.setenv("OFFER_EXPIRY_POLICY", "revert_to_original")
        container.reset(clock=clock)
        # And a confirmed session with alternatives offered
        confirmed = container.sessions.confirm(THERAPIST, book().session_id)
        offered = offer(confirmed)

        # When the offer expires
        clock.set(DEADLINE)
        result = expire(offered.session_id, change_id(offered))

        # Then the session is confirmed again at its original time, not cancelled, and the holds are free
        assert result["status"] == "confirmed"
        reverted = container.sessions.get(ADMIN, offered.session_id)
        assert (reverted.status, reverted.start, reverted.offer) == (SessionStatus.CONFIRMED, confirmed.start, None)
        assert reverted.refund is None
        assert event_types(aws, offered.session_id)[-1] == "session.offer_expired"
        slots = container.therapists.slots(CLIENT, THERAPIST.user_id, WEDNESDAY, WEDNESDAY + timedelta(days=1), None)
        assert WEDNESDAY.replace(hour=14) in [slot.start for slot in slots]
        assert confirmed.start not in [slot.start for slot in slots]

    def test_a_location_change_expires_too(self, aws: Any, clock: FakeClock) -> None:
        # Given a location change waiting for the client
        requested = request_location_change(container.sessions.confirm(THERAPIST, book().session_id))

        # When its schedule fires at the deadline
        clock.set(DEADLINE)
        result = expire(requested.session_id, change_id(requested))

        # Then it expired (cancelled and refunded by default) with one location_change_expired event
        assert result["outcome"] == "expired"
        assert event_types(aws, requested.session_id)[-1] == "session.location_change_expired"
        assert container.sessions.get(ADMIN, requested.session_id).status is SessionStatus.CANCELLED

    @pytest.mark.parametrize(
        "event",
        [{}, {"session_id": "s1"}, {"change_id": "c1"}, {"session_id": 7, "change_id": "c1"}, {"session_id": ""}],
    )
    def test_an_input_without_both_ids_is_dropped_without_a_retry(self, aws: Any, event: dict[str, Any]) -> None:
        # Given a malformed schedule Input / When the function receives it, with AWS calls forbidden
        forbidden = AssertionError("a malformed input reached AWS")
        with mock.patch.object(BaseClient, "_make_api_call", side_effect=forbidden):
            result = offer_expiry.lambda_handler(event, CONTEXT)
        # Then it returns (no error, so no pointless retries) without touching any data
        assert result == {"outcome": "invalid_input"}

    def test_a_transient_error_raises_so_the_invocation_is_retried(self, aws: Any, clock: FakeClock) -> None:
        # Given a due offer
        offered = offer(book())
        clock.set(DEADLINE)
        throttling = ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "TransactWriteItems"
        )
        real = BaseClient._make_api_call  # type: ignore[attr-defined]

        def throttle_writes(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            if operation == "TransactWriteItems":
                raise throttling
            return real(client, operation, params)

        # When DynamoDB throttles the expiry's transaction
        with (
            mock.patch.object(BaseClient, "_make_api_call", autospec=True, side_effect=throttle_writes),
            pytest.raises(TransactWriteError) as raised,
        ):
            expire(offered.session_id, change_id(offered))
        assert raised.value.cause_response_code == "ThrottlingException"

        # Then it raised (Lambda retries it), and nothing was written; the retry then expires the offer
        assert container.sessions.get(ADMIN, offered.session_id) == offered
        assert expire(offered.session_id, change_id(offered))["outcome"] == "expired"


# --- the sweeper -------------------------------------------------------------------------------


@pytest.mark.usefixtures("therapist")
class TestSweeper:
    def test_it_expires_lost_offers_completes_ended_sessions_and_leaves_the_rest(
        self, aws: Any, clock: FakeClock
    ) -> None:
        # Given, made on Monday 09:00:
        #   a confirmed session on Tuesday 10:00-10:50 (ends before the sweep)
        ended = container.sessions.confirm(THERAPIST, book(TUESDAY.replace(hour=10)).session_id)
        #   a pending session on Wednesday 10:00 with alternatives offered, whose schedule was lost
        lost = offer(book(WEDNESDAY.replace(hour=10)), WEDNESDAY.replace(hour=14))
        #   a pending session on Wednesday 12:00, a confirmed one on Wednesday 15:00 (neither due)
        pending = book(WEDNESDAY.replace(hour=12))
        upcoming = container.sessions.confirm(THERAPIST, book(WEDNESDAY.replace(hour=15)).session_id)
        # And, made on Monday 12:00, an offer on a Wednesday 16:00 session, due on Tuesday 12:00
        clock.set(NOW + timedelta(hours=3))
        not_due = offer(book(WEDNESDAY.replace(hour=16)), TUESDAY.replace(hour=15))
        untouched = [pending, upcoming, not_due]

        # When the sweeper runs on Tuesday at 11:00
        clock.set(TUESDAY.replace(hour=11))
        counts = sweep()

        # Then it expired the lost offer and completed the ended session, and skipped nothing
        assert counts == {"expired": 1, "completed": 1, "released": 0, "skipped": 0, "failed": 0, **NO_RESERVATIONS}
        expired = container.sessions.get(ADMIN, lost.session_id)
        assert (expired.status, expired.cancellation_reason, expired.refund) == (
            SessionStatus.CANCELLED,
            "offer_expired",
            lost.price,
        )
        # And the ended session is completed: the therapist is paid the fee less the 10 % commission
        completed = container.sessions.get(ADMIN, ended.session_id)
        assert completed.status is SessionStatus.COMPLETED
        assert (completed.therapist_payout, completed.platform_commission, completed.refund) == (
            Money(5400, "GBP"),
            Money(600, "GBP"),
            Money(0, "GBP"),
        )
        assert event_types(aws, ended.session_id)[-1] == "session.completed"
        assert event_types(aws, lost.session_id)[-1] == "session.offer_expired"
        # And the others are exactly as they were
        assert [container.sessions.get(ADMIN, s.session_id) for s in untouched] == untouched

        # When it runs again
        again = sweep()

        # Then there is nothing left to do, and no event was written twice
        assert again == {"expired": 0, "completed": 0, "released": 0, "skipped": 0, "failed": 0, **NO_RESERVATIONS}
        assert event_types(aws, ended.session_id).count("session.completed") == 1
        assert event_types(aws, lost.session_id).count("session.offer_expired") == 1

    def test_a_session_that_always_fails_is_dead_lettered_on_its_own_and_the_others_are_completed(
        self, aws: Any, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        # Given the sweeper's dead-letter queue, as the template wires it
        sqs = aws_clients.sqs_client()
        queue_url = sqs.create_queue(QueueName="SchedulesDeadLetterQueue")["QueueUrl"]
        monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", queue_url)
        # And three confirmed sessions that have ended on Tuesday, the first of which can never be written
        ended = [
            container.sessions.confirm(THERAPIST, book(TUESDAY.replace(hour=hour)).session_id) for hour in (10, 11, 12)
        ]
        poisoned = ended[0].session_id
        real_commit = DynamoSessionRepository.commit

        def commit(repository: DynamoSessionRepository, change: SessionChange) -> None:
            if change.session.session_id == poisoned:
                raise TransactWriteError("Item size has exceeded the maximum allowed size")
            real_commit(repository, change)

        monkeypatch.setattr(DynamoSessionRepository, "commit", commit)
        # And, first in the sweeper's index, an item that is not a session this code can read
        aws.put_item(
            TableName=TABLE,
            Item={
                "pk": {"S": "SESSION#corrupt"},
                "sk": {"S": "SESSION"},
                "entity": {"S": "session"},
                "status": {"S": "archived"},
                "gsi3pk": {"S": "DUE"},
                "gsi3sk": {"S": "2026-11-30T00:00:00Z#corrupt"},
            },
        )

        # When the sweeper runs on Tuesday at 14:00
        clock.set(TUESDAY.replace(hour=14))
        counts = sweep()

        # Then the two healthy sessions are completed and the two bad items are counted as failed
        assert counts == {"expired": 0, "completed": 2, "released": 0, "skipped": 0, "failed": 2, **NO_RESERVATIONS}
        assert [container.sessions.get(ADMIN, s.session_id).status for s in ended[1:]] == [SessionStatus.COMPLETED] * 2
        assert container.sessions.get(ADMIN, poisoned).status is SessionStatus.CONFIRMED
        # And each has its own dead-letter message, with its id and error class only
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
        reported = [json.loads(m["Body"]) for m in messages]
        assert sorted(reported, key=lambda body: body["item_id"] == poisoned) == [
            {"source": "sweeper", "item_id": "corrupt", "error_type": "ValueError"},
            {"source": "sweeper", "item_id": poisoned, "error_type": "TransactWriteError"},
        ]
        # And the log names them by id and error class
        failures = [r for r in caplog.records if r.getMessage() == "session could not be swept"]
        assert len(failures) == 2
