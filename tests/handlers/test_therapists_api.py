"""Therapist and client routes through the real handlers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.api import Api
from tests.support.clock import FakeClock
from tests.support.scenario import (
    CLIENT,
    OTHER_CLIENT,
    OTHER_THERAPIST,
    THERAPIST,
    availability,
    book,
    publish_therapist,
    therapist_profile,
)


class TestTherapistProfile:
    def test_a_therapist_publishes_a_profile_and_sees_it_back(self, api: Api) -> None:
        answer = api.put("/therapists/me", THERAPIST, therapist_profile())
        assert answer.status == 200
        assert answer.body["therapist_id"] == THERAPIST.sub
        assert answer.body["email"] == "ada@example.com" and answer.body["visible"] is True

    def test_the_public_profile_leaves_out_contact_details(self, api: Api) -> None:
        publish_therapist(api)
        public = api.get(f"/therapists/{THERAPIST.sub}", CLIENT)
        assert public.status == 200
        assert "email" not in public.body and "phone" not in public.body
        assert public.body["name"] == "Dr Ada Example" and public.body["accepting_bookings"] is True

    def test_updating_the_profile_keeps_the_availability(self, api: Api) -> None:
        publish_therapist(api)
        api.put("/therapists/me", THERAPIST, therapist_profile(name="Dr Ada Renamed"))
        slots = api.get(
            f"/therapists/{THERAPIST.sub}/slots",
            CLIENT,
            query={"from": "2026-12-02T00:00:00Z", "to": "2026-12-03T00:00:00Z"},
        )
        assert len(slots.body["items"]) == 8

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"timezone": "Mars/Olympus"}, "time zone"),
            ({"email": "not-an-email"}, "email"),
            ({"phone": "07700 900001"}, "phone"),
            ({"locations": [{"id": "x", "kind": "in_person"}]}, "address"),
            ({"locations": [{"id": "x", "kind": "online"}]}, "link"),
            ({"locations": []}, "locations"),
            (
                {
                    "session_types": [
                        {"type": "individual", "duration_minutes": 50, "price": {"amount": 10, "currency": "EUR"}}
                    ]
                },
                "GBP",
            ),
            (
                {
                    "session_types": [
                        {"type": "individual", "duration_minutes": 5, "price": {"amount": 10, "currency": "GBP"}}
                    ]
                },
                "duration_minutes",
            ),
            ({"sms_opt_in": True, "phone": None}, "phone number"),
            ({"country": "ZZ"}, "Unknown country code"),
            ({"country": "GB-XYZ"}, "Unknown subdivision"),
            ({"country": "England"}, "country"),
        ],
    )
    def test_invalid_profiles_are_422_and_change_nothing(self, api: Api, changes: dict[str, Any], message: str) -> None:
        publish_therapist(api)
        answer = api.put("/therapists/me", THERAPIST, therapist_profile(**changes))
        assert answer.status == 422 and message in answer.body["detail"]
        assert api.get(f"/therapists/{THERAPIST.sub}", CLIENT).body["timezone"] == "Europe/London"

    def test_a_country_is_kept_in_its_canonical_form_and_a_missing_one_means_the_platforms(self, api: Api) -> None:
        # Given a therapist in Scotland who writes their country in lower case
        answer = api.put("/therapists/me", THERAPIST, therapist_profile(country="gb-sct"))
        # Then it is kept as the ISO code, and a profile without one says so (the platform's default applies)
        assert (answer.status, answer.body["country"]) == (200, "GB-SCT")
        # And a bare country stays bare (GB means England by default; the profile says what the therapist gave)
        assert api.put("/therapists/me", THERAPIST, therapist_profile(country="gb")).body["country"] == "GB"
        assert api.put("/therapists/me", THERAPIST, therapist_profile()).body["country"] is None

    def test_clients_cannot_publish_therapist_profiles(self, api: Api) -> None:
        assert api.put("/therapists/me", CLIENT, therapist_profile()).status == 403

    def test_overlapping_availability_is_422(self, api: Api) -> None:
        body = availability(
            weekly=[{"day": "mon", "start": "09:00", "end": "12:00"}, {"day": "mon", "start": "11:00", "end": "13:00"}]
        )
        answer = api.put("/therapists/me/availability", THERAPIST, body)
        assert answer.status == 422 and "overlap" in answer.body["detail"]

    @pytest.mark.parametrize(
        "window", [{"day": "someday", "start": "09:00", "end": "10:00"}, {"day": "mon", "start": "9am", "end": "10:00"}]
    )
    def test_malformed_windows_are_422(self, api: Api, window: dict[str, str]) -> None:
        assert api.put("/therapists/me/availability", THERAPIST, availability(weekly=[window])).status == 422


class TestDirectory:
    def test_the_listing_leaves_out_hidden_therapists(self, api: Api) -> None:
        publish_therapist(api)
        publish_therapist(api, OTHER_THERAPIST, visible=False)
        listing = api.get("/therapists", CLIENT)
        assert [t["therapist_id"] for t in listing.body["items"]] == [THERAPIST.sub]
        assert api.get(f"/therapists/{OTHER_THERAPIST.sub}", CLIENT).status == 404
        assert api.get(f"/therapists/{OTHER_THERAPIST.sub}", OTHER_THERAPIST).status == 200

    def test_the_listing_pages_in_a_stable_order(self, api: Api) -> None:
        for n in range(5):
            api.put("/therapists/me", type(THERAPIST)(f"t-{n}", "therapist"), therapist_profile())
        first = api.get("/therapists", CLIENT, query={"limit": "3"}).body
        second = api.get("/therapists", CLIENT, query={"limit": "3", "cursor": first["next_cursor"]}).body
        ids = [t["therapist_id"] for t in first["items"] + second["items"]]
        assert ids == [f"t-{n}" for n in range(5)]

    def test_slots_exclude_booked_time_and_answer_in_utc(self, api: Api) -> None:
        publish_therapist(api)
        book(api)
        window = {"from": "2026-12-02T00:00:00Z", "to": "2026-12-03T00:00:00Z", "session_type": "individual"}
        slots = api.get(f"/therapists/{THERAPIST.sub}/slots", CLIENT, query=window).body["items"]
        assert [s["start"] for s in slots][:2] == ["2026-12-02T09:00:00Z", "2026-12-02T11:00:00Z"]
        assert slots[0]["end"] == "2026-12-02T09:50:00Z"

    def test_slots_follow_the_clock_change(self, api: Api, clock: FakeClock) -> None:
        # Given a London therapist working 09:00-17:00 on weekdays, looking from before the spring change
        clock.set(clock.now().replace(year=2026, month=3, day=20))
        publish_therapist(api)
        window = {"from": "2026-03-27T00:00:00Z", "to": "2026-03-31T00:00:00Z"}
        slots = api.get(f"/therapists/{THERAPIST.sub}/slots", CLIENT, query=window).body["items"]
        # Then Friday's first slot is 09:00 GMT and Monday's is 09:00 BST (08:00 UTC)
        assert slots[0]["start"] == "2026-03-27T09:00:00Z"
        assert next(s["start"] for s in slots if s["start"].startswith("2026-03-30")) == "2026-03-30T08:00:00Z"

    @pytest.mark.parametrize(
        "query", [{"from": "2026-12-02"}, {"from": "2026-12-02T00:00:00"}, {"session_type": "group"}]
    )
    def test_bad_slot_queries_are_422(self, api: Api, query: dict[str, str]) -> None:
        publish_therapist(api)
        assert api.get(f"/therapists/{THERAPIST.sub}/slots", CLIENT, query=query).status == 422


class TestBlocks:
    def test_a_block_hides_slots_until_deleted(self, api: Api) -> None:
        publish_therapist(api)
        window = {"from": "2026-12-02T00:00:00Z", "to": "2026-12-03T00:00:00Z"}
        created = api.post(
            "/therapists/me/blocks",
            THERAPIST,
            {"start": "2026-12-02T09:00:00Z", "end": "2026-12-02T13:00:00Z", "note": "training"},
        )
        assert created.status == 201 and created.body["note"] == "training"
        assert len(api.get(f"/therapists/{THERAPIST.sub}/slots", CLIENT, query=window).body["items"]) == 4
        assert api.delete(f"/therapists/me/blocks/{created.body['block_id']}", THERAPIST).status == 204
        assert len(api.get(f"/therapists/{THERAPIST.sub}/slots", CLIENT, query=window).body["items"]) == 8
        assert api.delete(f"/therapists/me/blocks/{created.body['block_id']}", THERAPIST).status == 404

    def test_a_blocks_note_is_kept_without_leading_and_trailing_spaces_like_every_free_text(self, api: Api) -> None:
        publish_therapist(api)
        created = api.post(
            "/therapists/me/blocks",
            THERAPIST,
            {"start": "2026-12-02T09:00:00Z", "end": "2026-12-02T10:00:00Z", "note": " \t training day \n"},
        )
        assert created.status == 201 and created.body["note"] == "training day"

    def test_a_block_over_a_session_is_409(self, api: Api) -> None:
        publish_therapist(api)
        book(api)
        answer = api.post(
            "/therapists/me/blocks", THERAPIST, {"start": "2026-12-02T10:30:00Z", "end": "2026-12-02T11:00:00Z"}
        )
        assert answer.status == 409 and answer.body["code"] == "slot_unavailable"

    def test_a_booking_into_a_block_is_409(self, api: Api) -> None:
        publish_therapist(api)
        api.post("/therapists/me/blocks", THERAPIST, {"start": "2026-12-02T10:00:00Z", "end": "2026-12-02T11:00:00Z"})
        answer = book(api)
        assert answer.status == 409 and answer.body["code"] == "slot_unavailable"

    def test_blocks_need_aware_ordered_times(self, api: Api) -> None:
        naive = api.post(
            "/therapists/me/blocks", THERAPIST, {"start": "2026-12-02T10:00:00", "end": "2026-12-02T11:00:00Z"}
        )
        backwards = api.post(
            "/therapists/me/blocks", THERAPIST, {"start": "2026-12-02T11:00:00Z", "end": "2026-12-02T10:00:00Z"}
        )
        assert naive.status == 422 and backwards.status == 422


class TestClientProfile:
    def test_a_client_saves_a_profile(self, api: Api) -> None:
        body = {
            "name": "Sam Client",
            "email": "sam@example.com",
            "phone": "+447700900002",
            "sms_opt_in": True,
            "timezone": "Europe/Paris",
        }
        answer = api.put("/clients/me", CLIENT, body)
        assert answer.status == 200 and answer.body == {**body, "client_id": CLIENT.sub}

    def test_therapists_cannot_save_client_profiles(self, api: Api) -> None:
        body = {"name": "X", "email": "x@example.com", "sms_opt_in": False, "timezone": "Europe/London"}
        assert api.put("/clients/me", THERAPIST, body).status == 403

    def test_missing_fields_are_422(self, api: Api) -> None:
        answer = api.put("/clients/me", CLIENT, {"name": "Sam"})
        assert answer.status == 422 and "email: Field required" in answer.body["detail"]


class TestOwnReads:
    """GET /therapists/me, /therapists/me/blocks and /clients/me: a dashboard loads what it shows."""

    def test_a_therapist_reads_back_their_own_profile_as_the_put_answered_it(self, api: Api) -> None:
        # Given a therapist who published a profile and availability
        api.put("/therapists/me", THERAPIST, therapist_profile())
        written = api.put("/therapists/me/availability", THERAPIST, availability())
        # When they load their own profile
        answer = api.get("/therapists/me", THERAPIST)
        # Then it is what the last PUT /therapists/me would answer: contact details and availability included
        assert answer.status == 200
        assert answer.body == api.put("/therapists/me", THERAPIST, therapist_profile()).body
        assert answer.body["email"] == "ada@example.com" and answer.body["deactivated"] is False
        assert answer.body["availability"] == {k: v for k, v in written.body.items() if k != "therapist_id"}

    def test_a_hidden_therapist_still_sees_their_own_profile(self, api: Api) -> None:
        # Given a therapist who hid their profile
        publish_therapist(api, visible=False)
        # When they load it / Then 200 with visible false (the public read is 404 for others)
        answer = api.get("/therapists/me", THERAPIST)
        assert answer.status == 200 and answer.body["visible"] is False
        assert api.get(f"/therapists/{THERAPIST.sub}", CLIENT).status == 404

    def test_before_the_first_put_the_own_profile_is_404(self, api: Api) -> None:
        # Given a therapist who only published availability, and one who did nothing yet
        api.put("/therapists/me/availability", THERAPIST, availability())
        # When they load their own profile / Then 404 not_found, as before the first PUT
        for who in (THERAPIST, OTHER_THERAPIST):
            answer = api.get("/therapists/me", who)
            assert answer.status == 404 and answer.body["code"] == "not_found"

    def test_a_client_reads_back_their_own_profile(self, api: Api) -> None:
        # Given no profile yet / When the client loads it / Then 404
        assert api.get("/clients/me", CLIENT).status == 404
        # Given the client saved one
        body = {"name": "Sam Client", "email": "sam@example.com", "sms_opt_in": False, "timezone": "Europe/Paris"}
        saved = api.put("/clients/me", CLIENT, body)
        # When they load it / Then what the PUT answered
        answer = api.get("/clients/me", CLIENT)
        assert answer.status == 200 and answer.body == saved.body == {**body, "phone": None, "client_id": CLIENT.sub}

    @pytest.mark.parametrize(
        ("path", "who"),
        [("/therapists/me", CLIENT), ("/therapists/me/blocks", CLIENT), ("/clients/me", THERAPIST)],
    )
    def test_the_wrong_role_is_403(self, api: Api, path: str, who: Any) -> None:
        # Given a caller of the other role / When they load the other role's own read / Then 403 forbidden
        answer = api.get(path, who)
        assert answer.status == 403 and answer.body["code"] == "forbidden"

    def test_the_blocks_list_holds_the_future_blocks_by_start_and_only_the_callers(
        self, api: Api, clock: FakeClock
    ) -> None:
        # Given three blocks added out of order, one of another therapist's, and no block at first
        publish_therapist(api)
        assert api.get("/therapists/me/blocks", THERAPIST).body == {"items": []}
        later = {"start": "2026-12-03T09:00:00Z", "end": "2026-12-03T10:00:00Z", "note": "training"}
        sooner = {"start": "2026-12-01T12:00:00Z", "end": "2026-12-01T13:00:00Z"}
        soonest = {"start": "2026-11-30T12:00:00Z", "end": "2026-11-30T14:00:00Z", "note": "dentist"}
        ids = {
            n: api.post("/therapists/me/blocks", THERAPIST, b).body["block_id"]
            for n, b in enumerate([later, sooner, soonest])
        }
        publish_therapist(api, OTHER_THERAPIST)
        api.post("/therapists/me/blocks", OTHER_THERAPIST, sooner)
        # When the therapist loads their blocks
        answer = api.get("/therapists/me/blocks", THERAPIST)
        # Then theirs, by start, each as POST answered it
        assert answer.status == 200
        assert answer.body["items"] == [
            {"block_id": ids[2], **soonest},
            {"block_id": ids[1], **sooner, "note": None},
            {"block_id": ids[0], **later},
        ]
        # When the first block is under way / Then it is still listed (it has not ended)
        clock.set(datetime(2026, 11, 30, 13, 0, tzinfo=UTC))
        assert [b["block_id"] for b in api.get("/therapists/me/blocks", THERAPIST).body["items"]] == [
            ids[2],
            ids[1],
            ids[0],
        ]
        # When it has ended / Then it is left out; and a deleted block is gone
        clock.set(datetime(2026, 11, 30, 14, 0, tzinfo=UTC))
        api.delete(f"/therapists/me/blocks/{ids[0]}", THERAPIST)
        assert [b["block_id"] for b in api.get("/therapists/me/blocks", THERAPIST).body["items"]] == [ids[1]]


LINK = "https://meet.example.com/ada"


class TestJoiningLinksArePrivate:
    """A location's joining link goes to the session's client and therapist and to the therapist's own profile;
    a public profile names each location by kind and label only."""

    def test_the_public_profile_and_the_listing_never_carry_a_link(self, api: Api) -> None:
        # Given a published therapist with an in-person practice and an online room
        publish_therapist(api)
        # When a client (any signed-in user) reads the directory and the profile
        listing = api.get("/therapists", OTHER_CLIENT)
        single = api.get(f"/therapists/{THERAPIST.sub}", OTHER_CLIENT)
        # Then neither answer holds the link anywhere, and each location is {id, kind, label}
        assert (listing.status, single.status) == (200, 200)
        for answer in (listing, single):
            assert LINK not in json.dumps(answer.body)
        assert single.body["locations"] == [
            {"id": "harley-st", "kind": "in_person", "label": "In person: 1 Harley Street, London"},
            {"id": "video", "kind": "online", "label": "Online"},
        ]
        assert listing.body["items"] == [single.body]

    def test_nothing_else_private_is_public(self, api: Api) -> None:
        # Given a published therapist / When another user reads the profile
        publish_therapist(api)
        public = api.get(f"/therapists/{THERAPIST.sub}", OTHER_CLIENT).body
        # Then exactly the public fields: no contact details, settings, standing or country
        assert set(public) == {
            "therapist_id",
            "name",
            "timezone",
            "locations",
            "session_types",
            "free_initial_consultation",
            "accepting_bookings",
        }

    def test_the_therapist_still_sees_their_links_on_their_own_profile(self, api: Api) -> None:
        # Given a published therapist / When they read their own profile / Then the link is there
        publish_therapist(api)
        own = api.get("/therapists/me", THERAPIST)
        assert own.status == 200
        assert {"id": "video", "kind": "online", "address": None, "link": LINK} in own.body["locations"]

    def test_the_sessions_parties_get_the_link_and_another_client_gets_404(self, api: Api) -> None:
        # Given an online session booked by the client
        publish_therapist(api)
        booked = book(api, location_id="video")
        assert booked.status == 201, booked.body
        session_id = booked.body["session_id"]
        # When its client and its therapist read it / Then both see the link
        for party in (CLIENT, THERAPIST):
            answer = api.get(f"/sessions/{session_id}", party)
            assert (answer.status, answer.body["location"]["link"]) == (200, LINK)
        # When another client or another therapist asks for it / Then 404, and the link is nowhere in the answer
        for stranger in (OTHER_CLIENT, OTHER_THERAPIST):
            answer = api.get(f"/sessions/{session_id}", stranger)
            assert (answer.status, answer.body["code"]) == (404, "not_found")
            assert LINK not in json.dumps(answer.body)
