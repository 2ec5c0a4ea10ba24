"""Stream consumer behind a filter (`NewImage.entity = event`): records every record it is given."""

from __future__ import annotations

from typing import Any

records: list[dict[str, Any]] = []


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records.extend(event["Records"])
    return {"batchItemFailures": []}
