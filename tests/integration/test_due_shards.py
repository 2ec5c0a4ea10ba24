"""The sweeper's index is sharded (`DUE#0..9`): no partition takes every session change's write, and the sweeper
still sees every due session, earliest first, the legacy unsharded partition included."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.support.clock import FakeClock
from tests.support.domain_data import AVAILABILITY, CLIENT, PROFILE, THERAPIST, WEDNESDAY_10, request
from therapy_booking.adapters.dynamodb.models import DUE, DUE_SHARDS, due_key
from therapy_booking.domain.model import SessionStatus
from therapy_booking.wiring import container


def test_confirmed_sessions_spread_over_the_shards_and_every_one_is_completed_in_due_order(
    aws: Any, clock: FakeClock
) -> None:
    # Given 8 confirmed sessions on Wednesday, every hour from 09:00
    container.therapists.put_profile(THERAPIST, PROFILE)
    container.therapists.put_availability(THERAPIST, AVAILABILITY)
    sessions = []
    for slot in range(8):
        start = WEDNESDAY_10 + timedelta(hours=slot - 1)
        booked = container.sessions.book(CLIENT, request(start))
        sessions.append(container.sessions.confirm(THERAPIST, booked.session_id))
    items = [
        aws.get_item(
            TableName=container.storage.table_name, Key={"pk": {"S": f"SESSION#{s.session_id}"}, "sk": {"S": "SESSION"}}
        )["Item"]
        for s in sessions
    ]
    # Then each is in its own session's shard of the due index, and they use more than one
    partitions = [item["gsi3pk"]["S"] for item in items]
    assert partitions == [due_key(s.session_id) for s in sessions]
    assert {p.removeprefix("DUE#").isdigit() for p in partitions} == {True}
    assert all(0 <= int(p.removeprefix("DUE#")) < DUE_SHARDS for p in partitions)
    assert len(set(partitions)) > 1
    # And one written before the index was sharded is still in the legacy partition
    legacy = sessions[3]
    aws.update_item(
        TableName=container.storage.table_name,
        Key={"pk": {"S": f"SESSION#{legacy.session_id}"}, "sk": {"S": "SESSION"}},
        UpdateExpression="SET gsi3pk = :legacy",
        ExpressionAttributeValues={":legacy": {"S": DUE}},
    )
    # When the sweeper looks after they have all ended
    clock.set(WEDNESDAY_10 + timedelta(hours=8))
    due = list(container.storage.sessions.list_due(clock.now(), 2))
    # Then it finds every one of them, across the partitions, earliest end first
    assert [getattr(s, "session_id", None) for s in due] == [s.session_id for s in sessions]
    report = container.sessions.sweep()
    assert report.completed == len(sessions) and report.failures == ()
    assert {container.sessions.get(THERAPIST, s.session_id).status for s in sessions} == {SessionStatus.COMPLETED}
