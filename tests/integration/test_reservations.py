"""Reserved recurring slots on the real handlers and DynamoDB adapters (moto): every occurrence or none, held for
one client, booked by that client like any slot, released by a deletion or once passed.

50-minute sessions take 4 units each, so 26 weekly occurrences are 104 claims: more than one transaction holds.
These tests reserve that many, so the split write behind a pending reservation is what they exercise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest

from tests.support.api import Api, Caller
from tests.support.clock import FakeClock
from tests.support.scenario import CLIENT, OTHER_CLIENT, OTHER_THERAPIST, THERAPIST, book, publish_therapist
from therapy_booking.adapters.dynamodb.reservations import DynamoReservations
from therapy_booking.domain.reservations import PENDING_GRACE
from therapy_booking.wiring import container

FIRST = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)  # a Tuesday, 10:00 in London, inside the 09:00-17:00 week


def iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def weekly(count: int, first: datetime = FIRST) -> list[str]:
    """The starts of `count` weekly occurrences from `first` (London keeps GMT until late March 2027)."""
    starts = []
    for week in range(count):
        start = first + timedelta(weeks=week)
        if start >= datetime(2027, 3, 28, 1, tzinfo=UTC):  # British Summer Time: 10:00 London is 09:00 UTC
            start -= timedelta(hours=1)
        starts.append(iso(start))
    return starts


def reservation(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_id": CLIENT.sub,
        "first_start": iso(FIRST),
        "every_weeks": 1,
        "occurrences": 26,
        "session_type": "individual",
        "location_id": "video",
    }
    body.update(overrides)
    return body


def with_client(api: Api, who: Caller = CLIENT) -> None:
    profile = {"name": "Sam", "email": f"{who.sub}@example.com", "sms_opt_in": False, "timezone": "Europe/London"}
    assert api.put("/clients/me", who, profile).status == 200


@pytest.fixture
def ready(api: Api) -> Api:
    """A published therapist (London, Mon-Fri 09:00-17:00) and two clients with profiles, the first an ongoing
    client (booked a Wednesday session already)."""
    publish_therapist(api)
    with_client(api)
    with_client(api, OTHER_CLIENT)
    assert book(api).status == 201
    return api


def reserve(api: Api, **overrides: Any) -> dict[str, Any]:
    answer = api.post("/therapists/me/reservations", THERAPIST, reservation(**overrides))
    assert answer.status == 201, answer.body
    made: dict[str, Any] = answer.body
    return made


def table_items(aws: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": container.storage.table_name}
    while True:
        page = aws.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def reserved_claims(aws: Any) -> list[dict[str, Any]]:
    return [item for item in table_items(aws) if item.get("kind", {}).get("S") == "reserved"]


def reservation_items(aws: Any) -> list[dict[str, Any]]:
    return [item for item in table_items(aws) if item.get("entity", {}).get("S") == "reservation"]


class TestReserving:
    def test_26_weekly_occurrences_are_held_at_the_same_london_time_across_the_clock_change(
        self, ready: Api, aws: Any
    ) -> None:
        # When the therapist reserves 26 Tuesdays at 10:00 London time from December
        made = reserve(ready)
        # Then all 26 are held, 10:00 GMT in winter and 10:00 BST (09:00 UTC) from the end of March
        assert [o["start"] for o in made["occurrences"]] == weekly(26)
        assert {o["status"] for o in made["occurrences"]} == {"held"}
        assert made["status"] == "active" and made["location"]["id"] == "video"
        # And each occurrence's four units are claimed for the client: 104 claims, over several transactions
        assert len(reserved_claims(aws)) == 26 * 4

    def test_a_clash_on_the_17th_occurrence_refuses_them_all_and_claims_nothing(self, ready: Api, aws: Any) -> None:
        # Given the 17th Tuesday is blocked (a block may lie beyond the booking horizon)
        seventeenth = weekly(26)[16]
        end = iso(datetime.fromisoformat(seventeenth.replace("Z", "+00:00")) + timedelta(minutes=30))
        assert ready.post("/therapists/me/blocks", THERAPIST, {"start": seventeenth, "end": end}).status == 201
        # When the therapist reserves the 26 Tuesdays
        answer = ready.post("/therapists/me/reservations", THERAPIST, reservation())
        # Then 409 slot_unavailable naming exactly that start, and nothing is reserved or claimed
        assert (answer.status, answer.body["code"]) == (409, "slot_unavailable")
        assert answer.body["clashing_starts"] == [seventeenth]
        assert seventeenth in answer.body["detail"]
        assert reserved_claims(aws) == [] and reservation_items(aws) == []
        assert ready.get("/therapists/me/reservations", THERAPIST).body == {"items": []}

    def test_a_unit_taken_between_the_read_and_the_last_batch_refuses_all_and_leaves_nothing(
        self, ready: Api, aws: Any
    ) -> None:
        # Given the 17th Tuesday is taken by a block after the reservation's read saw it free
        seventeenth = weekly(26)[16]
        end = iso(datetime.fromisoformat(seventeenth.replace("Z", "+00:00")) + timedelta(minutes=15))
        assert ready.post("/therapists/me/blocks", THERAPIST, {"start": seventeenth, "end": end}).status == 201
        with mock.patch.object(DynamoReservations, "claims_at", return_value={}):
            # When the therapist reserves the 26 Tuesdays, the first batch written already
            answer = ready.post("/therapists/me/reservations", THERAPIST, reservation())
        # Then the refusal names the clashing start, and the batches written are given back, the pending
        # reservation removed: no half-made reservation is left
        assert (answer.status, answer.body["clashing_starts"]) == (409, [seventeenth])
        assert reserved_claims(aws) == [] and reservation_items(aws) == []

    def test_a_making_cut_short_is_never_visible_and_the_sweeper_removes_it(
        self, ready: Api, aws: Any, clock: FakeClock
    ) -> None:
        # Given a making that dies after its first batch, too broken even to clean up after itself
        crash = RuntimeError("the function's container died")
        first_write = DynamoReservations.save
        writes: list[object] = []

        def dies_after_the_first_batch(store: DynamoReservations, *args: Any, **kwargs: Any) -> None:
            if writes:
                raise crash
            writes.append(args)
            first_write(store, *args, **kwargs)

        with (
            mock.patch.object(DynamoReservations, "save", dies_after_the_first_batch),
            mock.patch.object(DynamoReservations, "give_back", side_effect=crash),
        ):
            answer = ready.post("/therapists/me/reservations", THERAPIST, reservation())
        assert answer.status == 500
        # The first batch: the 104 claims less the 98 the activating write takes (with the reservation and its event)
        written = reserved_claims(aws)
        assert len(written) == 104 - 98
        # And none of them is an occurrence's first unit, which would name the client (those go in the last write)
        assert all("held_for" not in claim for claim in written)
        # Then nobody sees it: not the therapist, not the client, and the client cannot book its first occurrence
        assert ready.get("/therapists/me/reservations", THERAPIST).body == {"items": []}
        assert ready.get("/clients/me/reservations", CLIENT).body == {"items": []}
        assert book(ready, start=iso(FIRST)).body["code"] == "slot_unavailable"
        # When the sweeper runs once the making's grace has passed
        clock.advance(PENDING_GRACE + timedelta(seconds=1))
        container.reservations.sweep()
        # Then every claim is given back and the reservation is gone
        assert reserved_claims(aws) == [] and reservation_items(aws) == []
        assert book(ready, start=iso(FIRST)).status == 201

    def test_only_a_therapist_reserves_for_a_registered_client_in_their_own_terms(self, ready: Api) -> None:
        assert ready.post("/therapists/me/reservations", CLIENT, reservation()).status == 403
        unknown = ready.post("/therapists/me/reservations", THERAPIST, reservation(client_id="nobody"))
        assert (unknown.status, unknown.body["code"]) == (422, "validation_error")
        # A registered client who never booked with the therapist gets the very same answer as an unknown id
        stranger = ready.post("/therapists/me/reservations", THERAPIST, reservation(client_id=OTHER_CLIENT.sub))
        assert (stranger.status, stranger.body) == (unknown.status, unknown.body)
        assert ready.post("/therapists/me/reservations", THERAPIST, reservation(location_id="moon")).status == 422
        past = ready.post("/therapists/me/reservations", THERAPIST, reservation(first_start="2026-11-01T10:00:00Z"))
        assert past.status == 422
        off_grid = ready.post("/therapists/me/reservations", THERAPIST, reservation(first_start="2026-12-08T10:05:00Z"))
        assert off_grid.status == 422
        for bad in ({"every_weeks": 5}, {"every_weeks": 0}, {"occurrences": 27}, {"occurrences": 0}):
            assert ready.post("/therapists/me/reservations", THERAPIST, reservation(**bad)).status == 422, bad
        assert ready.post("/therapists/me/reservations", OTHER_THERAPIST, reservation()).status == 404

    def test_a_wall_time_the_clocks_skip_is_refused_naming_the_day(self, ready: Api) -> None:
        # Given a reservation at 01:30 London time on Sundays, one of which is the spring-forward day
        answer = ready.post(
            "/therapists/me/reservations",
            THERAPIST,
            reservation(first_start="2027-03-14T01:30:00Z", occurrences=4),
        )
        # Then 422 names the day 01:30 does not exist
        assert answer.status == 422 and "2027-03-28" in answer.body["detail"]


class TestBookingHeldOccurrences:
    def test_only_the_reserved_client_sees_and_books_a_held_occurrence(self, ready: Api, aws: Any) -> None:
        # Given 12 weekly occurrences held for the client
        made = reserve(ready, occurrences=12)
        third = made["occurrences"][2]["start"]
        window = {"from": "2026-12-01T00:00:00Z", "to": "2027-01-20T00:00:00Z", "session_type": "individual"}
        # Then another client sees none of them and cannot book any
        others = {
            s["start"]
            for s in ready.get(f"/therapists/{THERAPIST.sub}/slots", OTHER_CLIENT, query=window).body["items"]
        }
        held_in_window = [o["start"] for o in made["occurrences"] if o["start"] < window["to"]]
        assert others.isdisjoint(held_in_window)
        refused = book(ready, OTHER_CLIENT, start=third)
        assert (refused.status, refused.body["code"]) == (409, "slot_unavailable")
        # And the reserved client sees them in their slots
        mine = {s["start"] for s in ready.get(f"/therapists/{THERAPIST.sub}/slots", CLIENT, query=window).body["items"]}
        assert set(held_in_window) <= mine
        # When the reserved client books the third, as any slot
        booked = book(ready, CLIENT, start=third)
        assert booked.status == 201, booked.body
        # Then it is a session, its units now the session's, and the reservation shows it booked
        session_id = booked.body["session_id"]
        listed = ready.get("/therapists/me/reservations", THERAPIST).body["items"][0]["occurrences"][2]
        assert listed == {**made["occurrences"][2], "status": "booked", "session_id": session_id}
        assert ready.get("/clients/me/reservations", CLIENT).body["items"][0]["occurrences"][2]["status"] == "booked"
        assert len(reserved_claims(aws)) == 11 * 4
        # And booking it again is refused
        assert book(ready, CLIENT, start=third).body["code"] == "slot_unavailable"

    def test_a_held_occurrence_beyond_the_horizon_and_outside_the_week_is_bookable_by_its_client(
        self, ready: Api
    ) -> None:
        # Given a Saturday 18:00 reservation reaching beyond the 60-day horizon
        made = reserve(ready, first_start="2026-12-12T18:00:00Z", occurrences=12)
        tenth = made["occurrences"][9]["start"]
        # Then its client books the tenth (ten weeks ahead, on a Saturday evening)
        assert book(ready, CLIENT, start=tenth).status == 201
        # And nobody can book outside the availability otherwise
        assert book(ready, OTHER_CLIENT, start="2026-12-12T20:00:00Z").status == 422

    def test_a_held_occurrence_booked_as_another_session_type_is_refused(self, ready: Api) -> None:
        # Given individual sessions held at 09:00, a start couples' sessions also have
        made = reserve(ready, first_start="2026-12-08T09:00:00Z", occurrences=2)
        start = made["occurrences"][0]["start"]
        # When the client books a couple's session there / Then the held time is not theirs for that
        answer = book(ready, CLIENT, start=start, session_type="couple", attendees=["A", "B"])
        assert (answer.status, answer.body["code"]) == (409, "slot_unavailable")
        assert ready.get("/clients/me/reservations", CLIENT).body["items"][0]["occurrences"][0]["status"] == "held"


class TestDeleting:
    def test_delete_releases_the_held_occurrences_keeps_the_booked_and_allows_reserving_again(
        self, ready: Api, aws: Any
    ) -> None:
        # Given 26 weekly occurrences, the second booked by the client
        made = reserve(ready)
        second = made["occurrences"][1]["start"]
        assert book(ready, CLIENT, start=second).status == 201
        # When the therapist deletes the reservation (25 held: 100 claims, more than one transaction)
        assert ready.delete(f"/therapists/me/reservations/{made['reservation_id']}", THERAPIST).status == 204
        # Then no reserved claim is left, the booked second stays a session, the others are free again
        assert reserved_claims(aws) == []
        assert book(ready, OTHER_CLIENT, start=second).body["code"] == "slot_unavailable"
        assert book(ready, OTHER_CLIENT, start=made["occurrences"][2]["start"]).status == 201
        assert ready.get("/therapists/me/reservations", THERAPIST).body == {"items": []}
        assert ready.get("/clients/me/reservations", CLIENT).body == {"items": []}
        # And the same time can be reserved again, except the taken ones
        again = ready.post("/therapists/me/reservations", THERAPIST, reservation())
        assert again.status == 409 and again.body["clashing_starts"] == [second, made["occurrences"][2]["start"]]
        assert reserve(ready, first_start=made["occurrences"][3]["start"], occurrences=20)["status"] == "active"

    def test_only_the_reservations_therapist_can_delete_it(self, ready: Api) -> None:
        made = reserve(ready, occurrences=2)
        path = f"/therapists/me/reservations/{made['reservation_id']}"
        assert ready.delete(path, OTHER_THERAPIST).status == 404
        assert ready.delete(path, CLIENT).status == 403
        assert ready.get("/therapists/me/reservations", THERAPIST).body["items"] == [made]


class TestTheSweeper:
    def test_an_occurrence_that_passed_unbooked_is_released_and_the_reservation_ends_after_the_last(
        self, ready: Api, aws: Any, clock: FakeClock
    ) -> None:
        # Given two weekly occurrences, the second booked
        made = reserve(ready, occurrences=2)
        first, second = (o["start"] for o in made["occurrences"])
        assert book(ready, CLIENT, start=second).status == 201
        # When the first's start has passed and the sweeper runs
        clock.set(FIRST + timedelta(minutes=1))
        report = container.reservations.sweep()
        # Then its claims are given back and it shows released; the booked one stays booked
        assert report.released == 1 and reserved_claims(aws) == []
        statuses = [
            o["status"] for o in ready.get("/therapists/me/reservations", THERAPIST).body["items"][0]["occurrences"]
        ]
        assert statuses == ["released", "booked"]
        # When the last occurrence is over / Then the reservation ends and is listed no more
        clock.set(FIRST + timedelta(weeks=1, hours=1))
        assert container.reservations.sweep().ended == 1
        assert ready.get("/therapists/me/reservations", THERAPIST).body == {"items": []}
        assert first < second

    def test_one_reservation_that_fails_is_reported_and_the_others_are_swept(
        self, ready: Api, aws: Any, clock: FakeClock
    ) -> None:
        # Given two reservations whose first occurrence passes unbooked at the same time
        first = reserve(ready, occurrences=2)
        second = reserve(ready, first_start=iso(FIRST + timedelta(hours=2)), occurrences=2)
        clock.set(FIRST + timedelta(hours=3))
        # When giving back the first's time fails
        give_back = DynamoReservations.give_back

        def fails_for_the_first(store: DynamoReservations, reservation_id: str, claims: Any) -> None:
            if reservation_id == first["reservation_id"]:
                raise RuntimeError("throttled")
            give_back(store, reservation_id, claims)

        with mock.patch.object(DynamoReservations, "give_back", fails_for_the_first):
            report = container.reservations.sweep()
        # Then it is reported by id and error class only, and the other is swept
        assert report.failures == ((first["reservation_id"], "RuntimeError"),) and report.released == 1
        statuses = {
            r["reservation_id"]: r["occurrences"][0]["status"]
            for r in ready.get("/therapists/me/reservations", THERAPIST).body["items"]
        }
        assert statuses == {first["reservation_id"]: "held", second["reservation_id"]: "released"}
        # And the next run, once it works again, sweeps the first
        assert container.reservations.sweep().released == 1
