"""A booking under an Idempotency-Key: the record it leaves in the table, and a repeat that arrives while
the first is still running (the rest of the contract: `test_sessions_api.TestIdempotencyKey`)."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pytest

from tests.support.api import Api
from tests.support.http import Answer
from tests.support.scenario import CLIENT, booking, publish_therapist
from therapy_booking.domain.model import Actor
from therapy_booking.domain.services import BookingRequest, SessionService

TABLE = "therapy-booking-test"


@pytest.fixture
def therapist(api: Api) -> None:
    publish_therapist(api)


def idempotency_records(aws: Any) -> list[dict[str, Any]]:
    items = aws.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"IDEMPOTENCY#booking#{CLIENT.sub}"}},
    )["Items"]
    return list(items)


@pytest.mark.usefixtures("therapist")
def test_the_record_keeps_the_keys_written_before_and_the_first_answer(
    api: Api, aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the booking function as Lambda names it
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "therapy-booking-BookingFunction-AbC123")

    # When a client books with a key
    first = api.post("/sessions", CLIENT, booking(), headers={"Idempotency-Key": "booking-123"})

    # Then one record holds it, in the client's own partition (erasure finds it there), under the keys the
    # handler's own idempotent function wrote before,
    # so that a repeat of a request made before a deployment still gets its first answer
    assert first.status == 201
    [record] = idempotency_records(aws)
    digest = hashlib.md5(json.dumps([CLIENT.sub, "booking-123"], sort_keys=True).encode()).hexdigest()
    assert (
        record["sk"]["S"] == f"therapy-booking-BookingFunction-AbC123.app._idempotent_book.<locals>.book_once#{digest}"
    )
    assert record["status"]["S"] == "COMPLETED"
    # And it keeps the answer as sent, for a day
    assert json.loads(record["data"]["S"]) == first.body
    assert abs(int(record["ttl"]["N"]) - (time.time() + 24 * 3600)) < 60


@pytest.mark.usefixtures("therapist")
def test_a_repeat_while_the_first_is_still_running_is_409_conflict(
    api: Api, aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {"Idempotency-Key": "slow-booking"}
    repeats: list[Answer] = []
    real_book = SessionService.book

    def slow_book(service: SessionService, actor: Actor, request: BookingRequest) -> Any:
        # When the same request comes again while the first is still booking
        repeats.append(api.post("/sessions", CLIENT, booking(), headers=headers))
        return real_book(service, actor, request)

    monkeypatch.setattr(SessionService, "book", slow_book)

    # Given a keyed booking under way
    first = api.post("/sessions", CLIENT, booking(), headers=headers)

    # Then the repeat is told to retry shortly, and the first completes
    [repeat] = repeats
    assert repeat.status == 409 and repeat.body["code"] == "conflict"
    assert repeat.body["detail"] == "A booking with this Idempotency-Key is still in progress; retry shortly."
    assert first.status == 201
    # And a repeat afterwards gets the first answer
    monkeypatch.undo()
    assert api.post("/sessions", CLIENT, booking(), headers=headers).body == first.body
