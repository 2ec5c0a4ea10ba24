"""The occurrences of a reservation: the same wall-clock time in the therapist's zone, whatever the clocks do;
and what a reservation shows and when it is due."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from therapy_booking.domain.calendar import TimeRange
from therapy_booking.domain.errors import ValidationFailed
from therapy_booking.domain.model import Location, LocationKind, SessionType
from therapy_booking.domain.reservations import (
    PENDING_GRACE,
    OccurrenceStatus,
    Reservation,
    ReservationStatus,
    clashing,
    occurrence_starts,
)

LONDON, NEW_YORK = "Europe/London", "America/New_York"


def local(instant: datetime, zone: str) -> tuple[int, int]:
    wall = instant.astimezone(ZoneInfo(zone))
    return wall.hour, wall.minute


class TestSameWallClockTime:
    def test_an_evening_session_in_london_stays_at_18_00_through_both_clock_changes(self) -> None:
        # Given Tuesdays at 18:00 London time from early March, over summer time and back
        first = datetime(2027, 3, 2, 18, 0, tzinfo=UTC)  # GMT: 18:00 local
        # When 26 weekly occurrences are computed
        starts = occurrence_starts(first, 1, 26, LONDON)
        # Then every one is at 18:00 in London: 18:00 UTC before 28 March, 17:00 UTC in summer time
        assert {local(start, LONDON) for start in starts} == {(18, 0)}
        assert starts[3] == datetime(2027, 3, 23, 18, 0, tzinfo=UTC)
        assert starts[4] == datetime(2027, 3, 30, 17, 0, tzinfo=UTC)
        # And the autumn change (31 October) brings it back to 18:00 UTC
        autumn = occurrence_starts(datetime(2027, 10, 19, 17, 0, tzinfo=UTC), 1, 3, LONDON)
        assert autumn == [
            datetime(2027, 10, 19, 17, 0, tzinfo=UTC),
            datetime(2027, 10, 26, 17, 0, tzinfo=UTC),
            datetime(2027, 11, 2, 18, 0, tzinfo=UTC),
        ]

    def test_new_york_keeps_its_wall_time_across_its_own_changes_every_two_weeks(self) -> None:
        # Given every other Monday at 09:30 New York time from February (EST, UTC-5) into November (EST again)
        first = datetime(2027, 2, 1, 14, 30, tzinfo=UTC)
        starts = occurrence_starts(first, 2, 20, NEW_YORK)
        # Then all are at 09:30 local, 14:30 UTC in winter and 13:30 UTC in daylight time
        assert {local(start, NEW_YORK) for start in starts} == {(9, 30)}
        assert {start.hour for start in starts} == {13, 14}
        assert all(
            b - a in (timedelta(weeks=2), timedelta(weeks=2, hours=1), timedelta(weeks=2, hours=-1))
            for a, b in itertools.pairwise(starts)
        )

    def test_a_wall_time_the_clocks_skip_refuses_the_whole_reservation_naming_the_day(self) -> None:
        # Given Sundays at 02:30 New York time, one of which is the spring-forward day (14 March 2027)
        first = datetime(2027, 3, 7, 7, 30, tzinfo=UTC)  # 02:30 EST
        with pytest.raises(ValidationFailed) as refused:
            occurrence_starts(first, 1, 3, NEW_YORK)
        assert "2027-03-14" in refused.value.detail

    def test_a_wall_time_that_occurs_twice_is_its_first_occurrence(self) -> None:
        # Given Sundays at 01:30 London time, one of which is the day the clocks go back (31 October 2027)
        starts = occurrence_starts(datetime(2027, 10, 24, 0, 30, tzinfo=UTC), 1, 2, LONDON)
        # Then that day's occurrence is the first 01:30 (BST, 00:30 UTC), never the repeated one
        assert starts[1] == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)

    @given(
        zone=st.sampled_from([LONDON, NEW_YORK, "Australia/Sydney", "Asia/Kolkata", "UTC"]),
        day=st.dates(min_value=date(2027, 1, 1), max_value=date(2030, 12, 31)),
        hour=st.integers(min_value=7, max_value=21),
        quarter=st.sampled_from([0, 15, 30, 45]),
        every=st.integers(min_value=1, max_value=4),
        count=st.integers(min_value=1, max_value=26),
    )
    def test_every_occurrence_is_at_the_first_ones_wall_time_and_weekday_every_n_weeks(
        self, zone: str, day: date, hour: int, quarter: int, every: int, count: int
    ) -> None:
        # Given a first start at a daytime wall time (never inside a clock change) in some zone
        wall = datetime(day.year, day.month, day.day, hour, quarter, tzinfo=ZoneInfo(zone))
        starts = occurrence_starts(wall.astimezone(UTC), every, count, zone)
        # Then there are `count` of them, each at that wall time and weekday, `every` weeks of dates apart
        assert len(starts) == count
        for index, start in enumerate(starts):
            seen = start.astimezone(ZoneInfo(zone))
            assert (seen.hour, seen.minute, seen.weekday()) == (hour, quarter, wall.weekday())
            assert seen.date() == wall.date() + timedelta(weeks=every * index)


NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
THREE_TUESDAYS = Reservation(
    reservation_id="r1",
    therapist_id="t1",
    client_id="c1",
    session_type=SessionType.INDIVIDUAL,
    location=Location("video", LocationKind.ONLINE, link="https://meet.example.com/ada"),
    every_weeks=1,
    occurrences=tuple(
        TimeRange(start, start + timedelta(minutes=50))
        for start in (datetime(2026, 12, 8, 10, tzinfo=UTC) + timedelta(weeks=week) for week in range(3))
    ),
    status=ReservationStatus.ACTIVE,
    created_at=NOW,
    updated_at=NOW,
    version=1,
)


def made(**overrides: Any) -> Reservation:
    return replace(THREE_TUESDAYS, **overrides)


class TestWhatAReservationShows:
    def test_held_booked_and_released_occurrences_and_when_the_sweeper_looks(self) -> None:
        reservation = made()
        first, second, third = reservation.occurrences
        # Given all three held / Then it is due at the first's start (it passes unbooked then)
        assert [v.status for v in reservation.views()] == [OccurrenceStatus.HELD] * 3
        assert reservation.due_at == first.start
        # Given the first released by the sweeper and the second booked / Then due at the third's start
        swept = made(released_through=first.start, booked={second.start: "s1"})
        assert [v.status for v in swept.views()] == [
            OccurrenceStatus.RELEASED,
            OccurrenceStatus.BOOKED,
            OccurrenceStatus.HELD,
        ]
        assert swept.views()[1].session_id == "s1" and swept.due_at == third.start
        # Given nothing left held / Then due at the end of the last, to end it
        assert made(booked={o.start: "s" for o in reservation.occurrences}).due_at == third.end
        # Given it is deleted / Then every unbooked occurrence shows released, due until they are given back
        deleted = made(status=ReservationStatus.DELETED, booked={second.start: "s1"})
        assert [v.status for v in deleted.views()] == [
            OccurrenceStatus.RELEASED,
            OccurrenceStatus.BOOKED,
            OccurrenceStatus.RELEASED,
        ]
        assert deleted.due_at == deleted.updated_at
        assert made(status=ReservationStatus.DELETED, released_through=third.start).due_at is None
        # And a pending one is due once its grace has passed (then its making was abandoned)
        assert made(status=ReservationStatus.PENDING).due_at == reservation.created_at + PENDING_GRACE

    def test_clashing_names_every_occurrence_that_touches_a_taken_unit(self) -> None:
        reservation = made()
        first, _, third = reservation.occurrences
        taken = {first.start + timedelta(minutes=45), third.start}
        assert clashing(reservation.occurrences, taken, 15) == [first.start, third.start]
