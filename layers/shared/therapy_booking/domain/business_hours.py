"""Business time: how much of a span fell inside a therapist's working hours.

Pure: no I/O, no clock, no AWS. The response-time rule (PRODUCT.md, "Details
of the platform rules") measures the time from a booking to the therapist's
first answer in business minutes, and derives a deadline and a reminder from
an allowance in business hours; this module does both directions.

What counts. An instant is business time when, read on the wall clock of the
therapist's time zone, it falls on a working weekday that is not a public
holiday of the therapist's country, at or after the day's start time and
before its end time (`WorkingHours`, default Mon-Fri 09:00-17:30). Working
hours are wall-clock times: on the day the clocks change, 09:00-17:30 is still
09:00-17:30 on the clock. The instants are found with `zoneinfo`, never by
adding a fixed offset. In the rare case the working hours themselves contain a
clock change (hours such as 00:00-04:00 on a change night), the definition
above still holds exactly: a skipped wall time is never worked, and a repeated
wall time is worked each time the clock shows it.

Public holidays come from the `holidays` package (a maintained library, not a
hand-made list), for the country's ISO 3166-1 alpha-2 code (`GB`, `US`, `IE`)
or an ISO 3166-2 subdivision (`GB-SCT`, `US-CA`, `DE-BY`), holidays of the
category "public" only. Decision: plain `GB` means England (`GB-ENG`). The
library's plain `GB` holds only the UK-wide days, without Easter Monday and the
August bank holiday, which every English therapist has off; the platform's
therapists are English unless their profile says otherwise, and a Scottish,
Welsh or Northern Irish therapist gives `GB-SCT`, `GB-WLS` or `GB-NIR`. Every
other country code means its national holidays. An unknown country or
subdivision is a `ValueError`. Calendars are built once per (country,
subdivision, year) and kept (`_holidays_of`).

Precision. `business_time` is exact (to the microsecond) and additive: for
a <= b <= c, time(a, c) == time(a, b) + time(b, c). `business_minutes` is its
whole minutes, rounded down; it is additive too whenever the instants are on
whole minutes (seconds would otherwise be dropped twice at a split point).

A reversed span (end before start) is a `ValueError`, not zero: a response
before its booking is a bug to surface, not a time to record. So are naive
datetimes and a negative allowance.

Deadlines. `add_business_minutes(start, m)` is the earliest instant by which m
business minutes have passed since `start`. It is always inside working time
or exactly at the end of a working period: 90 minutes after Friday 16:00 is
Friday 17:30, not Monday 09:00. Hence a late answer is judged by measuring
(`business_minutes(booked, answered) > allowance`), never by comparing with
the deadline instant: an answer on Monday at 09:00 to that booking took 90
business minutes, although Friday 17:30 has passed.

Cost. Work is one step per calendar day of the span (and a handful of
`zoneinfo` conversions per working day), never per minute: a span of ten years
is a few thousand steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from therapy_booking.domain.model import Weekday

MINUTE = timedelta(minutes=1)
_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_MAX_IDLE_DAYS = 2 * 366

# A bare country code that means one of its subdivisions (see the module docstring).
DEFAULT_SUBDIVISIONS: dict[str, str] = {"GB": "ENG"}

_WEEKDAYS = frozenset({Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI})


@dataclass(frozen=True)
class WorkingHours:
    """The platform's working week: which weekdays, and from when to when on the wall clock.

    One period a day, start before end on the same day (hours cannot run past
    midnight), on whole minutes. The same hours on every working day.
    """

    days: frozenset[Weekday] = _WEEKDAYS
    start: time = time(9, 0)
    end: time = time(17, 30)

    def __post_init__(self) -> None:
        try:  # any iterable of weekdays or their names ("mon"), kept as a hashable frozenset
            days = frozenset(Weekday(day) for day in self.days)
        except (TypeError, ValueError) as error:
            raise ValueError("Working days must be weekdays: mon, tue, wed, thu, fri, sat, sun.") from error
        object.__setattr__(self, "days", days)
        if not days:
            raise ValueError("Working hours need at least one working day.")
        for name, value in (("start", self.start), ("end", self.end)):
            if value.tzinfo is not None:
                raise ValueError(f"The working day's {name} is a wall-clock time, without a time zone.")
            if value.second or value.microsecond:
                raise ValueError(f"The working day's {name} must be on a whole minute.")
        if self.start >= self.end:
            raise ValueError("The working day must start before it ends (hours cannot run past midnight).")

    @property
    def weekday_numbers(self) -> frozenset[int]:
        """Monday is 0, as `date.weekday()` counts."""
        return frozenset(day.number for day in self.days)


@dataclass(frozen=True)
class _Calendar:
    """One therapist's working calendar: zone, holidays and hours, resolved and checked once."""

    zone: ZoneInfo
    country: str
    subdivision: str | None
    hours: WorkingHours
    weekdays: frozenset[int]

    def works_on(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in _holidays_of(self.country, self.subdivision, day.year)

    def periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The UTC intervals [from, to) of `day`'s working time: usually one, none on a day off.

        The instants whose wall-clock reading lies in [day start, day end).
        Between two clock changes the zone's offset is constant, so on each such
        stretch the set is one interval; the stretches are found by resolving
        both ends with both folds and locating any change between them. Assumed:
        at most one clock change between two of those instants (they lie within a
        day or so of each other); clocks changing twice in a day are not handled.
        """
        if not self.works_on(day):
            return []
        wall_from = datetime.combine(day, self.hours.start)
        wall_to = datetime.combine(day, self.hours.end)
        candidates = sorted(
            {
                wall.replace(tzinfo=self.zone, fold=fold).astimezone(UTC)
                for wall in (wall_from, wall_to)
                for fold in (0, 1)
            }
        )
        offsets = [self._offset_at(instant) for instant in candidates]
        if len(set(offsets)) == 1:  # no clock change anywhere near: the common case
            return [(_utc(wall_from, offsets[0]), _utc(wall_to, offsets[0]))]
        # Stretches of constant offset: bounded by the changes found between differing candidates.
        bounds: list[datetime | None] = [None]
        stretch_offsets = [offsets[0]]
        for (before, before_offset), (after, after_offset) in pairwise(zip(candidates, offsets, strict=True)):
            if before_offset != after_offset:
                bounds.append(self._change_between(before, after, before_offset))
                stretch_offsets.append(after_offset)
        bounds.append(None)
        periods = []
        for index, offset in enumerate(stretch_offsets):
            lower, upper = bounds[index], bounds[index + 1]
            begins, ends = _utc(wall_from, offset), _utc(wall_to, offset)
            if lower is not None:
                begins = max(begins, lower)
            if upper is not None:
                ends = min(ends, upper)
            if begins < ends:
                periods.append((begins, ends))
        return periods

    def _offset_at(self, instant: datetime) -> timedelta:
        offset = instant.astimezone(self.zone).utcoffset()
        assert offset is not None  # a ZoneInfo always has one
        return offset

    def _change_between(self, before: datetime, after: datetime, before_offset: timedelta) -> datetime:
        """The first instant after `before` (up to `after`) with a different offset: tz changes are on whole seconds."""
        low, high = before, after
        while high - low > _ONE_SECOND:
            middle = low + ((high - low) // 2 // _ONE_SECOND) * _ONE_SECOND
            if self._offset_at(middle) == before_offset:
                low = middle
            else:
                high = middle
        return high


def _utc(wall: datetime, offset: timedelta) -> datetime:
    return (wall - offset).replace(tzinfo=UTC)


# `holidays` is imported where it is used, not with this module: its first calendar loads every
# country's definitions (some 280 modules, a few hundred milliseconds), which only a Lambda that
# measures business time should pay, once per container.


@cache
def _supported() -> dict[str, frozenset[str]]:
    import holidays  # here, not at the top: see above

    return {code: frozenset(subdivisions) for code, subdivisions in holidays.list_supported_countries().items()}


def parse_country(country: str) -> tuple[str, str | None]:
    """`GB` -> (`GB`, `ENG`), `gb-sct` -> (`GB`, `SCT`), `US` -> (`US`, None); unknown codes are a ValueError."""
    code, _, subdivision = country.strip().upper().partition("-")
    supported = _supported()
    if len(code) != 2 or code not in supported:
        raise ValueError(
            f"Unknown country code {country!r}: expected an ISO 3166-1 alpha-2 code the holidays calendar knows, "
            "such as GB, IE or US (optionally with a subdivision, such as GB-SCT)."
        )
    code = _canonical(code)  # the library's aliases: UK is GB
    if not subdivision:
        return code, DEFAULT_SUBDIVISIONS.get(code)
    if subdivision not in supported[code]:
        raise ValueError(f"Unknown subdivision {country!r}: {code} has {', '.join(sorted(supported[code])) or 'none'}.")
    return code, subdivision


@cache
def _canonical(code: str) -> str:
    import holidays

    return str(holidays.country_holidays(code).country)


@lru_cache(maxsize=512)
def _holidays_of(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The public holidays of one country (or subdivision) in one year, built once and kept."""
    import holidays

    calendar = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return frozenset(day for day in calendar if day.year == year)


def _calendar(zone: ZoneInfo | str, country: str, hours: WorkingHours) -> _Calendar:
    if isinstance(zone, str):
        try:
            zone = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"Unknown time zone {zone!r}: expected an IANA name such as Europe/London.") from error
    code, subdivision = parse_country(country)
    return _Calendar(zone, code, subdivision, hours, hours.weekday_numbers)


def _aware(instant: datetime, name: str) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (with a time zone), not a naive one.")
    return instant.astimezone(UTC)


def _local_days(calendar: _Calendar, first: datetime) -> Iterator[date]:
    """Local dates from the day before `first`'s own, one at a time.

    The day before too: a clock going back can make instants after `first` read a
    wall-clock time of the previous day.
    """
    day = first.astimezone(calendar.zone).date() - _ONE_DAY
    while True:
        yield day
        day += _ONE_DAY


def business_time(
    start: datetime, end: datetime, *, zone: ZoneInfo | str, country: str, hours: WorkingHours
) -> timedelta:
    """The business time in [start, end), exactly: see the module docstring for what counts.

    Raises ValueError for naive datetimes, end before start, an unknown zone or country.
    """
    calendar = _calendar(zone, country, hours)
    start, end = _aware(start, "start"), _aware(end, "end")
    if end < start:
        raise ValueError("The span ends before it starts.")
    last_day = end.astimezone(calendar.zone).date() + _ONE_DAY  # the day after too, for the same reason
    total = timedelta(0)
    for day in _local_days(calendar, start):
        if day > last_day:
            break
        for begins, ends in calendar.periods(day):
            total += max(timedelta(0), min(ends, end) - max(begins, start))
    return total


def business_minutes(start: datetime, end: datetime, *, zone: ZoneInfo | str, country: str, hours: WorkingHours) -> int:
    """The whole business minutes in [start, end), rounded down (`business_time` in minutes)."""
    return business_time(start, end, zone=zone, country=country, hours=hours) // MINUTE


def add_business_minutes(
    start: datetime, minutes: int, *, zone: ZoneInfo | str, country: str, hours: WorkingHours
) -> datetime:
    """The earliest instant (UTC) by which `minutes` business minutes have passed since `start`.

    `business_minutes(start, result) == minutes`, and the result is inside working
    time or at the end of a working period (module docstring, "Deadlines"). Zero
    minutes is `start` itself. Raises ValueError for a negative count.
    """
    calendar = _calendar(zone, country, hours)
    start = _aware(start, "start")
    if minutes < 0:
        raise ValueError("A number of business minutes cannot be negative.")
    remaining = minutes * MINUTE
    if not remaining:
        return start
    # Gather periods day by day until they hold enough, then one day more: only
    # neighbouring days' periods can interleave in time (a clock going back
    # around midnight), so sorting what was gathered puts the answer in order.
    gathered: list[tuple[datetime, datetime]] = []
    enough_on: date | None = None
    held = timedelta(0)
    idle_days = 0
    for day in _local_days(calendar, start):
        if enough_on is not None and day > enough_on + _ONE_DAY:
            break
        periods = [(max(begins, start), ends) for begins, ends in calendar.periods(day) if ends > start]
        gathered.extend(periods)
        held += sum((ends - begins for begins, ends in periods), timedelta(0))
        idle_days = 0 if periods else idle_days + 1
        if idle_days > _MAX_IDLE_DAYS:  # only a calendar whose every working day is a holiday gets here
            raise ValueError(f"No working time in {_MAX_IDLE_DAYS} days: check the working days and the country.")
        if enough_on is None and held >= remaining:
            enough_on = day
    for begins, ends in sorted(gathered):
        if ends - begins >= remaining:
            return begins + remaining
        remaining -= ends - begins
    raise AssertionError("unreachable: the gathered periods hold enough time")  # pragma: no cover
