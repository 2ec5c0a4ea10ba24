"""The local stack's emulation of AWS, in-process, on a test template (tests/local_stack/template.yaml).

Stream consumers with Lambda's event-source-mapping semantics, EventBridge Scheduler
one-time and rate schedules, the outbox of SES and SNS: what a function author relying
on `make run` would notice.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from botocore.exceptions import ClientError

from local_stack.runtime import LocalStack
from local_stack.template import http_routes, load, load_template
from tests.local_stack.fake_functions.events_only_consumer import app as events_only_consumer
from tests.local_stack.fake_functions.failing_target import app as failing_target
from tests.local_stack.fake_functions.http_echo import app as http_echo
from tests.local_stack.fake_functions.poison_raising_consumer import app as poison_raising_consumer
from tests.local_stack.fake_functions.poison_reporting_consumer import app as poison_reporting_consumer
from tests.local_stack.fake_functions.retrying_consumer import app as retrying_consumer
from tests.local_stack.fake_functions.schedule_target import app as schedule_target
from tests.local_stack.fake_functions.sweeper import app as sweeper
from therapy_booking.adapters import aws_clients
from therapy_booking.wiring import container

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, TransactWriteItemTypeDef

TEST_TEMPLATE = Path(__file__).with_name("template.yaml")
SCHEDULER_ROLE = "arn:aws:iam::123456789012:role/scheduler"


def _forget_fake_state() -> None:
    for recorded in (
        retrying_consumer.batches,
        retrying_consumer.reported,
        poison_reporting_consumer.batches,
        poison_raising_consumer.batches,
        poison_raising_consumer.processed,
        events_only_consumer.records,
        schedule_target.events,
        failing_target.events,
        sweeper.events,
        http_echo.events,
    ):
        recorded.clear()
    sweeper.failing = False


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    """A started local stack on the test template; the process's environment and services restored after."""
    environment = dict(os.environ)
    _forget_fake_state()
    local = LocalStack(template_path=TEST_TEMPLATE)
    try:
        local.start()
        yield local
    finally:
        local.stop()
        os.environ.clear()
        os.environ.update(environment)
        aws_clients.reset()
        container.reset()


def put(stack: LocalStack, pk: str, **attributes: Any) -> None:
    item: dict[str, dict[str, str | bytes]] = {"pk": {"S": pk}, "sk": {"S": "item"}}
    for name, value in attributes.items():
        item[name] = {"B": value} if isinstance(value, bytes) else {"S": str(value)}
    stack.dynamodb.put_item(TableName=stack.table_name, Item=item)


def key(pk: str) -> dict[str, AttributeValueTypeDef]:
    return {"pk": {"S": pk}, "sk": {"S": "item"}}


def put_if_absent(stack: LocalStack, pk: str) -> TransactWriteItemTypeDef:
    """A transaction's Put of an event item, cancelled if the item exists."""
    item = {**key(pk), "entity": {"S": "event"}}
    return {"Put": {"TableName": stack.table_name, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}


def live_objects() -> int:
    gc.collect()
    return len(gc.get_objects())


def failed_queue_messages(stack: LocalStack) -> list[dict[str, Any]]:
    url = stack.sqs.get_queue_url(QueueName="FailedRecordsQueue")["QueueUrl"]
    messages = stack.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def dead_letters_of(stack: LocalStack, function: str) -> list[dict[str, Any]]:
    return [letter for letter in stack.dead_letters if letter.get("function") == function]


def at_expression(stack: LocalStack, minutes_from_now: int) -> str:
    instant = stack.clock.now() + timedelta(minutes=minutes_from_now)
    return f"at({instant:%Y-%m-%dT%H:%M:%S})"


def create_one_time_schedule(
    stack: LocalStack, name: str, target: str, payload: dict[str, Any], minutes_from_now: int, **extra: Any
) -> None:
    boto3.client("scheduler").create_schedule(
        Name=name,
        ScheduleExpression=at_expression(stack, minutes_from_now),
        ScheduleExpressionTimezone="UTC",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={
            "Arn": stack.arn(target, "Arn"),
            "RoleArn": SCHEDULER_ROLE,
            "Input": json.dumps(payload),
            "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
            "DeadLetterConfig": {"Arn": stack.arn("FailedRecordsQueue", "Arn")},
        },
        **extra,
    )


def test_the_test_template_declares_the_products_table() -> None:
    # Given the test template and template.yaml
    # Then the table the emulation is tested on is the product's table
    assert load(TEST_TEMPLATE)["Resources"]["Table"] == load_template()["Resources"]["Table"]


class TestStreamConsumers:
    def test_a_record_reported_failed_once_is_redelivered_with_those_after_it_then_succeeds(
        self, stack: LocalStack
    ) -> None:
        # Given a consumer with ReportBatchItemFailures that fails `item-2` the first time it sees it
        # When four items are written and the stack delivers the stream
        put(stack, "item-1")
        put(stack, "item-2", fail_once="yes")
        put(stack, "item-3")
        put(stack, "item-4")
        stack.settle()

        # Then the batch is retried from the failed record on, once, and nothing is dead-lettered
        assert retrying_consumer.batches == [
            ["item-1", "item-2", "item-3", "item-4"],
            ["item-2", "item-3", "item-4"],
        ]
        assert dead_letters_of(stack, "RetryingConsumer") == []

    def test_a_record_reported_failed_every_time_is_dead_lettered_after_its_retries(self, stack: LocalStack) -> None:
        # Given a consumer (BatchSize 2, MaximumRetryAttempts 2) that always reports `item-2` failed
        # When four items are written and the stack delivers the stream
        put(stack, "item-1")
        put(stack, "item-2", poison="yes")
        put(stack, "item-3")
        put(stack, "item-4")
        stack.settle()

        # Then item-2 was tried 1 + 2 times, then went to the on-failure queue; the next batch went on
        assert poison_reporting_consumer.batches == [
            ["item-1", "item-2"],
            ["item-2"],
            ["item-2"],
            ["item-3", "item-4"],
        ]
        (letter,) = dead_letters_of(stack, "PoisonReportingConsumer")
        assert letter["approximate_invoke_count"] == 3
        assert letter["condition"] == "RetryAttemptsExhausted"
        assert letter["batch"]["size"] == 1
        assert [record["dynamodb"]["Keys"]["pk"]["S"] for record in letter["records"]] == ["item-2"]
        assert letter["destination"] == stack.arn("FailedRecordsQueue", "Arn")
        queued = [m for m in failed_queue_messages(stack) if m["function"] == "PoisonReportingConsumer"]
        assert [(m["approximate_invoke_count"], m["batch"]["size"]) for m in queued] == [(3, 1)]

    def test_a_function_error_bisects_the_batch_to_the_bad_record_and_the_rest_are_delivered(
        self, stack: LocalStack
    ) -> None:
        # Given a consumer with BisectBatchOnFunctionError that raises whenever its batch holds `item-2`
        # When four items are written and the stack delivers the stream
        put(stack, "item-1")
        put(stack, "item-2", poison="yes")
        put(stack, "item-3")
        put(stack, "item-4")
        stack.settle()

        # Then the batch was halved down to item-2 alone, tried 1 + MaximumRetryAttempts (2) times, dead-lettered
        assert poison_raising_consumer.batches == [
            ["item-1", "item-2", "item-3", "item-4"],
            ["item-1", "item-2"],
            ["item-1"],
            ["item-2"],
            ["item-2"],
            ["item-2"],
            ["item-3", "item-4"],
        ]
        (letter,) = dead_letters_of(stack, "PoisonRaisingConsumer")
        assert letter["approximate_invoke_count"] == 3
        assert [record["dynamodb"]["Keys"]["pk"]["S"] for record in letter["records"]] == ["item-2"]
        queued = [m for m in failed_queue_messages(stack) if m["function"] == "PoisonRaisingConsumer"]
        assert len(queued) == 1
        assert "records" not in queued[0]  # as Lambda: the batch's coordinates, not its records

        # And every other record was processed, and the stream goes on past the bad record
        put(stack, "item-5")
        stack.settle()
        assert poison_raising_consumer.processed == ["item-1", "item-3", "item-4", "item-5"]

    def test_filter_criteria_let_only_matching_records_through(self, stack: LocalStack) -> None:
        # Given a consumer filtering on NewImage.entity = event
        # When event and session items are written, one event item is deleted and one becomes a session
        put(stack, "event-1", entity="event")
        put(stack, "session-1", entity="session")
        put(stack, "event-2", entity="event")
        stack.dynamodb.delete_item(TableName=stack.table_name, Key={"pk": {"S": "event-1"}, "sk": {"S": "item"}})
        put(stack, "event-2", entity="session")
        stack.settle()

        # Then it saw only the two event items' insertions
        seen = [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in events_only_consumer.records]
        assert seen == [("INSERT", "event-1"), ("INSERT", "event-2")]

    def test_a_cancelled_transaction_neither_stops_the_stream_nor_delivers_its_writes(self, stack: LocalStack) -> None:
        # Given an event item already delivered
        put(stack, "event-1", entity="event")
        stack.settle()

        # When a transaction writing an event item is cancelled by its condition check (moto rolls it back),
        # and another event item is written before the stream is read again
        with pytest.raises(ClientError, match="TransactionCanceledException"):
            stack.dynamodb.transact_write_items(
                TransactItems=[
                    put_if_absent(stack, "event-x"),
                    {
                        "ConditionCheck": {
                            "TableName": stack.table_name,
                            "Key": key("event-1"),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        put(stack, "event-2", entity="event")
        stack.settle()

        # Then the consumer saw each committed event item once, and nothing of the cancelled transaction
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in events_only_consumer.records] == ["event-1", "event-2"]

        # And the stream goes on after many more rollbacks
        for attempt in range(3):
            with pytest.raises(ClientError, match="TransactionCanceledException"):
                stack.dynamodb.transact_write_items(TransactItems=[put_if_absent(stack, "event-1")])
            put(stack, f"event-{attempt + 3}", entity="event")
            stack.settle()
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in events_only_consumer.records][2:] == [
            "event-3",
            "event-4",
            "event-5",
        ]

    def test_a_transaction_does_not_slow_down_as_the_stream_grows(self, stack: LocalStack) -> None:
        # Given a stream that already carries thousands of records (one item written over and over; straight
        # into moto's table, as thousands of requests would take a while)
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends["123456789012"][stack.region]
        for version in range(5000):
            item = {**key("busy"), "entity": {"S": "session"}, "version": {"N": str(version)}}
            backend.put_item(stack.table_name, item)

        # When transactions run on the table (cancelled ones: moto copies the table for each, to roll back)
        def transaction_seconds() -> float:
            started = time.perf_counter()
            with pytest.raises(ClientError, match="TransactionCanceledException"):
                stack.dynamodb.transact_write_items(TransactItems=[put_if_absent(stack, "busy")])
            return time.perf_counter() - started

        # Then each takes about as long as on a new table (copying every record took ~0.6 s here)
        assert statistics.median(transaction_seconds() for _ in range(5)) < 0.1

    def test_memory_grows_with_what_is_written_not_with_time_or_refused_transactions(self, stack: LocalStack) -> None:
        # Given a table of a hundred items, its stream read (and the clients' caches warm)
        for n in range(100):
            put(stack, f"item-{n}", entity="session")
        for _ in range(50):
            stack.settle()

        # When the stack idles (it reads the stream every second), then refuses many transactions
        before = live_objects()
        for _ in range(200):
            stack.settle()
        idle = live_objects()
        for _ in range(10):
            with pytest.raises(ClientError, match="TransactionCanceledException"):
                stack.dynamodb.transact_write_items(TransactItems=[put_if_absent(stack, "item-0")])
            stack.settle()
        refused = live_objects()

        # Then neither keeps objects alive: no stream read position, no copy of the table moto took to roll back
        # (they used to: two objects a second idle, 800 for each refusal)
        assert idle - before < 100
        assert refused - idle < 2000

    def test_records_arrive_in_the_shape_lambda_delivers(self, stack: LocalStack) -> None:
        # Given a stream consumer
        # When an item with a binary attribute is written
        put(stack, "event-1", entity="event", blob=b"\x00\xff")
        stack.settle()

        # Then its record is Lambda's: the stream ARN and region, a numeric creation time, base64 binaries
        (record,) = events_only_consumer.records
        assert record["eventSource"] == "aws:dynamodb"
        assert record["eventSourceARN"] == stack.arn("Table", "StreamArn")
        assert record["awsRegion"] == stack.region
        assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int | float)
        assert record["dynamodb"]["NewImage"]["blob"] == {"B": "AP8="}
        json.dumps(record)  # plain JSON, as the Lambda service sends it


class TestSchedules:
    def test_the_templates_schedule_group_has_its_cloudformation_name(self, stack: LocalStack) -> None:
        # Given a schedule group named `${AWS::StackName}-offers` and a function variable `!Ref` to it
        # Then the variable holds that name, and the group exists under it
        assert os.environ["SCHEDULE_GROUP"] == "therapy-booking-local-offers"
        groups = boto3.client("scheduler").list_schedule_groups()["ScheduleGroups"]
        assert "therapy-booking-local-offers" in [group["Name"] for group in groups]

    def test_a_one_time_schedule_fires_once_at_its_instant_with_its_input_then_is_deleted(
        self, stack: LocalStack
    ) -> None:
        # Given a one-time schedule 10 minutes ahead in the template's group, as an offer expiry would be
        scheduler = boto3.client("scheduler")
        group = os.environ["SCHEDULE_GROUP"]
        payload = {"session_id": "session-1", "offer_id": "offer-1"}
        create_one_time_schedule(stack, "offer-expiry-1", "ScheduleTarget", payload, 10, GroupName=group)

        # When the clock passes 9 minutes
        stack.advance_clock(9 * 60)

        # Then it has not fired, and still exists
        assert schedule_target.events == []
        assert scheduler.get_schedule(Name="offer-expiry-1", GroupName=group)["State"] == "ENABLED"

        # When the clock passes its instant
        stack.advance_clock(2 * 60)

        # Then it fired once with its Input as the event, and is deleted
        assert schedule_target.events == [payload]
        with pytest.raises(ClientError) as missing:
            scheduler.get_schedule(Name="offer-expiry-1", GroupName=group)
        assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"

        # And moving the clock again does not fire it again
        stack.advance_clock(3600)
        assert schedule_target.events == [payload]

    def test_a_due_schedule_fires_even_behind_more_than_a_page_of_later_ones(self, stack: LocalStack) -> None:
        # Given a schedule due in 5 minutes, then 60 schedules due tomorrow (more than a ListSchedules page)
        create_one_time_schedule(stack, "reminder-soon", "ScheduleTarget", {"reminder": "soon"}, 5)
        for number in range(60):
            create_one_time_schedule(stack, f"reminder-{number}", "ScheduleTarget", {"reminder": number}, 24 * 60)

        # When the clock passes 6 minutes
        stack.advance_clock(6 * 60)

        # Then the due one fired, and only it
        assert schedule_target.events == [{"reminder": "soon"}]

    def test_a_failing_target_is_retried_per_its_policy_then_dead_lettered(self, stack: LocalStack) -> None:
        # Given a one-time schedule in the default group whose target always fails (RetryPolicy: 2 retries)
        create_one_time_schedule(stack, "offer-expiry-2", "FailingTarget", {"offer_id": "offer-2"}, 10)

        # When the clock passes its instant
        stack.advance_clock(11 * 60)

        # Then the target was invoked 1 + 2 times, the schedule is dead-lettered and deleted
        assert failing_target.events == [{"offer_id": "offer-2"}] * 3
        (letter,) = [letter for letter in stack.dead_letters if letter["source"] == "scheduler"]
        assert letter["schedule"] == "offer-expiry-2"
        assert letter["attempts"] == 3
        assert letter["target"] == stack.arn("FailingTarget", "Arn")
        assert letter["destination"] == stack.arn("FailedRecordsQueue", "Arn")
        assert [m["schedule"] for m in failed_queue_messages(stack)] == ["offer-expiry-2"]
        assert boto3.client("scheduler").list_schedules()["Schedules"] == []

        # And it is not fired again
        stack.advance_clock(3600)
        assert len(failing_target.events) == 3

    def test_a_schedule_kept_after_completion_fires_once_at_its_local_time_and_stays_as_it_was(
        self, stack: LocalStack
    ) -> None:
        # Given a one-time schedule 10 minutes ahead written in Tokyo time, kept after completion
        scheduler = boto3.client("scheduler")
        tokyo_time = (stack.clock.now() + timedelta(minutes=10)).astimezone(ZoneInfo("Asia/Tokyo"))
        scheduler.create_schedule(
            Name="reminder-tokyo",
            ScheduleExpression=f"at({tokyo_time:%Y-%m-%dT%H:%M:%S})",
            ScheduleExpressionTimezone="Asia/Tokyo",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="NONE",
            Target={"Arn": stack.arn("ScheduleTarget", "Arn"), "RoleArn": SCHEDULER_ROLE, "Input": "{}"},
            Description="a reminder",
        )

        # When the clock passes 9 minutes, then 11
        stack.advance_clock(9 * 60)
        assert schedule_target.events == []
        stack.advance_clock(2 * 60)

        # Then it fired once, and is still there, done (disabled), with its time zone and description
        assert schedule_target.events == [{}]
        kept = scheduler.get_schedule(Name="reminder-tokyo")
        assert kept["State"] == "DISABLED"
        assert (kept["ScheduleExpressionTimezone"], kept["Description"]) == ("Asia/Tokyo", "a reminder")

        # And it does not fire again
        stack.advance_clock(3600)
        assert schedule_target.events == [{}]

    def test_a_rate_schedule_of_the_template_fires_when_its_period_has_passed(self, stack: LocalStack) -> None:
        # Given the template's `rate(5 minutes)` ScheduleV2 on the sweeper
        # When the clock passes 4 minutes 59 seconds
        stack.advance_clock(299)

        # Then it has not fired
        assert sweeper.events == []

        # When the clock passes 5 minutes
        stack.advance_clock(2)

        # Then it fired once, with the schedule's Input
        assert sweeper.events == [{"job": "sweep"}]

        # And not again before another period
        stack.advance_clock(60)
        assert sweeper.events == [{"job": "sweep"}]

    def test_a_failing_rate_schedule_target_is_retried_then_dead_lettered(self, stack: LocalStack) -> None:
        # Given the sweeper fails, and its schedule allows 1 retry and has a dead-letter queue
        sweeper.failing = True

        # When its period passes
        stack.advance_clock(301)

        # Then it was invoked 1 + 1 times, then dead-lettered
        assert sweeper.events == [{"job": "sweep"}] * 2
        (letter,) = [letter for letter in stack.dead_letters if letter["source"] == "scheduler"]
        assert (letter["schedule"], letter["attempts"]) == ("EveryFiveMinutes", 2)
        assert letter["destination"] == stack.arn("FailedRecordsQueue", "Arn")
        assert [m["schedule"] for m in failed_queue_messages(stack)] == ["EveryFiveMinutes"]


class TestOutbox:
    def test_an_email_and_an_sms_sent_in_the_stack_are_in_the_outbox_until_reset(self, stack: LocalStack) -> None:
        # Given nothing sent yet
        assert stack.outbox() == {"emails": [], "sms": []}

        # When a function sends a MIME email (text, html, .ics) through SES and an SMS through SNS
        stack.invoke(
            "Notifier",
            {
                "email": {
                    "to": ["Demo Client <client@demo.invalid>", "therapist@demo.invalid"],
                    "subject": "Your session is confirmed",
                    "text": "See you on Monday at 10:00.",
                    "html": "<p>See you on <b>Monday</b> at 10:00.</p>",
                    "ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
                    "ics_filename": "session.ics",
                },
                "sms": {"to": "+447700900456", "text": "Session confirmed: Monday 10:00."},
            },
        )

        # Then the outbox shows them as a developer wants to read them
        outbox = stack.outbox()
        (email,) = outbox["emails"]
        assert email["to"] == ["client@demo.invalid", "therapist@demo.invalid"]
        assert email["subject"] == "Your session is confirmed"
        assert email["text"].strip() == "See you on Monday at 10:00."
        assert email["html"].strip() == "<p>See you on <b>Monday</b> at 10:00.</p>"
        assert email["attachments"] == [{"filename": "session.ics", "content_type": "text/calendar"}]
        assert outbox["sms"] == [{"to": "+447700900456", "text": "Session confirmed: Monday 10:00."}]

        # When the stack is reset
        stack.reset()

        # Then the outbox is empty
        assert stack.outbox() == {"emails": [], "sms": []}


class TestHttpAuthorizer:
    def test_a_request_without_a_token_reaches_only_a_route_without_the_authorizer(self, stack: LocalStack) -> None:
        # Given a route behind the JWT authorizer and one that opts out of it (Auth: Authorizer: NONE)
        host = {"Host": "127.0.0.1:3999"}

        # When each is asked without a token
        private = stack.handle_api("GET", "/private/a", "", host, b"")
        public = stack.handle_api("GET", "/public/a", "", host, b"")

        # Then the authorizer refuses the first before its function runs; the second reaches its function,
        # with no claims, told it came over plain HTTP
        assert (private.status, json.loads(private.body)) == (401, {"message": "Unauthorized"})
        assert (public.status, public.body) == (200, b"reached")
        (event,) = http_echo.events
        assert event["routeKey"] == "GET /public/{item}"
        assert "authorizer" not in event["requestContext"]
        assert event["headers"]["x-forwarded-proto"] == "http"
        assert event["requestContext"]["domainName"] == "127.0.0.1:3999"

    def test_a_token_still_opens_the_route_with_the_authorizer(self, stack: LocalStack) -> None:
        token = stack.issuer.issue("therapist-9", "therapist")
        answer = stack.handle_api("GET", "/private/a", "", {"Authorization": f"Bearer {token}"}, b"")
        assert answer.status == 200
        (event,) = http_echo.events
        assert event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == "therapist-9"

    def test_the_products_only_route_without_the_authorizer_is_the_calendar_feed(self) -> None:
        public = [(route.method, route.path) for route in http_routes() if route.public]
        assert public == [("GET", "/calendar-feeds/{feed}")]


class TestProductEnvironment:
    def test_the_listing_is_read_from_the_table_unless_the_environment_asks_for_the_cache(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Given the product's template, whose ListingCacheSeconds defaults to 60, and no such variable set here
        monkeypatch.delenv("LISTING_CACHE_SECONDS", raising=False)

        # When the local stack works out its functions' environment / Then the listing has no cache: a profile
        # change shows in GET /therapists at once in the local flows
        assert LocalStack().function_environment()["LISTING_CACHE_SECONDS"] == "0"

        # And a developer who sets the variable runs it as deployed
        monkeypatch.setenv("LISTING_CACHE_SECONDS", "60")
        assert LocalStack().function_environment()["LISTING_CACHE_SECONDS"] == "60"
