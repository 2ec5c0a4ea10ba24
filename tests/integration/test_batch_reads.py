"""Reads of two items in one BatchGetItem on moto: a session with its therapist, a session's two parties."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from tests.support.clock import FakeClock
from tests.support.domain_data import AVAILABILITY, CLIENT, NOW, PROFILE, THERAPIST, request
from therapy_booking.adapters.dynamodb import batch
from therapy_booking.adapters.dynamodb.batch import UnprocessedKeys, get_items
from therapy_booking.adapters.dynamodb.clients import DynamoClientRepository
from therapy_booking.adapters.dynamodb.models import TableItem, TherapistItem
from therapy_booking.adapters.dynamodb.sessions import DynamoSessionRepository
from therapy_booking.adapters.dynamodb.therapists import DynamoTherapistRepository
from therapy_booking.domain.errors import NotFound
from therapy_booking.domain.model import (
    Actor,
    ClientProfile,
    Location,
    LocationKind,
    RearrangeReason,
    Role,
    Session,
)
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.services import SessionService

OTHER_THERAPIST = Actor("t2", frozenset({Role.THERAPIST}))
VIDEO = Location("video", LocationKind.ONLINE, link="https://meet.example/t1")
THERAPIST_PROFILE = replace(PROFILE, locations=(*PROFILE.locations, VIDEO))
CLIENT_PROFILE = ClientProfile("c1", "Sam Client", "sam@example.com", None, False, "Europe/London")


@pytest.fixture
def calls(aws: Any) -> Iterator[list[str]]:
    """The DynamoDB operations sent from now on."""
    sent: list[str] = []
    client = TableItem._get_connection().connection.client
    client.meta.events.register("before-call.dynamodb.*", lambda model, **_: sent.append(model.name))
    yield sent


@pytest.fixture
def therapists(aws: Any) -> DynamoTherapistRepository:
    repository = DynamoTherapistRepository()
    for therapist_id in ("t1", "t2"):
        repository.save_profile(therapist_id, THERAPIST_PROFILE)
        repository.save_availability(therapist_id, AVAILABILITY)
    DynamoClientRepository().save_profile(CLIENT_PROFILE)
    return repository


@pytest.fixture
def service(therapists: DynamoTherapistRepository) -> SessionService:
    return SessionService(DynamoSessionRepository(), therapists, FakeClock(NOW), PlatformPolicy())


@pytest.fixture
def session(service: SessionService) -> Session:
    """t1's pending session with c1."""
    return service.book(CLIENT, request())


class TestSessionWithTherapist:
    def test_both_are_read_in_one_call(self, session: Session, calls: list[str]) -> None:
        # When the session is read with its therapist
        found, therapist = DynamoSessionRepository().get_with_therapist(session.session_id, "t1")
        # Then both came back, in one BatchGetItem
        assert found == session
        assert therapist is not None and therapist.therapist_id == "t1" and therapist.profile == THERAPIST_PROFILE
        assert therapist.availability == AVAILABILITY
        assert calls == ["BatchGetItem"]

    def test_a_missing_session_is_none_and_the_therapist_still_read(self, therapists: Any, calls: list[str]) -> None:
        # When a session that does not exist is read with a therapist
        found, therapist = DynamoSessionRepository().get_with_therapist("no-such-session", "t1")
        # Then there is no session, and the therapist is there
        assert found is None
        assert therapist is not None and therapist.therapist_id == "t1"
        assert calls == ["BatchGetItem"]

    def test_a_missing_therapist_is_none(self, session: Session) -> None:
        # When the session is read with a therapist who does not exist
        found, therapist = DynamoSessionRepository().get_with_therapist(session.session_id, "t9")
        # Then the session is there, the therapist is None
        assert (found, therapist) == (session, None)

    def test_the_session_of_another_therapist_comes_back_with_the_therapist_asked_for(self, session: Session) -> None:
        # When t1's session is read with t2
        found, therapist = DynamoSessionRepository().get_with_therapist(session.session_id, "t2")
        # Then both come back as they are: whose session it is, the service decides
        assert found == session and found.therapist_id == "t1"
        assert therapist is not None and therapist.therapist_id == "t2"


class TestRearrangementReads:
    def test_a_location_change_reads_once_and_writes_once(
        self, service: SessionService, session: Session, calls: list[str]
    ) -> None:
        # When the session's therapist changes its location
        changed = service.change_location(THERAPIST, session.session_id, "video", RearrangeReason.ERROR_CORRECTION)
        # Then it took one read (the session and the therapist) and one transaction
        assert changed.location == VIDEO and changed.version == session.version + 1
        assert calls == ["BatchGetItem", "TransactWriteItems"]

    def test_an_offer_reads_once_and_writes_once(
        self, service: SessionService, session: Session, calls: list[str]
    ) -> None:
        # When the session's therapist offers another time
        offered = service.offer_alternatives(THERAPIST, session.session_id, [session.start.replace(hour=14)])
        # Then it took one read and one transaction
        assert offered.offer is not None
        assert calls == ["BatchGetItem", "TransactWriteItems"]

    @pytest.mark.parametrize("change", ["reschedule", "change_location", "offer_alternatives"])
    def test_another_therapist_gets_not_found_and_nothing_is_written(
        self, service: SessionService, session: Session, calls: list[str], change: str
    ) -> None:
        # When another therapist tries to change t1's session
        attempts = {
            "reschedule": lambda: service.reschedule(
                OTHER_THERAPIST, session.session_id, session.start.replace(hour=14), RearrangeReason.CLIENT_REQUESTED
            ),
            "change_location": lambda: service.change_location(
                OTHER_THERAPIST, session.session_id, "video", RearrangeReason.ERROR_CORRECTION
            ),
            "offer_alternatives": lambda: service.offer_alternatives(
                OTHER_THERAPIST, session.session_id, [session.start.replace(hour=14)]
            ),
        }
        # Then there is no such session for them, as before, and nothing was written
        with pytest.raises(NotFound, match="There is no session with that id"):
            attempts[change]()
        assert calls == ["BatchGetItem"]
        assert DynamoSessionRepository().get(session.session_id) == session

    def test_a_therapist_without_a_profile_no_longer_exists(self, service: SessionService, session: Session) -> None:
        # Given the therapist's record is gone
        TherapistItem("THERAPIST#t1", "PROFILE").delete()
        # When they change the session's location
        # Then the session's therapist is not found, as before
        with pytest.raises(NotFound, match="The session's therapist no longer exists"):
            service.change_location(THERAPIST, session.session_id, "video", RearrangeReason.ERROR_CORRECTION)


class TestParties:
    def test_therapist_and_client_are_read_in_one_call(
        self, therapists: DynamoTherapistRepository, calls: list[str]
    ) -> None:
        # When a session's two parties are read
        therapist, client = therapists.get_with_client("t1", "c1")
        # Then both came back, in one BatchGetItem
        assert therapist is not None and therapist.profile == THERAPIST_PROFILE
        assert client == CLIENT_PROFILE
        assert calls == ["BatchGetItem"]

    def test_a_missing_client_is_none(self, therapists: DynamoTherapistRepository) -> None:
        therapist, client = therapists.get_with_client("t1", "c9")
        assert therapist is not None and therapist.therapist_id == "t1"
        assert client is None

    def test_a_missing_therapist_is_none(self, therapists: DynamoTherapistRepository) -> None:
        therapist, client = therapists.get_with_client("t9", "c1")
        assert (therapist, client) == (None, CLIENT_PROFILE)


class Throttling:
    """Leaves the first `times` answers' keys but the first unprocessed, as DynamoDB does under throttling."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.asked: list[int] = []
        self.connection = TableItem._get_connection()
        self.real = self.connection.batch_get_item

    def __call__(self, keys: list[Any], **kwargs: Any) -> dict[str, Any]:
        self.asked.append(len(keys))
        if len(self.asked) > self.times:
            return self.real(keys, **kwargs)
        table = TableItem.Meta.table_name
        answer = self.real(keys[:1], **kwargs) if len(keys) > 1 else {"Responses": {table: []}}
        unprocessed = keys[1:] if len(keys) > 1 else keys
        return {**answer, "UnprocessedKeys": {table: {"Keys": unprocessed}}}


class TestUnprocessedKeys:
    def test_keys_left_unprocessed_are_asked_for_again_after_a_pause(
        self, therapists: DynamoTherapistRepository, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Given DynamoDB leaves all keys but one unprocessed, once
        throttling = Throttling(times=1)
        monkeypatch.setattr(throttling.connection, "batch_get_item", throttling)
        pauses: list[float] = []
        # When three items are read together
        keys = [("THERAPIST#t1", "PROFILE"), ("THERAPIST#t2", "PROFILE"), ("CLIENT#c1", "PROFILE")]
        found = get_items(*keys, sleep=pauses.append)
        # Then every item came back: the two left over were asked for again, after one pause
        assert sorted(found) == sorted(keys)
        assert throttling.asked == [3, 2]
        assert len(pauses) == 1 and 0 < pauses[0] <= batch.FIRST_DELAY

    def test_the_session_and_its_therapist_survive_a_throttled_batch(
        self, session: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Given DynamoDB leaves the therapist's key unprocessed twice
        throttling = Throttling(times=2)
        monkeypatch.setattr(throttling.connection, "batch_get_item", throttling)
        # When the session is read with its therapist
        found, therapist = DynamoSessionRepository().get_with_therapist(session.session_id, "t1")
        # Then neither is lost
        assert found == session
        assert therapist is not None and therapist.therapist_id == "t1"
        assert throttling.asked == [2, 1, 1]

    def test_keys_still_unprocessed_after_every_attempt_raise(
        self, therapists: DynamoTherapistRepository, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Given DynamoDB never processes the keys
        throttling = Throttling(times=batch.MAX_ATTEMPTS)
        monkeypatch.setattr(throttling.connection, "batch_get_item", throttling)
        pauses: list[float] = []
        # When two items are read together
        # Then it gives up loudly after the last attempt, rather than answer without them
        with pytest.raises(UnprocessedKeys):
            get_items(("THERAPIST#t1", "PROFILE"), ("CLIENT#c1", "PROFILE"), sleep=pauses.append)
        assert len(throttling.asked) == batch.MAX_ATTEMPTS
        assert len(pauses) == batch.MAX_ATTEMPTS - 1 and max(pauses) <= batch.MAX_DELAY
