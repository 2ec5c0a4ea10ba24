"""The audit trail of admin reads of sessions (issue 15): GET /sessions/{id} by an admin writes one entry;
GET /admin/audit lists them, for admins only."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest

from tests.support.api import Api, Caller
from tests.support.clock import FakeClock
from tests.support.scenario import ADMIN, CLIENT, OTHER_CLIENT, THERAPIST, book, publish_therapist
from therapy_booking.adapters.dynamodb.audit import DynamoAuditTrail
from therapy_booking.domain.audit import AUDIT_RETENTION

TABLE = "therapy-booking-test"
OTHER_ADMIN = Caller("admin-2", "admin")


def audit_items(aws: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = aws.scan(
        TableName=TABLE,
        FilterExpression="#e = :audit",
        ExpressionAttributeNames={"#e": "entity"},
        ExpressionAttributeValues={":audit": {"S": "audit"}},
    )["Items"]
    return items


def booked(api: Api, **overrides: Any) -> dict[str, Any]:
    answer = book(api, location_id="video", note="I have been anxious since the move.", **overrides)
    assert answer.status == 201, answer.body
    session: dict[str, Any] = answer.body
    return session


class TestAdminReadsAreAudited:
    def test_an_admins_read_writes_exactly_one_entry_with_who_what_when(
        self, api: Api, aws: Any, clock: FakeClock
    ) -> None:
        # Given a client's booked session
        publish_therapist(api)
        session = booked(api)
        # When an admin reads it
        answer = api.get(f"/sessions/{session['session_id']}", ADMIN)
        # Then the session is answered, and exactly one entry says who read which session, when, and expires later
        assert answer.status == 200, answer.body
        (item,) = audit_items(aws)
        assert item["pk"] == {"S": f"AUDIT#SESSION#{session['session_id']}"}
        assert item["gsi1pk"] == {"S": f"AUDIT#ADMIN#{ADMIN.sub}"}
        assert (item["admin_id"], item["action"], item["session_id"]) == (
            {"S": ADMIN.sub},
            {"S": "session.read"},
            {"S": session["session_id"]},
        )
        assert item["request_id"]["S"] and item["sk"]["S"].endswith(f"#{item['request_id']['S']}")
        assert item["at"]["S"].startswith(clock.now().strftime("%Y-%m-%dT%H:%M:%S"))
        assert int(item["ttl"]["N"]) == int((clock.now() + AUDIT_RETENTION).timestamp())

    def test_the_entry_holds_nothing_personal(self, api: Api, aws: Any) -> None:
        # Given a session with attendees, a note and a joining link / When an admin reads it
        publish_therapist(api)
        session = booked(api)
        assert api.get(f"/sessions/{session['session_id']}", ADMIN).status == 200
        # Then the entry has only the audit's own attributes, and none of the session's personal values
        (item,) = audit_items(aws)
        expected = {"pk", "sk", "gsi1pk", "gsi1sk", "entity", "admin_id", "action", "session_id", "request_id"}
        assert set(item) == expected | {"at", "ttl"}
        text = json.dumps(item)
        for personal in ("Sam Client", "anxious", "meet.example.com", CLIENT.sub, THERAPIST.sub):
            assert personal not in text

    @pytest.mark.parametrize("who", [CLIENT, THERAPIST], ids=["its client", "its therapist"])
    def test_the_parties_reads_write_nothing(self, api: Api, aws: Any, who: Caller) -> None:
        # Given a booked session / When its client or its therapist reads it / Then no entry
        publish_therapist(api)
        session = booked(api)
        assert api.get(f"/sessions/{session['session_id']}", who).status == 200
        assert audit_items(aws) == []

    def test_a_stranger_gets_404_and_an_admin_reading_no_session_writes_nothing(self, api: Api, aws: Any) -> None:
        publish_therapist(api)
        session = booked(api)
        assert api.get(f"/sessions/{session['session_id']}", OTHER_CLIENT).status == 404
        assert api.get("/sessions/no-such-session", ADMIN).status == 404
        assert audit_items(aws) == []

    def test_a_read_that_cannot_be_audited_is_refused(self, api: Api, aws: Any) -> None:
        # Given a booked session, and an audit trail that cannot be written
        publish_therapist(api)
        session = booked(api)
        with mock.patch.object(DynamoAuditTrail, "append", side_effect=RuntimeError("throttled")):
            # When an admin reads it
            answer = api.get(f"/sessions/{session['session_id']}", ADMIN)
        # Then 500, and nothing of the session is in the answer
        assert (answer.status, answer.body["code"]) == (500, "internal_error")
        assert session["session_id"] not in json.dumps(answer.body)


class TestAuditRoute:
    def test_admins_list_a_sessions_readers_and_an_admins_reads_newest_first_in_pages(
        self, api: Api, clock: FakeClock
    ) -> None:
        # Given two sessions: the first read by the admin twice and by another admin, the second by the admin
        publish_therapist(api)
        first = booked(api)["session_id"]
        second = booked(api, start="2026-12-02T11:00:00Z")["session_id"]
        for who, session_id in ((ADMIN, first), (OTHER_ADMIN, first), (ADMIN, second), (ADMIN, first)):
            clock.advance(timedelta(minutes=1))
            assert api.get(f"/sessions/{session_id}", who).status == 200
        # When an admin asks who read the first session, two at a time
        page = api.get("/admin/audit", ADMIN, query={"session_id": first, "limit": "2"})
        assert page.status == 200, page.body
        rest = api.get(
            "/admin/audit", ADMIN, query={"session_id": first, "limit": "2", "cursor": page.body["next_cursor"]}
        )
        # Then its three reads, newest first, over two pages
        readers = [e["admin_id"] for e in page.body["items"] + rest.body["items"]]
        assert readers == [ADMIN.sub, OTHER_ADMIN.sub, ADMIN.sub]
        assert {e["session_id"] for e in page.body["items"] + rest.body["items"]} == {first}
        ats = [e["at"] for e in page.body["items"] + rest.body["items"]]
        assert ats == sorted(ats, reverse=True)
        # When an admin asks what the admin read / Then the three sessions they read, newest first
        mine = api.get("/admin/audit", OTHER_ADMIN, query={"admin_id": ADMIN.sub})
        assert [e["session_id"] for e in mine.body["items"]] == [first, second, first]
        # And a window of time narrows it: from the third read on
        since = api.get("/admin/audit", ADMIN, query={"admin_id": ADMIN.sub, "from": ats[0]})
        assert [e["session_id"] for e in since.body["items"]] == [first]

    @pytest.mark.parametrize("who", [CLIENT, THERAPIST], ids=["client", "therapist"])
    def test_only_admins_read_the_trail(self, api: Api, who: Caller) -> None:
        answer = api.get("/admin/audit", who, query={"admin_id": ADMIN.sub})
        assert (answer.status, answer.body["code"]) == (403, "forbidden")

    @pytest.mark.parametrize(
        "query",
        [{}, {"session_id": "s", "admin_id": "a"}, {"admin_id": "a", "cursor": "bm90LWEtY3Vyc29y"}],
        ids=["neither", "both", "a cursor it did not give"],
    )
    def test_a_query_needs_exactly_one_subject_and_its_own_cursor(self, api: Api, query: dict[str, str]) -> None:
        answer = api.get("/admin/audit", ADMIN, query=query)
        assert (answer.status, answer.body["code"]) == (422, "validation_error")
