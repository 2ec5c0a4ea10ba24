"""The seeds' flows over real HTTP on the local stack, read back from `/dev/outbox`: each flow
leaves exactly the messages docs/notifications.md lists, no more, no fewer; and nothing the
stack logged along the way names anybody.

One stack subprocess (started as `make run` starts it, logging at INFO as deployed) serves the
module; each flow starts from `/dev/reset` with the demo profiles saved again through the API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from local_stack import demo
from tests.local_stack.running_stack import Http, StackProcess, running_stack

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.local_only(reason="reads every message sent (/dev/outbox) and the stack's log, from a reset stack"),
]

THERAPIST_EMAIL = str(demo.THERAPIST_PROFILE["email"])
CLIENT_EMAIL = str(demo.CLIENT_PROFILE["email"])
THERAPIST_PHONE = str(demo.THERAPIST_PROFILE["phone"])
CLIENT_PHONE = str(demo.CLIENT_PROFILE["phone"])
ATTENDEE = "Alex Attendee-Private"
NOTE = "Private note: anxiety since the bereavement"
PERSONAL = (
    str(demo.THERAPIST_PROFILE["name"]),
    str(demo.CLIENT_PROFILE["name"]),
    THERAPIST_EMAIL,
    CLIENT_EMAIL,
    THERAPIST_PHONE,
    CLIENT_PHONE,
    "7700900",  # the numbers without their country code
    "1 Demo Street",
    ATTENDEE,
    NOTE,
)


@dataclass(frozen=True)
class Sent:
    """A message as its recipient sees it in the outbox: to whom, by which channel, with which calendar file."""

    to: str
    channel: str = "email"
    calendar: str | None = None


@pytest.fixture(scope="module")
def stack() -> Iterator[StackProcess]:
    with running_stack({"POWERTOOLS_LOG_LEVEL": "INFO"}) as process:
        yield process


class Flow:
    """A clean stack with the demo therapist and client, driven as their front ends would."""

    def __init__(self, stack: StackProcess, client_sms: bool = False) -> None:
        self.http = Http(stack.base_url)
        assert self.http.post("/dev/reset").status == 200
        self.therapist = self.http.token(demo.THERAPIST.sub, demo.THERAPIST.role)
        self.client = self.http.token(demo.CLIENT.sub, demo.CLIENT.role)
        self.admin = self.http.token(demo.ADMIN.sub, demo.ADMIN.role)
        for path, body, token in (
            ("/therapists/me", demo.THERAPIST_PROFILE, self.therapist),
            ("/therapists/me/availability", demo.AVAILABILITY, self.therapist),
            ("/clients/me", {**demo.CLIENT_PROFILE, "sms_opt_in": client_sms}, self.client),
        ):
            assert self.http.put(path, body, token=token).status == 200
        self.now = instant(self.http.get("/dev/clock").json()["now"])
        slots = self.http.get(
            f"/therapists/{demo.THERAPIST.sub}/slots?session_type=individual", token=self.client
        ).json()["items"]
        self.starts = [s["start"] for s in slots if instant(s["start"]) > self.now + timedelta(days=3)]

    def post(self, path: str, body: Any = None, *, token: str, status: int = 200) -> dict[str, Any]:
        reply = self.http.post(path, body, token=token)
        assert reply.status == status, reply.body
        answer: dict[str, Any] = reply.json()
        return answer

    def book(self, location_id: str = "consulting-room") -> str:
        body = {
            "therapist_id": demo.THERAPIST.sub,
            "start": self.starts[0],
            "session_type": "individual",
            "location_id": location_id,
            "attendees": [ATTENDEE],
            "note": NOTE,
        }
        session_id: str = self.post("/sessions", body, token=self.client, status=201)["session_id"]
        return session_id

    def confirmed(self) -> str:
        session_id = self.book()
        self.post(f"/sessions/{session_id}/confirm", token=self.therapist)
        return session_id

    def outbox(self) -> dict[str, list[dict[str, Any]]]:
        box: dict[str, list[dict[str, Any]]] = self.http.get("/dev/outbox").json()
        return box

    def sent(self) -> list[Sent]:
        box = self.outbox()
        emails = [Sent(email["to"][0], calendar=calendar_method(email)) for email in box["emails"]]
        return sorted(emails + [Sent(sms["to"], "sms") for sms in box["sms"]], key=repr)

    def advance(self, seconds: int) -> None:
        assert self.http.post("/dev/clock", {"advance_seconds": seconds}).status == 200


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def calendar_method(email: dict[str, Any]) -> str | None:
    """REQUEST or CANCEL from the calendar file's name in the outbox (invite.ics, cancel.ics); None without one."""
    files = [a["filename"] for a in email["attachments"] if a["content_type"] == "text/calendar"]
    assert len(files) <= 1, files
    return None if not files else "CANCEL" if files[0] == "cancel.ics" else "REQUEST"


def sorted_sent(*messages: Sent) -> list[Sent]:
    return sorted(messages, key=repr)


def test_book_confirm_offer_expire_tells_each_party_what_the_mapping_says(stack: StackProcess) -> None:
    flow = Flow(stack)
    # Given a booking: the therapist (opted in to SMS) gets an email and a text
    session_id = flow.book()
    assert flow.sent() == sorted_sent(Sent(THERAPIST_EMAIL), Sent(THERAPIST_PHONE, "sms"))
    booking_email = flow.outbox()["emails"][0]
    assert NOTE not in booking_email["text"]

    # When the therapist confirms, the client gets the details and a calendar invitation
    flow.post(f"/sessions/{session_id}/confirm", token=flow.therapist)
    confirmation = flow.outbox()["emails"][-1]
    assert confirmation["to"] == [CLIENT_EMAIL]
    assert {"filename": "invite.ics", "content_type": "text/calendar"}.items() <= confirmation["attachments"][0].items()
    assert "1 Demo Street" in confirmation["text"]
    assert demo.THERAPIST_PROFILE["name"] in confirmation["text"]
    assert THERAPIST_EMAIL in confirmation["text"]

    # When the therapist offers two alternatives, the client (not opted in) gets one email listing them
    offered = flow.post(
        f"/sessions/{session_id}/offers",
        {"alternatives": [{"start": flow.starts[8]}, {"start": flow.starts[16]}]},
        token=flow.therapist,
        status=201,
    )
    offer_email = flow.outbox()["emails"][-1]
    assert offer_email["to"] == [CLIENT_EMAIL]
    for alternative in offered["offer"]["alternatives"]:
        local = instant(alternative["start"]).astimezone(london())
        assert f"{local:%H:%M}" in offer_email["text"]
        assert f"{local.day} {local:%B}" in offer_email["text"]

    # And nobody answers: after 24 hours both are told, the client's calendar entry is cancelled
    flow.advance(24 * 3600 + 60)
    assert flow.http.get(f"/sessions/{session_id}", token=flow.client).json()["status"] == "cancelled"
    assert flow.sent() == sorted_sent(
        Sent(THERAPIST_EMAIL),  # new booking
        Sent(THERAPIST_PHONE, "sms"),  # new booking
        Sent(CLIENT_EMAIL, calendar="REQUEST"),  # confirmed
        Sent(CLIENT_EMAIL),  # alternatives offered
        Sent(THERAPIST_EMAIL),  # offer expired
        Sent(CLIENT_EMAIL, calendar="CANCEL"),  # offer expired: cancelled and refunded
    )
    assert_nothing_personal_logged(stack)


def london() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("name", "steps", "expected"),
    [
        (
            "client cancels",
            lambda f, s: f.post(f"/sessions/{s}/cancel", {}, token=f.client),
            [Sent(THERAPIST_EMAIL), Sent(THERAPIST_PHONE, "sms"), Sent(CLIENT_EMAIL, calendar="CANCEL")],
        ),
        (
            "therapist cancels",
            lambda f, s: f.post(f"/sessions/{s}/cancel", {}, token=f.therapist),
            [Sent(CLIENT_EMAIL, calendar="CANCEL"), Sent(CLIENT_PHONE, "sms")],
        ),
        (
            "therapist moves it at the client's request",
            lambda f, s: f.post(
                f"/sessions/{s}/reschedule", {"start": f.starts[4], "reason": "client_requested"}, token=f.therapist
            ),
            [Sent(CLIENT_EMAIL, calendar="REQUEST")],
        ),
        (
            "therapist changes the location for their own reasons, the client agrees",
            lambda f, s: (
                f.post(
                    f"/sessions/{s}/location-change",
                    {"location_id": "video", "reason": "therapist_unavailable"},
                    token=f.therapist,
                ),
                f.post(f"/sessions/{s}/location-change/accept", token=f.client),
            ),
            [
                Sent(CLIENT_EMAIL),  # asked to agree
                Sent(CLIENT_PHONE, "sms"),  # asked to agree
                Sent(THERAPIST_EMAIL),  # the client agreed
                Sent(CLIENT_EMAIL, calendar="REQUEST"),  # confirmed at the new location
            ],
        ),
        (
            "therapist offers alternatives, the client picks one",
            lambda f, s: f.post(
                f"/sessions/{s}/offers/accept",
                {
                    "alternative_id": f.post(
                        f"/sessions/{s}/offers",
                        {"alternatives": [{"start": f.starts[8]}]},
                        token=f.therapist,
                        status=201,
                    )["offer"]["alternatives"][0]["alternative_id"]
                },
                token=f.client,
            ),
            [
                Sent(CLIENT_EMAIL),  # the alternatives
                Sent(CLIENT_PHONE, "sms"),  # the alternatives
                Sent(THERAPIST_EMAIL),  # the client accepted
                Sent(CLIENT_EMAIL, calendar="REQUEST"),  # confirmed at the new time
            ],
        ),
        (
            "the team moves it",
            lambda f, s: f.post(
                f"/admin/sessions/{s}/rearrange",
                {"start": f.starts[4], "reason": "error_correction", "note": "agreed by phone"},
                token=f.admin,
            ),
            [Sent(THERAPIST_EMAIL), Sent(CLIENT_EMAIL, calendar="REQUEST")],
        ),
    ],
)
def test_each_change_to_a_confirmed_session_sends_exactly_the_mapped_messages(
    stack: StackProcess, name: str, steps: Any, expected: list[Sent]
) -> None:
    # Given a confirmed session whose client opted in to SMS
    flow = Flow(stack, client_sms=True)
    session_id = flow.confirmed()
    before = flow.sent()
    # When the flow runs
    steps(flow, session_id)
    # Then exactly the mapped messages were added to the outbox
    after = flow.sent()
    for message in before:
        after.remove(message)
    assert after == sorted_sent(*expected), name
    assert_nothing_personal_logged(stack)


def test_both_parties_are_reminded_24_hours_before_a_confirmed_session(stack: StackProcess) -> None:
    # Given a confirmed session a few days ahead, the client opted in to SMS
    flow = Flow(stack, client_sms=True)
    session_id = flow.confirmed()
    session = flow.http.get(f"/sessions/{session_id}", token=flow.client).json()
    reminder_at = instant(session["start"]) - timedelta(hours=24)
    before = flow.sent()
    # When the clock reaches a minute before the reminder, nothing is sent yet
    flow.advance(int((reminder_at - flow.now).total_seconds()) - 60)
    assert flow.sent() == before
    # And when it passes it, both are reminded by email and SMS, once
    flow.advance(120)
    flow.advance(3600)
    added = flow.sent()
    for message in before:
        added.remove(message)
    assert added == sorted_sent(
        Sent(THERAPIST_EMAIL), Sent(THERAPIST_PHONE, "sms"), Sent(CLIENT_EMAIL), Sent(CLIENT_PHONE, "sms")
    )
    assert_nothing_personal_logged(stack)


def assert_nothing_personal_logged(stack: StackProcess) -> None:
    """No name, email address, phone number, attendee or note in anything the stack printed."""
    for line in stack.lines:
        for value in PERSONAL:
            assert value not in line, f"personal data in a log line: {re.sub(re.escape(value), '<…>', line)}"
