"""The dashboard's other screens driven in Chromium (as test_dashboard_flows.py): declining, editing a session's time
and location, a free first consultation, availability and blocks, the calendar feed, standing and the admin's audit,
booking by keyboard alone, and a viewer in another time zone. Each new screen is checked with axe-core."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from local_stack import demo
from tests.local_stack.running_stack import Http, Reply, StackProcess
from tests.web.support import (
    ZONE,
    Demo,
    day_label,
    first_clear_time,
    instant,
    open_day,
    open_session,
    slot_input,
    status_of,
)

pytestmark = pytest.mark.browser

SignIn = Callable[..., Page]
Violations = Callable[[Page], list[dict[str, Any]]]
Screenshot = Callable[[Page, str], Any]

CONSULTING_ROOM = "In person: 1 Demo Street, London W1G 9QD"
WEEKLY_WINDOWS = len(cast(list[Any], demo.AVAILABILITY["weekly"]))
TAB_LIMIT = 60  # more Tab presses than any screen has controls before the one wanted


def booking_page(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/app/#/therapists/{demo.THERAPIST.sub}")
    expect(page.get_by_role("heading", name="Book with Dr Demo Therapist")).to_be_visible()


def fact(page: Page, term: str) -> Locator:
    """The value (dd) of a session's fact (dt), as a reader of the details list sees it."""
    return page.locator(f'dl.facts dt:text-is("{term}") + dd')


def money(reply_money: dict[str, Any]) -> str:
    assert reply_money["currency"] == "GBP", reply_money
    return f"£{reply_money['amount'] / 100:.2f}"


def wall_clock(start: str, zone: str) -> datetime:
    return instant(start).astimezone(ZoneInfo(zone))


def fetch(url: str) -> Reply:
    """A GET of an absolute address, as a calendar app subscribed to it would make (no sign-in)."""
    return Http("").get(url)


def focused(locator: Locator) -> bool:
    result: bool = locator.evaluate("(element) => element === document.activeElement")
    return result


def tab_to(page: Page, locator: Locator) -> None:
    """Tab (only the keyboard) until `locator` has the focus."""
    expect(locator).to_be_visible()
    for _ in range(TAB_LIMIT):
        if focused(locator):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{locator} never got the focus by tabbing")


class TestTherapistDeclines:
    def test_the_client_sees_the_booking_declined_with_the_reason(
        self,
        scene: Demo,
        sign_in: SignIn,
        web_stack: StackProcess,
        screenshot: Screenshot,
        serious_violations: Violations,
    ) -> None:
        reason = "I am not taking new clients for this kind of work, sorry."
        # Given a new booking waiting for the therapist's answer
        booked = scene.book(scene.bookable_start())
        therapist = sign_in("therapist")
        open_session(therapist, web_stack.base_url, booked["session_id"])

        # When the therapist declines it, giving a reason
        therapist.get_by_role("button", name="Decline", exact=True).click()
        therapist.get_by_label("Reason (optional, the client sees it)").fill(reason)
        assert serious_violations(therapist) == []
        therapist.get_by_role("button", name="Decline session").click()

        # Then the therapist sees it declined, with nothing left to answer
        expect(status_of(therapist)).to_have_text("Declined")
        expect(therapist.get_by_role("button", name="Confirm session")).to_have_count(0)

        # And the client sees it declined in their sessions and, opening it, the therapist's reason
        client = sign_in("client")
        client.get_by_role("link", name="My sessions").click()
        row = client.get_by_test_id("session-row")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Declined")
        row.get_by_role("link").click()
        expect(status_of(client)).to_have_text("Declined")
        expect(fact(client, "Reason")).to_have_text(reason)
        expect(client.get_by_role("button", name="Cancel session")).to_have_count(0)
        assert serious_violations(client) == []
        screenshot(client, "client-declined")


class TestTherapistCancels:
    def test_the_therapist_is_told_the_refund_and_their_streak_before_confirming(
        self,
        scene: Demo,
        sign_in: SignIn,
        web_stack: StackProcess,
        screenshot: Screenshot,
        serious_violations: Violations,
    ) -> None:
        # Given a confirmed session and a therapist who has already cancelled two in a row
        for _ in range(2):
            earlier = scene.therapist_does(scene.book(scene.bookable_start())["session_id"], "confirm")
            scene.therapist_does(earlier["session_id"], "cancel")
        booked = scene.book(scene.bookable_start())
        scene.therapist_does(booked["session_id"], "confirm")
        therapist = sign_in("therapist")
        open_session(therapist, web_stack.base_url, booked["session_id"])

        # When they ask to cancel it
        therapist.get_by_role("button", name="Cancel session").click()

        # Then they are told the client is refunded in full and that a third cancellation in a row flags them
        terms = therapist.get_by_test_id("cancellation-terms")
        expect(terms).to_contain_text("The client is refunded £60.00 (the full fee)")
        expect(therapist.get_by_test_id("streak-outlook")).to_contain_text("number 3 in a row")
        expect(therapist.get_by_test_id("streak-outlook")).to_contain_text("flagged")
        assert serious_violations(therapist) == []
        screenshot(therapist, "therapist-cancellation-terms")

        # When they confirm
        therapist.get_by_role("button", name="Confirm cancellation").click()

        # Then the session is cancelled with the full fee back to the client, and their standing shows the flag
        expect(status_of(therapist)).to_have_text("Cancelled")
        expect(fact(therapist, "Refund to the client")).to_have_text("£60.00")
        therapist.get_by_role("link", name="Standing").click()
        expect(therapist.get_by_text("(flagged: ranked lower)")).to_be_visible()


class TestTherapistEditsTheTime:
    def test_the_reason_is_asked_first_and_a_client_requested_move_reaches_the_client(
        self,
        scene: Demo,
        sign_in: SignIn,
        web_stack: StackProcess,
        screenshot: Screenshot,
        serious_violations: Violations,
    ) -> None:
        # Given a confirmed session
        booked = scene.book(scene.bookable_start())
        scene.therapist_does(booked["session_id"], "confirm")
        therapist = sign_in("therapist")
        open_session(therapist, web_stack.base_url, booked["session_id"])

        # When the therapist edits its date and time
        therapist.get_by_role("button", name="Edit date/time").click()

        # Then they are asked why before any time is offered to them
        expect(therapist.get_by_role("group", name="Why are you changing the time?")).to_be_visible()
        expect(therapist.locator(".slot-picker")).to_have_count(0)
        expect(therapist.get_by_role("button", name="Move the session")).to_have_count(0)
        assert serious_violations(therapist) == []

        # When the reason is their own (they can no longer make the time)
        therapist.get_by_label("I can no longer make this time").check()

        # Then they are advised to offer alternatives, and no new time can be picked
        expect(therapist.get_by_text("When you can't make a time, offer the client alternatives")).to_be_visible()
        expect(therapist.locator(".slot-picker")).to_have_count(0)
        assert serious_violations(therapist) == []
        screenshot(therapist, "therapist-reschedule-own-reasons")

        # When they follow the advice
        therapist.get_by_role("button", name="Offer alternatives instead").click()

        # Then the picker of alternatives opens
        picker = therapist.get_by_role("group", name=re.compile(r"^Alternative times on .* \(up to 5\)$"))
        expect(picker).to_be_visible()
        expect(picker.get_by_role("checkbox").first).to_be_visible()
        expect(therapist.locator('button[aria-expanded="true"]')).to_have_text("Offer alternatives")
        assert serious_violations(therapist) == []

        # When instead they edit the time because the client asked for another one, and choose a new time
        therapist.get_by_role("button", name="Edit date/time").click()
        therapist.get_by_label("The client asked for another time").check()
        new_time = first_clear_time(therapist, scene)
        new_start = new_time.get_attribute("value")
        assert new_start is not None and new_start != booked["start"]
        new_time.check()
        assert serious_violations(therapist) == []
        therapist.get_by_role("button", name="Move the session").click()

        # Then the session is confirmed at the new time
        expect(therapist.locator("dd time").first).to_have_attribute("datetime", new_start)
        expect(status_of(therapist)).to_have_text("Confirmed")

        # And the client sees it at the new time, confirmed, and why it moved
        client = sign_in("client")
        open_session(client, web_stack.base_url, booked["session_id"])
        expect(status_of(client)).to_have_text("Confirmed")
        expect(client.locator("dd time").first).to_have_attribute("datetime", new_start)
        expect(client.get_by_role("region", name="History")).to_contain_text("rescheduled by therapist")
        assert serious_violations(client) == []
        screenshot(client, "client-rescheduled")

        # And the old time is free again on the client's booking page, the new one is not
        booking_page(client, web_stack.base_url)
        open_day(client, booked["start"])
        expect(slot_input(client, booked["start"])).to_have_count(1)
        open_day(client, new_start)
        expect(slot_input(client, new_start)).to_have_count(0)


class TestTherapistEditsTheLocation:
    def test_for_their_own_reasons_the_client_has_to_agree_before_the_countdown_ends(
        self,
        scene: Demo,
        sign_in: SignIn,
        web_stack: StackProcess,
        screenshot: Screenshot,
        serious_violations: Violations,
    ) -> None:
        # Given a confirmed session online
        booked = scene.book(scene.bookable_start(), location_id="video")
        scene.therapist_does(booked["session_id"], "confirm")
        therapist = sign_in("therapist")
        open_session(therapist, web_stack.base_url, booked["session_id"])
        expect(fact(therapist, "Location")).to_have_text("Join online")

        # When the therapist moves it to the consulting room for their own reasons
        therapist.get_by_role("button", name="Edit location").click()
        therapist.get_by_label("New location").select_option(label=CONSULTING_ROOM)
        therapist.get_by_label(re.compile(r"^I can no longer offer this location")).check()
        assert serious_violations(therapist) == []
        therapist.get_by_role("button", name="Change the location").click()

        # Then the therapist sees the change waiting for the client, with the client's time to answer
        expect(status_of(therapist)).to_have_text("Location change to agree")
        expect(therapist.get_by_role("heading", name="Location change asked")).to_be_visible()
        expect(therapist.get_by_test_id("countdown")).to_contain_text("left")
        expect(fact(therapist, "Location")).to_have_text("Join online")

        # And the client is asked, with a countdown of about a day
        client = sign_in("client")
        open_session(client, web_stack.base_url, booked["session_id"])
        expect(status_of(client)).to_have_text("Location change to agree")
        asked = client.get_by_role("region", name="Location change")
        expect(asked).to_contain_text("New location: in person, 1 Demo Street, London W1G 9QD")
        expect(client.get_by_test_id("countdown")).to_contain_text(re.compile(r"\((2[34] h \d+ min) left\)"))
        assert serious_violations(client) == []
        screenshot(client, "client-location-change")

        # When the client agrees
        client.get_by_role("button", name="Agree to the new location").click()

        # Then the session is confirmed at the consulting room, for both
        expect(status_of(client)).to_have_text("Confirmed")
        expect(fact(client, "Location")).to_have_text(CONSULTING_ROOM)
        expect(client.get_by_role("button", name="Agree to the new location")).to_have_count(0)
        therapist.reload()
        expect(status_of(therapist)).to_have_text("Confirmed")
        expect(fact(therapist, "Location")).to_have_text(CONSULTING_ROOM)

    def test_a_change_the_client_asked_for_applies_at_once(
        self,
        scene: Demo,
        sign_in: SignIn,
        web_stack: StackProcess,
        serious_violations: Violations,
    ) -> None:
        # Given a confirmed session online
        booked = scene.book(scene.bookable_start(), location_id="video")
        scene.therapist_does(booked["session_id"], "confirm")
        therapist = sign_in("therapist")
        open_session(therapist, web_stack.base_url, booked["session_id"])

        # When the therapist changes it to a phone session because the client asked
        therapist.get_by_role("button", name="Edit location").click()
        therapist.get_by_label("New location").select_option(label="Phone")
        therapist.get_by_label("The client asked for another place").check()
        therapist.get_by_role("button", name="Change the location").click()

        # Then it is confirmed by phone at once, with nothing for the client to agree to
        expect(fact(therapist, "Location")).to_have_text("By phone")
        expect(status_of(therapist)).to_have_text("Confirmed")
        client = sign_in("client")
        open_session(client, web_stack.base_url, booked["session_id"])
        expect(status_of(client)).to_have_text("Confirmed")
        expect(fact(client, "Location")).to_have_text("By phone")
        expect(client.get_by_role("button", name="Agree to the new location")).to_have_count(0)
        assert serious_violations(client) == []


class TestFreeInitialConsultation:
    def test_the_first_is_free_and_a_second_with_the_same_therapist_is_refused(
        self,
        scene: Demo,
        sign_in: SignIn,
        web_stack: StackProcess,
        screenshot: Screenshot,
        serious_violations: Violations,
    ) -> None:
        # Given the client on the booking page of a therapist who offers a free first consultation
        client = sign_in("client")
        booking_page(client, web_stack.base_url)
        consultation = client.get_by_label("This is my free first consultation (one per therapist)")

        # When they tick it and book a time
        consultation.check()
        first_clear_time(client, scene).check()
        assert serious_violations(client) == []
        client.get_by_role("button", name="Book this time").click()

        # Then the session is the free initial consultation, at the fee the API charges for it (nothing)
        expect(status_of(client)).to_have_text("Awaiting the therapist")
        session_id = client.evaluate("() => decodeURIComponent(window.location.hash.split('/')[2])")
        booked = scene.session(session_id)
        assert booked["initial_consultation"] is True
        assert booked["price"] == {"amount": 0, "currency": "GBP"}
        expect(fact(client, "Type")).to_have_text("individual (free initial consultation)")
        expect(fact(client, "Fee")).to_have_text(money(booked["price"]))
        expect(fact(client, "Fee")).to_have_text("£0.00")
        assert serious_violations(client) == []
        screenshot(client, "client-free-consultation")

        # When they try a second free consultation with the same therapist
        booking_page(client, web_stack.base_url)
        client.get_by_label("This is my free first consultation (one per therapist)").check()
        second = first_clear_time(client, scene)
        second_start = second.get_attribute("value")
        assert second_start is not None
        second.check()
        client.get_by_role("button", name="Book this time").click()

        # Then the API's explanation is shown in an alert, and nothing more is booked
        alert = client.get_by_role("alert")
        expect(alert).to_be_visible()
        body = {
            "therapist_id": demo.THERAPIST.sub,
            "start": second_start,
            "session_type": "individual",
            "location_id": "video",
            "attendees": ["Demo Client"],
            "initial_consultation": True,
        }
        refused = scene.http.post("/sessions", body, token=scene.client)
        assert refused.status == 409, refused.body
        assert refused.json()["code"] == "free_consultation_used"
        expect(alert).to_have_text(refused.json()["detail"])
        expect(client.get_by_role("heading", name="Book with Dr Demo Therapist")).to_be_visible()
        assert serious_violations(client) == []
        screenshot(client, "client-second-free-consultation-refused")
        own = scene.http.get("/sessions", token=scene.client).json()["items"]
        assert [session["session_id"] for session in own] == [session_id]


class TestAvailability:
    def test_without_the_friday_window_the_client_has_no_friday_times(
        self,
        scene: Demo,
        sign_in: SignIn,
        web_stack: StackProcess,
        screenshot: Screenshot,
        serious_violations: Violations,
    ) -> None:
        # Given a Friday among the therapist's free times, on the client's booking page
        fridays = [start for start in scene.free_starts() if wall_clock(start, ZONE).strftime("%a") == "Fri"]
        assert fridays, "two weeks of free times always hold a Friday"
        client = sign_in("client")
        booking_page(client, web_stack.base_url)
        days = client.get_by_label("Day", exact=True).locator("option")
        expect(days.filter(has_text=day_label(client, fridays[0]))).to_have_count(1)

        # When the therapist removes the Friday window from their weekly hours and saves
        therapist = sign_in("therapist")
        therapist.get_by_role("link", name="Availability").click()
        windows = therapist.get_by_label(re.compile(r"^Day of window \d+$"))
        expect(windows).to_have_count(WEEKLY_WINDOWS)
        assert serious_violations(therapist) == []
        friday = [window.input_value() for window in windows.all()].index("fri") + 1
        therapist.get_by_role("button", name=f"Remove window {friday}").click()
        expect(windows).to_have_count(WEEKLY_WINDOWS - 1)
        assert "fri" not in [window.input_value() for window in windows.all()]
        therapist.get_by_role("button", name="Save availability").click()

        # Then it is saved
        expect(therapist.get_by_role("status")).to_have_text("Availability saved.")
        assert serious_violations(therapist) == []
        screenshot(therapist, "therapist-availability")
        therapist.reload()
        expect(windows).to_have_count(WEEKLY_WINDOWS - 1)

        # And the client's booking page has days to choose from, none of them a Friday
        client.reload()
        expect(client.locator(".slot-picker input[type=radio]").first).to_be_visible()
        expect(days.filter(has_text="Friday")).to_have_count(0)
        assert days.count() > 0
        assert not [start for start in scene.free_starts() if wall_clock(start, ZONE).strftime("%a") == "Fri"]

    def test_a_block_shows_in_the_calendar_and_takes_its_times_from_the_client(
        self,
        scene: Demo,
        sign_in: SignIn,
        web_stack: StackProcess,
        screenshot: Screenshot,
        serious_violations: Violations,
    ) -> None:
        # Given a full day of free times (the second day with any: the first may be cut short by the notice)
        by_day: dict[str, list[str]] = {}
        for start in scene.clear_starts():
            by_day.setdefault(wall_clock(start, ZONE).date().isoformat(), []).append(start)
        day = by_day[sorted(by_day)[1]]
        blocked, kept = day[1:3], day[3]
        block_from = wall_clock(blocked[0], ZONE)
        block_until = block_from + timedelta(hours=2)
        assert instant(kept) >= block_until

        # When the therapist blocks two hours of it on the Availability screen
        therapist = sign_in("therapist")
        therapist.get_by_role("link", name="Availability").click()
        expect(therapist.get_by_text("No blocks ahead.")).to_be_visible()
        therapist.get_by_label("Block from").fill(block_from.strftime("%Y-%m-%dT%H:%M"))
        therapist.get_by_label("until", exact=True).fill(block_until.strftime("%Y-%m-%dT%H:%M"))
        therapist.get_by_label("Note (private)").fill("Dentist")
        therapist.get_by_role("button", name="Add block").click()

        # Then the block is listed there
        listed = therapist.get_by_role("region", name="Blocks").get_by_role("listitem")
        expect(listed).to_have_count(1)
        expect(listed.locator("time").first).to_have_attribute("datetime", blocked[0])
        expect(listed).to_contain_text("Dentist")
        assert serious_violations(therapist) == []

        # And it shows in the therapist's calendar
        therapist.get_by_role("link", name="Calendar", exact=True).click()
        block = therapist.get_by_test_id("agenda-block")
        expect(block).to_have_count(1)
        expect(block.locator("time").first).to_have_attribute("datetime", blocked[0])
        expect(block).to_contain_text("Blocked: Dentist")
        assert serious_violations(therapist) == []
        screenshot(therapist, "therapist-calendar-block")

        # And the client cannot choose the blocked times any more; the time after the block is still free
        client = sign_in("client")
        booking_page(client, web_stack.base_url)
        open_day(client, blocked[0])
        expect(slot_input(client, kept)).to_have_count(1)
        for start in blocked:
            expect(slot_input(client, start)).to_have_count(0)


class TestCalendarFeed:
    def test_the_feed_address_answers_icalendar_and_a_replaced_one_is_gone(
        self,
        scene: Demo,
        sign_in: SignIn,
        web_stack: StackProcess,
        screenshot: Screenshot,
        serious_violations: Violations,
    ) -> None:
        # Given a therapist with a confirmed session, on their calendar connection screen
        booked = scene.book(scene.bookable_start())
        scene.therapist_does(booked["session_id"], "confirm")
        therapist = sign_in("therapist")
        therapist.get_by_role("link", name="Calendar connection").click()
        expect(therapist.get_by_text("No calendar connected.")).to_be_visible()
        assert serious_violations(therapist) == []

        # When they ask for their feed address
        therapist.get_by_role("button", name="Show my feed address").click()

        # Then an address is shown that a calendar app can read: iCalendar, with the session in it
        address = therapist.get_by_label("Your feed address")
        expect(address).to_have_value(re.compile(r"^https?://.+\.ics$"))
        first = address.input_value()
        feed = fetch(first)
        assert feed.status == 200, feed.body
        assert feed.headers["content-type"].startswith("text/calendar"), feed.headers
        assert feed.body.startswith(b"BEGIN:VCALENDAR")
        assert b"BEGIN:VEVENT" in feed.body
        assert serious_violations(therapist) == []
        screenshot(therapist, "therapist-calendar-feed")

        # When they replace the address
        therapist.get_by_role("button", name="Replace the address").click()

        # Then another address is shown, which answers, and the old one answers 404
        expect(address).not_to_have_value(first)
        expect(address).to_have_value(re.compile(r"^https?://.+\.ics$"))
        second = address.input_value()
        replaced = fetch(second)
        assert replaced.status == 200, replaced.body
        assert replaced.headers["content-type"].startswith("text/calendar"), replaced.headers
        assert fetch(first).status == 404


class TestStandingAndAdministration:
    def test_the_therapist_sees_their_rank_score(
        self,
        scene: Demo,
        sign_in: SignIn,
        serious_violations: Violations,
    ) -> None:
        # Given the therapist's standing as the API computes it
        standing = scene.http.get("/therapists/me/standing", token=scene.therapist).json()

        # When the therapist opens their standing
        therapist = sign_in("therapist")
        therapist.get_by_role("link", name="Standing").click()
        expect(therapist.get_by_role("heading", name="Your standing")).to_be_visible()

        # Then they see the rank score and what it is made of
        score = fact(therapist, "Rank score")
        expect(score).to_contain_text(f"{standing['rank_score']:.3f}")
        for name, factor in (("response time", "response_time"), ("cancellations", "cancellations")):
            expect(score).to_contain_text(f"{name} {standing['rank_factors'][factor]:.3f}")
        expect(fact(therapist, "Cancellations in a row")).to_have_text(str(standing["cancellation_streak"]))
        assert serious_violations(therapist) == []

    def test_the_admin_opens_a_session_and_sees_their_read_in_the_audit(
        self,
        scene: Demo,
        sign_in: SignIn,
        screenshot: Screenshot,
        serious_violations: Violations,
    ) -> None:
        # Given a booking, and the admin's desk
        booked = scene.book(scene.bookable_start())
        admin = sign_in("admin")
        expect(admin.get_by_role("heading", name="Administration")).to_be_visible()
        assert serious_violations(admin) == []

        # When the admin opens the session by its id
        admin.get_by_label("Session id").fill(booked["session_id"])
        admin.get_by_role("button", name="Open session").click()

        # Then they see it, with nothing to act on
        expect(admin.get_by_role("heading", level=1)).to_contain_text("Session on")
        expect(status_of(admin)).to_have_text("Awaiting the therapist")
        expect(admin.locator("dd time").first).to_have_attribute("datetime", booked["start"])
        expect(admin.get_by_role("region", name="Actions")).to_have_count(0)
        assert serious_violations(admin) == []

        # When they go back and ask who read it
        admin.get_by_role("link", name="Administration").click()
        admin.get_by_label("Session id").fill(booked["session_id"])
        admin.get_by_role("button", name="Show who read it").click()

        # Then their own read is listed, and nobody else's
        entries = admin.get_by_role("list", name="Audit entries").get_by_role("listitem")
        expect(entries.first).to_contain_text(f"{demo.ADMIN.sub} session.read")
        assert all(demo.ADMIN.sub in entry for entry in entries.all_inner_texts())
        assert serious_violations(admin) == []
        screenshot(admin, "admin-audit")


class TestKeyboardOnly:
    def test_the_client_books_a_time_with_the_keyboard_alone(
        self,
        scene: Demo,
        sign_in: SignIn,
        web_stack: StackProcess,
        serious_violations: Violations,
    ) -> None:
        # Given the signed-in client on the listing, and a free time clear of the notice edge
        client = sign_in("client")
        expect(client.get_by_role("heading", name="Find a therapist")).to_be_visible()
        wanted = scene.bookable_start()

        # When they tab to the therapist's link and follow it with Enter
        tab_to(client, client.get_by_role("link", name="See times and book with Dr Demo Therapist"))
        client.keyboard.press("Enter")
        expect(client.get_by_role("heading", name="Book with Dr Demo Therapist")).to_be_visible()
        expect(client.locator(".slot-picker input[type=radio]").first).to_be_visible()

        # And choose the day with the arrow keys
        days = client.get_by_label("Day", exact=True)
        labels = days.locator("option").all_inner_texts()
        day = labels.index(day_label(client, wanted))
        tab_to(client, days)
        for _ in range(day):
            client.keyboard.press("ArrowDown")
        expect(days).to_have_value(str(day))

        # And the time: Tab into the times, Space on the first, arrow keys to the one wanted
        times = client.locator(".slot-picker input[type=radio]")
        expect(times.first).to_be_visible()
        starts = [radio.get_attribute("value") for radio in times.all()]
        tab_to(client, times.first)
        client.keyboard.press("Space")
        for _ in range(starts.index(wanted)):
            client.keyboard.press("ArrowRight")
        chosen = slot_input(client, wanted)
        expect(chosen).to_be_checked()
        assert focused(chosen)

        # And tab to the booking button, which shows it has the focus, and press Enter
        book = client.get_by_role("button", name="Book this time")
        tab_to(client, book)
        outline = book.evaluate("(element) => getComputedStyle(element).outlineStyle")
        assert outline != "none", "the focused button shows no focus"
        assert serious_violations(client) == []
        client.keyboard.press("Enter")

        # Then the time they chose is booked, awaiting the therapist
        expect(status_of(client)).to_have_text("Awaiting the therapist")
        expect(client.locator("dd time").first).to_have_attribute("datetime", wanted)


class TestAViewerInAnotherZone:
    @pytest.mark.parametrize(
        ("zone", "names"), [("America/New_York", ("EST", "EDT")), ("Europe/London", ("GMT", "BST"))]
    )
    def test_the_booking_page_names_the_zone_and_shows_its_wall_times(
        self,
        scene: Demo,
        sign_in: SignIn,
        web_stack: StackProcess,
        screenshot: Screenshot,
        serious_violations: Violations,
        zone: str,
        names: tuple[str, str],
    ) -> None:
        # Given the client's browser in `zone`
        client = sign_in("client", timezone_id=zone)

        # When they open the therapist's booking page
        booking_page(client, web_stack.base_url)

        # Then the page says which zone its times are in
        expect(client.locator(".zone-note")).to_have_text(f"Times are shown in your time zone, {zone}.")

        # And the free times are the zone's wall times, each with the zone's own name for it
        start = scene.bookable_start()
        open_day(client, start)
        local = wall_clock(start, zone)
        assert local.tzname() in names
        slot = client.locator(".slot-picker label.slot", has=client.locator(f'input[value="{start}"]'))
        expect(slot).to_have_text(f"{local:%H:%M} {local.tzname()}")
        assert serious_violations(client) == []
        screenshot(client, f"client-booking-{zone.replace('/', '-')}")
