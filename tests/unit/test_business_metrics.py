"""What the platform counts (`domain.metrics`) and how it is written (`adapters.business_metrics`, EMF)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from therapy_booking.adapters.business_metrics import EmfBusinessMetrics
from therapy_booking.domain.events import (
    STORED_EVENT_TYPES,
    ExpiryOutcome,
    OfferExpired,
    SessionBooked,
    SessionCancelled,
)
from therapy_booking.domain.metrics import (
    EVENT_METRICS,
    NOTIFICATIONS_FAILED,
    NOTIFICATIONS_SENT,
    REMINDERS_SENT,
    RESERVATION_METRICS,
    count_event,
    event_dimensions,
)
from therapy_booking.domain.model import Role
from therapy_booking.domain.reservations import ReservationEventType
from therapy_booking.settings import MetricsSettings

HEADER: dict[str, Any] = {
    "session_id": "s-1",
    "session_version": 3,
    "occurred_at": datetime(2026, 12, 1, tzinfo=UTC),
    "actor_role": Role.CLIENT,
    "actor_id": "client-1",
}


class Recorded:
    def __init__(self) -> None:
        self.counted: list[tuple[str, dict[str, str]]] = []

    def count(self, name: str, **dimensions: str) -> None:
        self.counted.append((name, dimensions))


def test_every_stored_event_type_has_its_own_metric() -> None:
    # Then each type an outbox item can hold is counted, under a name of its own
    assert set(EVENT_METRICS) == STORED_EVENT_TYPES
    names = [*EVENT_METRICS.values(), *RESERVATION_METRICS.values(), NOTIFICATIONS_SENT, NOTIFICATIONS_FAILED]
    assert len(set([*names, REMINDERS_SENT])) == len(names) + 1
    assert set(RESERVATION_METRICS) == set(ReservationEventType)


@pytest.mark.parametrize("by", list(Role))
def test_a_cancellation_counts_by_who_cancelled_it(by: Role) -> None:
    # Given a cancellation by any role
    event = SessionCancelled(**HEADER, was_confirmed=True, cancelled_by=by)

    # When it is counted
    metrics = Recorded()
    count_event(metrics, event)

    # Then it is one cancellation, by that role: nothing else about it
    assert metrics.counted == [("SessionsCancelled", {"cancelled_by": str(by)})]


def test_a_cancellation_that_does_not_say_who_counts_as_its_actors() -> None:
    event = SessionCancelled(**{**HEADER, "actor_role": Role.SYSTEM}, was_confirmed=False)
    assert event_dimensions(event) == {"cancelled_by": "system"}


@pytest.mark.parametrize("outcome", list(ExpiryOutcome))
def test_an_expired_offer_counts_by_what_its_expiry_did(outcome: ExpiryOutcome) -> None:
    event = OfferExpired(**HEADER, change_id="c-1", was_confirmed=True, outcome=outcome)
    assert event_dimensions(event) == {"outcome": str(outcome)}


def test_other_events_have_no_dimension_but_the_service() -> None:
    metrics = Recorded()
    count_event(metrics, SessionBooked(**HEADER))
    assert metrics.counted == [("SessionsBooked", {})]


def emf(printed: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in printed.splitlines() if '"_aws"' in line]


def test_counts_are_added_up_and_written_once_per_metric_and_dimensions(capsys: pytest.CaptureFixture[str]) -> None:
    # Given metrics written to a namespace, with counts of three series
    metrics = EmfBusinessMetrics(MetricsSettings(namespace="Therapy/Test", service="therapy-booking"))
    with metrics.published():
        metrics.count("SessionsBooked")
        metrics.count("SessionsBooked")
        metrics.count("NotificationsSent", channel="email")
        metrics.count("NotificationsSent", channel="sms")
        # (nothing is written before the work ends)
        assert emf(capsys.readouterr().out) == []

    # Then one EMF document per series, its value the count, in the namespace, with the service dimension
    documents = emf(capsys.readouterr().out)
    found = {(d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"], d.get("channel")): d for d in documents}
    assert set(found) == {("SessionsBooked", None), ("NotificationsSent", "email"), ("NotificationsSent", "sms")}
    booked = found["SessionsBooked", None]
    assert booked["SessionsBooked"] == [2.0]
    assert booked["service"] == "therapy-booking"
    (directive,) = booked["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Therapy/Test"
    assert directive["Dimensions"] == [["service"]]
    assert sorted(found["NotificationsSent", "sms"]["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]) == [
        "channel",
        "service",
    ]

    # And once written they are forgotten: the next invocation starts from nothing
    with metrics.published():
        pass
    assert emf(capsys.readouterr().out) == []


def test_what_was_counted_is_written_when_the_work_raised(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = EmfBusinessMetrics(MetricsSettings(namespace="Therapy/Test", service="therapy-booking"))
    with pytest.raises(RuntimeError), metrics.published():
        metrics.count("NotificationsFailed", channel="email")
        raise RuntimeError("a message could not be sent")
    (document,) = emf(capsys.readouterr().out)
    assert document["NotificationsFailed"] == [1.0]


def test_nothing_is_written_where_powertools_metrics_are_disabled(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given POWERTOOLS_METRICS_DISABLED, as the local stack sets it (no CloudWatch to read the documents)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    metrics = EmfBusinessMetrics(MetricsSettings(namespace="Therapy/Test", service="therapy-booking"))
    # When something is counted / Then no document is printed
    with metrics.published():
        metrics.count("SessionsBooked")
    assert emf(capsys.readouterr().out) == []
