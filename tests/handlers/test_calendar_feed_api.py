"""The private calendar feed through the real handlers: GET /therapists/me/calendar-feed, POST .../rotate and
GET /calendar-feeds/{token}.ics (no JWT)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar, Component

from tests.support.api import Api, Caller
from tests.support.calendar_feed import calendar_feed_environment
from tests.support.clock import FakeClock
from tests.support.http import Answer
from tests.support.reservations import save_new, weekly
from tests.support.scenario import CLIENT, OTHER_CLIENT, OTHER_THERAPIST, THERAPIST, book, publish_therapist
from tests.unit.notifications.samples import notice
from therapy_booking.adapters.dynamodb.reservations import DynamoReservations
from therapy_booking.domain.calendar_feed import PAST_DAYS
from therapy_booking.domain.events import EventType
from therapy_booking.domain.model import Actor, Role
from therapy_booking.domain.reservations import Reservation, ReservationService
from therapy_booking.notifications.calendar_invite import invitation
from therapy_booking.settings import NotificationSettings
from therapy_booking.wiring import container

FEED_ADDRESS = "/therapists/me/calendar-feed"
ROTATE = "/therapists/me/calendar-feed/rotate"
NOTE = "Struggling since the divorce; please call my mobile 07700 900123"
CLIENT_NAME = "Sam Client"


@pytest.fixture(autouse=True)
def feed_environment(aws: Any) -> Iterator[None]:
    with calendar_feed_environment():
        yield


def address(api: Api, who: Caller = THERAPIST) -> str:
    answer = api.get(FEED_ADDRESS, who)
    assert answer.status == 200, answer.body
    url: str = answer.body["url"]
    return url


def path_of(url: str) -> str:
    return url.removeprefix("https://api.example.com")


def read_feed(api: Api, url: str, headers: dict[str, str] | None = None) -> Answer:
    return api.get(path_of(url), None, headers=headers)


def events(answer: Answer) -> dict[str, Component]:
    assert answer.status == 200, answer.body
    calendar = Calendar.from_ical(answer.body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def session_at(api: Api, start: str, who: Caller = CLIENT, **overrides: Any) -> str:
    booked = book(api, who, **{"start": start, "attendees": [CLIENT_NAME], "note": NOTE, **overrides})
    assert booked.status == 201, booked.body
    session_id: str = booked.body["session_id"]
    return session_id


class TestAddress:
    def test_the_first_call_creates_the_address_and_every_later_call_gives_the_same(self, api: Api) -> None:
        # Given a therapist without a feed / When they ask for its address twice
        first = address(api)
        second = address(api)

        # Then it is an https address of the API with an unguessable token, the same both times
        found = re.fullmatch(r"https://api\.example\.com/calendar-feeds/([A-Za-z0-9_-]{43})\.ics", first)
        assert found, first
        assert len(base64.urlsafe_b64decode(found.group(1) + "=")) == 32  # 256 bits
        assert second == first

    def test_the_token_is_stored_only_as_its_hash(self, api: Api, aws: Any) -> None:
        # Given a feed address
        token = path_of(address(api)).removeprefix("/calendar-feeds/").removesuffix(".ics")

        # When the table is read whole / Then the token appears nowhere in it
        items = aws.scan(TableName="therapy-booking-test")["Items"]
        assert token not in str(items)
        lookups = [item for item in items if item["pk"]["S"].startswith("CALENDAR_FEED#")]
        assert len(lookups) == 1

    def test_rotating_gives_a_new_address_and_the_old_one_is_404_at_once(self, api: Api) -> None:
        # Given a feed address that works
        publish_therapist(api)
        old = address(api)
        assert read_feed(api, old).status == 200

        # When the therapist rotates it
        rotated = api.post(ROTATE, THERAPIST)

        # Then a new address answers, the old one is 404 at once, and reading the address gives the new one
        assert rotated.status == 200, rotated.body
        new = rotated.body["url"]
        assert new != old
        gone = read_feed(api, old)
        assert (gone.status, gone.body["code"]) == (404, "not_found")
        assert gone.headers["Content-Type"] == "application/problem+json"
        assert read_feed(api, new).status == 200
        assert address(api) == new

    def test_rotating_before_any_address_creates_one(self, api: Api) -> None:
        rotated = api.post(ROTATE, THERAPIST)
        assert rotated.status == 200, rotated.body
        assert address(api) == rotated.body["url"]

    @pytest.mark.parametrize(("method", "path"), [("GET", FEED_ADDRESS), ("POST", ROTATE)])
    def test_the_address_routes_need_a_token_and_a_therapist(self, api: Api, method: str, path: str) -> None:
        # Without a verified caller: 401, as every other route; a client: 403
        assert api.request(method, path, None).status == 401
        forbidden = api.request(method, path, CLIENT)
        assert (forbidden.status, forbidden.body["code"]) == (403, "forbidden")


class TestFeed:
    def test_the_feed_needs_no_jwt_and_parses_back_as_a_calendar(self, api: Api) -> None:
        # Given a therapist with a pending booking
        publish_therapist(api)
        session_id = session_at(api, "2026-12-02T10:00:00Z")
        url = address(api)

        # When a calendar app without any token reads the feed
        answer = read_feed(api, url)

        # Then it is iCalendar with the refresh hints, listing the session as tentative
        assert answer.status == 200
        assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
        assert answer.headers["Cache-Control"] == "private, max-age=300"
        calendar = Calendar.from_ical(answer.body)
        assert str(calendar["VERSION"]) == "2.0"
        assert calendar["PRODID"]
        assert str(calendar["X-WR-CALNAME"]) == "Therapy sessions"
        assert "REFRESH-INTERVAL;VALUE=DURATION:PT15M" in answer.body
        assert "X-PUBLISHED-TTL:PT15M" in answer.body
        (event,) = events(answer).values()
        assert str(event["STATUS"]) == "TENTATIVE"
        assert event.decoded("DTSTART") == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
        assert event.decoded("DTEND") == datetime(2026, 12, 2, 10, 50, tzinfo=UTC)
        assert str(event["SUMMARY"]).startswith("Session (individual)")
        assert str(event["LOCATION"]) == "1 Harley Street, London"
        assert str(event["URL"]) == f"https://app.example.com/sessions/{session_id}"

    def test_a_session_has_the_uid_of_its_emailed_invitation_and_its_version_as_sequence(self, api: Api) -> None:
        # Given a confirmed session
        publish_therapist(api)
        session_id = session_at(api, "2026-12-02T10:00:00Z")
        confirmed = api.post(f"/sessions/{session_id}/confirm", THERAPIST)
        assert confirmed.status == 200
        session = container.storage.sessions.get(session_id)
        assert session is not None

        # When the feed is read and the confirmation's invitation is built
        (event,) = events(read_feed(api, address(api))).values()
        sent = notice(EventType.SESSION_CONFIRMED, "session_confirmed", Role.CLIENT, s=session)
        settings = NotificationSettings(sender="bookings@example.com", dashboard_base_url="https://app.example.com")
        attachment = invitation(sent, settings)
        assert attachment is not None
        (invited,) = Calendar.from_ical(attachment.content).walk("VEVENT")

        # Then both carry the same UID and SEQUENCE, and the feed shows it confirmed
        assert str(event["UID"]) == str(invited["UID"]) == f"{session_id}@example.com"
        assert event.decoded("SEQUENCE") == invited.decoded("SEQUENCE") == confirmed.body["version"]
        assert str(event["STATUS"]) == "CONFIRMED"

    def test_the_sequence_follows_the_session_version(self, api: Api) -> None:
        publish_therapist(api)
        session_id = session_at(api, "2026-12-02T10:00:00Z")
        url = address(api)
        before = events(read_feed(api, url))[f"{session_id}@example.com"].decoded("SEQUENCE")
        moved = api.post(
            f"/sessions/{session_id}/reschedule",
            THERAPIST,
            {"start": "2026-12-03T11:00:00Z", "reason": "client_requested"},
        )
        assert moved.status == 200, moved.body
        after = events(read_feed(api, url))[f"{session_id}@example.com"]
        assert after.decoded("SEQUENCE") == moved.body["version"] > before
        assert after.decoded("DTSTART") == datetime(2026, 12, 3, 11, 0, tzinfo=UTC)

    def test_an_open_offer_shows_the_original_time_and_each_held_alternative(self, api: Api) -> None:
        # Given a confirmed session with two alternative times on offer
        publish_therapist(api)
        session_id = session_at(api, "2026-12-02T10:00:00Z")
        assert api.post(f"/sessions/{session_id}/confirm", THERAPIST).status == 200
        body = {"alternatives": [{"start": "2026-12-03T10:00:00Z"}, {"start": "2026-12-04T10:00:00Z"}]}
        offered = api.post(f"/sessions/{session_id}/offers", THERAPIST, body)
        assert offered.status == 201, offered.body

        # When the feed is read
        found = events(read_feed(api, address(api)))

        # Then the original time stays confirmed, and each alternative is tentative under its own stable UID
        assert str(found[f"{session_id}@example.com"]["STATUS"]) == "CONFIRMED"
        for alternative in offered.body["offer"]["alternatives"]:
            held = found[f"{session_id}-{alternative['alternative_id']}@example.com"]
            assert str(held["STATUS"]) == "TENTATIVE"
            assert held.decoded("DTSTART") == datetime.fromisoformat(alternative["start"])
        assert len(found) == 3

    def test_cancelled_within_30_days_stay_as_cancelled_and_older_ones_are_gone(
        self, api: Api, clock: FakeClock
    ) -> None:
        # Given two sessions cancelled, one 31 days before the feed is read, the other 29 days before
        publish_therapist(api)
        old = session_at(api, "2027-01-20T10:00:00Z")
        recent = session_at(api, "2027-01-21T10:00:00Z")
        assert api.post(f"/sessions/{old}/cancel", CLIENT, {"reason": "Plans changed"}).status == 200
        clock.advance(timedelta(days=2))
        assert api.post(f"/sessions/{recent}/decline", THERAPIST, {"reason": "Away"}).status == 200
        clock.advance(timedelta(days=29, hours=1))

        # When the feed is read
        found = events(read_feed(api, address(api)))

        # Then the recent one is CANCELLED (calendars remove it), the older one is not listed any more
        assert str(found[f"{recent}@example.com"]["STATUS"]) == "CANCELLED"
        assert f"{old}@example.com" not in found

    def test_nothing_about_the_client_is_in_the_feed(self, api: Api) -> None:
        # Given a client with a name, a note and contact details, booked and then cancelled
        publish_therapist(api)
        profile = {"name": "Priya Secretname", "email": "priya@example.org", "timezone": "Europe/London"}
        assert api.put("/clients/me", CLIENT, profile).status == 200
        kept = session_at(
            api, "2026-12-02T09:00:00Z", session_type="couple", attendees=["Priya Secretname", "Partner Hiddenname"]
        )
        dropped = session_at(api, "2026-12-03T09:00:00Z", session_type="couple", attendees=["A One", "B Two"])
        assert api.post(f"/sessions/{dropped}/cancel", CLIENT, {"reason": "Moving to Leeds"}).status == 200

        # When the feed is read
        answer = read_feed(api, address(api))

        # Then it names neither the client, nor attendees, nor the note, the reason or any contact detail
        assert {f"{kept}@example.com", f"{dropped}@example.com"} == set(events(answer))
        text = answer.body.replace("\r\n ", "")  # unfolded
        for private in ("Priya", "Secretname", "Hiddenname", "A One", "B Two", "divorce", "07700", "Leeds", "priya@"):
            assert private not in text, private
        assert "ATTENDEE" not in text and "ORGANIZER" not in text
        assert CLIENT.sub not in text

    def test_another_therapists_feed_lists_only_their_sessions(self, api: Api) -> None:
        # Given two therapists, each with a session
        publish_therapist(api)
        publish_therapist(api, OTHER_THERAPIST)
        mine = session_at(api, "2026-12-02T10:00:00Z")
        theirs = session_at(api, "2026-12-02T10:00:00Z", OTHER_CLIENT, therapist_id=OTHER_THERAPIST.sub)

        # When each feed is read / Then each lists its own therapist's session only, under different addresses
        assert address(api) != address(api, OTHER_THERAPIST)
        assert set(events(read_feed(api, address(api)))) == {f"{mine}@example.com"}
        assert set(events(read_feed(api, address(api, OTHER_THERAPIST)))) == {f"{theirs}@example.com"}

    def test_an_unchanged_feed_is_not_modified_for_its_etag(self, api: Api) -> None:
        # Given a feed read once
        publish_therapist(api)
        session_at(api, "2026-12-02T10:00:00Z")
        url = address(api)
        first = read_feed(api, url)
        tag = first.headers["ETag"]
        assert re.fullmatch(r'"[0-9a-f]{32}"', tag)

        # When it is read again with that tag / Then 304 without a body, the same tag and caching
        again = read_feed(api, url, headers={"if-none-match": tag})
        assert (again.status, again.body) == (304, None)
        assert again.headers["ETag"] == tag
        assert again.headers["Cache-Control"] == "private, max-age=300"
        assert read_feed(api, url, headers={"if-none-match": f'W/{tag}, "other"'}).status == 304

        # When a session changes / Then the tag no longer matches: the new feed, with a new tag
        session_at(api, "2026-12-03T10:00:00Z")
        changed = read_feed(api, url, headers={"if-none-match": tag})
        assert changed.status == 200
        assert changed.headers["ETag"] != tag

    @pytest.mark.parametrize(
        "feed",
        [
            "A" * 43 + ".ics",  # the right shape, no such feed
            "not-a-token.ics",
            "A" * 43,  # no .ics
            "A" * 43 + ".json",
            "A" * 44 + ".ics",
            "A" * 42 + "B.ics",  # decodes to 32 bytes, but not as its canonical text
            "%2e%2e.ics",
            "x" * 500 + ".ics",
        ],
    )
    def test_an_unknown_token_or_one_of_the_wrong_shape_is_404(self, api: Api, feed: str) -> None:
        address(api)
        answer = api.get(f"/calendar-feeds/{feed}", None)
        assert (answer.status, answer.body["code"]) == (404, "not_found")
        assert answer.body["detail"] == "There is no calendar feed at that address."

    def test_a_token_is_not_needed_but_a_caller_with_one_reads_the_same_feed(self, api: Api) -> None:
        url = address(api)
        assert api.get(path_of(url), CLIENT).status == 200
        assert read_feed(api, url).status == 200


RESERVED_FIRST = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)  # 18:00 in London, outside the weekly hours


def reserve(
    clock: FakeClock, first: datetime = RESERVED_FIRST, booked: dict[datetime, str] | None = None
) -> Reservation:
    """Three weekly occurrences from `first` at the practice, held for the client (but those `booked`), saved with
    their claims."""
    therapist = container.storage.therapists.get(THERAPIST.sub)
    assert therapist is not None and therapist.profile is not None
    practice = therapist.profile.location("harley-st")
    assert practice is not None
    return save_new(weekly("res-1", THERAPIST.sub, CLIENT.sub, practice, first, 3, clock.now(), booked=booked))


def occurrence_uid(start: datetime) -> str:
    return f"reservation-res-1-{start:%Y%m%dT%H%M%SZ}@example.com"


def weeks_from(first: datetime) -> list[str]:
    return [occurrence_uid(first + timedelta(weeks=week)) for week in range(3)]


class TestReservedSlots:
    def test_each_held_occurrence_is_in_the_feed_under_its_own_uid_and_the_etag_changes(
        self, api: Api, clock: FakeClock
    ) -> None:
        # Given a therapist with a feed read once, then a reservation of three weekly occurrences for a client
        publish_therapist(api)
        url = address(api)
        before = read_feed(api, url).headers["ETag"]
        reserve(clock)

        # When a calendar app reads the feed with the tag it has
        answer = read_feed(api, url, headers={"if-none-match": before})

        # Then it has changed: each occurrence is a tentative "Reserved" entry under its own UID, at its time and
        # place, linking the reservation, and nothing names the client
        assert answer.status == 200
        assert answer.headers["ETag"] != before
        found = events(answer)
        assert set(found) == set(weeks_from(RESERVED_FIRST))
        first = found[occurrence_uid(RESERVED_FIRST)]
        assert str(first["UID"]) == "reservation-res-1-20261202T180000Z@example.com"
        assert str(first["STATUS"]) == "TENTATIVE"
        assert str(first["SUMMARY"]) == "Reserved: Session (individual)"
        assert str(first["LOCATION"]) == "1 Harley Street, London"
        assert str(first["URL"]) == "https://app.example.com/reservations/res-1"
        assert first.decoded("DTSTART") == RESERVED_FIRST
        assert first.decoded("DTEND") == RESERVED_FIRST + timedelta(minutes=50)
        assert CLIENT.sub not in answer.body.replace("\r\n ", "")
        # And read again unchanged, it is 304
        assert read_feed(api, url, headers={"if-none-match": answer.headers["ETag"]}).status == 304

    def test_a_booked_occurrence_is_listed_once_as_its_session(self, api: Api, clock: FakeClock) -> None:
        # Given a session, and a reservation whose second occurrence that session booked
        publish_therapist(api)
        first = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
        second = first + timedelta(weeks=1)
        session_id = session_at(api, second.isoformat())
        reserve(clock, first, booked={second: session_id})

        # When the feed is read
        found = events(read_feed(api, address(api)))

        # Then that time is the session's entry only; the other two occurrences are held
        held = weeks_from(first)
        assert set(found) == {held[0], f"{session_id}@example.com", held[2]}
        assert str(found[f"{session_id}@example.com"]["SUMMARY"]).startswith("Session (individual)")

    def test_booking_a_held_occurrence_turns_its_entry_into_the_sessions(self, api: Api, clock: FakeClock) -> None:
        publish_therapist(api)
        reserve(clock)
        session_id = session_at(api, (RESERVED_FIRST + timedelta(weeks=1)).isoformat())
        found = events(read_feed(api, address(api)))
        held = weeks_from(RESERVED_FIRST)
        assert set(found) == {held[0], f"{session_id}@example.com", held[2]}

    def test_a_deleted_reservations_occurrences_are_cancelled_until_past_days_after(
        self, api: Api, clock: FakeClock
    ) -> None:
        # Given a reservation in the feed
        publish_therapist(api)
        reserve(clock)
        url = address(api)
        held = events(read_feed(api, url))

        # When the therapist deletes it
        storage = container.storage
        service = ReservationService(
            DynamoReservations(), storage.therapists, storage.clients, clock, container.settings.policy, str
        )
        service.delete(Actor(THERAPIST.sub, frozenset({Role.THERAPIST})), "res-1")

        # Then each occurrence is CANCELLED under the UID it was held under, with a higher SEQUENCE, so
        # subscribed calendars remove it
        found = events(read_feed(api, url))
        assert set(found) == set(held) == set(weeks_from(RESERVED_FIRST))
        for uid, event in found.items():
            assert str(event["STATUS"]) == "CANCELLED"
            assert str(event["SUMMARY"]) == "Released: Session (individual)"
            assert event.decoded("SEQUENCE") > held[uid].decoded("SEQUENCE")

        # And PAST_DAYS after the deletion they are no longer listed (the item expires about then too)
        clock.advance(timedelta(days=PAST_DAYS, hours=1))
        assert events(read_feed(api, url)) == {}

    def test_another_therapists_feed_shows_none_of_the_reservation(self, api: Api, clock: FakeClock) -> None:
        publish_therapist(api)
        publish_therapist(api, OTHER_THERAPIST)
        reserve(clock)
        assert events(read_feed(api, address(api, OTHER_THERAPIST))) == {}
