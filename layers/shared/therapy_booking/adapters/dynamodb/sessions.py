"""Sessions on DynamoDB: each transition one TransactWriteItems (the session conditional on its version,
its claims, its outbox event and any guard), the second release step, and the listings."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from functools import partial

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import GlobalSecondaryIndex

from therapy_booking.adapters.dynamodb.batch import get_items
from therapy_booking.adapters.dynamodb.codecs import (
    PROFILE,
    SESSION,
    client_therapist_item,
    free_consultation_item,
    session_from_item,
    session_item,
    therapist_from_item,
)
from therapy_booking.adapters.dynamodb.cursors import decode_cursor, encode_cursor
from therapy_booking.adapters.dynamodb.due_index import decoded, due_pages
from therapy_booking.adapters.dynamodb.models import (
    ClaimItem,
    EventItem,
    FreeConsultationItem,
    ReservationItem,
    SessionItem,
    TableItem,
    TherapistItem,
    client_key,
    due_partitions,
    iso,
    session_key,
    therapist_key,
)
from therapy_booking.adapters.dynamodb.outbox import event_item
from therapy_booking.adapters.dynamodb.reservations import reservation_sort_key
from therapy_booking.adapters.dynamodb.transaction import Transaction, claim_item
from therapy_booking.domain.changes import ClaimKind, ReservedBooking, SessionChange, StreakChange, claims_of
from therapy_booking.domain.errors import (
    Conflict,
    DomainError,
    FreeConsultationUsed,
    SlotUnavailable,
    TherapistUnavailableForBooking,
)
from therapy_booking.domain.model import Role, Session, Therapist
from therapy_booking.domain.ports import Page, SessionQuery, UnreadableItem
from therapy_booking.domain.reservations import ReservationStatus


class _NotOwned(Conflict):
    """A unit to give back that belongs to someone else by now."""

    def __init__(self, unit: datetime) -> None:
        super().__init__("That time belongs to someone else by now.")
        self.unit = unit


def _session_changed() -> DomainError:
    return Conflict("The session was changed by someone else; reload it and try again.")


def _therapist_changed() -> DomainError:
    return Conflict("The therapist's record changed while this request ran; please try again.")


def _streak_actions(streak: StreakChange) -> tuple[list[Action], Condition | None]:
    """The cancellation streak: reset (SET 0), or one more (ADD 1) conditional on the side of the deactivation
    threshold the transition expects; on the deactivating side the account is deactivated and leaves the
    listing (its gsi1 partition key removed), as a hidden profile does."""
    if streak.reset:
        return [TherapistItem.cancellation_streak.set(0)], None
    last_below = streak.deactivate_at - 1  # the streak before the cancellation that deactivates
    actions: list[Action] = [TherapistItem.cancellation_streak.add(1)]
    if streak.deactivates:
        condition = TherapistItem.cancellation_streak >= last_below if last_below > 0 else TherapistItem.pk.exists()
        actions += [TherapistItem.deactivated.set(True), TherapistItem.gsi1pk.remove()]
    else:
        condition = TherapistItem.cancellation_streak.does_not_exist() | (
            TherapistItem.cancellation_streak < last_below
        )
    return actions, condition & TherapistItem.pk.exists()


def _count_on_therapist(tx: Transaction, therapist_id: str, change: SessionChange) -> None:
    """Everything the change counts on its therapist's record, as the one update of that item the transaction
    may hold: an own-reason rearrangement (ADD), a measured first answer (ADD to the counts, its minutes
    appended to the recent ones; the standing projection keeps that list short) and the streak. Atomic
    updates, no read: concurrent changes of one therapist all count."""
    actions: list[Action] = []
    condition: Condition | None = None
    if change.counts_as_therapists_own_rearrangement:
        actions.append(TherapistItem.own_rearrangements.add(1))
    if (sample := change.response) is not None:
        actions += [
            TherapistItem.response_samples.add(1),
            TherapistItem.responses_within_sla.add(1 if sample.within_sla else 0),
            TherapistItem.recent_response_minutes.set(
                (TherapistItem.recent_response_minutes | []).append([sample.business_minutes])
            ),
        ]
    if (streak := change.cancellation_streak) is not None:
        streak_actions, condition = _streak_actions(streak)
        actions += streak_actions
    tx.update(TherapistItem(therapist_key(therapist_id), PROFILE), actions, _therapist_changed, condition)


def _released_meanwhile() -> DomainError:
    return SlotUnavailable("That reserved time was released meanwhile.")


def _book_held_occurrence(tx: Transaction, reserved: ReservedBooking, session_id: str) -> None:
    """The session's claims replace the reservation's on the occurrence's units (each only while still the
    reservation's), and the reservation records the occurrence as booked (only while it is active and the
    occurrence is not booked yet): a deletion of the reservation and this booking cannot both win."""
    still_reserved = (ClaimItem.owner_id == reserved.reservation_id) & (ClaimItem.kind == str(ClaimKind.RESERVED))
    for claim in reserved.claims:
        tx.put(claim_item(claim), still_reserved, _released_meanwhile)
    occurrence = ReservationItem.booked[iso(reserved.occurrence_start)]
    tx.update(
        ReservationItem(therapist_key(reserved.therapist_id), reservation_sort_key(reserved.reservation_id)),
        [occurrence.set(session_id), ReservationItem.version.add(1)],
        _released_meanwhile,
        (ReservationItem.status == str(ReservationStatus.ACTIVE)) & occurrence.does_not_exist(),
    )


class DynamoSessionRepository:
    def get(self, session_id: str) -> Session | None:
        try:
            item = SessionItem.get(session_key(session_id), SESSION)
        except SessionItem.DoesNotExist:
            return None
        return session_from_item(item)

    def get_with_therapist(self, session_id: str, therapist_id: str) -> tuple[Session | None, Therapist | None]:
        """The session and the therapist `therapist_id` (whoever the session's therapist is), in one BatchGetItem."""
        session_at, therapist_at = (session_key(session_id), SESSION), (therapist_key(therapist_id), PROFILE)
        found = get_items(session_at, therapist_at)
        session, therapist = found.get(session_at), found.get(therapist_at)
        return (
            session_from_item(session) if isinstance(session, SessionItem) else None,
            therapist_from_item(therapist) if isinstance(therapist, TherapistItem) else None,
        )

    def commit(self, change: SessionChange) -> None:
        tx = Transaction()
        session = change.session
        if change.therapist_must_accept_bookings:
            tx.check(
                TherapistItem,
                therapist_key(session.therapist_id),
                PROFILE,
                (TherapistItem.visible == True) & (TherapistItem.deactivated != True),  # noqa: E712
                lambda: TherapistUnavailableForBooking("This therapist is not taking bookings at the moment."),
            )
        version_guard = (
            SessionItem.pk.does_not_exist()
            if change.expected_version is None
            else SessionItem.version == change.expected_version
        )
        tx.put(session_item(session), version_guard, _session_changed)
        tx.put(event_item(change), EventItem.pk.does_not_exist(), _session_changed)
        tx.release_claims(change.claims_released)
        tx.take_claims(change.claims_added)
        tx.convert_claims(change.claims_converted)
        if (reserved := change.reserved) is not None:
            _book_held_occurrence(tx, reserved, session.session_id)
        if change.updates_therapist:
            _count_on_therapist(tx, session.therapist_id, change)
        if change.records_client_relationship:  # a booking: the client's own write
            tx.refuse_if_erased(session.client_id)
            tx.put(client_therapist_item(session.client_id, session.therapist_id), None, _session_changed)
        if (mark := change.free_consultation_taken) is not None:
            tx.put(
                free_consultation_item(mark.client_id, mark.therapist_id, mark.session_id),
                FreeConsultationItem.pk.does_not_exist(),
                lambda: FreeConsultationUsed(
                    "You have already had your free initial consultation with this therapist."
                ),
            )
        if (mark := change.free_consultation_released) is not None:
            tx.delete(
                free_consultation_item(mark.client_id, mark.therapist_id, mark.session_id),
                FreeConsultationItem.pk.does_not_exist() | (FreeConsultationItem.session_id == mark.session_id),
                _session_changed,
            )
        tx.commit()

    def give_back(self, session: Session, units: Iterable[datetime]) -> None:
        """Delete the session's claims on `units` and clear its `releases_pending`, in one transaction
        conditional on the session's version (`within_budget` keeps the pending units below 100).

        A unit that is no longer the session's (given back already, then taken by someone else) is
        skipped; one already gone is fine. Raises Conflict if the session changed meanwhile (the change
        that did carried the pending releases and gives them back itself) or a unit was being written
        at that very moment (the session stays due; the sweeper tries again).
        """
        remaining = sorted(set(units))
        while True:
            tx = Transaction()
            tx.put(
                session_item(replace(session, releases_pending=())),
                SessionItem.version == session.version,
                _session_changed,
            )
            for claim in claims_of(session.therapist_id, ClaimKind.SESSION, session.session_id, remaining):
                tx.delete(
                    claim_item(claim),
                    ClaimItem.pk.does_not_exist() | (ClaimItem.owner_id == session.session_id),
                    partial(_NotOwned, claim.unit_start),
                )
            try:
                tx.commit()
                return
            except Conflict:
                not_owned = {failure.unit for failure in tx.failures if isinstance(failure, _NotOwned)}
                if not not_owned or len(not_owned) < len(tx.failures):
                    raise
                remaining = [unit for unit in remaining if unit not in not_owned]

    def list_due(self, now: datetime, page_size: int) -> Iterator[Session | UnreadableItem]:
        """Every partition of the due index read page by page as the caller consumes, merged into one sequence by
        due time (earliest first); items are decoded one by one, so that one that cannot be read (corrupt, or
        written by a newer version) stands alone as an `UnreadableItem`."""
        pages = [due_pages(partition, now, page_size) for partition in due_partitions()]
        for _, raw in heapq.merge(*pages, key=lambda entry: entry[0]):
            yield decoded(raw, SessionItem, session_from_item, "pk", "SESSION#")

    def list_for(self, role: Role, user_id: str, query: SessionQuery) -> Page[Session]:
        index: GlobalSecondaryIndex[TableItem]
        if role is Role.THERAPIST:
            index, partition, hash_attr, range_attr = (
                SessionItem.gsi1,
                therapist_key(user_id),
                "gsi1pk",
                SessionItem.gsi1sk,
            )
        else:
            index, partition, hash_attr, range_attr = (
                SessionItem.gsi2,
                client_key(user_id),
                "gsi2pk",
                SessionItem.gsi2sk,
            )
        low = iso(query.start_from) if query.start_from else "0"
        high = iso(query.start_to) if query.start_to else "9"
        sort_attr = hash_attr.replace("pk", "sk")
        start_key = decode_cursor(
            query.cursor, (hash_attr, partition), {"pk", "sk", hash_attr, sort_attr}, (sort_attr, low, high)
        )
        condition = None if query.status is None else SessionItem.status == query.status
        results = index.query(
            partition,
            range_attr.between(low, high),
            filter_condition=condition,
            limit=query.limit,
            last_evaluated_key=start_key,
        )
        items = [session_from_item(item) for item in results if isinstance(item, SessionItem)]
        return Page(items, encode_cursor(results.last_evaluated_key))

    def starting_between(self, therapist_id: str, start_from: datetime, start_to: datetime) -> list[Session]:
        """One Query of gsi1 `THERAPIST#<id>` between the two starts, every page of it (a page stops at 1 MB): a
        therapist's history before `start_from` is never read."""
        results = SessionItem.gsi1.query(
            therapist_key(therapist_id), SessionItem.gsi1sk.between(iso(start_from), f"{iso(start_to)}~")
        )
        return [session_from_item(item) for item in results if isinstance(item, SessionItem)]
