"""Session routes through the real handlers, with events as API Gateway sends them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.api import Api
from tests.support.clock import FakeClock
from tests.support.scenario import (
    ADMIN,
    CLIENT,
    OTHER_CLIENT,
    OTHER_THERAPIST,
    THERAPIST,
    book,
    booking,
    publish_therapist,
)


def table_items(aws: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = aws.scan(TableName="therapy-booking-test")["Items"]
    return items


def sessions_and_claims(aws: Any) -> list[str]:
    return sorted(i["sk"]["S"] for i in table_items(aws) if i["sk"]["S"].startswith(("CLAIM#", "SESSION", "EVENT#")))


@pytest.fixture
def therapist(api: Api) -> None:
    publish_therapist(api)


@pytest.mark.usefixtures("therapist")
class TestBooking:
    def test_a_client_books_and_gets_the_pending_session(self, api: Api) -> None:
        answer = book(api)
        assert answer.status == 201
        assert answer.body["status"] == "pending"
        assert answer.body["start"] == "2026-12-02T10:00:00Z"
        assert answer.body["end"] == "2026-12-02T10:50:00Z"
        assert answer.body["price"] == {"amount": 6000, "currency": "GBP"}
        assert answer.body["location"] == {
            "id": "harley-st",
            "kind": "in_person",
            "address": "1 Harley Street, London",
            "link": None,
        }
        assert answer.body["version"] == 1

    def test_an_offset_start_is_read_as_the_same_instant(self, api: Api) -> None:
        answer = book(api, start="2026-12-02T11:00:00+01:00")
        assert answer.status == 201
        assert answer.body["start"] == "2026-12-02T10:00:00Z"

    def test_a_taken_slot_is_a_409_slot_unavailable_problem(self, api: Api) -> None:
        assert book(api).status == 201
        answer = book(api, OTHER_CLIENT)
        assert answer.status == 409
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.body["code"] == "slot_unavailable"
        assert answer.body["status"] == 409 and answer.body["title"] == "Conflict" and answer.body["detail"]

    def test_the_free_consultation_is_used_once(self, api: Api) -> None:
        assert book(api, initial_consultation=True).body["price"]["amount"] == 0
        answer = book(api, start="2026-12-02T12:00:00Z", initial_consultation=True)
        assert answer.status == 409 and answer.body["code"] == "free_consultation_used"

    def test_a_hidden_therapist_takes_no_bookings(self, api: Api) -> None:
        publish_therapist(api, visible=False)
        answer = book(api)
        assert answer.status == 409 and answer.body["code"] == "therapist_unavailable_for_booking"

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"start": "2026-12-02T10:00:00"}, "start", "timezone"),
            ({"start": "next tuesday"}, "start", "datetime"),
            ({"start": "2026-13-45T10:00:00Z"}, "start", "datetime"),
            ({"session_type": "group"}, "session_type", "individual"),
            ({"attendees": []}, "attendees", "at least 1"),
            ({"therapist_id": None}, "therapist_id", "string"),
        ],
    )
    def test_malformed_bodies_are_422_naming_the_field_and_write_nothing(
        self, api: Api, aws: Any, changes: dict[str, Any], field: str, message: str
    ) -> None:
        before = sessions_and_claims(aws)
        answer = api.post("/sessions", CLIENT, booking(**changes))
        assert answer.status == 422
        assert answer.body["code"] == "validation_error"
        assert field in answer.body["detail"] and message in answer.body["detail"]
        assert sessions_and_claims(aws) == before

    @pytest.mark.parametrize("missing", ["therapist_id", "start", "session_type", "location_id", "attendees"])
    def test_each_required_field_is_required(self, api: Api, missing: str) -> None:
        body = booking()
        del body[missing]
        answer = api.post("/sessions", CLIENT, body)
        assert answer.status == 422 and f"{missing}: Field required" in answer.body["detail"]

    def test_a_body_that_is_not_json_is_422(self, api: Api) -> None:
        answer = api.post("/sessions", CLIENT, "{not json")
        assert answer.status == 422 and answer.body["code"] == "validation_error"

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"location_id": "mars"}, "not one of this therapist's locations"),
            ({"start": "2026-12-02T10:30:00Z"}, "not one of the therapist's available slots"),
            ({"start": "2026-12-05T10:00:00Z"}, "not one of the therapist's available slots"),  # Saturday
            ({"start": "2026-11-30T15:00:00Z"}, "notice"),
        ],
    )
    def test_business_rule_violations_are_422_and_write_nothing(
        self, api: Api, aws: Any, changes: dict[str, Any], message: str
    ) -> None:
        before = sessions_and_claims(aws)
        answer = api.post("/sessions", CLIENT, booking(**changes))
        assert answer.status == 422 and message in answer.body["detail"]
        assert sessions_and_claims(aws) == before

    def test_therapists_cannot_book(self, api: Api) -> None:
        answer = book(api, OTHER_THERAPIST)
        assert answer.status == 403 and answer.body["code"] == "forbidden"

    def test_an_unknown_therapist_is_404(self, api: Api) -> None:
        answer = book(api, therapist_id="nobody")
        assert answer.status == 404 and answer.body["code"] == "not_found"

    def test_no_token_claims_is_401(self, api: Api) -> None:
        answer = api.post("/sessions", None, booking())
        assert answer.status == 401 and answer.body["code"] == "unauthorized"


@pytest.mark.usefixtures("therapist")
class TestIdempotencyKey:
    def test_the_same_key_returns_the_first_response_and_books_once(self, api: Api, aws: Any) -> None:
        headers = {"Idempotency-Key": "booking-123"}
        first = api.post("/sessions", CLIENT, booking(), headers=headers)
        again = api.post("/sessions", CLIENT, booking(), headers=headers)
        assert first.status == again.status == 201
        assert again.body == first.body
        assert len([i for i in table_items(aws) if i["sk"]["S"] == "SESSION"]) == 1

    def test_the_same_key_from_another_client_is_another_booking(self, api: Api) -> None:
        headers = {"Idempotency-Key": "shared-key"}
        assert api.post("/sessions", CLIENT, booking(), headers=headers).status == 201
        other = api.post("/sessions", OTHER_CLIENT, booking(start="2026-12-02T11:00:00Z"), headers=headers)
        assert other.status == 201

    def test_reusing_a_key_for_a_different_booking_is_refused(self, api: Api) -> None:
        headers = {"Idempotency-Key": "k1"}
        assert api.post("/sessions", CLIENT, booking(), headers=headers).status == 201
        answer = api.post("/sessions", CLIENT, booking(start="2026-12-02T11:00:00Z"), headers=headers)
        assert answer.status == 422 and "Idempotency-Key" in answer.body["detail"]

    def test_a_refused_booking_is_not_remembered(self, api: Api) -> None:
        headers = {"Idempotency-Key": "k2"}
        assert api.post("/sessions", CLIENT, booking(location_id="mars"), headers=headers).status == 422
        assert api.post("/sessions", CLIENT, booking(location_id="mars"), headers=headers).status == 422


@pytest.mark.usefixtures("therapist")
class TestTransitions:
    def test_confirm_then_the_client_sees_it_confirmed(self, api: Api) -> None:
        sid = book(api).body["session_id"]
        confirmed = api.post(f"/sessions/{sid}/confirm", THERAPIST)
        assert confirmed.status == 200 and confirmed.body["status"] == "confirmed"
        seen = api.get(f"/sessions/{sid}", CLIENT)
        assert seen.body["status"] == "confirmed" and seen.body["version"] == 2

    def test_decline_takes_an_optional_reason_and_refunds(self, api: Api) -> None:
        sid = book(api).body["session_id"]
        declined = api.post(f"/sessions/{sid}/decline", THERAPIST, {"reason": "Out of my specialism"})
        assert declined.status == 200
        assert declined.body["status"] == "declined" and declined.body["refund"] == {"amount": 6000, "currency": "GBP"}
        assert declined.body["decline_reason"] == "Out of my specialism"
        sid2 = book(api, start="2026-12-02T11:00:00Z").body["session_id"]
        assert api.post(f"/sessions/{sid2}/decline", THERAPIST).status == 200

    def test_a_second_confirm_is_409_invalid_transition(self, api: Api) -> None:
        sid = book(api).body["session_id"]
        api.post(f"/sessions/{sid}/confirm", THERAPIST)
        answer = api.post(f"/sessions/{sid}/confirm", THERAPIST)
        assert answer.status == 409 and answer.body["code"] == "invalid_transition"

    def test_the_client_cancels_late_and_the_therapist_is_paid_less_commission(
        self, api: Api, clock: FakeClock
    ) -> None:
        sid = book(api).body["session_id"]
        api.post(f"/sessions/{sid}/confirm", THERAPIST)
        clock.set(datetime(2026, 12, 2, 6, 0, tzinfo=UTC))  # four hours before the start
        answer = api.post(f"/sessions/{sid}/cancel", CLIENT, {"reason": "Unwell"})
        assert answer.status == 200
        assert answer.body["cancelled_by"] == "client" and answer.body["cancellation_reason"] == "Unwell"
        assert answer.body["refund"]["amount"] == 0
        assert answer.body["therapist_payout"]["amount"] == 5400
        assert answer.body["platform_commission"]["amount"] == 600

    def test_cancelling_a_started_session_is_session_in_past(self, api: Api, clock: FakeClock) -> None:
        sid = book(api).body["session_id"]
        api.post(f"/sessions/{sid}/confirm", THERAPIST)
        clock.set(datetime(2026, 12, 2, 10, 5, tzinfo=UTC))
        answer = api.post(f"/sessions/{sid}/cancel", THERAPIST)
        assert answer.status == 409 and answer.body["code"] == "session_in_past"
        assert "contact the team" in answer.body["detail"]

    @pytest.mark.parametrize(
        ("action", "caller", "status"),
        [
            ("confirm", CLIENT, 403),
            ("decline", CLIENT, 403),
            ("confirm", ADMIN, 403),
            ("cancel", ADMIN, 403),
            ("confirm", OTHER_THERAPIST, 404),
            ("cancel", OTHER_CLIENT, 404),
            ("decline", OTHER_THERAPIST, 404),
        ],
    )
    def test_wrong_role_is_403_and_strangers_get_404(self, api: Api, action: str, caller: Any, status: int) -> None:
        sid = book(api).body["session_id"]
        answer = api.post(f"/sessions/{sid}/{action}", caller)
        assert answer.status == status
        assert api.get(f"/sessions/{sid}", CLIENT).body["status"] == "pending"

    def test_a_session_is_visible_to_its_parties_and_admins_only(self, api: Api) -> None:
        sid = book(api).body["session_id"]
        assert [api.get(f"/sessions/{sid}", who).status for who in (CLIENT, THERAPIST, ADMIN)] == [200, 200, 200]
        assert [api.get(f"/sessions/{sid}", who).status for who in (OTHER_CLIENT, OTHER_THERAPIST)] == [404, 404]
        assert api.get("/sessions/does-not-exist", CLIENT).status == 404


@pytest.mark.usefixtures("therapist")
class TestListing:
    def test_each_caller_lists_only_their_own_sessions_in_start_order(self, api: Api) -> None:
        later = book(api, start="2026-12-02T14:00:00Z").body["session_id"]
        earlier = book(api).body["session_id"]
        book(api, OTHER_CLIENT, start="2026-12-02T15:00:00Z")
        mine = api.get("/sessions", CLIENT).body
        assert [s["session_id"] for s in mine["items"]] == [earlier, later]
        assert len(api.get("/sessions", THERAPIST).body["items"]) == 3
        assert api.get("/sessions", OTHER_THERAPIST).body == {"items": [], "next_cursor": None}

    def test_pages_follow_the_cursor_to_the_end(self, api: Api) -> None:
        for hour in (9, 10, 11, 12, 13):
            book(api, start=f"2026-12-02T{hour:02d}:00:00Z")
        seen, cursor, pages = [], None, 0
        while True:
            query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
            page = api.get("/sessions", CLIENT, query=query).body
            seen += [s["start"] for s in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [f"2026-12-02T{h:02d}:00:00Z" for h in (9, 10, 11, 12, 13)]
        assert pages == 3

    def test_status_and_time_filters(self, api: Api) -> None:
        first = book(api).body["session_id"]
        book(api, start="2026-12-02T14:00:00Z")
        api.post(f"/sessions/{first}/confirm", THERAPIST)
        confirmed = api.get("/sessions", THERAPIST, query={"status": "confirmed"}).body["items"]
        assert [s["session_id"] for s in confirmed] == [first]
        afternoon = api.get("/sessions", CLIENT, query={"from": "2026-12-02T12:00:00Z", "to": "2026-12-03T00:00:00Z"})
        assert [s["start"] for s in afternoon.body["items"]] == ["2026-12-02T14:00:00Z"]

    @pytest.mark.parametrize(
        "query",
        [{"cursor": "garbage"}, {"limit": "0"}, {"limit": "1000"}, {"status": "lost"}, {"from": "2026-12-02T12:00:00"}],
    )
    def test_bad_listing_parameters_are_422(self, api: Api, query: dict[str, str]) -> None:
        answer = api.get("/sessions", CLIENT, query=query)
        assert answer.status == 422 and answer.body["code"] == "validation_error"

    def test_a_cursor_from_someone_elses_listing_is_refused(self, api: Api) -> None:
        for hour in (9, 10):
            book(api, start=f"2026-12-02T{hour:02d}:00:00Z")
        cursor = api.get("/sessions", CLIENT, query={"limit": "1"}).body["next_cursor"]
        answer = api.get("/sessions", OTHER_CLIENT, query={"cursor": cursor})
        assert answer.status == 422

    def test_admins_have_no_own_session_list(self, api: Api) -> None:
        assert api.get("/sessions", ADMIN).status == 403
