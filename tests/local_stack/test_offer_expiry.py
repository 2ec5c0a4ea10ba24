"""Expiry at exactly 24 hours, through the whole product on the local stack with the real template.yaml.

The offer is made and answered over the HTTP routes; its outbox event reaches SessionSchedulesFunction through
the emulated stream (with the template's filter and batch settings); the one-time schedule it creates fires
OfferExpiryFunction when the local clock passes the deadline; SweeperFunction runs every 5 minutes meanwhile.
The same consumer keeps the session's reminder schedule in step: none while the offer waits for the client,
back for the session's start once it is confirmed again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest

from functions.offer_expiry import app as offer_expiry
from local_stack import demo
from local_stack.runtime import LocalStack

DAY = 24 * 3600


# --- helpers -----------------------------------------------------------------------------------


def api(stack: LocalStack, method: str, path: str, who: demo.DemoUser, body: Any = None) -> tuple[int, Any]:
    headers = {"authorization": f"Bearer {stack.issuer.issue(who.sub, who.role)}"}
    if body is not None:
        headers["content-type"] = "application/json"
    path, _, query = path.partition("?")
    answer = stack.handle_api(method, path, query, headers, b"" if body is None else json.dumps(body).encode())
    return answer.status, json.loads(answer.body) if answer.body else None


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def free_starts(stack: LocalStack) -> list[datetime]:
    status, body = api(stack, "GET", f"/therapists/{demo.THERAPIST.sub}/slots?session_type=individual", demo.CLIENT)
    assert status == 200, body
    return [instant(slot["start"]) for slot in body["items"]]


def session(stack: LocalStack, session_id: str) -> dict[str, Any]:
    status, body = api(stack, "GET", f"/sessions/{session_id}", demo.CLIENT)
    assert status == 200, body
    result: dict[str, Any] = body
    return result


def outbox_events(stack: LocalStack, session_id: str) -> list[tuple[str, str]]:
    """(sort key, event type) of the session's outbox items, in order."""
    items = stack.dynamodb.query(
        TableName=stack.table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :events)",
        ExpressionAttributeValues={":pk": {"S": f"SESSION#{session_id}"}, ":events": {"S": "EVENT#"}},
    )["Items"]
    return [(item["sk"]["S"], item["event_type"]["S"]) for item in items]


def schedules(stack: LocalStack, prefix: str) -> list[dict[str, Any]]:
    """The sessions' schedules whose names start with `prefix`, as GetSchedule describes them."""
    group = os.environ["SCHEDULE_GROUP"]
    listed = stack.scheduler_client.list_schedules(GroupName=group)["Schedules"]
    return [
        stack.scheduler_client.get_schedule(Name=s["Name"], GroupName=group)
        for s in listed
        if s["Name"].startswith(prefix)
    ]


def expiry_schedules(stack: LocalStack) -> list[dict[str, Any]]:
    return schedules(stack, "expire-")


def reminder_schedules(stack: LocalStack) -> list[dict[str, Any]]:
    return schedules(stack, "remind-")


def assert_reminder_for(stack: LocalStack, session_id: str, start: str) -> None:
    """The session has its one reminder: 24 h before `start`, invoking the reminder function with that start."""
    (reminder,) = reminder_schedules(stack)
    due = instant(start) - timedelta(hours=24)
    assert reminder["Name"] == f"remind-{session_id}"
    assert reminder["ScheduleExpression"] == f"at({due:%Y-%m-%dT%H:%M:%S})"
    assert reminder["Target"]["Arn"] == stack.arn("SessionRemindersFunction", "Arn")
    planned = json.loads(reminder["Target"]["Input"])
    assert planned["session_id"] == session_id and instant(planned["start"]) == instant(start)


def book_confirm_and_offer(stack: LocalStack) -> tuple[dict[str, Any], dict[str, Any]]:
    """A session three days ahead, confirmed, then two alternative times offered: (as confirmed, as offered)."""
    starts = free_starts(stack)
    original = next(s for s in starts if s >= stack.clock.now() + timedelta(days=3))
    status, booked = api(
        stack,
        "POST",
        "/sessions",
        demo.CLIENT,
        {
            "therapist_id": demo.THERAPIST.sub,
            "start": original.isoformat(),
            "session_type": "individual",
            "location_id": "video",
            "attendees": ["Demo Client"],
        },
    )
    assert status == 201, booked
    status, confirmed = api(stack, "POST", f"/sessions/{booked['session_id']}/confirm", demo.THERAPIST)
    assert status == 200, confirmed
    first = next(s for s in starts if s >= original + timedelta(hours=2))
    second = next(s for s in starts if s >= first + timedelta(hours=2))
    status, offered = api(
        stack,
        "POST",
        f"/sessions/{booked['session_id']}/offers",
        demo.THERAPIST,
        {"alternatives": [{"start": first.isoformat()}, {"start": second.isoformat()}]},
    )
    assert status == 201, offered
    return confirmed, offered


class ExpirySpy:
    """Records each invocation of the expiry function's handler (the stack looks it up on every call)."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (event, result)
        self._real = offer_expiry.lambda_handler

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._real(event, context)
        self.calls.append((event, result))
        return result


@contextmanager
def expiry_calls() -> Iterator[ExpirySpy]:
    spy = ExpirySpy()
    with mock.patch.object(offer_expiry, "lambda_handler", spy):
        yield spy


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["cancel_and_refund", "revert_to_original"], indirect=True)
def test_an_unanswered_offer_expires_at_exactly_24_hours_under_the_platform_policy(stack: LocalStack) -> None:
    policy = os.environ["OFFER_EXPIRY_POLICY"]
    # Given a confirmed session for which the therapist offered two alternative times (over HTTP)
    confirmed, offered = book_confirm_and_offer(stack)
    session_id, offer = offered["session_id"], offered["offer"]
    deadline = instant(offer["expires_at"])
    assert deadline - instant(offered["updated_at"]) <= timedelta(hours=24, seconds=1)
    held = [instant(a["start"]) for a in offer["alternatives"]]
    assert not set(held) & set(free_starts(stack))

    # Then the stream consumer created the offer's one schedule, at its deadline to the second, in UTC
    (schedule,) = expiry_schedules(stack)
    assert schedule["Name"] == f"expire-{offer['offer_id']}"
    assert schedule["ScheduleExpression"] == f"at({deadline:%Y-%m-%dT%H:%M:%S})"
    assert (schedule["ScheduleExpressionTimezone"], schedule["FlexibleTimeWindow"]) == ("UTC", {"Mode": "OFF"})
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["Arn"] == stack.arn("OfferExpiryFunction", "Arn")
    assert schedule["Target"]["RoleArn"] == stack.arn("SchedulerRole", "Arn")
    assert json.loads(schedule["Target"]["Input"]) == {"session_id": session_id, "change_id": offer["offer_id"]}
    # And the confirmed session's reminder is gone while the client has not answered
    assert reminder_schedules(stack) == []
    before = outbox_events(stack, session_id)
    assert [kind for _, kind in before] == ["session.booked", "session.confirmed", "session.alternatives_offered"]

    with expiry_calls() as expiry:
        # When the clock passes to a minute before the deadline (the sweeper runs meanwhile)
        stack.advance_clock((deadline - stack.clock.now()).total_seconds() - 60)

        # Then nothing has happened yet
        assert expiry.calls == []
        assert session(stack, session_id)["status"] == "alternatives_offered"
        assert len(expiry_schedules(stack)) == 1

        # When the clock passes the deadline
        stack.advance_clock(120)

        # Then the schedule fired the expiry function once, which expired the offer
        ((event, result),) = expiry.calls
        assert event == {"session_id": session_id, "change_id": offer["offer_id"]}
        assert result["outcome"] == "expired"

    expired = session(stack, session_id)
    assert expired["offer"] is None
    if policy == "cancel_and_refund":
        # And the session is cancelled by the system and refunded in full; its time and the holds are free
        assert (expired["status"], expired["cancelled_by"], expired["refund"]) == (
            "cancelled",
            "system",
            confirmed["price"],
        )
        assert set(held) | {instant(confirmed["start"])} <= set(free_starts(stack))
        assert reminder_schedules(stack) == []
    else:
        # And the session is back at its original time and status; the holds are free, its own time is not
        assert (expired["status"], expired["start"], expired["refund"]) == ("confirmed", confirmed["start"], None)
        assert set(held) <= set(free_starts(stack))
        assert instant(confirmed["start"]) not in free_starts(stack)
        # And its reminder is back, for its original start
        assert_reminder_for(stack, session_id, confirmed["start"])

    # And the schedule is gone, and the expiry wrote exactly one outbox event
    assert expiry_schedules(stack) == []
    after = outbox_events(stack, session_id)
    assert after == [*before, ("EVENT#00000004", "session.offer_expired")]
    assert stack.dead_letters == []

    # When more time passes (the sweeper keeps running)
    stack.advance_clock(3600)

    # Then nothing changes any more
    assert outbox_events(stack, session_id) == after
    assert session(stack, session_id) == expired


def test_an_answered_offer_loses_its_schedule_and_never_expires(stack: LocalStack) -> None:
    # Given an offer with its schedule
    _, offered = book_confirm_and_offer(stack)
    session_id, offer = offered["session_id"], offered["offer"]
    assert len(expiry_schedules(stack)) == 1

    # When the client accepts the second alternative (over HTTP)
    chosen = offer["alternatives"][1]
    status, accepted = api(
        stack,
        "POST",
        f"/sessions/{session_id}/offers/accept",
        demo.CLIENT,
        {"alternative_id": chosen["alternative_id"]},
    )
    assert status == 200, accepted

    # Then the expiry schedule is deleted at once, and the session's reminder is planned for the chosen start
    assert expiry_schedules(stack) == []
    assert_reminder_for(stack, session_id, chosen["start"])
    events = outbox_events(stack, session_id)
    assert events[-1] == ("EVENT#00000004", "session.offer_accepted")

    # When the deadline passes
    with expiry_calls() as expiry:
        stack.advance_clock(DAY + 60)

    # Then no expiry ran, and the session stays confirmed at the chosen time with no new event
    assert expiry.calls == []
    assert (session(stack, session_id)["status"], session(stack, session_id)["start"]) == ("confirmed", chosen["start"])
    assert outbox_events(stack, session_id) == events
    assert stack.dead_letters == []
