"""Business minutes: nights, weekends, bank holidays, clock changes, deadlines (issue 11)."""

from __future__ import annotations

import functools
import time as stopwatch
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from therapy_booking.domain.business_hours import (
    MINUTE,
    WorkingHours,
    add_business_minutes,
    business_minutes,
    business_time,
    parse_country,
)
from therapy_booking.domain.model import Weekday

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
DEFAULT = WorkingHours()
EVERY_DAY = frozenset(Weekday)
MICROSECOND = timedelta(microseconds=1)


def london(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def new_york(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


def minutes_in_london(start: datetime, end: datetime, hours: WorkingHours = DEFAULT, country: str = "GB") -> int:
    return business_minutes(start, end, zone="Europe/London", country=country, hours=hours)


def deadline_in_london(start: datetime, minutes: int, hours: WorkingHours = DEFAULT) -> datetime:
    return add_business_minutes(start, minutes, zone=LONDON, country="GB", hours=hours).astimezone(LONDON)


# --- Hypothesis strategies: bounded to 2026-2028 (both clock changes, many holidays), small spans ---

# (zone, country): the platform's own, a US zone, a southern-hemisphere one, a half-hour offset, a
# half-hour clock change, and two zones whose clocks change at midnight (Chile goes back from 24:00 to 23:00).
PLACES = [
    ("Europe/London", "GB"),
    ("Europe/London", "GB-SCT"),
    ("America/New_York", "US"),
    ("Australia/Sydney", "AU"),
    ("Asia/Kolkata", "IN"),
    ("Australia/Lord_Howe", "AU"),
    ("America/Santiago", "CL"),
    ("America/Havana", "CU"),
]
places = st.sampled_from(PLACES)

minutes_of_day = st.integers(min_value=0, max_value=24 * 60 - 1)


@st.composite
def working_hours(draw: st.DrawFn) -> WorkingHours:
    """The default, or any days and any one period a day (often over the night of a clock change)."""
    if draw(st.booleans()):
        return DEFAULT
    days = draw(st.frozensets(st.sampled_from(list(Weekday)), min_size=1))
    first, second = draw(minutes_of_day), draw(minutes_of_day)
    assume(first != second)
    start, end = sorted((first, second))
    return WorkingHours(days, time(start // 60, start % 60), time(end // 60, end % 60))


instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))


def spans(limit: timedelta, unit: timedelta = MICROSECOND) -> st.SearchStrategy[timedelta]:
    return st.integers(min_value=0, max_value=limit // unit).map(lambda count: count * unit)


@functools.cache
def clock_changes(zone: str) -> list[datetime]:
    """Instants (UTC) in 2026-2028 up to six hours after each of the zone's clock changes."""
    tz = ZoneInfo(zone)
    step = timedelta(hours=6)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    changes = []
    while moment.year < 2029:
        if moment.astimezone(tz).utcoffset() != (moment + step).astimezone(tz).utcoffset():
            changes.append(moment + step)
        moment += step
    return changes


@st.composite
def situations(draw: st.DrawFn, whole_minutes: bool = False) -> tuple[str, str, WorkingHours, datetime]:
    """A place, its working hours and an instant: anywhere, or in the three days before one of its clock changes."""
    zone, country = draw(places)
    hours = draw(working_hours())
    changes = clock_changes(zone)
    near_a_change = draw(st.booleans())
    if changes and near_a_change:
        instant = draw(st.sampled_from(changes)) - draw(spans(timedelta(days=3)))
    else:
        instant = draw(instants)
    if whole_minutes:
        instant = instant.replace(second=0, microsecond=0)
    return zone, country, hours, instant


@functools.cache
def holidays_in(country: str, year: int) -> frozenset[date]:
    code, subdivision = parse_country(country)
    return frozenset(holidays.country_holidays(code, subdiv=subdivision, years=year))


def wall_clock_is_business(instant: datetime, zone: ZoneInfo, country: str, hours: WorkingHours) -> bool:
    """The definition, read off the wall clock one instant at a time (the oracle)."""
    local = instant.astimezone(zone)
    return (
        local.weekday() in hours.weekday_numbers
        and local.date() not in holidays_in(country, local.year)
        and hours.start <= local.time() < hours.end
    )


class TestProperties:
    @settings(max_examples=150, deadline=None)
    @given(situation=situations(), first=spans(timedelta(days=20)), second=spans(timedelta(days=20)))
    def test_business_time_adds_up_over_any_split_point(self, situation, first, second) -> None:
        # Given any instants a <= b <= c, to the microsecond, anywhere and with any working hours
        zone, country, hours, a = situation
        b, c = a + first, a + first + second

        # When the span is measured whole and in two parts
        def measure(start: datetime, end: datetime) -> timedelta:
            return business_time(start, end, zone=zone, country=country, hours=hours)

        # Then the parts add up to the whole, exactly
        assert measure(a, c) == measure(a, b) + measure(b, c)

    @settings(max_examples=100, deadline=None)
    @given(
        situation=situations(whole_minutes=True),
        first=spans(timedelta(days=10), MINUTE),
        second=spans(timedelta(days=10), MINUTE),
    )
    def test_business_minutes_add_up_over_any_whole_minute_split_point(self, situation, first, second) -> None:
        # Given instants on whole minutes a <= b <= c
        zone, country, hours, a = situation
        b, c = a + first, a + first + second

        # When the minutes are counted whole and in two parts
        def count(start: datetime, end: datetime) -> int:
            return business_minutes(start, end, zone=zone, country=country, hours=hours)

        # Then the parts add up to the whole
        assert count(a, c) == count(a, b) + count(b, c)

    @settings(max_examples=150, deadline=None)
    @given(situation=situations(), span=spans(timedelta(days=30)))
    def test_never_more_than_the_wall_clock_time(self, situation, span) -> None:
        # Given any span
        zone, country, hours, a = situation

        # When it is measured
        measured = business_time(a, a + span, zone=zone, country=country, hours=hours)
        minutes = business_minutes(a, a + span, zone=zone, country=country, hours=hours)

        # Then it is never more than the time that passed, nor negative
        assert timedelta(0) <= measured <= span
        assert 0 <= minutes <= span // MINUTE

    @settings(max_examples=60, deadline=None)
    @given(situation=situations(whole_minutes=True), span=spans(timedelta(days=2), MINUTE))
    def test_each_minute_counts_exactly_when_the_wall_clock_says_it_is_working_time(self, situation, span) -> None:
        # Given a span of up to two days on whole minutes (clock changes, holidays and nights included)
        zone, country, hours, a = situation

        # When it is measured, and each of its minutes is read off the wall clock one by one
        measured = business_minutes(a, a + span, zone=zone, country=country, hours=hours)
        expected = sum(
            wall_clock_is_business(a + index * MINUTE, ZoneInfo(zone), country, hours)
            for index in range(span // MINUTE)
        )

        # Then both agree
        assert measured == expected

    @settings(max_examples=100, deadline=None)
    @given(day=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 30)), data=st.data())
    def test_nothing_counts_overnight(self, day, data) -> None:
        # Given any span inside one night in London, 17:30 to 09:00 the next morning
        night_from = datetime.combine(day, time(17, 30), LONDON).astimezone(UTC)
        night_to = datetime.combine(day + timedelta(days=1), time(9), LONDON).astimezone(UTC)
        start = night_from + data.draw(spans(night_to - night_from))
        end = start + data.draw(spans(night_to - start))

        # When it is measured, then it holds no business time
        assert business_time(start, end, zone=LONDON, country="GB", hours=DEFAULT) == timedelta(0)

    @settings(max_examples=100, deadline=None)
    @given(week=st.integers(min_value=0, max_value=155), data=st.data())
    def test_nothing_counts_at_the_weekend(self, week, data) -> None:
        # Given any span inside a weekend in London, Friday 17:30 to Monday 09:00
        friday = date(2026, 1, 2) + timedelta(weeks=week)
        weekend_from = datetime.combine(friday, time(17, 30), LONDON).astimezone(UTC)
        weekend_to = datetime.combine(friday + timedelta(days=3), time(9), LONDON).astimezone(UTC)
        start = weekend_from + data.draw(spans(weekend_to - weekend_from))
        end = start + data.draw(spans(weekend_to - start))

        # When it is measured, then it holds no business time
        assert business_time(start, end, zone=LONDON, country="GB", hours=DEFAULT) == timedelta(0)

    @settings(max_examples=60, deadline=None)
    @given(
        holiday=st.sampled_from(
            sorted(
                d for d in holidays.country_holidays("GB", subdiv="ENG", years=[2026, 2027, 2028]) if d.weekday() < 5
            )
        ),
        data=st.data(),
    )
    def test_nothing_counts_on_an_english_bank_holiday(self, holiday, data) -> None:
        # Given any span inside a weekday bank holiday in England, midnight to midnight
        day_from = datetime.combine(holiday, time(0), LONDON).astimezone(UTC)
        day_to = datetime.combine(holiday + timedelta(days=1), time(0), LONDON).astimezone(UTC)
        start = day_from + data.draw(spans(day_to - day_from))
        end = start + data.draw(spans(day_to - start))

        # When it is measured, then it holds no business time
        assert business_time(start, end, zone=LONDON, country="GB", hours=DEFAULT) == timedelta(0)

    @settings(max_examples=150, deadline=None)
    @given(situation=situations(), minutes=st.integers(min_value=0, max_value=6000))
    def test_adding_business_minutes_is_the_inverse_of_measuring_them(self, situation, minutes) -> None:
        # Given any start and any number of business minutes
        zone, country, hours, start = situation

        # When the instant they have passed by is computed
        deadline = add_business_minutes(start, minutes, zone=zone, country=country, hours=hours)

        # Then exactly that much business time lies between the two
        assert business_time(start, deadline, zone=zone, country=country, hours=hours) == minutes * MINUTE
        assert business_minutes(start, deadline, zone=zone, country=country, hours=hours) == minutes
        # And it is the earliest such instant: the moment just before it is working time (so the
        # deadline is inside working time or at the very end of it), or it is the start itself
        if minutes:
            last_moment = business_time(deadline - MICROSECOND, deadline, zone=zone, country=country, hours=hours)
            assert last_moment == MICROSECOND
        else:
            assert deadline == start


class TestNightsWeekendsAndHolidays:
    def test_a_night_counts_nothing(self) -> None:
        # Given a booking on Tuesday at 16:00 answered on Wednesday at 10:00
        # Then it took 90 minutes on Tuesday and 60 on Wednesday
        assert minutes_in_london(london("2026-06-09T16:00"), london("2026-06-10T10:00")) == 150

    def test_friday_at_five_to_monday_at_half_past_nine_is_one_business_hour(self) -> None:
        # Given the example of PRODUCT.md: booked Friday 17:00, confirmed Monday 09:30
        # Then it took one business hour
        assert minutes_in_london(london("2026-06-05T17:00"), london("2026-06-08T09:30")) == 60

    def test_christmas_boxing_day_and_its_substitute_count_nothing(self) -> None:
        # Given a booking on Thursday 24 December 2026 at 16:00; Friday is Christmas Day, Boxing Day
        # falls on the Saturday and is observed on Monday 28 December
        booked = london("2026-12-24T16:00")

        # When it is answered on Tuesday 29 December at 10:00
        # Then it took 90 minutes on Thursday and 60 on Tuesday
        assert minutes_in_london(booked, london("2026-12-29T10:00")) == 150
        # And the whole of the substitute day counts nothing
        assert minutes_in_london(london("2026-12-28T00:00"), london("2026-12-29T00:00")) == 0

    def test_easter_monday_is_a_holiday_in_england_but_not_in_scotland(self) -> None:
        # Given a booking on Thursday 25 March 2027 at 17:00: Good Friday and Easter Monday follow
        booked, answered = london("2027-03-25T17:00"), london("2027-03-30T09:30")

        # Then in England (plain GB) only Thursday's and Tuesday's half hours count
        assert minutes_in_london(booked, answered) == 60
        assert minutes_in_london(booked, answered, country="GB-ENG") == 60
        # And in Scotland Easter Monday is a working day
        assert minutes_in_london(booked, answered, country="gb-sct") == 60 + 510

    def test_an_american_holiday_in_new_york(self) -> None:
        # Given a booking in New York on Thursday 2 July 2026 at 17:00; Independence Day falls on
        # the Saturday and is observed on Friday 3 July
        booked, answered = new_york("2026-07-02T17:00"), new_york("2026-07-06T09:30")

        # Then it took half an hour on Thursday and half an hour on Monday
        assert business_minutes(booked, answered, zone="America/New_York", country="US", hours=DEFAULT) == 60
        # And the same span measured against English holidays also counts the Friday
        assert business_minutes(booked, answered, zone="America/New_York", country="GB", hours=DEFAULT) == 60 + 510


class TestClockChanges:
    def test_working_hours_on_the_days_the_clocks_change_are_wall_clock_hours(self) -> None:
        # Given a platform working every day of the week, 09:00-17:30
        every_day = WorkingHours(EVERY_DAY)

        # When the Sundays the clocks go forward (28 March 2027) and back (31 October 2027) are measured
        # from midnight to midnight (23 and 25 hours of real time)
        forward = minutes_in_london(london("2027-03-28T00:00"), london("2027-03-29T00:00"), every_day)
        back = minutes_in_london(london("2027-10-31T00:00"), london("2027-11-01T00:00"), every_day)

        # Then each holds 8.5 hours, from 09:00 to 17:30 on the clock
        assert forward == back == 510
        assert deadline_in_london(london("2027-03-27T17:00"), 60, every_day) == london("2027-03-28T09:30")
        assert deadline_in_london(london("2027-03-28T09:00"), 0, every_day).utcoffset() == timedelta(hours=1)
        assert deadline_in_london(london("2027-10-30T17:00"), 60, every_day) == london("2027-10-31T09:30")
        assert london("2027-10-31T09:30").utcoffset() == timedelta(0)

    def test_working_hours_through_the_change_itself_follow_the_clock(self) -> None:
        # Given working hours 00:00-04:00 every day
        nights = WorkingHours(EVERY_DAY, time(0), time(4))

        # When the nights of the clock changes are measured
        forward = minutes_in_london(london("2027-03-28T00:00"), london("2027-03-28T12:00"), nights)
        back = minutes_in_london(london("2027-10-31T00:00"), london("2027-10-31T12:00"), nights)

        # Then the skipped hour is not worked and the repeated hour is worked twice
        assert forward == 3 * 60
        assert back == 5 * 60

    def test_a_period_ending_inside_the_repeated_hour_counts_each_time_the_clock_shows_it(self) -> None:
        # Given working hours 00:00-01:30, on the night 01:00-02:00 happens twice (31 October 2027)
        short_night = WorkingHours(EVERY_DAY, time(0), time(1, 30))

        # When that night is measured
        # Then 00:00-01:30 BST counts, and 01:00-01:30 GMT again, but not 01:30-02:00 BST between them
        assert minutes_in_london(london("2027-10-31T00:00"), london("2027-10-31T12:00"), short_night) == 120
        first_close = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 01:30 BST
        assert minutes_in_london(first_close, first_close + timedelta(minutes=30), short_night) == 0

    def test_a_clock_going_back_across_midnight(self) -> None:
        # Given St John's, Newfoundland, where until 2010 the clocks went back at 00:01 to 23:01 of the
        # day before (1 November 2009), and working hours 23:00-23:59 every day
        st_johns, late = ZoneInfo("America/St_Johns"), WorkingHours(EVERY_DAY, time(23), time(23, 59))
        just_after_midnight = datetime(2009, 11, 1, 0, 0, 30, tzinfo=st_johns)  # the first time, NDT
        before_midnight = datetime(2009, 10, 31, 23, 30, tzinfo=st_johns)

        def measure(start: datetime, end: datetime) -> int:
            return business_minutes(start, end, zone=st_johns, country="CA-NL", hours=late)

        # When a span starting on Sunday's clock is measured
        # Then Saturday's repeated 23:01-23:59 counts, although the span began on Sunday
        assert measure(just_after_midnight, just_after_midnight + timedelta(hours=2)) == 58
        # And a deadline running into the repeated hour finds it: 29 minutes the first time, 31 the second
        deadline = add_business_minutes(before_midnight, 60, zone=st_johns, country="CA-NL", hours=late)
        assert deadline.astimezone(st_johns) == datetime(2009, 10, 31, 23, 32, fold=1, tzinfo=st_johns)
        assert measure(before_midnight, deadline) == 60

    def test_a_deadline_takes_the_next_days_minute_that_comes_first(self) -> None:
        # Given St John's on the same night, working hours 00:00-23:59 every day, and a start at 23:58 NDT
        st_johns, long_days = ZoneInfo("America/St_Johns"), WorkingHours(EVERY_DAY, time(0), time(23, 59))
        start = datetime(2009, 10, 31, 23, 58, tzinfo=st_johns)

        # When two business minutes are added
        deadline = add_business_minutes(start, 2, zone=st_johns, country="CA-NL", hours=long_days)

        # Then they are Saturday's 23:58 and Sunday's 00:00 (NDT): the clock goes back to Saturday
        # only after it, so the deadline is the moment of the change, 02:31 UTC
        assert deadline == datetime(2009, 11, 1, 2, 31, tzinfo=UTC)

    def test_a_weekend_with_a_clock_change_and_easter(self) -> None:
        # Given a booking on Wednesday 24 March 2027 at 17:00 (GMT); Good Friday, the clock change on
        # Sunday and Easter Monday follow
        # When it is answered on Tuesday 30 March at 09:30 (BST)
        # Then it took Wednesday's half hour, all of Thursday and Tuesday's half hour
        assert minutes_in_london(london("2027-03-24T17:00"), london("2027-03-30T09:30")) == 30 + 510 + 30

    def test_the_autumn_change_weekend(self) -> None:
        # Given a booking on Thursday 28 October 2027 at 16:00 (BST), answered on Monday 1 November at 10:00 (GMT)
        # Then it took 90 minutes on Thursday, all of Friday and an hour on Monday
        assert minutes_in_london(london("2027-10-28T16:00"), london("2027-11-01T10:00")) == 90 + 510 + 60

    def test_new_york_on_its_own_clock_change(self) -> None:
        # Given a booking in New York on Friday 12 March 2027 at 17:00 (EST); clocks go forward on Sunday
        booked = new_york("2027-03-12T17:00")

        # When the one-hour deadline is computed
        deadline = add_business_minutes(booked, 60, zone=NEW_YORK, country="US", hours=DEFAULT)

        # Then it is Monday 09:30 on the New York clock, 13:30 UTC (EDT)
        assert deadline == datetime(2027, 3, 15, 13, 30, tzinfo=UTC)
        assert business_minutes(booked, new_york("2027-03-15T09:30"), zone=NEW_YORK, country="US", hours=DEFAULT) == 60


class TestDeadlines:
    def test_a_four_business_hour_deadline_harley_like(self) -> None:
        # Given a booking on Friday 5 June 2026 at 16:00, with 4 business hours to answer
        booked = london("2026-06-05T16:00")

        # When the deadline and the reminder one business hour before it are computed
        deadline = deadline_in_london(booked, 4 * 60)
        reminder = deadline_in_london(booked, 3 * 60)

        # Then 90 minutes are used on Friday and the rest on Monday
        assert deadline == london("2026-06-08T11:30")
        assert reminder == london("2026-06-08T10:30")
        assert minutes_in_london(reminder, deadline) == 60

    def test_a_four_business_hour_deadline_over_a_bank_holiday_weekend(self) -> None:
        # Given a booking on Friday 28 August 2026 at 16:00; Monday 31 August is a bank holiday
        # Then the deadline is on Tuesday
        assert deadline_in_london(london("2026-08-28T16:00"), 4 * 60) == london("2026-09-01T11:30")

    def test_a_three_hour_deadline_mindsum_like(self) -> None:
        # Given a booking on Wednesday 10 June 2026 at 16:30, with 3 business hours to answer
        booked = london("2026-06-10T16:30")

        # When the deadline and the reminder one business hour before it are computed
        # Then an hour is used on Wednesday and two on Thursday
        assert deadline_in_london(booked, 3 * 60) == london("2026-06-11T11:00")
        assert deadline_in_london(booked, 2 * 60) == london("2026-06-11T10:00")

    def test_a_deadline_can_fall_at_the_close_of_a_day_and_lateness_is_measured(self) -> None:
        # Given a booking on Friday at 13:30 with 4 business hours to answer
        booked = london("2026-06-05T13:30")

        # When the deadline is computed, then it is the earliest moment the allowance is used: Friday's close
        assert deadline_in_london(booked, 4 * 60) == london("2026-06-05T17:30")
        # And an answer on Monday at 09:00 still took exactly the allowance, so it is not late
        assert minutes_in_london(booked, london("2026-06-08T09:00")) == 4 * 60

    def test_a_deadline_from_outside_working_hours_starts_at_the_next_opening(self) -> None:
        # Given a booking on Saturday night
        # Then a one-hour deadline is Monday 10:00
        assert deadline_in_london(london("2026-06-06T22:15"), 60) == london("2026-06-08T10:00")

    def test_seconds_are_kept_in_a_deadline_and_dropped_in_a_measure(self) -> None:
        # Given a booking at 10:00:45 on a Wednesday
        booked = london("2026-06-10T10:00:45")

        # Then its one-hour deadline keeps the seconds, and 4 minutes 25 seconds count as 4 minutes
        assert deadline_in_london(booked, 60) == london("2026-06-10T11:00:45")
        assert minutes_in_london(booked, london("2026-06-10T10:05:10")) == 4


class TestLimits:
    def test_ten_years_are_measured_quickly(self) -> None:
        # Given a span of ten years
        began = stopwatch.perf_counter()

        # When it is measured (and a deadline that far away is computed)
        minutes = minutes_in_london(london("2026-01-01T00:00"), london("2036-01-01T00:00"))
        far = add_business_minutes(london("2026-01-01T00:00"), minutes, zone=LONDON, country="GB", hours=DEFAULT)

        # Then it takes a day's step each, not a minute's
        assert stopwatch.perf_counter() - began < 5
        assert far == london("2035-12-31T17:30")
        assert 2500 * 510 < minutes < 2540 * 510

    def test_a_reversed_span_is_refused(self) -> None:
        with pytest.raises(ValueError, match="ends before it starts"):
            minutes_in_london(london("2026-06-10T10:00"), london("2026-06-10T09:59"))

    def test_an_empty_span_is_zero(self) -> None:
        assert minutes_in_london(london("2026-06-10T10:00"), london("2026-06-10T10:00")) == 0

    def test_naive_instants_are_refused(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            minutes_in_london(datetime(2026, 6, 10, 10), london("2026-06-10T11:00"))

    def test_a_negative_allowance_is_refused(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            deadline_in_london(london("2026-06-10T10:00"), -1)

    @pytest.mark.parametrize("country", ["XX", "GBR", "", "G", "GB-XYZ", "US-ENG"])
    def test_an_unknown_country_is_refused_with_a_clear_message(self, country: str) -> None:
        with pytest.raises(ValueError, match=r"Unknown (country|subdivision)"):
            minutes_in_london(london("2026-06-10T10:00"), london("2026-06-10T11:00"), country=country)

    def test_an_unknown_time_zone_is_refused(self) -> None:
        with pytest.raises(ValueError, match="time zone"):
            business_minutes(
                london("2026-06-10T10:00"), london("2026-06-10T11:00"), zone="Mars/Olympus", country="GB", hours=DEFAULT
            )

    def test_country_codes(self) -> None:
        assert parse_country("GB") == ("GB", "ENG")
        assert parse_country(" gb-wls ") == ("GB", "WLS")
        assert parse_country("US") == ("US", None)
        assert parse_country("US-CA") == ("US", "CA")
        assert parse_country("UK") == ("GB", "ENG")  # the library's alias, England as for GB

    @pytest.mark.parametrize(
        ("days", "start", "end", "message"),
        [
            (frozenset(), time(9), time(17), "at least one working day"),
            (frozenset({Weekday.MON}), time(17), time(9), "start before it ends"),
            (frozenset({Weekday.MON}), time(9), time(9), "start before it ends"),
            (frozenset({Weekday.MON}), time(9, 0, 30), time(17), "whole minute"),
            (frozenset({Weekday.MON}), time(9, tzinfo=UTC), time(17), "without a time zone"),
            (frozenset({"someday"}), time(9), time(17), "weekdays"),
            (frozenset({3}), time(9), time(17), "weekdays"),
        ],
    )
    def test_working_hours_are_checked(self, days, start, end, message) -> None:
        with pytest.raises(ValueError, match=message):
            WorkingHours(days, start, end)

    def test_working_hours_default_to_monday_to_friday_nine_to_half_past_five(self) -> None:
        assert DEFAULT.days == frozenset({Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI})
        assert (DEFAULT.start, DEFAULT.end) == (time(9), time(17, 30))
        # And the days may come from settings as names, in any collection
        assert WorkingHours(("sat", "sun")) == WorkingHours(frozenset({Weekday.SAT, Weekday.SUN}))  # type: ignore[arg-type]
