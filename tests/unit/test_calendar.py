"""Slots and claim units, including the clock changes of Europe/London in 2026."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from therapy_booking.domain.calendar import TimeRange, bookable_starts, claim_units, free_slots, on_grid, slot_step
from therapy_booking.domain.model import Availability, Weekday, WeeklyWindow

LONDON = ZoneInfo("Europe/London")
HOUR = timedelta(hours=1)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def weekly(*windows: tuple[str, str, str], notice: int = 0, horizon: int = 365) -> Availability:
    return Availability(
        weekly=tuple(WeeklyWindow(Weekday(d), time.fromisoformat(s), time.fromisoformat(e)) for d, s, e in windows),
        min_notice_hours=notice,
        horizon_days=horizon,
    )


def slots_between(availability: Availability, start: str, end: str, duration: timedelta = HOUR) -> list[TimeRange]:
    return bookable_starts(
        availability, "Europe/London", duration, 15, TimeRange(utc(start), utc(end)), now=utc("2026-01-01T00:00:00")
    )


def wall_times(slots: list[TimeRange]) -> list[str]:
    return [s.start.astimezone(LONDON).strftime("%a %H:%M") for s in slots]


def assert_no_overlap(slots: list[TimeRange]) -> None:
    starts = [s.start for s in slots]
    assert len(starts) == len(set(starts)), "a slot is duplicated"
    for earlier, later in pairwise(slots):
        assert earlier.end <= later.start, f"{earlier} overlaps {later}"


class TestClaimUnits:
    def test_a_fifty_minute_session_on_the_hour_takes_four_units(self) -> None:
        units = claim_units(utc("2026-12-02T10:00:00"), utc("2026-12-02T10:50:00"), 15)
        assert units == [utc("2026-12-02T10:00:00") + timedelta(minutes=15 * i) for i in range(4)]

    def test_an_unaligned_range_takes_every_unit_it_touches(self) -> None:
        units = claim_units(utc("2026-12-02T10:05:00"), utc("2026-12-02T10:20:00"), 15)
        assert units == [utc("2026-12-02T10:00:00"), utc("2026-12-02T10:15:00")]

    @pytest.mark.parametrize(("minutes", "step"), [(50, 60), (60, 60), (80, 90), (45, 45)])
    def test_slots_step_by_the_session_length_rounded_up_to_units(self, minutes: int, step: int) -> None:
        assert slot_step(timedelta(minutes=minutes), 15) == timedelta(minutes=step)


class TestWeeklyAvailability:
    def test_a_window_yields_hourly_fifty_minute_slots_that_fit_inside_it(self) -> None:
        # Given Wednesdays 09:00-12:00 in London (winter, UTC+0)
        availability = weekly(("wed", "09:00", "12:00"))
        # When the slots of that Wednesday are generated for 50-minute sessions
        slots = slots_between(availability, "2026-12-02T00:00:00", "2026-12-03T00:00:00", timedelta(minutes=50))
        # Then they start on the hour and end inside the window
        assert [s.start for s in slots] == [
            utc("2026-12-02T09:00:00"),
            utc("2026-12-02T10:00:00"),
            utc("2026-12-02T11:00:00"),
        ]
        assert slots[-1].end == utc("2026-12-02T11:50:00")

    def test_summer_times_are_the_same_wall_clock_times_an_hour_earlier_in_utc(self) -> None:
        availability = weekly(("wed", "09:00", "10:00"))
        (slot,) = slots_between(availability, "2026-07-01T00:00:00", "2026-07-02T00:00:00")
        assert slot.start == utc("2026-07-01T08:00:00")

    def test_minimum_notice_and_horizon_bound_the_slots(self) -> None:
        availability = weekly(
            *((d, "09:00", "17:00") for d in ("mon", "tue", "wed", "thu", "fri")), notice=24, horizon=2
        )
        now = utc("2026-11-30T12:00:00")  # Monday noon
        slots = bookable_starts(availability, "Europe/London", HOUR, 15, TimeRange(now, now + timedelta(days=7)), now)
        assert slots[0].start == utc("2026-12-01T12:00:00")
        assert slots[-1].start == utc("2026-12-02T12:00:00")

    def test_claimed_units_remove_the_slots_they_touch(self) -> None:
        availability = weekly(("wed", "09:00", "12:00"))
        slots = slots_between(availability, "2026-12-02T00:00:00", "2026-12-03T00:00:00")
        free = free_slots(slots, {utc("2026-12-02T10:45:00")}, 15)
        assert [s.start.hour for s in free] == [9, 11]


class TestClockChangesInLondon:
    """2026-03-29: 01:00 GMT jumps to 02:00 BST. 2026-10-25: 02:00 BST falls back to 01:00 GMT."""

    WORKING_WEEK = tuple((d, "09:00", "12:00") for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))

    @pytest.mark.parametrize(
        ("start", "end"),
        [("2026-03-26T00:00:00", "2026-04-02T00:00:00"), ("2026-10-22T00:00:00", "2026-10-29T00:00:00")],
    )
    def test_daytime_slots_keep_their_wall_clock_time_across_the_change(self, start: str, end: str) -> None:
        # Given daily 09:00-12:00 availability, When a week spanning the clock change is generated
        slots = slots_between(weekly(*self.WORKING_WEEK), start, end)
        # Then every day has the same three wall-clock slots, none shifted or duplicated
        assert len(slots) == 7 * 3
        assert {s.start.astimezone(LONDON).strftime("%H:%M") for s in slots} == {"09:00", "10:00", "11:00"}
        assert_no_overlap(slots)

    def test_spring_forward_skips_the_wall_time_that_does_not_exist(self) -> None:
        # Given a Sunday window 00:00-04:00 on the night the clocks go forward
        slots = slots_between(weekly(("sun", "00:00", "04:00")), "2026-03-28T12:00:00", "2026-03-29T12:00:00")
        # Then 01:00 (which never happens) is not offered and nothing overlaps
        assert wall_times(slots) == ["Sun 00:00", "Sun 02:00", "Sun 03:00"]
        assert [s.start for s in slots] == [
            utc("2026-03-29T00:00:00"),
            utc("2026-03-29T01:00:00"),
            utc("2026-03-29T02:00:00"),
        ]
        assert_no_overlap(slots)
        assert slots[-1].end == utc("2026-03-29T03:00:00")  # 04:00 BST, the window's end

    def test_fall_back_offers_the_repeated_hour_once(self) -> None:
        # Given a Sunday window 00:00-04:00 on the night the clocks go back
        slots = slots_between(weekly(("sun", "00:00", "04:00")), "2026-10-24T12:00:00", "2026-10-25T12:00:00")
        # Then 01:00 is offered once (its first occurrence), and no slot is duplicated or overlapping
        assert wall_times(slots) == ["Sun 00:00", "Sun 01:00", "Sun 02:00", "Sun 03:00"]
        assert [s.start for s in slots] == [
            utc("2026-10-24T23:00:00"),
            utc("2026-10-25T00:00:00"),
            utc("2026-10-25T02:00:00"),
            utc("2026-10-25T03:00:00"),
        ]
        assert_no_overlap(slots)

    def test_a_window_ending_in_the_spring_gap_is_never_extended(self) -> None:
        # Given a window 00:00-01:30 on the night 01:00-02:00 does not exist
        half_hour = timedelta(minutes=30)
        slots = slots_between(
            weekly(("sun", "00:00", "01:30")), "2026-03-28T12:00:00", "2026-03-29T12:00:00", half_hour
        )
        # Then its end reads as 01:30 BST (00:30 UTC), the earlier reading: one half-hour slot
        assert [s.start for s in slots] == [utc("2026-03-29T00:00:00")]


def test_a_window_saved_off_the_grid_offers_no_start_off_the_grid() -> None:
    # Given a window saved before windows had to be on the 15-minute grid (Monday 09:05-17:05)
    legacy = weekly(("mon", "09:05", "17:05"))

    # When its slots are listed
    slots = slots_between(legacy, "2026-11-30T00:00:00", "2026-12-01T00:00:00", duration=timedelta(minutes=50))

    # Then none is offered: a start at :05 would share a unit with its neighbours
    assert slots == []


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "Asia/Kathmandu", "Australia/Eucla", "Pacific/Chatham"])
def test_windows_on_the_grid_give_starts_on_the_utc_grid_in_zones_with_odd_offsets(zone: str) -> None:
    # Given a Monday 09:00-13:00 window in a zone whose offset is not whole hours
    availability = weekly(("mon", "09:00", "13:00"))

    # When its slots are listed for that week
    slots = bookable_starts(
        availability,
        zone,
        HOUR,
        15,
        TimeRange(utc("2026-11-29T00:00:00"), utc("2026-12-01T00:00:00")),
        now=utc("2026-01-01T00:00:00"),
    )

    # Then there are four, each claiming exactly its own four units
    assert len(slots) == 4
    assert all(on_grid(s.start, 15) and len(claim_units(s.start, s.end, 15)) == 4 for s in slots)
