"""End to end: the local stack started as `make run` starts it, driven over real HTTP; or a deployment, the
same tests, when DEPLOYED_API_URL names one (tests/support/target.py).

One stack serves the whole module (locally a subprocess started on a free port); the module's therapist and
client are users the target makes, their profiles published through the API (again after a reset). Tests about
the local stack itself (its /dev routes, its HTTP server, its log, its process) are `local_only`; the last of
them stops it with SIGTERM.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from local_stack import demo
from local_stack.server import IDLE_TIMEOUT_SECONDS
from local_stack.template import http_routes
from tests.local_stack.running_stack import Http, StackProcess, run_stack
from tests.support.target import Target, User, instant, new_client, new_therapist, publish_client, publish_therapist

pytestmark = pytest.mark.e2e

REQUEST_LINE = re.compile(
    r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} (?P<method>[A-Z]+) (?P<path>/\S*) (?P<status>\d{3}) (?P<ms>\d+\.\d)ms$"
)
UNAUTHORIZED = {"message": "Unauthorized"}


@pytest.fixture(autouse=True)
def started(target: Target) -> None:
    """The module's stack, started again if a test before this one stopped it."""
    target.ensure_running()


@pytest.fixture
def http(target: Target) -> Http:
    return target.http


@pytest.fixture
def stack_process(target: Target) -> StackProcess:
    """The local stack's process, for the tests about it (`local_only`)."""
    return target.process


@dataclass(frozen=True)
class People:
    therapist: User
    client: User


@pytest.fixture(scope="module")
def people(target: Target) -> People:
    """The module's therapist and client (the demo profiles, as theirs: published by `published`)."""
    return People(target.new_user("therapist", "e2e-therapist"), target.new_user("client", "e2e-client"))


@pytest.fixture
def client_token(people: People) -> str:
    return people.client.token


@pytest.fixture
def therapist_token(people: People) -> str:
    return people.therapist.token


@pytest.fixture
def published(target: Target, people: People) -> None:
    """The module's therapist and client with their profiles, re-created through the API if a reset removed them."""
    if target.http.get(f"/therapists/{people.therapist.sub}", token=people.client.token).status == 200:
        return
    publish_therapist(target, people.therapist)
    publish_client(target, people.client)


def free_slots(http: Http, therapist_id: str, token: str) -> list[str]:
    reply = http.get(f"/therapists/{therapist_id}/slots?session_type=individual", token=token)
    assert reply.status == 200, reply.body
    return [slot["start"] for slot in reply.json()["items"]]


def bookable_start(target: Target, therapist_id: str, token: str) -> str:
    """The therapist's first free slot at least five minutes clear of the notice edge, so that the real
    time passing between the slot query and the booking cannot make it too short notice (the local stack's clock
    is real time plus an offset)."""
    now = target.now()
    notice_hours = demo.AVAILABILITY["min_notice_hours"]
    assert isinstance(notice_hours, int)
    edge = now + timedelta(hours=notice_hours, minutes=5)
    return next(start for start in free_slots(target.http, therapist_id, token) if instant(start) >= edge)


def booking(therapist_id: str, start: str, **extra: Any) -> dict[str, Any]:
    return {
        "therapist_id": therapist_id,
        "start": start,
        "session_type": "individual",
        "location_id": "video",
        "attendees": ["Demo Client"],
        **extra,
    }


def book(target: Target, therapist: User, client: User) -> dict[str, Any]:
    start = bookable_start(target, therapist.sub, client.token)
    reply = target.http.post("/sessions", booking(therapist.sub, start), token=client.token)
    assert reply.status == 201, reply.body
    session: dict[str, Any] = reply.json()
    return session


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value).encode())


def b64url_json_decode(part: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def unverified(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A JWT's header, claims and signature, read without checking anything."""
    header, claims, signature = token.split(".")
    return b64url_json_decode(header), b64url_json_decode(claims), signature


def tampered_signature(target: Target, client: User) -> str:
    header, claims, signature = client.token.split(".")
    middle = len(signature) // 2
    replacement = "A" if signature[middle] != "A" else "B"
    return f"Bearer {header}.{claims}.{signature[:middle]}{replacement}{signature[middle + 1 :]}"


def tampered_claims(target: Target, client: User) -> str:
    token = client.token
    _, claims, signature = unverified(token)
    return f"Bearer {token.split('.')[0]}.{b64url_json({**claims, 'cognito:groups': ['admins']})}.{signature}"


def expired(target: Target, client: User) -> str:
    return f"Bearer {target.expired_token(client)}"


def alg_none(target: Target, client: User) -> str:
    _, claims, _ = unverified(client.token)
    return f"Bearer {b64url_json({'alg': 'none', 'typ': 'JWT'})}.{b64url_json(claims)}."


def alg_none_with_the_stacks_key_id(target: Target, client: User) -> str:
    header, claims, _ = unverified(client.token)
    return f"Bearer {b64url_json({'alg': 'none', 'typ': 'JWT', 'kid': header['kid']})}.{b64url_json(claims)}."


def not_a_bearer_token(target: Target, client: User) -> str:
    return f"Token {client.token}"


def missing(target: Target, client: User) -> None:
    return None


@pytest.mark.local_only(reason="/dev/health is the local stack's")
def test_health_answers_when_ready(http: Http) -> None:
    # Given a started stack
    # When its health is asked
    reply = http.get("/dev/health")

    # Then it answers 200
    assert reply.status == 200
    assert reply.json() == {"status": "ok"}


class TestTokens:
    @pytest.mark.usefixtures("published")
    def test_a_token_from_dev_token_opens_a_protected_route(
        self, http: Http, people: People, client_token: str
    ) -> None:
        # Given a client's token (from POST /dev/token locally; from Cognito on a deployment)
        # When the client reads the therapist's profile
        reply = http.get(f"/therapists/{people.therapist.sub}", token=client_token)

        # Then the handler answers
        assert reply.status == 200
        assert reply.json()["name"] == demo.THERAPIST_PROFILE["name"]

    @pytest.mark.usefixtures("published")
    @pytest.mark.parametrize(
        "authorization",
        [
            missing,
            tampered_signature,
            tampered_claims,
            pytest.param(expired, marks=pytest.mark.local_only(reason="Cognito issues no token already expired")),
            alg_none,
            alg_none_with_the_stacks_key_id,
            not_a_bearer_token,
        ],
        ids=lambda make: str(make.__name__),
    )
    def test_a_bad_token_is_refused_before_any_handler_runs(
        self, target: Target, http: Http, people: People, authorization: Callable[[Target, User], str | None]
    ) -> None:
        # Given a free slot of the therapist
        start = free_slots(http, people.therapist.sub, people.client.token)[0]

        # When a booking of it is sent with a bad Authorization header (or none)
        therapist_id = people.therapist.sub
        reply = http.post("/sessions", booking(therapist_id, start), authorization=authorization(target, people.client))

        # Then API Gateway's 401 comes back, not a handler's problem details
        assert reply.status == 401
        assert reply.json() == UNAUTHORIZED
        assert reply.headers["content-type"] == "application/json"

        # And nothing was booked: the slot is still free
        assert start in free_slots(http, people.therapist.sub, people.client.token)


@pytest.mark.usefixtures("published")
def test_a_booking_confirmed_by_the_therapist_is_confirmed_for_the_client(
    target: Target, http: Http, people: People, client_token: str, therapist_token: str
) -> None:
    # Given a free slot of the therapist
    start = bookable_start(target, people.therapist.sub, client_token)

    # When the client books it
    booked = http.post("/sessions", booking(people.therapist.sub, start), token=client_token)

    # Then it is pending, at that time, no longer free
    assert booked.status == 201, booked.body
    session = booked.json()
    assert (session["status"], session["start"], session["client_id"]) == ("pending", start, people.client.sub)
    assert start not in free_slots(http, people.therapist.sub, client_token)

    # When the therapist confirms it
    confirmed = http.post(f"/sessions/{session['session_id']}/confirm", token=therapist_token)

    # Then the client sees it confirmed
    assert confirmed.status == 200, confirmed.body
    assert confirmed.json()["status"] == "confirmed"
    seen = http.get(f"/sessions/{session['session_id']}", token=client_token)
    assert seen.status == 200
    assert seen.json()["status"] == "confirmed"
    assert seen.json()["version"] > session["version"]


@pytest.mark.usefixtures("published")
def test_a_dashboard_loads_the_callers_own_profile_and_blocks(
    http: Http, people: People, client_token: str, therapist_token: str
) -> None:
    # Given the therapist and client, who published their profiles, and a block the therapist adds
    first, second = free_slots(http, people.therapist.sub, client_token)[:2]
    block = {"start": first, "end": second}
    added = http.post("/therapists/me/blocks", block, token=therapist_token)
    assert added.status == 201, added.body

    # When each loads their own profile, and the therapist their blocks
    therapist = http.get("/therapists/me", token=therapist_token)
    client = http.get("/clients/me", token=client_token)
    blocks = http.get("/therapists/me/blocks", token=therapist_token)

    # Then the own profiles (GET /therapists/me is the own route, not a therapist called "me"), and the block
    assert therapist.status == 200, therapist.body
    assert (therapist.json()["therapist_id"], therapist.json()["email"]) == (
        people.therapist.sub,
        people.therapist.email,
    )
    assert client.status == 200 and client.json()["email"] == people.client.email
    assert blocks.status == 200 and added.json() in blocks.json()["items"]
    removed = http.request("DELETE", f"/therapists/me/blocks/{added.json()['block_id']}", token=therapist_token)
    assert removed.status == 204


@pytest.mark.usefixtures("published")
def test_a_confirmed_booking_is_nobody_elses_and_a_cancellation_a_day_ahead_is_refunded_in_full(
    target: Target, http: Http, people: People
) -> None:
    # Given a booking more than a day ahead, confirmed by the therapist
    session = book(target, people.therapist, people.client)
    confirmed = http.post(f"/sessions/{session['session_id']}/confirm", token=people.therapist.token)
    assert (confirmed.status, confirmed.json()["status"]) == (200, "confirmed")

    # Then another client cannot book that time
    other = new_client(target, "other-client")
    taken = http.post("/sessions", booking(people.therapist.sub, session["start"]), token=other.token)
    assert (taken.status, taken.json()["code"]) == (409, "slot_unavailable")

    # When the client cancels it, more than a day ahead / Then they are refunded in full
    cancelled = http.post(f"/sessions/{session['session_id']}/cancel", {"reason": "test"}, token=people.client.token)
    assert cancelled.status == 200 and cancelled.json()["refund"] == session["price"]

    # And no route answers without a token
    assert http.get("/sessions").status == 401


class TestClock:
    @pytest.mark.local_only(reason="/dev/clock itself")
    def test_advancing_the_clock_moves_now_forward_by_that_amount(self, http: Http) -> None:
        # Given the stack's clock
        before = instant(http.get("/dev/clock").json()["now"])

        # When it is moved forward an hour
        reply = http.post("/dev/clock", {"advance_seconds": 3600})

        # Then `now` is an hour later (plus the real time the call took)
        assert reply.status == 200
        moved = instant(reply.json()["now"]) - before
        assert timedelta(hours=1) <= moved < timedelta(hours=1, seconds=5)
        assert instant(http.get("/dev/clock").json()["now"]) - before >= timedelta(hours=1)

    @pytest.mark.parametrize(
        "body",
        [
            b"{}",
            b'{"advance_seconds": 0}',
            b'{"advance_seconds": -60}',
            b'{"advance_seconds": "60"}',
            b'{"advance_seconds": true}',
            b'{"advance_seconds": 1e12}',
            b"[60]",
            b"not json",
        ],
    )
    @pytest.mark.local_only(reason="/dev/clock itself")
    def test_a_bad_move_is_a_422_and_leaves_the_clock_alone(self, http: Http, body: bytes) -> None:
        # Given the stack's clock
        before = instant(http.get("/dev/clock").json()["now"])

        # When a bad move is asked
        reply = http.post("/dev/clock", raw=body)

        # Then it is refused as a validation problem, and the clock did not jump
        assert reply.status == 422
        assert reply.headers["content-type"] == "application/problem+json"
        assert reply.json()["code"] == "validation_error"
        assert instant(http.get("/dev/clock").json()["now"]) - before < timedelta(seconds=5)

    @pytest.mark.needs_clock
    @pytest.mark.usefixtures("published")
    def test_handlers_see_the_local_clock(self, target: Target, http: Http, people: People, client_token: str) -> None:
        # Given the therapist's first free slot (24 hours' notice needed) and the stack's clock
        start = free_slots(http, people.therapist.sub, client_token)[0]
        now = target.now()
        notice_hours = demo.AVAILABILITY["min_notice_hours"]
        assert isinstance(notice_hours, int)
        notice = timedelta(hours=notice_hours)

        # When the clock moves to within the notice period of that slot
        advance = instant(start) - now - notice + timedelta(hours=1)
        target.advance_clock(int(advance.total_seconds()))

        # Then the slot is no longer offered, and booking it is refused for lack of notice
        assert start not in free_slots(http, people.therapist.sub, client_token)
        reply = http.post("/sessions", booking(people.therapist.sub, start), token=client_token)
        assert reply.status == 422
        assert reply.json()["code"] == "validation_error"
        assert "notice" in reply.json()["detail"]


@pytest.mark.needs_outbox
@pytest.mark.usefixtures("published")
def test_the_outbox_lists_emails_and_sms(target: Target, http: Http, people: People, therapist_token: str) -> None:
    # Given a booking confirmed by the therapist
    session = book(target, people.therapist, people.client)
    assert http.post(f"/sessions/{session['session_id']}/confirm", token=therapist_token).status == 200

    # When the outbox is read (its status checked: 200)
    outbox = target.outbox()

    # Then it lists emails and SMS in the documented shape
    assert set(outbox) == {"emails", "sms"}
    assert isinstance(outbox["emails"], list)
    assert isinstance(outbox["sms"], list)
    for email in outbox["emails"]:
        assert {"to", "subject", "text", "html", "attachments"} <= set(email)
        assert all(set(attachment) == {"filename", "content_type"} for attachment in email["attachments"])
    for sms in outbox["sms"]:
        assert set(sms) == {"to", "text"}


@pytest.mark.needs_reset
@pytest.mark.needs_outbox
@pytest.mark.needs_dead_letters
@pytest.mark.usefixtures("published")
def test_reset_empties_the_tables_the_outbox_and_the_dead_letters(
    target: Target, http: Http, people: People, client_token: str, therapist_token: str
) -> None:
    # Given a booked session
    book(target, people.therapist, people.client)
    assert http.get("/sessions", token=client_token).json()["items"] != []

    # When the stack is reset (its status checked: 200)
    target.reset()

    # Then every table is empty: the therapist is gone, nobody has sessions
    assert http.get(f"/therapists/{people.therapist.sub}", token=client_token).status == 404
    for token in (client_token, therapist_token):
        sessions = http.get("/sessions", token=token)
        assert sessions.status == 200
        assert sessions.json()["items"] == []
    assert target.outbox() == {"emails": [], "sms": []}
    assert target.dead_letters() == {"items": []}


@pytest.mark.local_only(reason="the local stack's own server")
def test_a_second_stack_on_a_busy_port_says_so_and_exits_1(http: Http, stack_process: StackProcess) -> None:
    # Given a stack serving its port
    # When another stack is started on the same port
    second = run_stack(stack_process.port)

    # Then it explains the port is in use and exits with status 1, without a traceback
    assert second.returncode == 1
    assert f"Port {stack_process.port} on 127.0.0.1 is already in use" in second.stdout
    assert "Traceback" not in second.stdout + second.stderr

    # And the first one still serves
    assert http.get("/dev/health").status == 200


@pytest.mark.local_only(reason="the local stack serves the OpenAPI document; a deployment does not")
def test_the_openapi_document_has_every_route_of_the_template(http: Http) -> None:
    # Given the routes template.yaml declares
    declared = {(route.method.lower(), route.path) for route in http_routes()}

    # When the OpenAPI document is read
    reply = http.get("/openapi.json")

    # Then it is an OpenAPI 3 document with every one of them, served from this stack, with bearer auth
    assert reply.status == 200
    document = reply.json()
    assert document["openapi"].startswith("3.")
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert declared <= documented
    assert document["servers"] == [{"url": http.base_url}]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


@pytest.mark.local_only(reason="the local stack serves the API docs page; a deployment does not")
def test_the_docs_page_and_its_assets_load_without_internet(http: Http) -> None:
    # Given the stack
    # When the API docs page is opened
    page = http.get("/docs")

    # Then it is HTML that loads Swagger UI from the stack itself, and every asset it names is served
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assets = page_assets(page.body.decode())
    assert {"/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"} <= set(assets)
    for asset in assets:
        assert asset.startswith("/"), f"{asset} is not served by the stack"
        assert http.get(asset).status == 200, asset
    script = http.get("/docs/swagger-ui-bundle.js")
    assert script.headers["content-type"] == "application/javascript"
    assert b"SwaggerUIBundle" in script.body


# The first Swagger UI release that renders each OpenAPI version (3.1 came with Swagger UI 5.0.0).
FIRST_RENDERER = {"3.0": (3, 0, 0), "3.1": (5, 0, 0)}


@pytest.mark.local_only(reason="the local stack serves the API docs page; a deployment does not")
def test_the_docs_page_renders_the_openapi_version_the_stack_serves(http: Http) -> None:
    # Given the OpenAPI document the stack serves
    declared = http.get("/openapi.json").json()["openapi"]
    document_version = ".".join(declared.split(".")[:2])
    assert document_version in FIRST_RENDERER, f"no known Swagger UI renders OpenAPI {declared}"

    # When the Swagger UI the docs page loads is fetched
    script = http.get("/docs/swagger-ui-bundle.js").body.decode()

    # Then it is a release that renders that version (older ones show "Unable to render this definition")
    found = re.search(r'PACKAGE_VERSION:"(\d+)\.(\d+)\.(\d+)"', script)
    assert found is not None, "the bundle does not name its Swagger UI version"
    renderer = tuple(int(part) for part in found.groups())
    assert renderer >= FIRST_RENDERER[document_version], f"Swagger UI {renderer} cannot render OpenAPI {declared}"


def page_assets(html: str) -> list[str]:
    """What an HTML page makes the browser load: every src= and href= (links and scripts)."""
    return re.findall(r'(?:src|href)="([^"]+)"', html)


@pytest.mark.local_only(reason="the local stack's own HTTP server")
def test_a_kept_open_or_silent_connection_does_not_hold_up_other_clients(
    http: Http, stack_process: StackProcess
) -> None:
    # Given a client that asked to keep its connection open (as browsers do), and one that connected and sent nothing
    address = ("127.0.0.1", stack_process.port)
    with socket.create_connection(address, timeout=10) as kept, socket.create_connection(address, timeout=10):
        kept.sendall(b"GET /dev/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n")

        # When another client calls the stack
        started = time.monotonic()
        reply = http.get("/dev/health", timeout=IDLE_TIMEOUT_SECONDS + 5)

        # Then it is answered once the silent connection has timed out
        assert reply.status == 200
        assert time.monotonic() - started < IDLE_TIMEOUT_SECONDS + 3

        # And the first client got its answer on a connection the stack then closed
        received = b""
        while chunk := kept.recv(4096):
            received += chunk
        assert received.startswith(b"HTTP/1.1 200 ")
        assert b"connection: close" in received.lower()


@pytest.mark.local_only(reason="the local stack's own request log")
@pytest.mark.usefixtures("published")
def test_the_request_log_has_one_line_per_request_and_no_secrets(
    target: Target, http: Http, stack_process: StackProcess, people: People, client_token: str
) -> None:
    # Given a free slot (its query logged: a request is logged after its answer, so wait for the line), and the
    # log up to a request of ours
    before = len(stack_process.lines)
    start = bookable_start(target, people.therapist.sub, client_token)
    stack_process.wait_for_line(
        lambda line: f" GET /therapists/{people.therapist.sub}/slots 200 " in line, 5, start=before
    )
    sentinel = f"/log-marker-{uuid.uuid4().hex}"
    assert http.get(sentinel).status == 404
    marker = 1 + stack_process.wait_for_line(lambda line: f" GET {sentinel} 404 " in line, 5)

    # When a client books with a note and an email address in the body, and other requests are made
    email, note = "private.person@example.com", "I would rather not say why"
    booked = http.post("/sessions", booking(people.therapist.sub, start, note=f"{note} ({email})"), token=client_token)
    assert booked.status == 201, booked.body
    session_id = booked.json()["session_id"]
    assert http.get(f"/sessions/{session_id}", token=client_token).status == 200
    assert http.get(f"/dev/health?probe={email}").status == 200
    assert http.get("/sessions").status == 401
    stack_process.wait_for_line(lambda line: " GET /sessions 401 " in line, 5, start=marker)

    # Then each request has exactly one line, with its method, path, status and duration
    logged = stack_process.lines[marker:]
    requests = [found for line in logged if (found := REQUEST_LINE.match(line))]
    assert len(requests) == len(logged), logged
    assert [(found["method"], found["path"], int(found["status"])) for found in requests] == [
        ("POST", "/sessions", 201),
        ("GET", f"/sessions/{session_id}", 200),
        ("GET", "/dev/health", 200),
        ("GET", "/sessions", 401),
    ]

    # And no line holds the token, an email address, the body or the query string
    text = "\n".join(logged)
    assert client_token not in text
    assert "@" not in text
    assert note not in text
    assert "probe" not in text


def listed_therapists(http: Http, token: str) -> set[str]:
    """Every therapist id the listing shows, all pages."""
    ids: set[str] = set()
    cursor = ""
    while True:
        reply = http.get(f"/therapists?limit=50{cursor}", token=token)
        assert reply.status == 200, reply.body
        page = reply.json()
        ids.update(item["therapist_id"] for item in page["items"])
        if not page.get("next_cursor"):
            return ids
        cursor = f"&cursor={page['next_cursor']}"


def listing_once_settled(target: Target, token: str, until: Callable[[set[str]], bool]) -> set[str]:
    """The listing once it has caught up (at once locally; on a deployment the standing projection takes a moment
    and the first pages are cached up to ListingCacheSeconds): the assertions on it stay the test's."""
    return target.settled(lambda: listed_therapists(target.http, token), until)


def test_five_cancellations_in_a_row_deactivate_a_therapist_until_the_team_reactivates(
    target: Target, http: Http
) -> None:
    # Given a new therapist, listed and bookable, and a client who books and has confirmed five sessions
    streaky = new_therapist(target, "streak")
    therapist_id, therapist = streaky.sub, streaky.token
    client = new_client(target).token
    admin = target.new_user("admin").token
    assert therapist_id in listing_once_settled(target, client, until=lambda ids: therapist_id in ids)
    slots = http.get(f"/therapists/{therapist_id}/slots?session_type=individual", token=client)
    assert slots.status == 200, slots.body
    starts = [slot["start"] for slot in slots.json()["items"]][:6]
    sessions = []
    for start in starts[:5]:
        booked = http.post("/sessions", booking(therapist_id, start), token=client)
        assert booked.status == 201, booked.body
        confirmed = http.post(f"/sessions/{booked.json()['session_id']}/confirm", token=therapist)
        assert confirmed.status == 200, confirmed.body
        sessions.append(booked.json()["session_id"])

    # (Before each cancellation the dashboard shows its terms: the therapist's refunds the client in full whatever the
    # time; the client's would be refunded in full until a day before the start)
    terms = http.get(f"/sessions/{sessions[0]}/cancellation-terms", token=therapist)
    assert terms.status == 200, terms.body
    assert (terms.json()["cancelled_by"], terms.json()["full_refund_until"]) == ("therapist", None)
    assert terms.json()["refund"] == {"amount": 6000, "currency": "GBP"}  # the individual session's price
    as_client = http.get(f"/sessions/{sessions[0]}/cancellation-terms", token=client).json()
    assert as_client["cancelled_by"] == "client"
    assert datetime.fromisoformat(as_client["full_refund_until"]) == datetime.fromisoformat(starts[0]) - timedelta(
        hours=24
    )

    # When the therapist cancels all five, one after the other
    for session_id in sessions:
        cancelled = http.post(f"/sessions/{session_id}/cancel", {"reason": "unwell"}, token=therapist)
        assert cancelled.status == 200, cancelled.body

    # Then the account is deactivated: gone from the listing, and a new booking is refused
    assert therapist_id not in listing_once_settled(target, client, until=lambda ids: therapist_id not in ids)
    refused = http.post("/sessions", booking(therapist_id, starts[5]), token=client)
    assert refused.status == 409, refused.body
    assert refused.json()["code"] == "therapist_unavailable_for_booking"

    # When the team reactivates it, with a note
    reactivated = http.post(
        f"/admin/therapists/{therapist_id}/reactivate", {"note": "Spoke with them; back from sick leave"}, token=admin
    )

    # Then the streak is back to 0, the therapist listed and bookable again
    assert reactivated.status == 200, reactivated.body
    standing = reactivated.json()
    assert {key: standing[key] for key in ("therapist_id", "cancellation_streak", "flagged", "deactivated")} == {
        "therapist_id": therapist_id,
        "cancellation_streak": 0,
        "flagged": False,
        "deactivated": False,
    }
    assert standing["rank_factors"]["cancellations"] > 0  # the reset streak counts for them again
    assert therapist_id in listing_once_settled(target, client, until=lambda ids: therapist_id in ids)
    again = http.post("/sessions", booking(therapist_id, starts[5]), token=client)
    assert again.status == 201, again.body


@pytest.mark.local_only(reason="the local stack's own process")
def test_sigterm_stops_the_stack_cleanly(http: Http, stack_process: StackProcess) -> None:
    # Given a running stack that has served requests
    assert http.get("/dev/health").status == 200

    # When it gets SIGTERM (as from Ctrl-C's sibling, a process manager)
    code = stack_process.stop()

    # Then it says it is shutting down, exits 0 without a traceback, and frees its port for the next run
    assert code == 0
    assert "Shutting down" in stack_process.lines
    assert not any("Traceback" in line for line in stack_process.lines)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as next_run:
        next_run.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the stack's server does
        next_run.bind(("127.0.0.1", stack_process.port))
        next_run.listen()
