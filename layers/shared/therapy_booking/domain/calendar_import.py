"""The contract of a calendar import: what fetching a therapist's iCal address and reading it produce.

Pure: the adapters `calendar_fetch` (the safe fetcher) and `calendar_parse` (busy times) implement
`CalendarSource`. A calendar's address is a secret (whoever holds it reads the calendar), so nothing
here or in the adapters puts more than its host in a message, a log line or a repr.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

from therapy_booking.domain.calendar import TimeRange
from therapy_booking.domain.errors import ValidationFailed


@dataclass(frozen=True)
class FeedValidators:
    """What makes the next request conditional (an unchanged feed then costs one small 304)."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchedFeed:
    body: bytes
    validators: FeedValidators

    def __repr__(self) -> str:  # the body is the therapist's calendar: never in a log line
        return f"FetchedFeed(body=<{len(self.body)} bytes>, validators={self.validators!r})"


@dataclass(frozen=True)
class FeedNotModified:
    """The feed answered 304: nothing to parse, nothing to write."""


class CalendarAddressRefused(ValidationFailed):
    """Not an https URL to a public host (or a redirect to one that is not): a sentence naming the host at most.

    A `ValidationFailed`, so a refused address is a 422 `validation_error` when the therapist sets it.
    """


class CalendarUnavailable(Exception):
    """The feed could not be fetched or read now: `str(error)` is a sentence for the therapist (no URL)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class CalendarUnreadable(CalendarUnavailable):
    """The body is not iCalendar (or expands beyond the limits)."""


class CalendarSource(Protocol):
    def fetch(self, url: str, validators: FeedValidators | None) -> FetchedFeed | FeedNotModified:
        """The feed's body, or `FeedNotModified` if the validators still match.

        Raises `CalendarAddressRefused` (the address, or a redirect, is not https to a public host)
        or `CalendarUnavailable` (network, HTTP status, size or time limit).
        """
        ...

    def busy(self, body: bytes, start: datetime, end: datetime, zone: str) -> list[TimeRange]:
        """The busy times of an iCalendar body within [start, end): UTC, sorted, merged.

        `zone` (the therapist's IANA zone) reads all-day events and floating times when the
        calendar names no `X-WR-TIMEZONE`. Raises `CalendarUnreadable`.
        """
        ...


def calendar_host(url: str) -> str:
    """The host shown in the import status, never the secret path, query or credentials ("" if none)."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return ""
    return host or ""
