"""A client's export and erasure (issue 14) on the real handlers and DynamoDB adapters (moto), with moto's
Cognito user pool: after `DELETE /clients/me` no item of the table holds anything personal of the client, the
amounts stay, their future session is cancelled by the policy, their reservation released, their account gone;
a second request, and a retry after a crash half-way, finish the same job."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import boto3
import pytest

from tests.support.api import Api
from tests.support.clock import FakeClock
from tests.support.scenario import ADMIN, CLIENT, THERAPIST, book, booking, publish_therapist
from therapy_booking.adapters.dynamodb.erasure import DynamoErasure
from therapy_booking.domain.errors import Conflict, Forbidden
from therapy_booking.domain.model import Actor, Role
from therapy_booking.wiring import container

NAME, EMAIL, PHONE = "Sam Erasable", "sam.erasable@example.com", "+447700900123"
ATTENDEE = "Jo Erasable-Partner"
NOTE = "My sister knows about the panic attacks"
DECLINE_REASON = "Not the right fit for Sam Erasable"
CONCERNS = "Panic on the Northern line"
PERSONAL = (NAME, EMAIL, PHONE, ATTENDEE, NOTE, DECLINE_REASON, CONCERNS)
MONEY = ("price", "refund", "therapist_payout", "platform_commission")


@pytest.fixture
def pool(aws: Any) -> Iterator[str]:
    """A user pool with the client's account, named in the environment as the template names it."""
    cognito = boto3.client("cognito-idp")
    pool_id: str = cognito.create_user_pool(PoolName="people")["UserPool"]["Id"]
    cognito.admin_create_user(UserPoolId=pool_id, Username=CLIENT.sub)
    with mock.patch.dict(os.environ, {"USER_POOL_ID": pool_id}):
        yield pool_id


def accounts(pool_id: str) -> list[str]:
    return [user["Username"] for user in boto3.client("cognito-idp").list_users(UserPoolId=pool_id)["Users"]]


def table_items(aws: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": container.storage.table_name}
    while True:
        page = aws.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def strings(value: Any) -> Iterator[str]:
    """Every string inside an item's attribute values, at any depth (a JSON string is searched as it is)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from strings(inner)


def personal_data_in(items: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [
        (item["pk"]["S"], item["sk"]["S"], text)
        for item in items
        for found in strings(item)
        for text in PERSONAL
        if text.lower() in found.lower()
    ]


def session(api: Api, session_id: str) -> dict[str, Any]:
    answer = api.get(f"/sessions/{session_id}", ADMIN)
    assert answer.status == 200, answer.body
    found: dict[str, Any] = answer.body
    return found


def all_answers(api: Api) -> list[dict[str, Any]]:
    questions = api.get("/assessment/questions", CLIENT).body
    return [{"question_id": q["question_id"], "answer": 1} for i in questions["instruments"] for q in i["questions"]]


@pytest.fixture
def client_with_everything(api: Api, aws: Any, clock: FakeClock, pool: str) -> dict[str, Any]:
    """A client with a profile, an assessment, a completed and a declined session in the past, a confirmed one
    ahead booked under an Idempotency-Key, and a reservation held for them; names and notes everywhere."""
    publish_therapist(api)
    profile = {"name": NAME, "email": EMAIL, "phone": PHONE, "sms_opt_in": True, "timezone": "Europe/London"}
    assert api.put("/clients/me", CLIENT, profile).status == 200
    assessment = {"answers": all_answers(api), "concerns": CONCERNS}
    assert api.put("/clients/me/assessment", CLIENT, assessment).status == 200
    people: dict[str, Any] = {"session_type": "couple", "attendees": [NAME, ATTENDEE], "note": NOTE}
    past = book(api, start="2026-12-02T09:00:00Z", **people).body["session_id"]
    assert api.post(f"/sessions/{past}/confirm", THERAPIST).status == 200
    declined = book(api, start="2026-12-02T12:00:00Z", **people).body["session_id"]
    assert api.post(f"/sessions/{declined}/decline", THERAPIST, {"reason": DECLINE_REASON}).status == 200
    clock.advance(timedelta(days=3))  # Thursday 3 December: the first is over
    assert container.sessions.sweep().completed == 1
    keyed = api.post(
        "/sessions", CLIENT, {**book_body("2026-12-09T09:00:00Z"), **people}, headers={"Idempotency-Key": "k-1"}
    )
    assert keyed.status == 201, keyed.body
    future = keyed.body["session_id"]
    assert api.post(f"/sessions/{future}/confirm", THERAPIST).status == 200
    reserve = {
        "client_id": CLIENT.sub,
        "first_start": "2026-12-15T10:00:00Z",
        "every_weeks": 1,
        "occurrences": 2,
        "session_type": "individual",
        "location_id": "video",
    }
    reservation = api.post("/therapists/me/reservations", THERAPIST, reserve)
    assert reservation.status == 201, reservation.body
    assert personal_data_in(table_items(aws))  # the search finds what there is to find
    return {
        "past": past,
        "declined": declined,
        "future": future,
        "reservation": reservation.body["reservation_id"],
        "before": {sid: session(api, sid) for sid in (past, declined, future)},
    }


def book_body(start: str) -> dict[str, Any]:
    from tests.support.scenario import booking

    return booking(start=start)


def assert_erased(api: Api, aws: Any, pool: str, arranged: dict[str, Any]) -> None:
    items = table_items(aws)
    # No item holds the client's name, email, phone, an attendee, their note, a reason or their concerns
    assert personal_data_in(items) == []
    # Their own items are gone, and their keyed booking's record
    # (but the mark that they were erased, which holds their id only and refuses any later write of theirs)
    own = [i for i in items if i["pk"]["S"] == f"CLIENT#{CLIENT.sub}"]
    assert own == [
        {"pk": own[0]["pk"], "sk": {"S": "ERASED"}, "client_id": {"S": CLIENT.sub}, "entity": {"S": "erased_client"}}
    ]
    assert [i for i in items if i["pk"]["S"].startswith("IDEMPOTENCY#booking")] == []
    # The past sessions keep their amounts and statuses
    for key in ("past", "declined"):
        before, after = arranged["before"][arranged[key]], session(api, arranged[key])
        assert {m: after[m] for m in MONEY} == {m: before[m] for m in MONEY}
        assert (after["status"], after["attendees"], after.get("note")) == (before["status"], [], None)
        assert all(entry.get("note") is None and entry.get("reason") is None for entry in after["history"])
    # The future session was cancelled by the client, a full refund (more than 24 hours ahead)
    future = session(api, arranged["future"])
    assert (future["status"], future["cancelled_by"]) == ("cancelled", "client")
    assert future["refund"] == arranged["before"][arranged["future"]]["price"]
    # Its cancellation is in the outbox for the therapist's notification, without the attendees
    events = [i for i in items if i["pk"]["S"] == f"SESSION#{arranged['future']}" and i["sk"]["S"].startswith("EVENT#")]
    cancelled = [e for e in events if e["event_type"]["S"] == "session.cancelled"]
    assert len(cancelled) == 1 and cancelled[0]["actor_role"]["S"] == "client"
    assert all(e["session"]["M"]["attendees"] == {"L": []} for e in events)
    # The reservation is deleted and its occurrences released
    assert [i for i in items if i.get("kind", {}).get("S") == "reserved"] == []
    assert api.get("/therapists/me/reservations", THERAPIST).body == {"items": []}
    # The account is gone
    assert accounts(pool) == []


def test_erasure_leaves_nothing_personal_keeps_the_amounts_and_can_be_repeated(
    api: Api, aws: Any, pool: str, client_with_everything: dict[str, Any]
) -> None:
    # Given a client with everything / When they erase their data
    answer = api.delete("/clients/me", CLIENT)
    # Then 204, and the table, the account and the sessions are as erasure leaves them
    assert (answer.status, answer.body) == (204, None)
    assert_erased(api, aws, pool, client_with_everything)
    # And a second request is 204 too, and changes nothing
    items = table_items(aws)
    assert api.delete("/clients/me", CLIENT).status == 204
    assert sorted(map(json.dumps, table_items(aws))) == sorted(map(json.dumps, items))


def test_a_crash_half_way_is_finished_by_a_retry(
    api: Api, aws: Any, pool: str, client_with_everything: dict[str, Any]
) -> None:
    # Given the client's own items cannot be deleted (a crash after the sessions were cancelled and stripped)
    with mock.patch.object(DynamoErasure, "delete_client_items", side_effect=RuntimeError("crash")):
        assert api.delete("/clients/me", CLIENT).status == 500
    assert api.get("/clients/me", CLIENT).status == 200  # the profile is still there, the account too
    assert accounts(pool) == [CLIENT.sub]
    # When they try again / Then the job is finished
    assert api.delete("/clients/me", CLIENT).status == 204
    assert_erased(api, aws, pool, client_with_everything)


def test_a_crash_before_the_sessions_were_stripped_is_finished_by_a_retry(
    api: Api, aws: Any, pool: str, client_with_everything: dict[str, Any]
) -> None:
    # Given stripping fails after the future session was cancelled and the reservation released
    with mock.patch.object(DynamoErasure, "strip_session", side_effect=RuntimeError("crash")):
        assert api.delete("/clients/me", CLIENT).status == 500
    assert session(api, client_with_everything["future"])["status"] == "cancelled"
    # When they try again / Then the job is finished
    assert api.delete("/clients/me", CLIENT).status == 204
    assert_erased(api, aws, pool, client_with_everything)


def test_the_export_holds_the_profile_assessment_every_session_and_the_reservations(
    api: Api, client_with_everything: dict[str, Any]
) -> None:
    # When the client exports their data
    answer = api.get("/clients/me/export", CLIENT)
    # Then it holds their profile and assessment as their own reads answer them
    assert answer.status == 200, answer.body
    data = answer.body
    assert data["client_id"] == CLIENT.sub
    assert data["profile"] == api.get("/clients/me", CLIENT).body
    assert data["assessment"] == {**api.get("/clients/me/assessment", CLIENT).body, "crisis_guidance": None}
    # And every session as they see it, and the reservation held for them
    expected = [client_with_everything[key] for key in ("past", "declined", "future")]
    assert [s["session_id"] for s in data["sessions"]] == expected
    assert data["sessions"] == [api.get(f"/sessions/{sid}", CLIENT).body for sid in expected]
    assert data["reservations"] == api.get("/clients/me/reservations", CLIENT).body["items"]
    assert [r["reservation_id"] for r in data["reservations"]] == [client_with_everything["reservation"]]


def test_the_export_reads_every_page_of_sessions(api: Api, clock: FakeClock, pool: str) -> None:
    # Given a client with more sessions than one page (the page size made small)
    publish_therapist(api)
    starts = [f"2026-12-0{day}T{hour}:00:00Z" for day in (2, 3) for hour in (10, 12, 14)]
    booked = [book(api, start=start).body["session_id"] for start in starts]
    with mock.patch("therapy_booking.domain.personal_data.PAGE_SIZE", 2):
        answer = api.get("/clients/me/export", CLIENT)
    # Then every one is in the export
    assert [s["session_id"] for s in answer.body["sessions"]] == booked


def test_a_client_with_nothing_exports_an_empty_document(api: Api) -> None:
    answer = api.get("/clients/me/export", CLIENT)
    assert answer.status == 200
    assert [answer.body[k] for k in ("profile", "assessment", "sessions", "reservations")] == [None, None, [], []]


@pytest.mark.parametrize("who", [THERAPIST, ADMIN])
def test_only_clients_export_or_erase(api: Api, who: Any) -> None:
    assert api.get("/clients/me/export", who).status == 403
    assert api.delete("/clients/me", who).status == 403


def test_after_erasure_a_token_issued_before_writes_nothing_back(
    api: Api, aws: Any, pool: str, client_with_everything: dict[str, Any]
) -> None:
    # Given a client erased, whose token is still valid for a while
    assert api.delete("/clients/me", CLIENT).status == 204
    before = sorted(map(json.dumps, table_items(aws)))
    # When they try to book, publish a profile or fill in the questionnaire again
    profile = {"name": "Sam Again", "email": "sam.again@example.com", "sms_opt_in": False, "timezone": "Europe/London"}
    answers = [{"question_id": f"phq9_{n}", "answer": 1} for n in range(1, 10)]
    answers += [{"question_id": f"gad7_{n}", "answer": 1} for n in range(1, 8)]
    tries = [
        api.post("/sessions", CLIENT, booking(start="2026-12-09T10:00:00Z")),
        api.put("/clients/me", CLIENT, profile),
        api.put("/clients/me/assessment", CLIENT, {"answers": answers}),
    ]
    # Then each is refused (403), and nothing in the table changed
    assert [(t.status, t.body["code"]) for t in tries] == [(403, "forbidden")] * 3
    assert sorted(map(json.dumps, table_items(aws))) == before


def test_a_writer_that_read_a_session_before_it_was_stripped_cannot_write_it_back(
    api: Api, aws: Any, pool: str, client_with_everything: dict[str, Any]
) -> None:
    # Given the past session as the sweeper (or the team) read it before the erasure
    read_before = container.sessions.get(Actor("admin-1", frozenset({Role.ADMIN})), client_with_everything["past"])
    assert api.delete("/clients/me", CLIENT).status == 204
    # When it writes what it read back (giving back time, conditional on the version it read)
    with pytest.raises(Conflict):
        container.storage.sessions.give_back(read_before, ())
    # Then the session stays stripped
    assert personal_data_in(table_items(aws)) == []


def test_someone_who_is_also_a_therapist_cannot_erase_here(api: Api, pool: str) -> None:
    # Given a user in both groups (the team made a client a therapist too) / When they ask to erase / Then 403:
    # an erasure here would end their practice's sessions and delete their account
    both = Actor(CLIENT.sub, frozenset({Role.CLIENT, Role.THERAPIST}))
    with pytest.raises(Forbidden):
        container.personal_data.erase(both)
    assert accounts(pool) == [CLIENT.sub]


def test_keyed_bookings_kept_in_the_shared_partition_from_before_are_erased_too(
    api: Api, aws: Any, pool: str, client_with_everything: dict[str, Any]
) -> None:
    # Given a keyed booking's record written before each client had a partition (its answer names the client), and
    # another client's
    table = container.storage.table_name
    shared = {"pk": {"S": "IDEMPOTENCY#booking"}}
    theirs = {**shared, "sk": {"S": "old-1"}, "data": {"S": json.dumps({"client_id": CLIENT.sub})}}
    others = {**shared, "sk": {"S": "old-2"}, "data": {"S": json.dumps({"client_id": "client-9"})}}
    for item in (theirs, others):
        aws.put_item(TableName=table, Item=item)
    # When the client erases their data / Then theirs is gone, the other client's stays
    assert api.delete("/clients/me", CLIENT).status == 204
    left = [i["sk"]["S"] for i in table_items(aws) if i["pk"]["S"] == "IDEMPOTENCY#booking"]
    assert left == ["old-2"]
