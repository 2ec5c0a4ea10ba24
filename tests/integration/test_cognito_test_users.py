"""The deployed target's test users (tests/support/cognito_users.py), on moto's Cognito: so that `make test-deployed`
gets working tokens the day it runs against a real pool."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.support.cognito_users import GROUPS, CognitoTestUsers
from therapy_booking.adapters.aws_clients import cognito_client


class FakeTime:
    """A clock that only moves when slept on, from the middle of a 30-second step."""

    def __init__(self) -> None:
        self.current = 1_700_000_010.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += seconds


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def user_pool(cognito: Any) -> tuple[str, str]:
    """A pool as the template makes it: email as the user name, the three groups, an app client that allows the
    admin password flow."""
    pool = cognito.create_user_pool(PoolName="deployed-test", UsernameAttributes=["email"])["UserPool"]["Id"]
    for group in GROUPS.values():
        cognito.create_group(UserPoolId=pool, GroupName=group)
    app = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return pool, app


def test_users_of_each_role_sign_in_with_their_group_and_are_all_removed(aws: Any) -> None:
    # Given a pool as the template makes it: email as the user name, the three groups, an app client that allows
    # the admin password flow
    cognito = cognito_client()
    pool, app = user_pool(cognito)
    clock = FakeTime()
    users = CognitoTestUsers(cognito, pool, app, now=clock.now, sleep=clock.sleep)
    # When a user of each role is made
    made = {role: users.user(role) for role in GROUPS}
    # Then each has an id token whose sub is theirs and whose groups are their role's, and a simulator address
    for role, user in made.items():
        claims = claims_of(user.token)
        assert claims["sub"] == user.sub
        assert claims["cognito:groups"] == [GROUPS[role]]
        assert user.email.endswith("@simulator.amazonses.com")
    # And the therapist and the admin signed in with TOTP set up (their role needs it), each answering the challenge
    # with a code of a later step than the one that verified their authenticator; the client without
    mfa = {
        role: cognito.admin_get_user(UserPoolId=pool, Username=user.username)["UserMFASettingList"]
        for role, user in made.items()
    }
    assert mfa == {"therapist": ["SOFTWARE_TOKEN_MFA"], "client": [], "admin": ["SOFTWARE_TOKEN_MFA"]}
    assert len(clock.slept) == 2
    # When the run ends / Then every one is gone (one removed already, by an erasure, is fine)
    cognito.admin_delete_user(UserPoolId=pool, Username=made["client"].username)
    users.remove_all()
    assert cognito.list_users(UserPoolId=pool)["Users"] == []
