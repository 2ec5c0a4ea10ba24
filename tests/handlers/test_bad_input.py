"""Whatever a caller sends, the answer is a 4xx problem and nothing changes (issue 9): bodies that are not
JSON, unreadable bodies, impossible instants, time-zone folders, forged cursors, reversed windows, moves
past the booking horizon.

The clock starts on Monday 2026-11-30 09:00 UTC; the therapist works Mon-Fri 09:00-17:00 (Europe/London)
and takes bookings up to 60 days ahead.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.support.api import Api, Caller
from tests.support.http import Answer
from tests.support.scenario import (
    ADMIN,
    CLIENT,
    THERAPIST,
    availability,
    book,
    booking,
    publish_therapist,
    therapist_profile,
)
from therapy_booking.api.bodies import MAX_BODY_BYTES

PROBLEM = "application/problem+json"
CLIENT_PROFILE = {"name": "Sam Client", "email": "sam@example.com", "sms_opt_in": False, "timezone": "Europe/Paris"}
BLOCK = {"start": "2026-12-02T09:00:00Z", "end": "2026-12-02T10:00:00Z"}
ADMIN_MOVE = {"start": "2026-12-03T10:00:00Z", "reason": "error_correction", "note": "Moved by phone."}

# (method, path, who, a valid body): every route that reads a JSON body.
ROUTES_WITH_BODIES = [
    ("POST", "/sessions", CLIENT, booking()),
    ("PUT", "/therapists/me", THERAPIST, None),  # the profile: filled in by `valid_body`
    ("PUT", "/therapists/me/availability", THERAPIST, availability()),
    ("POST", "/therapists/me/blocks", THERAPIST, BLOCK),
    ("PUT", "/clients/me", CLIENT, CLIENT_PROFILE),
    ("POST", "/sessions/any-session/decline", THERAPIST, {"reason": "Away"}),
    ("POST", "/sessions/any-session/cancel", CLIENT, {"reason": "Ill"}),
    (
        "POST",
        "/sessions/any-session/reschedule",
        THERAPIST,
        {"start": "2026-12-03T10:00:00Z", "reason": "client_requested"},
    ),
    (
        "POST",
        "/sessions/any-session/location-change",
        THERAPIST,
        {"location_id": "video", "reason": "client_requested"},
    ),
    ("POST", "/sessions/any-session/offers", THERAPIST, {"alternatives": [{"start": "2026-12-03T10:00:00Z"}]}),
    ("POST", "/sessions/any-session/offers/accept", CLIENT, {"alternative_id": "a1"}),
    ("POST", "/admin/sessions/any-session/rearrange", ADMIN, ADMIN_MOVE),
]
ROUTE_IDS = [f"{method} {path}" for method, path, _, _ in ROUTES_WITH_BODIES]


def valid_body(body: dict[str, Any] | None) -> dict[str, Any]:
    return therapist_profile() if body is None else body


def everything(aws: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = aws.scan(TableName="therapy-booking-test")["Items"]
    return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def assert_problem(answer: Answer, status: int, code: str) -> None:
    assert answer.status == status, answer.body
    assert answer.headers["Content-Type"] == PROBLEM
    assert answer.body["status"] == status and answer.body["code"] == code and answer.body["detail"]


@pytest.fixture
def therapist(api: Api) -> None:
    publish_therapist(api)


def confirmed_session(api: Api) -> str:
    answer = book(api)
    assert answer.status == 201, answer.body
    session_id: str = answer.body["session_id"]
    assert api.post(f"/sessions/{session_id}/confirm", THERAPIST).status == 200
    return session_id


@pytest.mark.usefixtures("therapist")
class TestMediaTypes:
    @pytest.mark.parametrize(
        "content_type",
        [
            "text/plain;charset=UTF-8",  # what a browser's fetch sends for a string body
            "application/vnd.api+json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=iso-8859-1",
            "",
        ],
    )
    def test_a_booking_sent_as_anything_but_json_is_415_and_books_nothing(
        self, api: Api, aws: Any, content_type: str
    ) -> None:
        # Given a valid booking, sent with another content type
        before = everything(aws)
        answer = api.post("/sessions", CLIENT, json.dumps(booking()), headers={"content-type": content_type})
        # Then it is refused as an unsupported media type, and nothing is written
        assert_problem(answer, 415, "unsupported_media_type")
        assert everything(aws) == before

    @pytest.mark.parametrize(("method", "path", "who", "body"), ROUTES_WITH_BODIES, ids=ROUTE_IDS)
    def test_every_route_that_reads_a_body_refuses_text_plain(
        self, api: Api, aws: Any, method: str, path: str, who: Caller, body: dict[str, Any] | None
    ) -> None:
        before = everything(aws)
        answer = api.request(
            method, path, who, body=json.dumps(valid_body(body)), headers={"content-type": "text/plain"}
        )
        assert_problem(answer, 415, "unsupported_media_type")
        assert everything(aws) == before

    @pytest.mark.parametrize(
        "content_type", ["application/json", "application/json; charset=utf-8", 'Application/JSON; charset="UTF-8"']
    )
    def test_json_is_accepted_with_or_without_a_utf8_charset(self, api: Api, content_type: str) -> None:
        answer = api.post("/sessions", CLIENT, json.dumps(booking()), headers={"content-type": content_type})
        assert answer.status == 201, answer.body

    def test_posts_without_a_body_need_no_content_type(self, api: Api) -> None:
        # Given a pending session
        session_id = book(api).body["session_id"]
        # When the therapist confirms and the client cancels, neither sending a body or a content type
        confirmed = api.post(f"/sessions/{session_id}/confirm", THERAPIST)
        cancelled = api.post(f"/sessions/{session_id}/cancel", CLIENT)
        # Then both are done
        assert confirmed.status == 200 and cancelled.status == 200
        assert cancelled.body["status"] == "cancelled"


@pytest.mark.usefixtures("therapist")
class TestUnreadableBodies:
    @pytest.mark.parametrize(
        "raw",
        [
            b"\xff\xfe{}",
            b'{"therapist_id": "\xc3\x28"}',
            "[" * 100_000 + "]" * 100_000,
            '{"note": ' + "[" * 40 + "]" * 40 + "}",
            '{"therapist_id": NaN}',
            '{"therapist_id": "\\ud800"}',
            '{"therapist_id": 1' + "0" * 5000 + "}",
            "{not json",
        ],
        ids=[
            "not-utf8",
            "bad-utf8-in-a-string",
            "nested-100000-deep",
            "nested-over-32-deep",
            "nan",
            "unpaired-surrogate",
            "5000-digit-number",
            "syntax-error",
        ],
    )
    def test_a_body_that_is_not_utf8_json_is_422_on_the_body_and_books_nothing(
        self, api: Api, aws: Any, raw: str | bytes
    ) -> None:
        before = everything(aws)
        answer = api.post("/sessions", CLIENT, raw)
        assert_problem(answer, 422, "validation_error")
        assert [error["field"] for error in answer.body["errors"]] == ["body"]
        assert everything(aws) == before

    def test_a_body_over_the_limit_is_413(self, api: Api, aws: Any) -> None:
        before = everything(aws)
        answer = api.post("/sessions", CLIENT, booking(note="x" * MAX_BODY_BYTES))
        assert_problem(answer, 413, "body_too_large")
        assert everything(aws) == before

    @pytest.mark.parametrize(
        "body", [[booking()], [], "a string", 42, None], ids=["list-of-a-booking", "list", "string", "number", "null"]
    )
    def test_a_booking_that_is_json_but_not_an_object_is_422_and_books_nothing(
        self, api: Api, aws: Any, body: Any
    ) -> None:
        before = everything(aws)
        answer = api.post("/sessions", CLIENT, json.dumps(body))
        assert_problem(answer, 422, "validation_error")
        assert everything(aws) == before

    def test_a_null_body_where_the_body_is_optional_is_no_body(self, api: Api) -> None:
        session_id = book(api).body["session_id"]
        answer = api.post(f"/sessions/{session_id}/cancel", CLIENT, "null")
        assert answer.status == 200 and answer.body["cancellation_reason"] is None


IMPOSSIBLE_INSTANTS = [
    "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:00:00+01:00",
    "1999-12-31T23:59:59Z",
    "2200-01-01T00:00:00Z",
    "3000-01-01T10:00:00Z",
    "8259",
    "2026-02-30T10:00:00Z",
    "2026-12-02T10:00:00",
    "2026-12-02T10:00Z",
    "2026-12-02 10:00:00Z",
    "2000-01-01T00:00:00+14:00",  # in range as written, 1999 in UTC
    "2199-12-31T23:45:00-23:45",  # in range as written, 2200 in UTC
]


def instant_requests(value: Any) -> list[tuple[str, str, Caller, dict[str, Any] | None, dict[str, str] | None]]:
    """Every place a request takes an instant, given `value` there: (method, path, who, body, query)."""
    return [
        ("POST", "/sessions", CLIENT, booking(start=value), None),
        ("GET", f"/therapists/{THERAPIST.sub}/slots", CLIENT, None, {"from": str(value)}),
        ("GET", f"/therapists/{THERAPIST.sub}/slots", CLIENT, None, {"to": str(value)}),
        ("GET", "/sessions", CLIENT, None, {"from": str(value)}),
        ("GET", "/sessions", CLIENT, None, {"to": str(value)}),
        ("POST", "/sessions/any-session/reschedule", THERAPIST, {"start": value, "reason": "client_requested"}, None),
        ("POST", "/sessions/any-session/offers", THERAPIST, {"alternatives": [{"start": value}]}, None),
        ("POST", "/therapists/me/blocks", THERAPIST, {**BLOCK, "start": value}, None),
        ("POST", "/therapists/me/blocks", THERAPIST, {**BLOCK, "end": value}, None),
        ("POST", "/admin/sessions/any-session/rearrange", ADMIN, {**ADMIN_MOVE, "start": value}, None),
    ]


PLACES = [
    "booking",
    "slots-from",
    "slots-to",
    "sessions-from",
    "sessions-to",
    "reschedule",
    "offers",
    "block-start",
    "block-end",
    "admin",
]


@pytest.mark.usefixtures("therapist")
class TestInstants:
    @pytest.mark.parametrize("place", range(len(PLACES)), ids=PLACES)
    def test_an_impossible_instant_is_422_wherever_it_is_sent(self, api: Api, aws: Any, place: int) -> None:
        before = everything(aws)
        for value in IMPOSSIBLE_INSTANTS:
            method, path, who, body, query = instant_requests(value)[place]
            answer = api.request(method, path, who, body=body, query=query)
            assert answer.status == 422, (value, answer.body)
            assert_problem(answer, 422, "validation_error")
        assert everything(aws) == before

    @pytest.mark.parametrize(
        "start", ["2000-01-01T00:00:00+14:00", "2199-12-31T23:45:00-23:45", "9999-12-31T23:00:00Z"]
    )
    def test_a_keyed_booking_at_an_impossible_instant_is_422_and_books_nothing(
        self, api: Api, aws: Any, start: str
    ) -> None:
        # Given the table as it is
        before = everything(aws)
        # When a client books at an instant outside the years the API takes, with an Idempotency-Key
        answer = api.post("/sessions", CLIENT, booking(start=start), headers={"Idempotency-Key": f"edge-{start}"})
        # Then it is refused as invalid (not a 500), and nothing is written
        assert_problem(answer, 422, "validation_error")
        assert everything(aws) == before

    @pytest.mark.parametrize("place", [0, 5, 6, 7, 9], ids=[PLACES[i] for i in (0, 5, 6, 7, 9)])
    def test_a_number_is_not_an_instant(self, api: Api, place: int) -> None:
        method, path, who, body, query = instant_requests(1_796_000_000)[place]
        answer = api.request(method, path, who, body=body, query=query)
        assert_problem(answer, 422, "validation_error")
        assert "datetime" in answer.body["detail"]

    def test_an_instant_in_lower_case_rfc3339_with_a_fraction_is_the_same_instant(self, api: Api) -> None:
        answer = book(api, start="2026-12-02t11:00:00.000+01:00")
        assert answer.status == 201 and answer.body["start"] == "2026-12-02T10:00:00Z"


class TestTimeZones:
    @pytest.mark.parametrize(
        "zone", ["America", "Europe", "Etc", "Europe/", "localtime", "../../etc/passwd", "UTC\x00"]
    )
    def test_a_name_that_is_not_a_zone_is_422_for_therapists_and_clients(self, api: Api, aws: Any, zone: str) -> None:
        before = everything(aws)
        therapist = api.put("/therapists/me", THERAPIST, therapist_profile(timezone=zone))
        client = api.put("/clients/me", CLIENT, {**CLIENT_PROFILE, "timezone": zone})
        assert_problem(therapist, 422, "validation_error")
        assert_problem(client, 422, "validation_error")
        assert "time zone" in therapist.body["detail"] and "time zone" in client.body["detail"]
        assert everything(aws) == before


def cursor_of(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def client_key(sort: Any) -> dict[str, Any]:
    """A LastEvaluatedKey of the client's own listing (index gsi2), with `sort` as its index sort key."""
    return {"pk": {"S": "SESSION#x"}, "sk": {"S": "SESSION"}, "gsi2pk": {"S": f"CLIENT#{CLIENT.sub}"}, "gsi2sk": sort}


@pytest.mark.usefixtures("therapist")
class TestCursors:
    @pytest.mark.parametrize(
        "sort",
        [{"N": "5"}, {"S": 5}, {"S": ""}, {"S": "x" * 1025}, {"SS": ["a"]}, {"S": "a", "N": "1"}, None, {"S": None}],
        ids=["number", "number-as-s", "empty", "too-long", "set", "two-types", "null", "null-s"],
    )
    def test_a_forged_cursor_for_ones_own_listing_is_422(self, api: Api, sort: Any) -> None:
        answer = api.get("/sessions", CLIENT, query={"cursor": cursor_of(client_key(sort))})
        assert_problem(answer, 422, "validation_error")
        assert "cursor" in answer.body["detail"]

    def test_a_cursor_used_outside_the_window_it_was_given_for_is_422(self, api: Api) -> None:
        # Given two sessions, and the first page of one
        book(api)
        book(api, start="2026-12-03T10:00:00Z")
        first = api.get("/sessions", CLIENT, query={"limit": "1"})
        assert first.status == 200 and first.body["next_cursor"]
        # When the cursor is used with a window that starts after the page it ended on
        answer = api.get(
            "/sessions",
            CLIENT,
            query={"limit": "1", "cursor": first.body["next_cursor"], "from": "2026-12-03T00:00:00Z"},
        )
        # Then it is refused (DynamoDB would refuse that start key), not a server error
        assert_problem(answer, 422, "validation_error")


class TestSessionWindows:
    @pytest.mark.parametrize("who", [CLIENT, THERAPIST], ids=["client", "therapist"])
    @pytest.mark.parametrize(
        "window",
        [
            {"from": "2026-12-10T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
            {"from": "2026-12-10T00:00:00Z", "to": "2026-12-10T00:00:00Z"},
        ],
        ids=["reversed", "empty"],
    )
    def test_a_window_that_ends_before_it_starts_is_422(self, api: Api, who: Caller, window: dict[str, str]) -> None:
        answer = api.get("/sessions", who, query=window)
        assert_problem(answer, 422, "validation_error")
        assert "'to' must be after 'from'" in answer.body["detail"]


@pytest.mark.usefixtures("therapist")
class TestRescheduleHorizon:
    @pytest.mark.parametrize("start", ["2027-01-29T10:00:00Z", "2027-06-02T10:00:00Z", "2199-12-31T10:00:00Z"])
    def test_a_therapist_cannot_move_a_session_past_the_booking_horizon(self, api: Api, aws: Any, start: str) -> None:
        # Given a confirmed session, and a therapist who takes bookings up to 60 days ahead
        session_id = confirmed_session(api)
        before = everything(aws)
        # When the therapist moves it further ahead than that
        answer = api.post(
            f"/sessions/{session_id}/reschedule", THERAPIST, {"start": start, "reason": "client_requested"}
        )
        # Then it is refused, naming the horizon, and the session stays where it was
        assert_problem(answer, 422, "validation_error")
        assert "60 days" in answer.body["detail"]
        assert everything(aws) == before

    def test_a_move_within_the_horizon_still_works(self, api: Api) -> None:
        session_id = confirmed_session(api)
        answer = api.post(
            f"/sessions/{session_id}/reschedule",
            THERAPIST,
            {"start": "2027-01-28T10:00:00Z", "reason": "client_requested"},
        )
        assert answer.status == 200 and answer.body["start"] == "2027-01-28T10:00:00Z"


@pytest.mark.parametrize(
    "location",
    [
        {"id": "room", "kind": "in_person", "address": "   "},
        {"id": "video", "kind": "online", "link": "\t\n"},
    ],
    ids=["blank address", "blank link"],
)
def test_a_location_whose_address_or_link_is_only_spaces_is_422_and_not_saved(
    api: Api, aws: Any, location: dict[str, str]
) -> None:
    # Given the table as it is
    before = everything(aws)
    # When a therapist publishes a location with nothing to go to
    answer = api.put("/therapists/me", THERAPIST, therapist_profile(locations=[location]))
    # Then it is refused, and nothing is saved
    assert_problem(answer, 422, "validation_error")
    assert everything(aws) == before
