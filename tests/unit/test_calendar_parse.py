"""Busy times read from calendars shaped as Google, Outlook and Apple export them, and hostile bodies refused."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from therapy_booking.adapters.calendar_parse import (
    NOT_ICALENDAR,
    TOO_COMPLEX,
    TOO_FREQUENT,
    TOO_LARGE,
    TOO_MANY,
    ParseLimits,
    busy,
    merge,
)
from therapy_booking.domain.calendar import TimeRange
from therapy_booking.domain.calendar_import import CalendarUnavailable, CalendarUnreadable

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "calendars"
START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 4, 13, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ranges(*pairs: tuple[str, str]) -> list[TimeRange]:
    return [TimeRange(at(start), at(end)) for start, end in pairs]


def calendar(*lines: str) -> bytes:
    return "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//test//EN", *lines, "END:VCALENDAR", ""]
    ).encode()


def event(*lines: str, uid: str = "e") -> tuple[str, ...]:
    return ("BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z", *lines, "END:VEVENT")


def test_a_google_export_gives_its_busy_times_in_utc() -> None:
    # Given Google's export: VTIMEZONE, X-WR-TIMEZONE, a weekly Monday 10:00 London with an EXDATE (16 March)
    # and a moved instance (23 March to Tuesday 24 March 14:00), a weekly Thursday written in UTC (17:00Z
    # in winter) that Google means in London time, an all-day event, an overnight event across the
    # clock change of 29 March, a cancelled and a transparent event
    body = (FIXTURES / "google.ics").read_bytes()

    # When it is read for the therapist in London
    found = busy(body, START, END, "Europe/London")

    # Then the busy times are exactly these, in UTC: the Monday follows London's clock change
    # (09:00Z from 30 March), so does the Thursday (16:00Z from 2 April, X-WR-TIMEZONE), the all-day
    # event blocks the London day, and the cancelled (10 March) and transparent (11 March) events block nothing
    assert found == ranges(
        ("2026-03-02T10:00", "2026-03-02T11:00"),
        ("2026-03-05T17:00", "2026-03-05T18:00"),
        ("2026-03-09T10:00", "2026-03-09T11:00"),
        ("2026-03-12T17:00", "2026-03-12T18:00"),
        ("2026-03-19T17:00", "2026-03-19T18:00"),
        ("2026-03-20T00:00", "2026-03-21T00:00"),
        ("2026-03-24T14:00", "2026-03-24T15:00"),
        ("2026-03-26T17:00", "2026-03-26T18:00"),
        ("2026-03-28T22:00", "2026-03-29T02:00"),
        ("2026-03-30T09:00", "2026-03-30T10:00"),
        ("2026-04-02T16:00", "2026-04-02T17:00"),
        ("2026-04-06T09:00", "2026-04-06T10:00"),
        ("2026-04-09T16:00", "2026-04-09T17:00"),
    )


def test_an_outlook_export_with_windows_zone_names_gives_its_busy_times() -> None:
    # Given Outlook's export: a "GMT Standard Time" VTIMEZONE, a weekly Wednesday 09:00 with UNTIL, an EXDATE
    # (11 March), one instance cancelled (25 March) and one moved (1 April to Thursday 2 April 16:15), a
    # monthly "second Tuesday" by BYSETPOS with COUNT, a free (transparent) day and an all-day holiday
    body = (FIXTURES / "outlook.ics").read_bytes()

    # When it is read for the therapist in London
    found = busy(body, START, END, "Europe/London")

    # Then the busy times are exactly these, the Wednesday at 08:00Z once summer time starts
    assert found == ranges(
        ("2026-03-04T09:00", "2026-03-04T09:30"),
        ("2026-03-10T18:00", "2026-03-10T19:30"),
        ("2026-03-18T09:00", "2026-03-18T09:30"),
        ("2026-03-27T00:00", "2026-03-28T00:00"),
        ("2026-04-02T15:15", "2026-04-02T15:45"),
        ("2026-04-08T08:00", "2026-04-08T08:30"),
    )


def test_an_apple_export_reads_floating_and_all_day_times_in_the_therapists_zone() -> None:
    # Given Apple's export without X-WR-TIMEZONE: a fortnightly Tuesday 08:00 London with COUNT and an RDATE,
    # a floating 15:00 with a DURATION, a two-day all-day event, an all-day event without an end and a
    # timed event without an end
    body = (FIXTURES / "apple.ics").read_bytes()

    # When it is read for a therapist in Berlin
    found = busy(body, START, END, "Europe/Berlin")

    # Then floating and all-day times are Berlin's (15:00 CET is 14:00Z; Easter days start at 22:00Z),
    # the date without an end is one day, and the timed event without an end takes no time
    assert found == ranges(
        ("2026-03-03T08:00", "2026-03-03T08:30"),
        ("2026-03-05T08:00", "2026-03-05T08:30"),
        ("2026-03-12T14:00", "2026-03-12T14:45"),
        ("2026-03-17T08:00", "2026-03-17T08:30"),
        ("2026-03-31T07:00", "2026-03-31T07:30"),
        ("2026-04-05T22:00", "2026-04-07T22:00"),
        ("2026-04-08T22:00", "2026-04-09T22:00"),
    )


def test_x_wr_timezone_reads_floating_and_all_day_times_before_the_therapists_zone() -> None:
    # Given a calendar in New York (X-WR-TIMEZONE) with a floating 09:00 and an all-day event
    body = calendar(
        "X-WR-TIMEZONE:America/New_York",
        *event("DTSTART:20260302T090000", "DTEND:20260302T100000", uid="floating"),
        *event("DTSTART;VALUE=DATE:20260303", "DTEND;VALUE=DATE:20260304", uid="all-day"),
    )

    # When it is read for a therapist in London
    found = busy(body, START, END, "Europe/London")

    # Then both are read in New York time (UTC-5 in March before its clock change on 8 March)
    assert found == ranges(("2026-03-02T14:00", "2026-03-02T15:00"), ("2026-03-03T05:00", "2026-03-04T05:00"))


def test_an_unknown_x_wr_timezone_falls_back_to_the_therapists_zone() -> None:
    # Given a calendar naming a zone that does not exist
    body = calendar("X-WR-TIMEZONE:Mars/Olympus_Mons", *event("DTSTART:20260302T090000", "DTEND:20260302T100000"))

    # When it is read for a therapist in London, then the floating time is London's
    assert busy(body, START, END, "Europe/London") == ranges(("2026-03-02T09:00", "2026-03-02T10:00"))


def test_busy_times_are_clipped_to_the_window_and_overlapping_or_adjacent_ones_merged() -> None:
    # Given events overlapping each other, one touching the next, and one crossing each end of the window
    body = calendar(
        *event("DTSTART:20260228T230000Z", "DTEND:20260301T010000Z", uid="before"),
        *event("DTSTART:20260302T090000Z", "DTEND:20260302T100000Z", uid="a"),
        *event("DTSTART:20260302T093000Z", "DTEND:20260302T103000Z", uid="b"),
        *event("DTSTART:20260302T103000Z", "DTEND:20260302T110000Z", uid="c"),
        *event("DTSTART:20260412T230000Z", "DTEND:20260413T020000Z", uid="after"),
    )

    # When it is read, then each range is inside [start, end), sorted, and joined where they meet
    assert busy(body, START, END, "Europe/London") == ranges(
        ("2026-03-01T00:00", "2026-03-01T01:00"),
        ("2026-03-02T09:00", "2026-03-02T11:00"),
        ("2026-04-12T23:00", "2026-04-13T00:00"),
    )


def test_merge_keeps_a_range_that_contains_the_next() -> None:
    # Given a long range containing a short one, when merged, then the long one stands
    window = TimeRange(START, END)
    long, short = (
        TimeRange(at("2026-03-02T09:00"), at("2026-03-02T12:00")),
        TimeRange(at("2026-03-02T10:00"), at("2026-03-02T11:00")),
    )
    assert merge([short, long], window) == [long]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"hello world",
        b"<!DOCTYPE html><html><body>Sign in to continue</body></html>",
        b"\xff\xfe\x00\x01 binary",
        b"BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n",  # an event without its calendar
        calendar(*event("DTSTART:not-a-time", "DTEND:20260302T100000Z")),
        calendar(*event("DTSTART:20260302T090000Z", "DTEND:20260302T100000Z", "RRULE:FREQ=WEEKLY;INTERVAL=x")),
        calendar("X-WR-TIMEZONE:Europe/London", "BEGIN:VEVENT", "DTSTART:20260302T090000Z"),  # never closed
    ],
)
def test_a_body_that_is_not_icalendar_is_unreadable_with_a_fixed_sentence(body: bytes) -> None:
    # Given a body that is not (valid) iCalendar, when it is read
    with pytest.raises(CalendarUnreadable) as raised:
        busy(body, START, END, "Europe/London")

    # Then the sentence is the fixed one, quoting nothing of the body, with no cause carried along
    assert str(raised.value) == NOT_ICALENDAR
    assert raised.value.__cause__ is None
    assert isinstance(raised.value, CalendarUnavailable)


def test_a_body_over_the_size_cap_is_refused_before_it_is_parsed() -> None:
    # Given a body one byte over the cap, when it is read, then it is refused as too large
    with pytest.raises(CalendarUnreadable, match=TOO_LARGE):
        busy(b"x" * 101, START, END, "Europe/London", ParseLimits(max_body_bytes=100))


@pytest.mark.parametrize(
    "rule",
    [
        "RRULE:FREQ=SECONDLY",
        "RRULE:FREQ=MINUTELY",
        "RRULE:FREQ=MINUTELY;INTERVAL=30",
        "RRULE:FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,30",
        "RRULE:FREQ=HOURLY;BYMINUTE=0,30",
    ],
)
def test_a_rule_repeating_more_often_than_hourly_is_refused_at_once(rule: str) -> None:
    # Given a rule generating more than 24 instances a day from years back (a bomb)
    body = calendar(*event("DTSTART:20000101T000000Z", "DTEND:20000101T000001Z", rule))

    # When it is read
    started = time.monotonic()
    with pytest.raises(CalendarUnreadable, match=TOO_FREQUENT):
        busy(body, START, END, "Europe/London")

    # Then it is refused before any expansion
    assert time.monotonic() - started < 1


def test_an_hourly_rule_is_expanded() -> None:
    # Given an event every 6 hours, when a day of it is read, then it blocks four times that day
    body = calendar(*event("DTSTART:20260301T000000Z", "DTEND:20260301T010000Z", "RRULE:FREQ=HOURLY;INTERVAL=6"))
    found = busy(body, START, at("2026-03-02T00:00"), "Europe/London")
    assert [r.start.hour for r in found] == [0, 6, 12, 18]


def test_more_instances_than_the_cap_are_refused_without_expanding_the_rest() -> None:
    # Given a daily event, and a cap of 10 instances
    body = calendar(*event("DTSTART:20260101T090000Z", "DTEND:20260101T100000Z", "RRULE:FREQ=DAILY"))

    # When its six weeks in the window are read, then it is refused as too many
    with pytest.raises(CalendarUnreadable, match=TOO_MANY):
        busy(body, START, END, "Europe/London", ParseLimits(max_instances=10))


def test_a_rule_that_never_matches_again_stops_at_the_work_budget() -> None:
    # Given a daily rule whose filters never match (30 February): dateutil would walk it to the year 9999
    body = calendar(
        *event("DTSTART:20260301T090000Z", "DTEND:20260301T100000Z", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")
    )

    # When it is read with a small budget of calls
    started = time.monotonic()
    with pytest.raises(CalendarUnreadable, match=TOO_COMPLEX):
        busy(body, START, END, "Europe/London", ParseLimits(max_calls=50_000))

    # Then the expansion stops early and quickly
    assert time.monotonic() - started < 5


def test_the_work_budget_also_has_a_deadline() -> None:
    # Given the same never-matching rule and a budget of calls too large to be reached soon
    body = calendar(
        *event("DTSTART:20260301T090000Z", "DTEND:20260301T100000Z", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")
    )

    # When it is read with a deadline of half a second
    started = time.monotonic()
    with pytest.raises(CalendarUnreadable, match=TOO_COMPLEX):
        busy(body, START, END, "Europe/London", ParseLimits(max_calls=10**9, max_seconds=0.5))

    # Then the deadline stops it
    assert time.monotonic() - started < 3


def test_the_work_budget_leaves_no_tracer_behind() -> None:
    # Given a tracer already set (as a debugger sets one)
    def tracer(frame: object, event: str, arg: object) -> None:
        return None

    sys.settrace(tracer)
    try:
        # When a calendar is read, and when one is refused by the budget
        busy((FIXTURES / "google.ics").read_bytes(), START, END, "Europe/London")
        never = calendar(
            *event("DTSTART:20260301T090000Z", "DTEND:20260301T100000Z", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")
        )
        with pytest.raises(CalendarUnreadable):
            busy(never, START, END, "Europe/London", ParseLimits(max_calls=1000))

        # Then the earlier tracer is back each time
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(None)


def _custom_zone_calendar(offset: str, start: str, end: str) -> bytes:
    """A calendar, as Outlook writes one, whose VTIMEZONE has a generic name and the given fixed offset."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\n"
        "BEGIN:VTIMEZONE\r\nTZID:Customized Time Zone\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n"
        f"TZOFFSETFROM:{offset}\r\nTZOFFSETTO:{offset}\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        "BEGIN:VEVENT\r\nUID:e1\r\nDTSTAMP:20261201T000000Z\r\n"
        f"DTSTART;TZID=Customized Time Zone:{start}\r\nDTEND;TZID=Customized Time Zone:{end}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_one_calendars_time_zone_never_leaks_into_anothers() -> None:
    # Given two therapists' calendars that define the same generic zone name with different offsets
    window_start = datetime(2026, 12, 1, tzinfo=UTC)
    window_end = datetime(2026, 12, 31, tzinfo=UTC)
    first = _custom_zone_calendar("+1400", "20261208T100000", "20261208T110000")
    second = _custom_zone_calendar("+0100", "20261208T100000", "20261208T110000")
    # When they are read one after the other in the same process
    busy(first, window_start, window_end, "Europe/London")
    read = busy(second, window_start, window_end, "Europe/London")
    # Then the second is read in its own zone: 10:00+01:00 is 09:00 UTC
    assert [(r.start, r.end) for r in read] == [
        (datetime(2026, 12, 8, 9, 0, tzinfo=UTC), datetime(2026, 12, 8, 10, 0, tzinfo=UTC))
    ]
