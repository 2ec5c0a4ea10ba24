"""Calendar feeds on DynamoDB: the therapist's generation (THERAPIST#id / CALENDAR_FEED) and one lookup item per
live token (CALENDAR_FEED#<token hash> / FEED). A token's address works exactly while its lookup item exists."""

from __future__ import annotations

from therapy_booking.adapters.dynamodb.models import (
    CalendarFeedItem,
    CalendarFeedLookupItem,
    calendar_feed_key,
    therapist_key,
)
from therapy_booking.adapters.dynamodb.transaction import Transaction
from therapy_booking.domain.calendar_feed import FeedOwner
from therapy_booking.domain.errors import Conflict, DomainError

FEED = "CALENDAR_FEED"  # the generation's sort key in the therapist's partition
LOOKUP = "FEED"  # the lookup item's sort key


def _changed() -> DomainError:
    return Conflict("The calendar feed was changed by another request; please try again.")


def _lookup(token_hash: str, therapist_id: str, generation: int) -> CalendarFeedLookupItem:
    return CalendarFeedLookupItem(
        calendar_feed_key(token_hash), LOOKUP, therapist_id=therapist_id, generation=generation
    )


class DynamoCalendarFeeds:
    def generation(self, therapist_id: str) -> int | None:
        try:
            item = CalendarFeedItem.get(therapist_key(therapist_id), FEED, consistent_read=True)
        except CalendarFeedItem.DoesNotExist:
            return None
        return int(item.generation)

    def create(self, therapist_id: str, token_hash: str) -> None:
        tx = Transaction()
        feed = CalendarFeedItem(therapist_key(therapist_id), FEED, therapist_id=therapist_id, generation=1)
        tx.put(feed, CalendarFeedItem.pk.does_not_exist(), _changed)
        tx.put(_lookup(token_hash, therapist_id, 1), CalendarFeedLookupItem.pk.does_not_exist(), _changed)
        tx.commit()

    def rotate(self, therapist_id: str, generation: int, old_hash: str, new_hash: str) -> None:
        tx = Transaction()
        tx.delete(_lookup(old_hash, therapist_id, generation), CalendarFeedLookupItem.pk.exists(), _changed)
        following = generation + 1
        tx.put(_lookup(new_hash, therapist_id, following), CalendarFeedLookupItem.pk.does_not_exist(), _changed)
        tx.update(
            CalendarFeedItem(therapist_key(therapist_id), FEED),
            [CalendarFeedItem.generation.set(following)],
            _changed,
            CalendarFeedItem.generation == generation,
        )
        tx.commit()

    def owner(self, token_hash: str) -> FeedOwner | None:
        try:
            item = CalendarFeedLookupItem.get(calendar_feed_key(token_hash), LOOKUP, consistent_read=True)
        except CalendarFeedLookupItem.DoesNotExist:
            return None
        return FeedOwner(item.therapist_id, int(item.generation))
