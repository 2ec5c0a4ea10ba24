"""The local stack stays faithful under load, over real HTTP: many clients at once, refused bookings.

One stack (started as `make run` starts it, or a deployment: tests/support/target.py) serves the module; each
test has a new therapist and client (the demo profiles, saved through the API), and reads what users would notice:
status codes, and the emails in `/dev/outbox` sent since it began (on a deployment, everything but the emails).
"""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from tests.local_stack.running_stack import Http, Reply
from tests.support.target import Target, new_client, new_therapist

pytestmark = pytest.mark.e2e

CLIENTS = 50


@dataclass
class Demo:
    """A new therapist and client (the demo profiles), their tokens and emails, the therapist's free slots, and
    how many emails the stack had sent before them."""

    target: Target
    http: Http
    therapist_id: str
    therapist: str
    client: str
    therapist_email: str
    client_email: str
    starts: list[str]
    sent_before: int

    def booking(self, start: str, token: str) -> Reply:
        body = {
            "therapist_id": self.therapist_id,
            "start": start,
            "session_type": "individual",
            "location_id": "video",
            "attendees": ["Demo Client"],
        }
        return self.http.post("/sessions", body, token=token)

    def confirm(self, session_id: str) -> Reply:
        return self.http.post(f"/sessions/{session_id}/confirm", token=self.therapist)

    def emailed(self) -> list[str]:
        """The recipient of each email sent since the test began, in order (no other test runs meanwhile)."""
        return [email["to"][0] for email in self.target.outbox()["emails"][self.sent_before :]]


@pytest.fixture
def clean(target: Target) -> Demo:
    sent_before = len(target.outbox()["emails"]) if target.reads_outbox else 0
    therapist, client = new_therapist(target), new_client(target)
    slots = target.http.get(f"/therapists/{therapist.sub}/slots?session_type=individual", token=client.token)
    assert slots.status == 200, slots.body
    starts = [slot["start"] for slot in slots.json()["items"]]
    return Demo(
        target,
        target.http,
        therapist.sub,
        therapist.token,
        client.token,
        therapist.email,
        client.email,
        starts,
        sent_before,
    )


@pytest.mark.needs_outbox
@pytest.mark.needs_dead_letters
def test_a_booking_and_its_confirmation_are_emailed_after_a_refused_booking(clean: Demo) -> None:
    # Given a booked slot, and another client's booking of the same slot refused with 409
    taken, free = clean.starts[0], clean.starts[1]
    assert clean.booking(taken, clean.client).status == 201
    refused = clean.booking(taken, clean.target.new_user("client", "another-client").token)
    assert (refused.status, refused.json()["code"]) == (409, "slot_unavailable")
    before = clean.emailed() if clean.target.reads_outbox else []  # (on a deployment: skipped at the end)

    # When the client books another slot and the therapist confirms it
    booked = clean.booking(free, clean.client)
    assert booked.status == 201, booked.body
    assert clean.confirm(booked.json()["session_id"]).status == 200

    # Then the therapist was emailed the booking and the client the confirmation, each once
    assert clean.emailed() == [*before, clean.therapist_email, clean.client_email]
    assert clean.target.dead_letters() == {"items": []}


@pytest.mark.needs_outbox
def test_fifty_clients_booking_one_slot_at_once_get_one_booking_and_49_refusals(clean: Demo) -> None:
    # Given fifty clients, each with a token, all ready to book the same slot
    contested, later = clean.starts[0], clean.starts[1]
    tokens = [clean.target.new_user("client", f"client-{n}").token for n in range(CLIENTS)]
    ready = threading.Barrier(CLIENTS)

    def book(token: str) -> Reply:
        ready.wait(timeout=30)
        return clean.booking(contested, token)

    # When they all send their booking at once, each on its own connection
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        replies = list(pool.map(book, tokens))  # a connection error would raise here

    # Then every one is answered: exactly one booking, and 49 refusals saying the slot is taken
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [201] + [409] * (CLIENTS - 1)
    assert {reply.json()["code"] for reply in replies if reply.status == 409} == {"slot_unavailable"}
    winner: dict[str, Any] = next(reply.json() for reply in replies if reply.status == 201)
    assert winner["start"] == contested

    # And afterwards a booking and its confirmation are still emailed: the therapist once per booking
    before = clean.emailed() if clean.target.reads_outbox else []  # (on a deployment: skipped below)
    booked = clean.booking(later, clean.client)
    assert booked.status == 201, booked.body
    assert clean.confirm(booked.json()["session_id"]).status == 200
    after = clean.emailed()  # on a deployment, the test is skipped here: its emails cannot be read
    assert before == [clean.therapist_email]
    assert after == [*before, clean.therapist_email, clean.client_email]


def raw_request(port: int, head: str, body: bytes = b"") -> str:
    """Send bytes as a client would, and read the status line of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        return connection.makefile("rb").readline().decode()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ("Content-Length: abc\nContent-Type: application/json\n", "400"),
        ("Content-Length: -5\nContent-Type: application/json\n", "400"),
        ("Transfer-Encoding: chunked\nContent-Type: application/json\n", "411"),
        ("Content-Length: 99999999999\nContent-Type: application/json\n", "413"),
    ],
    ids=["not a number", "negative", "chunked", "over 10 MB"],
)
@pytest.mark.local_only(reason="the local stack's own HTTP server (API Gateway answers these itself)")
def test_a_body_with_an_unusable_length_is_answered_at_once_and_the_stack_keeps_serving(
    target: Target, headers: str, status: str
) -> None:
    # Given the running stack
    # When a request arrives whose body length cannot be used, as API Gateway would refuse it
    answer = raw_request(target.process.port, f"POST /dev/token HTTP/1.1\nHost: 127.0.0.1\n{headers}")
    # Then it is answered with that 4xx at once (not a dropped connection or a wait for the idle timeout)
    assert answer.split(" ")[1] == status, answer
    # And the stack goes on answering
    assert target.http.get("/dev/health").status == 200
