"""The deployed tier's test users (tests/support/cognito_users.py), on moto's Cognito: so that `make test-deployed`
gets working tokens the day it runs against a real pool."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.support.cognito_users import GROUPS, CognitoTestUsers
from therapy_booking.adapters.aws_clients import cognito_client


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def test_users_of_each_role_sign_in_with_their_group_and_are_all_removed(aws: Any) -> None:
    # Given a pool as the template makes it: email as the user name, the three groups, an app client that allows
    # the admin password flow
    cognito = cognito_client()
    pool = cognito.create_user_pool(PoolName="deployed-test", UsernameAttributes=["email"])["UserPool"]["Id"]
    for group in GROUPS.values():
        cognito.create_group(UserPoolId=pool, GroupName=group)
    app = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    users = CognitoTestUsers(cognito, pool, app)
    # When a user of each role is made
    made = {role: users.user(role) for role in GROUPS}
    # Then each has an id token whose sub is theirs and whose groups are their role's, and a simulator address
    for role, user in made.items():
        claims = claims_of(user.token)
        assert claims["sub"] == user.sub
        assert claims["cognito:groups"] == [GROUPS[role]]
        assert user.email.endswith("@simulator.amazonses.com")
    # When the run ends / Then every one is gone (one removed already, by an erasure, is fine)
    cognito.admin_delete_user(UserPoolId=pool, Username=made["client"].username)
    users.remove_all()
    assert cognito.list_users(UserPoolId=pool)["Users"] == []
