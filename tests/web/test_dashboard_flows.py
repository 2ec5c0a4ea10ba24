"""The reference dashboard (web/, served at /app) driven in Chromium against `make run`'s stack: the seeds' flows
clicked through as a therapist and as a client, each screen checked with axe-core, the final screens kept as
screenshots under web/test-results/."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from local_stack import demo
from tests.local_stack.running_stack import StackProcess
from tests.web.support import Demo, day_label, first_clear_time, instant, open_day, open_session, slot_input, status_of

pytestmark = pytest.mark.browser


class TestTherapistConfirmsANewBooking:
    def test_the_client_books_by_clicking_and_the_therapist_confirms_from_new_enquiries(
        self,
        scene: Demo,
        sign_in: Callable[[str], Page],
        web_stack: StackProcess,
        screenshot: Callable[[Page, str], None],
        serious_violations: Callable[[Page], list[dict[str, Any]]],
    ) -> None:
        # Given the demo client on the listing
        client = sign_in("client")
        expect(client.get_by_role("heading", name="Find a therapist")).to_be_visible()
        assert serious_violations(client) == []

        # When they open the therapist, take the first free time shown and book it
        client.get_by_role("link", name="See times and book with Dr Demo Therapist").click()
        first = first_clear_time(client, scene)
        start = first.get_attribute("value")
        assert start is not None
        assert serious_violations(client) == []
        first.check()
        screenshot(client, "client-booking")
        client.get_by_role("button", name="Book this time").click()

        # Then they see the session waiting for the therapist
        expect(status_of(client)).to_have_text("Awaiting the therapist")

        # When the therapist opens it from their new enquiries and confirms it
        therapist = sign_in("therapist")
        expect(therapist.get_by_role("heading", name="New enquiries")).to_be_visible()
        row = therapist.get_by_test_id("session-row")
        expect(row).to_have_count(1)
        expect(row.locator("time").first).to_have_attribute("datetime", start)
        assert serious_violations(therapist) == []
        screenshot(therapist, "therapist-new-enquiries")
        row.get_by_role("link").click()
        therapist.get_by_role("button", name="Confirm session").click()

        # Then both see it confirmed, and the enquiry is gone from the list
        expect(status_of(therapist)).to_have_text("Confirmed")
        assert serious_violations(therapist) == []
        screenshot(therapist, "therapist-confirmed-session")
        client.reload()
        expect(status_of(client)).to_have_text("Confirmed")
        therapist.get_by_role("link", name="New enquiries").click()
        expect(therapist.get_by_text("No new enquiries.")).to_be_visible()


class TestAlternativesOfferedAndAccepted:
    def test_two_alternatives_are_held_then_the_one_not_chosen_is_released(
        self,
        scene: Demo,
        sign_in: Callable[[str], Page],
        web_stack: StackProcess,
        screenshot: Callable[[Page, str], None],
        serious_violations: Callable[[Page], list[dict[str, Any]]],
    ) -> None:
        # Given a booking the therapist cannot make
        booked = scene.book(scene.bookable_start())
        therapist = sign_in("therapist")
        open_session(therapist, web_stack.base_url, booked["session_id"])

        # When the therapist picks two free times of one day and offers them
        therapist.get_by_role("button", name="Offer alternatives").click()
        offered = scene.two_on_a_busy_day(besides=booked["start"])
        expect(therapist.locator(".slot-picker input[type=checkbox]").first).to_be_visible()
        open_day(therapist, offered[0])
        for start in offered:
            slot_input(therapist, start).check()
        assert serious_violations(therapist) == []
        therapist.get_by_role("button", name="Offer 2 alternatives").click()

        # Then the session shows the offer, and the therapist's calendar shows both times held
        expect(status_of(therapist)).to_have_text("Alternative times offered")
        expect(therapist.get_by_test_id("held-alternatives").locator("li")).to_have_count(2)
        therapist.get_by_role("link", name="Calendar", exact=True).click()
        held = therapist.get_by_test_id("agenda-held")
        expect(held).to_have_count(2)
        held_starts = [t.get_attribute("datetime") or "" for t in held.locator("time:first-child").all()]
        assert sorted(held_starts) == sorted(offered)
        screenshot(therapist, "therapist-calendar-held")

        # And the client does not see them among the therapist's free times
        client = sign_in("client")
        client.goto(f"{web_stack.base_url}/app/#/therapists/{demo.THERAPIST.sub}")
        open_day(client, offered[0])
        expect(slot_input(client, offered[0])).to_have_count(0)
        expect(slot_input(client, offered[1])).to_have_count(0)

        # When the client opens their session and accepts the second time
        open_session(client, web_stack.base_url, booked["session_id"])
        expect(client.get_by_test_id("countdown")).to_contain_text("left")
        assert serious_violations(client) == []
        client.get_by_role("radio").nth(1).check()
        screenshot(client, "client-offer")
        client.get_by_role("button", name="Accept this time").click()

        # Then the client sees it confirmed at that time
        expect(status_of(client)).to_have_text("Confirmed")
        expect(client.locator("dd time").first).to_have_attribute("datetime", offered[1])
        screenshot(client, "client-accepted-alternative")

        # And the time not chosen is free again for them, the chosen one is not
        client.goto(f"{web_stack.base_url}/app/#/therapists/{demo.THERAPIST.sub}")
        open_day(client, offered[0])
        expect(slot_input(client, offered[0])).to_have_count(1)
        expect(slot_input(client, offered[1])).to_have_count(0)

        # And the therapist's calendar holds nothing any more: the session sits at the accepted time
        therapist.reload()
        expect(therapist.get_by_test_id("agenda-session")).to_have_count(1)
        expect(therapist.get_by_test_id("agenda-held")).to_have_count(0)
        expect(therapist.get_by_test_id("agenda-session").locator("time").first).to_have_attribute(
            "datetime", offered[1]
        )
        screenshot(therapist, "therapist-calendar-after-acceptance")


class TestAnOfferLeftUnanswered:
    def test_after_24_hours_both_see_it_expired(
        self,
        scene: Demo,
        sign_in: Callable[[str], Page],
        web_stack: StackProcess,
        screenshot: Callable[[Page, str], None],
        serious_violations: Callable[[Page], list[dict[str, Any]]],
    ) -> None:
        # Given alternatives offered to the client
        booked = scene.book(scene.bookable_start())
        alternatives = [{"start": start} for start in scene.two_on_a_busy_day(besides=booked["start"])]
        scene.therapist_does(booked["session_id"], "offers", {"alternatives": alternatives})
        client = sign_in("client")
        open_session(client, web_stack.base_url, booked["session_id"])
        expect(client.get_by_role("button", name="Accept this time")).to_be_visible()

        # When a day passes without an answer
        scene.advance(24 * 3600 + 60)

        # Then the client sees the offer expired and the session cancelled, with nothing left to accept
        client.reload()
        expect(client.get_by_test_id("expired-notice")).to_contain_text("expired")
        expect(status_of(client)).to_have_text("Cancelled")
        expect(client.get_by_role("button", name="Accept this time")).to_have_count(0)
        assert serious_violations(client) == []
        screenshot(client, "client-offer-expired")

        # And so does the therapist
        therapist = sign_in("therapist")
        open_session(therapist, web_stack.base_url, booked["session_id"])
        expect(therapist.get_by_test_id("expired-notice")).to_contain_text("expired")
        expect(status_of(therapist)).to_have_text("Cancelled")
        screenshot(therapist, "therapist-offer-expired")


class TestLateCancellationByTheClient:
    def test_the_client_is_told_there_is_no_refund_before_confirming_and_gets_none(
        self,
        scene: Demo,
        sign_in: Callable[[str], Page],
        web_stack: StackProcess,
        screenshot: Callable[[Page, str], None],
        serious_violations: Callable[[Page], list[dict[str, Any]]],
    ) -> None:
        # Given a confirmed session that is now less than a day away
        booked = scene.book(scene.bookable_start())
        scene.therapist_does(booked["session_id"], "confirm")
        until = instant(booked["start"]) - scene.now() - timedelta(hours=2)
        scene.advance(int(until.total_seconds()))

        # When the client opens it from their sessions and asks to cancel
        client = sign_in("client")
        client.get_by_role("link", name="My sessions").click()
        client.get_by_test_id("session-row").get_by_role("link").click()
        client.get_by_role("button", name="Cancel session").click()

        # Then they are told before confirming that there is no refund
        terms = client.get_by_test_id("cancellation-terms")
        expect(terms).to_contain_text("No refund")
        assert serious_violations(client) == []
        screenshot(client, "client-cancellation-terms")

        # When they confirm
        client.get_by_role("button", name="Confirm cancellation").click()

        # Then the session is cancelled and the refund shown is nothing
        expect(status_of(client)).to_have_text("Cancelled")
        expect(client.get_by_test_id("refund")).to_have_text("£0.00")
        screenshot(client, "client-late-cancellation")


class TestARefusalThenMoreWork:
    def test_a_time_taken_meanwhile_shows_the_problem_and_another_time_books(
        self,
        scene: Demo,
        sign_in: Callable[[str], Page],
        web_stack: StackProcess,
        serious_violations: Callable[[Page], list[dict[str, Any]]],
    ) -> None:
        # Given the client has chosen the first free time on the booking page
        client = sign_in("client")
        client.goto(f"{web_stack.base_url}/app/#/therapists/{demo.THERAPIST.sub}")
        first = first_clear_time(client, scene)
        taken = first.get_attribute("value")
        assert taken is not None
        first.check()

        # When someone else books it before they click
        other = scene.http.token("another-client", "client")
        assert scene.http.put("/clients/me", {**demo.CLIENT_PROFILE, "name": "Other"}, token=other).status == 200
        body = {
            "therapist_id": demo.THERAPIST.sub,
            "start": taken,
            "session_type": "individual",
            "location_id": "video",
            "attendees": ["Other"],
        }
        assert scene.http.post("/sessions", body, token=other).status == 201
        client.get_by_role("button", name="Book this time").click()

        # Then the API's explanation of the refusal is shown, not a blank screen
        refused = scene.http.post("/sessions", body, token=scene.client)
        assert refused.status == 409 and refused.json()["code"] == "slot_unavailable"
        alert = client.get_by_role("alert")
        expect(alert).to_have_text(refused.json()["detail"])
        assert serious_violations(client) == []

        # When they reload the times and book the next one
        client.reload()
        expect(client.locator(".slot-picker input[type=radio]").first).to_be_visible()
        if client.get_by_label("Day", exact=True).locator("option", has_text=day_label(client, taken)).count():
            open_day(client, taken)
        expect(slot_input(client, taken)).to_have_count(0)
        first_clear_time(client, scene).check()
        client.get_by_role("button", name="Book this time").click()

        # Then it is booked
        expect(status_of(client)).to_have_text("Awaiting the therapist")
