"""Reserved recurring slots in the therapist's calendar feed: which occurrences are entries, under which UID and
status, and what the iCalendar body says of them (domain.calendar_feed, api.calendar_feed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Component

from tests.unit.notifications.samples import ROOM, VIDEO, session
from therapy_booking.api.calendar_feed import etag, render
from therapy_booking.domain.calendar import TimeRange
from therapy_booking.domain.calendar_feed import (
    AHEAD_DAYS,
    PAST_DAYS,
    EntryStatus,
    Feed,
    FeedEntry,
    entries_of,
    reservation_entries,
    reservation_uid,
    session_uid,
)
from therapy_booking.domain.model import SessionStatus, SessionType
from therapy_booking.domain.reservations import Reservation, ReservationStatus
from therapy_booking.settings import CalendarFeedSettings

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
FIRST = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)  # a Wednesday, then every 2 weeks
DOMAIN = "example.com"
CLIENT_ID = "client-7f3a2b"
RESERVATION_ID = "res-41c9"
LINKS = CalendarFeedSettings.model_validate(
    {
        "CALENDAR_FEED_SECRET_ID": "feed-secret",
        "EMAIL_SENDER": "bookings@example.com",
        "DASHBOARD_BASE_URL": "https://app.example.com",
    }
)


def reservation(count: int = 3, **changes: object) -> Reservation:
    starts = [FIRST + timedelta(weeks=2 * index) for index in range(count)]
    base = Reservation(
        reservation_id=RESERVATION_ID,
        therapist_id="t1",
        client_id=CLIENT_ID,
        session_type=SessionType.INDIVIDUAL,
        location=ROOM,
        every_weeks=2,
        occurrences=tuple(TimeRange(start, start + timedelta(minutes=50)) for start in starts),
        status=ReservationStatus.ACTIVE,
        created_at=NOW - timedelta(days=1),
        updated_at=NOW - timedelta(days=1),
        version=1,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def by_uid(entries: list[FeedEntry]) -> dict[str, FeedEntry]:
    return {entry.uid: entry for entry in entries}


def uid(start: datetime) -> str:
    return reservation_uid(RESERVATION_ID, start, DOMAIN)


def events(body: str) -> dict[str, Component]:
    return {str(event["UID"]): event for event in Calendar.from_ical(body).walk("VEVENT")}


def body_of(*reservations: Reservation) -> str:
    return render(Feed("t1", tuple(reservation_entries(reservations, NOW, DOMAIN))), LINKS)


class TestEntries:
    def test_each_held_occurrence_is_a_tentative_entry_under_its_own_uid(self) -> None:
        # Given an active reservation of three occurrences, at version 4
        held = reservation(version=4, location=VIDEO)

        # When its entries are made
        found = by_uid(reservation_entries([held], NOW, DOMAIN))

        # Then each occurrence is one entry, under reservation-<id>-<start, UTC>@<domain>, held for the client
        assert set(found) == {
            "reservation-res-41c9-20261202T180000Z@example.com",
            "reservation-res-41c9-20261216T180000Z@example.com",
            "reservation-res-41c9-20261230T180000Z@example.com",
        }
        first = found[uid(FIRST)]
        assert (first.start, first.end) == (FIRST, FIRST + timedelta(minutes=50))
        assert first.status is EntryStatus.TENTATIVE
        assert (first.sequence, first.changed_at) == (4, held.updated_at)
        assert (first.session_type, first.location) == (SessionType.INDIVIDUAL, VIDEO)
        assert (first.reservation_id, first.session_id) == (RESERVATION_ID, None)

    def test_the_uid_is_the_same_whatever_the_zone_the_start_is_given_in(self) -> None:
        in_london = FIRST.astimezone(ZoneInfo("Europe/London"))
        assert reservation_uid(RESERVATION_ID, in_london, DOMAIN) == uid(FIRST)

    def test_a_booked_occurrence_is_listed_once_as_its_session(self) -> None:
        # Given a reservation whose second occurrence was booked, and that session
        second = FIRST + timedelta(weeks=2)
        booked = reservation(booked={second: "s-booked"}, version=2)
        its_session = session(
            SessionStatus.PENDING,
            session_id="s-booked",
            start=second,
            end=second + timedelta(minutes=50),
            session_type=SessionType.INDIVIDUAL,
        )

        # When the feed's entries are made of both
        entries = [*entries_of([its_session], NOW, DOMAIN), *reservation_entries([booked], NOW, DOMAIN)]

        # Then the booked time is one entry, the session's; the other two occurrences stay held
        at_second = [entry for entry in entries if entry.start == second]
        assert [entry.uid for entry in at_second] == [session_uid("s-booked", DOMAIN)]
        assert uid(second) not in by_uid(entries)
        assert {uid(FIRST), uid(FIRST + timedelta(weeks=4))} <= set(by_uid(entries))

    @pytest.mark.parametrize("status", [ReservationStatus.DELETED, ReservationStatus.ENDED])
    def test_the_released_occurrences_of_a_finished_reservation_are_cancelled(self, status: ReservationStatus) -> None:
        # Given a reservation deleted (or ended) a day ago, one occurrence of which was booked
        booked_at = FIRST + timedelta(weeks=4)
        finished = reservation(status=status, booked={booked_at: "s-1"}, version=3, updated_at=NOW - timedelta(days=1))

        # When its entries are made
        found = by_uid(reservation_entries([finished], NOW, DOMAIN))

        # Then the released occurrences are CANCELLED under the UIDs they were held under, with the new version;
        # the booked one is its session's business
        assert set(found) == {uid(FIRST), uid(FIRST + timedelta(weeks=2))}
        assert {entry.status for entry in found.values()} == {EntryStatus.CANCELLED}
        assert {entry.sequence for entry in found.values()} == {3}

    def test_an_occurrence_released_by_the_sweeper_is_cancelled_and_the_later_ones_stay_held(self) -> None:
        # Given an active reservation whose first occurrence passed unbooked and was given back
        swept = reservation(released_through=FIRST, version=2, updated_at=FIRST)
        later = FIRST + timedelta(days=3)

        # When its entries are made after that
        found = by_uid(reservation_entries([swept], later, DOMAIN))

        # Then the passed one is CANCELLED, the others still TENTATIVE
        assert found[uid(FIRST)].status is EntryStatus.CANCELLED
        assert found[uid(FIRST + timedelta(weeks=2))].status is EntryStatus.TENTATIVE
        assert found[uid(FIRST + timedelta(weeks=4))].status is EntryStatus.TENTATIVE

    def test_released_occurrences_are_forgotten_past_days_after_the_reservation_changed(self) -> None:
        # Given a reservation deleted just under, and one just over, PAST_DAYS before the feed is read
        read_at = FIRST + timedelta(days=5)
        recent = reservation(status=ReservationStatus.DELETED, updated_at=read_at - timedelta(days=PAST_DAYS - 1))
        old = replace(recent, reservation_id="res-old", updated_at=read_at - timedelta(days=PAST_DAYS, seconds=1))

        # When the entries are made / Then the recent one's occurrences are CANCELLED, the old one's gone
        found = reservation_entries([recent, old], read_at, DOMAIN)
        assert {entry.reservation_id for entry in found} == {RESERVATION_ID}
        assert {entry.status for entry in found} == {EntryStatus.CANCELLED}

    def test_only_occurrences_starting_in_the_feeds_window_are_listed(self) -> None:
        # Given 26 weekly occurrences starting long ago, still active (the sweeper behind)
        starts = [NOW - timedelta(days=PAST_DAYS + 10) + timedelta(weeks=index) for index in range(26)]
        long = reservation(every_weeks=1, occurrences=tuple(TimeRange(s, s + timedelta(minutes=50)) for s in starts))
        # And one occurrence starting exactly AHEAD_DAYS ahead, another a quarter of an hour later
        edge = NOW + timedelta(days=AHEAD_DAYS)
        at_edge = reservation(reservation_id="res-edge", occurrences=(TimeRange(edge, edge + timedelta(minutes=50)),))
        later = edge + timedelta(minutes=15)
        beyond = reservation(reservation_id="res-far", occurrences=(TimeRange(later, later + timedelta(minutes=50)),))

        # When the entries are made
        found = reservation_entries([long, beyond, at_edge], NOW, DOMAIN)

        # Then those starting more than PAST_DAYS back or more than AHEAD_DAYS ahead are left out
        assert all(NOW - timedelta(days=PAST_DAYS) <= entry.start <= edge for entry in found)
        assert len([entry for entry in found if entry.reservation_id == RESERVATION_ID]) == 26 - 2  # -40 and -33 days
        assert {entry.reservation_id for entry in found} == {RESERVATION_ID, "res-edge"}


class TestBody:
    def test_a_held_occurrence_reads_reserved_with_its_place_and_its_reservations_page(self) -> None:
        # When the body of a feed with an active reservation is rendered
        found = events(body_of(reservation()))

        # Then each held occurrence says "Reserved", the session type and where, links the reservation, is busy
        event = found[uid(FIRST)]
        assert str(event["SUMMARY"]) == "Reserved: Session (individual)"
        assert str(event["LOCATION"]) == ROOM.address
        assert str(event["STATUS"]) == "TENTATIVE"
        assert str(event["TRANSP"]) == "OPAQUE"
        assert str(event["URL"]) == f"https://app.example.com/reservations/{RESERVATION_ID}"
        assert (
            str(event["DESCRIPTION"]) == f"Reservation details: https://app.example.com/reservations/{RESERVATION_ID}"
        )
        assert event.decoded("DTSTART") == FIRST
        assert event.decoded("SEQUENCE") == 1

    def test_a_released_occurrence_is_cancelled_and_transparent(self) -> None:
        deleted = reservation(status=ReservationStatus.DELETED, version=2, updated_at=NOW)
        event = events(body_of(deleted))[uid(FIRST)]
        assert str(event["STATUS"]) == "CANCELLED"
        assert str(event["TRANSP"]) == "TRANSPARENT"
        assert str(event["SUMMARY"]) == "Released: Session (individual)"
        assert event.decoded("SEQUENCE") == 2

    def test_nothing_about_the_client_is_in_the_body(self) -> None:
        # Given held, booked and released occurrences of a client's reservations
        second = FIRST + timedelta(weeks=2)
        active = reservation(booked={second: "s-booked"})
        deleted = reservation(reservation_id="res-gone", status=ReservationStatus.DELETED, updated_at=NOW)

        # When the body is rendered / Then the client's id appears nowhere, nor any attendee or organizer
        text = body_of(active, deleted).replace("\r\n ", "")  # unfolded
        assert CLIENT_ID not in text
        assert "ATTENDEE" not in text and "ORGANIZER" not in text

    def test_the_etag_changes_when_a_reservation_changes_and_only_then(self) -> None:
        # Given a feed with an active reservation
        active = reservation()
        tag = etag(body_of(active))

        # Then the same reservation read again gives the same tag (nothing depends on the time of the request)
        assert etag(body_of(active)) == tag
        # And a booking of an occurrence, a release by the sweeper, a deletion or a new reservation each change it
        second = FIRST + timedelta(weeks=2)
        changed = [
            replace(active, booked={second: "s-1"}, version=2),
            replace(active, released_through=FIRST, version=2, updated_at=FIRST),
            replace(active, status=ReservationStatus.DELETED, version=2, updated_at=NOW),
        ]
        for each in changed:
            assert etag(body_of(each)) != tag, each
        assert etag(body_of(active, reservation(reservation_id="res-new"))) != tag
