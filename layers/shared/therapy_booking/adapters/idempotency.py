"""The one place Powertools' idempotency store is built: records in the platform's one table, one
partition per kind of record (`IDEMPOTENCY#notifications`) or, for keyed bookings, per client
(`IDEMPOTENCY#booking#<client id>`, so that erasing a client finds them), the record's hash as `sk`,
and `ttl` (DynamoDB's TTL attribute) as its expiry.

Used by the keyed bookings (`adapters.keyed_bookings`) and the notification ledger
(`adapters.delivery_ledger`). Powertools and boto3 are imported when a store is first built, not
at import, so they stay out of the functions' cold start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from therapy_booking.adapters import aws_clients

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

BOOKING_PARTITION = "IDEMPOTENCY#booking"  # each client's partition is under it (records in it alone are older)
NOTIFICATIONS_PARTITION = "IDEMPOTENCY#notifications"


def booking_partition(client_id: str) -> str:
    """The partition of one client's keyed bookings."""
    return f"{BOOKING_PARTITION}#{client_id}"


def persistence_layer(table_name: str, partition: str) -> DynamoDBPersistenceLayer:
    """Powertools' DynamoDB store for the records of one partition of the table, on the shared client."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(
        table_name=table_name,
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value=partition,
        expiry_attr="ttl",
        boto3_client=aws_clients.dynamodb_client(),
    )
