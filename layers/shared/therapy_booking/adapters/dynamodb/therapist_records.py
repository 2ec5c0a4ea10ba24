"""A therapist record's stream image, read back as the domain's `Therapist`: what the standing projection
(functions/therapist_standing) receives for every change of a therapist's item."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from therapy_booking.adapters.dynamodb.codecs import PROFILE, therapist_from_item
from therapy_booking.adapters.dynamodb.models import TherapistItem
from therapy_booking.domain.model import Therapist
from therapy_booking.domain.ports import TherapistRecordChange


def _therapist(image: Any) -> tuple[Therapist, Decimal | None] | None:
    if not isinstance(image, dict) or image.get("entity", {}).get("S") != "therapist":
        return None
    if image.get("sk", {}).get("S") != PROFILE:
        return None
    item = TherapistItem.from_raw_data(image)
    score = None if item.rank_score is None else Decimal(str(item.rank_score))
    return therapist_from_item(item), score


class TherapistRecords:
    def change_of(self, stream_record: Mapping[str, Any]) -> TherapistRecordChange | None:
        """The change a stream record's `dynamodb` part tells (None for anything but a therapist's record, or
        its removal). Raises for an image that does not read as a therapist item."""
        after = _therapist(stream_record.get("NewImage"))
        if after is None:
            return None
        before = _therapist(stream_record.get("OldImage"))
        therapist, stored_score = after
        return TherapistRecordChange(
            before=None if before is None else before[0],
            after=therapist,
            stored_score=stored_score,
            change_id=str(stream_record.get("SequenceNumber", "")),
        )
