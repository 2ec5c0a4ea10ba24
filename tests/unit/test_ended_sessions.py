"""A session that has taken place (`completed`): its therapist and client change or cancel nothing any more.

Every therapist and client transition answers 409 `session_in_past` (contact the team), as a session that
has started does, whatever its status would otherwise say (today's `invalid_transition` could not be told
apart from a wrong status by a front end). The rule is `lifecycle.refuse_if_taken_place`, called by every
therapist and client transition; the team's changes do not call it. Declined and cancelled sessions did not
take place: they still answer `invalid_transition`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.clock import FakeClock
from tests.support.domain_data import ADMIN, CLIENT, NOW, PROFILE, THERAPIST, WEDNESDAY_10, request
from tests.support.fakes import InMemorySessions, InMemoryStore, InMemoryTherapists
from therapy_booking.domain import lifecycle, rearrangement
from therapy_booking.domain.errors import InvalidTransition, SessionInPast
from therapy_booking.domain.model import (
    Actor,
    Alternative,
    HistoryEntry,
    Location,
    LocationChange,
    LocationKind,
    Offer,
    RearrangeReason,
    Role,
    Session,
    SessionStatus,
)
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.domain.services import SessionService

VIDEO = Location("video", LocationKind.ONLINE, link="https://meet.example/t1")
AFTER_THE_SESSION = WEDNESDAY_10 + timedelta(hours=2)
NEXT_WEEK = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)

# Every therapist and client route that changes a session, as a service call
Action = Callable[[SessionService, str], object]
ACTIONS: dict[str, Action] = {
    "confirm": lambda s, sid: s.confirm(THERAPIST, sid),
    "decline": lambda s, sid: s.decline(THERAPIST, sid, None),
    "cancel by the client": lambda s, sid: s.cancel(CLIENT, sid, None),
    "cancel by the therapist": lambda s, sid: s.cancel(THERAPIST, sid, None),
    "reschedule": lambda s, sid: s.reschedule(THERAPIST, sid, NEXT_WEEK, RearrangeReason.CLIENT_REQUESTED),
    "location change": lambda s, sid: s.change_location(THERAPIST, sid, "video", RearrangeReason.ERROR_CORRECTION),
    "offer alternatives": lambda s, sid: s.offer_alternatives(THERAPIST, sid, [NEXT_WEEK]),
    "accept a location change": lambda s, sid: s.answer_location_change(CLIENT, sid, accept=True),
    "reject a location change": lambda s, sid: s.answer_location_change(CLIENT, sid, accept=False),
    "accept an offer": lambda s, sid: s.answer_offer(CLIENT, sid, "alt-1"),
    "reject an offer": lambda s, sid: s.answer_offer(CLIENT, sid, None),
}


@pytest.fixture
def service(store: InMemoryStore, clock: FakeClock) -> SessionService:
    store.therapists["t1"] = replace(
        store.therapists["t1"], profile=replace(PROFILE, locations=(*PROFILE.locations, VIDEO))
    )
    return SessionService(InMemorySessions(store), InMemoryTherapists(store), clock, PlatformPolicy())


def completed(service: SessionService, clock: FakeClock) -> Session:
    """A booked, confirmed session whose end has passed, completed by the sweep."""
    booked = service.book(CLIENT, request())
    service.confirm(THERAPIST, booked.session_id)
    clock.set(AFTER_THE_SESSION)
    assert service.sweep().completed == 1
    session = service.get(ADMIN, booked.session_id)
    assert session.status is SessionStatus.COMPLETED
    return session


def written(store: InMemoryStore) -> tuple[object, ...]:
    return dict(store.sessions), dict(store.claims), dict(store.events)


@pytest.mark.parametrize("action", ACTIONS.values(), ids=ACTIONS.keys())
def test_every_change_by_a_party_to_a_completed_session_is_session_in_past(
    service: SessionService, store: InMemoryStore, clock: FakeClock, action: Action
) -> None:
    # Given a session that took place and was completed
    session = completed(service, clock)
    before = written(store)
    # When its therapist or client tries to change, cancel or answer it
    with pytest.raises(SessionInPast, match=r"taken place.*contact the team"):
        action(service, session.session_id)
    # Then nothing is written
    assert written(store) == before


@pytest.mark.parametrize("action", ACTIONS.values(), ids=ACTIONS.keys())
def test_a_completed_session_is_session_in_past_even_months_later(
    service: SessionService, clock: FakeClock, action: Action
) -> None:
    # Given a completed session, looked at again much later (nothing about its time is checked first)
    session = completed(service, clock)
    clock.set(AFTER_THE_SESSION + timedelta(days=90))
    # When a party acts on it / Then session_in_past
    with pytest.raises(SessionInPast):
        action(service, session.session_id)


def test_the_team_still_changes_a_completed_session(service: SessionService, clock: FakeClock) -> None:
    # Given a completed session
    session = completed(service, clock)
    # When the team moves it (a fix of the record) / Then the change is made, status kept
    moved = service.admin_rearrange(
        ADMIN,
        session.session_id,
        start=WEDNESDAY_10 + timedelta(hours=1),
        location_id=None,
        status=None,
        reason=RearrangeReason.ERROR_CORRECTION,
        note="Started an hour late",
    )
    assert moved.status is SessionStatus.COMPLETED and moved.start == WEDNESDAY_10 + timedelta(hours=1)


@pytest.mark.parametrize(
    ("end", "status"),
    [
        (lambda s: s.decline(THERAPIST, s.book(CLIENT, request()).session_id, None), SessionStatus.DECLINED),
        (lambda s: s.cancel(CLIENT, s.book(CLIENT, request()).session_id, None), SessionStatus.CANCELLED),
    ],
    ids=["declined", "cancelled"],
)
@pytest.mark.parametrize("action", ACTIONS.values(), ids=ACTIONS.keys())
def test_a_declined_or_cancelled_session_stays_invalid_transition(
    service: SessionService,
    clock: FakeClock,
    end: Callable[[SessionService], Session],
    status: SessionStatus,
    action: Action,
) -> None:
    # Given a session that was declined or cancelled before it took place
    session = end(service)
    assert session.status is status
    # When a party acts on it, before or after its time / Then invalid_transition (it did not take place)
    for now in (NOW, AFTER_THE_SESSION):
        clock.set(now)
        with pytest.raises(InvalidTransition):
            action(service, session.session_id)


# --- the pure transitions, each on its own ----------------------------------------------------------------


def _done(**changes: object) -> Session:
    """A completed session as a store would hold it, with `changes` (a leftover a party's request may name)."""
    base = Session(
        session_id="s1",
        therapist_id="t1",
        client_id="c1",
        status=SessionStatus.COMPLETED,
        session_type=request().session_type,
        attendees=("Sam",),
        location=PROFILE.locations[0],
        start=WEDNESDAY_10,
        end=WEDNESDAY_10 + timedelta(minutes=50),
        price=PROFILE.session_types[0].price,
        initial_consultation=False,
        created_at=NOW,
        updated_at=NOW,
        version=3,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _ctx(actor: Actor, now: datetime = AFTER_THE_SESSION) -> lifecycle.Transition:
    return lifecycle.Transition(actor=actor, now=now, policy=PlatformPolicy())


TRANSITIONS: dict[str, Callable[[Session, datetime], object]] = {
    "confirm": lambda s, now: lifecycle.confirm(s, _ctx(THERAPIST, now)),
    "decline": lambda s, now: lifecycle.decline(s, _ctx(THERAPIST, now), None),
    "cancel by the client": lambda s, now: lifecycle.cancel(s, _ctx(CLIENT, now), None),
    "cancel by the therapist": lambda s, now: lifecycle.cancel(s, _ctx(THERAPIST, now), None),
    "reschedule": lambda s, now: rearrangement.reschedule(
        s, _ctx(THERAPIST, now), NEXT_WEEK, RearrangeReason.CLIENT_REQUESTED
    ),
    "location change": lambda s, now: rearrangement.change_location(
        s, _ctx(THERAPIST, now), VIDEO, RearrangeReason.THERAPIST_UNAVAILABLE, "c-1"
    ),
    "offer alternatives": lambda s, now: rearrangement.offer_alternatives(
        s, _ctx(THERAPIST, now), [NEXT_WEEK], lambda _: True, lambda: "id"
    ),
    "accept a location change": lambda s, now: rearrangement.accept_location_change(s, _ctx(CLIENT, now)),
    "reject a location change": lambda s, now: rearrangement.reject_location_change(s, _ctx(CLIENT, now)),
    "accept an offer": lambda s, now: rearrangement.accept_offer(s, _ctx(CLIENT, now), "alt-1"),
    "reject an offer": lambda s, now: rearrangement.reject_offer(s, _ctx(CLIENT, now)),
}


@pytest.mark.parametrize("transition", TRANSITIONS.values(), ids=TRANSITIONS.keys())
def test_each_transition_refuses_a_completed_session_before_its_status_check(
    transition: Callable[[Session, datetime], object],
) -> None:
    # Given completed sessions carrying what a status check would look at first: a change the client left
    # to expire (the last history entry), leftovers of an offer and of a location change
    expired = HistoryEntry(NOW, "offer_expired", Role.SYSTEM, "system", "reverted")
    offer = Offer(
        "o-1", NOW, (Alternative("alt-1", NEXT_WEEK, NEXT_WEEK + timedelta(minutes=50)),), SessionStatus.CONFIRMED
    )
    change = LocationChange("c-1", VIDEO, NOW, SessionStatus.CONFIRMED)
    for session in (_done(), _done(history=(expired,)), _done(offer=offer, location_change=change)):
        # When the transition runs, even at a time before the session's start (a clock cannot excuse it)
        for now in (AFTER_THE_SESSION, NOW):
            # Then session_in_past, neither invalid_transition nor offer_expired nor offer_already_open
            with pytest.raises(SessionInPast, match="taken place"):
                transition(session, now)


def test_the_teams_transition_does_not_refuse_a_completed_session() -> None:
    # Given a completed session / When the team changes its location / Then the change is made
    change = rearrangement.admin_rearrange(
        _done(),
        _ctx(ADMIN),
        start=None,
        location=VIDEO,
        status=None,
        reason=RearrangeReason.ERROR_CORRECTION,
        note="It was online",
    )
    assert change.session.status is SessionStatus.COMPLETED and change.session.location == VIDEO
