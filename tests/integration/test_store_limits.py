"""DynamoDB's limits on moto (which, like DynamoDB, refuses a transaction of more than 100 items and
an item over 400 KB): the largest transitions fit, time given back in a second step ends exactly
where it should, and a session changed hundreds of times stays a small item."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from tests.support.domain_data import ADMIN, CLIENT, OTHER_CLIENT, PROFILE, THERAPIST
from therapy_booking.adapters.dynamodb.sessions import DynamoSessionRepository
from therapy_booking.domain.calendar import claim_units
from therapy_booking.domain.model import (
    ACTIVE_STATUSES,
    Availability,
    Money,
    RearrangeReason,
    Session,
    SessionStatus,
    SessionType,
    SessionTypeOffer,
    Weekday,
    WeeklyWindow,
)
from therapy_booking.domain.services import BookingRequest
from therapy_booking.wiring import container

TABLE = os.environ["TABLE_NAME"]
LONGEST = SessionTypeOffer(SessionType.FAMILY, 240, Money(20000, "GBP"))
EVERY_DAY = Availability(
    weekly=tuple(WeeklyWindow(day, time(8), time(20)) for day in Weekday), min_notice_hours=1, horizon_days=30
)
# 240-minute slots at 08:00, 12:00 and 16:00 London time (UTC in winter), from Tuesday 1 December.
SLOTS = [datetime(2026, 12, 1, hour, tzinfo=UTC) + timedelta(days=day) for day in range(4) for hour in (8, 12, 16)]
NOTE = "n" * 2000


@pytest.fixture
def long_sessions(aws: Any) -> None:
    """A therapist who offers 240-minute family sessions every day from 08:00 to 20:00."""
    container.therapists.put_profile(THERAPIST, replace(PROFILE, session_types=(LONGEST,)))
    container.therapists.put_availability(THERAPIST, EVERY_DAY)


def offered(start: datetime, alternatives: list[datetime]) -> Session:
    booking = BookingRequest("t1", start, SessionType.FAMILY, "room", ("Sam", "Alex"))
    session = container.sessions.book(CLIENT, booking)
    container.sessions.confirm(THERAPIST, session.session_id)
    return container.sessions.offer_alternatives(THERAPIST, session.session_id, alternatives)


def claimed_units(aws: Any, session_id: str) -> set[datetime]:
    items = aws.query(
        TableName=TABLE, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "THERAPIST#t1"}}
    )["Items"]
    return {
        datetime.fromisoformat(i["sk"]["S"].removeprefix("CLAIM#"))
        for i in items
        if i["sk"]["S"].startswith("CLAIM#") and i["owner_id"]["S"] == session_id
    }


def session_item(aws: Any, session_id: str) -> dict[str, Any]:
    item: dict[str, Any] = aws.get_item(
        TableName=TABLE, Key={"pk": {"S": f"SESSION#{session_id}"}, "sk": {"S": "SESSION"}}
    )["Item"]
    return item


def own_units(session: Session) -> set[datetime]:
    return set(claim_units(session.start, session.end, 15)) if session.status in ACTIVE_STATUSES else set()


@pytest.mark.usefixtures("long_sessions")
class TestLargestTransitions:
    def test_accepting_one_of_five_alternatives_of_the_longest_session_commits(self, aws: Any) -> None:
        # Given a confirmed 240-minute session with five 240-minute alternatives on offer (96 units)
        session = offered(SLOTS[0], SLOTS[1:6])
        assert session.offer is not None and len(claimed_units(aws, session.session_id)) == 96

        # When the client accepts the last alternative
        accepted = container.sessions.answer_offer(
            CLIENT, session.session_id, session.offer.alternatives[-1].alternative_id
        )

        # Then it is confirmed at that time, and only that time is still claimed
        assert (accepted.status, accepted.start) == (SessionStatus.CONFIRMED, SLOTS[5])
        assert claimed_units(aws, session.session_id) == own_units(accepted)

    def test_the_team_moving_an_offered_longest_session_gives_back_everything_else(self, aws: Any) -> None:
        # Given a confirmed 240-minute session with five alternatives on offer
        session = offered(SLOTS[0], SLOTS[1:6])

        # When the team moves it for the therapist's own reason (116 items in all: more than one transaction)
        moved = container.sessions.admin_rearrange(
            ADMIN,
            session.session_id,
            start=SLOTS[9],
            location_id=None,
            status=None,
            reason=RearrangeReason.THERAPIST_UNAVAILABLE,
            note="away that week",
        )

        # Then only the new time is claimed, nothing is left pending, and the session is not due for the sweeper
        assert claimed_units(aws, session.session_id) == own_units(moved)
        item = session_item(aws, session.session_id)
        assert "releases_pending" not in item
        assert item["gsi3sk"]["S"].startswith(moved.end.strftime("%Y-%m-%dT%H:%M:%SZ"))
        # And another client can book the old time at once
        booking = BookingRequest("t1", SLOTS[5], SessionType.FAMILY, "room", ("Kim", "Lee"))
        assert container.sessions.book(OTHER_CLIENT, booking).status is SessionStatus.PENDING

    def test_giving_back_deletes_the_sessions_own_time_and_skips_time_someone_else_holds(self, aws: Any) -> None:
        # Given a cancelled session whose old time was given back and then booked by another client, and a
        # pending list (carried by a stale write) naming that time and also a unit the session still holds
        session = offered(SLOTS[0], SLOTS[1:2])
        cancelled = container.sessions.answer_offer(CLIENT, session.session_id, None)
        other = container.sessions.book(
            OTHER_CLIENT, BookingRequest("t1", SLOTS[0], SessionType.FAMILY, "room", ("Kim", "Lee"))
        )
        leftover = SLOTS[11]  # a unit still the cancelled session's (as a crash between two writes leaves it)
        aws.put_item(
            TableName=TABLE,
            Item={
                "pk": {"S": "THERAPIST#t1"},
                "sk": {"S": f"CLAIM#{leftover.strftime('%Y-%m-%dT%H:%M:%SZ')}"},
                "entity": {"S": "claim"},
                "kind": {"S": "session"},
                "owner_id": {"S": session.session_id},
            },
        )
        pending = (*claim_units(SLOTS[0], SLOTS[0] + timedelta(hours=4), 15), leftover)
        stale = replace(cancelled, releases_pending=pending)

        # When the pending time is given back
        DynamoSessionRepository().give_back(stale, pending)

        # Then the session's own leftover is gone, the other client's booking keeps its time, and the list is cleared
        assert claimed_units(aws, session.session_id) == set()
        assert claimed_units(aws, other.session_id) == own_units(other)
        assert "releases_pending" not in session_item(aws, session.session_id)


def test_a_session_item_stops_growing_once_its_history_is_full(aws: Any) -> None:
    # Given a booked session with the longest note
    container.therapists.put_profile(THERAPIST, PROFILE)
    container.therapists.put_availability(
        THERAPIST, Availability(tuple(WeeklyWindow(d, time(9), time(17)) for d in Weekday), 24, 30)
    )
    booking = BookingRequest("t1", datetime(2026, 12, 2, 10, tzinfo=UTC), SessionType.INDIVIDUAL, "room", ("Sam",))
    session = container.sessions.book(CLIENT, replace(booking, note=NOTE))

    def rearrange(times: int) -> int:
        """The team rearranges it `times` times with the longest note; the item's size after."""
        for n in range(times):
            container.sessions.admin_rearrange(
                ADMIN,
                session.session_id,
                start=None,
                location_id=None,
                status=SessionStatus.CONFIRMED if n % 2 else SessionStatus.PENDING,
                reason=RearrangeReason.ERROR_CORRECTION,
                note=NOTE,
            )
        return len(json.dumps(session_item(aws, session.session_id)))

    # When the team rearranges it until its history is full (20 entries), then 6 times more
    full = rearrange(20)
    later = rearrange(6)

    # Then the item did not grow (each change used to add 2 KB: the 191st went past DynamoDB's 400 KB)
    assert later == full < 60_000
    assert len(session_item(aws, session.session_id)["history"]["L"]) == 20
    # And every change is in the audit trail (the outbox events), with its note
    events = aws.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :event)",
        ExpressionAttributeValues={":pk": {"S": f"SESSION#{session.session_id}"}, ":event": {"S": "EVENT#"}},
    )["Items"]
    assert len(events) == 27
    assert [e["note"]["S"] for e in events if "note" in e] == [NOTE] * 26


def test_the_sweeper_reads_past_an_item_with_a_wrongly_typed_attribute(aws: Any, clock: Any) -> None:
    # Given a confirmed session that has ended, and before it in the sweeper's index an item whose
    # start is not a date (an item written by hand, or by a newer version of the code)
    container.therapists.put_profile(THERAPIST, PROFILE)
    container.therapists.put_availability(
        THERAPIST, Availability(tuple(WeeklyWindow(d, time(9), time(17)) for d in Weekday), 24, 30)
    )
    start = datetime(2026, 12, 2, 10, tzinfo=UTC)
    ended = container.sessions.book(CLIENT, BookingRequest("t1", start, SessionType.INDIVIDUAL, "room", ("Sam",)))
    container.sessions.confirm(THERAPIST, ended.session_id)
    aws.put_item(
        TableName=TABLE,
        Item={
            **session_item(aws, ended.session_id),
            "pk": {"S": "SESSION#garbled"},
            "start": {"N": "12"},
            "gsi3sk": {"S": "2026-11-30T00:00:00Z#garbled"},
        },
    )

    # When the sweep runs after the session's end
    clock.set(start + timedelta(hours=2))
    report = container.sessions.sweep()

    # Then the unreadable item is reported on its own and the ended session is completed
    assert [(f.session_id, f.error_type) for f in report.failures] == [("garbled", "AttributeDeserializationError")]
    assert report.completed == 1
    assert container.sessions.get(ADMIN, ended.session_id).status is SessionStatus.COMPLETED
