"""AWS round trips per API route and per invocation of the event-driven functions, through the real handlers on moto.

One scenario drives every HTTP route of template.yaml in turn through `tests.support.api.Api` (HTTP
API v2.0 events routed by template.yaml to the real `lambda_handler`s), on moto in-process with the
table built from template.yaml and a fixed clock, as the handler tests do: the profiles, reads,
booking (with and without an Idempotency-Key), the therapist's answers, the cancellation's terms and the
cancellation, blocks (added, listed, removed), the own reads of a therapist's and a client's profile,
the rearrangements (reschedule, location change, offers), the client's answers to a location
change and to an offer, and the team's rearrangement. Each request must answer with its expected
status, or the run stops; so does a route of template.yaml that the scenario does not measure, so a
new route cannot be forgotten. Only the calls made during the measured request are counted:
everything a step needs was written by the steps before it (with requests that are not measured).
The reads function runs with its `LISTING_CACHE_SECONDS` as the template's default sets it (60), so
the listing's first page is measured twice: cold (one Query) and again from the container's cache.

A second scenario, on a fresh moto, follows sessions through the event-driven functions: a session
is booked and confirmed through the API (not measured), and the outbox event records those writes
put on the table's stream (read from moto's stream, after the template's filter, as Lambda hands
them over) are given to NotificationsFunction and SessionSchedulesFunction; the reminder schedule
that SessionSchedulesFunction created in moto's Scheduler fires: its Input goes to
SessionRemindersFunction with the clock at the schedule's time. Then an offer's expiry schedule
(created the same way) fires into OfferExpiryFunction, and SweeperFunction runs when another offer,
whose schedule is taken as lost, is overdue and a confirmed session has ended. The functions get the
template's parameter defaults for their sender and base URL, and fake ARNs for their schedules.
Each invocation must answer as expected and get exactly the expected emails and texts accepted by
moto's SES and SNS, or the run stops. DynamoDB calls and the other AWS calls (SES, SNS, Scheduler,
SQS) are counted apart.

Calls are seen by wrapping `botocore.client.BaseClient._make_api_call` (see
`benchmarks._support.AwsCallLog`): PynamoDB's client and the boto3 clients (idempotency store,
SES, SNS, Scheduler) all go through it, even when created lazily inside the request.

Targets: a read makes at most 1 DynamoDB call, a state change at most 2 (one read, one
TransactWriteItems; a session read together with its therapist is one BatchGetItem); the HTTP
handlers make no other AWS call. The calendar feed read is the one read allowed 3 (see
docs/calendars.md): the token's lookup item, a strongly consistent GetItem so a rotation takes effect at
once, then one Query of the therapist's sessions by start and one of their reservations (gsi1, their own
partition); the feed secret is read once per container, before the measured requests (a warm container's
case). Reserving recurring slots is allowed 4: a consistent BatchGetItem of the occurrences' units (at most
100 keys a call), the client's profile with their relationship to the therapist (one BatchGetItem), the
therapist's GetItem, then one TransactWriteItems when the claims fit in one transaction (measured with 12
weekly occurrences, 48 units; one that clashes is refused after the reads, with no write); listing
reservations (the therapist's: one Query of gsi1; the client's: one Query of gsi2) is a read; deleting one is
a state change (GetItem, then one TransactWriteItems when the claims given back fit); booking an occurrence
held for the client is a booking (the therapist and the claim on its start in one BatchGetItem, then one
TransactWriteItems that also records it booked on the reservation).

With m the messages an occasion calls for (one party, one channel each): an outbox event at most 1
read (the therapist's and the client's contact details, in one BatchGetItem) + 2 writes per message
(the delivery ledger's in-progress and completed records), and
one send (SES SendEmail or SNS Publish) per message; a reminder the same plus the session's read
(2 + 2m); a record that changes schedules no DynamoDB call and one Scheduler call per schedule; an
expiry 2 (the session, one transaction); a sweep 12 Queries (one page of each of the 10 shards of due
sessions and of the legacy unsharded partition, one of due reservations) + 1 transaction per session it
changes, and no other call; the standing projection 1 conditional UpdateItem per therapist record whose score
changed (0 when it is already right).
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
from therapy_booking.adapters.dynamodb.models import DUE_SHARDS

READ = "read"
WRITE = "state change"
FEED_READ = "feed read"  # opened by its token: the token's lookup (GetItem), the sessions and the reservations
# Reserving recurring slots: one consistent BatchGetItem of the occurrences' units (at most 100 keys a call;
# 26 occurrences of 80 minutes are 156 units, so 2), the client's GetItem, the therapist's GetItem, and one
# TransactWriteItems when the reservation, its event and its claims fit in one (at most 98 claims).
RESERVE = "reservation"
# A client's export: their profile and their assessment (a GetItem each), their sessions (one Query of gsi2 per
# page of 100) and the reservations held for them (one Query of gsi2): 4 for a client with up to 100 sessions.
EXPORT = "export"
# A client's erasure grows with what they have: s sessions (e outbox events in all), f of them ahead, r
# reservations, k keyed bookings, i items of their own. Two Queries of their sessions (one to end those ahead,
# one to strip), 2 per session ahead (its read, its cancellation), a Query of their reservations and 2 per
# reservation, per session a Put (if it held anything personal) and a Query of its events, 1 UpdateItem per event,
# a Query of their keyed bookings and k deletes, a Query of their partition and i deletes, and the Cognito
# AdminDeleteUser: 6 + 2f + 2r + 2s + e + k + i calls. Measured with one keyed session ahead (f = s = k = 1, e = 2:
# booked and cancelled) and i = 3 (the profile, the assessment, the relationship with the therapist): 16.
ERASE = "erasure"
# An admin's read of a session: its GetItem, then the PutItem of its audit entry (a read that cannot be audited is
# not answered, so the entry is written in the same request: 2 calls, where a party's read is 1).
AUDITED_READ = "audited read"
LIMITS = {READ: 1, WRITE: 2, FEED_READ: 3, RESERVE: 4, EXPORT: 4, ERASE: 16, AUDITED_READ: 2}

SLOT_WINDOW = {"from": "2026-12-01T00:00:00Z", "to": "2026-12-29T00:00:00Z"}
IDEMPOTENCY_KEY = "bench-key-0001"

DYNAMODB = "dynamodb"
SERVICE_NAMES = {"sesv2": "SES", "sns": "SNS", "scheduler": "Scheduler", "sqs": "SQS"}  # botocore's name -> shown
NOTIFY = "outbox event"
REMIND = "reminder"
SCHEDULE = "schedule change"
EXPIRE = "expiry"
SWEEP = "sweep"
PROJECT = "record change"


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
    NOTIFY: Budget("message", reads=1, writes_per_unit=2, other_per_unit=1),
    REMIND: Budget("message", reads=2, writes_per_unit=2, other_per_unit=1),
    SCHEDULE: Budget("schedule", reads=0, writes_per_unit=0, other_per_unit=1),
    EXPIRE: Budget("change", reads=1, writes_per_unit=1, other_per_unit=0),
    # one Query per due-index partition of sessions (10 shards and the legacy one), one of due reservations
    SWEEP: Budget("session", reads=DUE_SHARDS + 2, writes_per_unit=1, other_per_unit=0),
    PROJECT: Budget("record", reads=0, writes_per_unit=1, other_per_unit=0),
}
# The event-driven functions' section and its targets, as the summary of `benchmarks.run_all` shows them.
PIPELINE_TITLE = "Event-driven functions' round trips"
PIPELINE_SUMMARY = "AWS calls per invocation of an event-driven function"
PIPELINE_TARGETS = (
    "m messages: event 1 + 2m DynamoDB, reminder 2 + 2m, m sends; schedules 0 DynamoDB, 1 per schedule; "
    "expiry 2; sweep 2 + 1 per session; standing projection 1 per therapist record"
)

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
# The reads function's own variable, as the template's default sets it: the listing's first pages kept 60 seconds
# in the container, so the listing is measured cold (the table) and warm (none).
READS_ENVIRONMENT = {"LISTING_CACHE_SECONDS": "60"}


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
    route: str  # "METHOD /path" as template.yaml writes it

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
    _event_driven(result)
    return result


def _api_operations(result: RoundTripResult) -> None:
    from tests.support.api import Api
    from tests.support.calendar_feed import calendar_feed_environment
    from tests.support.clock import FakeClock
    from tests.support.ical_server import ics
    from tests.support.scenario import (
        ADMIN,
        CLIENT,
        OTHER_CLIENT,
        OTHER_THERAPIST,
        THERAPIST,
        availability,
        booking,
        therapist_profile,
    )
    from therapy_booking.adapters.calendar_fetch import SafeCalendarFetcher
    from therapy_booking.domain.calendar_import import FeedNotModified, FeedValidators, FetchedFeed

    log = AwsCallLog()
    with mock.patch.dict(os.environ, READS_ENVIRONMENT), local_aws(FakeClock()), log.recording():
        api = Api()

        def setup(method: str, path: str, caller: Any, expected: int, **kw: Any) -> Any:
            """A request that only arranges what a measured one needs."""
            answer = api.request(method, path, caller, **kw)
            if answer.status != expected:
                raise RuntimeError(f"{method} {path}: expected {expected}, got {answer.status}: {answer.body}")
            return answer.body

        def measure(
            kind: str,
            route: str,
            caller: Any,
            expected: int,
            path: str = "",
            note: str = "",
            other_calls: int = 0,
            **kw: Any,
        ) -> Any:
            """One request: `route` is "METHOD /path" as template.yaml writes it, `path` the concrete path
            when it has parameters; `other_calls`: the AWS calls besides DynamoDB it makes (counted too)."""
            method, template = route.split(" ", 1)
            operation = f"{route} ({note})" if note else route
            routed, _ = api.handler_for(method, path or template)
            if routed.path != template:
                raise RuntimeError(f"{operation}: {path or template} is routed to {routed.method} {routed.path}")
            mark = log.mark()
            answer = api.request(method, path or template, caller, **kw)
            if answer.status != expected:
                raise RuntimeError(f"{operation}: expected {expected}, got {answer.status}: {answer.body}")
            calls = log.since(mark)
            other = [c for c in calls if c.service != DYNAMODB]
            if len(other) != other_calls:
                raise RuntimeError(f"{operation}: AWS calls besides DynamoDB, which the table does not show: {other}")
            result.operations.append(Measured(operation, kind, answer.status, calls, route))
            return answer.body

        therapist = THERAPIST.sub
        measure(WRITE, "PUT /therapists/me", THERAPIST, 200, body=therapist_profile())
        measure(WRITE, "PUT /therapists/me/availability", THERAPIST, 200, body=availability())
        client_profile = {"name": "Sam Client", "email": "sam@example.com", "timezone": "Europe/London"}
        measure(WRITE, "PUT /clients/me", CLIENT, 200, body=client_profile)
        measure(READ, "GET /therapists/me", THERAPIST, 200)
        measure(READ, "GET /clients/me", CLIENT, 200)
        measure(READ, "GET /therapists", CLIENT, 200, note="first page, cold: read from the table")
        measure(READ, "GET /therapists", OTHER_CLIENT, 200, note="first page again: the container's cache")
        measure(READ, "GET /therapists/{therapist_id}", CLIENT, 200, path=f"/therapists/{therapist}")
        slots = f"/therapists/{therapist}/slots"
        route = "GET /therapists/{therapist_id}/slots"
        measure(READ, route, CLIENT, 200, path=slots, note="4 weeks", query=SLOT_WINDOW)
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
        measure(READ, "GET /sessions/{session_id}", CLIENT, 200, path=f"/sessions/{first_id}")
        route, read = "GET /sessions/{session_id}", f"/sessions/{first_id}"
        measure(AUDITED_READ, route, ADMIN, 200, read, "admin: the read and its audit entry")
        audit = {"session_id": first_id}
        measure(READ, "GET /admin/audit", ADMIN, 200, note="a session's readers", query=audit)
        measure(READ, "GET /admin/audit", ADMIN, 200, note="an admin's reads", query={"admin_id": ADMIN.sub})
        measure(READ, "GET /sessions", CLIENT, 200, note="client")
        measure(READ, "GET /sessions", THERAPIST, 200, note="therapist")
        confirm = f"/sessions/{first_id}/confirm"
        measure(WRITE, "POST /sessions/{session_id}/confirm", THERAPIST, 200, path=confirm)
        decline = f"/sessions/{keyed_id}/decline"
        measure(WRITE, "POST /sessions/{session_id}/decline", THERAPIST, 200, path=decline, body={"reason": "Away"})
        terms = f"/sessions/{first_id}/cancellation-terms"
        measure(READ, "GET /sessions/{session_id}/cancellation-terms", CLIENT, 200, path=terms)
        cancel = f"/sessions/{first_id}/cancel"
        cancelled = {"reason": "Plans changed"}
        measure(WRITE, "POST /sessions/{session_id}/cancel", CLIENT, 200, path=cancel, body=cancelled)
        block_body = {"start": "2026-12-03T09:00:00Z", "end": "2026-12-03T12:00:00Z", "note": "Training"}
        block = measure(WRITE, "POST /therapists/me/blocks", THERAPIST, 201, body=block_body)
        later_block = {"start": "2026-12-04T09:00:00Z", "end": "2026-12-04T10:00:00Z"}
        setup("POST", "/therapists/me/blocks", THERAPIST, 201, body=later_block)
        measure(READ, "GET /therapists/me/blocks", THERAPIST, 200, note="2 blocks")
        unblock = f"/therapists/me/blocks/{block['block_id']}"
        measure(WRITE, "DELETE /therapists/me/blocks/{block_id}", THERAPIST, 204, path=unblock)

        # Rearrangements of a confirmed session: moved, then a location change the client accepts, then
        # one the client rejects (which cancels it).
        moved_id = setup("POST", "/sessions", CLIENT, 201, body=booking(start="2026-12-02T13:00:00Z"))["session_id"]
        setup("POST", f"/sessions/{moved_id}/confirm", THERAPIST, 200)
        route = "POST /sessions/{session_id}/reschedule"
        move = {"start": "2026-12-02T15:00:00Z", "reason": "client_requested"}
        measure(WRITE, route, THERAPIST, 200, path=f"/sessions/{moved_id}/reschedule", body=move)
        relocate = f"/sessions/{moved_id}/location-change"
        to_video = {"location_id": "video", "reason": "therapist_unavailable"}
        note = "therapist_unavailable: asks the client"
        measure(WRITE, "POST /sessions/{session_id}/location-change", THERAPIST, 200, relocate, note, body=to_video)
        route = "POST /sessions/{session_id}/location-change/accept"
        measure(WRITE, route, CLIENT, 200, path=f"{relocate}/accept")
        back = {"location_id": "harley-st", "reason": "therapist_unavailable"}
        setup("POST", relocate, THERAPIST, 200, body=back)
        route = "POST /sessions/{session_id}/location-change/reject"
        measure(WRITE, route, CLIENT, 200, path=f"{relocate}/reject")

        # Alternative times offered on a confirmed session: one accepted, then another offer rejected.
        offered_id = setup("POST", "/sessions", CLIENT, 201, body=booking(start="2026-12-03T10:00:00Z"))["session_id"]
        setup("POST", f"/sessions/{offered_id}/confirm", THERAPIST, 200)
        offers = f"/sessions/{offered_id}/offers"
        alternatives = {"alternatives": [{"start": "2026-12-04T10:00:00Z"}, {"start": "2026-12-04T14:00:00Z"}]}
        offer = measure(WRITE, "POST /sessions/{session_id}/offers", THERAPIST, 201, offers, body=alternatives)["offer"]
        choice = {"alternative_id": offer["alternatives"][0]["alternative_id"]}
        measure(WRITE, "POST /sessions/{session_id}/offers/accept", CLIENT, 200, f"{offers}/accept", body=choice)
        setup("POST", offers, THERAPIST, 201, body={"alternatives": [{"start": "2026-12-07T10:00:00Z"}]})
        measure(WRITE, "POST /sessions/{session_id}/offers/reject", CLIENT, 200, f"{offers}/reject")

        # The team's fixes of a pending session: a move, then a location (whose therapist only the session names).
        fixed_id = setup("POST", "/sessions", CLIENT, 201, body=booking(start="2026-12-08T10:00:00Z"))["session_id"]
        route, fix = "POST /admin/sessions/{session_id}/rearrange", f"/admin/sessions/{fixed_id}/rearrange"
        team_note = {"reason": "error_correction", "note": "Agreed on the phone"}
        measure(WRITE, route, ADMIN, 200, fix, "a move", body={"start": "2026-12-08T11:00:00Z", **team_note})
        measure(WRITE, route, ADMIN, 200, fix, "a location", body={"location_id": "video", **team_note})

        # The team reactivates the therapist (visible profile: listed again in the same write).
        route, reactivate = (
            "POST /admin/therapists/{therapist_id}/reactivate",
            f"/admin/therapists/{therapist}/reactivate",
        )
        measure(WRITE, route, ADMIN, 200, reactivate, body={"note": "Spoke with the therapist"})
        measure(READ, "GET /therapists/me/standing", THERAPIST, 200)

        # The therapist's imported calendar: its address answers a feed with one busy hour (the fetch, the
        # network boundary, is replaced: only DynamoDB calls are counted), then answers "not modified".
        calendar_url = {"url": "https://calendar.example.com/private-0123/basic.ics"}
        busy = ics((datetime(2026, 12, 9, 10, 0, tzinfo=UTC), datetime(2026, 12, 9, 11, 0, tzinfo=UTC)))
        route = "/therapists/me/calendar-import"
        with mock.patch.object(SafeCalendarFetcher, "fetch", return_value=FetchedFeed(busy, FeedValidators('"1"'))):
            measure(WRITE, f"PUT {route}", THERAPIST, 200, note="a first sync: 4 busy units", body=calendar_url)
        measure(READ, f"GET {route}", THERAPIST, 200)
        with mock.patch.object(SafeCalendarFetcher, "fetch", return_value=FeedNotModified()):
            measure(WRITE, f"POST {route}/sync", THERAPIST, 200, note="feed unchanged (304)")
        measure(WRITE, f"DELETE {route}", THERAPIST, 204, note="4 busy units given back")
        route, standing = "GET /admin/therapists/{therapist_id}/standing", f"/admin/therapists/{therapist}/standing"
        measure(READ, route, ADMIN, 200, standing)

        # The therapist's private calendar feed: created on the first read of its address, read again, opened by
        # a calendar app (no token), rotated, and the old address refused. The feed secret is read once per
        # container: another therapist's first request reads it here, as any earlier request of a warm one has.
        with calendar_feed_environment():
            setup("GET", "/therapists/me/calendar-feed", OTHER_THERAPIST, 200)
            route = "GET /therapists/me/calendar-feed"
            url = measure(WRITE, route, THERAPIST, 200, note="first: the feed created")["url"]
            measure(READ, route, THERAPIST, 200, note="again: the same address")
            feed = url.removeprefix("https://api.example.com")
            route = "GET /calendar-feeds/{feed}"
            measure(FEED_READ, route, None, 200, feed, "no token; the therapist's sessions and reservations")
            measure(WRITE, "POST /therapists/me/calendar-feed/rotate", THERAPIST, 200)
            measure(FEED_READ, route, None, 404, feed, "the address before the rotation")

        # Reserved recurring slots: 12 weekly Tuesdays at 16:00 London held for the client (48 units: one
        # BatchGetItem, one transaction), refused while one occurrence clashes with a booked session; listed by
        # the therapist and the client; the client books one held occurrence; the reservation deleted.
        reservations = "/therapists/me/reservations"
        reserve = {
            "client_id": CLIENT.sub,
            "first_start": "2026-12-15T16:00:00Z",
            "every_weeks": 1,
            "occurrences": 12,
            "session_type": "individual",
            "location_id": "harley-st",
        }
        clash = setup("POST", "/sessions", CLIENT, 201, body=booking(start="2027-01-19T16:00:00Z"))["session_id"]
        route = f"POST {reservations}"
        measure(RESERVE, route, THERAPIST, 409, note="the 6th clashes: refused, nothing written", body=reserve)
        setup("POST", f"/sessions/{clash}/cancel", CLIENT, 200, body={"reason": "Plans changed"})
        held = measure(RESERVE, route, THERAPIST, 201, note="12 weekly occurrences, 48 units", body=reserve)
        measure(READ, f"GET {reservations}", THERAPIST, 200, note="1 reservation")
        measure(READ, "GET /clients/me/reservations", CLIENT, 200, note="1 reservation")
        route, held_start = "POST /sessions", held["occurrences"][0]["start"]
        measure(WRITE, route, CLIENT, 201, note="an occurrence held for the client", body=booking(start=held_start))
        route, unreserve = f"DELETE {reservations}/{{reservation_id}}", f"{reservations}/{held['reservation_id']}"
        measure(WRITE, route, THERAPIST, 204, unreserve, "11 held occurrences (44 units) given back")

        # A client's personal data: another client with a profile and one session ahead booked under an
        # Idempotency-Key exports it, then erases it (the session cancelled and stripped, their account deleted).
        from therapy_booking.adapters.aws_clients import cognito_client

        cognito = cognito_client()
        pool_id = cognito.create_user_pool(PoolName="bench")["UserPool"]["Id"]
        cognito.admin_create_user(UserPoolId=pool_id, Username=OTHER_CLIENT.sub)
        os.environ["USER_POOL_ID"] = pool_id
        setup("PUT", "/clients/me", OTHER_CLIENT, 200, body=client_profile)
        keyed_booking = {"body": booking(start="2026-12-16T10:00:00Z"), "headers": {"Idempotency-Key": "bench-key-2"}}
        setup("POST", "/sessions", OTHER_CLIENT, 201, **keyed_booking)
        # Their self-assessment (the questionnaire is served from the code: no call), read by their therapist
        questions = measure(READ, "GET /assessment/questions", OTHER_CLIENT, 200)
        answers = [
            {"question_id": q["question_id"], "answer": 1} for i in questions["instruments"] for q in i["questions"]
        ]
        measure(WRITE, "PUT /clients/me/assessment", OTHER_CLIENT, 200, body={"answers": answers})
        measure(READ, "GET /clients/me/assessment", OTHER_CLIENT, 200)
        assessment = f"/clients/{OTHER_CLIENT.sub}/assessment"
        note = "with the relationship, one BatchGetItem"
        measure(READ, "GET /clients/{client_id}/assessment", THERAPIST, 200, assessment, note)
        measure(EXPORT, "GET /clients/me/export", OTHER_CLIENT, 200, note="a profile, an assessment, 1 session")
        erased = "a profile, 1 keyed session ahead: cancelled, stripped; the account deleted"
        measure(ERASE, "DELETE /clients/me", OTHER_CLIENT, 204, note=erased, other_calls=1)

    _every_route_measured(result.operations)


def _every_route_measured(operations: list[Measured]) -> None:
    """Stop the run if a route of template.yaml was not measured."""
    from local_stack.template import http_routes

    missing = {f"{r.method} {r.path}" for r in http_routes()} - {m.route for m in operations}
    if missing:
        raise RuntimeError(f"routes of template.yaml not measured: {', '.join(sorted(missing))}")


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


def _event_records(records: list[dict[str, Any]], function: str, event_type: str) -> list[dict[str, Any]]:
    """The records of `event_type` among `records` that the function's template filter lets through."""
    from local_stack.streams import matches
    from tests.support.streams import template_filters

    patterns = template_filters(function)
    delivered = [r for r in records if not patterns or any(matches(p, r) for p in patterns)]
    return [r for r in delivered if r["dynamodb"]["NewImage"].get("event_type", {}).get("S") == event_type]


def _event_record(records: list[dict[str, Any]], function: str, event_type: str) -> dict[str, Any]:
    """The one record of `event_type` among `records` that the function's template filter lets through."""
    found = _event_records(records, function, event_type)
    if len(found) != 1:
        raise RuntimeError(f"{function}: expected one {event_type} record, got {len(found)}")
    return found[0]


def _therapist_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The therapist records among `records` that the standing projection's filter lets through."""
    from local_stack.streams import matches
    from tests.support.streams import template_filters

    patterns = template_filters("TherapistStandingFunction")
    return [r for r in records if any(matches(p, r) for p in patterns)]


def _event_driven(result: RoundTripResult) -> None:
    from functions.notifications import app as notifications
    from functions.offer_expiry import app as offer_expiry
    from functions.session_reminders import app as session_reminders
    from functions.session_schedules import app as session_schedules
    from functions.sweeper import app as sweeper
    from functions.therapist_standing import app as therapist_standing
    from local_stack import outbox
    from tests.support.api import Api
    from tests.support.clock import FakeClock
    from tests.support.http import LambdaContext
    from tests.support.scenario import CLIENT, THERAPIST, availability, booking, therapist_profile
    from tests.support.streams import TableStream
    from therapy_booking.adapters import aws_clients
    from therapy_booking.adapters.session_schedules import expiry_name, reminder_name
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
        (answered,) = _therapist_records(records)
        project = consume(therapist_standing.lambda_handler, answered)
        project_trigger = "therapist record: a first answer counted, rank score and listing key written"
        measure("TherapistStandingFunction", PROJECT, project_trigger, 1, project, NO_FAILURES)
        schedules_record = _event_record(records, "SessionSchedulesFunction", EventType.SESSION_CONFIRMED)
        plan = consume(session_schedules.lambda_handler, schedules_record)
        plan_trigger = "`session.confirmed` record: reminder schedule created, response reminder deleted"
        measure("SessionSchedulesFunction", SCHEDULE, plan_trigger, 2, plan, NO_FAILURES)

        # The reminder schedule fires: its Input, at its time.
        def fire(name: str) -> dict[str, Any]:
            """A one-time schedule's Input, with the clock at its time."""
            schedule = scheduler.get_schedule(Name=name, GroupName=os.environ["SCHEDULE_GROUP"])
            expression = str(schedule["ScheduleExpression"])  # at(yyyy-mm-ddThh:mm:ss), UTC
            clock.set(datetime.fromisoformat(expression.removeprefix("at(").removesuffix(")")).replace(tzinfo=UTC))
            planned: dict[str, Any] = json.loads(schedule["Target"]["Input"])
            return planned

        planned = fire(reminder_name(session_id))

        def remind() -> Any:
            return session_reminders.lambda_handler(planned, context)

        reminded = {"outcome": "reminded", "session_id": session_id, "sent": 4, "skipped": 0}
        remind_trigger = "reminder schedule's Input: both parties, email + SMS"
        measure("SessionRemindersFunction", REMIND, remind_trigger, 4, remind, reminded, sends=4)

        # Two confirmed sessions get alternative times on offer (the records are consumed by
        # SessionSchedulesFunction, not measured). The first offer's expiry schedule fires.
        def offered(start: str, alternative: str) -> tuple[str, str]:
            offered_id = setup("POST", "/sessions", CLIENT, 201, booking(start=start))["session_id"]
            setup("POST", f"/sessions/{offered_id}/confirm", THERAPIST, 200)
            body = {"alternatives": [{"start": alternative}]}
            offer = setup("POST", f"/sessions/{offered_id}/offers", THERAPIST, 201, body)["offer"]
            return offered_id, offer["offer_id"]

        _, expiring_offer = offered("2026-12-09T10:00:00Z", "2026-12-10T10:00:00Z")
        offered("2026-12-09T13:00:00Z", "2026-12-10T13:00:00Z")
        offers = _event_records(stream.new_records(), "SessionSchedulesFunction", EventType.ALTERNATIVES_OFFERED)
        if len(offers) != 2 or session_schedules.lambda_handler({"Records": offers}, context) != NO_FAILURES:
            raise RuntimeError("SessionSchedulesFunction did not schedule both offers' expiry")
        planned_expiry = fire(expiry_name(expiring_offer))

        def expire() -> Any:
            return offer_expiry.lambda_handler(planned_expiry, context)

        expired = {"outcome": "expired", **planned_expiry, "status": "cancelled"}
        expire_trigger = "expiry schedule's Input: an offer left unanswered"
        measure("OfferExpiryFunction", EXPIRE, expire_trigger, 1, expire, expired)

        # The sweeper's run once the other offer is overdue too (its schedule taken as lost) and the first
        # session (confirmed, reminded) has ended.
        clock.set(datetime(2026, 12, 2, 11, 0, tzinfo=UTC))
        swept = {"expired": 1, "completed": 1, "released": 0, "skipped": 0, "failed": 0}
        swept |= {f"reservations_{count}": 0 for count in ("released", "ended", "abandoned", "skipped", "failed")}
        sweep_trigger = "a run: an overdue offer whose schedule was lost, a session that ended"
        measure("SweeperFunction", SWEEP, sweep_trigger, 2, lambda: sweeper.lambda_handler({}, context), swept)


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
            "DynamoDB calls made by each request, every route of template.yaml (in order; failed conditional "
            "writes show their error code). Targets: a read at most 1 call, a state change at most 2, the calendar "
            "feed (opened by its token) 3: the token's lookup, then the sessions and the reservations; a reservation "
            "of recurring slots 4: the occurrences' units in one consistent BatchGetItem (at most 100 keys a call), "
            "the client with their relationship to the therapist, the therapist, then one TransactWriteItems when "
            "its claims fit in one; an admin's read of a session 2: the session, then its audit entry (written in "
            "the same request: a read that cannot be audited is not answered). No request makes any other AWS "
            "call (the feed secret is read once per container, before these).",
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
            "AWS calls made by each invocation of an event-driven function (one record, schedule or run each), "
            "DynamoDB apart from the others (per operation; failed conditional writes show their error code). "
            "Targets, for m messages (one party, one channel each): an outbox event at most 1 + 2m DynamoDB "
            "calls (the therapist's and the client's contact details in one BatchGetItem, then the delivery "
            "ledger's in-progress and completed records per message) and m sends; a reminder at most 2 + 2m "
            "(the session too) and m sends; a record that changes schedules no DynamoDB call and one Scheduler "
            "call per schedule; an expiry 2 (the session, one transaction); a sweep 12 Queries (the 10 shards of "
            "due sessions, the legacy partition, due reservations) + 1 transaction per session it changes, and no "
            "other call; the standing projection 1 UpdateItem per therapist record.",
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
