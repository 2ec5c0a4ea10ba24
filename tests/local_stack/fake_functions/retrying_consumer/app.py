"""Stream consumer that reports each record marked `fail_once` as failed, the first time it sees it."""

from __future__ import annotations

from typing import Any

batches: list[list[str]] = []  # the `pk` of every record of every batch received, in order
reported: set[str] = set()  # sequence numbers already reported failed once


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event["Records"]
    batches.append([record["dynamodb"]["Keys"]["pk"]["S"] for record in records])
    failures = []
    for record in records:
        sequence = record["dynamodb"]["SequenceNumber"]
        if "fail_once" in record["dynamodb"].get("NewImage", {}) and sequence not in reported:
            reported.add(sequence)
            failures.append({"itemIdentifier": sequence})
    return {"batchItemFailures": failures}
