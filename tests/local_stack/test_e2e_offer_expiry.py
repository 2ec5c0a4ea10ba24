"""Seeds 000 and 001 over real HTTP: alternatives offered, left unanswered, expire at 24 hours.

A stack subprocess per expiry policy (OFFER_EXPIRY_POLICY, as `make run` honours it);
the clock is moved to one minute before and one minute after the deadline. Against a deployment
(tests/support/target.py) both are skipped: its policy is a stack parameter, and its clock cannot be moved.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.support.target import Target, instant, new_client, new_therapist, open_target

pytestmark = pytest.mark.e2e


@pytest.fixture(params=["cancel_and_refund", "revert_to_original"])
def stack(request: pytest.FixtureRequest) -> Iterator[tuple[str, Target]]:
    with open_target({"OFFER_EXPIRY_POLICY": request.param}) as target:
        yield request.param, target


@pytest.mark.needs_clock
@pytest.mark.needs_dead_letters
def test_an_unanswered_offer_expires_after_exactly_24_hours(stack: tuple[str, Target]) -> None:
    policy, target = stack
    http = target.http
    therapist_user = new_therapist(target)
    therapist_id, therapist = therapist_user.sub, therapist_user.token
    client = new_client(target).token
    now = target.now()
    slots = http.get(f"/therapists/{therapist_id}/slots?session_type=individual", token=client).json()["items"]
    later = [s["start"] for s in slots if instant(s["start"]) > now + timedelta(days=3)]
    original, first_alternative, second_alternative = later[0], later[8], later[16]

    # Given a confirmed booking three days ahead
    booked = http.post(
        "/sessions",
        {
            "therapist_id": therapist_id,
            "start": original,
            "session_type": "individual",
            "location_id": "video",
            "attendees": ["Demo Client"],
        },
        token=client,
    )
    assert booked.status == 201, booked.body
    session_id = booked.json()["session_id"]
    assert http.post(f"/sessions/{session_id}/confirm", token=therapist).status == 200

    # When the therapist offers two alternative times
    offered = http.post(
        f"/sessions/{session_id}/offers",
        {"alternatives": [{"start": first_alternative}, {"start": second_alternative}]},
        token=therapist,
    )
    assert offered.status == 201, offered.body
    offer = offered.json()["offer"]
    assert instant(offer["expires_at"]) - now >= timedelta(hours=24)
    held = {first_alternative, second_alternative, original}
    open_slots = {s["start"] for s in http.get(f"/therapists/{therapist_id}/slots", token=client).json()["items"]}
    assert not held & open_slots  # all three times are held

    # And nobody answers for 23 hours 59 minutes: nothing has expired yet
    target.advance_clock(24 * 3600 - 60)
    assert http.get(f"/sessions/{session_id}", token=client).json()["status"] == "alternatives_offered"

    # When the clock passes the deadline by a minute
    target.advance_clock(120)

    # Then the offer has expired by the policy, and the alternatives are free again
    session = http.get(f"/sessions/{session_id}", token=client).json()
    assert session["offer"] is None
    if policy == "cancel_and_refund":
        assert session["status"] == "cancelled"
        assert session["cancelled_by"] == "system"
        assert session["refund"] == session["price"]
    else:
        assert session["status"] == "confirmed"
        assert session["start"] == original
    open_slots = {s["start"] for s in http.get(f"/therapists/{therapist_id}/slots", token=client).json()["items"]}
    assert {first_alternative, second_alternative} <= open_slots
    assert (original in open_slots) == (policy == "cancel_and_refund")
    # and an answer now is told it came too late
    late = http.post(
        f"/sessions/{session_id}/offers/accept",
        {"alternative_id": offer["alternatives"][0]["alternative_id"]},
        token=client,
    )
    assert late.status == 410 and late.json()["code"] == "offer_expired"
    assert target.dead_letters() == {"items": []}
