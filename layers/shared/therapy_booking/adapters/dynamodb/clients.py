"""Client profiles on DynamoDB."""

from __future__ import annotations

from therapy_booking.adapters.dynamodb.batch import get_items
from therapy_booking.adapters.dynamodb.codecs import PROFILE, client_from_item
from therapy_booking.adapters.dynamodb.models import ClientItem, ClientTherapistItem, client_key, therapist_key
from therapy_booking.adapters.dynamodb.transaction import Transaction
from therapy_booking.domain.errors import Conflict
from therapy_booking.domain.model import ClientProfile


class DynamoClientRepository:
    def get(self, client_id: str) -> ClientProfile | None:
        try:
            return client_from_item(ClientItem.get(client_key(client_id), PROFILE))
        except ClientItem.DoesNotExist:
            return None

    def get_with_relationship(self, client_id: str, therapist_id: str) -> tuple[ClientProfile | None, bool]:
        """The profile, and whether the client has booked with the therapist (their relationship item), in one
        BatchGetItem."""
        profile_at, relationship_at = (
            (client_key(client_id), PROFILE),
            (client_key(client_id), therapist_key(therapist_id)),
        )
        found = get_items(profile_at, relationship_at)
        profile = found.get(profile_at)
        return (
            client_from_item(profile) if isinstance(profile, ClientItem) else None,
            isinstance(found.get(relationship_at), ClientTherapistItem),
        )

    def save_profile(self, profile: ClientProfile) -> ClientProfile:
        """Store the profile, unless the client's data was erased (Forbidden)."""
        tx = Transaction()
        tx.refuse_if_erased(profile.client_id)
        item = ClientItem(
            client_key(profile.client_id),
            PROFILE,
            client_id=profile.client_id,
            name=profile.name,
            email=profile.email,
            phone=profile.phone,
            sms_opt_in=profile.sms_opt_in,
            timezone=profile.timezone,
        )
        tx.put(item, None, lambda: Conflict("The profile was being changed at the same time; please try again."))
        tx.commit()
        return profile
