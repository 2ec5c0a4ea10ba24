"""DynamoDB stream records delivered to the template's stream consumers with Lambda's semantics.

For each consumer (an `Events: Type: DynamoDB` of a function): filter criteria,
batches of `BatchSize`, `ReportBatchItemFailures` (processing resumes at the
first reported failure), `BisectBatchOnFunctionError`, `MaximumRetryAttempts`
(then the batch goes to the `OnFailure` destination; -1 retries on every pass,
as Lambda retries until the records expire), in order per consumer.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Invoke = Callable[[str, dict[str, Any]], Any]
PAGE_SIZE = 1000  # GetRecords' maximum


def _plain(value: Any) -> Any:
    """boto3's parsed values back as the JSON Lambda sends: epoch seconds, base64 binaries."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    return value


def lambda_record(record: dict[str, Any], region: str, stream_arn: str) -> dict[str, Any]:
    """A DynamoDB Streams record (as boto3 reads it) as Lambda hands it to a stream consumer."""
    return {**_plain(record), "awsRegion": region, "eventSourceARN": stream_arn}


def matches(pattern: Any, value: Any) -> bool:
    """Lambda event-filter matching (equality, prefix, exists, anything-but) of one record."""
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        for key, sub in pattern.items():
            if isinstance(sub, list) and any(isinstance(r, dict) and "exists" in r for r in sub):
                wanted = next(r["exists"] for r in sub if isinstance(r, dict) and "exists" in r)
                if (key in value) != wanted:
                    return False
                continue
            if key not in value or not matches(sub, value[key]):
                return False
        return True
    if isinstance(pattern, list):
        for rule in pattern:
            if isinstance(rule, dict):
                if "prefix" in rule and isinstance(value, str) and value.startswith(rule["prefix"]):
                    return True
                if "anything-but" in rule:
                    excluded = rule["anything-but"]
                    if value not in (excluded if isinstance(excluded, list) else [excluded]):
                        return True
            elif value == rule:
                return True
        return False
    return bool(pattern == value)


@dataclass
class StreamConsumer:
    function: str
    batch_size: int = 100
    maximum_retry_attempts: int = -1
    bisect_on_error: bool = False
    report_batch_item_failures: bool = False
    on_failure: str | None = None
    filters: list[Any] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_event(cls, function: str, properties: dict[str, Any], resolve: Callable[[Any], str]) -> StreamConsumer:
        destination = properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        patterns = [json.loads(f["Pattern"]) for f in properties.get("FilterCriteria", {}).get("Filters", [])]
        return cls(
            function=function,
            batch_size=int(properties.get("BatchSize", 100)),
            maximum_retry_attempts=int(properties.get("MaximumRetryAttempts", -1)),
            bisect_on_error=bool(properties.get("BisectBatchOnFunctionError", False)),
            report_batch_item_failures="ReportBatchItemFailures" in properties.get("FunctionResponseTypes", []),
            on_failure=resolve(destination) if destination else None,
            filters=patterns,
        )

    def accepts(self, record: dict[str, Any]) -> bool:
        return not self.filters or any(matches(p, record) for p in self.filters)


@dataclass(frozen=True)
class FailedBatch:
    records: list[dict[str, Any]]
    attempts: int


class StreamDelivery:
    """Delivers each consumer's pending records; returns batches that exhausted their retries."""

    def __init__(self, invoke: Invoke) -> None:
        self._invoke = invoke

    def _first_failure(self, consumer: StreamConsumer, batch: list[dict[str, Any]]) -> tuple[int | None, bool]:
        """Index of the first record to retry (None: all done), and whether the function itself failed."""
        try:
            response = self._invoke(consumer.function, {"Records": batch})
        except Exception:
            return 0, True
        if not consumer.report_batch_item_failures or not isinstance(response, dict):
            return None, False
        failures = response.get("batchItemFailures") or []
        if not failures:
            return None, False
        sequence = [r["dynamodb"]["SequenceNumber"] for r in batch]
        indexes = []
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if identifier not in sequence:
                return 0, False  # an invalid identifier fails the whole batch
            indexes.append(sequence.index(identifier))
        return min(indexes), False

    def _attempt(
        self, consumer: StreamConsumer, batch: list[dict[str, Any]]
    ) -> tuple[list[FailedBatch], list[dict[str, Any]] | None]:
        """Retry `batch` until done or out of retries; the second value is what to keep for the next pass."""
        tries = 0
        while True:
            failed_at, function_error = self._first_failure(consumer, batch)
            if failed_at is None:
                return [], None
            batch = batch[failed_at:]  # what succeeded is checkpointed
            tries += 1
            if consumer.bisect_on_error and function_error and len(batch) > 1:
                half = len(batch) // 2
                failed, kept = self._attempt(consumer, batch[:half])
                if kept is not None:
                    return failed, kept + batch[half:]
                more, kept = self._attempt(consumer, batch[half:])
                return failed + more, kept
            if consumer.maximum_retry_attempts < 0:
                return [], batch  # Lambda retries until the records expire: again on the next pass
            if tries > consumer.maximum_retry_attempts:
                return [FailedBatch(batch, tries)], None

    def deliver(self, consumer: StreamConsumer) -> list[FailedBatch]:
        exhausted: list[FailedBatch] = []
        while consumer.pending:
            batch = consumer.pending[: consumer.batch_size]
            del consumer.pending[: len(batch)]
            failed, kept = self._attempt(consumer, batch)
            exhausted += failed
            if kept is not None:
                consumer.pending[:0] = kept
                break
        return exhausted


class StreamReader:
    """Reads a table's stream from a checkpoint per shard (the last sequence number read), as Lambda does.

    It keeps no shard iterator between reads: moto rolls a cancelled TransactWriteItems back by putting back
    a deep copy of the table taken before it, stream shard included (the same shard id, the committed records
    at the same sequence numbers, the cancelled writes gone), and an iterator handed out before would go on
    reading the discarded shard, never seeing another record. Each read takes a fresh iterator after the
    checkpoint, so it reads whichever shard the table has now. The stack reads between invocations, under its
    lock, so no cancelled write has been read and the checkpoint is a committed record in the copy too:
    nothing written after a rollback is lost, and nothing is read twice.

    moto keeps every iterator it hands out; `forget` is told each one once it is used up.
    """

    def __init__(self, client: Any, stream_arn: str, forget: Callable[[str], None] = lambda iterator: None) -> None:
        self._client = client
        self._arn = stream_arn
        self._forget = forget
        self._checkpoints: dict[str, str | None] = {}

    def start_at_latest(self) -> None:
        """From now on only records written after this call are read (StartingPosition: LATEST)."""
        self._checkpoints = {}
        self.read(lambda records: None)

    def read(self, handle: Callable[[list[dict[str, Any]]], None]) -> int:
        """Hand each page of new records to `handle`, moving the checkpoint past a page once it is handled."""
        shards = self._client.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"]
        self._checkpoints = {shard["ShardId"]: self._checkpoints.get(shard["ShardId"]) for shard in shards}
        count = 0
        for shard_id in self._checkpoints:
            while True:
                records = self._page(shard_id)
                if not records:
                    break
                handle(records)
                self._checkpoints[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                count += len(records)
                if len(records) < PAGE_SIZE:
                    break
        return count

    def _page(self, shard_id: str) -> list[dict[str, Any]]:
        after = self._checkpoints[shard_id]
        position = (
            {"ShardIteratorType": "TRIM_HORIZON"}
            if after is None
            else {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
        )
        iterator = self._client.get_shard_iterator(StreamArn=self._arn, ShardId=shard_id, **position)["ShardIterator"]
        page = self._client.get_records(ShardIterator=iterator, Limit=PAGE_SIZE)
        for used in (iterator, page.get("NextShardIterator")):
            if used:
                self._forget(used)
        records: list[dict[str, Any]] = page["Records"]
        return records
