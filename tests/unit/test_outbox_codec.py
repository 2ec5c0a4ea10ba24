"""The outbox codec: every typed event written as its outbox item comes back from the stream image as
the same event, and an item that does not fit its type is told apart from one this code does not know."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any, get_type_hints

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from therapy_booking.adapters.dynamodb.outbox import event_from_image, event_item
from therapy_booking.domain import events
from therapy_booking.domain.changes import SessionChange
from therapy_booking.domain.events import (
    EVENT_CLASSES,
    STORED_EVENT_TYPES,
    DomainEvent,
    EventType,
    MalformedEvent,
    UnknownEventType,
)
from therapy_booking.domain.model import (
    Location,
    LocationKind,
    Money,
    OfferExpiryPolicy,
    RearrangeReason,
    Role,
    Session,
    SessionStatus,
    SessionType,
)

START = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
SESSION = Session(
    session_id="s1",
    therapist_id="t1",
    client_id="c1",
    status=SessionStatus.CONFIRMED,
    session_type=SessionType.INDIVIDUAL,
    attendees=(),
    location=Location("room", LocationKind.IN_PERSON, address="12 Harley Street"),
    start=START,
    end=START + timedelta(minutes=50),
    price=Money(6000, "GBP"),
    initial_consultation=False,
    created_at=START - timedelta(days=2),
    updated_at=START - timedelta(days=1),
    version=3,
)
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2199, 12, 31), timezones=st.just(UTC))
texts = st.text(min_size=1, max_size=40)


def events_of(cls: type[DomainEvent]) -> st.SearchStrategy[DomainEvent]:
    """Any event of `cls`: its header and its facts drawn from their types."""
    by_type: dict[Any, st.SearchStrategy[Any]] = {datetime: instants, str: texts}
    hints = get_type_hints(cls)
    strategies = {
        f.name: st.one_of(st.none(), texts)
        if f.name == "actor_id"
        else by_type.get(hints[f.name], st.from_type(hints[f.name]))
        for f in fields(cls)
    }
    strategies["session_version"] = st.integers(min_value=1, max_value=10_000)
    strategies["session_id"] = st.just(SESSION.session_id)
    return st.builds(cls, **strategies)


def image_of(event: DomainEvent) -> dict[str, Any]:
    """The NewImage a stream record carries for the event's outbox item."""
    image: dict[str, Any] = event_item(SessionChange(session=SESSION, expected_version=2, event=event)).serialize()
    return image


stored = st.sampled_from(sorted(STORED_EVENT_TYPES)).flatmap(lambda t: events_of(EVENT_CLASSES[t]))


class TestRoundTrip:
    @settings(max_examples=300, deadline=None)
    @given(event=stored)
    def test_every_stored_event_comes_back_from_its_stream_image_as_it_was_written(self, event: DomainEvent) -> None:
        # Given any event of any stored type, written as its outbox item
        image = image_of(event)

        # When a consumer decodes the stream image
        decoded, session = decode(image)

        # Then it gets the very same typed event, and the session as the event left it
        assert decoded == event and type(decoded) is type(event)
        assert session is not None and session.session_id == SESSION.session_id and session.status is SESSION.status

    def test_every_event_type_has_its_class(self) -> None:
        # Given the event types, when their classes are looked up, then each has one that says its type
        assert set(EVENT_CLASSES) == set(EventType)
        assert all(cls.event_type is event_type for event_type, cls in EVENT_CLASSES.items())

    def test_the_item_keeps_the_facts_as_plain_json_and_the_note_apart(self) -> None:
        # Given the team's move of a session with an open offer, with their note
        event = events.AdminRearranged(
            session_id="s1",
            session_version=4,
            occurred_at=START,
            actor_role=Role.ADMIN,
            actor_id="a1",
            reason=RearrangeReason.ERROR_CORRECTION,
            change_id="o1",
            was_confirmed=True,
            cancelled_by=None,
            note="Moved after a phone call",
        )

        # When it is written as its outbox item
        item = event_item(SessionChange(session=SESSION, expected_version=3, event=event))

        # Then the facts are plain values beside the status it left, and the note is on the item alone
        assert item.data.as_dict() == {
            "status": "confirmed",
            "reason": "error_correction",
            "change_id": "o1",
            "was_confirmed": True,
            "cancelled_by": None,
        }
        assert item.note == "Moved after a phone call"
        assert item.event_type == "session.admin_rearranged" and item.actor_role == "admin"


def decode(image: dict[str, Any]) -> tuple[DomainEvent, Session | None]:
    return event_from_image(image)


def offered() -> events.AlternativesOffered:
    return events.AlternativesOffered(
        session_id="s1",
        session_version=4,
        occurred_at=START,
        actor_role=Role.THERAPIST,
        actor_id="t1",
        change_id="o1",
        expires_at=START + timedelta(hours=24),
        if_unanswered=OfferExpiryPolicy.CANCEL_AND_REFUND,
    )


class TestItemsThatDoNotFit:
    def test_an_unknown_type_is_told_apart(self) -> None:
        # Given an outbox item of a type newer code wrote
        image = image_of(offered())
        image["event_type"] = {"S": "session.teleported"}

        # When it is decoded, then it is an unknown type (no retry can help)
        with pytest.raises(UnknownEventType):
            decode(image)

    @pytest.mark.parametrize(
        ("fact", "value"),
        [
            ("expires_at", None),  # missing
            ("expires_at", {"S": "tomorrow"}),
            ("expires_at", {"S": "2026-12-03T10:00:00"}),  # no time zone
            ("if_unanswered", {"S": "ask_again"}),
            ("change_id", {"N": "5"}),
        ],
    )
    def test_a_missing_or_mistyped_fact_is_malformed(self, fact: str, value: dict[str, str] | None) -> None:
        # Given an offer's item with one fact missing or of the wrong type
        image = image_of(offered())
        facts = image["data"]["M"]
        if value is None:
            del facts[fact]
        else:
            facts[fact] = value

        # When it is decoded, then it is malformed, naming the fact
        with pytest.raises(MalformedEvent, match=fact):
            decode(image)


class TestItemsWrittenBeforeEventsWereTyped:
    def test_an_expiry_item_without_outcome_or_was_confirmed_reads_as_it_meant(self) -> None:
        # Given an offer's expiry as the previous version wrote it on cancelling: no outcome, and
        # a reverting one without was_confirmed
        cancelled = image_of(expired(events.ExpiryOutcome.CANCELLED, was_confirmed=False))
        del cancelled["data"]["M"]["outcome"]
        reverted = image_of(expired(events.ExpiryOutcome.REVERTED, was_confirmed=True))
        del reverted["data"]["M"]["was_confirmed"], reverted["data"]["M"]["cancelled_by"]

        # When they are decoded
        first, _ = decode(cancelled)
        second, _ = decode(reverted)

        # Then the first cancelled the session, and the second left the client's calendar holding it
        assert isinstance(first, events.OfferExpired) and first.outcome is events.ExpiryOutcome.CANCELLED
        assert not first.was_confirmed
        assert isinstance(second, events.OfferExpired) and second.outcome is events.ExpiryOutcome.REVERTED
        assert second.was_confirmed and second.cancelled_by is None

    def test_items_as_the_previous_version_wrote_them_are_read(self) -> None:
        # Given outbox items exactly as the previous version wrote them (extra facts since dropped, no
        # cancelled_by on the team's change, no outcome on a cancelling expiry)
        written: dict[str, dict[str, str | bool | None]] = {
            "session.booked": {"status": "pending", "start": "2026-12-02T10:00:00+00:00"},
            "session.location_changed": {"status": "confirmed", "reason": "client_requested", "location_id": "video"},
            "session.admin_rearranged": {
                "status": "confirmed",
                "reason": "error_correction",
                "change_id": None,
                "was_confirmed": True,
            },
            "session.location_change_expired": {
                "status": "cancelled",
                "change_id": "c1",
                "cancelled_by": "system",
                "was_confirmed": False,
            },
        }
        for event_type, data in written.items():
            image = image_of(offered())
            image["event_type"] = {"S": event_type}
            image["data"] = {"M": {k: {"NULL": True} if v is None else plain_attribute(v) for k, v in data.items()}}

            # When each is decoded
            event, _ = decode(image)

            # Then it is the event of its type, with the facts it had
            assert event.event_type == event_type
            for fact, value in data.items():
                if hasattr(event, fact):
                    assert str(getattr(event, fact)) == str(value) or getattr(event, fact) == value
        assert isinstance(event, events.LocationChangeExpired) and event.outcome is events.ExpiryOutcome.CANCELLED


def plain_attribute(value: object) -> dict[str, object]:
    return {"BOOL": value} if isinstance(value, bool) else {"S": str(value)}


def expired(outcome: events.ExpiryOutcome, *, was_confirmed: bool) -> events.OfferExpired:
    return events.OfferExpired(
        session_id="s1",
        session_version=5,
        occurred_at=START,
        actor_role=Role.SYSTEM,
        actor_id=None,
        change_id="o1",
        was_confirmed=was_confirmed,
        cancelled_by=Role.SYSTEM if outcome is events.ExpiryOutcome.CANCELLED else None,
        outcome=outcome,
    )
