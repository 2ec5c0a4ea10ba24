"""Imported calendars on moto (issue 12): busy claims written in batches checked against the import, skipped
units, a replaced import's writes refused, past busy time expiring, the slot query seeing busy time."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.domain_data import AVAILABILITY, PROFILE
from therapy_booking.adapters.dynamodb.calendar_imports import BATCH, DynamoCalendarImports
from therapy_booking.adapters.dynamodb.therapists import DynamoTherapistRepository
from therapy_booking.domain.calendar import TimeRange
from therapy_booking.domain.calendar_sync import BusyWrite, CalendarImport, ImportGone, ImportStatus
from therapy_booking.domain.changes import Claim, ClaimKind

TABLE = os.environ["TABLE_NAME"]
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
UNIT = timedelta(minutes=15)


@pytest.fixture
def imports(aws: Any) -> DynamoCalendarImports:
    therapists = DynamoTherapistRepository()
    therapists.save_profile("t1", PROFILE)
    therapists.save_availability("t1", AVAILABILITY)
    store = DynamoCalendarImports()
    store.save(CalendarImport("t1", "import-1", "https://calendar.example.com/secret/basic.ics"), replacing=None)
    return store


def units(count: int, start: datetime = MONDAY) -> tuple[datetime, ...]:
    return tuple(start + UNIT * i for i in range(count))


def test_more_busy_units_than_one_transaction_holds_are_written_in_batches(imports: DynamoCalendarImports) -> None:
    # Given more busy units than one transaction may hold (with the import's check)
    busy = units(BATCH * 2 + 5)
    # When they are written
    skipped = imports.write_busy(BusyWrite("t1", "import-1", busy, ()))
    # Then every one is a busy claim of the calendar, read back by the slot query's calendar read
    assert skipped == set()
    claims = imports.claims("t1", MONDAY)
    assert sorted(claims) == list(busy) and {c.kind for c in claims.values()} == {ClaimKind.BUSY}
    calendar = DynamoTherapistRepository().get_calendar("t1", MONDAY)
    assert calendar is not None and set(busy) <= calendar.claimed_units


def test_a_unit_taken_meanwhile_is_skipped_and_the_rest_written(aws: Any, imports: DynamoCalendarImports) -> None:
    # Given one unit of the batch already claimed by a session
    taken = MONDAY + UNIT * 3
    aws.put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": "THERAPIST#t1"},
            "sk": {"S": f"CLAIM#{taken:%Y-%m-%dT%H:%M:%SZ}"},
            "entity": {"S": "claim"},
            "kind": {"S": "session"},
            "owner_id": {"S": "s1"},
        },
    )
    # When the sync writes its busy units
    skipped = imports.write_busy(BusyWrite("t1", "import-1", units(8), ()))
    # Then that unit stays the session's, reported as skipped, and the other seven are busy
    assert skipped == {taken}
    claims = imports.claims("t1", MONDAY)
    assert claims[taken] == Claim("t1", taken, ClaimKind.SESSION, "s1")
    assert sum(c.kind is ClaimKind.BUSY for c in claims.values()) == 7


def test_a_replaced_import_cannot_write_busy_time(imports: DynamoCalendarImports) -> None:
    # Given the therapist replaced the import (a new address) while an old sync was running
    imports.save(CalendarImport("t1", "import-2", "https://calendar.example.com/other/basic.ics"), replacing="import-1")
    # When the old sync writes / Then it is refused as a whole, and nothing is written
    with pytest.raises(ImportGone):
        imports.write_busy(BusyWrite("t1", "import-1", units(3), ()))
    assert imports.claims("t1", MONDAY) == {}


def test_giving_back_removes_only_busy_time(imports: DynamoCalendarImports) -> None:
    # Given busy units, one of which a session has meanwhile (given back by the feed, then booked)
    imports.write_busy(BusyWrite("t1", "import-1", units(4), ()))
    # When the calendar is disconnected
    imports.delete("t1")
    released = imports.release_busy("t1", MONDAY - timedelta(days=1))
    # Then its busy time is gone and the import with it
    assert released == 4 and imports.claims("t1", MONDAY) == {} and imports.get("t1") is None


def test_busy_claims_expire_after_their_time_and_the_import_is_listed_for_the_periodic_sync(
    aws: Any, imports: DynamoCalendarImports
) -> None:
    imports.write_busy(BusyWrite("t1", "import-1", units(1), ()))
    key = {"pk": {"S": "THERAPIST#t1"}, "sk": {"S": f"CLAIM#{MONDAY:%Y-%m-%dT%H:%M:%SZ}"}}
    item = aws.get_item(TableName=TABLE, Key=key)["Item"]
    assert int(item["ttl"]["N"]) == int((MONDAY + timedelta(days=1)).timestamp())
    assert list(imports.therapists_with_imports()) == ["t1"]
    stored = imports.get("t1")
    assert stored is not None and stored.status is ImportStatus.OK and stored.host == "calendar.example.com"


def test_the_busy_periods_last_read_are_kept_with_the_import(imports: DynamoCalendarImports) -> None:
    # Given an import whose feed was read up to a point, with a few busy periods
    periods = (
        TimeRange(MONDAY, MONDAY + timedelta(hours=1)),
        TimeRange(MONDAY + timedelta(days=3, minutes=30), MONDAY + timedelta(days=3, hours=2)),
    )
    stored = replace(
        CalendarImport("t1", "import-2", "https://calendar.example.com/secret/basic.ics"),
        busy=periods,
        covered_until=MONDAY + timedelta(days=60),
    )
    # When it is saved and read back / Then the periods and their reach are as they were
    imports.save(stored, replacing="import-1")
    read = imports.get("t1")
    assert read is not None and (read.busy, read.covered_until) == (periods, MONDAY + timedelta(days=60))
    assert "secret" not in repr(read)
