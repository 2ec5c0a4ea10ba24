"""Bookings under an `Idempotency-Key`, on Powertools idempotency in the platform's one table.

A booking runs under an idempotency record keyed by (client, key), stored in the client's own
partition, `pk = IDEMPOTENCY#booking#<client id>` (so erasing the client finds and deletes them:
`forget_client`), with a `ttl` a day ahead (the settings' `idempotency_ttl_seconds`).
The record keeps the booking's answer, as the caller's response model (Powertools'
`PydanticSerializer`: JSON on the way in, the model validated on the way out). So:

- the same key from the same client returns the first answer, and books nothing;
- the same key with a different request (its hash is kept with the record) is `ValidationFailed`;
- the same key while the first booking is still running is `Conflict` (retry shortly);
- a booking that raised leaves nothing behind (Powertools deletes its record), so the client may
  correct the request and send it again with the same key.

The record's `sk` is `<function name>.<NAME>#<hash of [client, key]>`: `NAME` is the name Powertools
derived from the function this ran in when it lived in the booking handler (module `app` on
Lambda), kept as it was so that records written before stay valid (a repeat within their day
still gets the first answer). Records written before the partition per client (`pk =
IDEMPOTENCY#booking`) are no longer read and expire within their day. Powertools and boto3 are
imported on the first keyed request.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from therapy_booking.adapters import aws_clients
from therapy_booking.adapters.idempotency import BOOKING_PARTITION, booking_partition, persistence_layer
from therapy_booking.domain.errors import Conflict, ValidationFailed

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from pydantic import BaseModel

NAME = "app._idempotent_book.<locals>.book_once"
REUSED_KEY = "This Idempotency-Key was already used for a different booking; use a new key."
IN_PROGRESS = "A booking with this Idempotency-Key is still in progress; retry shortly."


def _book_once(booking: dict[str, Any], book: Callable[[], Any]) -> Any:
    """The function under idempotency: `booking` (client, key, request) is what is hashed; `book` is only called."""
    return book()


def key_prefix() -> str:
    """What precedes the hash in the record's `sk`, as Powertools made it for the handler's function."""
    return f"{os.environ.get('AWS_LAMBDA_FUNCTION_NAME', 'test-func')}.{NAME}"


class PowertoolsKeyedBookings:
    def __init__(self, table_name: str, ttl_seconds: int) -> None:
        self._table_name = table_name
        self._ttl_seconds = ttl_seconds
        self._config: IdempotencyConfig | None = None

    def book[Answer: BaseModel](
        self,
        client_id: str,
        key: str,
        request: BaseModel,
        book: Callable[[], Answer],
        answer: type[Answer],
        invocation: LambdaContext | None = None,
    ) -> Answer:
        """`book()`'s answer, or the answer of the first booking under (client_id, key) with this request.

        `invocation`: the Lambda context, so that a record left in progress expires with it.
        """
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyValidationError,
        )

        run, config = self._build(client_id, answer)
        if invocation is not None:
            config.register_lambda_context(invocation)
        booking = {"client_id": client_id, "key": key, "request": request.model_dump(mode="json")}
        try:
            result: Answer = run(booking=booking, book=book)
        except IdempotencyValidationError:
            raise ValidationFailed(REUSED_KEY) from None
        except IdempotencyAlreadyInProgressError:
            raise Conflict(IN_PROGRESS) from None
        return result

    def forget_client(self, client_id: str) -> None:
        """Delete every record of the client's keyed bookings (erasure): one Query of their partition, page by
        page, and a DeleteItem each (one already gone is fine). Records written before each client had a partition
        of their own are in the shared one until DynamoDB's TTL removes them (which may take days after their
        day): those that hold the client's id in their stored answer are found by a filtered Query and deleted too."""
        client = aws_clients.dynamodb_client()
        queries = (
            {"ExpressionAttributeValues": {":pk": {"S": booking_partition(client_id)}}},
            {
                "ExpressionAttributeValues": {":pk": {"S": BOOKING_PARTITION}, ":client": {"S": client_id}},
                "FilterExpression": "contains(#data, :client)",
                "ExpressionAttributeNames": {"#data": "data"},
            },
        )
        for query in queries:
            pages = client.get_paginator("query").paginate(
                TableName=self._table_name, KeyConditionExpression="pk = :pk", ProjectionExpression="pk, sk", **query
            )
            for page in pages:
                for item in page.get("Items", []):
                    client.delete_item(TableName=self._table_name, Key={"pk": item["pk"], "sk": item["sk"]})

    def _build(self, client_id: str, answer: type[BaseModel]) -> tuple[Callable[..., Any], IdempotencyConfig]:
        """The idempotent function for this client's answers of this model (the store is the client's partition)."""
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
        from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

        if self._config is None:
            self._config = IdempotencyConfig(
                event_key_jmespath="[client_id, key]",
                payload_validation_jmespath="request",
                expires_after_seconds=self._ttl_seconds,
            )
        run = idempotent_function(
            _book_once,
            data_keyword_argument="booking",
            persistence_store=persistence_layer(self._table_name, booking_partition(client_id)),
            config=self._config,
            output_serializer=PydanticSerializer(answer),
            key_prefix=key_prefix(),
        )
        return run, self._config
