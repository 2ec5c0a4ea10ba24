"""The repository ports on DynamoDB through PynamoDB.

Every state change is one TransactWriteItems: the session (conditional on its
version), its claims (`attribute_not_exists` to take, owner check to release),
its outbox event and any guard. Cancellation reasons map back to domain errors.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, time
from functools import partial
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from therapy_booking.adapters.dynamodb_items import (
    DUE,
    LISTED,
    AlternativeMap,
    BlockItem,
    ClaimItem,
    ClientItem,
    EventItem,
    FreeConsultationItem,
    HistoryMap,
    LocationChangeMap,
    LocationMap,
    MoneyMap,
    OfferMap,
    SessionItem,
    SessionTypeMap,
    TableItem,
    TherapistItem,
    WindowMap,
    client_key,
    iso,
    session_key,
    therapist_key,
)
from therapy_booking.domain.changes import Claim, ClaimKind, SessionChange
from therapy_booking.domain.errors import (
    Conflict,
    DomainError,
    FreeConsultationUsed,
    SlotUnavailable,
    TherapistUnavailableForBooking,
    ValidationFailed,
)
from therapy_booking.domain.events import DomainEvent, EventType
from therapy_booking.domain.model import (
    Alternative,
    Availability,
    Block,
    ClientProfile,
    HistoryEntry,
    Location,
    LocationChange,
    LocationKind,
    Money,
    Offer,
    Role,
    Session,
    SessionStatus,
    SessionType,
    SessionTypeOffer,
    Therapist,
    TherapistProfile,
    Weekday,
    WeeklyWindow,
)
from therapy_booking.domain.ports import Calendar, Page, SessionQuery, UnreadableItem

PROFILE = "PROFILE"
SESSION = "SESSION"

# When several items of a transaction fail, the most telling error wins.
_ERROR_PRIORITY: tuple[type[DomainError], ...] = (
    Conflict,
    TherapistUnavailableForBooking,
    FreeConsultationUsed,
    SlotUnavailable,
)


def claim_sort_key(unit_start: datetime) -> str:
    return f"CLAIM#{iso(unit_start)}"


def _claim_item(claim: Claim) -> ClaimItem:
    return ClaimItem(
        therapist_key(claim.therapist_id), claim_sort_key(claim.unit_start), kind=claim.kind, owner_id=claim.owner_id
    )


class _NotOwned(Conflict):
    """A unit to give back that belongs to someone else by now."""

    def __init__(self, unit: datetime) -> None:
        super().__init__("That time belongs to someone else by now.")
        self.unit = unit


def _racing() -> DomainError:
    """An item another transaction was writing at that very moment: nothing to conclude but to try again."""
    return Conflict("A concurrent update got there first; please try again.")


class _Transaction:
    """TransactWrite that remembers which domain error each item stands for.

    PynamoDB sends condition checks, then deletes, then puts, then updates;
    cancellation reasons come back in that order.
    """

    def __init__(self) -> None:
        self._tx = TransactWrite(connection=TableItem._get_connection().connection)
        self._checks: list[Callable[[], DomainError]] = []
        self._deletes: list[Callable[[], DomainError]] = []
        self._puts: list[Callable[[], DomainError]] = []
        self._updates: list[Callable[[], DomainError]] = []
        self.failures: list[DomainError] = []  # every item's error, once a commit was cancelled

    def check(
        self, model: type[TableItem], pk: str, sk: str, condition: Condition, error: Callable[[], DomainError]
    ) -> None:
        self._tx.condition_check(model, pk, sk, condition=condition)
        self._checks.append(error)

    def delete(self, item: TableItem, condition: Condition, error: Callable[[], DomainError]) -> None:
        self._tx.delete(item, condition=condition)
        self._deletes.append(error)

    def put(self, item: TableItem, condition: Condition | None, error: Callable[[], DomainError]) -> None:
        self._tx.save(item, condition=condition)
        self._puts.append(error)

    def update(self, item: TableItem, actions: list[Action], error: Callable[[], DomainError]) -> None:
        self._tx.update(item, actions=actions)
        self._updates.append(error)

    def take_claims(self, claims: Iterable[Claim]) -> None:
        for claim in claims:
            self.put(
                _claim_item(claim),
                ClaimItem.pk.does_not_exist(),
                lambda: SlotUnavailable("That time is no longer available."),
            )

    def convert_claims(self, claims: Iterable[Claim]) -> None:
        """Overwrite units this owner already holds (a held alternative becomes the session's time)."""
        for claim in claims:
            self.put(
                _claim_item(claim),
                ClaimItem.owner_id == claim.owner_id,
                lambda: Conflict("The calendar changed while this request ran; please try again."),
            )

    def release_claims(self, claims: Iterable[Claim]) -> None:
        for claim in claims:
            self.delete(
                _claim_item(claim),
                ClaimItem.owner_id == claim.owner_id,
                lambda: Conflict("The calendar changed while this request ran; please try again."),
            )

    def commit(self) -> None:
        try:
            self._tx._commit()
        except TransactWriteError as error:
            if error.cause_response_code != "TransactionCanceledException":
                raise
            raise self._domain_error(error) from None

    def _domain_error(self, error: TransactWriteError) -> DomainError:
        factories = self._checks + self._deletes + self._puts + self._updates
        failed = [
            factory() if reason.code == "ConditionalCheckFailed" else _racing()
            for factory, reason in zip(factories, error.cancellation_reasons, strict=False)
            if reason is not None and reason.code in ("ConditionalCheckFailed", "TransactionConflict")
        ]
        self.failures = failed
        for kind in _ERROR_PRIORITY:
            for candidate in failed:
                if isinstance(candidate, kind):
                    return candidate
        return failed[0] if failed else Conflict("A concurrent update got there first; please try again.")


def _money(value: MoneyMap | None) -> Money | None:
    return None if value is None else Money(int(value.amount), value.currency)


def _money_map(value: Money | None) -> MoneyMap | None:
    return None if value is None else MoneyMap(amount=value.amount, currency=value.currency)


def _location(value: LocationMap) -> Location:
    return Location(value.id, LocationKind(value.kind), value.address, value.link)


def _location_map(value: Location) -> LocationMap:
    return LocationMap(id=value.id, kind=value.kind, address=value.address, link=value.link)


def _encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


MAX_CURSOR_KEY_BYTES = 1024  # DynamoDB's limit on a sort key value (a partition key's is 2048)


def _is_key_string(value: Any) -> bool:
    """Exactly {"S": <a non-empty string DynamoDB can take as a key value>}."""
    if not isinstance(value, dict) or set(value) != {"S"} or not isinstance(value["S"], str):
        return False
    try:
        return 0 < len(value["S"].encode("utf-8")) <= MAX_CURSOR_KEY_BYTES
    except UnicodeEncodeError:  # an unpaired surrogate
        return False


def _decode_cursor(
    cursor: str | None,
    partition: tuple[str, str],
    key_names: set[str],
    sort_window: tuple[str, str, str] | None = None,
) -> dict[str, Any] | None:
    """The LastEvaluatedKey behind a cursor, refusing one minted for another listing, or one whose sort key
    (`sort_window`: name, low, high) lies outside the query's window (DynamoDB would refuse it as a start key)."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error, RecursionError):
        key = None
    name, value = partition
    if (
        not isinstance(key, dict)
        or set(key) != key_names
        or key.get(name) != {"S": value}
        or not all(_is_key_string(part) for part in key.values())
        or (sort_window is not None and not sort_window[1] <= key[sort_window[0]]["S"] <= sort_window[2])
    ):
        raise ValidationFailed("'cursor' is not a cursor this listing gave out (for these filters).")
    return key


def session_from_item(item: SessionItem) -> Session:
    return Session(
        session_id=item.session_id,
        therapist_id=item.therapist_id,
        client_id=item.client_id,
        status=SessionStatus(item.status),
        session_type=SessionType(item.session_type),
        attendees=tuple(str(name) for name in item.attendees),
        location=_location(item.location),
        start=item.start,
        end=item.end,
        price=Money(int(item.price.amount), item.price.currency),
        initial_consultation=item.initial_consultation,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version),
        note=item.note,
        cancelled_by=Role(item.cancelled_by) if item.cancelled_by else None,
        cancellation_reason=item.cancellation_reason,
        decline_reason=item.decline_reason,
        refund=_money(item.refund),
        therapist_payout=_money(item.therapist_payout),
        platform_commission=_money(item.platform_commission),
        offer=_offer(item.offer),
        location_change=_location_change(item.location_change),
        history=tuple(
            HistoryEntry(h.at, h.action, h.actor_role, h.actor_id, h.reason, h.note) for h in item.history or []
        ),
        releases_pending=tuple(datetime.fromisoformat(str(unit)) for unit in item.releases_pending or []),
    )


def _offer(value: OfferMap | None) -> Offer | None:
    if value is None:
        return None
    return Offer(
        value.offer_id,
        value.expires_at,
        tuple(Alternative(a.alternative_id, a.start, a.end) for a in value.alternatives),
        SessionStatus(value.previous_status),
    )


def _location_change(value: LocationChangeMap | None) -> LocationChange | None:
    if value is None:
        return None
    return LocationChange(
        value.change_id, _location(value.location), value.expires_at, SessionStatus(value.previous_status)
    )


def _session_extras(session: Session) -> dict[str, Any]:
    offer = session.offer
    change = session.location_change
    due = session.due_at
    return {
        "gsi3pk": DUE if due else None,
        "gsi3sk": f"{iso(due)}#{session.session_id}" if due else None,
        "offer": None
        if offer is None
        else OfferMap(
            offer_id=offer.offer_id,
            expires_at=offer.expires_at,
            alternatives=[
                AlternativeMap(alternative_id=a.alternative_id, start=a.start, end=a.end) for a in offer.alternatives
            ],
            previous_status=offer.previous_status,
        ),
        "location_change": None
        if change is None
        else LocationChangeMap(
            change_id=change.change_id,
            location=_location_map(change.location),
            expires_at=change.expires_at,
            previous_status=change.previous_status,
        ),
        "history": [
            HistoryMap(
                at=h.at, action=h.action, actor_role=h.actor_role, actor_id=h.actor_id, reason=h.reason, note=h.note
            )
            for h in session.history
        ]
        or None,
        "releases_pending": [iso(unit) for unit in session.releases_pending] or None,
    }


def _session_item(session: Session) -> SessionItem:
    position = f"{iso(session.start)}#{session.session_id}"
    return SessionItem(
        session_key(session.session_id),
        SESSION,
        gsi1pk=therapist_key(session.therapist_id),
        gsi1sk=position,
        gsi2pk=client_key(session.client_id),
        gsi2sk=position,
        session_id=session.session_id,
        therapist_id=session.therapist_id,
        client_id=session.client_id,
        status=session.status,
        session_type=session.session_type,
        attendees=list(session.attendees),
        location=_location_map(session.location),
        start=session.start,
        end=session.end,
        price=_money_map(session.price),
        initial_consultation=session.initial_consultation,
        created_at=session.created_at,
        updated_at=session.updated_at,
        version=session.version,
        note=session.note,
        cancelled_by=session.cancelled_by,
        cancellation_reason=session.cancellation_reason,
        decline_reason=session.decline_reason,
        refund=_money_map(session.refund),
        therapist_payout=_money_map(session.therapist_payout),
        platform_commission=_money_map(session.platform_commission),
        **_session_extras(session),
    )


def _event_item(change: SessionChange) -> EventItem:
    event = change.event
    return EventItem(
        session_key(event.session_id),
        f"EVENT#{event.session_version:08d}",
        event_id=event.event_id,
        event_type=event.event_type,
        session_id=event.session_id,
        session_version=event.session_version,
        therapist_id=change.session.therapist_id,
        client_id=change.session.client_id,
        occurred_at=event.occurred_at,
        actor_role=event.actor_role,
        actor_id=event.actor_id,
        data=json.loads(json.dumps(event.data)),  # plain types only (enums become strings)
        session=session_snapshot(change.session),
        note=event.note,
    )


# Keys, and the free text that may hold health details (the client's note, the reasons given, the history's
# notes): no consumer needs them, and every event item would otherwise keep another copy.
SNAPSHOT_LEAVES_OUT = frozenset(
    {
        *("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk"),
        *("history", "note", "cancellation_reason", "decline_reason"),
        "releases_pending",  # bookkeeping of the store, not part of what happened
    }
)


def session_snapshot(session: Session) -> dict[str, Any]:
    """The session item's attributes as DynamoDB stores them, without keys, history and free text."""
    return {k: v for k, v in _session_item(session).serialize().items() if k not in SNAPSHOT_LEAVES_OUT}


def event_from_image(image: dict[str, Any]) -> tuple[DomainEvent, Session | None]:
    """An outbox item from a stream record's NewImage (DynamoDB JSON): the event and, when the item
    has one, the session as the event left it. Raises ValueError for an event type this code does
    not know."""
    item = EventItem.from_raw_data(image)
    event = DomainEvent(
        event_type=EventType(item.event_type),
        session_id=item.session_id,
        session_version=int(item.session_version),
        occurred_at=item.occurred_at,
        actor_role=item.actor_role,
        actor_id=item.actor_id,
        data=dict(item.data.as_dict()) if item.data is not None else {},
    )
    snapshot = SessionItem.from_raw_data(item.session) if item.session else None
    return event, session_from_item(snapshot) if snapshot is not None else None


def _free_consultation_item(client_id: str, therapist_id: str, session_id: str) -> FreeConsultationItem:
    return FreeConsultationItem(client_key(client_id), f"FREE_CONSULTATION#{therapist_id}", session_id=session_id)


def _due_entry(raw: dict[str, Any]) -> Session | UnreadableItem:
    """A due session from its raw item, or what stands for one that cannot be read."""
    try:
        item = TableItem.from_raw_data(raw)
        if not isinstance(item, SessionItem):
            raise TypeError("not a session item")
        return session_from_item(item)
    except Exception as error:
        key = raw.get("pk", {}).get("S", "") if isinstance(raw.get("pk"), dict) else ""
        return UnreadableItem(str(key).removeprefix("SESSION#"), type(error).__name__)


def _session_changed() -> DomainError:
    return Conflict("The session was changed by someone else; reload it and try again.")


class DynamoSessionRepository:
    def get(self, session_id: str) -> Session | None:
        try:
            item = SessionItem.get(session_key(session_id), SESSION)
        except SessionItem.DoesNotExist:
            return None
        return session_from_item(item)

    def commit(self, change: SessionChange) -> None:
        tx = _Transaction()
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
        tx.put(_session_item(session), version_guard, _session_changed)
        tx.put(_event_item(change), EventItem.pk.does_not_exist(), _session_changed)
        tx.release_claims(change.claims_released)
        tx.take_claims(change.claims_added)
        tx.convert_claims(change.claims_converted)
        if change.counts_as_therapists_own_rearrangement:
            tx.update(
                TherapistItem(therapist_key(session.therapist_id), PROFILE),
                [TherapistItem.own_rearrangements.add(1)],
                lambda: Conflict("The therapist's record changed while this request ran; please try again."),
            )
        if (mark := change.free_consultation_taken) is not None:
            tx.put(
                _free_consultation_item(mark.client_id, mark.therapist_id, mark.session_id),
                FreeConsultationItem.pk.does_not_exist(),
                lambda: FreeConsultationUsed(
                    "You have already had your free initial consultation with this therapist."
                ),
            )
        if (mark := change.free_consultation_released) is not None:
            tx.delete(
                _free_consultation_item(mark.client_id, mark.therapist_id, mark.session_id),
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
            tx = _Transaction()
            tx.put(
                _session_item(replace(session, releases_pending=())),
                SessionItem.version == session.version,
                _session_changed,
            )
            for unit in remaining:
                tx.delete(
                    _claim_item(Claim(session.therapist_id, unit, ClaimKind.SESSION, session.session_id)),
                    ClaimItem.pk.does_not_exist() | (ClaimItem.owner_id == session.session_id),
                    partial(_NotOwned, unit),
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
        """Read page by page, as the caller consumes; items are decoded one by one, so that one that
        cannot be read (corrupt, or written by a newer version) stands alone as an `UnreadableItem`."""
        connection = TableItem._get_connection()
        start_key: dict[str, Any] | None = None
        while True:
            page = connection.query(
                DUE,
                range_key_condition=SessionItem.gsi3sk <= f"{iso(now)}~",
                index_name=SessionItem.gsi3.Meta.index_name,
                limit=page_size,
                exclusive_start_key=start_key,
            )
            yield from (_due_entry(raw) for raw in page.get("Items", []))
            start_key = page.get("LastEvaluatedKey")
            if not start_key:
                return

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
        start_key = _decode_cursor(
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
        return Page(items, _encode_cursor(results.last_evaluated_key))


def therapist_from_item(item: TherapistItem) -> Therapist:
    profile = None
    if item.name is not None:
        profile = TherapistProfile(
            name=item.name,
            email=item.email or "",
            phone=item.phone,
            sms_opt_in=bool(item.sms_opt_in),
            timezone=item.timezone or "UTC",
            locations=tuple(_location(loc) for loc in item.locations or []),
            session_types=tuple(
                SessionTypeOffer(
                    SessionType(t.type), int(t.duration_minutes), Money(int(t.price.amount), t.price.currency)
                )
                for t in item.session_types or []
            ),
            free_initial_consultation=bool(item.free_initial_consultation),
            visible=bool(item.visible),
        )
    availability = None
    if item.weekly is not None:
        availability = Availability(
            weekly=tuple(
                WeeklyWindow(Weekday(w.day), time.fromisoformat(w.start), time.fromisoformat(w.end))
                for w in item.weekly
            ),
            min_notice_hours=int(item.min_notice_hours or 0),
            horizon_days=int(item.horizon_days or 0),
        )
    return Therapist(item.therapist_id, profile, availability, bool(item.deactivated))


def _block_from_item(item: BlockItem) -> Block:
    return Block(item.block_id, item.therapist_id, item.start, item.end, item.note)


class DynamoTherapistRepository:
    def get(self, therapist_id: str) -> Therapist | None:
        try:
            return therapist_from_item(TherapistItem.get(therapist_key(therapist_id), PROFILE))
        except TherapistItem.DoesNotExist:
            return None

    def get_calendar(self, therapist_id: str, since: datetime) -> Calendar | None:
        """The profile and every claim from `since` on, in one query.

        Claims (sk CLAIM#<instant>) sort just before the profile (sk PROFILE),
        so one key range reads both; history before `since` is never read.
        """
        therapist: Therapist | None = None
        claimed: set[datetime] = set()
        floor = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)  # any unit divides an hour
        for item in TableItem.query(therapist_key(therapist_id), TableItem.sk.between(claim_sort_key(floor), PROFILE)):
            if isinstance(item, ClaimItem):
                claimed.add(datetime.fromisoformat(item.sk.removeprefix("CLAIM#")))
            elif isinstance(item, TherapistItem):
                therapist = therapist_from_item(item)
        return None if therapist is None else Calendar(therapist, claimed)

    def save_profile(self, therapist_id: str, profile: TherapistProfile) -> Therapist:
        item = TherapistItem(therapist_key(therapist_id), PROFILE)
        actions: list[Action] = [
            TherapistItem.entity.set(TherapistItem),
            TherapistItem.therapist_id.set(therapist_id),
            TherapistItem.name.set(profile.name),
            TherapistItem.email.set(profile.email),
            TherapistItem.phone.set(profile.phone) if profile.phone else TherapistItem.phone.remove(),
            TherapistItem.sms_opt_in.set(profile.sms_opt_in),
            TherapistItem.timezone.set(profile.timezone),
            TherapistItem.locations.set([_location_map(loc) for loc in profile.locations]),
            TherapistItem.session_types.set(
                [
                    SessionTypeMap(type=o.type, duration_minutes=o.duration_minutes, price=_money_map(o.price))
                    for o in profile.session_types
                ]
            ),
            TherapistItem.free_initial_consultation.set(profile.free_initial_consultation),
            TherapistItem.visible.set(profile.visible),
        ]
        unlisted: list[Action] = [TherapistItem.gsi1pk.remove(), TherapistItem.gsi1sk.remove()]
        if not profile.visible:
            item.update(actions=actions + unlisted)
            return therapist_from_item(item)
        listed: list[Action] = [TherapistItem.gsi1pk.set(LISTED), TherapistItem.gsi1sk.set(therapist_id)]
        try:
            item.update(actions=actions + listed, condition=TherapistItem.deactivated != True)  # noqa: E712
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            item.update(actions=actions + unlisted)  # deactivated accounts stay out of the listing
        return therapist_from_item(item)

    def save_availability(self, therapist_id: str, availability: Availability) -> Therapist:
        item = TherapistItem(therapist_key(therapist_id), PROFILE)
        item.update(
            actions=[
                TherapistItem.entity.set(TherapistItem),
                TherapistItem.therapist_id.set(therapist_id),
                TherapistItem.weekly.set(
                    [
                        WindowMap(day=w.day, start=w.start.strftime("%H:%M"), end=w.end.strftime("%H:%M"))
                        for w in availability.weekly
                    ]
                ),
                TherapistItem.min_notice_hours.set(availability.min_notice_hours),
                TherapistItem.horizon_days.set(availability.horizon_days),
            ]
        )
        return therapist_from_item(item)

    def list_bookable(self, limit: int, cursor: str | None) -> Page[Therapist]:
        start_key = _decode_cursor(cursor, ("gsi1pk", LISTED), {"pk", "sk", "gsi1pk", "gsi1sk"})
        results = TherapistItem.gsi1.query(LISTED, limit=limit, last_evaluated_key=start_key)
        items = [therapist_from_item(item) for item in results if isinstance(item, TherapistItem)]
        return Page(items, _encode_cursor(results.last_evaluated_key))

    def get_block(self, therapist_id: str, block_id: str) -> Block | None:
        try:
            return _block_from_item(BlockItem.get(therapist_key(therapist_id), f"BLOCK#{block_id}"))
        except BlockItem.DoesNotExist:
            return None

    def _block_item(self, block: Block) -> BlockItem:
        return BlockItem(
            therapist_key(block.therapist_id),
            f"BLOCK#{block.block_id}",
            block_id=block.block_id,
            therapist_id=block.therapist_id,
            start=block.start,
            end=block.end,
            note=block.note,
        )

    def add_block(self, block: Block, claims: tuple[Claim, ...]) -> None:
        tx = _Transaction()
        tx.put(self._block_item(block), BlockItem.pk.does_not_exist(), lambda: Conflict("Block id collision."))
        tx.take_claims(claims)
        tx.commit()

    def remove_block(self, block: Block, claims: tuple[Claim, ...]) -> None:
        tx = _Transaction()
        tx.delete(self._block_item(block), BlockItem.pk.exists(), lambda: Conflict("The block was already removed."))
        tx.release_claims(claims)
        tx.commit()


class DynamoClientRepository:
    def get(self, client_id: str) -> ClientProfile | None:
        try:
            item = ClientItem.get(client_key(client_id), PROFILE)
        except ClientItem.DoesNotExist:
            return None
        return ClientProfile(item.client_id, item.name, item.email, item.phone, item.sms_opt_in, item.timezone)

    def save_profile(self, profile: ClientProfile) -> ClientProfile:
        ClientItem(
            client_key(profile.client_id),
            PROFILE,
            client_id=profile.client_id,
            name=profile.name,
            email=profile.email,
            phone=profile.phone,
            sms_opt_in=profile.sms_opt_in,
            timezone=profile.timezone,
        ).save()
        return profile
