"""Busy times of an iCalendar body (`CalendarSource.busy`): icalendar parses, recurring-ical-events expands.

The body comes from anyone's server, so reading it is bounded three ways, and exceeding any of them
refuses the whole calendar with `CalendarUnreadable` (a partial reading would silently leave busy time
bookable; a refusal shows `failing` and the last good busy times stay):

- its size (`MAX_BODY_BYTES`, as the fetcher's cap);
- a rule that repeats more often than hourly (`FREQ=SECONDLY`/`MINUTELY`, or BYHOUR x BYMINUTE x
  BYSECOND past `MAX_PER_DAY` a day) is refused before anything is expanded: no calendar app writes one;
- the instances in the window (`MAX_INSTANCES`), counted while they are generated, so expansion
  stops at the first one over;
- the work of expanding (`MAX_CALLS` Python function calls, and `MAX_SECONDS`), counted by a trace
  function on this thread only. dateutil walks a rule from its DTSTART and, for a rule whose filters
  never match again (`FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30`), on to the year 9999 without yielding:
  no instance cap can stop that, a budget of work can. (Parsing is linear in the capped size and is
  not metered; metering roughly doubles the expansion's time, measured on a 5,000-event calendar.)

Nothing of the body (event titles are personal data) reaches a message: parse errors become one
fixed sentence, raised `from None`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events

from therapy_booking.domain.calendar import TimeRange
from therapy_booking.domain.calendar_import import CalendarUnreadable

MAX_BODY_BYTES = 2_000_000
MAX_INSTANCES = 20_000
MAX_PER_DAY = 24
MAX_CALLS = 5_000_000  # the guard that matters: a 5,000-event calendar takes about 1.6 million (docs/benchmarks.md)
# Wall time, so it depends on the machine's load: a backstop, set well above what a large calendar takes (about
# 3 s of expansion on a busy 2-core machine) and well within the functions' timeouts (30 s and 60 s).
MAX_SECONDS = 12.0

NOT_ICALENDAR = "The calendar could not be read: it is not in iCalendar format."
TOO_LARGE = "The calendar could not be read: it is larger than 2 MB."
TOO_MANY = "The calendar could not be read: it has too many events in the booking horizon."
TOO_FREQUENT = "The calendar could not be read: an event in it repeats more often than hourly."
TOO_COMPLEX = "The calendar could not be read: its repeating events take too long to expand."

# Occurrences are asked for a day wider on each side (floating and all-day times are compared
# before they have a zone), then clipped exactly.
_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class ParseLimits:
    """The bounds of one reading (the module's constants unless a test needs smaller ones)."""

    max_body_bytes: int = MAX_BODY_BYTES
    max_instances: int = MAX_INSTANCES
    max_calls: int = MAX_CALLS
    max_seconds: float = MAX_SECONDS


class _OverBudget(BaseException):
    """Raised inside the expansion when the work budget is spent (a BaseException: no `except Exception` in
    the libraries can swallow it)."""


def busy(body: bytes, start: datetime, end: datetime, zone: str, limits: ParseLimits | None = None) -> list[TimeRange]:
    """The busy times of `body` in [start, end): UTC, sorted, overlapping and adjacent ones merged.

    All-day events block the whole local day and floating times are read in the calendar's
    `X-WR-TIMEZONE`, else in `zone` (the therapist's). Cancelled and transparent events are free.
    """
    bounds = limits or ParseLimits()
    if len(body) > bounds.max_body_bytes:
        raise CalendarUnreadable(TOO_LARGE)
    window = TimeRange(start.astimezone(UTC), end.astimezone(UTC))
    therapist_zone = ZoneInfo(zone)
    try:
        ranges = _read(body, window, therapist_zone, bounds.max_instances, bounds.max_calls, bounds.max_seconds)
    except _OverBudget:
        raise CalendarUnreadable(TOO_COMPLEX) from None
    except CalendarUnreadable:
        raise
    except Exception:  # hostile input can break the libraries anywhere; the cause may quote the body
        raise CalendarUnreadable(NOT_ICALENDAR) from None
    return merge(ranges, window)


def merge(ranges: list[TimeRange], window: TimeRange) -> list[TimeRange]:
    """`ranges` clipped to `window`, empty ones dropped, sorted, overlapping and adjacent ones joined."""
    clipped = sorted(
        (TimeRange(max(r.start, window.start), min(r.end, window.end)) for r in ranges),
        key=lambda r: (r.start, r.end),
    )
    merged: list[TimeRange] = []
    for current in clipped:
        if current.start >= current.end:
            continue
        if merged and current.start <= merged[-1].end:
            if current.end > merged[-1].end:
                merged[-1] = TimeRange(merged[-1].start, current.end)
            continue
        merged.append(current)
    return merged


def _read(
    body: bytes, window: TimeRange, fallback: ZoneInfo, max_instances: int, max_calls: int, max_seconds: float
) -> list[TimeRange]:
    # icalendar keeps the VTIMEZONE definitions it reads in one cache for the whole process, the first one of a
    # name winning: another therapist's "Customized Time Zone" would be read into this calendar. Start clean.
    icalendar.use_zoneinfo()
    calendar = icalendar.Calendar.from_ical(body)  # linear in the (capped) size: not metered
    if not isinstance(calendar, icalendar.Calendar) or calendar.name != "VCALENDAR":
        raise CalendarUnreadable(NOT_ICALENDAR)
    local = _calendar_zone(calendar, fallback)
    _refuse_too_frequent_rules(calendar)
    _drop_free_events(calendar)
    ranges: list[TimeRange] = []
    with _work_budget(max_calls, max_seconds):
        query = recurring_ical_events.of(calendar)  # also moves Google's UTC times into X-WR-TIMEZONE
        for occurrence in _occurrences(query, window.start - _MARGIN, window.end + _MARGIN):
            if len(ranges) == max_instances:
                raise CalendarUnreadable(TOO_MANY)
            ranges.append(TimeRange(_utc(occurrence.start, local), _utc(occurrence.end, local)))
    return ranges


def _refuse_too_frequent_rules(calendar: icalendar.Calendar) -> None:
    """Refuse, before any expansion, a rule that can repeat more than hourly (no calendar app writes one).

    `FREQ=SECONDLY`/`MINUTELY`, or a coarser rule multiplied by BYHOUR/BYMINUTE/BYSECOND past
    `MAX_PER_DAY` a day: such a bomb is refused at once rather than after its budget.
    """
    for event in calendar.walk("VEVENT"):
        rules = event.get("RRULE")
        for rule in rules if isinstance(rules, list) else [] if rules is None else [rules]:
            if _most_per_day(rule) > MAX_PER_DAY:
                raise CalendarUnreadable(TOO_FREQUENT)


def _most_per_day(rule: icalendar.vRecur) -> int:
    def count(part: str) -> int:
        return max(1, len(rule.get(part, [])))

    frequency = str(rule.get("FREQ", [""])[0]).upper()
    interval = max(1, int(rule.get("INTERVAL", [1])[0]))
    if frequency in ("SECONDLY", "MINUTELY"):
        return MAX_PER_DAY + 1
    if frequency == "HOURLY":
        return -(-24 // interval) * count("BYMINUTE") * count("BYSECOND")
    return count("BYHOUR") * count("BYMINUTE") * count("BYSECOND")


def _drop_free_events(calendar: icalendar.Calendar) -> None:
    """Cancelled and transparent events take no time; a free moved instance still replaces its original.

    A free event with a RECURRENCE-ID is kept, made zero-length (so the instance it moves is not
    generated at its old time either); any other free event is removed before expansion.
    """
    kept: list[icalendar.Component] = []
    for component in calendar.subcomponents:
        if component.name == "VEVENT" and _is_free(component):
            if "RECURRENCE-ID" not in component:
                continue
            component.pop("DURATION", None)
            component["DTEND"] = component["DTSTART"]
        kept.append(component)
    calendar.subcomponents = kept


def _occurrences(query: Any, start: datetime, end: datetime) -> Iterator[Any]:
    """Every occurrence overlapping [start, end), series by series, generated lazily."""
    for series in query.series:
        yield from series.between(start, end)


def _calendar_zone(calendar: icalendar.Calendar, fallback: ZoneInfo) -> ZoneInfo:
    """The calendar's `X-WR-TIMEZONE` if it names a known zone (else it is dropped), or `fallback`."""
    name = calendar.get("X-WR-TIMEZONE")
    if name is None:
        return fallback
    try:
        return ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError):
        del calendar["X-WR-TIMEZONE"]  # an unknown zone must not make the whole calendar unreadable
        return fallback


def _is_free(event: icalendar.Component) -> bool:
    status = str(event.get("STATUS", "")).strip().upper()
    transparency = str(event.get("TRANSP", "")).strip().upper()
    return status == "CANCELLED" or transparency == "TRANSPARENT"


def _utc(moment: date | datetime, local: ZoneInfo) -> datetime:
    """A date as its local midnight, a floating time in `local`, an aware time as is: in UTC."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, wall_time(0))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local)
    return moment.astimezone(UTC)


@contextmanager
def _work_budget(max_calls: int, max_seconds: float) -> Iterator[None]:
    """Raise `_OverBudget` inside the block once it has made `max_calls` calls or run `max_seconds`.

    A tracer already set (a debugger) is paused meanwhile and restored after.
    """
    deadline = time.monotonic() + max_seconds
    calls = 0
    previous = sys.gettrace()

    def count(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        calls += 1
        if calls > max_calls or (calls % 4096 == 0 and time.monotonic() > deadline):
            raise _OverBudget

    sys.settrace(count)
    try:
        yield
    finally:
        sys.settrace(previous)
