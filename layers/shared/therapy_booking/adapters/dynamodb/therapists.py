"""Therapists on DynamoDB: profile and availability (one item), their calendar of claims, blocks, the listing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import cast

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition, size
from pynamodb.expressions.update import Action

from therapy_booking.adapters.dynamodb.batch import get_items
from therapy_booking.adapters.dynamodb.codecs import (
    PROFILE,
    block_from_item,
    client_from_item,
    location_map,
    money_map,
    therapist_from_item,
)
from therapy_booking.adapters.dynamodb.cursors import decode_cursor, encode_cursor
from therapy_booking.adapters.dynamodb.models import (
    LISTED,
    BlockItem,
    ClaimItem,
    ClientItem,
    SessionTypeMap,
    TableItem,
    TherapistItem,
    WindowMap,
    client_key,
    therapist_key,
)
from therapy_booking.adapters.dynamodb.transaction import Transaction, claim_from_item, claim_sort_key
from therapy_booking.domain.changes import Claim
from therapy_booking.domain.errors import Conflict
from therapy_booking.domain.model import (
    Availability,
    Block,
    ClientProfile,
    Reactivation,
    Therapist,
    TherapistProfile,
)
from therapy_booking.domain.ports import Calendar, Page
from therapy_booking.domain.standing import SCORE_PLACES, RankUpdate

RANK_PLACES = int(1 / SCORE_PLACES)  # a score between 0 and 1, as whole millionths


def rank_key(score: Decimal, therapist_id: str) -> str:
    """The listing's sort key (gsi1sk): higher scores first in ascending key order, then by id."""
    inverted = RANK_PLACES - int((score * RANK_PLACES).to_integral_value())
    return f"{min(max(inverted, 0), RANK_PLACES):07d}#{therapist_id}"


def _unchanged(attribute: NumberAttribute, value: int) -> Condition:
    return attribute == value if value else attribute.does_not_exist() | (attribute == 0)


def _as_seen(therapist: Therapist) -> Condition:
    """The therapist's counts as `therapist` shows them: the projection writes only over that record."""
    responses = therapist.responses
    recent = TherapistItem.recent_response_minutes
    length: Condition = size(recent) == len(responses.recent_minutes)
    seen: Condition = (
        _unchanged(TherapistItem.response_samples, responses.samples)
        & _unchanged(TherapistItem.own_rearrangements, therapist.own_rearrangements)
        & _unchanged(TherapistItem.cancellation_streak, therapist.cancellation_streak)
        & (
            (TherapistItem.deactivated == True)  # noqa: E712
            if therapist.deactivated
            else TherapistItem.deactivated.does_not_exist() | (TherapistItem.deactivated == False)  # noqa: E712
        )
        & (recent.does_not_exist() if not responses.recent_minutes else length)
    )
    return seen


class DynamoTherapistRepository:
    def get(self, therapist_id: str) -> Therapist | None:
        try:
            return therapist_from_item(TherapistItem.get(therapist_key(therapist_id), PROFILE))
        except TherapistItem.DoesNotExist:
            return None

    def get_with_client(self, therapist_id: str, client_id: str) -> tuple[Therapist | None, ClientProfile | None]:
        """The therapist and the client profile together, in one BatchGetItem."""
        therapist_at, client_at = (therapist_key(therapist_id), PROFILE), (client_key(client_id), PROFILE)
        found = get_items(therapist_at, client_at)
        therapist, client = found.get(therapist_at), found.get(client_at)
        return (
            therapist_from_item(therapist) if isinstance(therapist, TherapistItem) else None,
            client_from_item(client) if isinstance(client, ClientItem) else None,
        )

    def get_with_claim(self, therapist_id: str, unit_start: datetime) -> tuple[Therapist | None, Claim | None]:
        """The therapist and the claim on `unit_start`, in one BatchGetItem (strongly consistent: a booking reads
        whether the time is an occurrence held for its client)."""
        therapist_at, claim_at = (
            (therapist_key(therapist_id), PROFILE),
            (therapist_key(therapist_id), claim_sort_key(unit_start)),
        )
        found = get_items(therapist_at, claim_at, consistent=True)
        therapist, claim = found.get(therapist_at), found.get(claim_at)
        return (
            therapist_from_item(therapist) if isinstance(therapist, TherapistItem) else None,
            claim_from_item(claim, therapist_id) if isinstance(claim, ClaimItem) else None,
        )

    def get_calendar(self, therapist_id: str, since: datetime) -> Calendar | None:
        """The profile and every claim from `since` on, in one query.

        Claims (sk CLAIM#<instant>) sort just before the profile (sk PROFILE),
        so one key range reads both; history before `since` is never read.
        """
        therapist: Therapist | None = None
        claimed: set[datetime] = set()
        reserved: list[Claim] = []
        floor = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)  # any unit divides an hour
        for item in TableItem.query(therapist_key(therapist_id), TableItem.sk.between(claim_sort_key(floor), PROFILE)):
            if isinstance(item, ClaimItem):
                claim = claim_from_item(item, therapist_id)
                claimed.add(claim.unit_start)
                if claim.held_for is not None:
                    reserved.append(claim)
            elif isinstance(item, TherapistItem):
                therapist = therapist_from_item(item)
        return None if therapist is None else Calendar(therapist, claimed, tuple(reserved))

    def save_profile(
        self, therapist_id: str, profile: TherapistProfile, newcomer_score: Decimal | None = None
    ) -> Therapist:
        item = TherapistItem(therapist_key(therapist_id), PROFILE)
        actions: list[Action] = [
            TherapistItem.entity.set(TherapistItem),
            TherapistItem.therapist_id.set(therapist_id),
            TherapistItem.name.set(profile.name),
            TherapistItem.email.set(profile.email),
            TherapistItem.phone.set(profile.phone) if profile.phone else TherapistItem.phone.remove(),
            TherapistItem.sms_opt_in.set(profile.sms_opt_in),
            TherapistItem.timezone.set(profile.timezone),
            TherapistItem.locations.set([location_map(loc) for loc in profile.locations]),
            TherapistItem.session_types.set(
                [
                    SessionTypeMap(type=o.type, duration_minutes=o.duration_minutes, price=money_map(o.price))
                    for o in profile.session_types
                ]
            ),
            TherapistItem.free_initial_consultation.set(profile.free_initial_consultation),
            TherapistItem.visible.set(profile.visible),
            TherapistItem.country.set(profile.country) if profile.country else TherapistItem.country.remove(),
        ]
        ranked = TherapistItem.gsi1sk.set(TherapistItem.gsi1sk | rank_key(newcomer_score or Decimal(0), therapist_id))
        actions.append(ranked)  # a first profile takes the newcomer's place until the projection ranks it
        unlisted: list[Action] = [TherapistItem.gsi1pk.remove()]
        if not profile.visible:
            item.update(actions=actions + unlisted)
            return therapist_from_item(item)
        listed: list[Action] = [TherapistItem.gsi1pk.set(LISTED)]
        try:
            item.update(actions=actions + listed, condition=TherapistItem.deactivated != True)  # noqa: E712
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            item.update(actions=actions + unlisted)  # deactivated accounts stay out of the listing
        return therapist_from_item(item)

    def reactivate(
        self, therapist_id: str, reactivation: Reactivation, newcomer_score: Decimal | None = None
    ) -> Therapist | None:
        """One UpdateItem when the profile is visible (listed again), two when it is hidden (left out of
        the listing); None, with nothing written, for a therapist without a profile."""
        item = TherapistItem(therapist_key(therapist_id), PROFILE)
        actions: list[Action] = [
            TherapistItem.deactivated.set(False),
            TherapistItem.cancellation_streak.set(0),
            TherapistItem.reactivated_at.set(reactivation.at),
            TherapistItem.reactivated_by.set(reactivation.admin_id),
            TherapistItem.reactivation_note.set(reactivation.note),
        ]
        listed: list[Action] = [  # at its rank key, kept while unlisted (a newcomer's for an item older than keys)
            TherapistItem.gsi1pk.set(LISTED),
            TherapistItem.gsi1sk.set(TherapistItem.gsi1sk | rank_key(newcomer_score or Decimal(0), therapist_id)),
        ]
        has_profile = TherapistItem.pk.exists() & TherapistItem.name.exists()
        for extra, condition in (
            (listed, has_profile & (TherapistItem.visible == True)),  # noqa: E712
            ([], has_profile),
        ):
            try:
                item.update(actions=actions + extra, condition=condition)
                return therapist_from_item(item)
            except UpdateError as error:
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise
        return None

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
        start_key = decode_cursor(cursor, ("gsi1pk", LISTED), {"pk", "sk", "gsi1pk", "gsi1sk"})
        results = TherapistItem.gsi1.query(LISTED, limit=limit, last_evaluated_key=start_key)
        items = [therapist_from_item(item) for item in results if isinstance(item, TherapistItem)]
        return Page(items, encode_cursor(results.last_evaluated_key))

    def listed_records(self) -> Iterator[tuple[Therapist, Decimal | None]]:
        """Every listed therapist with the rank score stored with it, page by page (Query of gsi1 LISTED)."""
        for item in TherapistItem.gsi1.query(LISTED):
            if isinstance(item, TherapistItem):
                yield therapist_from_item(item), None if item.rank_score is None else Decimal(str(item.rank_score))

    def record_rank(self, update: RankUpdate) -> bool:
        """Store the score and the listing key computed from `update.therapist` (and trim its recent answers),
        in one UpdateItem conditional on the record's counts being as seen; False, with nothing written, if
        they moved on (the change that moved them brings its own stream record, and so its own update)."""
        therapist = update.therapist
        item = TherapistItem(therapist_key(therapist.therapist_id), PROFILE)
        actions: list[Action] = [
            TherapistItem.rank_score.set(float(update.score)),
            TherapistItem.gsi1sk.set(rank_key(update.score, therapist.therapist_id)),
        ]
        if update.recent_minutes is not None:
            kept = cast("list[NumberAttribute]", list(update.recent_minutes))
            actions.append(TherapistItem.recent_response_minutes.set(kept))
        try:
            item.update(actions=actions, condition=TherapistItem.pk.exists() & _as_seen(therapist))
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def get_block(self, therapist_id: str, block_id: str) -> Block | None:
        try:
            return block_from_item(BlockItem.get(therapist_key(therapist_id), f"BLOCK#{block_id}"))
        except BlockItem.DoesNotExist:
            return None

    def future_blocks(self, therapist_id: str, now: datetime) -> list[Block]:
        """One Query over the therapist's block items (sk BLOCK#<id>), those that have ended filtered out by
        DynamoDB; sorted here, as block ids do not sort by time. Past blocks are read (and filtered) too, so a
        page of 1 MB holds some thousands of blocks; a larger partition is read on, page by page."""
        found = BlockItem.query(
            therapist_key(therapist_id),
            BlockItem.sk.startswith("BLOCK#"),
            filter_condition=BlockItem.end > now.astimezone(UTC),
        )
        blocks = [block_from_item(item) for item in found if isinstance(item, BlockItem)]
        return sorted(blocks, key=lambda block: (block.start, block.block_id))

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
        tx = Transaction()
        tx.put(self._block_item(block), BlockItem.pk.does_not_exist(), lambda: Conflict("Block id collision."))
        tx.take_claims(claims)
        tx.commit()

    def remove_block(self, block: Block, claims: tuple[Claim, ...]) -> None:
        tx = Transaction()
        tx.delete(self._block_item(block), BlockItem.pk.exists(), lambda: Conflict("The block was already removed."))
        tx.release_claims(claims)
        tx.commit()
