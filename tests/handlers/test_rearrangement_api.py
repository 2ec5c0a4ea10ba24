"""Rearrangement routes through the real handlers: moves, location changes, offers, answers, the team's fixes.

The clock starts on Monday 2026-11-30 09:00 UTC; the therapist (Europe/London, UTC in winter) works
Mon-Fri 09:00-17:00 with 24 hours' notice, and a 50-minute session starts on the hour. The client's
session is on Wednesday 2026-12-02 at 10:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.api import Api, Caller
from tests.support.clock import FakeClock
from tests.support.http import Answer
from tests.support.scenario import (
    ADMIN,
    CLIENT,
    OTHER_CLIENT,
    OTHER_THERAPIST,
    THERAPIST,
    book,
    publish_therapist,
)
from therapy_booking.wiring import container

START = "2026-12-02T10:00:00Z"
THURSDAY = "2026-12-03"
FRIDAY = "2026-12-04"
ALTERNATIVES = ["2026-12-03T10:00:00Z", "2026-12-03T14:00:00Z", "2026-12-04T11:00:00Z"]
VIDEO = {"id": "video", "kind": "online", "address": None, "link": "https://meet.example.com/ada"}
HARLEY_ST = {"id": "harley-st", "kind": "in_person", "address": "1 Harley Street, London", "link": None}
PRICE = {"amount": 6000, "currency": "GBP"}
TEAM_NOTE = "Fixed after a phone call with both parties."


@pytest.fixture
def therapist(api: Api) -> None:
    publish_therapist(api)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def booked(api: Api, who: Caller = CLIENT, **overrides: Any) -> str:
    answer = book(api, who, **overrides)
    assert answer.status == 201, answer.body
    session_id: str = answer.body["session_id"]
    return session_id


def confirmed(api: Api, **overrides: Any) -> str:
    session_id = booked(api, **overrides)
    assert api.post(f"/sessions/{session_id}/confirm", THERAPIST).status == 200
    return session_id


def session(api: Api, session_id: str) -> dict[str, Any]:
    answer = api.get(f"/sessions/{session_id}", ADMIN)
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.body
    return body


def free_starts(api: Api, day: str) -> list[str]:
    """The individual starts another client sees free on that day."""
    answer = api.get(
        f"/therapists/{THERAPIST.sub}/slots",
        OTHER_CLIENT,
        query={"from": f"{day}T00:00:00Z", "to": f"{day}T23:59:59Z", "session_type": "individual"},
    )
    assert answer.status == 200, answer.body
    return [slot["start"] for slot in answer.body["items"]]


def reschedule(
    api: Api, session_id: str, start: str, reason: str = "client_requested", who: Caller = THERAPIST
) -> Answer:
    return api.post(f"/sessions/{session_id}/reschedule", who, {"start": start, "reason": reason})


def change_location(
    api: Api,
    session_id: str,
    location_id: str = "video",
    reason: str = "therapist_unavailable",
    who: Caller = THERAPIST,
) -> Answer:
    return api.post(f"/sessions/{session_id}/location-change", who, {"location_id": location_id, "reason": reason})


def offer(api: Api, session_id: str, *starts: str, who: Caller = THERAPIST) -> Answer:
    return api.post(f"/sessions/{session_id}/offers", who, {"alternatives": [{"start": s} for s in starts]})


def offered(api: Api, *starts: str) -> tuple[str, dict[str, Any]]:
    """A confirmed session with alternatives on offer, and its offer."""
    session_id = confirmed(api)
    answer = offer(api, session_id, *(starts or ALTERNATIVES))
    assert answer.status == 201, answer.body
    return session_id, answer.body["offer"]


def accept(api: Api, session_id: str, alternative_id: str, who: Caller = CLIENT) -> Answer:
    return api.post(f"/sessions/{session_id}/offers/accept", who, {"alternative_id": alternative_id})


def admin_rearrange(api: Api, session_id: str, who: Caller = ADMIN, **fields: Any) -> Answer:
    body = {"reason": "error_correction", "note": TEAM_NOTE, **fields}
    return api.post(f"/admin/sessions/{session_id}/rearrange", who, body)


def assert_problem(answer: Answer, status: int, code: str) -> None:
    assert (answer.status, answer.body["code"]) == (status, code), answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.body["detail"]


@pytest.mark.usefixtures("therapist")
class TestReschedule:
    def test_the_therapist_moves_a_confirmed_session_at_the_clients_request(self, api: Api) -> None:
        # Given a confirmed session
        session_id = confirmed(api)
        # When the therapist moves it to Thursday afternoon at the client's request
        answer = reschedule(api, session_id, "2026-12-03T15:00:00Z")
        # Then it is confirmed at the new time, keeps its length, and the history says who asked and why
        assert answer.status == 200, answer.body
        assert answer.body["status"] == "confirmed"
        assert (answer.body["start"], answer.body["end"]) == ("2026-12-03T15:00:00Z", "2026-12-03T15:50:00Z")
        assert answer.body["version"] == 3
        assert answer.body["history"] == [
            {
                "at": "2026-11-30T09:00:00Z",
                "action": "rescheduled",
                "actor_role": "therapist",
                "actor_id": THERAPIST.sub,
                "reason": "client_requested",
                "note": None,
            }
        ]
        # And the client sees the same
        assert api.get(f"/sessions/{session_id}", CLIENT).body == answer.body

    def test_a_pending_session_moved_to_correct_a_mistake_is_confirmed(self, api: Api) -> None:
        session_id = booked(api)
        answer = reschedule(api, session_id, "2026-12-02T14:00:00Z", reason="error_correction")
        assert answer.status == 200, answer.body
        assert (answer.body["status"], answer.body["start"]) == ("confirmed", "2026-12-02T14:00:00Z")
        assert answer.body["history"][-1]["reason"] == "error_correction"

    def test_an_offset_start_is_read_as_the_same_instant(self, api: Api) -> None:
        answer = reschedule(api, confirmed(api), "2026-12-03T16:00:00+01:00")
        assert answer.status == 200 and answer.body["start"] == "2026-12-03T15:00:00Z"

    def test_the_old_time_is_released_and_the_new_one_claimed(self, api: Api) -> None:
        # Given a confirmed session moved from Wednesday 10:00 to Thursday 15:00
        session_id = confirmed(api)
        assert reschedule(api, session_id, "2026-12-03T15:00:00Z").status == 200
        # Then another client sees Wednesday 10:00 free and Thursday 15:00 taken
        assert START in free_starts(api, "2026-12-02")
        assert "2026-12-03T15:00:00Z" not in free_starts(api, THURSDAY)
        # And can book the old time but not the new one
        assert book(api, OTHER_CLIENT, start=START).status == 201
        assert_problem(book(api, OTHER_CLIENT, start="2026-12-03T15:00:00Z"), 409, "slot_unavailable")

    def test_a_move_overlapping_its_own_old_time_works(self, api: Api) -> None:
        # Given a confirmed session 10:00-10:50
        session_id = confirmed(api)
        # When it moves half an hour later (10:30-11:20, overlapping its own old time)
        answer = reschedule(api, session_id, "2026-12-02T10:30:00Z")
        # Then it is there, and both hours it touches are taken for others while 09:00 stays free
        assert answer.status == 200, answer.body
        assert (answer.body["start"], answer.body["end"]) == ("2026-12-02T10:30:00Z", "2026-12-02T11:20:00Z")
        free = free_starts(api, "2026-12-02")
        assert "2026-12-02T09:00:00Z" in free
        assert START not in free and "2026-12-02T11:00:00Z" not in free
        assert_problem(book(api, OTHER_CLIENT, start="2026-12-02T11:00:00Z"), 409, "slot_unavailable")
        # And it can move back again over the same units
        assert reschedule(api, session_id, START).status == 200
        assert "2026-12-02T11:00:00Z" in free_starts(api, "2026-12-02")

    @pytest.mark.parametrize("start", ["2026-12-03T15:00:00Z", "2026-12-03T15:30:00Z", "2026-12-03T14:30:00Z"])
    def test_a_time_overlapping_another_booking_is_409_slot_unavailable(self, api: Api, start: str) -> None:
        # Given another client's booking on Thursday 15:00-15:50
        booked(api, OTHER_CLIENT, start="2026-12-03T15:00:00Z")
        session_id = confirmed(api)
        before = session(api, session_id)
        # When the therapist moves the session onto it / Then 409, and nothing changed
        assert_problem(reschedule(api, session_id, start), 409, "slot_unavailable")
        assert session(api, session_id) == before
        assert START not in free_starts(api, "2026-12-02")

    def test_a_time_blocked_by_the_therapist_is_409_slot_unavailable(self, api: Api) -> None:
        block = {"start": "2026-12-03T12:00:00Z", "end": "2026-12-03T14:00:00Z"}
        assert api.post("/therapists/me/blocks", THERAPIST, block).status == 201
        assert_problem(reschedule(api, confirmed(api), "2026-12-03T13:00:00Z"), 409, "slot_unavailable")

    def test_the_therapists_own_reasons_are_422_offer_alternatives_instead(self, api: Api) -> None:
        session_id = confirmed(api)
        answer = reschedule(api, session_id, "2026-12-03T15:00:00Z", reason="therapist_unavailable")
        assert_problem(answer, 422, "validation_error")
        assert "offer alternative times instead" in answer.body["detail"]
        assert session(api, session_id)["start"] == START

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({"start": "2026-12-03T15:00:00", "reason": "client_requested"}, "timezone"),
            ({"start": "tomorrow", "reason": "client_requested"}, "start"),
            ({"start": "2026-12-03T15:00:00Z", "reason": "whim"}, "reason"),
            ({"start": "2026-12-03T15:00:00Z"}, "reason: Field required"),
            ({"reason": "client_requested"}, "start: Field required"),
            ({"start": "2026-12-03T15:05:00Z", "reason": "client_requested"}, "15-minute boundary"),
            ({"start": "2026-11-30T08:00:00Z", "reason": "client_requested"}, "future"),
        ],
    )
    def test_bad_bodies_are_422_and_change_nothing(self, api: Api, body: dict[str, Any], message: str) -> None:
        session_id = confirmed(api)
        before = session(api, session_id)
        answer = api.post(f"/sessions/{session_id}/reschedule", THERAPIST, body)
        assert_problem(answer, 422, "validation_error")
        assert message in answer.body["detail"]
        assert session(api, session_id) == before

    def test_a_started_session_is_409_session_in_past_contact_the_team(self, api: Api, clock: FakeClock) -> None:
        session_id = confirmed(api)
        clock.set(datetime(2026, 12, 2, 10, 5, tzinfo=UTC))
        answer = reschedule(api, session_id, "2026-12-04T10:00:00Z")
        assert_problem(answer, 409, "session_in_past")
        assert "contact the team" in answer.body["detail"]

    def test_a_cancelled_session_is_409_invalid_transition(self, api: Api) -> None:
        session_id = confirmed(api)
        assert api.post(f"/sessions/{session_id}/cancel", CLIENT).status == 200
        assert_problem(reschedule(api, session_id, "2026-12-03T15:00:00Z"), 409, "invalid_transition")

    def test_a_session_awaiting_the_client_is_409_invalid_transition(self, api: Api) -> None:
        session_id = confirmed(api)
        assert change_location(api, session_id).status == 200
        assert_problem(reschedule(api, session_id, "2026-12-03T15:00:00Z"), 409, "invalid_transition")

    @pytest.mark.parametrize(
        ("who", "status", "code"),
        [(CLIENT, 403, "forbidden"), (ADMIN, 403, "forbidden"), (OTHER_THERAPIST, 404, "not_found")],
    )
    def test_only_its_therapist_moves_it(self, api: Api, who: Caller, status: int, code: str) -> None:
        session_id = confirmed(api)
        assert_problem(reschedule(api, session_id, "2026-12-03T15:00:00Z", who=who), status, code)
        assert session(api, session_id)["start"] == START

    def test_an_unknown_session_is_404(self, api: Api) -> None:
        assert_problem(reschedule(api, "no-such-session", "2026-12-03T15:00:00Z"), 404, "not_found")


@pytest.mark.usefixtures("therapist")
class TestLocationChange:
    @pytest.mark.parametrize("reason", ["client_requested", "error_correction"])
    def test_on_the_clients_behalf_it_changes_at_once(self, api: Api, reason: str) -> None:
        session_id = booked(api)
        answer = change_location(api, session_id, reason=reason)
        assert answer.status == 200, answer.body
        assert (answer.body["status"], answer.body["location"]) == ("confirmed", VIDEO)
        assert (answer.body["pending_location"], answer.body["change_expires_at"]) == (None, None)
        entry = answer.body["history"][-1]
        assert (entry["action"], entry["actor_role"], entry["reason"]) == ("location_changed", "therapist", reason)

    def test_for_the_therapists_own_reasons_the_client_has_24_hours_to_agree(self, api: Api) -> None:
        # Given a confirmed session at Harley Street
        session_id = confirmed(api)
        # When the therapist asks to hold it online instead, for their own reasons
        answer = change_location(api, session_id)
        # Then the session waits for the client, still at Harley Street, with the new location pending for 24 h
        assert answer.status == 200, answer.body
        assert answer.body["status"] == "awaiting_client"
        assert answer.body["location"] == HARLEY_ST
        assert answer.body["pending_location"] == VIDEO
        assert answer.body["change_expires_at"] == "2026-12-01T09:00:00Z"
        entry = answer.body["history"][-1]
        assert (entry["action"], entry["actor_role"], entry["actor_id"], entry["reason"]) == (
            "location_change_requested",
            "therapist",
            THERAPIST.sub,
            "therapist_unavailable",
        )
        # And its time stays the client's
        assert_problem(book(api, OTHER_CLIENT, start=START), 409, "slot_unavailable")

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({"location_id": "mars", "reason": "client_requested"}, "not one of this therapist's locations"),
            ({"location_id": "harley-st", "reason": "client_requested"}, "already at that location"),
            ({"location_id": "video", "reason": "whim"}, "reason"),
            ({"location_id": "", "reason": "client_requested"}, "location_id"),
            ({"reason": "client_requested"}, "location_id: Field required"),
        ],
    )
    def test_bad_bodies_are_422(self, api: Api, body: dict[str, Any], message: str) -> None:
        session_id = confirmed(api)
        answer = api.post(f"/sessions/{session_id}/location-change", THERAPIST, body)
        assert_problem(answer, 422, "validation_error")
        assert message in answer.body["detail"]
        assert session(api, session_id)["status"] == "confirmed"

    def test_a_started_session_is_409_session_in_past(self, api: Api, clock: FakeClock) -> None:
        session_id = confirmed(api)
        clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
        answer = change_location(api, session_id, reason="client_requested")
        assert_problem(answer, 409, "session_in_past")
        assert "contact the team" in answer.body["detail"]

    def test_a_second_request_while_one_is_pending_is_409(self, api: Api) -> None:
        session_id = confirmed(api)
        assert change_location(api, session_id).status == 200
        assert_problem(change_location(api, session_id, "harley-st"), 409, "invalid_transition")

    @pytest.mark.parametrize(
        ("who", "status", "code"),
        [(CLIENT, 403, "forbidden"), (ADMIN, 403, "forbidden"), (OTHER_THERAPIST, 404, "not_found")],
    )
    def test_only_its_therapist_changes_it(self, api: Api, who: Caller, status: int, code: str) -> None:
        session_id = confirmed(api)
        assert_problem(change_location(api, session_id, who=who), status, code)
        assert session(api, session_id)["location"] == HARLEY_ST


@pytest.mark.usefixtures("therapist")
class TestLocationChangeAnswers:
    def test_the_client_agrees_and_the_session_is_confirmed_at_the_new_location(self, api: Api) -> None:
        # Given a pending booking whose therapist asked to move it online
        session_id = booked(api)
        assert change_location(api, session_id).status == 200
        # When the client agrees
        answer = api.post(f"/sessions/{session_id}/location-change/accept", CLIENT)
        # Then it is confirmed online, nothing is pending, and the history has both steps
        assert answer.status == 200, answer.body
        assert (answer.body["status"], answer.body["location"]) == ("confirmed", VIDEO)
        assert (answer.body["pending_location"], answer.body["change_expires_at"]) == (None, None)
        assert [(h["action"], h["actor_role"], h["actor_id"]) for h in answer.body["history"]] == [
            ("location_change_requested", "therapist", THERAPIST.sub),
            ("location_change_accepted", "client", CLIENT.sub),
        ]

    def test_the_client_refuses_and_the_session_is_cancelled_and_refunded(self, api: Api) -> None:
        # Given a confirmed session whose therapist asked to move it online
        session_id = confirmed(api)
        assert change_location(api, session_id).status == 200
        # When the client refuses
        answer = api.post(f"/sessions/{session_id}/location-change/reject", CLIENT)
        # Then it is cancelled by the client's answer and refunded in full
        assert answer.status == 200, answer.body
        assert (answer.body["status"], answer.body["cancelled_by"]) == ("cancelled", "client")
        assert answer.body["refund"] == PRICE
        assert answer.body["therapist_payout"]["amount"] == 0
        assert answer.body["pending_location"] is None
        assert answer.body["location"] == HARLEY_ST
        # And its time is free for others
        assert START in free_starts(api, "2026-12-02")
        assert book(api, OTHER_CLIENT, start=START).status == 201

    def test_just_before_the_deadline_the_answer_counts(self, api: Api, clock: FakeClock) -> None:
        session_id = confirmed(api)
        assert change_location(api, session_id).status == 200
        clock.advance(timedelta(hours=24) - timedelta(seconds=1))
        assert api.post(f"/sessions/{session_id}/location-change/accept", CLIENT).status == 200

    @pytest.mark.parametrize("answer", ["accept", "reject"])
    def test_an_answer_at_the_deadline_is_410_even_before_anything_expired_it(
        self, api: Api, clock: FakeClock, answer: str
    ) -> None:
        # Given a location change requested 24 hours ago that nothing has expired yet
        session_id = confirmed(api)
        assert change_location(api, session_id).status == 200
        clock.advance(timedelta(hours=24))
        assert session(api, session_id)["status"] == "awaiting_client"
        # When the client answers / Then 410 offer_expired, and the session is left for the expiry to handle
        assert_problem(api.post(f"/sessions/{session_id}/location-change/{answer}", CLIENT), 410, "offer_expired")
        assert session(api, session_id)["status"] == "awaiting_client"

    @pytest.mark.parametrize("answer", ["accept", "reject"])
    def test_nothing_to_answer_is_409_invalid_transition(self, api: Api, answer: str) -> None:
        # Given a confirmed session with no location change pending / Then 409
        session_id = confirmed(api)
        assert_problem(api.post(f"/sessions/{session_id}/location-change/{answer}", CLIENT), 409, "invalid_transition")
        # And a change already answered cannot be answered again
        assert change_location(api, session_id).status == 200
        assert api.post(f"/sessions/{session_id}/location-change/accept", CLIENT).status == 200
        assert_problem(api.post(f"/sessions/{session_id}/location-change/{answer}", CLIENT), 409, "invalid_transition")

    def test_an_offer_is_not_answered_through_the_location_change_routes(self, api: Api) -> None:
        session_id, _ = offered(api)
        assert_problem(api.post(f"/sessions/{session_id}/location-change/accept", CLIENT), 409, "invalid_transition")

    @pytest.mark.parametrize(
        ("who", "status", "code"),
        [(THERAPIST, 403, "forbidden"), (ADMIN, 403, "forbidden"), (OTHER_CLIENT, 404, "not_found")],
    )
    @pytest.mark.parametrize("answer", ["accept", "reject"])
    def test_only_its_client_answers(self, api: Api, answer: str, who: Caller, status: int, code: str) -> None:
        session_id = confirmed(api)
        assert change_location(api, session_id).status == 200
        assert_problem(api.post(f"/sessions/{session_id}/location-change/{answer}", who), status, code)
        assert session(api, session_id)["status"] == "awaiting_client"


@pytest.mark.usefixtures("therapist")
class TestOffers:
    def test_the_therapist_offers_alternatives_and_gets_201_with_the_offer(self, api: Api) -> None:
        # Given a confirmed session
        session_id = confirmed(api)
        # When the therapist offers three alternative times, out of order
        answer = offer(api, session_id, ALTERNATIVES[2], ALTERNATIVES[0], ALTERNATIVES[1])
        # Then 201: the session waits for the client, still at its original time, with the offer open for 24 h
        assert answer.status == 201, answer.body
        assert answer.headers["Content-Type"] == "application/json"
        assert answer.body["status"] == "alternatives_offered"
        assert (answer.body["start"], answer.body["location"]) == (START, HARLEY_ST)
        the_offer = answer.body["offer"]
        assert set(the_offer) == {"offer_id", "expires_at", "alternatives"}
        assert the_offer["offer_id"] and the_offer["expires_at"] == "2026-12-01T09:00:00Z"
        assert [(a["start"], a["end"]) for a in the_offer["alternatives"]] == [
            (start, (at(start) + timedelta(minutes=50)).isoformat().replace("+00:00", "Z")) for start in ALTERNATIVES
        ]
        ids = [a["alternative_id"] for a in the_offer["alternatives"]]
        assert len(set(ids)) == 3 and the_offer["offer_id"] not in ids
        entry = answer.body["history"][-1]
        assert (entry["action"], entry["actor_role"], entry["reason"]) == (
            "alternatives_offered",
            "therapist",
            "therapist_unavailable",
        )
        # And the client sees the same offer
        assert api.get(f"/sessions/{session_id}", CLIENT).body["offer"] == the_offer

    def test_a_pending_session_can_get_alternatives_too(self, api: Api) -> None:
        answer = offer(api, booked(api), ALTERNATIVES[0])
        assert answer.status == 201 and len(answer.body["offer"]["alternatives"]) == 1

    def test_the_alternatives_and_the_original_time_are_held(self, api: Api) -> None:
        # Given alternatives on offer
        offered(api)
        # Then another client sees none of them, nor the original time, as free
        assert START not in free_starts(api, "2026-12-02")
        thursday = free_starts(api, THURSDAY)
        assert ALTERNATIVES[0] not in thursday and ALTERNATIVES[1] not in thursday
        assert "2026-12-03T11:00:00Z" in thursday
        assert ALTERNATIVES[2] not in free_starts(api, FRIDAY)
        # And booking any of them is 409 slot_unavailable
        for start in [START, *ALTERNATIVES]:
            assert_problem(book(api, OTHER_CLIENT, start=start), 409, "slot_unavailable")

    def test_an_alternative_overlapping_another_booking_is_409_and_holds_nothing(self, api: Api) -> None:
        # Given another client's booking on Thursday 14:00
        booked(api, OTHER_CLIENT, start=ALTERNATIVES[1])
        session_id = confirmed(api)
        before = session(api, session_id)
        # When the therapist offers it among others / Then 409 slot_unavailable
        assert_problem(offer(api, session_id, *ALTERNATIVES), 409, "slot_unavailable")
        # And the session is unchanged and the other alternatives were not held
        assert session(api, session_id) == before
        assert ALTERNATIVES[0] in free_starts(api, THURSDAY)
        assert ALTERNATIVES[2] in free_starts(api, FRIDAY)

    def test_an_alternative_over_a_block_is_409(self, api: Api) -> None:
        block = {"start": "2026-12-03T13:30:00Z", "end": "2026-12-03T14:30:00Z"}
        assert api.post("/therapists/me/blocks", THERAPIST, block).status == 201
        assert_problem(offer(api, confirmed(api), ALTERNATIVES[1]), 409, "slot_unavailable")

    @pytest.mark.parametrize(
        ("alternatives", "message"),
        [
            ([], "at least 1"),
            ([f"2026-12-0{d}T{h}:00:00Z" for d in (3, 4) for h in (10, 11, 14)], "at most 5"),
            (["2026-12-03T10:00:00"], "alternatives.0.start"),
            (["soon"], "alternatives.0.start"),
            (["2026-12-05T10:00:00Z"], "not one of the therapist's available slots"),  # Saturday
            (["2026-12-03T10:30:00Z"], "not one of the therapist's available slots"),  # off the hour
            (["2026-11-30T15:00:00Z"], "not one of the therapist's available slots"),  # within the notice
            (["2026-12-03T10:00:00Z", "2026-12-03T10:00:00Z"], "must not overlap each other"),
        ],
    )
    def test_bad_offers_are_422_and_change_nothing(self, api: Api, alternatives: list[str], message: str) -> None:
        session_id = confirmed(api)
        before = session(api, session_id)
        answer = offer(api, session_id, *alternatives)
        assert_problem(answer, 422, "validation_error")
        assert message in answer.body["detail"]
        assert session(api, session_id) == before

    def test_an_alternative_over_the_sessions_own_time_is_422(self, api: Api) -> None:
        session_id = confirmed(api)
        answer = offer(api, session_id, START)
        assert_problem(answer, 422, "validation_error")
        assert "current time" in answer.body["detail"]

    def test_a_body_without_alternatives_is_422(self, api: Api) -> None:
        answer = api.post(f"/sessions/{confirmed(api)}/offers", THERAPIST, {"times": ALTERNATIVES})
        assert_problem(answer, 422, "validation_error")
        assert "alternatives: Field required" in answer.body["detail"]

    def test_while_an_offer_is_open_the_therapist_can_change_nothing(self, api: Api) -> None:
        # Given an open offer
        session_id, the_offer = offered(api)
        # Then no second offer, move or location change: 409 offer_already_open
        assert_problem(offer(api, session_id, "2026-12-04T14:00:00Z"), 409, "offer_already_open")
        assert_problem(reschedule(api, session_id, "2026-12-04T14:00:00Z"), 409, "offer_already_open")
        assert_problem(change_location(api, session_id, reason="client_requested"), 409, "offer_already_open")
        # And no cancellation by either party: the client answers the offer instead
        assert_problem(api.post(f"/sessions/{session_id}/cancel", THERAPIST), 409, "invalid_transition")
        assert_problem(api.post(f"/sessions/{session_id}/cancel", CLIENT), 409, "invalid_transition")
        assert session(api, session_id)["offer"] == the_offer

    def test_a_started_session_is_409_session_in_past(self, api: Api, clock: FakeClock) -> None:
        session_id = confirmed(api)
        clock.set(datetime(2026, 12, 2, 10, 30, tzinfo=UTC))
        answer = offer(api, session_id, "2026-12-04T10:00:00Z")
        assert_problem(answer, 409, "session_in_past")
        assert "contact the team" in answer.body["detail"]

    def test_a_cancelled_session_is_409_invalid_transition(self, api: Api) -> None:
        session_id = confirmed(api)
        assert api.post(f"/sessions/{session_id}/cancel", THERAPIST).status == 200
        assert_problem(offer(api, session_id, ALTERNATIVES[0]), 409, "invalid_transition")

    @pytest.mark.parametrize(
        ("who", "status", "code"),
        [(CLIENT, 403, "forbidden"), (ADMIN, 403, "forbidden"), (OTHER_THERAPIST, 404, "not_found")],
    )
    def test_only_its_therapist_offers(self, api: Api, who: Caller, status: int, code: str) -> None:
        session_id = confirmed(api)
        assert_problem(offer(api, session_id, ALTERNATIVES[0], who=who), status, code)
        assert session(api, session_id)["offer"] is None
        assert ALTERNATIVES[0] in free_starts(api, THURSDAY)


@pytest.mark.usefixtures("therapist")
class TestOfferAnswers:
    def test_the_client_takes_an_alternative_and_the_rest_is_released(self, api: Api) -> None:
        # Given alternatives on offer for a confirmed session
        session_id, the_offer = offered(api)
        chosen = the_offer["alternatives"][1]
        # When the client takes Thursday 14:00
        answer = accept(api, session_id, chosen["alternative_id"])
        # Then the session is confirmed at that time and the offer is closed
        assert answer.status == 200, answer.body
        assert answer.body["status"] == "confirmed"
        assert (answer.body["start"], answer.body["end"]) == (chosen["start"], chosen["end"])
        assert answer.body["offer"] is None
        assert [(h["action"], h["actor_role"]) for h in answer.body["history"]] == [
            ("alternatives_offered", "therapist"),
            ("offer_accepted", "client"),
        ]
        # And the original time and the other alternatives are free again, the chosen one is not
        assert START in free_starts(api, "2026-12-02")
        assert free_starts(api, THURSDAY).count(ALTERNATIVES[0]) == 1
        assert ALTERNATIVES[1] not in free_starts(api, THURSDAY)
        assert ALTERNATIVES[2] in free_starts(api, FRIDAY)
        # And another client can book the released times but not the chosen one
        for start in (START, ALTERNATIVES[0], ALTERNATIVES[2]):
            assert book(api, OTHER_CLIENT, start=start).status == 201, start
        assert_problem(book(api, OTHER_CLIENT, start=ALTERNATIVES[1]), 409, "slot_unavailable")

    def test_a_pending_session_taking_an_alternative_is_confirmed(self, api: Api) -> None:
        session_id = booked(api)
        the_offer = offer(api, session_id, ALTERNATIVES[0]).body["offer"]
        answer = accept(api, session_id, the_offer["alternatives"][0]["alternative_id"])
        assert (answer.status, answer.body["status"], answer.body["start"]) == (200, "confirmed", ALTERNATIVES[0])

    def test_the_client_rejects_them_all_and_everything_is_released(self, api: Api) -> None:
        # Given alternatives on offer / When the client rejects them all
        session_id, _ = offered(api)
        answer = api.post(f"/sessions/{session_id}/offers/reject", CLIENT)
        # Then the session is cancelled by the client's answer, refunded in full, at its original time
        assert answer.status == 200, answer.body
        assert (answer.body["status"], answer.body["cancelled_by"]) == ("cancelled", "client")
        assert answer.body["refund"] == PRICE and answer.body["therapist_payout"]["amount"] == 0
        assert (answer.body["start"], answer.body["offer"]) == (START, None)
        assert answer.body["history"][-1]["action"] == "offer_rejected"
        # And the original time and every alternative are free again
        assert START in free_starts(api, "2026-12-02")
        assert {ALTERNATIVES[0], ALTERNATIVES[1]} <= set(free_starts(api, THURSDAY))
        assert ALTERNATIVES[2] in free_starts(api, FRIDAY)

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({"alternative_id": "not-in-this-offer"}, "not one of this offer's alternatives"),
            ({"alternative_id": ""}, "alternative_id"),
            ({}, "alternative_id: Field required"),
        ],
    )
    def test_an_unknown_or_missing_alternative_is_422(self, api: Api, body: dict[str, Any], message: str) -> None:
        session_id, the_offer = offered(api)
        answer = api.post(f"/sessions/{session_id}/offers/accept", CLIENT, body)
        assert_problem(answer, 422, "validation_error")
        assert message in answer.body["detail"]
        assert session(api, session_id)["offer"] == the_offer

    def test_another_offers_alternative_is_422(self, api: Api) -> None:
        # Given two sessions of the same client, each with an offer
        first, _ = offered(api, ALTERNATIVES[0])
        second = confirmed(api, start="2026-12-02T14:00:00Z")
        other_offer = offer(api, second, ALTERNATIVES[2]).body["offer"]
        # When the client names the second offer's alternative on the first session / Then 422
        answer = accept(api, first, other_offer["alternatives"][0]["alternative_id"])
        assert_problem(answer, 422, "validation_error")

    def test_just_before_the_deadline_the_answer_counts(self, api: Api, clock: FakeClock) -> None:
        session_id, the_offer = offered(api)
        clock.advance(timedelta(hours=23, minutes=59, seconds=59))
        assert accept(api, session_id, the_offer["alternatives"][0]["alternative_id"]).status == 200

    def test_an_answer_24_hours_later_is_410_even_before_anything_expired_it(self, api: Api, clock: FakeClock) -> None:
        # Given an offer made 24 hours ago that nothing has expired yet
        session_id, the_offer = offered(api)
        clock.advance(timedelta(hours=24))
        assert session(api, session_id)["status"] == "alternatives_offered"
        # When the client accepts or rejects / Then 410 offer_expired
        answer = accept(api, session_id, the_offer["alternatives"][0]["alternative_id"])
        assert_problem(answer, 410, "offer_expired")
        assert answer.body["title"] == "Gone"
        assert_problem(api.post(f"/sessions/{session_id}/offers/reject", CLIENT), 410, "offer_expired")
        # And later still, the same
        clock.advance(timedelta(days=1))
        assert_problem(api.post(f"/sessions/{session_id}/offers/reject", CLIENT), 410, "offer_expired")
        assert session(api, session_id)["offer"] == the_offer

    def test_an_answered_offer_cannot_be_answered_again(self, api: Api) -> None:
        session_id, the_offer = offered(api)
        first = the_offer["alternatives"][0]["alternative_id"]
        assert accept(api, session_id, first).status == 200
        assert_problem(accept(api, session_id, first), 409, "invalid_transition")
        assert_problem(api.post(f"/sessions/{session_id}/offers/reject", CLIENT), 409, "invalid_transition")

    def test_no_offer_is_409_invalid_transition(self, api: Api) -> None:
        session_id = confirmed(api)
        assert_problem(accept(api, session_id, "any"), 409, "invalid_transition")
        assert_problem(api.post(f"/sessions/{session_id}/offers/reject", CLIENT), 409, "invalid_transition")

    @pytest.mark.parametrize(
        ("who", "status", "code"),
        [(THERAPIST, 403, "forbidden"), (ADMIN, 403, "forbidden"), (OTHER_CLIENT, 404, "not_found")],
    )
    def test_only_its_client_answers(self, api: Api, who: Caller, status: int, code: str) -> None:
        session_id, the_offer = offered(api)
        assert_problem(accept(api, session_id, the_offer["alternatives"][0]["alternative_id"], who), status, code)
        assert_problem(api.post(f"/sessions/{session_id}/offers/reject", who), status, code)
        assert session(api, session_id)["status"] == "alternatives_offered"


@pytest.mark.usefixtures("therapist")
class TestHistory:
    def test_each_rearrangement_records_who_asked_and_why_in_order(self, api: Api) -> None:
        # Given a session moved, relocated for the therapist's reasons, agreed, then offered alternatives
        session_id = confirmed(api)
        assert reschedule(api, session_id, "2026-12-02T15:00:00Z", reason="error_correction").status == 200
        assert change_location(api, session_id).status == 200
        assert api.post(f"/sessions/{session_id}/location-change/accept", CLIENT).status == 200
        the_offer = offer(api, session_id, ALTERNATIVES[0]).body["offer"]
        assert accept(api, session_id, the_offer["alternatives"][0]["alternative_id"]).status == 200
        # Then its history lists each step with the actor's role and id and the reason, as each party sees it
        history = api.get(f"/sessions/{session_id}", CLIENT).body["history"]
        assert [(h["action"], h["actor_role"], h["actor_id"], h["reason"]) for h in history] == [
            ("rescheduled", "therapist", THERAPIST.sub, "error_correction"),
            ("location_change_requested", "therapist", THERAPIST.sub, "therapist_unavailable"),
            ("location_change_accepted", "client", CLIENT.sub, None),
            ("alternatives_offered", "therapist", THERAPIST.sub, "therapist_unavailable"),
            ("offer_accepted", "client", CLIENT.sub, None),
        ]
        assert all(h["at"] == "2026-11-30T09:00:00Z" and h["note"] is None for h in history)
        assert api.get(f"/sessions/{session_id}", THERAPIST).body["history"] == history

    def test_a_new_booking_has_no_history_and_no_pending_change(self, api: Api) -> None:
        body = book(api).body
        assert (body["history"], body["offer"], body["pending_location"], body["change_expires_at"]) == (
            [],
            None,
            None,
            None,
        )


@pytest.mark.usefixtures("therapist")
class TestAdminRearrange:
    def test_the_team_moves_a_session_whose_start_has_passed(self, api: Api, clock: FakeClock) -> None:
        # Given a confirmed session whose time has passed, which its therapist can no longer move
        session_id = confirmed(api)
        clock.set(datetime(2026, 12, 2, 11, 0, tzinfo=UTC))
        assert_problem(reschedule(api, session_id, "2026-12-04T10:00:00Z"), 409, "session_in_past")
        # When the team moves it to Friday, with a reason and a note
        answer = admin_rearrange(api, session_id, start="2026-12-04T10:00:00Z")
        # Then it is confirmed on Friday, and the history keeps who did it, why, and the note
        assert answer.status == 200, answer.body
        assert answer.body["status"] == "confirmed"
        assert (answer.body["start"], answer.body["end"]) == ("2026-12-04T10:00:00Z", "2026-12-04T10:50:00Z")
        assert answer.body["history"][-1] == {
            "at": "2026-12-02T11:00:00Z",
            "action": "admin_rearranged",
            "actor_role": "admin",
            "actor_id": ADMIN.sub,
            "reason": "error_correction",
            "note": TEAM_NOTE,
        }
        # And the new time is the session's: nobody else can book it
        assert "2026-12-04T10:00:00Z" not in free_starts(api, FRIDAY)
        assert_problem(book(api, OTHER_CLIENT, start="2026-12-04T10:00:00Z"), 409, "slot_unavailable")
        # And the client sees the note too
        assert api.get(f"/sessions/{session_id}", CLIENT).body["history"][-1]["note"] == TEAM_NOTE

    def test_the_team_reinstates_a_cancelled_session_and_its_time_is_claimed_again(self, api: Api) -> None:
        # Given a session the client cancelled, whose time was then free
        session_id = confirmed(api)
        assert api.post(f"/sessions/{session_id}/cancel", CLIENT).status == 200
        assert START in free_starts(api, "2026-12-02")
        # When the team reinstates it
        answer = admin_rearrange(api, session_id, status="confirmed", reason="client_requested")
        # Then it is confirmed at its time again, which nobody else can book
        assert answer.status == 200, answer.body
        assert (answer.body["status"], answer.body["start"]) == ("confirmed", START)
        assert START not in free_starts(api, "2026-12-02")
        assert_problem(book(api, OTHER_CLIENT, start=START), 409, "slot_unavailable")
        assert answer.body["history"][-1]["reason"] == "client_requested"

    def test_a_reinstated_session_no_longer_reads_as_cancelled_or_refunded(self, api: Api) -> None:
        # Given a session the client cancelled (refunded in full) / When the team reinstates it
        session_id = confirmed(api)
        assert api.post(f"/sessions/{session_id}/cancel", CLIENT, {"reason": "Unwell"}).body["refund"] == PRICE
        answer = admin_rearrange(api, session_id, status="confirmed")
        # Then it carries none of the cancellation's outcome (who cancelled, why, the refund)
        assert answer.status == 200, answer.body
        assert (answer.body["cancelled_by"], answer.body["cancellation_reason"]) == (None, None)
        assert (answer.body["refund"], answer.body["therapist_payout"], answer.body["platform_commission"]) == (
            None,
            None,
            None,
        )

    def test_reinstating_onto_a_time_taken_meanwhile_is_409_slot_unavailable(self, api: Api) -> None:
        # Given a cancelled session whose time another client has booked since
        session_id = confirmed(api)
        assert api.post(f"/sessions/{session_id}/cancel", CLIENT).status == 200
        assert book(api, OTHER_CLIENT, start=START).status == 201
        # When the team reinstates it / Then 409, and it stays cancelled
        assert_problem(admin_rearrange(api, session_id, status="confirmed"), 409, "slot_unavailable")
        assert session(api, session_id)["status"] == "cancelled"
        # And reinstating it at another time works
        answer = admin_rearrange(api, session_id, status="confirmed", start="2026-12-02T14:00:00Z")
        assert (answer.status, answer.body["status"], answer.body["start"]) == (
            200,
            "confirmed",
            "2026-12-02T14:00:00Z",
        )

    def test_the_team_relocates_a_session(self, api: Api) -> None:
        session_id = confirmed(api)
        answer = admin_rearrange(api, session_id, location_id="video", reason="therapist_unavailable")
        assert answer.status == 200, answer.body
        assert (answer.body["status"], answer.body["start"], answer.body["location"]) == ("confirmed", START, VIDEO)

    def test_the_team_closes_an_open_offer_and_its_holds_are_released(self, api: Api) -> None:
        # Given alternatives on offer
        session_id, _ = offered(api)
        # When the team moves the session to one of those times
        answer = admin_rearrange(api, session_id, start=ALTERNATIVES[0])
        # Then it is confirmed there, the offer is gone, and the original and other alternatives are free again
        assert answer.status == 200, answer.body
        assert (answer.body["status"], answer.body["start"], answer.body["offer"]) == (
            "confirmed",
            ALTERNATIVES[0],
            None,
        )
        assert START in free_starts(api, "2026-12-02")
        thursday = free_starts(api, THURSDAY)
        assert ALTERNATIVES[0] not in thursday and ALTERNATIVES[1] in thursday
        assert ALTERNATIVES[2] in free_starts(api, FRIDAY)

    def test_the_team_cancels_a_session_as_admin_and_releases_its_time(self, api: Api) -> None:
        session_id = confirmed(api)
        answer = admin_rearrange(api, session_id, status="cancelled", reason="therapist_unavailable")
        assert answer.status == 200, answer.body
        assert answer.body["status"] == "cancelled"
        assert answer.body["cancelled_by"] == "admin"
        assert START in free_starts(api, "2026-12-02")

    def test_a_free_consultation_the_team_cancels_can_be_booked_again(self, api: Api) -> None:
        session_id = booked(api, initial_consultation=True)
        assert admin_rearrange(api, session_id, status="cancelled").status == 200
        again = book(api, start="2026-12-03T10:00:00Z", initial_consultation=True)
        assert again.status == 201, again.body

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({"start": "2026-12-04T10:00:00Z", "note": TEAM_NOTE}, "reason: Field required"),
            ({"start": "2026-12-04T10:00:00Z", "reason": "error_correction"}, "note: Field required"),
            ({"start": "2026-12-04T10:00:00Z", "reason": "error_correction", "note": "   "}, "note"),
            ({"start": "2026-12-04T10:00:00Z", "reason": "oops", "note": TEAM_NOTE}, "reason"),
            ({"start": "2026-12-04T10:00:00", "reason": "error_correction", "note": TEAM_NOTE}, "timezone"),
            ({"status": "declined", "reason": "error_correction", "note": TEAM_NOTE}, "status"),
            ({"status": "alternatives_offered", "reason": "error_correction", "note": TEAM_NOTE}, "status"),
            ({"status": "lost", "reason": "error_correction", "note": TEAM_NOTE}, "status"),
            ({"location_id": "mars", "reason": "error_correction", "note": TEAM_NOTE}, "not one of this therapist's"),
            ({"start": "2026-12-04T10:10:00Z", "reason": "error_correction", "note": TEAM_NOTE}, "15-minute"),
            ({"reason": "error_correction", "note": TEAM_NOTE}, "at least one of start, location_id or status"),
        ],
    )
    def test_bad_bodies_are_422_and_change_nothing(self, api: Api, body: dict[str, Any], message: str) -> None:
        session_id = confirmed(api)
        before = session(api, session_id)
        answer = api.post(f"/admin/sessions/{session_id}/rearrange", ADMIN, body)
        assert_problem(answer, 422, "validation_error")
        assert message in answer.body["detail"]
        assert session(api, session_id) == before

    @pytest.mark.parametrize(
        ("who", "status", "code"),
        [
            (THERAPIST, 403, "forbidden"),
            (CLIENT, 403, "forbidden"),
            (OTHER_THERAPIST, 404, "not_found"),
            (OTHER_CLIENT, 404, "not_found"),
        ],
    )
    def test_only_the_team_may(self, api: Api, who: Caller, status: int, code: str) -> None:
        session_id = confirmed(api)
        before = session(api, session_id)
        assert_problem(admin_rearrange(api, session_id, who, start="2026-12-04T10:00:00Z"), status, code)
        assert_problem(admin_rearrange(api, session_id, who, location_id="video"), status, code)
        assert session(api, session_id) == before

    def test_an_unknown_session_is_404(self, api: Api) -> None:
        assert_problem(admin_rearrange(api, "no-such-session", status="confirmed"), 404, "not_found")


def completed(api: Api, clock: FakeClock) -> str:
    """A confirmed session that took place, completed by the sweep (as SweeperFunction does every 5 minutes)."""
    session_id = confirmed(api)
    clock.set(datetime(2026, 12, 2, 11, 0, tzinfo=UTC))
    assert container.sessions.sweep().completed == 1
    assert session(api, session_id)["status"] == "completed"
    return session_id


PARTY_ROUTES = [
    ("confirm", THERAPIST, None),
    ("decline", THERAPIST, {"reason": "Away"}),
    ("cancel", THERAPIST, None),
    ("cancel", CLIENT, {"reason": "Unwell"}),
    ("reschedule", THERAPIST, {"start": "2026-12-04T10:00:00Z", "reason": "client_requested"}),
    ("location-change", THERAPIST, {"location_id": "video", "reason": "error_correction"}),
    ("offers", THERAPIST, {"alternatives": [{"start": "2026-12-04T10:00:00Z"}]}),
    ("location-change/accept", CLIENT, None),
    ("location-change/reject", CLIENT, None),
    ("offers/accept", CLIENT, {"alternative_id": "any"}),
    ("offers/reject", CLIENT, None),
]


@pytest.mark.usefixtures("therapist")
class TestCompletedSessions:
    @pytest.mark.parametrize(
        ("action", "who", "body"), PARTY_ROUTES, ids=[f"{a} by {w.role}" for a, w, _ in PARTY_ROUTES]
    )
    def test_a_completed_session_is_409_session_in_past_contact_the_team(
        self, api: Api, clock: FakeClock, action: str, who: Caller, body: dict[str, Any] | None
    ) -> None:
        # Given a session that took place and was completed
        session_id = completed(api, clock)
        before = session(api, session_id)
        # When its therapist or client changes, cancels or answers it
        answer = api.post(f"/sessions/{session_id}/{action}", who, body)
        # Then 409 session_in_past pointing to the team, and nothing changed
        assert_problem(answer, 409, "session_in_past")
        assert "taken place" in answer.body["detail"] and "contact the team" in answer.body["detail"]
        assert session(api, session_id) == before

    def test_the_team_still_fixes_a_completed_session(self, api: Api, clock: FakeClock) -> None:
        # Given a completed session
        session_id = completed(api, clock)
        # When the team records that it was held online / Then 200, still completed
        answer = admin_rearrange(api, session_id, location_id="video")
        assert answer.status == 200, answer.body
        assert (answer.body["status"], answer.body["location"]["id"]) == ("completed", "video")

    def test_a_cancelled_session_stays_409_invalid_transition_after_its_time(self, api: Api, clock: FakeClock) -> None:
        # Given a session cancelled before it took place, and its time has passed
        session_id = confirmed(api)
        assert api.post(f"/sessions/{session_id}/cancel", CLIENT).status == 200
        clock.set(datetime(2026, 12, 2, 11, 0, tzinfo=UTC))
        # When a party acts on it / Then invalid_transition: it did not take place
        assert_problem(api.post(f"/sessions/{session_id}/cancel", CLIENT), 409, "invalid_transition")
        assert_problem(reschedule(api, session_id, "2026-12-04T10:00:00Z"), 409, "invalid_transition")
