"""The one place that creates boto3 clients, lazily and once per process.

PynamoDB builds its own botocore client for the table (see `dynamodb.models`);
everything else (idempotency store, Scheduler, SES, SNS, SQS, Secrets Manager, Cognito) comes from here.
boto3 is imported on first use, not at import time, to keep cold starts short.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sesv2.client import SESV2Client
    from mypy_boto3_sns.client import SNSClient


@cache
def _session() -> Any:
    import boto3

    return boto3.session.Session()


def _config() -> Config:
    """Standard retry mode, 3 attempts in all: throttling beyond that is the caller's to retry.

    Short timeouts (botocore's are 60 s): a stalled call fails its own request or record well
    within the function's timeout, instead of timing out the whole invocation.
    """
    from botocore.config import Config

    return Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)


@cache
def dynamodb_client() -> DynamoDBClient:
    client: DynamoDBClient = _session().client("dynamodb", config=_config())
    return client


@cache
def scheduler_client() -> Any:
    """EventBridge Scheduler. Typed loosely (its stubs are not a dependency); the adapter states what it uses."""
    return _session().client("scheduler", config=_config())


@cache
def ses_client() -> SESV2Client:
    """SES (API v2): the notification emails."""
    client: SESV2Client = _session().client("sesv2", config=_config())
    return client


@cache
def sns_client() -> SNSClient:
    """SNS: the notification text messages (direct publish to a phone number, never a topic)."""
    client: SNSClient = _session().client("sns", config=_config())
    return client


@cache
def sqs_client() -> Any:
    """SQS: reports of items that failed on their own (dead-letter queues). Typed loosely, like the Scheduler."""
    return _session().client("sqs", config=_config())


@cache
def secretsmanager_client() -> Any:
    """Secrets Manager: the calendar feeds' secret, read once per container. Typed loosely, like the Scheduler."""
    return _session().client("secretsmanager", config=_config())


@cache
def cognito_client() -> Any:
    """Cognito user pools: the triggers (group membership, whether a user has TOTP) and erasure. Typed loosely.

    Tighter than `_config`: Cognito waits 5 seconds for a trigger, so two attempts with short timeouts fail
    within that budget (and Cognito itself retries the trigger) rather than outlive it.
    """
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=1, read_timeout=2)
    return _session().client("cognito-idp", config=config)


def reset() -> None:
    """Forget every client (tests and the local stack rebind endpoints)."""
    _session.cache_clear()
    dynamodb_client.cache_clear()
    scheduler_client.cache_clear()
    ses_client.cache_clear()
    sns_client.cache_clear()
    sqs_client.cache_clear()
    secretsmanager_client.cache_clear()
    cognito_client.cache_clear()
