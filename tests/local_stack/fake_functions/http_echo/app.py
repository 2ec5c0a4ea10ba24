"""An HTTP route's function: records every event it is invoked with and answers 200."""

from __future__ import annotations

from typing import Any

events: list[dict[str, Any]] = []


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    events.append(event)
    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "reached"}
