"""One TransactWriteItems with the domain error each of its items stands for, and the claims of a
therapist's time as items. Cancellation reasons come back as the most telling domain error."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from therapy_booking.adapters.dynamodb.models import (
    ERASED,
    ClaimItem,
    ErasedClientItem,
    TableItem,
    client_key,
    iso,
    therapist_key,
)
from therapy_booking.domain.changes import Claim, ClaimKind, HeldOccurrence
from therapy_booking.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    FreeConsultationUsed,
    SlotUnavailable,
    TherapistUnavailableForBooking,
)
from therapy_booking.domain.model import SessionType

# When several items of a transaction fail, the most telling error wins.
_ERROR_PRIORITY: tuple[type[DomainError], ...] = (
    Conflict,
    TherapistUnavailableForBooking,
    FreeConsultationUsed,
    SlotUnavailable,
)


def claim_sort_key(unit_start: datetime) -> str:
    return f"CLAIM#{iso(unit_start)}"


def claim_item(claim: Claim) -> ClaimItem:
    held = claim.held_for
    return ClaimItem(
        therapist_key(claim.therapist_id),
        claim_sort_key(claim.unit_start),
        kind=claim.kind,
        owner_id=claim.owner_id,
        held_for=held.client_id if held else None,
        held_start=held.start if held else None,
        held_end=held.end if held else None,
        held_type=held.session_type if held else None,
    )


def claim_from_item(item: ClaimItem, therapist_id: str) -> Claim:
    """The claim an item stands for (the therapist from its partition's owner, already known to the reader)."""
    held = None
    if item.held_for is not None and item.held_start is not None and item.held_end is not None and item.held_type:
        held = HeldOccurrence(item.held_for, item.held_start, item.held_end, SessionType(item.held_type))
    unit = datetime.fromisoformat(item.sk.removeprefix("CLAIM#"))
    return Claim(therapist_id, unit, ClaimKind(item.kind), item.owner_id, held)


def _racing() -> DomainError:
    """An item another transaction was writing at that very moment: nothing to conclude but to try again."""
    return Conflict("A concurrent update got there first; please try again.")


class Transaction:
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

    def update(
        self,
        item: TableItem,
        actions: list[Action],
        error: Callable[[], DomainError],
        condition: Condition | None = None,
    ) -> None:
        self._tx.update(item, actions=actions, condition=condition)
        self._updates.append(error)

    def refuse_if_erased(self, client_id: str) -> None:
        """The client's data has not been erased (nor is being): their writes stop once the erasure began."""
        self.check(
            ErasedClientItem,
            client_key(client_id),
            ERASED,
            ErasedClientItem.pk.does_not_exist(),
            lambda: Forbidden("This client account has been erased."),
        )

    def take_claims(self, claims: Iterable[Claim]) -> None:
        for claim in claims:
            self.put(
                claim_item(claim),
                ClaimItem.pk.does_not_exist(),
                lambda: SlotUnavailable("That time is no longer available."),
            )

    def convert_claims(self, claims: Iterable[Claim]) -> None:
        """Overwrite units this owner already holds (a held alternative becomes the session's time)."""
        for claim in claims:
            self.put(
                claim_item(claim),
                ClaimItem.owner_id == claim.owner_id,
                lambda: Conflict("The calendar changed while this request ran; please try again."),
            )

    def release_claims(self, claims: Iterable[Claim]) -> None:
        for claim in claims:
            self.delete(
                claim_item(claim),
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
