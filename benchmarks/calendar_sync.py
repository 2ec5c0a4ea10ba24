"""An imported calendar of 5,000 events: the first sync, re-syncs, and the slot query after each (issue 12).

One fresh moto (in-process) with the template's table and a fixed clock (2026-11-30 09:00 UTC), a
therapist published through the API (tests.support.scenario: Europe/London, weekdays 09:00-17:00, a
booking horizon of 60 days), and a feed served on 127.0.0.1 by `tests.support.ical_server.serving`
(ETag of the body, 304 on `If-None-Match`; `CALENDAR_ALLOW_LOCAL_HTTP=true` lets the fetcher use it).
Everything goes through the real routes and handlers:

1. first sync: `PUT /therapists/me/calendar-import` (connect: fetch, parse, claim every busy unit);
2. unchanged re-sync: `POST /therapists/me/calendar-import/sync`, the server answers 304;
3. same events, new ETag: the body differs only in its DTSTAMPs (as feeds that stamp every export do),
   so the feed is fetched and parsed again and must write no claim;
4. changed re-sync: 20 events moved (18 timed ones to weekday evenings, 2 all-day ones a week later).

After each, `GET /therapists/{id}/slots` for the whole horizon. The feed is generated from a seed: a
few hundred weekly series (some started before today, some ending inside the horizon, in Europe/London
time) and single events of 30-90 minutes in working hours (08:00-18:00 local, mostly weekdays) spread
over the horizon, some overlapping, and a few all-day events.

Measured per step: wall time of the request, split into the time inside moto (`BotocoreStubber`, the
emulated DynamoDB) and outside; within the outside part, the fetch (HTTP to the local server) and the
parse with expansion (`calendar_parse.busy`); DynamoDB calls by operation; items written (each
PutItem, DeleteItem, UpdateItem, and each Put/Delete/Update inside TransactWriteItems or
BatchWriteItem), split into busy claims and the import's own item. After every step the therapist's
busy claims must be exactly the units the feed's busy times touch within the window (computed from
the feed directly), and no slot answered may touch one of them; else the run stops.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from benchmarks._support import DynamoCallLog, local_aws, markdown_table, ms, timed_store, verdict

EVENTS = 5_000
RECURRING = 300  # weekly series among the events
ALL_DAY = 8
MOVED = 20  # events moved in the changed feed: 18 timed, 2 all-day
SEED = 12
HORIZON_DAYS = 60  # tests.support.scenario.availability()
ZONE = "Europe/London"
SLOT_CALLS = 5
DURATIONS = (30, 45, 50, 60, 60, 60, 90)  # minutes
STAMP = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
WRITES = ("PutItem", "DeleteItem", "UpdateItem")


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime | date  # aware local time, or a date (all day)
    end: datetime | date
    weekly_until: datetime | None = None  # a series' UNTIL (None: open-ended)
    weekly: bool = False


def generate(now: datetime, events: int = EVENTS, seed: int = SEED) -> list[Event]:
    """The feed's events: `RECURRING` weekly series, `ALL_DAY` all-day events, the rest single timed ones."""
    draw = random.Random(seed)
    zone = ZoneInfo(ZONE)
    today = now.astimezone(zone).date()
    made: list[Event] = []

    def timed(day: date, earliest: int = 8 * 4, latest: int = 17 * 4 + 2) -> tuple[datetime, datetime]:
        quarter = draw.randint(earliest, latest)  # starts on the quarter hour, 08:00-17:30
        start = datetime.combine(day, time(quarter // 4, quarter % 4 * 15), tzinfo=zone)
        return start, start + timedelta(minutes=draw.choice(DURATIONS))

    for n in range(RECURRING):
        first = today - timedelta(weeks=draw.randint(0, 26)) + timedelta(days=draw.randint(0, 6))
        while first.weekday() >= 5:
            first += timedelta(days=1)
        start, end = timed(first)
        until = None
        if n % 3 == 0:  # a third end inside the horizon
            until = datetime.combine(today + timedelta(days=draw.randint(7, HORIZON_DAYS)), time(23, 59), tzinfo=UTC)
        made.append(Event(f"series-{n:04d}", start, end, until, weekly=True))
    for n in range(ALL_DAY):
        day = today + timedelta(days=draw.randint(1, HORIZON_DAYS - 3))
        made.append(Event(f"all-day-{n:02d}", day, day + timedelta(days=draw.choice((1, 1, 1, 2, 3)))))
    for n in range(events - RECURRING - ALL_DAY):
        day = today + timedelta(days=draw.randint(0, HORIZON_DAYS))
        if day.weekday() >= 5 and draw.random() < 0.8:  # mostly weekdays
            day -= timedelta(days=day.weekday() - 4)
        made.append(Event(f"event-{n:05d}", *timed(day)))
    return made


def moved(events: list[Event], seed: int = SEED) -> list[Event]:
    """The same events with `MOVED` moved: 18 timed single ones to a weekday evening, 2 all-day ones a week on."""
    draw = random.Random(seed + 1)
    singles = [n for n, e in enumerate(events) if e.uid.startswith("event-")]
    all_day = [n for n, e in enumerate(events) if e.uid.startswith("all-day-")]
    changed = list(events)
    for n in draw.sample(singles, MOVED - 2):
        event = changed[n]
        assert isinstance(event.start, datetime) and isinstance(event.end, datetime)
        day = event.start.date() + timedelta(days=draw.randint(1, 3))
        while day.weekday() >= 5:
            day += timedelta(days=1)
        start = datetime.combine(day, time(18, draw.choice((0, 30))), tzinfo=event.start.tzinfo)
        changed[n] = Event(event.uid, start, start + (event.end - event.start))
    for n in draw.sample(all_day, 2):
        event = changed[n]
        changed[n] = Event(event.uid, event.start + timedelta(days=7), event.end + timedelta(days=7))
    return changed


def _when(name: str, moment: datetime | date) -> str:
    if isinstance(moment, datetime):
        if moment.tzinfo is UTC:
            return f"{name}:{moment:%Y%m%dT%H%M%SZ}"
        return f"{name};TZID={ZONE}:{moment:%Y%m%dT%H%M%S}"
    return f"{name};VALUE=DATE:{moment:%Y%m%d}"


def ics(events: list[Event], stamp: datetime = STAMP) -> bytes:
    """The calendar as Google exports one: single events in UTC, series in the calendar's zone (TZID)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Benchmark//Calendar sync//EN",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:Practice",
        f"X-WR-TIMEZONE:{ZONE}",
    ]
    for event in events:
        start, end = event.start, event.end
        if isinstance(start, datetime) and not event.weekly:
            assert isinstance(end, datetime)
            start, end = start.astimezone(UTC), end.astimezone(UTC)
        lines += ["BEGIN:VEVENT", _when("DTSTART", start), _when("DTEND", end)]
        if event.weekly:
            lines.append(
                "RRULE:FREQ=WEEKLY" + (f";UNTIL={event.weekly_until:%Y%m%dT%H%M%SZ}" if event.weekly_until else "")
            )
        lines += [
            f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
            f"UID:{event.uid}@benchmark.example",
            "SUMMARY:Busy",
            "STATUS:CONFIRMED",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


@dataclass
class Step:
    label: str
    status: int = 0
    total: float = 0.0
    store: float = 0.0
    fetch: float = 0.0
    parse: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    claims_put: int = 0
    claims_deleted: int = 0
    other_written: int = 0  # the import's own item
    busy_units: int = 0  # claims after the step
    busy_ranges: int = 0  # busy_count answered (merged busy ranges in the window)
    slot_total: float = 0.0
    slot_store: float = 0.0
    slot_calls: int = 0
    slot_read: int = 0
    slots: int = 0

    @property
    def product(self) -> float:
        return self.total - self.store

    @property
    def claims_written(self) -> int:
        return self.claims_put + self.claims_deleted

    @property
    def transactions(self) -> int:
        return self.calls["TransactWriteItems"]

    @property
    def slot_product(self) -> float:
        return self.slot_total - self.slot_store


@dataclass
class SyncResult:
    events: int
    instances: int  # occurrences in the window (after expansion, before merging)
    body_bytes: int
    first: Step
    unchanged: Step
    restamped: Step
    changed: Step
    table_items: int = 0
    moto_as_is: bool = False

    @property
    def steps(self) -> list[Step]:
        return [self.first, self.unchanged, self.restamped, self.changed]

    @property
    def unchanged_met(self) -> bool:
        """An unchanged feed writes no claim (only the import's status item)."""
        return self.unchanged.claims_written == 0 and self.restamped.claims_written == 0

    @property
    def slots_met(self) -> bool:
        return all(s.slot_calls == 1 for s in self.steps)

    @property
    def changed_touched(self) -> int:
        return self.changed.claims_written


@contextmanager
def written_items() -> Iterator[list[tuple[str, str]]]:
    """(what, sort key) of every item a DynamoDB write puts, deletes or updates: `what` is put, delete or update."""
    from botocore.client import BaseClient

    original: Any = BaseClient.__dict__["_make_api_call"]
    written: list[tuple[str, str]] = []

    def sort_key(attributes: dict[str, Any]) -> str:
        return str(attributes.get("sk", {}).get("S", "?"))

    def recording(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name == "dynamodb":
            if operation == "PutItem":
                written.append(("put", sort_key(params["Item"])))
            elif operation in ("DeleteItem", "UpdateItem"):
                written.append((operation.removesuffix("Item").lower(), sort_key(params["Key"])))
            elif operation == "TransactWriteItems":
                for entry in params["TransactItems"]:
                    if "Put" in entry:
                        written.append(("put", sort_key(entry["Put"]["Item"])))
                    elif "Delete" in entry:
                        written.append(("delete", sort_key(entry["Delete"]["Key"])))
                    elif "Update" in entry:
                        written.append(("update", sort_key(entry["Update"]["Key"])))
            elif operation == "BatchWriteItem":
                for requests in params["RequestItems"].values():
                    for request in requests:
                        if "PutRequest" in request:
                            written.append(("put", sort_key(request["PutRequest"]["Item"])))
                        else:
                            written.append(("delete", sort_key(request["DeleteRequest"]["Key"])))
        return original(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", recording):
        yield written


@contextmanager
def timed(target: Any, attribute: str) -> Iterator[list[float]]:
    """Seconds spent in each call of `target.attribute`."""
    original = getattr(target, attribute)
    spent: list[float] = []

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(perf_counter() - started)

    with mock.patch.object(target, attribute, wrapper):
        yield spent


@contextmanager
def one_backup_per_transaction() -> Iterator[None]:
    """moto's TransactWriteItems deep-copies the whole table once per item of the transaction (its rollback
    backup, overwritten 100 times for 100 items); this makes it one copy per table per transaction, the same
    backup (the loop that takes it writes nothing). Its time per transaction stays linear in the table."""
    import copy

    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        copies: dict[int, Any] = {}

        def deepcopy(thing: Any, memo: Any = None) -> Any:
            if isinstance(thing, Table):
                if id(thing) not in copies:
                    copies[id(thing)] = copy.deepcopy(thing, memo)
                return copies[id(thing)]
            return copy.deepcopy(thing, memo)

        with mock.patch.object(models, "copy", mock.Mock(deepcopy=deepcopy)):
            original(self, transact_items)

    with mock.patch.object(models.DynamoDBBackend, "transact_write_items", transact_write_items):
        yield


def expected_units(body: bytes, now: datetime) -> tuple[set[datetime], int]:
    """The units the feed's busy times touch within the sync's window, computed from the feed directly; the
    occurrences expanded (without the work budget: this is the check, not the product)."""
    import icalendar
    import recurring_ical_events

    from therapy_booking.adapters import calendar_parse
    from therapy_booking.domain.calendar import TimeRange
    from therapy_booking.domain.calendar_sync import busy_units
    from therapy_booking.domain.policies import PlatformPolicy

    start = now.replace(minute=0, second=0, microsecond=0)
    window = TimeRange(start, start + timedelta(days=HORIZON_DAYS + 1))
    limits = calendar_parse.ParseLimits(max_calls=10**10, max_seconds=3600.0)
    ranges = calendar_parse.busy(body, window.start, window.end, ZONE, limits)
    calendar = icalendar.Calendar.from_ical(body)
    query = recurring_ical_events.of(calendar)
    instances = sum(
        1 for o in calendar_parse._occurrences(query, window.start - timedelta(days=1), window.end + timedelta(days=1))
    )
    return busy_units(ranges, window, PlatformPolicy().calendar_unit_minutes), instances


def run(events: int = EVENTS, log: Any = None, moto_as_is: bool = False) -> SyncResult:
    from tests.support.api import Api
    from tests.support.clock import FakeClock
    from tests.support.ical_server import Feed, serving
    from tests.support.scenario import CLIENT, THERAPIST, publish_therapist
    from therapy_booking.adapters import calendar_parse
    from therapy_booking.adapters.calendar_fetch import SafeCalendarFetcher
    from therapy_booking.adapters.dynamodb.calendar_imports import DynamoCalendarImports
    from therapy_booking.domain.changes import ClaimKind

    os.environ["CALENDAR_ALLOW_LOCAL_HTTP"] = "true"
    clock = FakeClock()
    now = clock.now()
    feed_events = generate(now, events)
    bodies = {
        "first": ics(feed_events),
        "restamped": ics(feed_events, STAMP + timedelta(hours=1)),
        "changed": ics(moved(feed_events), STAMP + timedelta(hours=2)),
    }
    expected = {name: expected_units(body, now) for name, body in bodies.items()}
    assert expected["first"][0] == expected["restamped"][0]
    horizon_end = now + timedelta(days=HORIZON_DAYS)
    slot_query = {"from": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "to": horizon_end.strftime("%Y-%m-%dT%H:%M:%SZ")}
    result = SyncResult(
        events,
        expected["first"][1],
        len(bodies["first"]),
        Step("first sync (PUT /therapists/me/calendar-import)"),
        Step("unchanged re-sync (POST .../sync; 304 Not Modified)"),
        Step("same events, new ETag (DTSTAMPs changed; POST .../sync)"),
        Step(f"{MOVED} events moved (POST .../sync)"),
        moto_as_is=moto_as_is,
    )
    try:
        with local_aws(clock) as client, nullcontext() if moto_as_is else one_backup_per_transaction():
            api = Api()
            publish_therapist(api, THERAPIST)
            feed = Feed(bodies["first"])
            calls = DynamoCallLog()
            imports = DynamoCalendarImports()
            with serving(feed) as url:
                plan: list[tuple[Step, bytes, str, set[datetime]]] = [
                    (result.first, bodies["first"], "connect", expected["first"][0]),
                    (result.unchanged, bodies["first"], "sync", expected["first"][0]),
                    (result.restamped, bodies["restamped"], "sync", expected["restamped"][0]),
                    (result.changed, bodies["changed"], "sync", expected["changed"][0]),
                ]
                for step, body, how, units in plan:
                    feed.body = body
                    calls.calls.clear()  # the previous step's slot queries
                    gc.collect()
                    gc.freeze()  # the emulated table's objects are not the handler's: keep them out of GC passes
                    try:
                        with (
                            calls.recording(),
                            timed_store() as store,
                            written_items() as written,
                            timed(calendar_parse, "busy") as parse,
                            timed(SafeCalendarFetcher, "fetch") as fetch,
                        ):
                            began = perf_counter()
                            if how == "connect":
                                answer = api.put("/therapists/me/calendar-import", THERAPIST, {"url": url})
                            else:
                                answer = api.post("/therapists/me/calendar-import/sync", THERAPIST)
                            step.total = perf_counter() - began
                            step.store, step.parse, step.fetch = sum(store), sum(parse), sum(fetch)
                            step.calls = Counter(c.operation for c in calls.calls)
                            claims = [(what, sk) for what, sk in written if sk.startswith("CLAIM#")]
                            step.claims_put = sum(1 for what, _ in claims if what == "put")
                            step.claims_deleted = sum(1 for what, _ in claims if what == "delete")
                            step.other_written = len(written) - len(claims)
                            calls.calls.clear()
                            assert answer.status == 200 and answer.body["status"] == "ok", answer.body
                            step.status, step.busy_ranges = answer.status, answer.body["busy_count"]

                            for _ in range(SLOT_CALLS):
                                mark, store_mark = calls.mark(), len(store)
                                began = perf_counter()
                                slots = api.get(f"/therapists/{THERAPIST.sub}/slots", CLIENT, query=slot_query)
                                elapsed = perf_counter() - began
                                assert slots.status == 200, slots.body
                                made = calls.since(mark)
                                step.slot_calls = max(step.slot_calls, len(made))
                                step.slot_read = max(step.slot_read, sum(c.scanned_count or 0 for c in made))
                                step.slot_total += elapsed / SLOT_CALLS
                                step.slot_store += sum(store[store_mark:]) / SLOT_CALLS
                            step.slots = len(slots.body["items"])
                    finally:
                        gc.unfreeze()
                    busy = {u for u, c in imports.claims(THERAPIST.sub, now).items() if c.kind is ClaimKind.BUSY}
                    assert busy == units, f"{step.label}: {len(busy ^ units)} units differ from the feed's"
                    step.busy_units = len(busy)
                    for slot in slots.body["items"]:
                        start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
                        assert not any(start <= u < end for u in units), f"{step.label}: a slot over busy time"
                    if log is not None:
                        print(
                            f"calendar sync: {step.label}: {step.total:.1f}s, {step.claims_written} claims written",
                            file=log,
                            flush=True,
                        )
            result.table_items = int(client.describe_table(TableName=os.environ["TABLE_NAME"])["Table"]["ItemCount"])
    finally:
        del os.environ["CALENDAR_ALLOW_LOCAL_HTTP"]
    return result


def _calls(step: Step) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(step.calls.items()))


def to_markdown(result: SyncResult) -> str:
    rows = [
        [
            s.label,
            f"{sum(s.calls.values())}: {_calls(s)}",
            f"{s.claims_put} / {s.claims_deleted}",
            s.other_written,
            f"{s.busy_units:,}",
            ms(s.total),
            ms(s.store),
            ms(s.product),
            ms(s.fetch),
            ms(s.parse),
        ]
        for s in result.steps
    ]
    slot_rows = [
        [
            s.label.split(" (")[0],
            s.slot_calls,
            f"{s.slot_read:,}",
            s.slots,
            ms(s.slot_total),
            ms(s.slot_store),
            ms(s.slot_product),
        ]
        for s in result.steps
    ]
    first = result.first
    return "\n".join(
        [
            f"A feed of {result.events:,} events ({RECURRING} weekly series, {ALL_DAY} all-day, the rest single; "
            f"{result.body_bytes / 1000:.0f} kB, {result.instances:,} occurrences in the window, "
            f"{first.busy_ranges:,} busy ranges after merging), synced through the routes; one run of each step. "
            "Items written: busy claims put / deleted (inside TransactWriteItems), and other items (the import's "
            "own item: status, validators). Fetch and parse are part of the time outside moto.",
            "",
            markdown_table(
                [
                    "step",
                    "DynamoDB calls",
                    "claims put / deleted",
                    "other items written",
                    "busy claims after",
                    "total (ms)",
                    "in moto (ms)",
                    "outside moto (ms)",
                    "fetch (ms)",
                    "parse + expansion (ms)",
                ],
                rows,
            ),
            "",
            f"GET /therapists/{{id}}/slots for the whole horizon ({HORIZON_DAYS} days) after each step; means of "
            f"{SLOT_CALLS} calls.",
            "",
            markdown_table(
                [
                    "after",
                    "DynamoDB calls",
                    "items read (ScannedCount)",
                    "slots",
                    "total (ms)",
                    "in moto (ms)",
                    "outside moto (ms)",
                ],
                slot_rows,
            ),
            "",
            f"- Unchanged feed writes no claim (304: {result.unchanged.claims_written} claims, "
            f"{result.unchanged.other_written} import item; new ETag, same events: "
            f"{result.restamped.claims_written} claims, {result.restamped.other_written} import item): "
            f"{verdict(result.unchanged_met)}.",
            f"- The slot query stays one Query after every step: {verdict(result.slots_met)}.",
            f"- {MOVED} events moved: {result.changed.claims_written} claims written "
            f"({result.changed.claims_put} put, {result.changed.claims_deleted} deleted) in "
            f"{result.changed.transactions} transaction(s), against {result.first.claims_written:,} "
            "for the first sync.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=EVENTS, help=f"events in the feed (default {EVENTS:,})")
    parser.add_argument(
        "--moto-as-is",
        action="store_true",
        help="keep moto's copy of the whole table per transaction item (very slow past a few thousand claims)",
    )
    args = parser.parse_args(argv)
    print(to_markdown(run(args.events, log=sys.stderr, moto_as_is=args.moto_as_is)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
