"""The product's main flows over HTTPS against a deployed stack, as a web front end drives them: real Cognito
tokens, real time (no clock to move), emails to SES's mailbox simulator. Each test makes its own users and leaves
their therapists hidden, their clients erased. Skipped without a deployed stack (see conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.local_stack.running_stack import Http
from tests.support.cognito_users import CognitoTestUsers, TestUser

pytestmark = pytest.mark.deployed

AVAILABILITY = {
    "weekly": [
        {"day": day, "start": "00:00", "end": "23:45"} for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    ],
    "min_notice_hours": 24,
    "horizon_days": 120,
}


def therapist(deployed: Http, users: CognitoTestUsers) -> TestUser:
    user = users.user("therapist")
    profile = {
        "name": "Deployed Test Therapist",
        "email": user.email,
        "sms_opt_in": False,
        "timezone": "Europe/London",
        "locations": [{"id": "video", "kind": "online", "link": "https://meet.example.com/deployed-test"}],
        "session_types": [{"type": "individual", "duration_minutes": 50, "price": {"amount": 6000, "currency": "GBP"}}],
        "free_initial_consultation": False,
        "visible": True,
    }
    assert deployed.put("/therapists/me", profile, token=user.token).status == 200
    assert deployed.put("/therapists/me/availability", AVAILABILITY, token=user.token).status == 200
    return user


def client(deployed: Http, users: CognitoTestUsers) -> TestUser:
    user = users.user("client")
    body = {"name": "Deployed Test Client", "email": user.email, "sms_opt_in": False, "timezone": "Europe/London"}
    assert deployed.put("/clients/me", body, token=user.token).status == 200
    return user


def erase(deployed: Http, *clients: TestUser) -> None:
    """What a test leaves of its clients: nothing personal (their sessions stay, stripped)."""
    for who in clients:
        deployed.delete("/clients/me", token=who.token)


def hide(deployed: Http, who: TestUser) -> None:
    profile = deployed.get("/therapists/me", token=who.token).json()
    body = {k: profile[k] for k in ("name", "email", "sms_opt_in", "timezone", "locations", "session_types")}
    body |= {"free_initial_consultation": False, "visible": False}
    deployed.put("/therapists/me", body, token=who.token)


def free_start(deployed: Http, who: TestUser, therapist_id: str, skip: int = 0) -> str:
    start = datetime.now(UTC) + timedelta(days=3)
    window = f"from={start:%Y-%m-%dT%H:%M:%SZ}&to={start + timedelta(days=7):%Y-%m-%dT%H:%M:%SZ}"
    reply = deployed.get(f"/therapists/{therapist_id}/slots?session_type=individual&{window}", token=who.token)
    assert reply.status == 200, reply.body
    items: list[dict[str, Any]] = reply.json()["items"]
    return str(items[skip]["start"])


def book(deployed: Http, who: TestUser, therapist_id: str, start: str) -> dict[str, Any]:
    body = {
        "therapist_id": therapist_id,
        "start": start,
        "session_type": "individual",
        "location_id": "video",
        "attendees": ["Deployed Test Client"],
    }
    reply = deployed.post("/sessions", body, token=who.token)
    assert reply.status == 201, reply.body
    session: dict[str, Any] = reply.json()
    return session


def test_a_booking_is_confirmed_and_cancelled_with_a_refund(deployed: Http, users: CognitoTestUsers) -> None:
    # Given a published therapist and a client
    ada, sam = therapist(deployed, users), client(deployed, users)
    other: TestUser | None = None
    try:
        # When the client books a free slot three days ahead and the therapist confirms it
        session = book(deployed, sam, ada.sub, free_start(deployed, sam, ada.sub))
        confirmed = deployed.post(f"/sessions/{session['session_id']}/confirm", token=ada.token)
        assert (confirmed.status, confirmed.json()["status"]) == (200, "confirmed")
        # Then another client cannot book that time
        other = client(deployed, users)
        taken = deployed.post("/sessions", {**_booking_of(session), "therapist_id": ada.sub}, token=other.token)
        assert (taken.status, taken.json()["code"]) == (409, "slot_unavailable")
        # When the client cancels more than a day ahead / Then in full
        cancelled = deployed.post(f"/sessions/{session['session_id']}/cancel", {"reason": "test"}, token=sam.token)
        assert cancelled.status == 200 and cancelled.json()["refund"] == session["price"]
        # And no route answers without a token
        assert deployed.get("/sessions").status == 401
    finally:
        hide(deployed, ada)
        erase(deployed, sam, *([other] if other else []))


def test_only_the_client_and_their_therapist_read_the_assessment(deployed: Http, users: CognitoTestUsers) -> None:
    ada, sam, stranger = therapist(deployed, users), client(deployed, users), therapist(deployed, users)
    admin = users.user("admin")
    try:
        questions = deployed.get("/assessment/questions", token=sam.token).json()
        answers = [
            {"question_id": q["question_id"], "answer": 1} for i in questions["instruments"] for q in i["questions"]
        ]
        assert deployed.put("/clients/me/assessment", {"answers": answers}, token=sam.token).status == 200
        book(deployed, sam, ada.sub, free_start(deployed, sam, ada.sub))
        path = f"/clients/{sam.sub}/assessment"
        assert deployed.get(path, token=ada.token).status == 200
        assert [deployed.get(path, token=who.token).status for who in (stranger, admin)] == [404, 404]
        assert deployed.get(path).status == 401
    finally:
        hide(deployed, ada)
        hide(deployed, stranger)
        erase(deployed, sam)


def test_a_reservation_holds_its_times_for_its_client_until_deleted(deployed: Http, users: CognitoTestUsers) -> None:
    ada, sam, other = therapist(deployed, users), client(deployed, users), client(deployed, users)
    try:
        book(deployed, sam, ada.sub, free_start(deployed, sam, ada.sub))  # an ongoing client
        first = free_start(deployed, sam, ada.sub, skip=5)
        body = {
            "client_id": sam.sub,
            "first_start": first,
            "every_weeks": 1,
            "occurrences": 3,
            "session_type": "individual",
            "location_id": "video",
        }
        made = deployed.post("/therapists/me/reservations", body, token=ada.token)
        assert made.status == 201, made.body
        refused = deployed.post("/sessions", {**_booking(ada.sub, first)}, token=other.token)
        assert refused.json()["code"] == "slot_unavailable"
        assert len(deployed.get("/clients/me/reservations", token=sam.token).json()["items"]) == 1
        reservation = made.json()["reservation_id"]
        assert deployed.delete(f"/therapists/me/reservations/{reservation}", token=ada.token).status == 204
        assert deployed.post("/sessions", _booking(ada.sub, first), token=other.token).status == 201
    finally:
        hide(deployed, ada)
        erase(deployed, sam, other)


def test_a_client_exports_and_erases_their_data(deployed: Http, users: CognitoTestUsers) -> None:
    ada, sam = therapist(deployed, users), client(deployed, users)
    try:
        session = book(deployed, sam, ada.sub, free_start(deployed, sam, ada.sub))
        exported = deployed.get("/clients/me/export", token=sam.token).json()
        assert [s["session_id"] for s in exported["sessions"]] == [session["session_id"]]
        assert deployed.delete("/clients/me", token=sam.token).status == 204
        kept = deployed.get(f"/sessions/{session['session_id']}", token=ada.token).json()
        assert (kept["status"], kept["attendees"]) == ("cancelled", [])
    finally:
        hide(deployed, ada)


def _booking(therapist_id: str, start: str) -> dict[str, Any]:
    return {
        "therapist_id": therapist_id,
        "start": start,
        "session_type": "individual",
        "location_id": "video",
        "attendees": ["Deployed Test Client"],
    }


def _booking_of(session: dict[str, Any]) -> dict[str, Any]:
    return _booking(session["therapist_id"], session["start"])
