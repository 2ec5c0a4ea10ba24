"""Reservations on DynamoDB: the reservation (THERAPIST#id / RESERVATION#id), its outbox events
(RESERVATION#id / EVENT#<version>, written by `reservation_event_item` and read back from a stream image by
`ReservationEventCodec`) and its claims (kind `reserved`). How a making is split into transactions of at most
100 items and stays all-or-nothing: `domain.reservations`."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from pynamodb.expressions.condition import Condition

from therapy_booking.adapters.dynamodb.batch import get_items
from therapy_booking.adapters.dynamodb.codecs import location_from_map, location_map
from therapy_booking.adapters.dynamodb.due_index import decoded, due_pages
from therapy_booking.adapters.dynamodb.models import (
    RESERVATIONS_DUE,
    ClaimItem,
    OccurrenceMap,
    ReservationEventItem,
    ReservationItem,
    TableItem,
    client_reservations_key,
    iso,
    reservation_key,
    therapist_key,
    therapist_reservations_key,
)
from therapy_booking.adapters.dynamodb.transaction import Transaction, claim_from_item, claim_item, claim_sort_key
from therapy_booking.domain.calendar import TimeRange
from therapy_booking.domain.changes import TRANSACTION_ITEM_LIMIT, Claim
from therapy_booking.domain.errors import Conflict, DomainError
from therapy_booking.domain.events import MalformedEvent, UnknownEventType
from therapy_booking.domain.model import Role, SessionType
from therapy_booking.domain.ports import UnreadableItem
from therapy_booking.domain.reservations import (
    Reservation,
    ReservationEvent,
    ReservationEventType,
    ReservationStatus,
    UnitsTaken,
)

PREFIX = "RESERVATION#"
KEPT_AFTER = timedelta(days=30)  # a deleted or ended reservation's item expires (`ttl`) this long after
_RETRIES = 3  # a release batch cancelled only by concurrent transactions is tried again this many times


def reservation_sort_key(reservation_id: str) -> str:
    return f"{PREFIX}{reservation_id}"


def _changed() -> DomainError:
    return Conflict("The reservation was changed by another request; please reload it and try again.")


class _Taken(Conflict):
    """A unit someone else holds, where the reservation wanted to claim it."""

    def __init__(self, unit: datetime) -> None:
        super().__init__("That time is taken.")
        self.unit = unit


class _NotOwned(Conflict):
    """A unit to give back that is someone else's by now."""

    def __init__(self, unit: datetime) -> None:
        super().__init__("That time belongs to someone else by now.")
        self.unit = unit


def reservation_item(reservation: Reservation) -> ReservationItem:
    active = reservation.status is ReservationStatus.ACTIVE
    pending = reservation.status is ReservationStatus.PENDING
    due = reservation.due_at
    first = f"{iso(reservation.occurrences[0].start)}#{reservation.reservation_id}"
    # Expires once finished and nothing is left to give back (a deletion still releasing stays).
    finished = reservation.status in (ReservationStatus.DELETED, ReservationStatus.ENDED) and due is None
    return ReservationItem(
        therapist_key(reservation.therapist_id),
        reservation_sort_key(reservation.reservation_id),
        gsi1pk=None if pending else therapist_reservations_key(reservation.therapist_id),
        gsi1sk=None if pending else first,
        gsi2pk=client_reservations_key(reservation.client_id) if active else None,
        gsi2sk=first if active else None,
        gsi3pk=RESERVATIONS_DUE if due is not None else None,
        gsi3sk=f"{iso(due)}#{reservation.reservation_id}" if due is not None else None,
        reservation_id=reservation.reservation_id,
        therapist_id=reservation.therapist_id,
        client_id=reservation.client_id,
        session_type=reservation.session_type,
        location=location_map(reservation.location),
        every_weeks=reservation.every_weeks,
        occurrences=[OccurrenceMap(start=o.start, end=o.end) for o in reservation.occurrences],
        status=reservation.status,
        created_at=reservation.created_at,
        updated_at=reservation.updated_at,
        version=reservation.version,
        # Always a map, empty too: a booking sets one of its keys, and DynamoDB cannot set a key in a missing map.
        booked={iso(start): session_id for start, session_id in reservation.booked.items()},
        released_through=reservation.released_through,
        ttl=int((reservation.updated_at + KEPT_AFTER).timestamp()) if finished else None,
    )


def reservation_from_item(item: ReservationItem) -> Reservation:
    booked = item.booked.as_dict() if item.booked is not None else {}
    return Reservation(
        reservation_id=item.reservation_id,
        therapist_id=item.therapist_id,
        client_id=item.client_id,
        session_type=SessionType(item.session_type),
        location=location_from_map(item.location),
        every_weeks=int(item.every_weeks),
        occurrences=tuple(TimeRange(o.start, o.end) for o in item.occurrences),
        status=ReservationStatus(item.status),
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version),
        booked={datetime.fromisoformat(start): str(session_id) for start, session_id in booked.items()},
        released_through=item.released_through,
    )


SNAPSHOT_LEAVES_OUT = frozenset({"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk", "ttl"})


def reservation_event_item(event: ReservationEvent, reservation: Reservation) -> ReservationEventItem:
    snapshot = {k: v for k, v in reservation_item(reservation).serialize().items() if k not in SNAPSHOT_LEAVES_OUT}
    return ReservationEventItem(
        reservation_key(event.reservation_id),
        f"EVENT#{event.version:08d}",
        event_id=event.event_id,
        event_type=event.event_type,
        reservation_id=event.reservation_id,
        reservation_version=event.version,
        therapist_id=reservation.therapist_id,
        client_id=reservation.client_id,
        occurred_at=event.occurred_at,
        actor_role=event.actor_role,
        actor_id=event.actor_id,
        reservation=snapshot,
    )


def reservation_from_snapshot(snapshot: dict[str, Any], therapist_id: str, reservation_id: str) -> Reservation:
    """The reservation an event item carries, as the event left it."""
    raw = {
        **snapshot,
        "pk": {"S": therapist_key(therapist_id)},
        "sk": {"S": reservation_sort_key(reservation_id)},
    }
    item = TableItem.from_raw_data(raw)
    if not isinstance(item, ReservationItem):
        raise TypeError("not a reservation snapshot")
    return reservation_from_item(item)


def reservation_event_from_image(image: Mapping[str, Any]) -> tuple[ReservationEvent, Reservation]:
    """A reservation's outbox item from a stream record's NewImage (DynamoDB JSON): the typed event and the
    reservation as the event left it. Raises UnknownEventType for a type this code does not know,
    MalformedEvent for an item that does not fit its type (both ValueError)."""
    try:
        item = TableItem.from_raw_data(dict(image))
    except Exception as error:
        raise MalformedEvent(f"unreadable reservation event item: {type(error).__name__}") from None
    if not isinstance(item, ReservationEventItem):
        raise MalformedEvent("not a reservation event item")
    try:
        event_type = ReservationEventType(item.event_type)
    except ValueError:
        raise UnknownEventType(f"unknown reservation event type {item.event_type!r}") from None
    if None in (item.reservation_id, item.reservation_version, item.therapist_id, item.occurred_at):
        raise MalformedEvent(f"{event_type} event without its header")
    try:
        event = ReservationEvent(
            event_type=event_type,
            reservation_id=item.reservation_id,
            version=int(item.reservation_version),
            occurred_at=item.occurred_at,
            actor_role=Role(item.actor_role),
            actor_id=item.actor_id,
        )
        reservation = reservation_from_snapshot(item.reservation, item.therapist_id, item.reservation_id)
    except Exception as error:
        raise MalformedEvent(f"{item.event_type} event: {type(error).__name__}") from None
    return event, reservation


class ReservationEventCodec:
    """The `ReservationEvents` port: stream images of reservations' outbox items back into typed events."""

    def decode(self, image: Mapping[str, Any]) -> tuple[ReservationEvent, Reservation]:
        return reservation_event_from_image(image)


def _mine(reservation_id: str) -> Condition:
    mine: Condition = ClaimItem.pk.does_not_exist() | (ClaimItem.owner_id == reservation_id)
    return mine


class DynamoReservations:
    def get(self, therapist_id: str, reservation_id: str) -> Reservation | None:
        try:
            item = ReservationItem.get(
                therapist_key(therapist_id), reservation_sort_key(reservation_id), consistent_read=True
            )
        except ReservationItem.DoesNotExist:
            return None
        return reservation_from_item(item)

    def claims_at(self, therapist_id: str, units: Sequence[datetime]) -> dict[datetime, Claim]:
        found: dict[datetime, Claim] = {}
        keys = [(therapist_key(therapist_id), claim_sort_key(unit)) for unit in dict.fromkeys(units)]
        for first in range(0, len(keys), 100):  # BatchGetItem reads at most 100 keys
            for item in get_items(*keys[first : first + 100], consistent=True).values():
                if isinstance(item, ClaimItem):
                    claim = claim_from_item(item, therapist_id)
                    found[claim.unit_start] = claim
        return found

    def save(
        self,
        reservation: Reservation,
        expected_version: int | None,
        event: ReservationEvent | None = None,
        take: Sequence[Claim] = (),
        give_back: Sequence[Claim] = (),
    ) -> None:
        tx = Transaction()
        guard = (
            ReservationItem.pk.does_not_exist()
            if expected_version is None
            else ReservationItem.version == expected_version
        )
        tx.put(reservation_item(reservation), guard, _changed)
        if event is not None:
            tx.put(reservation_event_item(event, reservation), ReservationEventItem.pk.does_not_exist(), _changed)
        self._claims(tx, reservation.reservation_id, take, give_back)
        if len(take) + len(give_back) + 1 + (event is not None) > TRANSACTION_ITEM_LIMIT:
            raise ValueError("a reservation's write holds at most 100 items")
        self._commit(tx)

    def take(self, reservation: Reservation, claims: Sequence[Claim]) -> None:
        tx = Transaction()
        tx.check(
            ReservationItem,
            therapist_key(reservation.therapist_id),
            reservation_sort_key(reservation.reservation_id),
            (ReservationItem.version == reservation.version) & (ReservationItem.status == str(reservation.status)),
            _changed,
        )
        self._claims(tx, reservation.reservation_id, claims, ())
        self._commit(tx)

    @staticmethod
    def _claims(tx: Transaction, reservation_id: str, take: Sequence[Claim], give_back: Sequence[Claim]) -> None:
        for claim in give_back:
            tx.delete(claim_item(claim), _mine(reservation_id), partial(_NotOwned, claim.unit_start))
        for claim in take:
            tx.put(claim_item(claim), ClaimItem.pk.does_not_exist(), partial(_Taken, claim.unit_start))

    @staticmethod
    def _commit(tx: Transaction) -> None:
        try:
            tx.commit()
        except Conflict:
            taken = {failure.unit for failure in tx.failures if isinstance(failure, _Taken)}
            if taken:
                raise UnitsTaken(taken) from None
            raise

    def give_back(self, reservation_id: str, claims: Sequence[Claim]) -> None:
        for first in range(0, len(claims), TRANSACTION_ITEM_LIMIT):
            self._give_back_batch(reservation_id, list(claims[first : first + TRANSACTION_ITEM_LIMIT]))

    def _give_back_batch(self, reservation_id: str, claims: list[Claim]) -> None:
        attempts = 0
        while claims:
            tx = Transaction()
            self._claims(tx, reservation_id, (), claims)
            try:
                tx.commit()
                return
            except Conflict:
                not_owned = {failure.unit for failure in tx.failures if isinstance(failure, _NotOwned)}
                if not not_owned:
                    attempts += 1
                    if attempts > _RETRIES:
                        raise
                    time.sleep(0.05 * attempts)
                claims = [claim for claim in claims if claim.unit_start not in not_owned]

    def remove(self, reservation: Reservation) -> None:
        tx = Transaction()
        tx.delete(
            reservation_item(reservation),
            ReservationItem.pk.does_not_exist() | (ReservationItem.status == str(ReservationStatus.PENDING)),
            _changed,
        )
        tx.commit()

    def for_therapist(self, therapist_id: str) -> list[Reservation]:
        return _of_therapist(therapist_id, ReservationItem.status == str(ReservationStatus.ACTIVE))

    def for_feed(self, therapist_id: str) -> list[Reservation]:
        """Every reservation but pending ones, deleted and ended ones included until their `ttl` removes them."""
        return _of_therapist(therapist_id)

    def for_client(self, client_id: str) -> list[Reservation]:
        items = ReservationItem.gsi2.query(client_reservations_key(client_id))
        return [reservation_from_item(item) for item in items if isinstance(item, ReservationItem)]

    def list_due(self, now: datetime, page_size: int) -> Iterator[Reservation | UnreadableItem]:
        for _, raw in due_pages(RESERVATIONS_DUE, now, page_size):
            yield decoded(raw, ReservationItem, reservation_from_item, "sk", PREFIX)


def _of_therapist(therapist_id: str, filter_condition: Condition | None = None) -> list[Reservation]:
    """The therapist's reservations but pending ones (one Query of gsi1 `RESERVATIONS#<id>`, every page), by
    first start. Deleted and ended ones are there until their `ttl` removes them."""
    items = ReservationItem.gsi1.query(therapist_reservations_key(therapist_id), filter_condition=filter_condition)
    return [reservation_from_item(item) for item in items if isinstance(item, ReservationItem)]
