"""Items of any entity read together by key: one BatchGetItem, every key answered."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from therapy_booking.adapters.dynamodb.models import TableItem

type Key = tuple[str, str]  # (pk, sk)

MAX_ATTEMPTS = 8
FIRST_DELAY = 0.05  # seconds, doubled after each attempt that leaves keys unprocessed
MAX_DELAY = 1.0


class UnprocessedKeys(RuntimeError):
    """DynamoDB still left keys unprocessed after every attempt (sustained throttling)."""


def get_items(
    *keys: Key, consistent: bool = False, sleep: Callable[[float], None] = time.sleep
) -> dict[Key, TableItem]:
    """The items at `keys` that exist, by key, each decoded as its entity's model.

    One BatchGetItem (at most 100 keys). Keys DynamoDB returns unprocessed (throttling, a response over
    16 MB) are asked for again after a jittered, growing delay, so no item is silently missing; if some
    are still unprocessed after `MAX_ATTEMPTS` calls, `UnprocessedKeys` is raised. `consistent`: strongly
    consistent reads (a write just committed is seen).
    """
    connection = TableItem._get_connection()
    table = TableItem.Meta.table_name
    pending: list[Any] = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in dict.fromkeys(keys)]
    found: dict[Key, TableItem] = {}
    delay = FIRST_DELAY
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            sleep(random.uniform(delay / 2, delay))  # noqa: S311 (jitter, not a secret)
            delay = min(delay * 2, MAX_DELAY)
        answer = connection.batch_get_item(pending, consistent_read=consistent or None)
        for raw in answer.get("Responses", {}).get(table, []):
            found[(raw["pk"]["S"], raw["sk"]["S"])] = TableItem.from_raw_data(raw)
        pending = answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        if not pending:
            return found
    raise UnprocessedKeys(f"{len(pending)} of {len(keys)} keys still unprocessed after {MAX_ATTEMPTS} attempts")
