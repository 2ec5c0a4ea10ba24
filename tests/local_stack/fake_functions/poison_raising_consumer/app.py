"""Stream consumer that raises (a function error) whenever its batch holds a record marked `poison`."""

from __future__ import annotations

from typing import Any

batches: list[list[str]] = []  # the `pk` of every record of every batch received, in order
processed: list[str] = []  # the `pk` of every record of every batch that succeeded


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event["Records"]
    keys = [record["dynamodb"]["Keys"]["pk"]["S"] for record in records]
    batches.append(keys)
    if any("poison" in record["dynamodb"].get("NewImage", {}) for record in records):
        raise ValueError("poison record")
    processed.extend(keys)
    return {"batchItemFailures": []}
