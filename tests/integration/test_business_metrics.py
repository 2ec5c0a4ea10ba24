"""Business metrics as CloudWatch receives them: the EMF documents the notifications consumer and the reminders
function print while handling real outbox records and schedule firings on moto (docs/observability.md).

Each test reads what the handler printed to stdout (where Lambda sends EMF to CloudWatch Logs), keeps the EMF
documents (those with an `_aws` header) and checks the metric names, their counts and dimensions, and that no
id or personal data is in them.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from functions.session_reminders import app as session_reminders
from tests.integration.test_notifications_delivery import (
    CONSUMER,
    CONTEXT,
    PERSONAL,
    TABLE,
    book,
    confirmed,
    consume,
    deliver_on_moto,
    failing,
    people,
    to_recipient,
)
from tests.support.clock import FakeClock
from tests.support.domain_data import CLIENT, OTHER_CLIENT, PROFILE, THERAPIST, WEDNESDAY_10
from tests.support.streams import TableStream
from therapy_booking.adapters import aws_clients
from therapy_booking.domain.model import Session
from therapy_booking.wiring import container

NAMESPACE = "TherapyBooking"  # POWERTOOLS_METRICS_NAMESPACE in tests.support.environment
SERVICE = "therapy-booking"
# Every dimension a business metric may have: each one's values come from a fixed enumeration.
DIMENSIONS = {"service", "cancelled_by", "outcome", "channel", "reminder"}
PRIVATE_REASON = "my mother is unwell, please keep this private"

Counts = dict[tuple[str, frozenset[tuple[str, str]]], float]


def emf_documents(printed: str) -> list[dict[str, Any]]:
    """The EMF documents among the printed lines (the logger's lines have no `_aws` header)."""
    documents = []
    for line in printed.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            documents.append(json.loads(line))
    return documents


def counts(documents: list[dict[str, Any]]) -> Counts:
    """Each series' count: (metric name, its dimensions other than the service) -> value, added up."""
    found: Counts = {}
    for document in documents:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == NAMESPACE
        (dimension_names,) = directive["Dimensions"]
        assert document["service"] == SERVICE
        dimensions = frozenset((name, document[name]) for name in dimension_names if name != "service")
        for metric in directive["Metrics"]:
            assert metric["Unit"] == "Count"
            (value,) = document[metric["Name"]]
            key = (metric["Name"], dimensions)
            found[key] = found.get(key, 0) + value
    return found


def series(name: str, **dimensions: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return (name, frozenset(dimensions.items()))


def assert_nothing_identifying(documents: list[dict[str, Any]], sessions: list[Session]) -> None:
    text = json.dumps(documents)
    ids = [CLIENT.user_id, OTHER_CLIENT.user_id, THERAPIST.user_id, *(s.session_id for s in sessions)]
    for secret in (*PERSONAL, *ids, PRIVATE_REASON, PROFILE.name):
        assert secret not in text, f"{secret!r} in the metrics"
    for document in documents:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        (dimension_names,) = directive["Dimensions"]
        assert set(dimension_names) <= DIMENSIONS
        names = {metric["Name"] for metric in directive["Metrics"]}
        assert set(document) == {"_aws", *dimension_names, *names}, "nothing but the metrics and their dimensions"


@pytest.fixture
def people_on_moto(delivery: None) -> None:
    people()


@pytest.fixture
def delivery(aws: Any, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    deliver_on_moto(clock, monkeypatch)


@pytest.fixture
def stream(aws: Any) -> TableStream:
    return TableStream(aws, TABLE)


class TestTheOutboxConsumerCountsEachTransition:
    def test_a_booking_its_confirmation_and_a_clients_cancellation_are_counted_with_their_messages(
        self, people_on_moto: None, stream: TableStream, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # Given a booking, its confirmation and the client's cancellation (with a reason only the parties see)
        session = confirmed()
        container.sessions.cancel(CLIENT, session.session_id, PRIVATE_REASON)
        records = stream.new_records_for(CONSUMER)
        capsys.readouterr()

        # When the consumer receives their records in one batch
        response = consume(records)

        # Then the batch's EMF documents count each transition once, the cancellation by who cancelled it
        assert response == {"batchItemFailures": []}
        documents = emf_documents(capsys.readouterr().out)
        found = counts(documents)
        assert found[series("SessionsBooked")] == 1
        assert found[series("SessionsConfirmed")] == 1
        assert found[series("SessionsCancelled", cancelled_by="client")] == 1
        # And each message sent, by channel: the therapist's email and text of the booking, the client's email of
        # the confirmation, and the cancellation's messages
        sent_email = found[series("NotificationsSent", channel="email")]
        sent_sms = found[series("NotificationsSent", channel="sms")]
        assert sent_email >= 3 and sent_sms >= 1
        assert not any(name == "NotificationsFailed" for name, _ in found)
        # And nothing in them names a session, a person, a contact detail or the reason
        assert_nothing_identifying(documents, [session])

    def test_a_therapists_cancellation_is_counted_as_the_therapists(
        self, people_on_moto: None, stream: TableStream, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # Given a confirmed session the therapist cancels
        session = confirmed()
        container.sessions.cancel(THERAPIST, session.session_id, PRIVATE_REASON)
        records = stream.new_records_for(CONSUMER)
        capsys.readouterr()

        # When the consumer receives the records
        consume(records)

        # Then the cancellation counts under the therapist's role
        documents = emf_documents(capsys.readouterr().out)
        found = counts(documents)
        assert found[series("SessionsCancelled", cancelled_by="therapist")] == 1
        assert series("SessionsCancelled", cancelled_by="client") not in found
        assert_nothing_identifying(documents, [session])

    def test_offers_made_accepted_and_expired_are_counted_with_the_expirys_outcome(
        self, people_on_moto: None, stream: TableStream, clock: FakeClock, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # Given two confirmed sessions, each offered another time: one accepted, the other left to expire
        accepted = confirmed()
        expiring = confirmed(OTHER_CLIENT, WEDNESDAY_10 + timedelta(hours=1))
        offered = container.sessions.offer_alternatives(THERAPIST, accepted.session_id, [WEDNESDAY_10.replace(hour=14)])
        assert offered.offer is not None
        container.sessions.answer_offer(CLIENT, accepted.session_id, offered.offer.alternatives[0].alternative_id)
        left = container.sessions.offer_alternatives(THERAPIST, expiring.session_id, [WEDNESDAY_10.replace(hour=15)])
        assert left.offer is not None
        clock.set(left.offer.expires_at + timedelta(seconds=1))
        assert container.sessions.expire(expiring.session_id, left.offer.offer_id) is not None
        records = stream.new_records_for(CONSUMER)
        capsys.readouterr()

        # When the consumer receives the records
        consume(records)

        # Then two offers were made, one accepted, one expired with the platform's policy (cancel and refund)
        documents = emf_documents(capsys.readouterr().out)
        found = counts(documents)
        assert found[series("OffersMade")] == 2
        assert found[series("OffersAccepted")] == 1
        assert found[series("OffersExpired", outcome="cancelled")] == 1
        assert found[series("SessionsBooked")] == 2
        assert_nothing_identifying(documents, [accepted, expiring])

    def test_a_failed_email_counts_as_failed_and_its_event_counts_when_the_retry_goes_through(
        self, people_on_moto: None, stream: TableStream, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # Given a booking whose email to the therapist SES refuses (the text goes out)
        session = book()
        records = stream.new_records_for(CONSUMER)
        ses = aws_clients.ses_client()
        capsys.readouterr()

        # When the consumer receives its record (the batch's only one: Powertools raises when all records failed)
        with (
            failing(ses, "send_email", "TooManyRequestsException", to_recipient(PROFILE.email)),
            pytest.raises(BatchProcessingError),
        ):
            consume(records)

        # Then the record failed; the email counts as failed, the text as sent, the booking not yet
        first = counts(emf_documents(capsys.readouterr().out))
        assert first == {
            series("NotificationsFailed", channel="email"): 1,
            series("NotificationsSent", channel="sms"): 1,
        }

        # When Lambda retries the record and SES takes the email
        response = consume(records)

        # Then the email counts as sent, the text (already sent) not again, and the booking once
        assert response == {"batchItemFailures": []}
        documents = emf_documents(capsys.readouterr().out)
        assert counts(documents) == {
            series("NotificationsSent", channel="email"): 1,
            series("SessionsBooked"): 1,
        }
        assert_nothing_identifying(documents, [session])

    def test_a_record_delivered_again_counts_its_event_again_but_no_message(
        self, people_on_moto: None, stream: TableStream, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # Given a booking's record the consumer has handled
        book()
        records = stream.new_records_for(CONSUMER)
        consume(records)
        capsys.readouterr()

        # When Lambda delivers it again (a batch retried from an earlier failed record)
        consume(records)

        # Then the event counts again (the metrics count handlings: documented), the messages do not
        assert counts(emf_documents(capsys.readouterr().out)) == {series("SessionsBooked"): 1}


class TestTheRemindersFunctionCountsWhatItSent:
    def test_a_reminder_counts_each_message_by_channel_and_as_a_reminder(
        self, people_on_moto: None, clock: FakeClock, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # Given a confirmed session (both parties opted in to texts), at its reminder's time
        session = confirmed()
        clock.set(WEDNESDAY_10 - timedelta(hours=24))
        capsys.readouterr()

        # When its schedule fires
        planned = {"session_id": session.session_id, "start": session.start.isoformat()}
        result = session_reminders.lambda_handler(planned, CONTEXT)

        # Then its four messages count as sent, by channel, and as session reminders
        assert result["outcome"] == "reminded"
        documents = emf_documents(capsys.readouterr().out)
        assert counts(documents) == {
            series("NotificationsSent", channel="email"): 2,
            series("NotificationsSent", channel="sms"): 2,
            series("RemindersSent", reminder="session.reminder"): 4,
        }
        assert_nothing_identifying(documents, [session])

        # And when it fires again, nothing is sent, and nothing counted
        session_reminders.lambda_handler(planned, CONTEXT)
        assert emf_documents(capsys.readouterr().out) == []

    def test_a_dropped_input_counts_nothing(self, delivery: None, capsys: pytest.CaptureFixture[str]) -> None:
        # When the reminder function gets an input it cannot use
        result = session_reminders.lambda_handler({"kind": "unknown"}, CONTEXT)

        # Then it counts nothing
        assert result == {"outcome": "invalid_input"}
        assert emf_documents(capsys.readouterr().out) == []
