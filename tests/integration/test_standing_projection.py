"""The standing projection on moto (issue 11): answers measured in the sessions' own writes, the rank score
and listing key kept by the stream consumer `functions/therapist_standing`, the listing read in rank order.

Stream records are read from moto's stream of the template's table and handed to the real handler after the
template's filter, as Lambda does.
"""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from email import policy
from email.parser import BytesParser
from typing import Any

import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import RawMessage, ses_backends

from functions.therapist_standing import app as therapist_standing
from tests.support.api import Api
from tests.support.clock import FakeClock
from tests.support.http import LambdaContext
from tests.support.scenario import CLIENT, OTHER_THERAPIST, THERAPIST, book, publish_therapist
from tests.support.streams import TableStream
from therapy_booking.adapters import aws_clients
from therapy_booking.adapters.dynamodb.therapists import rank_key
from therapy_booking.wiring import container

TABLE = os.environ["TABLE_NAME"]
CONSUMER = "TherapistStandingFunction"
CONTEXT: Any = LambdaContext()
SENDER = "bookings@example.com"


@pytest.fixture
def stream(aws: Any, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> TableStream:
    """The table's stream, and the consumer's environment as the template sets it."""
    monkeypatch.setenv("EMAIL_SENDER", SENDER)
    monkeypatch.setenv("DASHBOARD_BASE_URL", "https://app.example.com")
    aws_clients.ses_client().create_email_identity(EmailIdentity=SENDER)
    container.reset(clock=clock)
    _ = container.storage
    return TableStream(aws, TABLE)


def project(stream: TableStream) -> list[dict[str, Any]]:
    """Hand the new therapist records to the projection, as Lambda does; the records handed over."""
    records = stream.new_records_for(CONSUMER)
    if records:
        answer = therapist_standing.lambda_handler({"Records": records}, CONTEXT)
        assert answer == {"batchItemFailures": []}
    return records


def project_until_quiet(stream: TableStream) -> None:
    """Deliver records until the projection's own writes bring nothing more to do (at most a few rounds)."""
    for _ in range(5):
        if not project(stream):
            return
    raise AssertionError("the projection keeps writing")


def therapist_item(aws: Any, who: Any = THERAPIST) -> dict[str, Any]:
    key = {"pk": {"S": f"THERAPIST#{who.sub}"}, "sk": {"S": "PROFILE"}}
    item: dict[str, Any] = aws.get_item(TableName=TABLE, Key=key)["Item"]
    return item


def booked_and_answered(api: Api, clock: FakeClock, who: Any, start: str, after: timedelta) -> None:
    """A client books `who` now; `who` confirms `after` later."""
    answer = book(api, therapist_id=who.sub, start=start)
    assert answer.status == 201, answer.body
    clock.advance(after)
    assert api.post(f"/sessions/{answer.body['session_id']}/confirm", who).status == 200
    clock.advance(-after)


def listed(api: Api) -> list[str]:
    return [t["therapist_id"] for t in api.get("/therapists", CLIENT).body["items"]]


def test_a_first_answer_is_counted_in_the_confirmations_own_write(
    api: Api, aws: Any, clock: FakeClock, stream: TableStream
) -> None:
    # Given a published therapist and a booking on Monday 30 November at 09:00
    publish_therapist(api)
    booked = book(api, start="2026-12-03T10:00:00Z")
    assert booked.status == 201
    assert booked.body["response_due_at"] == "2026-11-30T13:00:00Z"  # four business hours later
    # When the therapist confirms 90 minutes later
    clock.advance(timedelta(minutes=90))
    confirmed = api.post(f"/sessions/{booked.body['session_id']}/confirm", THERAPIST)
    # Then the session says when they answered, and their record holds the measured answer
    assert confirmed.body["answered_at"] == "2026-11-30T10:30:00Z"
    item = therapist_item(aws)
    assert (item["response_samples"], item["responses_within_sla"]) == ({"N": "1"}, {"N": "1"})
    assert item["recent_response_minutes"] == {"L": [{"N": "90"}]}
    # And the standing shows it
    standing = api.get("/therapists/me/standing", THERAPIST).body
    assert standing["response_time"] == {"median_business_minutes": 90.0, "samples": 1, "within_sla_ratio": 1.0}


def test_an_offer_as_the_first_answer_counts_both_in_one_update_of_the_therapists_item(
    api: Api, aws: Any, clock: FakeClock, stream: TableStream
) -> None:
    # Given a booking left pending
    publish_therapist(api)
    booked = book(api, start="2026-12-03T10:00:00Z").body
    # When the therapist answers it, an hour later, with alternative times (their own reason)
    clock.advance(timedelta(hours=1))
    offer = {"alternatives": [{"start": "2026-12-03T14:00:00Z"}]}
    assert api.post(f"/sessions/{booked['session_id']}/offers", THERAPIST, offer).status == 201
    # Then the answer and the own-reason rearrangement are both counted, in the offer's one write
    item = therapist_item(aws)
    assert (item["response_samples"], item["own_rearrangements"]) == ({"N": "1"}, {"N": "1"})
    therapist_records = stream.new_records_for(CONSUMER)
    assert [r["eventName"] for r in therapist_records] == ["INSERT", "MODIFY", "MODIFY"]  # profile, hours, offer
    standing = api.get("/therapists/me/standing", THERAPIST).body
    assert standing["rearrangements"] == {"own_reason": 1, "total_sessions": 1, "rate": 1.0}


def test_the_projection_ranks_the_faster_responder_first(
    api: Api, aws: Any, clock: FakeClock, stream: TableStream
) -> None:
    # Given two therapists alike but for their answers: the second one answers in ten minutes, the first in three hours
    publish_therapist(api, THERAPIST)
    publish_therapist(api, OTHER_THERAPIST)
    project_until_quiet(stream)
    assert listed(api) == sorted([THERAPIST.sub, OTHER_THERAPIST.sub])  # newcomers: equal scores, by id
    for day in ("2026-12-03", "2026-12-04"):
        booked_and_answered(api, clock, THERAPIST, f"{day}T10:00:00Z", timedelta(hours=3))
        booked_and_answered(api, clock, OTHER_THERAPIST, f"{day}T10:00:00Z", timedelta(minutes=10))
    # When the projection follows their records
    project_until_quiet(stream)
    # Then the faster responder lists first, and each listing key is the score the standing shows
    assert listed(api) == [OTHER_THERAPIST.sub, THERAPIST.sub]
    for who in (THERAPIST, OTHER_THERAPIST):
        standing = api.get("/therapists/me/standing", who).body
        item = therapist_item(aws, who)
        assert float(item["rank_score"]["N"]) == standing["rank_score"]
        assert item["gsi1sk"]["S"] == rank_key(Decimal(item["rank_score"]["N"]), who.sub)


def test_a_record_delivered_again_or_late_changes_nothing(
    api: Api, aws: Any, clock: FakeClock, stream: TableStream
) -> None:
    # Given a therapist ranked after an answer
    publish_therapist(api)
    booked_and_answered(api, clock, THERAPIST, "2026-12-03T10:00:00Z", timedelta(minutes=30))
    records = stream.new_records_for(CONSUMER)
    assert therapist_standing.lambda_handler({"Records": records}, CONTEXT) == {"batchItemFailures": []}
    project_until_quiet(stream)
    ranked = therapist_item(aws)
    # When the same records come again (Lambda delivers at least once), the oldest first
    assert therapist_standing.lambda_handler({"Records": records}, CONTEXT) == {"batchItemFailures": []}
    # Then the record keeps the score of its latest counts: an older image cannot write over a newer record
    assert therapist_item(aws) == ranked


def test_a_flagged_therapist_lists_below_an_equal_unflagged_one(
    api: Api, aws: Any, clock: FakeClock, stream: TableStream
) -> None:
    # Given two therapists with the same answers
    publish_therapist(api, THERAPIST)
    publish_therapist(api, OTHER_THERAPIST)
    for who in (THERAPIST, OTHER_THERAPIST):
        booked_and_answered(api, clock, who, "2026-12-03T10:00:00Z", timedelta(minutes=30))
    project_until_quiet(stream)
    first_listed = listed(api)[0]
    # When the one listed first cancels three sessions in a row
    who = THERAPIST if first_listed == THERAPIST.sub else OTHER_THERAPIST
    for start in ("2026-12-07T10:00:00Z", "2026-12-07T12:00:00Z", "2026-12-07T14:00:00Z"):
        session = book(api, therapist_id=who.sub, start=start).body["session_id"]
        assert api.post(f"/sessions/{session}/confirm", who).status == 200
        assert api.post(f"/sessions/{session}/cancel", who, {"reason": "unwell"}).status == 200
    project_until_quiet(stream)
    # Then they are flagged and listed below the other
    assert api.get("/therapists/me/standing", who).body["flagged"] is True
    assert listed(api)[-1] == who.sub


def sent_subjects() -> list[str]:
    """The subjects of every email moto's SES accepted."""
    subjects = []
    for message in ses_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_REGION"]].sent_messages:
        assert isinstance(message, RawMessage)
        data = message.raw_data.encode() if isinstance(message.raw_data, str) else message.raw_data
        subjects.append(str(BytesParser(policy=policy.default).parsebytes(data)["Subject"]))
    return subjects


def test_the_flag_and_the_deactivation_are_each_told_once_even_when_records_come_again(
    api: Api, aws: Any, clock: FakeClock, stream: TableStream
) -> None:
    # Given a therapist with five confirmed sessions
    publish_therapist(api)
    starts = [f"2026-12-{day:02d}T10:00:00Z" for day in (7, 8, 9, 10, 11)]
    sessions = []
    for start in starts:
        session = book(api, start=start).body["session_id"]
        assert api.post(f"/sessions/{session}/confirm", THERAPIST).status == 200
        sessions.append(session)
    project_until_quiet(stream)
    # When they cancel all five, the projection seeing each change of their record as it comes (and twice over)
    for session in sessions:
        assert api.post(f"/sessions/{session}/cancel", THERAPIST, {"reason": "unwell"}).status == 200
        records = stream.new_records_for(CONSUMER)
        for _ in range(2):
            assert therapist_standing.lambda_handler({"Records": records}, CONTEXT) == {"batchItemFailures": []}
    project_until_quiet(stream)
    # Then one email said they were flagged (at 3) and one that the account was deactivated (at 5)
    subjects = [s.lower() for s in sent_subjects()]
    assert sum("flagged" in s for s in subjects) == 1, subjects
    assert sum("deactivated" in s for s in subjects) == 1, subjects
    assert len(subjects) == 2


def test_a_flag_already_superseded_by_the_deactivation_is_not_told(
    api: Api, aws: Any, clock: FakeClock, stream: TableStream
) -> None:
    # Given five cancellations in a row whose records reach the projection only after the fifth (a backlog)
    publish_therapist(api)
    for day in (7, 8, 9, 10, 11):
        session = book(api, start=f"2026-12-{day:02d}T10:00:00Z").body["session_id"]
        assert api.post(f"/sessions/{session}/confirm", THERAPIST).status == 200
        assert api.post(f"/sessions/{session}/cancel", THERAPIST, {"reason": "unwell"}).status == 200
    # When the projection catches up
    project_until_quiet(stream)
    # Then the therapist is told what stands: deactivated, not the flag it has gone past
    subjects = [s.lower() for s in sent_subjects()]
    assert len(subjects) == 1 and "deactivated" in subjects[0], subjects


def test_the_daily_rerank_keys_items_listed_before_ranking_existed(
    api: Api, aws: Any, clock: FakeClock, stream: TableStream
) -> None:
    # Given two listed therapists, one of them keyed as before ranking (by its id, without a score), the other
    # a quick responder ranked by the projection
    publish_therapist(api, THERAPIST)
    publish_therapist(api, OTHER_THERAPIST)
    booked_and_answered(api, clock, OTHER_THERAPIST, "2026-12-03T10:00:00Z", timedelta(minutes=5))
    project_until_quiet(stream)
    key = {"pk": {"S": f"THERAPIST#{THERAPIST.sub}"}, "sk": {"S": "PROFILE"}}
    aws.update_item(
        TableName=TABLE,
        Key=key,
        UpdateExpression="SET gsi1sk = :id REMOVE rank_score",
        ExpressionAttributeValues={":id": {"S": THERAPIST.sub}},
    )
    stream.new_records()  # that write is the test's own, not a change the projection would see in production
    assert listed(api) == [OTHER_THERAPIST.sub, THERAPIST.sub]  # by accident of the old key, not by score
    # When the daily schedule's Input reaches the function
    answer = therapist_standing.lambda_handler({"rerank": "listed"}, CONTEXT)
    # Then the old item is ranked (the other one was right already), and a second run stores nothing
    assert answer == {"outcome": "reranked", "stored": 1}
    item = therapist_item(aws)
    assert item["gsi1sk"]["S"] == rank_key(Decimal(item["rank_score"]["N"]), THERAPIST.sub)
    assert therapist_standing.lambda_handler({"rerank": "listed"}, CONTEXT) == {"outcome": "reranked", "stored": 0}
    assert listed(api) == [OTHER_THERAPIST.sub, THERAPIST.sub]
