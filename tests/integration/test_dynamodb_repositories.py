"""The DynamoDB adapters on moto, with the table built from template.yaml."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.domain_data import AVAILABILITY, CLIENT, PROFILE, THERAPIST
from therapy_booking.adapters.dynamodb.models import TherapistItem
from therapy_booking.adapters.dynamodb.sessions import DynamoSessionRepository
from therapy_booking.adapters.dynamodb.therapists import DynamoTherapistRepository
from therapy_booking.domain import lifecycle
from therapy_booking.domain.errors import (
    Conflict,
    FreeConsultationUsed,
    SlotUnavailable,
    TherapistUnavailableForBooking,
)
from therapy_booking.domain.model import (
    Location,
    LocationKind,
    Money,
    Session,
    SessionStatus,
    SessionType,
)
from therapy_booking.domain.policies import PlatformPolicy

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
START = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
TABLE = "therapy-booking-test"


def items(aws: Any) -> dict[tuple[str, str], dict[str, Any]]:
    return {(i["pk"]["S"], i["sk"]["S"]): i for i in aws.scan(TableName=TABLE)["Items"]}


def new_session(session_id: str = "s1", start: datetime = START, client_id: str = "c1", free: bool = False) -> Session:
    return Session(
        session_id=session_id,
        therapist_id="t1",
        client_id=client_id,
        status=SessionStatus.PENDING,
        session_type=SessionType.INDIVIDUAL,
        attendees=("Sam",),
        location=Location("room", LocationKind.IN_PERSON, address="1 Street"),
        start=start,
        end=start + timedelta(minutes=50),
        price=Money(0 if free else 6000, "GBP"),
        initial_consultation=free,
        created_at=NOW,
        updated_at=NOW,
        version=1,
        note="private note",
    )


def ctx(actor: Any = CLIENT) -> lifecycle.Transition:
    return lifecycle.Transition(actor=actor, now=NOW, policy=PlatformPolicy())


@pytest.fixture
def therapists(aws: Any) -> DynamoTherapistRepository:
    repository = DynamoTherapistRepository()
    repository.save_profile("t1", PROFILE)
    repository.save_availability("t1", AVAILABILITY)
    return repository


@pytest.fixture
def sessions(therapists: DynamoTherapistRepository) -> DynamoSessionRepository:
    return DynamoSessionRepository()


class TestCommit:
    def test_a_booking_writes_session_claims_event_and_marker_together(
        self, sessions: DynamoSessionRepository, aws: Any
    ) -> None:
        # When a free consultation is booked
        sessions.commit(lifecycle.book(new_session(free=True), ctx()))
        stored = items(aws)
        # Then the session, its four claims, its event and the free-consultation marker exist
        assert ("SESSION#s1", "SESSION") in stored
        claims = sorted(sk for (pk, sk) in stored if pk == "THERAPIST#t1" and sk.startswith("CLAIM#"))
        assert claims == [f"CLAIM#2026-12-02T10:{m:02d}:00Z" for m in (0, 15, 30, 45)]
        assert {stored[("THERAPIST#t1", c)]["owner_id"]["S"] for c in claims} == {"s1"}
        event = stored[("SESSION#s1", "EVENT#00000001")]
        assert event["event_type"]["S"] == "session.booked" and event["entity"]["S"] == "event"
        assert stored[("CLIENT#c1", "FREE_CONSULTATION#t1")]["session_id"]["S"] == "s1"
        assert sessions.get("s1") == new_session(free=True)

    def test_an_overlapping_booking_fails_whole(self, sessions: DynamoSessionRepository, aws: Any) -> None:
        sessions.commit(lifecycle.book(new_session(), ctx()))
        before = items(aws)
        overlapping = new_session("s2", START + timedelta(minutes=45), client_id="c2")
        with pytest.raises(SlotUnavailable):
            sessions.commit(lifecycle.book(overlapping, ctx()))
        assert items(aws) == before

    def test_a_second_free_consultation_fails_whole(self, sessions: DynamoSessionRepository, aws: Any) -> None:
        sessions.commit(lifecycle.book(new_session(free=True), ctx()))
        before = items(aws)
        with pytest.raises(FreeConsultationUsed):
            sessions.commit(lifecycle.book(new_session("s2", START + timedelta(hours=2), free=True), ctx()))
        assert items(aws) == before

    def test_a_stale_version_is_a_conflict_and_writes_nothing(
        self, sessions: DynamoSessionRepository, aws: Any
    ) -> None:
        sessions.commit(lifecycle.book(new_session(), ctx()))
        stored = sessions.get("s1")
        assert stored is not None
        sessions.commit(lifecycle.confirm(stored, ctx(THERAPIST)))
        before = items(aws)
        with pytest.raises(Conflict):  # a second writer still holding version 1
            sessions.commit(lifecycle.decline(stored, ctx(THERAPIST), None))
        assert items(aws) == before

    def test_decline_deletes_exactly_the_sessions_claims(self, sessions: DynamoSessionRepository, aws: Any) -> None:
        sessions.commit(lifecycle.book(new_session(), ctx()))
        sessions.commit(lifecycle.book(new_session("s2", START + timedelta(hours=1), client_id="c2"), ctx()))
        stored = sessions.get("s1")
        assert stored is not None
        sessions.commit(lifecycle.decline(stored, ctx(THERAPIST), None))
        owners = {i["owner_id"]["S"] for (pk, sk), i in items(aws).items() if sk.startswith("CLAIM#")}
        assert owners == {"s2"}
        assert sessions.get("s1").status is SessionStatus.DECLINED  # type: ignore[union-attr]

    def test_a_deactivated_therapist_refuses_the_booking_in_the_transaction(
        self, sessions: DynamoSessionRepository, aws: Any
    ) -> None:
        TherapistItem("THERAPIST#t1", "PROFILE").update(actions=[TherapistItem.deactivated.set(True)])
        with pytest.raises(TherapistUnavailableForBooking):
            sessions.commit(lifecycle.book(new_session(), ctx()))
        assert ("SESSION#s1", "SESSION") not in items(aws)


class TestTherapists:
    def test_the_calendar_reads_profile_and_future_claims_in_one_query(
        self, sessions: DynamoSessionRepository, therapists: DynamoTherapistRepository, aws: Any
    ) -> None:
        sessions.commit(lifecycle.book(new_session("past", START - timedelta(days=7)), ctx()))
        sessions.commit(lifecycle.book(new_session(), ctx()))
        calls: list[str] = []
        client = TherapistItem._get_connection().connection.client
        client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
        calendar = therapists.get_calendar("t1", START - timedelta(hours=1))
        assert calls == ["Query"]
        assert calendar is not None and calendar.therapist.profile == PROFILE
        assert calendar.claimed_units == {START + timedelta(minutes=15 * i) for i in range(4)}

    def test_a_deactivated_therapist_stays_out_of_the_listing_when_republishing(
        self, therapists: DynamoTherapistRepository
    ) -> None:
        TherapistItem("THERAPIST#t1", "PROFILE").update(actions=[TherapistItem.deactivated.set(True)])
        saved = therapists.save_profile("t1", replace(PROFILE, name="New name"))
        assert saved.deactivated and saved.profile is not None and saved.profile.name == "New name"
        assert therapists.list_bookable(10, None).items == []

    def test_hiding_a_profile_removes_it_from_the_listing(self, therapists: DynamoTherapistRepository) -> None:
        assert [t.therapist_id for t in therapists.list_bookable(10, None).items] == ["t1"]
        therapists.save_profile("t1", replace(PROFILE, visible=False))
        assert therapists.list_bookable(10, None).items == []
