"""Client profiles on DynamoDB."""

from __future__ import annotations

from therapy_booking.adapters.dynamodb.codecs import PROFILE, client_from_item
from therapy_booking.adapters.dynamodb.models import ClientItem, client_key
from therapy_booking.domain.model import ClientProfile


class DynamoClientRepository:
    def get(self, client_id: str) -> ClientProfile | None:
        try:
            return client_from_item(ClientItem.get(client_key(client_id), PROFILE))
        except ClientItem.DoesNotExist:
            return None

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
