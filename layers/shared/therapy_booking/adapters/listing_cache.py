"""The listing's first pages kept a short while in the container's memory (docs/scaling.md, "The listing").

`TtlCache` is a small, generic, bounded cache whose time comes from a monotonic clock (injected in tests);
`CachedListing` puts one in front of the listing's read: a request without a cursor (a first page) is answered
from it, per page size, for `ttl_seconds` after the table was read; a request with a cursor always goes to the
table, so a cursor is checked exactly as without the cache. The first page is the same for every caller (the
listing reads nothing of the caller's), so one entry serves them all. Nothing here is thread-safe: a Lambda
container serves one request at a time, and the local stack one request at a time too.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from therapy_booking.domain.model import Therapist
from therapy_booking.domain.ports import Listing, Page

# Page sizes kept at once: the front ends ask for one or two; a caller cycling `limit` (1 to 100) only evicts.
LISTING_CACHE_PAGE_SIZES = 8


class TtlCache[K, V]:
    """Values kept `ttl_seconds` after they were loaded, at most `max_entries` of them: when full, the expired
    entries go first, then the least recently used. `ttl_seconds` 0 keeps nothing (every read loads). A load
    that raises leaves nothing behind. Time is `monotonic()` (seconds; `time.monotonic` by default, which a
    change of the wall clock does not move)."""

    def __init__(self, ttl_seconds: float, max_entries: int, monotonic: Callable[[], float] = time.monotonic) -> None:
        if ttl_seconds < 0:
            raise ValueError("ttl_seconds must not be negative")
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._monotonic = monotonic
        self._entries: dict[K, tuple[float, V]] = {}  # key -> (expires at, value), least recently used first

    def get_or_load(self, key: K, load: Callable[[], V]) -> V:
        """The value kept under `key` if it has not expired, else `load()`'s, kept from now (the time before the
        load: the entry never outlives `ttl_seconds` after the read began)."""
        if not self._ttl:
            return load()
        now = self._monotonic()
        found = self._entries.pop(key, None)
        if found is not None and now < found[0]:
            self._entries[key] = found  # now the most recently used
            return found[1]
        value = load()
        self._make_room(now)
        self._entries[key] = (now + self._ttl, value)
        return value

    def _make_room(self, now: float) -> None:
        if len(self._entries) < self._max_entries:
            return
        for key in [key for key, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
        while len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class CachedListing:
    """A `Listing` whose first pages (no cursor) come from `cache`, keyed by page size; later pages from
    `listing`."""

    def __init__(self, listing: Listing, cache: TtlCache[int, Page[Therapist]]) -> None:
        self._listing = listing
        self._cache = cache

    def list_bookable(self, limit: int, cursor: str | None) -> Page[Therapist]:
        if cursor is not None:  # a later page, or a forged cursor: the table's read refuses those as ever
            return self._listing.list_bookable(limit, cursor)
        page = self._cache.get_or_load(limit, lambda: self._listing.list_bookable(limit, None))
        return Page(list(page.items), page.next_cursor)  # a list of its own: a caller's change stays out of the cache
