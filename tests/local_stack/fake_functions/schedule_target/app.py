"""Target of schedules: records every event it is invoked with."""

from __future__ import annotations

from typing import Any

events: list[dict[str, Any]] = []


def lambda_handler(event: dict[str, Any], context: Any) -> None:
    events.append(event)
