"""The template's `rate(5 minutes)` schedule target: records every event; fails while `failing` is set."""

from __future__ import annotations

from typing import Any

events: list[dict[str, Any]] = []
failing = False


def lambda_handler(event: dict[str, Any], context: Any) -> None:
    events.append(event)
    if failing:
        raise RuntimeError("the sweeper is down")
