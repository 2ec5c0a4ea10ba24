"""Profiles, availability, slots and blocks on in-memory adapters."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from tests.support.clock import FakeClock
from tests.support.domain_data import CLIENT, NOW, PROFILE, THERAPIST, WEDNESDAY_10, request
from tests.support.fakes import InMemorySessions, InMemoryStore, InMemoryTherapists
from therapy_booking.domain.errors import Forbidden, NotFound, SlotUnavailable, ValidationFailed
from therapy_booking.domain.model import (
    Availability,
    Money,
    SessionType,
    SessionTypeOffer,
    Weekday,
    WeeklyWindow,
)
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.services import SessionService, TherapistService


@pytest.fixture
def therapists(store: InMemoryStore, clock: FakeClock) -> TherapistService:
    return TherapistService(InMemoryTherapists(store), clock, PlatformPolicy(), ids=lambda: "b1")


@pytest.fixture
def sessions(store: InMemoryStore, clock: FakeClock) -> SessionService:
    return SessionService(InMemorySessions(store), InMemoryTherapists(store), clock, PlatformPolicy())


WEDNESDAY = (datetime(2026, 12, 2, tzinfo=UTC), datetime(2026, 12, 3, tzinfo=UTC))


class TestProfile:
    @pytest.mark.parametrize(
        ("profile", "reason"),
        [
            (replace(PROFILE, timezone="Mars/Olympus"), "not a known IANA time zone"),
            (replace(PROFILE, sms_opt_in=True, phone=None), "needs a phone number"),
            (
                replace(PROFILE, session_types=(SessionTypeOffer(SessionType.INDIVIDUAL, 50, Money(60, "EUR")),)),
                "Prices must be in GBP",
            ),
        ],
    )
    def test_invalid_profiles_are_refused_and_not_saved(
        self, therapists: TherapistService, store: InMemoryStore, profile: object, reason: str
    ) -> None:
        with pytest.raises(ValidationFailed, match=reason):
            therapists.put_profile(THERAPIST, profile)  # type: ignore[arg-type]
        assert store.therapists["t1"].profile == PROFILE

    def test_only_therapists_publish_profiles(self, therapists: TherapistService) -> None:
        with pytest.raises(Forbidden):
            therapists.put_profile(CLIENT, PROFILE)

    def test_overlapping_windows_on_a_day_are_refused(self, therapists: TherapistService) -> None:
        windows = (WeeklyWindow(Weekday.MON, time(9), time(12)), WeeklyWindow(Weekday.MON, time(11), time(13)))
        with pytest.raises(ValidationFailed, match="overlap"):
            therapists.put_availability(THERAPIST, Availability(windows, 0, 30))

    @pytest.mark.parametrize(
        ("start", "end"), [(time(9, 5), time(17)), (time(9), time(16, 50)), (time(0, 7), time(4, 7))]
    )
    def test_a_window_off_the_15_minute_grid_is_refused_and_not_saved(
        self, therapists: TherapistService, store: InMemoryStore, start: time, end: time
    ) -> None:
        # Given a therapist with published availability
        before = store.therapists["t1"]
        # When they publish a window starting or ending off the 15-minute grid
        # Then it is refused (slots off the grid would share a unit with their neighbours), and nothing changes
        with pytest.raises(ValidationFailed, match="15-minute grid"):
            therapists.put_availability(THERAPIST, Availability((WeeklyWindow(Weekday.MON, start, end),), 0, 30))
        assert store.therapists["t1"] == before

    def test_a_window_must_end_after_it_starts(self, therapists: TherapistService) -> None:
        with pytest.raises(ValidationFailed, match="end after"):
            therapists.put_availability(THERAPIST, Availability((WeeklyWindow(Weekday.MON, time(12), time(9)),), 0, 30))

    def test_hidden_therapists_are_visible_only_to_themselves(
        self, therapists: TherapistService, store: InMemoryStore
    ) -> None:
        store.therapists["t1"] = replace(store.therapists["t1"], profile=replace(PROFILE, visible=False))
        with pytest.raises(NotFound):
            therapists.get(CLIENT, "t1")
        assert therapists.get(THERAPIST, "t1").therapist_id == "t1"


class TestSlots:
    def test_slots_leave_out_booked_time(self, therapists: TherapistService, sessions: SessionService) -> None:
        before = therapists.slots(CLIENT, "t1", *WEDNESDAY, SessionType.INDIVIDUAL)
        sessions.book(CLIENT, request())
        after = therapists.slots(CLIENT, "t1", *WEDNESDAY, SessionType.INDIVIDUAL)
        assert [s.start for s in before if s not in after] == [WEDNESDAY_10]
        assert len(before) == 8

    def test_the_session_type_sets_the_length_and_step(self, therapists: TherapistService) -> None:
        couple = therapists.slots(CLIENT, "t1", *WEDNESDAY, SessionType.COUPLE)
        assert [s.start.strftime("%H:%M") for s in couple] == ["09:00", "10:30", "12:00", "13:30", "15:00"]
        assert couple[0].end - couple[0].start == timedelta(minutes=80)

    def test_an_unoffered_type_or_a_backwards_window_is_invalid(self, therapists: TherapistService) -> None:
        with pytest.raises(ValidationFailed, match="does not offer family"):
            therapists.slots(CLIENT, "t1", *WEDNESDAY, SessionType.FAMILY)
        with pytest.raises(ValidationFailed, match="after 'from'"):
            therapists.slots(CLIENT, "t1", WEDNESDAY[1], WEDNESDAY[0], None)
        with pytest.raises(ValidationFailed, match="at most 62 days"):
            therapists.slots(CLIENT, "t1", WEDNESDAY[0], WEDNESDAY[0] + timedelta(days=63), None)


class TestBlocks:
    def test_a_block_removes_slots_until_it_is_deleted(self, therapists: TherapistService) -> None:
        block = therapists.add_block(THERAPIST, WEDNESDAY_10, WEDNESDAY_10 + timedelta(hours=2), "dentist")
        blocked = therapists.slots(CLIENT, "t1", *WEDNESDAY, SessionType.INDIVIDUAL)
        assert [s.start.hour for s in blocked] == [9, 12, 13, 14, 15, 16]
        therapists.delete_block(THERAPIST, block.block_id)
        assert len(therapists.slots(CLIENT, "t1", *WEDNESDAY, SessionType.INDIVIDUAL)) == 8

    def test_a_block_over_a_booked_session_is_refused(
        self, therapists: TherapistService, sessions: SessionService
    ) -> None:
        sessions.book(CLIENT, request())
        with pytest.raises(SlotUnavailable):
            therapists.add_block(
                THERAPIST, WEDNESDAY_10 + timedelta(minutes=30), WEDNESDAY_10 + timedelta(hours=1), None
            )

    def test_blocks_are_bounded_and_in_the_future(self, therapists: TherapistService) -> None:
        with pytest.raises(ValidationFailed, match="at most 24 hours"):
            therapists.add_block(THERAPIST, WEDNESDAY_10, WEDNESDAY_10 + timedelta(hours=25), None)
        with pytest.raises(ValidationFailed, match="end in the future"):
            therapists.add_block(THERAPIST, NOW - timedelta(hours=2), NOW - timedelta(hours=1), None)

    def test_deleting_an_unknown_block_is_not_found(self, therapists: TherapistService) -> None:
        with pytest.raises(NotFound):
            therapists.delete_block(THERAPIST, "nope")
