"""The listing's cache of first pages: a bounded TTL cache on an injected monotonic clock, in front of the listing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.support.clock import FakeClock
from tests.support.domain_data import PROFILE
from tests.support.fakes import InMemoryStore, InMemoryTherapists
from therapy_booking.adapters.listing_cache import LISTING_CACHE_PAGE_SIZES, CachedListing, TtlCache
from therapy_booking.domain.errors import ValidationFailed
from therapy_booking.domain.model import Therapist
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.ports import Page
from therapy_booking.domain.services import TherapistService

TTL = 60.0


class Monotonic:
    """A monotonic clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Loads:
    """A loader that counts its calls and answers a new value each time."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return f"value {self.calls}"


class CountingListing:
    """A listing that records what it was asked, over the in-memory therapists; a cursor it never gave out is
    refused, as the table's listing refuses one."""

    def __init__(self, store: InMemoryStore) -> None:
        self.inner = InMemoryTherapists(store)
        self.asked: list[tuple[int, str | None]] = []

    def list_bookable(self, limit: int, cursor: str | None) -> Page[Therapist]:
        self.asked.append((limit, cursor))
        if cursor is not None and cursor != "page-2":
            raise ValidationFailed("'cursor' is not a cursor this listing gave out (for these filters).")
        page = self.inner.list_bookable(limit, None)
        return Page(page.items, "page-2" if cursor is None else None)


@pytest.fixture
def monotonic() -> Monotonic:
    return Monotonic()


@pytest.fixture
def listing(store: InMemoryStore) -> CountingListing:
    return CountingListing(store)


@pytest.fixture
def cached(listing: CountingListing, monotonic: Monotonic) -> CachedListing:
    return CachedListing(listing, TtlCache(TTL, LISTING_CACHE_PAGE_SIZES, monotonic))


class TestTtlCache:
    def test_a_value_is_loaded_once_and_served_until_its_ttl_is_over(self, monotonic: Monotonic) -> None:
        # Given a cache of 60 seconds
        cache: TtlCache[str, str] = TtlCache(TTL, 4, monotonic)
        load = Loads()

        # When a key is read, then read again within the 60 seconds
        first = cache.get_or_load("k", load)
        monotonic.advance(TTL - 0.001)
        second = cache.get_or_load("k", load)

        # Then it was loaded once, and both reads got that value
        assert (first, second, load.calls) == ("value 1", "value 1", 1)

    def test_a_value_is_loaded_again_once_its_ttl_is_over(self, monotonic: Monotonic) -> None:
        # Given a value read into a cache of 60 seconds
        cache: TtlCache[str, str] = TtlCache(TTL, 4, monotonic)
        load = Loads()
        cache.get_or_load("k", load)

        # When 60 seconds have passed on the monotonic clock
        monotonic.advance(TTL)

        # Then the next read loads it again, and that value is kept for the next 60 seconds
        assert cache.get_or_load("k", load) == "value 2"
        monotonic.advance(TTL / 2)
        assert cache.get_or_load("k", load) == "value 2"
        assert load.calls == 2

    def test_a_ttl_of_zero_keeps_nothing(self, monotonic: Monotonic) -> None:
        # Given a cache of 0 seconds
        cache: TtlCache[str, str] = TtlCache(0, 4, monotonic)
        load = Loads()

        # When a key is read twice at the same instant / Then both reads load, and nothing is kept
        assert [cache.get_or_load("k", load), cache.get_or_load("k", load)] == ["value 1", "value 2"]
        assert len(cache) == 0

    def test_the_cache_never_holds_more_than_its_bound_whatever_the_keys(self, monotonic: Monotonic) -> None:
        # Given a cache of at most 3 entries
        cache: TtlCache[int, str] = TtlCache(TTL, 3, monotonic)

        # When a caller cycles through a hundred keys, twice
        for key in [*range(100), *range(100)]:
            cache.get_or_load(key, Loads())

        # Then it holds 3 entries, the last ones read
        assert len(cache) == 3
        load = Loads()
        assert [cache.get_or_load(key, load) for key in (97, 98, 99)] == ["value 1"] * 3
        assert load.calls == 0

    def test_when_full_the_least_recently_used_goes_first(self, monotonic: Monotonic) -> None:
        # Given a full cache of 2 entries, the older one read again since
        cache: TtlCache[str, str] = TtlCache(TTL, 2, monotonic)
        cache.get_or_load("popular", Loads())
        cache.get_or_load("rare", Loads())
        cache.get_or_load("popular", Loads())

        # When a third key is read
        cache.get_or_load("new", Loads())

        # Then the entry not read for longest made room; the popular one is still served
        load = Loads()
        cache.get_or_load("popular", load)
        assert load.calls == 0
        cache.get_or_load("rare", load)
        assert load.calls == 1

    def test_when_full_expired_entries_make_room_before_live_ones(self, monotonic: Monotonic) -> None:
        # Given a full cache of 2 entries whose first-used entry is still live and whose other one has expired
        cache: TtlCache[str, str] = TtlCache(TTL, 2, monotonic)
        cache.get_or_load("old", Loads())
        monotonic.advance(TTL / 2)
        cache.get_or_load("live", Loads())
        cache.get_or_load("old", Loads())  # still live, now the most recently used
        monotonic.advance(TTL / 2 + 1)  # "old" has expired, "live" has not

        # When a third key is read
        cache.get_or_load("new", Loads())

        # Then the expired entry went, not the live one
        load = Loads()
        cache.get_or_load("live", load)
        assert load.calls == 0 and len(cache) == 2

    def test_a_load_that_fails_leaves_nothing_behind(self, monotonic: Monotonic) -> None:
        # Given a cache, and a load that fails
        cache: TtlCache[str, str] = TtlCache(TTL, 4, monotonic)

        def failing() -> str:
            raise RuntimeError("the table is unavailable")

        # When the read fails / Then the error reaches the caller, and the next read loads again
        with pytest.raises(RuntimeError):
            cache.get_or_load("k", failing)
        assert len(cache) == 0
        assert cache.get_or_load("k", Loads()) == "value 1"

    @pytest.mark.parametrize(("ttl", "entries"), [(-1, 4), (TTL, 0)])
    def test_a_negative_ttl_or_no_room_is_refused(self, ttl: float, entries: int) -> None:
        with pytest.raises(ValueError):
            TtlCache(ttl, entries)


class TestCachedListing:
    def test_the_first_page_is_read_once_per_ttl_for_every_caller(
        self, cached: CachedListing, listing: CountingListing, monotonic: Monotonic
    ) -> None:
        # When the first page (no cursor) is asked for three times within the TTL
        pages = [cached.list_bookable(20, None) for _ in range(3)]

        # Then the listing was read once, and every answer is that page, with its cursor
        assert listing.asked == [(20, None)]
        assert [[t.therapist_id for t in page.items] for page in pages] == [["t1"]] * 3
        assert {page.next_cursor for page in pages} == {"page-2"}

        # And once the TTL is over, the next first page is read again
        monotonic.advance(TTL)
        cached.list_bookable(20, None)
        assert listing.asked == [(20, None), (20, None)]

    def test_each_page_size_is_an_entry_of_its_own(self, cached: CachedListing, listing: CountingListing) -> None:
        # When first pages of two sizes are asked for, twice each
        for limit in (20, 5, 20, 5):
            cached.list_bookable(limit, None)

        # Then each size was read once
        assert listing.asked == [(20, None), (5, None)]

    def test_a_page_after_the_first_is_always_read_and_a_forged_cursor_still_refused(
        self, cached: CachedListing, listing: CountingListing
    ) -> None:
        # Given the first page read (and cached)
        cursor = cached.list_bookable(20, None).next_cursor

        # When the next page is asked for twice, and a cursor the listing never gave out once
        cached.list_bookable(20, cursor)
        cached.list_bookable(20, cursor)
        with pytest.raises(ValidationFailed, match="not a cursor this listing gave out"):
            cached.list_bookable(20, "forged")

        # Then each of them went to the listing, which refused the forged one
        assert listing.asked == [(20, None), (20, cursor), (20, cursor), (20, "forged")]

    def test_a_caller_changing_its_page_does_not_change_the_next_callers(self, cached: CachedListing) -> None:
        # Given a first page handed to one caller, who empties its list
        cached.list_bookable(20, None).items.clear()

        # When the next caller reads the first page / Then it is whole
        assert [t.therapist_id for t in cached.list_bookable(20, None).items] == ["t1"]

    def test_a_therapist_who_hides_stays_listed_until_the_ttl_is_over(
        self, store: InMemoryStore, cached: CachedListing, monotonic: Monotonic
    ) -> None:
        # Given the therapist service with the cache in front of its listing, the first page read
        service = TherapistService(InMemoryTherapists(store), FakeClock(), PlatformPolicy(), listing=cached)
        assert [t.therapist_id for t in service.list_bookable(20, None).items] == ["t1"]

        # When the listed therapist hides their profile
        store.therapists["t1"] = replace(store.therapists["t1"], profile=replace(PROFILE, visible=False))

        # Then the first page still lists them until the TTL is over (the staleness docs/scaling.md accepts), and
        # not after
        monotonic.advance(TTL - 1)
        assert [t.therapist_id for t in service.list_bookable(20, None).items] == ["t1"]
        monotonic.advance(1)
        assert service.list_bookable(20, None).items == []
