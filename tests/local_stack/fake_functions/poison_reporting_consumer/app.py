"""Stream consumer that reports every record marked `poison` as failed, every time."""

from __future__ import annotations

from typing import Any

batches: list[list[str]] = []  # the `pk` of every record of every batch received, in order


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event["Records"]
    batches.append([record["dynamodb"]["Keys"]["pk"]["S"] for record in records])
    failures = [
        {"itemIdentifier": record["dynamodb"]["SequenceNumber"]}
        for record in records
        if "poison" in record["dynamodb"].get("NewImage", {})
    ]
    return {"batchItemFailures": failures}
