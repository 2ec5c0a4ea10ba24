"""Two cancellations of one therapist at the same moment: the cancellation streak counts both, exactly, and the
one that reaches 5 deactivates the account, whichever of them it is.

As in `test_booking_concurrency.py`: the table lives in a moto server that serves one request at a time, each
request runs in its own process, and a rendezvous just before the repository's first commit holds both until
both have read the session with the therapist and built their transaction, so only the table's conditions
decide. A retry (after a refused write) commits without waiting for anyone.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import traceback
from datetime import datetime
from multiprocessing.context import ForkServerProcess
from typing import TYPE_CHECKING, Any

import pytest

from tests.integration.test_booking_concurrency import (
    RENDEZVOUS_SECONDS,
    Outcome,
    SerialTable,
    run_together,
    serial_table,  # noqa: F401 (the fixture)
)
from tests.support.api import Api, Caller
from tests.support.clock import FakeClock
from tests.support.scenario import CLIENT, THERAPIST, book, publish_therapist
from therapy_booking.adapters import aws_clients
from therapy_booking.adapters.dynamodb.sessions import DynamoSessionRepository
from therapy_booking.adapters.dynamodb.therapists import DynamoTherapistRepository
from therapy_booking.domain.changes import SessionChange
from therapy_booking.wiring import container

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Barrier

_ENVIRONMENTS = multiprocessing.get_context("forkserver")
_ENVIRONMENTS.set_forkserver_preload(["functions.cancellation.app", __name__])


def _cancel_in_own_environment(
    environ: dict[str, str],
    now: datetime,
    session_id: str,
    start_line: Barrier,
    commit_line: Barrier,
    outcomes: Queue[Outcome],
) -> None:
    """One Lambda execution environment: warm up, wait for the other, cancel as the therapist, report."""
    started = committing = False
    try:
        os.environ.update(environ)
        aws_clients.reset()
        container.reset(clock=FakeClock(now))
        _ = container.sessions
        api = Api()
        path = f"/sessions/{session_id}/cancel"
        importlib.import_module(api.functions[api.handler_for("POST", path)[0].function].module)
        assert DynamoTherapistRepository().get(THERAPIST.sub) is not None  # opens this environment's connection

        commit = DynamoSessionRepository.commit

        def commit_with_the_other(repository: DynamoSessionRepository, change: SessionChange) -> None:
            nonlocal committing
            if not committing:  # the first attempt only; a retry goes straight to the table
                committing = True
                commit_line.wait(RENDEZVOUS_SECONDS)
            commit(repository, change)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(DynamoSessionRepository, "commit", commit_with_the_other)
            start_line.wait(RENDEZVOUS_SECONDS)
            started = True
            answer = api.post(path, THERAPIST, {"reason": "Unwell"})
        outcomes.put(Outcome(session_id, answer.status, answer.body))
    except BaseException:
        outcomes.put(Outcome(session_id, -1, traceback.format_exc()))
    finally:
        if not started:
            start_line.abort()
        if not committing:
            commit_line.abort()


def cancel_together(clock: FakeClock, session_ids: list[str]) -> list[Outcome]:
    start_line = _ENVIRONMENTS.Barrier(len(session_ids))
    commit_line = _ENVIRONMENTS.Barrier(len(session_ids))
    outcomes: Queue[Outcome] = _ENVIRONMENTS.Queue()
    environ = dict(os.environ)
    processes: list[ForkServerProcess] = [
        _ENVIRONMENTS.Process(
            target=_cancel_in_own_environment,
            args=(environ, clock.now(), session_id, start_line, commit_line, outcomes),
            name=f"cancel-{session_id}",
        )
        for session_id in session_ids
    ]
    return run_together(processes, outcomes, "cancellations")


def two_confirmed_sessions(api: Api) -> list[str]:
    publish_therapist(api)
    ids = []
    for start in ("2026-12-02T10:00:00Z", "2026-12-02T11:00:00Z"):
        booked = book(api, start=start)
        assert booked.status == 201, booked.body
        ids.append(booked.body["session_id"])
        assert api.post(f"/sessions/{ids[-1]}/confirm", THERAPIST).status == 200
    return ids


def therapist_item(table: SerialTable) -> dict[str, Any]:
    key = {"pk": {"S": f"THERAPIST#{THERAPIST.sub}"}, "sk": {"S": "PROFILE"}}
    item: dict[str, Any] = table.client.get_item(TableName=table.name, Key=key, ConsistentRead=True)["Item"]
    return item


def set_streak(table: SerialTable, streak: int) -> None:
    table.client.update_item(
        TableName=table.name,
        Key={"pk": {"S": f"THERAPIST#{THERAPIST.sub}"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="SET cancellation_streak = :n",
        ExpressionAttributeValues={":n": {"N": str(streak)}},
    )


def test_two_cancellations_at_once_both_count(serial_table: SerialTable, clock: FakeClock) -> None:  # noqa: F811
    # Given a therapist with two confirmed sessions and no cancellations yet
    ids = two_confirmed_sessions(Api())
    # When the therapist cancels both at the same moment (two environments)
    outcomes = cancel_together(clock, ids)
    # Then both are cancelled and the streak is exactly 2 (ADD, no lost update)
    assert sorted(o.status for o in outcomes) == [200, 200], outcomes
    item = therapist_item(serial_table)
    assert item["cancellation_streak"] == {"N": "2"}
    assert item.get("deactivated", {"BOOL": False}) == {"BOOL": False}
    assert item["gsi1pk"] == {"S": "LISTED"}


def test_two_cancellations_at_once_from_three_reach_five_and_deactivate(
    serial_table: SerialTable,  # noqa: F811 (the fixture imported above)
    clock: FakeClock,
) -> None:
    # Given a therapist at a streak of 3 with two confirmed sessions
    api = Api()
    ids = two_confirmed_sessions(api)
    set_streak(serial_table, 3)
    # When the therapist cancels both at the same moment: both read 3, both expect to stay below 5
    outcomes = cancel_together(clock, ids)
    # Then both are cancelled (the one the table refused read again and retried) and the count is exactly 5
    assert sorted(o.status for o in outcomes) == [200, 200], outcomes
    item = therapist_item(serial_table)
    assert item["cancellation_streak"] == {"N": "5"}
    # And the account is deactivated in that write: out of the listing, and bookings are refused
    assert item["deactivated"] == {"BOOL": True}
    assert "gsi1pk" not in item  # out of the listing (its rank key, gsi1sk, stays for when it is listed again)
    assert api.get("/therapists", CLIENT).body["items"] == []
    refused = book(api, start="2026-12-02T14:00:00Z")
    assert (refused.status, refused.body["code"]) == (409, "therapist_unavailable_for_booking")
    # When an admin reactivates the account
    admin = Caller("admin-1", "admin")
    answer = api.post(f"/admin/therapists/{THERAPIST.sub}/reactivate", admin, {"note": "Talked it through"})
    # Then it is active and listed again, with its streak reset
    assert answer.status == 200, answer.body
    assert (answer.body["cancellation_streak"], answer.body["deactivated"]) == (0, False)
    assert [t["therapist_id"] for t in api.get("/therapists", CLIENT).body["items"]] == [THERAPIST.sub]
