"""AWS round trips per API operation and per notification-pipeline invocation, through the real handlers on moto.

One scenario drives every HTTP operation in turn through `tests.support.api.Api` (HTTP API v2.0
events routed by template.yaml to the real `lambda_handler`s), on moto in-process with the table
built from template.yaml and a fixed clock, as the handler tests do. Each request must answer with
its expected status, or the run stops. Only the calls made during the measured request are
counted: everything a step needs was written by the steps before it.

A second scenario, on a fresh moto, follows one session down the notification pipeline: it is
booked and confirmed through the API (not measured), and the outbox event records those writes put
on the table's stream (read from moto's stream, after the template's filter, as Lambda hands them
over) are given to NotificationsFunction and SessionSchedulesFunction; then the reminder schedule
that SessionSchedulesFunction created in moto's Scheduler fires: its Input goes to
SessionRemindersFunction with the clock at the schedule's time. The functions get the template's
parameter defaults for their sender and base URL, and fake ARNs for their schedules. Each
invocation must report no failure and get exactly the expected emails and texts accepted by moto's
SES and SNS, or the run stops. DynamoDB calls and the other AWS calls (SES, SNS, Scheduler) are
counted apart.

Calls are seen by wrapping `botocore.client.BaseClient._make_api_call` (see
`benchmarks._support.AwsCallLog`): PynamoDB's client and the boto3 clients (idempotency store,
SES, SNS, Scheduler) all go through it, even when created lazily inside the request.

Targets: a read makes at most 1 DynamoDB call, a state change at most 2 (one read, one
TransactWriteItems); the HTTP handlers make no other AWS call. With m the messages an occasion
calls for (one party, one channel each): an outbox event at most 2 reads (the therapist's and the
client's contact details) + 2 writes per message (the delivery ledger's in-progress and completed
records), and one send (SES SendEmail or SNS Publish) per message; a reminder the same plus the
session's read (3 + 2m); a record that changes schedules no DynamoDB call and one Scheduler call
per schedule.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from benchmarks._support import AwsCall, AwsCallLog, local_aws, markdown_table, verdict

READ = "read"
WRITE = "state change"
LIMITS = {READ: 1, WRITE: 2}

SLOT_WINDOW = {"from": "2026-12-01T00:00:00Z", "to": "2026-12-29T00:00:00Z"}
IDEMPOTENCY_KEY = "bench-key-0001"

DYNAMODB = "dynamodb"
SERVICE_NAMES = {"sesv2": "SES", "sns": "SNS", "scheduler": "Scheduler"}  # botocore's name -> shown
NOTIFY = "outbox event"
REMIND = "reminder"
SCHEDULE = "schedule change"


@dataclass(frozen=True)
class Budget:
    """A pipeline target for an invocation with n units (messages, or schedules it changes): at most
    `reads` + `writes_per_unit` x n DynamoDB calls and `other_per_unit` x n other AWS calls."""

    unit: str
    reads: int
    writes_per_unit: int
    other_per_unit: int

    def dynamodb(self, units: int) -> int:
        return self.reads + self.writes_per_unit * units

    def other(self, units: int) -> int:
        return self.other_per_unit * units


BUDGETS = {
    NOTIFY: Budget("message", reads=2, writes_per_unit=2, other_per_unit=1),
    REMIND: Budget("message", reads=3, writes_per_unit=2, other_per_unit=1),
    SCHEDULE: Budget("schedule", reads=0, writes_per_unit=0, other_per_unit=1),
}

# The pipeline functions' own environment: the template's parameter defaults, fake ARNs for the schedules.
SENDER = "bookings@example.com"
PIPELINE_ENVIRONMENT = {
    "EMAIL_SENDER": SENDER,
    "DASHBOARD_BASE_URL": "https://app.example.com",
    "SCHEDULE_GROUP": "therapy-booking-bench-sessions",
    "EXPIRY_FUNCTION_ARN": "arn:aws:lambda:eu-west-2:123456789012:function:OfferExpiryFunction",
    "REMINDER_FUNCTION_ARN": "arn:aws:lambda:eu-west-2:123456789012:function:SessionRemindersFunction",
    "SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/therapy-booking-SchedulerRole",
    "SCHEDULES_DLQ_ARN": "arn:aws:sqs:eu-west-2:123456789012:SchedulesDeadLetterQueue",
}
NO_FAILURES: dict[str, Any] = {"batchItemFailures": []}


def _label(call: AwsCall) -> str:
    name = (
        call.operation
        if call.service == DYNAMODB
        else f"{SERVICE_NAMES.get(call.service, call.service)} {call.operation}"
    )
    return name + (f" ({call.error})" if call.error else "")


def sequence(calls: list[AwsCall]) -> str:
    """The calls in order, failed ones with their error code."""
    return ", ".join(_label(c) for c in calls) or "none"


def summary(calls: list[AwsCall]) -> str:
    counts = Counter(_label(c) for c in calls)
    return ", ".join(f"{name} x{n}" if n > 1 else name for name, n in counts.items()) or "none"


@dataclass
class Measured:
    operation: str
    kind: str
    status: int
    calls: list[AwsCall]

    @property
    def count(self) -> int:
        return len(self.calls)

    @property
    def limit(self) -> int:
        return LIMITS[self.kind]

    @property
    def met(self) -> bool:
        return self.count <= self.limit

    @property
    def sequence(self) -> str:
        return sequence(self.calls)

    @property
    def summary(self) -> str:
        return summary(self.calls)


@dataclass
class Invocation:
    """One invocation of a pipeline function: what it handled, the units it called for, its AWS calls."""

    function: str
    kind: str
    trigger: str
    units: int
    calls: list[AwsCall]

    @property
    def budget(self) -> Budget:
        return BUDGETS[self.kind]

    @property
    def dynamodb(self) -> list[AwsCall]:
        return [c for c in self.calls if c.service == DYNAMODB]

    @property
    def other(self) -> list[AwsCall]:
        return [c for c in self.calls if c.service != DYNAMODB]

    @property
    def dynamodb_limit(self) -> int:
        return self.budget.dynamodb(self.units)

    @property
    def other_limit(self) -> int:
        return self.budget.other(self.units)

    @property
    def met(self) -> bool:
        return len(self.dynamodb) <= self.dynamodb_limit and len(self.other) <= self.other_limit

    @property
    def units_label(self) -> str:
        return f"{self.units} {self.budget.unit}{'' if self.units == 1 else 's'}"


@dataclass
class RoundTripResult:
    operations: list[Measured] = field(default_factory=list)
    pipeline: list[Invocation] = field(default_factory=list)

    @property
    def operations_met(self) -> bool:
        return all(m.met for m in self.operations)

    @property
    def pipeline_met(self) -> bool:
        return all(i.met for i in self.pipeline)

    @property
    def all_met(self) -> bool:
        return self.operations_met and self.pipeline_met


def run() -> RoundTripResult:
    result = RoundTripResult()
    _api_operations(result)
    _notification_pipeline(result)
    return result


def _api_operations(result: RoundTripResult) -> None:
    from tests.support.api import Api
    from tests.support.clock import FakeClock
    from tests.support.scenario import CLIENT, THERAPIST, availability, booking, therapist_profile

    log = AwsCallLog()
    with local_aws(FakeClock()), log.recording():
        api = Api()

        def measure(
            kind: str, route: str, caller: Any, expected: int, path: str = "", note: str = "", **kw: Any
        ) -> Any:
            """One request: `route` is "METHOD /template", `path` the concrete path when it has parameters."""
            method, template = route.split(" ", 1)
            operation = f"{route} ({note})" if note else route
            mark = log.mark()
            answer = api.request(method, path or template, caller, **kw)
            if answer.status != expected:
                raise RuntimeError(f"{operation}: expected {expected}, got {answer.status}: {answer.body}")
            calls = log.since(mark)
            other = [c for c in calls if c.service != DYNAMODB]
            if other:
                raise RuntimeError(f"{operation}: AWS calls besides DynamoDB, which the table does not show: {other}")
            result.operations.append(Measured(operation, kind, answer.status, calls))
            return answer.body

        therapist = THERAPIST.sub
        measure(WRITE, "PUT /therapists/me", THERAPIST, 200, body=therapist_profile())
        measure(WRITE, "PUT /therapists/me/availability", THERAPIST, 200, body=availability())
        client_profile = {"name": "Sam Client", "email": "sam@example.com", "timezone": "Europe/London"}
        measure(WRITE, "PUT /clients/me", CLIENT, 200, body=client_profile)
        measure(READ, "GET /therapists", CLIENT, 200)
        measure(READ, "GET /therapists/{id}", CLIENT, 200, path=f"/therapists/{therapist}")
        slots = f"/therapists/{therapist}/slots"
        measure(READ, "GET /therapists/{id}/slots", CLIENT, 200, path=slots, note="4 weeks", query=SLOT_WINDOW)
        first = measure(WRITE, "POST /sessions", CLIENT, 201, note="no Idempotency-Key", body=booking())
        keyed_request: dict[str, Any] = {
            "body": booking(start="2026-12-02T11:00:00Z"),
            "headers": {"Idempotency-Key": IDEMPOTENCY_KEY},
        }
        keyed = measure(WRITE, "POST /sessions", CLIENT, 201, note="Idempotency-Key, first", **keyed_request)
        replay = measure(WRITE, "POST /sessions", CLIENT, 201, note="same Idempotency-Key, replay", **keyed_request)
        if replay["session_id"] != keyed["session_id"]:
            raise RuntimeError("the replay booked another session")
        first_id, keyed_id = first["session_id"], keyed["session_id"]
        measure(READ, "GET /sessions/{id}", CLIENT, 200, path=f"/sessions/{first_id}")
        measure(READ, "GET /sessions", CLIENT, 200, note="client")
        measure(READ, "GET /sessions", THERAPIST, 200, note="therapist")
        measure(WRITE, "POST /sessions/{id}/confirm", THERAPIST, 200, path=f"/sessions/{first_id}/confirm")
        decline = f"/sessions/{keyed_id}/decline"
        measure(WRITE, "POST /sessions/{id}/decline", THERAPIST, 200, path=decline, body={"reason": "Away"})
        cancel = f"/sessions/{first_id}/cancel"
        measure(WRITE, "POST /sessions/{id}/cancel", CLIENT, 200, path=cancel, body={"reason": "Plans changed"})
        block_body = {"start": "2026-12-03T09:00:00Z", "end": "2026-12-03T12:00:00Z", "note": "Training"}
        block = measure(WRITE, "POST /therapists/me/blocks", THERAPIST, 201, body=block_body)
        unblock = f"/therapists/me/blocks/{block['block_id']}"
        measure(WRITE, "DELETE /therapists/me/blocks/{id}", THERAPIST, 204, path=unblock)


@contextmanager
def _quiet_logs() -> Iterator[None]:
    """The pipeline handlers log every message they send at INFO (on stdout): kept out of the report."""
    import logging

    logger = logging.getLogger(os.environ.get("POWERTOOLS_SERVICE_NAME", "therapy-booking"))
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _event_record(records: list[dict[str, Any]], function: str, event_type: str) -> dict[str, Any]:
    """The one record of `event_type` among `records` that the function's template filter lets through."""
    from local_stack.streams import matches
    from tests.support.streams import template_filters

    patterns = template_filters(function)
    delivered = [r for r in records if not patterns or any(matches(p, r) for p in patterns)]
    found = [r for r in delivered if r["dynamodb"]["NewImage"].get("event_type", {}).get("S") == event_type]
    if len(found) != 1:
        raise RuntimeError(f"{function}: expected one {event_type} record, got {len(found)} of {len(delivered)}")
    return found[0]


def _notification_pipeline(result: RoundTripResult) -> None:
    from functions.notifications import app as notifications
    from functions.session_reminders import app as session_reminders
    from functions.session_schedules import app as session_schedules
    from local_stack import outbox
    from tests.support.api import Api
    from tests.support.clock import FakeClock
    from tests.support.http import LambdaContext
    from tests.support.scenario import CLIENT, THERAPIST, availability, booking, therapist_profile
    from tests.support.streams import TableStream
    from therapy_booking.adapters import aws_clients
    from therapy_booking.domain.events import EventType

    context: Any = LambdaContext()
    clock = FakeClock()
    log = AwsCallLog()
    with (
        mock.patch.dict(os.environ, PIPELINE_ENVIRONMENT),
        local_aws(clock) as dynamodb,
        _quiet_logs(),
        log.recording(),
    ):
        region = os.environ["AWS_REGION"]
        aws_clients.ses_client().create_email_identity(EmailIdentity=SENDER)
        scheduler = aws_clients.scheduler_client()
        scheduler.create_schedule_group(Name=os.environ["SCHEDULE_GROUP"])
        stream = TableStream(dynamodb, os.environ["TABLE_NAME"])
        api = Api()

        def setup(method: str, path: str, caller: Any, expected: int, body: Any = None) -> Any:
            answer = api.request(method, path, caller, body=body)
            if answer.status != expected:
                raise RuntimeError(f"{method} {path}: expected {expected}, got {answer.status}: {answer.body}")
            return answer.body

        def sent() -> int:
            messages = outbox.sent(region)
            return len(messages["emails"]) + len(messages["sms"])

        def measure(
            function: str,
            kind: str,
            trigger: str,
            units: int,
            invoke: Callable[[], Any],
            expected: dict[str, Any],
            sends: int = 0,
        ) -> None:
            """One invocation: it must answer `expected` and get `sends` emails and texts accepted."""
            before, mark = sent(), log.mark()
            answer = dict(invoke())
            if answer != expected:
                raise RuntimeError(f"{function} ({trigger}): expected {expected}, got {answer}")
            if sent() - before != sends:
                raise RuntimeError(f"{function} ({trigger}): expected {sends} messages sent, got {sent() - before}")
            result.pipeline.append(Invocation(function, kind, trigger, units, log.since(mark)))

        # Both parties opted in to texts, with valid numbers: a booking tells the therapist by email and
        # SMS, a confirmation the client by email (with the .ics), a reminder both by email and SMS.
        setup("PUT", "/therapists/me", THERAPIST, 200, therapist_profile())
        setup("PUT", "/therapists/me/availability", THERAPIST, 200, availability())
        client_profile = {
            "name": "Sam Client",
            "email": "sam@example.com",
            "phone": "+447700900002",
            "sms_opt_in": True,
            "timezone": "Europe/London",
        }
        setup("PUT", "/clients/me", CLIENT, 200, client_profile)
        stream.new_records()  # the profiles' records: no event among them
        session_id = setup("POST", "/sessions", CLIENT, 201, booking())["session_id"]
        booked = _event_record(stream.new_records(), "NotificationsFunction", EventType.SESSION_BOOKED)

        def consume(handler: Callable[..., Any], record: dict[str, Any]) -> Callable[[], Any]:
            return lambda: handler({"Records": [record]}, context)

        notify = consume(notifications.lambda_handler, booked)
        booked_trigger = "`session.booked` record: therapist email + SMS"
        measure("NotificationsFunction", NOTIFY, booked_trigger, 2, notify, NO_FAILURES, sends=2)
        again = "the same record delivered again (both sent)"
        measure("NotificationsFunction", NOTIFY, again, 2, notify, NO_FAILURES, sends=0)

        setup("POST", f"/sessions/{session_id}/confirm", THERAPIST, 200)
        records = stream.new_records()
        confirmed = _event_record(records, "NotificationsFunction", EventType.SESSION_CONFIRMED)
        confirmed_trigger = "`session.confirmed` record: client email with .ics"
        notify = consume(notifications.lambda_handler, confirmed)
        measure("NotificationsFunction", NOTIFY, confirmed_trigger, 1, notify, NO_FAILURES, sends=1)
        schedules_record = _event_record(records, "SessionSchedulesFunction", EventType.SESSION_CONFIRMED)
        plan = consume(session_schedules.lambda_handler, schedules_record)
        plan_trigger = "`session.confirmed` record: reminder schedule"
        measure("SessionSchedulesFunction", SCHEDULE, plan_trigger, 1, plan, NO_FAILURES)

        # The reminder schedule fires: its Input, at its time.
        schedule = scheduler.get_schedule(Name=f"remind-{session_id}", GroupName=os.environ["SCHEDULE_GROUP"])
        expression = str(schedule["ScheduleExpression"])  # at(yyyy-mm-ddThh:mm:ss), UTC
        clock.set(datetime.fromisoformat(expression.removeprefix("at(").removesuffix(")")).replace(tzinfo=UTC))
        planned: dict[str, Any] = json.loads(schedule["Target"]["Input"])

        def remind() -> Any:
            return session_reminders.lambda_handler(planned, context)

        reminded = {"outcome": "reminded", "session_id": session_id, "sent": 4, "skipped": 0}
        remind_trigger = "reminder schedule's Input: both parties, email + SMS"
        measure("SessionRemindersFunction", REMIND, remind_trigger, 4, remind, reminded, sends=4)


def to_markdown(result: RoundTripResult) -> str:
    return operations_markdown(result) + "\n\n" + pipeline_markdown(result)


def operations_markdown(result: RoundTripResult) -> str:
    rows = [
        [f"`{m.operation}`", m.kind, m.status, m.sequence, m.count, f"<= {m.limit}", verdict(m.met)]
        for m in result.operations
    ]
    met = sum(m.met for m in result.operations)
    return "\n".join(
        [
            "DynamoDB calls made by each request (in order; failed conditional writes show their error code). "
            "Targets: a read at most 1 call, a state change at most 2. No request makes any other AWS call.",
            "",
            markdown_table(["operation", "kind", "HTTP", "DynamoDB calls", "count", "target", "verdict"], rows),
            "",
            f"{met} of {len(result.operations)} operations meet their target.",
        ]
    )


def pipeline_markdown(result: RoundTripResult) -> str:
    rows = [
        [
            i.function,
            i.trigger,
            i.units_label,
            summary(i.dynamodb),
            len(i.dynamodb),
            f"<= {i.dynamodb_limit}",
            summary(i.other),
            len(i.other),
            f"<= {i.other_limit}",
            verdict(i.met),
        ]
        for i in result.pipeline
    ]
    met = sum(i.met for i in result.pipeline)
    headers = ["function", "input", "calls for", "DynamoDB calls", "count", "target"]
    headers += ["other AWS calls", "count", "target", "verdict"]
    return "\n".join(
        [
            "AWS calls made by each invocation of the notification pipeline, one record or reminder each, "
            "DynamoDB apart from the others (per operation; failed conditional writes show their error code). "
            "Targets, for m messages (one party, one channel each): an outbox event at most 2 + 2m DynamoDB "
            "calls (the therapist's and the client's contact details, then the delivery ledger's in-progress "
            "and completed records per message) and m sends; a reminder at most 3 + 2m (the session too) "
            "and m sends; a record that changes schedules no DynamoDB call and one Scheduler call per schedule.",
            "",
            markdown_table(headers, rows),
            "",
            f"{met} of {len(result.pipeline)} invocations meet their target.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.parse_args(argv)
    print(to_markdown(run()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
