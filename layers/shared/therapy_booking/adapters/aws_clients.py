"""The one place that creates boto3 clients, lazily and once per process.

PynamoDB builds its own botocore client for the table (see `dynamodb_items`);
everything else (idempotency store, Scheduler, SES, SNS) comes from here.
boto3 is imported on first use, not at import time, to keep cold starts short.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


@cache
def _session() -> Any:
    import boto3

    return boto3.session.Session()


@cache
def dynamodb_client() -> DynamoDBClient:
    from botocore.config import Config

    client: DynamoDBClient = _session().client(
        "dynamodb", config=Config(retries={"mode": "standard", "max_attempts": 3})
    )
    return client


@cache
def scheduler_client() -> Any:
    """EventBridge Scheduler. Typed loosely (its stubs are not a dependency); the adapter states what it uses."""
    from botocore.config import Config

    return _session().client("scheduler", config=Config(retries={"mode": "standard", "max_attempts": 3}))


def reset() -> None:
    """Forget every client (tests and the local stack rebind endpoints)."""
    _session.cache_clear()
    dynamodb_client.cache_clear()
    scheduler_client.cache_clear()
