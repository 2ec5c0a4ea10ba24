"""Time arithmetic of a therapist's calendar: claim units and bookable slots.

A therapist's time is claimed in fixed units (default 15 minutes, aligned to
the UTC epoch). Availability is published as weekly wall-clock windows in the
therapist's time zone; slots are generated in wall-clock time and converted to
UTC, so a clock change never shifts a slot, and a wall time that does not
exist (spring forward) or occurs twice (fall back, second occurrence) is never
offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from therapy_booking.domain.model import Availability, WeeklyWindow

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime

    def overlaps(self, other: TimeRange) -> bool:
        return self.start < other.end and other.start < self.end


def claim_units(start: datetime, end: datetime, unit_minutes: int) -> list[datetime]:
    """UTC starts of every unit that [start, end) touches."""
    unit = timedelta(minutes=unit_minutes)
    first = _floor(start, unit)
    units: list[datetime] = []
    cursor = first
    while cursor < end:
        units.append(cursor)
        cursor += unit
    return units


def _floor(instant: datetime, unit: timedelta) -> datetime:
    elapsed = instant.astimezone(UTC) - _EPOCH
    return _EPOCH + (elapsed // unit) * unit


def on_grid(instant: datetime | time, unit_minutes: int) -> bool:
    """Whether an instant (aligned to the UTC epoch) or a wall-clock time starts a unit of the calendar grid."""
    if isinstance(instant, datetime):
        return _floor(instant, timedelta(minutes=unit_minutes)) == instant
    return instant.second == instant.microsecond == 0 and (instant.hour * 60 + instant.minute) % unit_minutes == 0


def slot_step(duration: timedelta, unit_minutes: int) -> timedelta:
    """Slots start every session length rounded up to whole units (a 50-minute session: hourly)."""
    unit = timedelta(minutes=unit_minutes)
    return -(-duration // unit) * unit


def wall_time_instant(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a naive wall time, or None if that wall time does not exist there."""
    aware = wall.replace(tzinfo=zone, fold=0)
    instant = aware.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return instant


def _window_starts(
    day: date, window: WeeklyWindow, zone: ZoneInfo, duration: timedelta, step: timedelta, unit_minutes: int
) -> Iterator[datetime]:
    wall = datetime.combine(day, window.start)
    wall_end = datetime.combine(day, window.end)
    window_end = wall_time_instant(wall_end, zone)
    if window_end is None:  # ends inside a spring-forward gap: take the earlier reading, never extend
        window_end = wall_end.replace(tzinfo=zone, fold=1).astimezone(UTC)
    while wall + duration <= wall_end:
        instant = wall_time_instant(wall, zone)
        if instant is not None and instant + duration <= window_end and on_grid(instant, unit_minutes):
            yield instant  # on the unit grid: a slot claims exactly its own units, never a neighbour's
        wall += step


def bookable_starts(
    availability: Availability,
    timezone: str,
    duration: timedelta,
    unit_minutes: int,
    window: TimeRange,
    now: datetime,
) -> list[TimeRange]:
    """Every slot of the weekly availability starting in `window`, within notice and horizon.

    Claims are not considered here (see `free_slots`).
    """
    zone = ZoneInfo(timezone)
    earliest = max(window.start, now + timedelta(hours=availability.min_notice_hours))
    horizon = now + timedelta(days=availability.horizon_days)
    latest = min(window.end, horizon + timedelta(microseconds=1))  # the horizon itself is bookable
    if earliest >= latest:
        return []
    step = slot_step(duration, unit_minutes)
    by_weekday: dict[int, list[WeeklyWindow]] = {}
    for weekly in availability.weekly:
        by_weekday.setdefault(weekly.day.number, []).append(weekly)

    slots: list[TimeRange] = []
    day = earliest.astimezone(zone).date() - timedelta(days=1)
    last_day = latest.astimezone(zone).date()
    while day <= last_day:
        for weekly in by_weekday.get(day.weekday(), []):
            for start in _window_starts(day, weekly, zone, duration, step, unit_minutes):
                if earliest <= start < latest:
                    slots.append(TimeRange(start, start + duration))
        day += timedelta(days=1)
    slots.sort(key=lambda s: s.start)
    return slots


def free_slots(slots: Iterable[TimeRange], claimed_units: set[datetime], unit_minutes: int) -> list[TimeRange]:
    return [
        slot for slot in slots if not any(u in claimed_units for u in claim_units(slot.start, slot.end, unit_minutes))
    ]
