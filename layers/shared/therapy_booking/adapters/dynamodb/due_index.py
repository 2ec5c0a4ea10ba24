"""The sweeper's index (gsi3): what is due at or before an instant in one of its partitions, read page by page as
consumed, and each raw item decoded on its own (one that cannot be read stands alone as an `UnreadableItem`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from therapy_booking.adapters.dynamodb.models import TableItem, iso
from therapy_booking.domain.ports import UnreadableItem


def due_pages(partition: str, now: datetime, page_size: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """One partition of the due index, `(due key, raw item)` in due order, one page read at a time as consumed."""
    connection = TableItem._get_connection()
    start_key: dict[str, Any] | None = None
    while True:
        page = connection.query(
            partition,
            range_key_condition=TableItem.gsi3sk <= f"{iso(now)}~",
            index_name=TableItem.gsi3.Meta.index_name,
            limit=page_size,
            exclusive_start_key=start_key,
        )
        for raw in page.get("Items", []):
            yield str(raw.get("gsi3sk", {}).get("S", "")), raw
        start_key = page.get("LastEvaluatedKey")
        if not start_key:
            return


def decoded[Item: TableItem, Entity](
    raw: dict[str, Any], model: type[Item], entity: Callable[[Item], Entity], key: str, prefix: str
) -> Entity | UnreadableItem:
    """The raw item as the entity `model` stores, or what stands for it when it cannot be read: the id from its
    `key` attribute without `prefix`, and the error's class."""
    try:
        item = TableItem.from_raw_data(raw)
        if not isinstance(item, model):
            raise TypeError(f"not a {model.__name__}")
        return entity(item)
    except Exception as error:
        value = raw.get(key, {}).get("S", "") if isinstance(raw.get(key), dict) else ""
        return UnreadableItem(str(value).removeprefix(prefix), type(error).__name__)
