"""The tier that runs against a deployed stack (`make test-deployed`, docs/deploying.md): skipped unless
`DEPLOYED_API_URL` names one. It needs the stack's user pool and app client (`DEPLOYED_USER_POOL_ID`,
`DEPLOYED_USER_POOL_CLIENT_ID`: the stack's outputs) and AWS credentials allowed to manage that pool's users."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.local_stack.running_stack import Http
from tests.support.cognito_users import CognitoTestUsers

pytestmark = pytest.mark.deployed


@pytest.fixture(scope="session")
def deployed() -> Http:
    url = os.environ.get("DEPLOYED_API_URL", "").rstrip("/")
    if not url:
        pytest.skip("no deployed stack: set DEPLOYED_API_URL (see docs/deploying.md, 'Testing a deployment')")
    return Http(url)


@pytest.fixture(scope="session")
def users(deployed: Http) -> Iterator[CognitoTestUsers]:
    import boto3  # the tests' own AWS access, outside the product's code

    pool, client = os.environ["DEPLOYED_USER_POOL_ID"], os.environ["DEPLOYED_USER_POOL_CLIENT_ID"]
    created = CognitoTestUsers(boto3.client("cognito-idp"), pool, client)
    try:
        yield created
    finally:
        created.remove_all()
