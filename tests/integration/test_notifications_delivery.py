"""Notifications on moto: the outbox stream consumer sends each message of each session event once,
by SES email and SNS SMS, and a failing send fails only its own record.

Stream records are read from moto's stream of the template's table (written by the real repository)
and handed over as Lambda does, after the template's filter. What was sent is read back from moto's
SES and SNS (the local stack's outbox). The delivery ledger is the real Powertools idempotency store
in the same table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from fnmatch import fnmatchcase
from typing import Any
from unittest import mock

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from botocore.exceptions import ClientError
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import RawMessage, ses_backends

from functions.notifications import app as notifications
from local_stack import outbox
from tests.support.clock import FakeClock
from tests.support.domain_data import AVAILABILITY, CLIENT, OTHER_CLIENT, PROFILE, THERAPIST, WEDNESDAY_10, request
from tests.support.http import LambdaContext
from tests.support.logs import captured_logs
from tests.support.streams import TableStream, record_of
from tests.test_events import allowed, needed, recording_aws_calls
from therapy_booking.adapters import aws_clients
from therapy_booking.adapters.delivery_ledger import PowertoolsDeliveryLedger
from therapy_booking.adapters.dynamodb.codecs import client_therapist_item
from therapy_booking.adapters.dynamodb.reservations import DynamoReservations
from therapy_booking.domain.model import ClientProfile, Session, SessionType
from therapy_booking.domain.reservations import Reservation, ReservationRequest, ReservationService
from therapy_booking.domain.services import new_id
from therapy_booking.wiring import container

TABLE = os.environ["TABLE_NAME"]
REGION = os.environ["AWS_REGION"]
SENDER = "bookings@therapy.example"
BASE_URL = "https://app.therapy.example"
CONSUMER = "NotificationsFunction"
CONTEXT: Any = LambdaContext()
LEDGER_PARTITION = "IDEMPOTENCY#notifications"

THERAPIST_PHONE = "+447700900001"
CLIENT_PHONE = "+447700900002"
OTHER_CLIENT_PHONE = "+447700900003"
THERAPIST_TEXTS = replace(PROFILE, phone=THERAPIST_PHONE, sms_opt_in=True)
CLIENT_PROFILE = ClientProfile(CLIENT.user_id, "Sam Client", "sam@client.example", CLIENT_PHONE, True, "Europe/Paris")
OTHER_CLIENT_PROFILE = ClientProfile(
    OTHER_CLIENT.user_id, "Alex Other", "alex@client.example", OTHER_CLIENT_PHONE, False, "Europe/London"
)
PERSONAL = (
    PROFILE.name,
    PROFILE.email,
    THERAPIST_PHONE,
    CLIENT_PROFILE.name,
    CLIENT_PROFILE.email,
    CLIENT_PHONE,
    OTHER_CLIENT_PROFILE.name,
    OTHER_CLIENT_PROFILE.email,
    OTHER_CLIENT_PHONE,
)
IAM_PREFIX = {"sesv2": "ses"}  # botocore's service name -> the IAM action prefix


# --- fixtures --------------------------------------------------------------------------------------


def deliver_on_moto(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The functions' environment as the template sets it, the sender verified in SES, and the container
    afresh on it: the real renderer, senders and ledger, on moto."""
    monkeypatch.setenv("EMAIL_SENDER", SENDER)
    monkeypatch.setenv("DASHBOARD_BASE_URL", BASE_URL)
    aws_clients.ses_client().create_email_identity(EmailIdentity=SENDER)
    container.reset(clock=clock)
    _ = container.storage  # binds the table


@pytest.fixture
def delivery(aws: Any, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    deliver_on_moto(clock, monkeypatch)


@pytest.fixture
def stream(aws: Any) -> TableStream:
    return TableStream(aws, TABLE)


def people(therapist_profile: Any = THERAPIST_TEXTS) -> None:
    container.therapists.put_profile(THERAPIST, therapist_profile)
    container.therapists.put_availability(THERAPIST, AVAILABILITY)
    container.clients.put_profile(CLIENT, CLIENT_PROFILE)
    container.clients.put_profile(OTHER_CLIENT, OTHER_CLIENT_PROFILE)


@pytest.fixture
def therapist_who_texts(delivery: None) -> None:
    people()


# --- helpers -----------------------------------------------------------------------------------


@contextmanager
def within_policy(function: str) -> Iterator[list[tuple[str, str, dict[str, Any]]]]:
    """Fails if the code inside makes an AWS call that the function's own policy in template.yaml does not
    allow, including the policy's conditions: writes only under the ledger's partition, email only from the
    platform's sender, SMS only to a phone number (never a topic)."""
    permitted = allowed(function)
    with recording_aws_calls() as calls:
        yield calls
    for service, operation, params in calls:
        for action, resource, table in needed(IAM_PREFIX.get(service, service), operation, params):
            assert table in (None, TABLE), f"{operation} on another table: {table}"
            assert any(action == granted and fnmatchcase(resource, pattern) for granted, pattern in permitted), (
                f"{function} calls {action} on {resource}, which its policy in template.yaml does not allow"
            )
        if service == "dynamodb" and operation in ("PutItem", "UpdateItem", "DeleteItem"):
            key = params.get("Item") or params.get("Key") or {}
            assert key.get("pk") == {"S": LEDGER_PARTITION}, f"{operation} outside {LEDGER_PARTITION}"
        if service == "sesv2":
            assert params["FromEmailAddress"] == SENDER
        if service == "sns":
            assert "PhoneNumber" in params and not {"TopicArn", "TargetArn"} & set(params)


def consume(records: list[dict[str, Any]]) -> dict[str, Any]:
    with within_policy(CONSUMER):
        response: dict[str, Any] = dict(notifications.lambda_handler({"Records": records}, CONTEXT))
    return response


def sent() -> dict[str, list[dict[str, Any]]]:
    return outbox.sent(REGION)


def emails_to(address: str) -> list[dict[str, Any]]:
    return [email for email in sent()["emails"] if email["to"] == [address]]


def texts_to(number: str) -> list[str]:
    return [sms["text"] for sms in sent()["sms"] if sms["to"] == number]


def raw_emails() -> list[EmailMessage]:
    messages = []
    for message in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages:
        assert isinstance(message, RawMessage)
        data = message.raw_data.encode() if isinstance(message.raw_data, str) else message.raw_data
        parsed = BytesParser(policy=policy.default).parsebytes(data)
        assert isinstance(parsed, EmailMessage)
        messages.append(parsed)
    return messages


def sequence_number(record: dict[str, Any]) -> str:
    found: str = record["dynamodb"]["SequenceNumber"]
    return found


def failing(client: Any, operation: str, code: str, when: Callable[[dict[str, Any]], bool], message: str = "") -> Any:
    """Patch a client so that `operation` fails with `code` for the calls `when` picks (after the client's retries)."""
    real = getattr(client, operation)

    def call(**kwargs: Any) -> Any:
        if when(kwargs):
            raise ClientError({"Error": {"Code": code, "Message": message or code}}, operation)
        return real(**kwargs)

    return mock.patch.object(client, operation, side_effect=call)


def to_recipient(address: str) -> Callable[[dict[str, Any]], bool]:
    return lambda call: call["Destination"]["ToAddresses"] == [address]


def book(client: Any = CLIENT, start: datetime = WEDNESDAY_10) -> Session:
    return container.sessions.book(client, request(start))


def confirmed(client: Any = CLIENT, start: datetime = WEDNESDAY_10) -> Session:
    return container.sessions.confirm(THERAPIST, book(client, start).session_id)


# --- the consumer ----------------------------------------------------------------------------------


class TestWhoIsTold:
    @pytest.mark.parametrize("opted_in", [True, False], ids=["therapist opted in to SMS", "therapist opted out"])
    def test_a_booking_tells_the_therapist_by_email_and_by_sms_if_opted_in(
        self, delivery: None, stream: TableStream, opted_in: bool
    ) -> None:
        # Given a therapist who did (or did not) opt in to texts, and a client's booking
        people(THERAPIST_TEXTS if opted_in else replace(THERAPIST_TEXTS, sms_opt_in=False))
        booked = book()
        records = stream.new_records_for(CONSUMER)
        assert [r["dynamodb"]["NewImage"]["event_type"]["S"] for r in records] == ["session.booked"]

        # When the consumer receives the booking's record
        response = consume(records)

        # Then nothing failed, and the therapist got exactly one email about it, from the platform's sender
        assert response == {"batchItemFailures": []}
        (email,) = sent()["emails"]
        assert email["to"] == [PROFILE.email]
        assert email["text"] and email["html"]
        (message,) = raw_emails()
        assert message["From"].addresses[0].addr_spec == SENDER
        # And one text if they opted in, none otherwise; the client was told nothing
        assert len(texts_to(THERAPIST_PHONE)) == (1 if opted_in else 0)
        assert len(sent()["sms"]) == (1 if opted_in else 0)
        # And it links to the session's page on the dashboard
        assert f"{BASE_URL}/sessions/{booked.session_id}" in email["text"]

    def test_a_confirmation_sends_the_client_an_email_with_a_calendar_invitation(
        self, therapist_who_texts: None, stream: TableStream
    ) -> None:
        # Given a booking already announced to the therapist
        session = book()
        consume(stream.new_records_for(CONSUMER))
        outbox.clear(REGION)

        # When the therapist confirms it and the consumer receives the confirmation's record
        container.sessions.confirm(THERAPIST, session.session_id)
        response = consume(stream.new_records_for(CONSUMER))

        # Then the client got one email (no text: the mapping has none for a confirmation), the therapist nothing
        assert response == {"batchItemFailures": []}
        (email,) = sent()["emails"]
        assert email["to"] == [CLIENT_PROFILE.email]
        assert sent()["sms"] == []
        # And it carries the invitation as an .ics calendar entry, sent as a request calendar clients act on
        (attachment,) = email["attachments"]
        assert attachment["filename"].endswith(".ics")
        assert attachment["content_type"] == "text/calendar"
        (message,) = raw_emails()
        (part,) = message.iter_attachments()
        assert isinstance(part, EmailMessage)
        assert part.get_param("method") == "REQUEST"
        assert b"METHOD:REQUEST" in part.get_payload(decode=True)

    def test_events_this_code_cannot_notify_about_are_skipped_not_retried(
        self, therapist_who_texts: None, stream: TableStream
    ) -> None:
        # Given three bookings' records: one of an event type this code does not know, one without its session
        book(start=WEDNESDAY_10)
        moved_on = book(start=WEDNESDAY_10 + timedelta(hours=2))
        book(OTHER_CLIENT, WEDNESDAY_10 + timedelta(hours=4))
        unknown, bare, fine = stream.new_records_for(CONSUMER)
        unknown["dynamodb"]["NewImage"]["event_type"] = {"S": "session.teleported"}
        # (an item written before items carried the session, whose session has changed since)
        del bare["dynamodb"]["NewImage"]["session"]
        container.sessions.cancel(CLIENT, moved_on.session_id, None)

        # When the consumer receives them
        with captured_logs(notifications.logger) as logs:
            response = consume([unknown, bare, fine])

        # Then none is reported failed (no retry could help), and only the good one's message went out
        assert response == {"batchItemFailures": []}
        assert len(emails_to(PROFILE.email)) == 1
        assert len(texts_to(THERAPIST_PHONE)) == 1
        # And both skips are logged as warnings
        warnings = [json.loads(line) for line in logs.getvalue().splitlines() if '"WARNING"' in line]
        assert len(warnings) == 2
        assert {w["event_type"] for w in warnings} == {"session.teleported", "session.booked"}

    def test_other_items_and_changes_are_ignored(self, therapist_who_texts: None, stream: TableStream) -> None:
        # Given every record of a booking and its confirmation, unfiltered (session items, claims, profiles...)
        confirmed()
        records = stream.new_records()
        assert any(r["dynamodb"].get("NewImage", {}).get("entity", {}).get("S") != "event" for r in records)
        events = [r for r in records if r["dynamodb"].get("NewImage", {}).get("entity", {}).get("S") == "event"]

        # When the consumer receives them all
        response = consume(records)

        # Then only the two events were notified: one email each, one text to the therapist
        assert response == {"batchItemFailures": []}
        assert len(events) == 2
        assert len(sent()["emails"]) == 2
        assert len(sent()["sms"]) == 1

    def test_every_aws_call_is_one_the_functions_policy_allows(
        self, therapist_who_texts: None, stream: TableStream
    ) -> None:
        # Given a booking and its confirmation
        confirmed()
        records = stream.new_records_for(CONSUMER)

        # When the consumer receives them, under the check of NotificationsFunction's policy in template.yaml
        with within_policy(CONSUMER) as calls:
            response = notifications.lambda_handler({"Records": records}, CONTEXT)

        # Then it read profiles, recorded its deliveries, sent mail and a text: all allowed (checked on exit)
        assert response == {"batchItemFailures": []}
        assert {(service, operation) for service, operation, _ in calls} == {
            ("dynamodb", "BatchGetItem"),  # the therapist's and client's contact details, in one call
            ("dynamodb", "PutItem"),  # a delivery in progress
            ("dynamodb", "UpdateItem"),  # ... completed
            ("sesv2", "SendEmail"),
            ("sns", "Publish"),
        }


class TestExactlyOnce:
    def test_a_batch_delivered_twice_sends_each_message_once(
        self, therapist_who_texts: None, stream: TableStream
    ) -> None:
        # Given a booking and its confirmation, consumed once
        confirmed()
        records = stream.new_records_for(CONSUMER)
        assert consume(records) == {"batchItemFailures": []}
        first = sent()

        # When the same batch is delivered again (a retry after a later record failed, a timeout...)
        response = consume(records)

        # Then nothing failed and nothing was sent again
        assert response == {"batchItemFailures": []}
        assert sent() == first
        assert (len(first["emails"]), len(first["sms"])) == (2, 1)

    def test_a_record_duplicated_within_a_batch_sends_once(
        self, therapist_who_texts: None, stream: TableStream
    ) -> None:
        # Given a booking's record, twice in one batch
        book()
        (record,) = stream.new_records_for(CONSUMER)

        # When the consumer receives the batch
        response = consume([record, dict(record)])

        # Then the therapist got one email and one text
        assert response == {"batchItemFailures": []}
        assert len(emails_to(PROFILE.email)) == 1
        assert len(texts_to(THERAPIST_PHONE)) == 1

    def test_deliveries_are_remembered_in_the_ledger_partition_for_a_week(
        self, therapist_who_texts: None, stream: TableStream, aws: Any
    ) -> None:
        # Given a booking's record consumed
        book()
        consume(stream.new_records_for(CONSUMER))

        # Then one completed record per message sent, under the ledger's partition, expiring in about a week
        items = aws.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": LEDGER_PARTITION}},
        )["Items"]
        assert len(items) == 2  # the therapist's email and text
        assert {item["status"]["S"] for item in items} == {"COMPLETED"}
        now = datetime.now().timestamp()
        for item in items:
            assert item["sk"]["S"].startswith("notifications#")
            assert 6.9 * 86400 < int(item["ttl"]["N"]) - now <= 7 * 86400
            # And nothing personal: not even the delivery key in clear
            assert not any(value in json.dumps(item) for value in PERSONAL)


class TestFailures:
    def test_ses_throttling_fails_only_the_records_it_hit_and_a_retry_sends_only_what_is_missing(
        self, therapist_who_texts: None, stream: TableStream
    ) -> None:
        # Given three confirmed bookings, two by Sam and one by Alex, all their records in one batch
        sams = [confirmed(CLIENT, WEDNESDAY_10), confirmed(CLIENT, WEDNESDAY_10 + timedelta(hours=2))]
        confirmed(OTHER_CLIENT, WEDNESDAY_10 + timedelta(hours=4))
        records = stream.new_records_for(CONSUMER)
        assert len(records) == 6
        throttled_records = [record_of(records, s, "session.confirmed") for s in sams]

        # When SES throttles every email to Sam (past the client's own retries)
        ses = aws_clients.ses_client()
        with failing(ses, "send_email", "TooManyRequestsException", to_recipient(CLIENT_PROFILE.email)):
            response = consume(records)

        # Then exactly Sam's two confirmations are reported failed, by sequence number
        assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == sorted(
            sequence_number(r) for r in throttled_records
        )
        # And everything else went out: three booking emails and texts to the therapist, Alex's confirmation
        assert len(emails_to(PROFILE.email)) == 3
        assert len(texts_to(THERAPIST_PHONE)) == 3
        assert len(emails_to(OTHER_CLIENT_PROFILE.email)) == 1
        assert emails_to(CLIENT_PROFILE.email) == []

        # When the batch is retried after SES recovers
        response = consume(records)

        # Then nothing failed, Sam has both confirmations, and nobody got anything twice
        assert response == {"batchItemFailures": []}
        assert len(emails_to(CLIENT_PROFILE.email)) == 2
        assert len(emails_to(PROFILE.email)) == 3
        assert len(texts_to(THERAPIST_PHONE)) == 3
        assert len(emails_to(OTHER_CLIENT_PROFILE.email)) == 1

    def test_a_sessions_later_events_wait_for_its_failed_one_so_messages_arrive_in_order(
        self, therapist_who_texts: None, stream: TableStream
    ) -> None:
        # Given Sam's session confirmed then cancelled by the therapist, all in one batch
        session = confirmed(CLIENT, WEDNESDAY_10)
        container.sessions.cancel(THERAPIST, session.session_id, None)
        records = stream.new_records_for(CONSUMER)
        confirmation, cancellation = (
            record_of(records, session, e) for e in ("session.confirmed", "session.cancelled")
        )

        # When SES throttles Sam's confirmation email
        ses = aws_clients.ses_client()
        with failing(ses, "send_email", "Throttling", to_recipient(CLIENT_PROFILE.email)):
            response = consume(records)

        # Then the cancellation waits too (no text about a cancelled session before its confirmation)
        assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == sorted(
            sequence_number(r) for r in (confirmation, cancellation)
        )
        assert texts_to(CLIENT_PHONE) == []
        # And the retry sends the confirmation first, then the cancellation
        assert consume(records) == {"batchItemFailures": []}
        subjects = [email["subject"] for email in emails_to(CLIENT_PROFILE.email)]
        assert len(subjects) == 2 and "confirmed" in subjects[0] and "cancelled" in subjects[1].lower()
        assert len(texts_to(CLIENT_PHONE)) == 1

    def test_a_record_that_cannot_be_read_holds_back_its_sessions_later_events_too(
        self, therapist_who_texts: None, stream: TableStream
    ) -> None:
        # Given Sam's session confirmed then cancelled by the therapist, in one batch, the confirmation's
        # item damaged (an actor role no code knows), and another client's booking
        session = confirmed(CLIENT, WEDNESDAY_10)
        container.sessions.cancel(THERAPIST, session.session_id, None)
        book(OTHER_CLIENT, WEDNESDAY_10 + timedelta(hours=4))
        records = stream.new_records_for(CONSUMER)
        confirmation, cancellation = (
            record_of(records, session, e) for e in ("session.confirmed", "session.cancelled")
        )
        confirmation["dynamodb"]["NewImage"]["actor_role"] = {"S": "wizard"}

        # When the consumer receives them
        response = consume(records)

        # Then both of Sam's records fail (no text about a cancellation before its confirmation), and the
        # other booking's messages still go out
        assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == sorted(
            sequence_number(r) for r in (confirmation, cancellation)
        )
        assert emails_to(CLIENT_PROFILE.email) == [] and texts_to(CLIENT_PHONE) == []
        assert len(emails_to(PROFILE.email)) >= 1

    def test_a_record_whose_only_message_fails_fails_the_whole_invocation_when_alone(
        self, therapist_who_texts: None, stream: TableStream
    ) -> None:
        # Given a confirmation's record alone in its batch
        session = book()
        stream.new_records_for(CONSUMER)
        container.sessions.confirm(THERAPIST, session.session_id)
        records = stream.new_records_for(CONSUMER)

        # When SES throttles it / Then the invocation fails (Powertools: every record failed), nothing sent
        with (
            failing(aws_clients.ses_client(), "send_email", "Throttling", lambda call: True),
            pytest.raises(BatchProcessingError),
        ):
            consume(records)
        assert sent()["emails"] == []

    def test_an_unusable_number_degrades_to_email_and_is_not_logged(
        self, therapist_who_texts: None, stream: TableStream
    ) -> None:
        # Given a booking, and SNS refusing the therapist's number (quoting it in its error, as SNS does)
        book()
        records = stream.new_records_for(CONSUMER)
        refusal = f"Invalid parameter: PhoneNumber Reason: {THERAPIST_PHONE} is not valid to publish to"
        sns = aws_clients.sns_client()

        # When the consumer receives the booking's record
        with (
            failing(sns, "publish", "InvalidParameter", lambda call: call["PhoneNumber"] == THERAPIST_PHONE, refusal),
            captured_logs(notifications.logger) as logs,
        ):
            response = consume(records)

        # Then the record did not fail (no retry can fix the number), and the therapist still got the email
        assert response == {"batchItemFailures": []}
        assert len(emails_to(PROFILE.email)) == 1
        assert sent()["sms"] == []
        # And the log says the text was skipped for an invalid number, without the number or anything personal
        text = logs.getvalue()
        assert "invalid_phone_number" in text
        assert not [value for value in PERSONAL if value in text]

    def test_logs_of_a_full_run_carry_no_personal_data(self, therapist_who_texts: None, stream: TableStream) -> None:
        # Given bookings, a confirmation, a cancellation by the therapist (a text to the client) and a throttled send
        session = confirmed()
        container.sessions.cancel(THERAPIST, session.session_id, "unwell")
        book(OTHER_CLIENT, WEDNESDAY_10 + timedelta(hours=2))
        records = stream.new_records_for(CONSUMER)

        # When the consumer runs them, once with SES throttling the therapist's mail (every record fails:
        # the first session's later events wait for its booking, so Lambda sees a function error), then again
        with captured_logs(notifications.logger) as logs:
            ses = aws_clients.ses_client()
            with failing(ses, "send_email", "Throttling", to_recipient(PROFILE.email)), suppress(BatchProcessingError):
                consume(records)
            consume(records)

        # Then the logs name events, ids and delivery keys, but no address, number or name
        text = logs.getvalue()
        assert "session.cancelled" in text and "/therapist/email" in text
        assert not [value for value in PERSONAL if value in text]


# --- reservations ---------------------------------------------------------------------------------


def reservations(clock: FakeClock) -> ReservationService:
    storage = container.storage
    return ReservationService(
        DynamoReservations(), storage.therapists, storage.clients, clock, container.settings.policy, new_id
    )


def reserve(clock: FakeClock, client: Any = CLIENT, first: datetime = WEDNESDAY_10 + timedelta(days=7)) -> Reservation:
    """Four weekly occurrences, written by the real repository with their `reservation.made` event (for a client
    who has booked with the therapist before: their relationship item)."""
    client_therapist_item(client.user_id, THERAPIST.user_id).save()
    request = ReservationRequest(client.user_id, first, 1, 4, SessionType.INDIVIDUAL, "room")
    return reservations(clock).reserve(THERAPIST, request)


def reservation_records(records: list[dict[str, Any]], reservation: Reservation) -> list[dict[str, Any]]:
    return [r for r in records if r["dynamodb"]["Keys"]["pk"]["S"] == f"RESERVATION#{reservation.reservation_id}"]


class TestReservations:
    def test_a_reservation_made_then_deleted_emails_its_client_once_each(
        self, therapist_who_texts: None, stream: TableStream, clock: FakeClock
    ) -> None:
        # Given a reservation made for Sam (who opted in to texts), then deleted, by the therapist
        reservation = reserve(clock)
        reservations(clock).delete(THERAPIST, reservation.reservation_id)
        # (the template's filter lets through the two outbox items alone: no reservation item, no claim)
        records = stream.new_records_for(CONSUMER)
        assert [r["dynamodb"]["NewImage"]["event_type"]["S"] for r in records] == [
            "reservation.made",
            "reservation.deleted",
        ]
        assert reservation_records(records, reservation) == records

        # When the consumer receives them, under the check of its policy in template.yaml
        with captured_logs(notifications.logger) as logs:
            response = consume(records)

        # Then Sam got one email about each, in order, by email alone; the therapist nothing
        assert response == {"batchItemFailures": []}
        made, deleted = emails_to(CLIENT_PROFILE.email)
        assert "reserved" in made["subject"] and "released" in deleted["subject"]
        assert PROFILE.name in made["text"] and "Individual session, every week" in made["text"]
        # And the times are on Sam's clock (Paris), the zone named: 10:00 UTC is 11:00 CET
        assert "Wednesday 9 December 2026, 11:00\u201311:50 CET" in made["text"]
        assert "Europe/Paris" in made["text"]
        assert emails_to(PROFILE.email) == [] and sent()["sms"] == []
        # And the logs name the events and delivery keys, nobody
        text = logs.getvalue()
        assert "reservation.made" in text and f"{reservation.reservation_id}/1/client/email" in text
        assert not [value for value in PERSONAL if value in text]

        # When the same records are delivered again / Then nothing more is sent
        assert consume(records) == {"batchItemFailures": []}
        assert len(emails_to(CLIENT_PROFILE.email)) == 2

    def test_a_damaged_reservation_record_fails_alone_and_holds_back_that_reservations_later_ones(
        self, therapist_who_texts: None, stream: TableStream, clock: FakeClock
    ) -> None:
        # Given Sam's reservation made then deleted, its making's item damaged (no reservation snapshot);
        # Alex's reservation, of an event type this code does not know; and a booking, all in one batch
        sams = reserve(clock)
        reservations(clock).delete(THERAPIST, sams.reservation_id)
        alexs = reserve(clock, OTHER_CLIENT, WEDNESDAY_10 + timedelta(days=7, hours=2))
        book(start=WEDNESDAY_10)
        records = stream.new_records_for(CONSUMER)
        made, deleted = reservation_records(records, sams)
        del made["dynamodb"]["NewImage"]["reservation"]
        (unknown,) = reservation_records(records, alexs)
        unknown["dynamodb"]["NewImage"]["event_type"] = {"S": "reservation.moved"}

        # When the consumer receives them
        with captured_logs(notifications.logger) as logs:
            response = consume(records)

        # Then Sam's two records fail (no "released" before "reserved"), Alex's is skipped, the booking goes out
        assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == sorted(
            sequence_number(r) for r in (made, deleted)
        )
        assert emails_to(CLIENT_PROFILE.email) == [] and emails_to(OTHER_CLIENT_PROFILE.email) == []
        assert len(emails_to(PROFILE.email)) == 1
        # And the warnings carry event types and reservation ids only
        warnings = [json.loads(line) for line in logs.getvalue().splitlines() if '"WARNING"' in line]
        assert {(w["event_type"], w.get("reservation_id")) for w in warnings} >= {
            ("reservation.made", sams.reservation_id),
            ("reservation.moved", alexs.reservation_id),
        }
        assert not [value for value in PERSONAL if value in logs.getvalue()]


# --- the ledger alone ----------------------------------------------------------------------------


class TestDeliveryLedger:
    def test_a_completed_send_is_not_repeated(self, aws: Any) -> None:
        # Given a ledger on the table, and a send done under a key
        ledger, calls = PowertoolsDeliveryLedger(TABLE), []
        ledger.for_invocation(CONTEXT)
        ledger.once("s1/1/therapist/email", lambda: calls.append("first"))

        # When the same key comes again, even through another ledger (another container)
        PowertoolsDeliveryLedger(TABLE).once("s1/1/therapist/email", lambda: calls.append("second"))

        # Then only the first send ran; another key runs
        ledger.once("s1/1/therapist/sms", lambda: calls.append("other"))
        assert calls == ["first", "other"]

    def test_a_send_that_raised_is_not_recorded(self, aws: Any) -> None:
        # Given a send that fails
        ledger, calls = PowertoolsDeliveryLedger(TABLE), []

        def throttled() -> None:
            raise TimeoutError("throttled")

        with pytest.raises(TimeoutError):
            ledger.once("s1/1/client/email", throttled)

        # When it is tried again / Then it runs
        ledger.once("s1/1/client/email", lambda: calls.append("retried"))
        assert calls == ["retried"]

    def test_a_send_in_progress_makes_a_duplicate_raise(self, aws: Any) -> None:
        # Given a send under way (its record in progress until this invocation ends)
        ledger, calls = PowertoolsDeliveryLedger(TABLE), []
        ledger.for_invocation(CONTEXT)

        def send_while_a_duplicate_arrives() -> None:
            # When a concurrent duplicate comes for the same key / Then it raises, to be retried later
            with pytest.raises(IdempotencyAlreadyInProgressError):
                PowertoolsDeliveryLedger(TABLE).once("s1/1/client/sms", lambda: calls.append("duplicate"))
            calls.append("first")

        ledger.once("s1/1/client/sms", send_while_a_duplicate_arrives)

        # And only the first send ran; afterwards the key counts as sent
        ledger.once("s1/1/client/sms", lambda: calls.append("later"))
        assert calls == ["first"]
