"""The `DeliveryLedger` port on Powertools idempotency, in the platform's one table.

Each send runs under an idempotency record keyed by its delivery key (occasion, recipient,
channel), stored as `pk = IDEMPOTENCY#notifications`, `sk = notifications#<hash of the key>`,
with a `ttl` (DynamoDB's TTL attribute) a week ahead, longer than a stream record can be retried.
So:

- a key whose send completed is not sent again: `send` is not called;
- a send that raised leaves nothing behind (Powertools deletes its record), so a retry sends;
- a key whose send is still in progress (a concurrent duplicate) raises
  `IdempotencyAlreadyInProgressError`: the notification service counts it as failed and the
  record is retried later, when the first send has completed (then it is skipped) or its
  invocation has ended without completing it (then it is sent).

A record in progress expires with the invocation that made it, which is why handlers call
`container.delivery_ledger.for_invocation(context)` first: Powertools reads the remaining time of
the registered Lambda context. The key prefix is fixed, not the function's name, so deliveries
are remembered across deployments and shared by the functions that notify.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from therapy_booking.adapters.idempotency import NOTIFICATIONS_PARTITION, persistence_layer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

KEY_PREFIX = "notifications"
RETENTION_SECONDS = 7 * 24 * 3600


def _send_once(key: str, send: Callable[[], None]) -> None:
    """The function under idempotency: `key` is what is hashed; `send` is only called."""
    send()


class PowertoolsDeliveryLedger:
    def __init__(self, table_name: str, retention_seconds: int = RETENTION_SECONDS) -> None:
        self._table_name = table_name
        self._retention_seconds = retention_seconds
        self._built: tuple[Callable[..., Any], IdempotencyConfig] | None = None
        self._invocation: LambdaContext | None = None

    def for_invocation(self, context: LambdaContext) -> None:
        """Tie the records this ledger puts in progress to the invocation under way."""
        self._invocation = context

    def once(self, key: str, send: Callable[[], None]) -> None:
        """Run `send` unless a send under `key` has completed; raise if one is in progress."""
        run, config = self._build()
        if self._invocation is not None:
            config.register_lambda_context(self._invocation)
        run(key=key, send=send)

    def _build(self) -> tuple[Callable[..., Any], IdempotencyConfig]:
        """The idempotent function, built on first use (boto3 and the store stay out of the cold start)."""
        if self._built is None:
            from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

            store = persistence_layer(self._table_name, NOTIFICATIONS_PARTITION)
            config = IdempotencyConfig(expires_after_seconds=self._retention_seconds, raise_on_no_idempotency_key=True)
            run = idempotent_function(
                _send_once, data_keyword_argument="key", persistence_store=store, config=config, key_prefix=KEY_PREFIX
            )
            self._built = (run, config)
        return self._built
