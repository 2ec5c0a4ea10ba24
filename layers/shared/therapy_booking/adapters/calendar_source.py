"""`CalendarSource`: the safe fetcher and the iCalendar reader, together."""

from __future__ import annotations

from datetime import datetime

from therapy_booking.adapters.calendar_fetch import SafeCalendarFetcher
from therapy_booking.adapters.calendar_parse import busy as busy_ranges
from therapy_booking.domain.calendar import TimeRange
from therapy_booking.domain.calendar_import import FeedNotModified, FeedValidators, FetchedFeed


class IcalCalendarSource:
    def __init__(self, fetcher: SafeCalendarFetcher) -> None:
        self._fetcher = fetcher

    def fetch(self, url: str, validators: FeedValidators | None) -> FetchedFeed | FeedNotModified:
        return self._fetcher.fetch(url, validators)

    def busy(self, body: bytes, start: datetime, end: datetime, zone: str) -> list[TimeRange]:
        return busy_ranges(body, start, end, zone)
