"""Imported calendars on DynamoDB: the import item (THERAPIST#id / CALENDAR_IMPORT) and its busy claims.

Busy claims are ordinary claim items (`kind` busy, owner `calendar`), so the slot query and every write
that takes time see them. They are written in transactions of at most 100 items: one condition check
that the import is still the one the sync read (its `import_id`), then up to 99 conditional deletes
(still busy) and puts (still free). A unit someone else took or gave back meanwhile cancels its batch;
the batch is written again without it (the unit is reported as skipped). A busy claim carries `ttl`, a
day after its unit: past busy time disappears on its own.
"""

from __future__ import annotations

import struct
import time
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from therapy_booking.adapters.dynamodb.batch import get_items
from therapy_booking.adapters.dynamodb.codecs import PROFILE, therapist_from_item
from therapy_booking.adapters.dynamodb.models import (
    IMPORTS,
    CalendarImportItem,
    ClaimItem,
    TableItem,
    TherapistItem,
    therapist_key,
)
from therapy_booking.adapters.dynamodb.transaction import claim_from_item, claim_sort_key
from therapy_booking.domain.calendar import TimeRange
from therapy_booking.domain.calendar_import import FeedValidators
from therapy_booking.domain.calendar_sync import BusyWrite, CalendarImport, ImportGone, ImportStatus
from therapy_booking.domain.changes import CALENDAR_OWNER, Claim, ClaimKind
from therapy_booking.domain.model import Therapist

IMPORT = "CALENDAR_IMPORT"
BATCH = 99  # claim writes per transaction, with the import's condition check: DynamoDB's limit is 100
BUSY_KEPT_AFTER = timedelta(days=1)  # a past busy claim's `ttl`
_RETRIES = 3  # a batch cancelled only by concurrent transactions is tried again this many times


_PERIOD = struct.Struct(">II")  # a busy period: its start and end in minutes since the epoch


def pack_busy(periods: Sequence[TimeRange]) -> bytes | None:
    """Busy periods, compactly: at most 35,040 quarter-hours in a 365-day horizon give at most 17,520 periods,
    140 KB before compression, so the import item stays far below 400 KB whatever the feed."""
    if not periods:
        return None
    packed = b"".join(_PERIOD.pack(int(p.start.timestamp()) // 60, int(p.end.timestamp()) // 60) for p in periods)
    return zlib.compress(packed)


def unpack_busy(data: bytes | None) -> tuple[TimeRange, ...]:
    if not data:
        return ()
    raw = zlib.decompress(data)
    return tuple(
        TimeRange(datetime.fromtimestamp(start * 60, UTC), datetime.fromtimestamp(end * 60, UTC))
        for start, end in _PERIOD.iter_unpack(raw)
    )


def _import_item(calendar: CalendarImport) -> CalendarImportItem:
    return CalendarImportItem(
        therapist_key(calendar.therapist_id),
        IMPORT,
        gsi2pk=IMPORTS,
        gsi2sk=calendar.therapist_id,
        therapist_id=calendar.therapist_id,
        import_id=calendar.import_id,
        url=calendar.url,
        status=calendar.status,
        last_synced_at=calendar.last_synced_at,
        last_error=calendar.last_error,
        busy_count=calendar.busy_count,
        etag=calendar.validators.etag,
        last_modified=calendar.validators.last_modified,
        failing_told=calendar.failing_told,
        overlaps_told=sorted(calendar.overlaps_told) or None,
        busy=pack_busy(calendar.busy),
        covered_until=calendar.covered_until,
    )


def _calendar(item: CalendarImportItem) -> CalendarImport:
    return CalendarImport(
        therapist_id=item.therapist_id,
        import_id=item.import_id,
        url=item.url,
        status=ImportStatus(item.status),
        last_synced_at=item.last_synced_at,
        last_error=item.last_error,
        busy_count=int(item.busy_count),
        validators=FeedValidators(item.etag, item.last_modified),
        failing_told=bool(item.failing_told),
        overlaps_told=frozenset(str(session_id) for session_id in item.overlaps_told or []),
        busy=unpack_busy(item.busy),
        covered_until=item.covered_until,
    )


def _busy_item(therapist_id: str, unit: datetime) -> ClaimItem:
    expires = int((unit + BUSY_KEPT_AFTER).timestamp())
    return ClaimItem(
        therapist_key(therapist_id), claim_sort_key(unit), kind=ClaimKind.BUSY, owner_id=CALENDAR_OWNER, ttl=expires
    )


_STILL_BUSY: Condition = (ClaimItem.kind == str(ClaimKind.BUSY)) & (ClaimItem.owner_id == CALENDAR_OWNER)


class DynamoCalendarImports:
    def get(self, therapist_id: str) -> CalendarImport | None:
        try:
            return _calendar(CalendarImportItem.get(therapist_key(therapist_id), IMPORT))
        except CalendarImportItem.DoesNotExist:
            return None

    def get_with_therapist(self, therapist_id: str) -> tuple[Therapist | None, CalendarImport | None]:
        """The therapist's record and their import: one BatchGetItem."""
        therapist_at, import_at = (therapist_key(therapist_id), PROFILE), (therapist_key(therapist_id), IMPORT)
        found = get_items(therapist_at, import_at)
        therapist, calendar = found.get(therapist_at), found.get(import_at)
        return (
            therapist_from_item(therapist) if isinstance(therapist, TherapistItem) else None,
            _calendar(calendar) if isinstance(calendar, CalendarImportItem) else None,
        )

    def save(self, calendar: CalendarImport, replacing: str | None) -> None:
        condition = (
            CalendarImportItem.pk.does_not_exist() if replacing is None else CalendarImportItem.import_id == replacing
        )
        try:
            _import_item(calendar).save(condition=condition)
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            raise ImportGone() from None

    def claims(self, therapist_id: str, since: datetime) -> dict[datetime, Claim]:
        floor = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        found: dict[datetime, Claim] = {}
        for item in ClaimItem.query(
            therapist_key(therapist_id),
            ClaimItem.sk.between(claim_sort_key(floor), "CLAIM#~"),
            consistent_read=True,  # a write just committed (a sync's batch, a booking) must be seen
        ):
            if isinstance(item, ClaimItem):
                claim = claim_from_item(item, therapist_id)
                found[claim.unit_start] = claim
        return found

    def write_busy(self, write: BusyWrite) -> set[datetime]:
        operations = [(unit, False) for unit in write.remove] + [(unit, True) for unit in write.add]
        return self._write(write.therapist_id, write.import_id, operations)

    def _write(
        self, therapist_id: str, import_id: str | None, operations: list[tuple[datetime, bool]]
    ) -> set[datetime]:
        skipped: set[datetime] = set()
        for first in range(0, len(operations), BATCH):
            skipped |= self._write_batch(therapist_id, import_id, operations[first : first + BATCH])
        return skipped

    def _write_batch(
        self, therapist_id: str, import_id: str | None, batch: Sequence[tuple[datetime, bool]]
    ) -> set[datetime]:
        """One transaction: the import's check (unless `import_id` is None), then the batch's deletes and puts
        (PynamoDB sends them in that order, and cancellation reasons come back in it). Units refused by their
        condition are dropped and the rest written again."""
        skipped: set[datetime] = set()
        pending = list(batch)
        attempts = 0
        while pending:
            removes = [unit for unit, adds in pending if not adds]
            adds = [unit for unit, adds in pending if adds]
            transaction = TransactWrite(connection=TableItem._get_connection().connection)
            if import_id is not None:
                transaction.condition_check(
                    CalendarImportItem,
                    therapist_key(therapist_id),
                    IMPORT,
                    condition=CalendarImportItem.import_id == import_id,
                )
            for unit in removes:
                transaction.delete(_busy_item(therapist_id, unit), condition=_STILL_BUSY)
            for unit in adds:
                transaction.save(_busy_item(therapist_id, unit), condition=ClaimItem.pk.does_not_exist())
            try:
                transaction._commit()
                return skipped
            except TransactWriteError as error:
                if error.cause_response_code != "TransactionCanceledException":
                    raise
                reasons = [reason.code if reason else None for reason in error.cancellation_reasons]
            if import_id is not None:
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    raise ImportGone()
                reasons = reasons[1:]
            refused = {
                unit for unit, code in zip(removes + adds, reasons, strict=False) if code == "ConditionalCheckFailed"
            }
            if not refused:
                attempts += 1
                if attempts > _RETRIES:
                    raise ImportGone()  # still racing: this write gives up; the next sync starts afresh
                time.sleep(0.05 * attempts)
            skipped |= refused
            pending = [(unit, adds) for unit, adds in pending if unit not in refused]
        return skipped

    def delete(self, therapist_id: str) -> None:
        CalendarImportItem(therapist_key(therapist_id), IMPORT).delete()

    def release_busy(self, therapist_id: str, since: datetime) -> int:
        busy = [unit for unit, claim in self.claims(therapist_id, since).items() if claim.kind is ClaimKind.BUSY]
        skipped = self._write(therapist_id, None, [(unit, False) for unit in sorted(busy)])
        return len(busy) - len(skipped)

    def therapists_with_imports(self) -> Iterator[str]:
        for item in CalendarImportItem.gsi2.query(IMPORTS):
            if isinstance(item, CalendarImportItem):
                yield item.therapist_id
