"""GET /therapists with the listing's cache on (LISTING_CACHE_SECONDS, as the template sets it on the reads function),
through the real handlers on moto: the gsi1 LISTED partition read once per TTL, later pages and cursors as ever."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from botocore.client import BaseClient

from tests.support.api import Api
from tests.support.clock import FakeClock
from tests.support.scenario import CLIENT, OTHER_CLIENT, OTHER_THERAPIST, THERAPIST, book, publish_therapist
from therapy_booking.wiring import container


@pytest.fixture
def listing_queries() -> Iterator[list[dict[str, Any]]]:
    """The Queries of the listing's partition (gsi1 LISTED) made through botocore, in order."""
    queries: list[dict[str, Any]] = []
    original: Any = BaseClient.__dict__["_make_api_call"]  # private, so absent from the stubs

    def recording(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        listed = {"S": "LISTED"} in params.get("ExpressionAttributeValues", {}).values()
        if operation == "Query" and params.get("IndexName") == "gsi1" and listed:
            queries.append(params)
        return original(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", recording):
        yield queries


@pytest.fixture
def cache_on(aws: Any, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reads function's environment as the template's default sets it: first pages kept 60 seconds."""
    monkeypatch.setenv("LISTING_CACHE_SECONDS", "60")
    container.reset(clock=clock)  # the settings are read again (the `aws` fixture's reset goes with the test)


def ids(answer: Any) -> list[str]:
    return [t["therapist_id"] for t in answer.body["items"]]


@pytest.mark.usefixtures("cache_on")
class TestWithTheCache:
    def test_two_reads_of_the_first_page_make_one_query_and_answer_alike_whoever_asks(
        self, api: Api, listing_queries: list[dict[str, Any]]
    ) -> None:
        # Given two listed therapists
        publish_therapist(api)
        publish_therapist(api, OTHER_THERAPIST)

        # When a client and then a therapist read the first page
        first = api.get("/therapists", CLIENT)
        second = api.get("/therapists", OTHER_THERAPIST)

        # Then the listing's partition was read once, and both got the same answer
        assert (first.status, second.status) == (200, 200)
        assert len(listing_queries) == 1
        assert first.body == second.body
        assert ids(first) == sorted([THERAPIST.sub, OTHER_THERAPIST.sub])

    def test_a_page_size_of_its_own_is_read_once_too(self, api: Api, listing_queries: list[dict[str, Any]]) -> None:
        publish_therapist(api)
        for limit in ("20", "1", "20", "1"):
            assert api.get("/therapists", CLIENT, query={"limit": limit}).status == 200
        assert [query["Limit"] for query in listing_queries] == [20, 1]

    def test_later_pages_are_read_every_time_and_a_forged_cursor_is_still_refused(
        self, api: Api, listing_queries: list[dict[str, Any]]
    ) -> None:
        # Given two listed therapists, and the first page of one read (and cached)
        publish_therapist(api)
        publish_therapist(api, OTHER_THERAPIST)
        first = api.get("/therapists", CLIENT, query={"limit": "1"}).body

        # When the next page is read twice, and a cursor of another listing's shape is sent
        second = [api.get("/therapists", CLIENT, query={"limit": "1", "cursor": first["next_cursor"]}) for _ in "ab"]
        forged = api.get("/therapists", CLIENT, query={"limit": "1", "cursor": "eyJwayI6eyJTIjoieCJ9fQ=="})

        # Then each next page is a Query of its own, and the forged cursor is 422, as without the cache
        assert [ids(answer) for answer in second] == [[OTHER_THERAPIST.sub]] * 2
        assert len(listing_queries) == 3
        assert forged.status == 422 and "cursor" in forged.body["detail"]

    def test_a_therapist_who_hides_may_stay_listed_but_cannot_be_booked(
        self, api: Api, listing_queries: list[dict[str, Any]]
    ) -> None:
        # Given a listed therapist, the first page read (and cached)
        publish_therapist(api)
        assert ids(api.get("/therapists", CLIENT)) == [THERAPIST.sub]

        # When they hide their profile
        publish_therapist(api, visible=False)

        # Then the cached first page still lists them (until the TTL is over: docs/scaling.md)
        assert ids(api.get("/therapists", OTHER_CLIENT)) == [THERAPIST.sub]
        assert len(listing_queries) == 1
        # But their profile is not found, and a booking is refused by the booking's own reads and transaction
        assert api.get(f"/therapists/{THERAPIST.sub}", CLIENT).status == 404
        refused = book(api)
        assert (refused.status, refused.body["code"]) == (409, "therapist_unavailable_for_booking")

    def test_an_unauthenticated_request_is_refused_before_the_cache(
        self, api: Api, listing_queries: list[dict[str, Any]]
    ) -> None:
        publish_therapist(api)
        assert api.get("/therapists", CLIENT).status == 200
        assert api.get("/therapists", None).status == 401
        assert len(listing_queries) == 1


def test_without_the_variable_every_read_queries_the_table(api: Api, listing_queries: list[dict[str, Any]]) -> None:
    # Given the tests' environment, where LISTING_CACHE_SECONDS is not set (as in every function but the reads one)
    publish_therapist(api)

    # When the first page is read twice / Then the listing's partition is read twice
    api.get("/therapists", CLIENT)
    api.get("/therapists", CLIENT)
    assert len(listing_queries) == 2
