from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.environment import TEST_ENVIRONMENT

# Before anything imports boto3: fake credentials, a region, and moto-friendly endpoints.
os.environ.update(TEST_ENVIRONMENT)

import boto3
from moto import mock_aws

from tests.support.api import Api
from tests.support.clock import FakeClock
from tests.support.template import create_table
from therapy_booking.adapters import aws_clients
from therapy_booking.wiring import container


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def aws(clock: FakeClock) -> Iterator[Any]:
    """moto with the template's table, and the service container rebuilt on it."""
    with mock_aws():
        aws_clients.reset()
        client = aws_clients.dynamodb_client()
        create_table(client, os.environ["TABLE_NAME"])
        container.reset(clock=clock)
        _ = container.storage  # binds the PynamoDB models to the table
        yield client
    aws_clients.reset()


@pytest.fixture
def api(aws: Any) -> Api:
    return Api()


@pytest.fixture
def cognito() -> Iterator[Any]:
    """moto's Cognito, the clients from `aws_clients` rebuilt on it."""
    with mock_aws():
        aws_clients.reset()
        yield boto3.client("cognito-idp", region_name=os.environ["AWS_REGION"])
    aws_clients.reset()
