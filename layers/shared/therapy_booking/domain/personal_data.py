"""A client's personal data: everything the platform holds about them in one document (the export), and its
erasure (issue 14).

Erasure, in this order, each step idempotent and found again from the client's id alone, so a retry after a crash
half-way finishes the job and a second request changes nothing:

0. a mark that they are erased, which every write of theirs (a booking, their profile, their assessment) is
   conditional on the absence of: a token issued before cannot write anything back;
1. every future session of theirs ends as their own cancellation would (an open offer or location change is
   rejected first): the refund by the policy, the therapist told through the outbox like any cancellation;
2. every reservation held for them deleted, its occurrences released (they are not emailed about it);
3. every session of theirs (found on their index, page by page) and each of its outbox events stripped of the
   attendees, the notes and the reasons given: ids, times, statuses and amounts stay, for the accounts; steps 1
   and 3 look at the index twice, for a booking committed just before the mark that the index showed late;
4. their keyed bookings' idempotency records (which keep a booking's first answer) deleted;
5. their own items: the relationships, the free-consultation markers, the assessment and, last, the profile;
6. their sign-in account, last of all: until then a retry can still be made with their token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from therapy_booking.domain.assessment import Assessment
from therapy_booking.domain.errors import Conflict, Forbidden, OfferExpired
from therapy_booking.domain.model import Actor, ClientProfile, Role, Session, SessionStatus
from therapy_booking.domain.ports import Clock, SessionQuery
from therapy_booking.domain.reservations import Reservation, ReservationService
from therapy_booking.domain.services import SessionService, require_role

PAGE_SIZE = 100  # sessions read a page at a time (a Query on the client's index)
CANCELLABLE = frozenset({SessionStatus.PENDING, SessionStatus.CONFIRMED})
logger = logging.getLogger(__name__)  # ids only


@dataclass(frozen=True)
class ClientData:
    """Everything held about a client, as they see it."""

    client_id: str
    exported_at: datetime
    profile: ClientProfile | None
    assessment: Assessment | None
    sessions: tuple[Session, ...]
    reservations: tuple[Reservation, ...]


class ProfileReader(Protocol):
    def get(self, client_id: str) -> ClientProfile | None: ...


class AssessmentReader(Protocol):
    def get(self, client_id: str) -> Assessment | None: ...


class ErasureStore(Protocol):
    """The client's items in the table, as erasure needs them."""

    def mark_erased(self, client_id: str) -> None:
        """Record, first, that the client's data is being erased: from then on every write of theirs (a booking,
        their profile, their assessment) is refused, so nothing is written back with a token issued before."""

    def strip_session(self, session: Session) -> None:
        """Store `session.without_personal_data()` at the session's next version unless it is already so (Conflict
        if the session changed since it was read; a writer that read it before fails likewise), then strip each of
        its outbox events of the same (and of the team's note). Idempotent."""

    def delete_client_items(self, client_id: str) -> None:
        """Delete every item of the client's own partition, their profile last. Idempotent."""


class KeyedBookingRecords(Protocol):
    def forget_client(self, client_id: str) -> None:
        """Delete the idempotency records of the client's keyed bookings (they keep each first answer)."""


class Accounts(Protocol):
    def delete_user(self, user_name: str) -> None:
        """Delete the sign-in account; one already gone is fine."""


class PersonalDataService:
    def __init__(
        self,
        profiles: ProfileReader,
        assessments: AssessmentReader,
        sessions: SessionService,
        reservations: ReservationService,
        store: ErasureStore,
        keyed_bookings: KeyedBookingRecords,
        accounts: Callable[[], Accounts],
        clock: Clock,
    ) -> None:
        self._profiles = profiles
        self._assessments = assessments
        self._sessions = sessions
        self._reservations = reservations
        self._store = store
        self._keyed_bookings = keyed_bookings
        self._accounts = accounts  # built when first needed (an export needs no user pool)
        self._clock = clock

    def export(self, actor: Actor) -> ClientData:
        """The caller's profile (None if they have none), assessment (None likewise), every session and the
        reservations held for them. After an erasure: no profile, no assessment, the sessions as kept."""
        require_role(actor, Role.CLIENT, "export their data")
        client_id = actor.user_id
        return ClientData(
            client_id=client_id,
            exported_at=self._clock.now(),
            profile=self._profiles.get(client_id),
            assessment=self._assessments.get(client_id),
            sessions=tuple(self._every_session(actor)),
            reservations=tuple(self._reservations.held_for_me(actor)),
        )

    def erase(self, actor: Actor) -> None:
        """Erase the caller's personal data (the order and why: the module's docstring)."""
        require_role(actor, Role.CLIENT, "erase their data")
        if actor.has(Role.THERAPIST) or actor.has(Role.ADMIN):
            raise Forbidden("A therapist's or the team's account is closed by the team, not erased here.")
        client_id = actor.user_id
        self._store.mark_erased(client_id)
        handled: set[str] = set()
        for look in range(2):  # a second look: a booking committed just before the mark may reach the index late
            ahead = [s for s in self._every_session(actor) if s.session_id not in handled]
            for session in ahead:
                self._end_if_ahead(actor, session)
            if look == 0:
                self._reservations.release_for_erasure(actor)
            for session in self._every_session(actor):
                if session.session_id not in handled:
                    self._strip(actor, session)
                    handled.add(session.session_id)
        self._keyed_bookings.forget_client(client_id)
        self._store.delete_client_items(client_id)
        self._accounts().delete_user(client_id)
        logger.info("client data erased", extra={"client_id": client_id})

    def _every_session(self, actor: Actor) -> Iterator[Session]:
        cursor: str | None = None
        while True:
            page = self._sessions.list_as_client(actor, SessionQuery(limit=PAGE_SIZE, cursor=cursor))
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def _end_if_ahead(self, actor: Actor, session: Session) -> None:
        """A session still ahead ends as the client's own cancellation; one that has started or is settled stays
        as it is. Changed meanwhile (Conflict): once more, as it is now."""
        try:
            self._end(actor, session)
        except Conflict:
            self._end(actor, self._sessions.get(actor, session.session_id))

    def _end(self, actor: Actor, session: Session) -> None:
        if session.has_started(self._clock.now()) or not session.is_active:
            return
        try:  # an open question to the client is answered no first (it may put the session back as it was)
            if session.status is SessionStatus.ALTERNATIVES_OFFERED:
                session = self._sessions.answer_offer(actor, session.session_id, None)
            elif session.status is SessionStatus.AWAITING_CLIENT:
                session = self._sessions.answer_location_change(actor, session.session_id, False)
        except OfferExpired:  # past its deadline: expired by its schedule or the sweeper, then as it is now
            session = self._sessions.get(actor, session.session_id)
        if session.status in CANCELLABLE:
            self._sessions.cancel(actor, session.session_id, None)

    def _strip(self, actor: Actor, session: Session) -> None:
        try:
            self._store.strip_session(session)
        except Conflict:  # changed since the page was read: once more, as it is now
            self._store.strip_session(self._sessions.get(actor, session.session_id))
