"""GET /sessions/{id}/cancellation-terms through the real handler: what POST /sessions/{id}/cancel would settle if
the caller cancelled now, refused exactly when the cancellation would be, read with one GetItem and nothing written."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest
from botocore.client import BaseClient

from tests.support.api import Api, Caller
from tests.support.clock import FakeClock
from tests.support.scenario import ADMIN, CLIENT, OTHER_CLIENT, OTHER_THERAPIST, THERAPIST, book, publish_therapist

PRICE = {"amount": 6000, "currency": "GBP"}
NOTHING = {"amount": 0, "currency": "GBP"}
START = "2026-12-02T10:00:00Z"  # book()'s start; the clock starts at 2026-11-30T09:00:00Z
WINDOW_ENDS = "2026-12-01T10:00:00Z"  # the start less the 24-hour cancellation window
MONEY = ("refund", "therapist_payout", "platform_commission")


@pytest.fixture(autouse=True)
def therapist(api: Api) -> None:
    publish_therapist(api)


def terms(api: Api, session_id: str, who: Caller) -> Any:
    return api.get(f"/sessions/{session_id}/cancellation-terms", who)


def pending(api: Api) -> str:
    answer = book(api)
    assert answer.status == 201, answer.body
    return str(answer.body["session_id"])


def confirmed(api: Api) -> str:
    session_id = pending(api)
    assert api.post(f"/sessions/{session_id}/confirm", THERAPIST).status == 200
    return session_id


def cancelled(api: Api) -> str:
    session_id = confirmed(api)
    assert api.post(f"/sessions/{session_id}/cancel", CLIENT).status == 200
    return session_id


def completed(api: Api) -> str:
    session_id = confirmed(api)
    body = {"status": "completed", "reason": "error_correction", "note": "Held as booked"}
    assert api.post(f"/admin/sessions/{session_id}/rearrange", ADMIN, body).status == 200
    return session_id


@contextmanager
def dynamodb_calls() -> Iterator[list[str]]:
    """The names of the AWS calls made inside (still sent on to moto)."""
    calls: list[str] = []
    original = BaseClient._make_api_call  # type: ignore[attr-defined]

    def spy(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls.append(operation)
        return original(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", new=spy):
        yield calls


def test_a_client_well_ahead_of_a_confirmed_session_gets_a_full_refund_until_the_window(api: Api) -> None:
    session_id = confirmed(api)
    answer = terms(api, session_id, CLIENT)
    assert answer.status == 200, answer.body
    assert answer.body == {
        "session_id": session_id,
        "cancelled_by": "client",
        "refund": PRICE,
        "therapist_payout": NOTHING,
        "platform_commission": NOTHING,
        "full_refund_until": WINDOW_ENDS,
        "now": "2026-11-30T09:00:00Z",
        "streak": None,
    }


def test_at_the_window_itself_the_refund_is_still_full(api: Api, clock: FakeClock) -> None:
    session_id = confirmed(api)
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    assert terms(api, session_id, CLIENT).body["refund"] == PRICE


def test_a_client_inside_the_window_gets_nothing_back_and_the_therapist_is_paid_less_commission(
    api: Api, clock: FakeClock
) -> None:
    session_id = confirmed(api)
    clock.set(datetime(2026, 12, 2, 6, 0, tzinfo=UTC))  # four hours before the start
    answer = terms(api, session_id, CLIENT)
    assert answer.status == 200, answer.body
    assert answer.body["refund"] == NOTHING
    assert answer.body["therapist_payout"] == {"amount": 5400, "currency": "GBP"}
    assert answer.body["platform_commission"] == {"amount": 600, "currency": "GBP"}
    assert (answer.body["full_refund_until"], answer.body["now"]) == (WINDOW_ENDS, "2026-12-02T06:00:00Z")


def test_the_therapist_always_refunds_in_full(api: Api, clock: FakeClock) -> None:
    session_id = confirmed(api)
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    answer = terms(api, session_id, THERAPIST)
    assert answer.status == 200, answer.body
    assert (answer.body["cancelled_by"], answer.body["full_refund_until"]) == ("therapist", None)
    assert (answer.body["refund"], answer.body["therapist_payout"]) == (PRICE, NOTHING)


def test_a_pending_session_is_refunded_in_full_whatever_the_time(api: Api, clock: FakeClock) -> None:
    session_id = pending(api)
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    answer = terms(api, session_id, CLIENT)
    assert answer.status == 200, answer.body
    assert (answer.body["refund"], answer.body["full_refund_until"]) == (PRICE, None)


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        (OTHER_CLIENT, 404, "not_found"),
        (OTHER_THERAPIST, 404, "not_found"),
        (ADMIN, 403, "forbidden"),  # admins see sessions, but the team cancels through its rearrangement
    ],
)
def test_strangers_get_404_and_admins_403(api: Api, who: Caller, status: int, code: str) -> None:
    session_id = confirmed(api)
    answer = terms(api, session_id, who)
    assert (answer.status, answer.body["code"]) == (status, code)
    assert terms(api, "no-such-session", CLIENT).status == 404


def test_a_cancelled_session_is_409_invalid_transition(api: Api) -> None:
    answer = terms(api, cancelled(api), CLIENT)
    assert (answer.status, answer.body["code"]) == (409, "invalid_transition")


def test_a_session_whose_start_has_passed_is_409_session_in_past(api: Api, clock: FakeClock) -> None:
    session_id = confirmed(api)
    clock.set(datetime(2026, 12, 2, 10, 5, tzinfo=UTC))
    answer = terms(api, session_id, CLIENT)
    assert (answer.status, answer.body["code"]) == (409, "session_in_past")
    assert "contact the team" in answer.body["detail"]


# Each state and caller: the terms answer exactly as the cancellation then does (the same status and code; on 200
# the same money), because both go through `lifecycle.cancellation_terms`.
CASES: list[tuple[str, Callable[[Api], str], Caller, datetime | None]] = [
    ("pending, client", pending, CLIENT, None),
    ("pending, client, an hour before", pending, CLIENT, datetime(2026, 12, 2, 9, 0, tzinfo=UTC)),
    ("pending, therapist", pending, THERAPIST, None),
    ("confirmed, client, early", confirmed, CLIENT, None),
    ("confirmed, client, late", confirmed, CLIENT, datetime(2026, 12, 2, 6, 0, tzinfo=UTC)),
    ("confirmed, therapist, late", confirmed, THERAPIST, datetime(2026, 12, 2, 6, 0, tzinfo=UTC)),
    ("confirmed, admin", confirmed, ADMIN, None),
    ("confirmed, another client", confirmed, OTHER_CLIENT, None),
    ("confirmed, another therapist", confirmed, OTHER_THERAPIST, None),
    ("started, therapist", confirmed, THERAPIST, datetime(2026, 12, 2, 10, 0, tzinfo=UTC)),
    ("cancelled, therapist", cancelled, THERAPIST, None),
    ("completed, client", completed, CLIENT, None),
]


@pytest.mark.parametrize(("arrange", "who", "at"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_the_terms_are_what_the_cancellation_then_gives(
    api: Api, clock: FakeClock, arrange: Callable[[Api], str], who: Caller, at: datetime | None
) -> None:
    session_id = arrange(api)
    if at is not None:
        clock.set(at)
    shown = terms(api, session_id, who)
    done = api.post(f"/sessions/{session_id}/cancel", who)
    assert shown.status == done.status, (shown.body, done.body)
    if done.status != 200:
        assert (shown.body["code"], shown.body["detail"]) == (done.body["code"], done.body["detail"])
        return
    assert {key: shown.body[key] for key in (*MONEY, "cancelled_by")} == {
        key: done.body[key] for key in (*MONEY, "cancelled_by")
    }


@pytest.mark.parametrize(
    ("who", "read"),
    [(CLIENT, "GetItem"), (THERAPIST, "BatchGetItem")],  # the therapist's with their record, for the streak
)
def test_one_read_and_nothing_written(api: Api, who: Caller, read: str) -> None:
    session_id = confirmed(api)
    before = api.get(f"/sessions/{session_id}", CLIENT).body
    with dynamodb_calls() as calls:
        assert terms(api, session_id, who).status == 200
    assert calls == [read]
    assert api.get(f"/sessions/{session_id}", CLIENT).body == before


def test_the_therapist_is_told_what_each_cancellation_does_to_their_streak_and_it_does_it(api: Api) -> None:
    # Given a therapist who cancels one confirmed session after another (3 in a row flag, 5 deactivate)
    for streak_after, flags, deactivates in [(1, False, False), (2, False, False), (3, True, False),
                                             (4, True, False), (5, True, True)]:  # fmt: skip
        session_id = confirmed(api)
        # When they ask what cancelling would do
        shown = terms(api, session_id, THERAPIST)
        # Then the terms say how long the streak becomes and what it sets off
        assert shown.status == 200, shown.body
        assert shown.body["streak"] == {"streak_after": streak_after, "flags": flags, "deactivates": deactivates}
        # And the cancellation does exactly that
        assert api.post(f"/sessions/{session_id}/cancel", THERAPIST).status == 200
        standing = api.get("/therapists/me/standing", THERAPIST).body
        assert (standing["cancellation_streak"], standing["flagged"], standing["deactivated"]) == (
            streak_after,
            flags,
            deactivates,
        )
