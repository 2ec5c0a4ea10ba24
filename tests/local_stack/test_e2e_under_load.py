"""The local stack stays faithful under load, over real HTTP: many clients at once, refused bookings.

One stack subprocess (started as `make run` starts it) serves the module; each test starts from
`/dev/reset` with the demo profiles saved again through the API, and reads what users would notice:
status codes, and the emails in `/dev/outbox`.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from local_stack import demo
from tests.local_stack.running_stack import Http, Reply, StackProcess, running_stack

pytestmark = pytest.mark.e2e

THERAPIST_EMAIL = str(demo.THERAPIST_PROFILE["email"])
CLIENT_EMAIL = str(demo.CLIENT_PROFILE["email"])
CLIENTS = 50


@pytest.fixture(scope="module")
def stack() -> Iterator[StackProcess]:
    with running_stack() as process:
        yield process


@dataclass
class Demo:
    """A clean stack with the demo therapist and client, their tokens, and the therapist's free slots."""

    http: Http
    therapist: str
    client: str
    starts: list[str]

    def booking(self, start: str, token: str) -> Reply:
        body = {
            "therapist_id": demo.THERAPIST.sub,
            "start": start,
            "session_type": "individual",
            "location_id": "video",
            "attendees": ["Demo Client"],
        }
        return self.http.post("/sessions", body, token=token)

    def confirm(self, session_id: str) -> Reply:
        return self.http.post(f"/sessions/{session_id}/confirm", token=self.therapist)

    def emailed(self) -> list[str]:
        """The recipient of each email sent so far, in order."""
        return [email["to"][0] for email in self.http.get("/dev/outbox").json()["emails"]]


@pytest.fixture
def clean(stack: StackProcess) -> Demo:
    http = Http(stack.base_url)
    assert http.post("/dev/reset").status == 200
    therapist = http.token(demo.THERAPIST.sub, demo.THERAPIST.role)
    client = http.token(demo.CLIENT.sub, demo.CLIENT.role)
    for path, body, token in (
        ("/therapists/me", demo.THERAPIST_PROFILE, therapist),
        ("/therapists/me/availability", demo.AVAILABILITY, therapist),
        ("/clients/me", demo.CLIENT_PROFILE, client),
    ):
        assert http.put(path, body, token=token).status == 200
    slots = http.get(f"/therapists/{demo.THERAPIST.sub}/slots?session_type=individual", token=client)
    assert slots.status == 200, slots.body
    return Demo(http, therapist, client, [slot["start"] for slot in slots.json()["items"]])


def test_a_booking_and_its_confirmation_are_emailed_after_a_refused_booking(clean: Demo) -> None:
    # Given a booked slot, and another client's booking of the same slot refused with 409
    taken, free = clean.starts[0], clean.starts[1]
    assert clean.booking(taken, clean.client).status == 201
    refused = clean.booking(taken, clean.http.token("another-client", "client"))
    assert (refused.status, refused.json()["code"]) == (409, "slot_unavailable")
    before = clean.emailed()

    # When the client books another slot and the therapist confirms it
    booked = clean.booking(free, clean.client)
    assert booked.status == 201, booked.body
    assert clean.confirm(booked.json()["session_id"]).status == 200

    # Then the therapist was emailed the booking and the client the confirmation, each once
    assert clean.emailed() == [*before, THERAPIST_EMAIL, CLIENT_EMAIL]
    assert clean.http.get("/dev/dlq").json() == {"items": []}


def test_fifty_clients_booking_one_slot_at_once_get_one_booking_and_49_refusals(clean: Demo) -> None:
    # Given fifty clients, each with a token, all ready to book the same slot
    contested, later = clean.starts[0], clean.starts[1]
    tokens = [clean.http.token(f"client-{n}", "client") for n in range(CLIENTS)]
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
    before = clean.emailed()
    assert before == [THERAPIST_EMAIL]
    booked = clean.booking(later, clean.client)
    assert booked.status == 201, booked.body
    assert clean.confirm(booked.json()["session_id"]).status == 200
    assert clean.emailed() == [*before, THERAPIST_EMAIL, CLIENT_EMAIL]


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
def test_a_body_with_an_unusable_length_is_answered_at_once_and_the_stack_keeps_serving(
    stack: StackProcess, headers: str, status: str
) -> None:
    # Given the running stack
    # When a request arrives whose body length cannot be used, as API Gateway would refuse it
    answer = raw_request(stack.port, f"POST /dev/token HTTP/1.1\nHost: 127.0.0.1\n{headers}")
    # Then it is answered with that 4xx at once (not a dropped connection or a wait for the idle timeout)
    assert answer.split(" ")[1] == status, answer
    # And the stack goes on answering
    assert Http(stack.base_url).get("/dev/health").status == 200
