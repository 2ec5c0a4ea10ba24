"""In-memory adapters with the same conditional semantics as the DynamoDB ones."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from therapy_booking.domain.changes import TRANSACTION_ITEM_LIMIT, Claim, SessionChange
from therapy_booking.domain.errors import (
    Conflict,
    FreeConsultationUsed,
    SlotUnavailable,
    TherapistUnavailableForBooking,
)
from therapy_booking.domain.events import DomainEvent
from therapy_booking.domain.model import (
    Availability,
    Block,
    ClientProfile,
    Reactivation,
    ResponseRecord,
    Role,
    Session,
    Therapist,
    TherapistProfile,
)
from therapy_booking.domain.ports import Calendar, Page, SessionQuery, UnreadableItem
from therapy_booking.domain.standing import RankUpdate


@dataclass
class InMemoryStore:
    therapists: dict[str, Therapist] = field(default_factory=dict)
    clients: dict[str, ClientProfile] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    claims: dict[tuple[str, datetime], Claim] = field(default_factory=dict)
    events: dict[str, DomainEvent] = field(default_factory=dict)
    free_consultations: dict[tuple[str, str], str] = field(default_factory=dict)
    blocks: dict[tuple[str, str], Block] = field(default_factory=dict)
    own_rearrangements: dict[str, int] = field(default_factory=dict)
    reactivations: list[tuple[str, Reactivation]] = field(default_factory=list)
    rank_scores: dict[str, Decimal] = field(default_factory=dict)  # as the standing projection stored them

    def take(
        self, claims: tuple[Claim, ...], releasing: tuple[Claim, ...] = (), converting: tuple[Claim, ...] = ()
    ) -> None:
        """Raise what DynamoDB's conditions would; change nothing."""
        released = {(c.therapist_id, c.unit_start) for c in releasing}
        for claim in releasing + converting:
            held = self.claims.get((claim.therapist_id, claim.unit_start))
            if held is None or held.owner_id != claim.owner_id:
                raise Conflict("claim not owned")
        for claim in claims:
            key = (claim.therapist_id, claim.unit_start)
            if key in self.claims and key not in released:
                raise SlotUnavailable("That time is no longer available.")

    def apply_claims(
        self, added: tuple[Claim, ...], released: tuple[Claim, ...], converted: tuple[Claim, ...] = ()
    ) -> None:
        for claim in released:
            del self.claims[(claim.therapist_id, claim.unit_start)]
        for claim in added + converted:
            self.claims[(claim.therapist_id, claim.unit_start)] = claim


class TransactionTooLarge(Exception):
    """What DynamoDB answers a TransactWriteItems of more than 100 items: not a domain refusal."""


class InMemorySessions:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def get(self, session_id: str) -> Session | None:
        return self.store.sessions.get(session_id)

    def get_with_therapist(self, session_id: str, therapist_id: str) -> tuple[Session | None, Therapist | None]:
        return self.get(session_id), self.store.therapists.get(therapist_id)

    def commit(self, change: SessionChange) -> None:
        store, session = self.store, change.session
        assert change.reserved is None, "bookings of reserved occurrences are tested on the DynamoDB adapters"
        if change.item_count > TRANSACTION_ITEM_LIMIT:  # DynamoDB refuses the whole request (a ValidationException)
            raise TransactionTooLarge(f"{change.item_count} items in one transaction")
        stored = store.sessions.get(session.session_id)
        if (change.expected_version is None) != (stored is None) or (
            stored is not None and stored.version != change.expected_version
        ):
            raise Conflict("The session was changed by someone else.")
        if change.event.event_id in store.events:
            raise Conflict("event already written")
        if change.therapist_must_accept_bookings:
            therapist = store.therapists.get(session.therapist_id)
            if therapist is None or not therapist.accepts_bookings:
                raise TherapistUnavailableForBooking("This therapist is not taking bookings.")
        taken = change.free_consultation_taken
        if taken is not None and (taken.client_id, taken.therapist_id) in store.free_consultations:
            raise FreeConsultationUsed("Free consultation already used.")
        released = change.free_consultation_released
        if (
            released is not None
            and store.free_consultations.get((released.client_id, released.therapist_id), released.session_id)
            != released.session_id
        ):
            raise Conflict("free consultation marked for another session")  # as the adapter's delete condition
        store.take(change.claims_added, change.claims_released, change.claims_converted)
        streak, therapist = change.cancellation_streak, store.therapists.get(session.therapist_id)
        if streak is not None and not streak.reset:  # the adapter's condition on the therapist item
            current = therapist.cancellation_streak if therapist is not None else 0
            if therapist is None or (current >= streak.deactivate_at - 1) != streak.deactivates:
                raise Conflict("The therapist's record changed while this request ran.")

        store.apply_claims(change.claims_added, change.claims_released, change.claims_converted)
        if change.counts_as_therapists_own_rearrangement:
            store.own_rearrangements[session.therapist_id] = store.own_rearrangements.get(session.therapist_id, 0) + 1
            if therapist is not None:
                therapist = replace(therapist, own_rearrangements=therapist.own_rearrangements + 1)
                store.therapists[session.therapist_id] = therapist
        if (sample := change.response) is not None and therapist is not None:
            responses = therapist.responses
            therapist = replace(
                therapist,
                responses=ResponseRecord(
                    samples=responses.samples + 1,
                    within_sla=responses.within_sla + sample.within_sla,
                    recent_minutes=(*responses.recent_minutes, sample.business_minutes),
                ),
            )
            store.therapists[session.therapist_id] = therapist
        if streak is not None and therapist is not None:
            store.therapists[session.therapist_id] = replace(
                therapist,
                cancellation_streak=0 if streak.reset else therapist.cancellation_streak + 1,
                deactivated=therapist.deactivated or streak.deactivates,
            )
        store.sessions[session.session_id] = session
        store.events[change.event.event_id] = change.event
        if taken is not None:
            store.free_consultations[(taken.client_id, taken.therapist_id)] = taken.session_id
        if released is not None:
            store.free_consultations.pop((released.client_id, released.therapist_id), None)

    def give_back(self, session: Session, units: Iterable[datetime]) -> None:
        store = self.store
        stored = store.sessions.get(session.session_id)
        if stored is None or stored.version != session.version:
            raise Conflict("The session was changed by someone else.")
        for unit in units:
            held = store.claims.get((session.therapist_id, unit))
            if held is not None and held.owner_id == session.session_id:
                del store.claims[(session.therapist_id, unit)]
        store.sessions[session.session_id] = replace(stored, releases_pending=())

    def list_due(self, now: datetime, page_size: int) -> Iterator[Session | UnreadableItem]:
        due = [s for s in self.store.sessions.values() if s.due_at is not None and s.due_at <= now]
        yield from sorted(due, key=lambda s: (s.due_at or now, s.session_id))

    def list_for(self, role: Role, user_id: str, query: SessionQuery) -> Page[Session]:
        owner = "therapist_id" if role is Role.THERAPIST else "client_id"
        items = sorted(
            (
                s
                for s in self.store.sessions.values()
                if getattr(s, owner) == user_id
                and (query.status is None or s.status == query.status)
                and (query.start_from is None or s.start >= query.start_from)
                and (query.start_to is None or s.start < query.start_to)
            ),
            key=lambda s: (s.start, s.session_id),
        )
        offset = int(query.cursor or 0)
        page = items[offset : offset + query.limit]
        more = offset + query.limit < len(items)
        return Page(page, str(offset + query.limit) if more else None)


class RecordingSessions(InMemorySessions):
    """Keeps every change committed, to see what a transition asked for."""

    def __init__(self, store: InMemoryStore) -> None:
        super().__init__(store)
        self.committed: list[SessionChange] = []

    def commit(self, change: SessionChange) -> None:
        super().commit(change)
        self.committed.append(change)


class InMemoryTherapists:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def get(self, therapist_id: str) -> Therapist | None:
        return self.store.therapists.get(therapist_id)

    def get_with_client(self, therapist_id: str, client_id: str) -> tuple[Therapist | None, ClientProfile | None]:
        return self.get(therapist_id), self.store.clients.get(client_id)

    def get_with_claim(self, therapist_id: str, unit_start: datetime) -> tuple[Therapist | None, Claim | None]:
        return self.get(therapist_id), self.store.claims.get((therapist_id, unit_start))

    def get_calendar(self, therapist_id: str, since: datetime) -> Calendar | None:
        therapist = self.store.therapists.get(therapist_id)
        if therapist is None:
            return None
        floor = since.replace(minute=0)
        found = [c for (tid, unit), c in self.store.claims.items() if tid == therapist_id and unit >= floor]
        reserved = tuple(c for c in found if c.held_for is not None)
        return Calendar(therapist, {c.unit_start for c in found}, reserved)

    def save_profile(
        self, therapist_id: str, profile: TherapistProfile, newcomer_score: Decimal | None = None
    ) -> Therapist:
        self.store.rank_scores.setdefault(therapist_id, newcomer_score or Decimal(0))
        current = self.store.therapists.get(therapist_id, Therapist(therapist_id))
        self.store.therapists[therapist_id] = replace(current, profile=profile)
        return self.store.therapists[therapist_id]

    def save_availability(self, therapist_id: str, availability: Availability) -> Therapist:
        current = self.store.therapists.get(therapist_id, Therapist(therapist_id))
        self.store.therapists[therapist_id] = replace(current, availability=availability)
        return self.store.therapists[therapist_id]

    def list_bookable(self, limit: int, cursor: str | None) -> Page[Therapist]:
        scores = self.store.rank_scores
        listed = sorted(
            (t for t in self.store.therapists.values() if t.accepts_bookings),
            key=lambda t: (-scores.get(t.therapist_id, Decimal(0)), t.therapist_id),
        )
        return Page(listed[:limit])

    def listed_records(self) -> Iterator[tuple[Therapist, Decimal | None]]:
        for therapist in list(self.store.therapists.values()):
            if therapist.accepts_bookings:
                yield therapist, self.store.rank_scores.get(therapist.therapist_id)

    def record_rank(self, update: RankUpdate) -> bool:
        therapist = update.therapist
        if self.store.therapists.get(therapist.therapist_id) != therapist:
            return False  # the record moved on since the projection read it
        self.store.rank_scores[therapist.therapist_id] = update.score
        if update.recent_minutes is not None:
            responses = replace(therapist.responses, recent_minutes=update.recent_minutes)
            self.store.therapists[therapist.therapist_id] = replace(therapist, responses=responses)
        return True

    def reactivate(
        self, therapist_id: str, reactivation: Reactivation, newcomer_score: Decimal | None = None
    ) -> Therapist | None:
        current = self.store.therapists.get(therapist_id)
        if current is None or current.profile is None:
            return None
        self.store.rank_scores.setdefault(therapist_id, newcomer_score or Decimal(0))
        self.store.therapists[therapist_id] = replace(current, deactivated=False, cancellation_streak=0)
        self.store.reactivations.append((therapist_id, reactivation))
        return self.store.therapists[therapist_id]

    def get_block(self, therapist_id: str, block_id: str) -> Block | None:
        return self.store.blocks.get((therapist_id, block_id))

    def future_blocks(self, therapist_id: str, now: datetime) -> list[Block]:
        blocks = [b for (tid, _), b in self.store.blocks.items() if tid == therapist_id and b.end > now]
        return sorted(blocks, key=lambda block: (block.start, block.block_id))

    def add_block(self, block: Block, claims: tuple[Claim, ...]) -> None:
        self.store.take(claims)
        self.store.apply_claims(claims, ())
        self.store.blocks[(block.therapist_id, block.block_id)] = block

    def remove_block(self, block: Block, claims: tuple[Claim, ...]) -> None:
        self.store.take((), claims)
        self.store.apply_claims((), claims)
        del self.store.blocks[(block.therapist_id, block.block_id)]


class InMemoryClients:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def get(self, client_id: str) -> ClientProfile | None:
        return self.store.clients.get(client_id)

    def save_profile(self, profile: ClientProfile) -> ClientProfile:
        self.store.clients[profile.client_id] = profile
        return profile
