"""Racing bookings of one slot: the DynamoDB conditions let exactly one through.

The table lives in a moto server that serves one request at a time, so that
moto (not safe under concurrent requests) cannot let two writes interleave, and
each race is decided by the conditions of `TransactWriteItems`, as in DynamoDB.

Every racing request runs in its own process, as every concurrent Lambda
invocation runs in its own execution environment. Threads of one process would
not do: the Powertools resolver keeps the request being handled in a
process-wide class attribute (`BaseRouter.current_event`), so handlers running
side by side in threads read each other's requests (caller, body).

The requests are released together by a barrier, and a second rendezvous just
before the repository's commit holds every request until all of them have
passed the domain's checks and built their transaction: the transactions then
reach the table together, and nothing but the table's conditions decides.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import traceback
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.context import ForkServerProcess
from queue import Empty
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.api import Api, Caller
from tests.support.clock import FakeClock
from tests.support.scenario import CLIENT, THERAPIST, booking, publish_therapist
from tests.support.serial_moto import serial_moto_server
from tests.support.template import create_table
from therapy_booking.adapters import aws_clients
from therapy_booking.adapters.dynamodb.models import bind_table
from therapy_booking.adapters.dynamodb.sessions import DynamoSessionRepository
from therapy_booking.adapters.dynamodb.therapists import DynamoTherapistRepository
from therapy_booking.domain.changes import SessionChange
from therapy_booking.wiring import container

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Barrier

RACERS = 20
SLOT = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # a Wednesday on the hour, inside the 09:00-17:00 week
UNIT = timedelta(minutes=15)
UNITS_OF_A_50_MINUTE_SESSION = 4
RENDEZVOUS_SECONDS = 60.0  # a rendezvous that takes longer is broken, never waited for forever
OUTCOME_SECONDS = 90.0

_ENVIRONMENTS = multiprocessing.get_context("forkserver")
# The fork server imports these once; each racing process is forked from it with them ready.
_ENVIRONMENTS.set_forkserver_preload(["functions.booking.app", __name__])


@dataclass(frozen=True)
class Outcome:
    caller: str
    status: int
    body: Any


@dataclass(frozen=True)
class SerialTable:
    client: Any  # the DynamoDB client of `aws_clients`, pointed at the server
    name: str
    endpoint: str


@pytest.fixture
def serial_table(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> Iterator[SerialTable]:
    """The template's table in a serialising moto server, and the container rebuilt on it (not in `mock_aws`)."""
    with serial_moto_server() as endpoint:
        name = f"therapy-booking-race-{uuid.uuid4().hex[:8]}"
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
        monkeypatch.setenv("TABLE_NAME", name)
        aws_clients.reset()
        client = aws_clients.dynamodb_client()
        create_table(client, name)
        container.reset(clock=clock)  # the next use binds afresh: PynamoDB reconnects, to the server
        try:
            yield SerialTable(client, name, endpoint)
        finally:
            client.delete_table(TableName=name)  # the server shares moto's in-process backends
            monkeypatch.undo()
            aws_clients.reset()
            bind_table(os.environ["TABLE_NAME"])  # forget the connection to the server
            container.reset()


def _book_in_own_environment(
    environ: dict[str, str],
    now: datetime,
    caller: Caller,
    body: dict[str, Any],
    start_line: Barrier,
    commit_line: Barrier,
    outcomes: Queue[Outcome],
) -> None:
    """One Lambda execution environment: warm up, wait for the others, book, report."""
    started = committing = False
    try:
        os.environ.update(environ)
        aws_clients.reset()
        container.reset(clock=FakeClock(now))
        _ = container.sessions  # settings read, table bound, services built
        api = Api()
        importlib.import_module(api.functions[api.handler_for("POST", "/sessions")[0].function].module)
        assert DynamoTherapistRepository().get(THERAPIST.sub) is not None  # opens this environment's connection

        commit = DynamoSessionRepository.commit

        def commit_with_the_others(repository: DynamoSessionRepository, change: SessionChange) -> None:
            nonlocal committing
            committing = True
            commit_line.wait(RENDEZVOUS_SECONDS)
            commit(repository, change)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(DynamoSessionRepository, "commit", commit_with_the_others)
            start_line.wait(RENDEZVOUS_SECONDS)
            started = True
            answer = api.post("/sessions", caller, body)
        outcomes.put(Outcome(caller.sub, answer.status, answer.body))
    except BaseException:
        outcomes.put(Outcome(caller.sub, -1, traceback.format_exc()))
    finally:
        # A contender that failed early frees the others instead of leaving them waiting for it.
        if not started:
            start_line.abort()
        if not committing:
            commit_line.abort()


def race(table: SerialTable, clock: FakeClock, contenders: list[tuple[Caller, dict[str, Any]]]) -> list[Outcome]:
    """Run every (caller, booking) in its own process, all at the same moment; their outcomes."""
    start_line = _ENVIRONMENTS.Barrier(len(contenders))
    commit_line = _ENVIRONMENTS.Barrier(len(contenders))
    outcomes: Queue[Outcome] = _ENVIRONMENTS.Queue()
    environ = dict(os.environ)
    processes: list[ForkServerProcess] = [
        _ENVIRONMENTS.Process(
            target=_book_in_own_environment,
            args=(environ, clock.now(), caller, body, start_line, commit_line, outcomes),
            name=f"booking-{caller.sub}-{n}",
        )
        for n, (caller, body) in enumerate(contenders)
    ]
    return run_together(processes, outcomes, "bookings")


def run_together(processes: list[ForkServerProcess], outcomes: Any, what: str) -> list[Outcome]:
    """Start the processes, collect one outcome from each (failing the test if one never answers or
    crashed), and leave none running."""
    for process in processes:
        process.start()
    results: list[Outcome] = []
    try:
        for _ in processes:
            results.append(outcomes.get(timeout=OUTCOME_SECONDS))
    except Empty:
        pytest.fail(f"only {len(results)} of {len(processes)} {what} answered: {results}")
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
        outcomes.close()
    crashed = [outcome for outcome in results if outcome.status == -1]
    assert not crashed, "\n".join(outcome.body for outcome in crashed)
    return results


def _items(table: SerialTable) -> list[dict[str, Any]]:
    pages = table.client.get_paginator("scan").paginate(TableName=table.name, ConsistentRead=True)
    return [item for page in pages for item in page["Items"]]


def assert_one_booking_stored(table: SerialTable, winner: Outcome) -> None:
    """Exactly one session, its one outbox event, and its claims: one per unit it occupies, all its own."""
    session_id = winner.body["session_id"]
    items = _items(table)
    sessions = [item for item in items if item["sk"]["S"] == "SESSION"]
    events = [item for item in items if item["sk"]["S"].startswith("EVENT#")]
    claims = [
        item
        for item in items
        if item["pk"]["S"] == f"THERAPIST#{THERAPIST.sub}" and item["sk"]["S"].startswith("CLAIM#")
    ]

    assert [(s["pk"]["S"], s["client_id"]["S"]) for s in sessions] == [(f"SESSION#{session_id}", winner.caller)]
    assert [(e["pk"]["S"], e["event_type"]["S"]) for e in events] == [(f"SESSION#{session_id}", "session.booked")]
    units = [SLOT + n * UNIT for n in range(UNITS_OF_A_50_MINUTE_SESSION)]
    assert sorted(c["sk"]["S"] for c in claims) == [f"CLAIM#{unit:%Y-%m-%dT%H:%M:%SZ}" for unit in units]
    assert {c["owner_id"]["S"] for c in claims} == {session_id}


def assert_one_winner(outcomes: list[Outcome], contenders: int) -> Outcome:
    statuses = sorted(outcome.status for outcome in outcomes)
    assert statuses == [201] + [409] * (contenders - 1), outcomes
    (winner,) = (outcome for outcome in outcomes if outcome.status == 201)
    losers = [outcome for outcome in outcomes if outcome.status == 409]
    assert {loser.body["code"] for loser in losers} == {"slot_unavailable"}, losers
    assert winner.body["client_id"] == winner.caller  # each environment answered its own request
    assert winner.body["start"].startswith(SLOT.strftime("%Y-%m-%dT%H:%M:%S"))
    return winner


def test_twenty_clients_racing_for_one_slot_leave_exactly_one_booking(
    serial_table: SerialTable, clock: FakeClock
) -> None:
    # Given a therapist with a profile and weekly availability, published through the real handlers
    publish_therapist(Api())
    # and twenty different clients who all want the same 50-minute slot
    contenders = [
        (Caller(f"racing-client-{n:02d}", "client"), booking(start=f"{SLOT:%Y-%m-%dT%H:%M:%SZ}")) for n in range(RACERS)
    ]

    # When they all POST /sessions at the same moment
    outcomes = race(serial_table, clock, contenders)

    # Then exactly one is booked and the nineteen others are told the slot is taken
    winner = assert_one_winner(outcomes, RACERS)
    # and the table holds that one session, its one event and one set of claims, all the winner's
    assert_one_booking_stored(serial_table, winner)


def test_one_client_booking_the_same_slot_twice_at_once_gets_it_once(
    serial_table: SerialTable, clock: FakeClock
) -> None:
    # Given a published therapist
    publish_therapist(Api())
    # and one client sending the same booking twice, without an Idempotency-Key
    request = booking(start=f"{SLOT:%Y-%m-%dT%H:%M:%SZ}")

    # When both requests arrive at the same moment
    outcomes = race(serial_table, clock, [(CLIENT, request), (CLIENT, request)])

    # Then one books the slot and the other is refused, leaving no second session or claims behind
    winner = assert_one_winner(outcomes, 2)
    assert_one_booking_stored(serial_table, winner)
