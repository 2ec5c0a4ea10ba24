"""GET /therapists/{id}/slots for a 4-week window, with a short and a long history of past sessions.

Each scenario is a fresh moto (in-process) with the template's table, a fixed clock, a published
therapist (tests.support.scenario) with three future bookings made through the API, then N past
sessions of that therapist written directly: each is booked and confirmed through the domain's
state machine (`lifecycle.book`, `lifecycle.confirm`) and stored as the items the repository's
commit path writes for those two changes (the session at version 2, its claims, its two outbox
events), built by the adapter's own item builders and sent with PynamoDB batch writes (moto's
TransactWriteItems copies the whole table for its rollback, far too slow for thousands).

The timed part is one request through the real handler; after warm-up calls, the median of
repeated calls is reported, split into the time spent inside moto (`BotocoreStubber`, i.e. the
emulated DynamoDB) and the rest (handler, domain, PynamoDB, botocore). The items the Query reads
(its ScannedCount) show what DynamoDB itself would do. A control scenario puts the long history
under another therapist: what grows there grows with the table, not with this therapist's history.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks._support import (
    TARGET_RATIO,
    ScalingResult,
    TimedCall,
    TimedCalls,
    local_aws,
    markdown_table,
    ms,
    timed_calls,
    verdict,
)

SHORT, LONG = 50, 5_000
SLOT_WINDOW = {"from": "2026-12-01T00:00:00Z", "to": "2026-12-29T00:00:00Z"}  # 4 weeks
FUTURE_BOOKINGS = ("2026-12-02T10:00:00Z", "2026-12-09T14:00:00Z", "2026-12-16T09:00:00Z")


@dataclass
class Scenario(TimedCalls):
    label: str
    own_history: int
    other_history: int = 0
    table_items: int = 0
    slots: int = 0
    calls: list[TimedCall] = field(default_factory=list)


def past_starts(count: int, before: datetime, timezone: str) -> list[datetime]:
    """Hourly starts 09:00-16:00 wall time on weekdays, walking back from the day before `before`."""
    zone = ZoneInfo(timezone)
    day: date = before.astimezone(zone).date() - timedelta(days=1)
    starts: list[datetime] = []
    while len(starts) < count:
        if day.weekday() < 5:
            for hour in range(16, 8, -1):
                starts.append(datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC))
        day -= timedelta(days=1)
    return starts[:count]


def load_history(therapist_id: str, count: int, now: datetime) -> int:
    """Write `count` past, confirmed sessions of the therapist as the commit path would; return the items."""
    from therapy_booking.adapters.dynamodb.codecs import session_item
    from therapy_booking.adapters.dynamodb.models import TableItem
    from therapy_booking.adapters.dynamodb.outbox import event_item
    from therapy_booking.adapters.dynamodb.therapists import DynamoTherapistRepository
    from therapy_booking.adapters.dynamodb.transaction import claim_item
    from therapy_booking.domain import lifecycle
    from therapy_booking.domain.model import Actor, Role, Session, SessionStatus
    from therapy_booking.wiring import container

    therapist = DynamoTherapistRepository().get(therapist_id)
    assert therapist is not None and therapist.profile is not None
    profile = therapist.profile
    offer, location = profile.session_types[0], profile.locations[0]
    policy = container.settings.policy
    therapist_actor = Actor(therapist_id, frozenset({Role.THERAPIST}))
    written = 0
    with TableItem.batch_write() as batch:
        for n, start in enumerate(past_starts(count, now, profile.timezone)):
            client_id = f"past-client-{n % 200:03d}"
            booked_at = start - timedelta(days=10)
            session = Session(
                session_id=str(uuid.uuid4()),
                therapist_id=therapist_id,
                client_id=client_id,
                status=SessionStatus.PENDING,
                session_type=offer.type,
                attendees=("Past Client",),
                location=location,
                start=start,
                end=start + offer.duration,
                price=offer.price,
                initial_consultation=False,
                created_at=booked_at,
                updated_at=booked_at,
                version=1,
            )
            client_actor = Actor(client_id, frozenset({Role.CLIENT}))
            booked = lifecycle.book(session, lifecycle.Transition(client_actor, booked_at, policy))
            confirmed = lifecycle.confirm(
                booked.session, lifecycle.Transition(therapist_actor, booked_at + timedelta(days=1), policy)
            )
            items: list[TableItem] = [session_item(confirmed.session), event_item(booked), event_item(confirmed)]
            items += [claim_item(claim) for claim in booked.claims_added]
            for item in items:
                batch.save(item)
            written += len(items)
    return written


def _check_history(api: Any, caller: Any, therapist_id: str) -> None:
    """The written history reads back through the API as real sessions do."""
    page = api.get(
        "/sessions", caller, query={"from": "2020-01-01T00:00:00Z", "to": "2026-11-30T00:00:00Z", "limit": "5"}
    )
    assert page.status == 200 and page.body["items"], page.body
    first = page.body["items"][0]
    assert first["therapist_id"] == therapist_id and first["status"] == "confirmed" and first["version"] == 2
    one = api.get(f"/sessions/{first['session_id']}", caller)
    assert one.status == 200 and one.body == first, one.body


def measure(scenario: Scenario, repeats: int, warmup: int, log: Any = None) -> Scenario:
    from tests.support.api import Api
    from tests.support.clock import FakeClock
    from tests.support.scenario import CLIENT, OTHER_THERAPIST, THERAPIST, book, publish_therapist

    clock = FakeClock()
    with local_aws(clock) as client:
        api = Api()
        publish_therapist(api, THERAPIST)
        publish_therapist(api, OTHER_THERAPIST)
        for start in FUTURE_BOOKINGS:  # before the history: moto's transactions copy the whole table
            answer = book(api, CLIENT, start=start)
            assert answer.status == 201, answer.body
        started = perf_counter()
        load_history(THERAPIST.sub, scenario.own_history, clock.now())
        if scenario.other_history:
            load_history(OTHER_THERAPIST.sub, scenario.other_history, clock.now())
        _check_history(api, THERAPIST, THERAPIST.sub)
        scenario.table_items = int(client.describe_table(TableName=os.environ["TABLE_NAME"])["Table"]["ItemCount"])
        if log is not None:
            print(f"slots: {scenario.label}: {scenario.table_items} items in {perf_counter() - started:.1f}s", file=log)

        path = f"/therapists/{THERAPIST.sub}/slots"
        booked = {datetime.fromisoformat(s) for s in FUTURE_BOOKINGS}
        for answer, timing in timed_calls(lambda: api.get(path, CLIENT, query=SLOT_WINDOW), warmup, repeats):
            assert answer.status == 200, answer.body
            starts = {datetime.fromisoformat(s["start"]) for s in answer.body["items"]}
            assert starts and not starts & booked
            if timing is not None:
                scenario.slots = len(starts)
                scenario.calls.append(timing)
    return scenario


def run(repeats: int = 30, warmup: int = 3, control: bool = True, log: Any = None) -> ScalingResult[Scenario]:
    short = measure(Scenario(f"{SHORT} past sessions", SHORT), repeats, warmup, log)
    long = measure(Scenario(f"{LONG:,} past sessions", LONG), repeats, warmup, log)
    other = None
    if control:
        other = measure(
            Scenario(f"control: {SHORT} past sessions, {LONG:,} of another therapist", SHORT, LONG),
            repeats,
            warmup,
            log,
        )
    return ScalingResult(repeats, short, long, other)


def to_markdown(result: ScalingResult[Scenario]) -> str:
    scenarios = [result.short, result.long] + ([result.control] if result.control else [])
    rows = [
        [
            s.label,
            f"{s.table_items:,}",
            s.dynamodb_calls,
            s.items_read,
            s.slots,
            ms(s.total),
            ms(s.store),
            ms(s.product),
        ]
        for s in scenarios
    ]
    return "\n".join(
        [
            f"GET /therapists/{{id}}/slots, from {SLOT_WINDOW['from']} to {SLOT_WINDOW['to']}; "
            f"medians of {result.repeats} calls per scenario.",
            "",
            markdown_table(
                [
                    "scenario",
                    "items in table",
                    "DynamoDB calls",
                    "items read (ScannedCount)",
                    "slots",
                    "total (ms)",
                    "in moto (ms)",
                    "outside moto (ms)",
                ],
                rows,
            ),
            "",
            f"- End to end on moto, {LONG:,} vs {SHORT}: ratio {result.ratio:.2f} "
            f"(target <= {TARGET_RATIO}): {verdict(result.met)}.",
            f"- Outside moto (handler, domain, PynamoDB, botocore), with the same items read: ratio "
            f"{result.product_ratio:.2f}: {verdict(result.product_met)}.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=30, help="timed calls per scenario (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls first (default 3)")
    parser.add_argument("--no-control", action="store_true", help="skip the other-therapist control scenario")
    args = parser.parse_args(argv)
    print(to_markdown(run(args.repeats, args.warmup, not args.no_control, log=sys.stderr)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
