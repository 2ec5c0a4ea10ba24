"""Pagination cursors: a query's LastEvaluatedKey, opaque to callers and checked when it comes back."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from therapy_booking.domain.errors import ValidationFailed


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


MAX_CURSOR_KEY_BYTES = 1024  # DynamoDB's limit on a sort key value (a partition key's is 2048)


def _is_key_string(value: Any) -> bool:
    """Exactly {"S": <a non-empty string DynamoDB can take as a key value>}."""
    if not isinstance(value, dict) or set(value) != {"S"} or not isinstance(value["S"], str):
        return False
    try:
        return 0 < len(value["S"].encode("utf-8")) <= MAX_CURSOR_KEY_BYTES
    except UnicodeEncodeError:  # an unpaired surrogate
        return False


def decode_cursor(
    cursor: str | None,
    partition: tuple[str, str],
    key_names: set[str],
    sort_window: tuple[str, str, str] | None = None,
) -> dict[str, Any] | None:
    """The LastEvaluatedKey behind a cursor, refusing one minted for another listing, or one whose sort key
    (`sort_window`: name, low, high) lies outside the query's window (DynamoDB would refuse it as a start key)."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error, RecursionError):
        key = None
    name, value = partition
    if (
        not isinstance(key, dict)
        or set(key) != key_names
        or key.get(name) != {"S": value}
        or not all(_is_key_string(part) for part in key.values())
        or (sort_window is not None and not sort_window[1] <= key[sort_window[0]]["S"] <= sort_window[2])
    ):
        raise ValidationFailed("'cursor' is not a cursor this listing gave out (for these filters).")
    return key
