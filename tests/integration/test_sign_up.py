"""The sign-up trigger on moto's Cognito: a confirmed sign-up lands in `clients` once; a twice-delivered event
changes nothing; a password reset (the same trigger, another source) changes nothing; the event goes back to
Cognito unchanged; nothing but AdminAddUserToGroup is called, and no log line carries the email address.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from functions.sign_up import app as sign_up
from tests.support.http import LambdaContext
from tests.support.logs import captured_logs
from therapy_booking.domain.model import ROLE_GROUPS, Role

CONTEXT: Any = LambdaContext(function_name="SignUpFunction")
EMAIL = "ada.client@example.com"
PASSWORD = "Correct-Horse-42-battery"


@pytest.fixture
def pool(cognito: Any) -> dict[str, str]:
    """A pool like the template's (email as username, self sign-up), its groups, its web client."""
    pool_id = cognito.create_user_pool(
        PoolName="therapy-booking-users",
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": False},
    )["UserPool"]["Id"]
    for group in ROLE_GROUPS.values():
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="web", GenerateSecret=False)[
        "UserPoolClient"
    ]["ClientId"]
    return {"pool_id": pool_id, "client_id": client_id}


def signed_up_and_confirmed(cognito: Any, pool: dict[str, str]) -> str:
    """A person signs up with their email and confirms it (the code step, done by an admin on moto); their
    username (with email as the username attribute, the id Cognito gives them)."""
    user_sub = cognito.sign_up(
        ClientId=pool["client_id"],
        Username=EMAIL,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": EMAIL}],
    )["UserSub"]
    cognito.admin_confirm_sign_up(UserPoolId=pool["pool_id"], Username=EMAIL)
    user: dict[str, Any] = cognito.admin_get_user(UserPoolId=pool["pool_id"], Username=EMAIL)
    assert user["UserStatus"] == "CONFIRMED"
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["sub"] == user_sub
    username: str = user["Username"]
    return username


def post_confirmation_event(pool: dict[str, str], username: str, source: str) -> dict[str, Any]:
    """The event Cognito sends a PostConfirmation trigger (version 1)."""
    return {
        "version": "1",
        "region": os.environ["AWS_REGION"],
        "userPoolId": pool["pool_id"],
        "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": pool["client_id"]},
        "triggerSource": source,
        "request": {
            "userAttributes": {
                "sub": username,
                "email_verified": "true",
                "cognito:user_status": "CONFIRMED",
                "cognito:email_alias": EMAIL,
                "email": EMAIL,
            }
        },
        "response": {},
    }


def groups_of(cognito: Any, pool: dict[str, str], username: str) -> list[str]:
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool["pool_id"], Username=username)["Groups"]
    return sorted(group["GroupName"] for group in groups)


def members_of(cognito: Any, pool: dict[str, str], group: str) -> list[str]:
    users = cognito.list_users_in_group(UserPoolId=pool["pool_id"], GroupName=group)["Users"]
    return [user["Username"] for user in users]


@pytest.fixture
def aws_operations() -> Iterator[list[str]]:
    """The AWS operations the code under test calls (through botocore), in order."""
    calls: list[str] = []
    original: Callable[..., Any] = BaseClient._make_api_call  # type: ignore[attr-defined]

    def recording(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls.append(operation)
        return original(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", recording):
        yield calls


def invoke(event: dict[str, Any]) -> Any:
    return sign_up.lambda_handler(event, CONTEXT)


def test_a_confirmed_sign_up_lands_in_clients_and_the_event_goes_back_unchanged(
    cognito: Any, pool: dict[str, str]
) -> None:
    # Given a person who signed up and confirmed their email address, in no group yet
    username = signed_up_and_confirmed(cognito, pool)
    assert groups_of(cognito, pool, username) == []
    event = post_confirmation_event(pool, username, "PostConfirmation_ConfirmSignUp")
    sent = copy.deepcopy(event)
    # When Cognito invokes the trigger
    answer = invoke(event)
    # Then they are a client, and only a client
    assert groups_of(cognito, pool, username) == [ROLE_GROUPS[Role.CLIENT]] == ["clients"]
    # And Cognito gets its event back as it sent it
    assert answer == sent


def test_a_twice_delivered_confirmation_leaves_one_membership_and_no_error(cognito: Any, pool: dict[str, str]) -> None:
    # Given a confirmed sign-up already handled once
    username = signed_up_and_confirmed(cognito, pool)
    event = post_confirmation_event(pool, username, "PostConfirmation_ConfirmSignUp")
    invoke(copy.deepcopy(event))
    # When the same event arrives again (a retry, a duplicate)
    answer = invoke(copy.deepcopy(event))
    # Then nothing changed: one membership of `clients`, no other group, and the event back without an error
    assert groups_of(cognito, pool, username) == ["clients"]
    assert members_of(cognito, pool, "clients") == [username]
    assert answer == event


def test_a_password_reset_confirmation_changes_nothing(
    cognito: Any, pool: dict[str, str], aws_operations: list[str]
) -> None:
    # Given a therapist the team created (in `therapists` only) who resets their password
    cognito.admin_create_user(
        UserPoolId=pool["pool_id"],
        Username="ben.therapist@example.com",
        UserAttributes=[{"Name": "email", "Value": "ben.therapist@example.com"}],
        MessageAction="SUPPRESS",
    )
    user = cognito.admin_get_user(UserPoolId=pool["pool_id"], Username="ben.therapist@example.com")
    username = user["Username"]
    cognito.admin_add_user_to_group(UserPoolId=pool["pool_id"], Username=username, GroupName="therapists")
    event = post_confirmation_event(pool, username, "PostConfirmation_ConfirmForgotPassword")
    aws_operations.clear()
    # When Cognito invokes the trigger for the confirmed reset
    answer = invoke(copy.deepcopy(event))
    # Then no AWS call was made, they are still only a therapist, and the event goes back unchanged
    assert aws_operations == []
    assert groups_of(cognito, pool, username) == ["therapists"]
    assert answer == event


def test_the_trigger_calls_nothing_but_add_user_to_group(
    cognito: Any, pool: dict[str, str], aws_operations: list[str]
) -> None:
    # Given a confirmed sign-up
    username = signed_up_and_confirmed(cognito, pool)
    aws_operations.clear()
    # When the trigger handles it
    invoke(post_confirmation_event(pool, username, "PostConfirmation_ConfirmSignUp"))
    # Then its only AWS call is the one action its policy allows (tests/test_template.py checks the policy)
    assert aws_operations == ["AdminAddUserToGroup"]


def test_no_log_line_carries_the_email_address(cognito: Any, pool: dict[str, str]) -> None:
    # Given a confirmed sign-up
    username = signed_up_and_confirmed(cognito, pool)
    # When the trigger handles it, and then a password reset, with its logs formatted as CloudWatch gets them
    with captured_logs(sign_up.logger) as stream:
        invoke(post_confirmation_event(pool, username, "PostConfirmation_ConfirmSignUp"))
        invoke(post_confirmation_event(pool, username, "PostConfirmation_ConfirmForgotPassword"))
    # Then it logged JSON lines naming the user by their sub, and never their email address
    output = stream.getvalue()
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert [line["message"] for line in lines] == ["signed up", "not a sign-up: nothing to do"]
    assert all(line["sub"] == username for line in lines)
    assert "example.com" not in output


def test_an_error_from_cognito_fails_the_trigger(cognito: Any, pool: dict[str, str]) -> None:
    # Given a confirmed sign-up whose pool lost its `clients` group (a broken deployment)
    username = signed_up_and_confirmed(cognito, pool)
    cognito.delete_group(UserPoolId=pool["pool_id"], GroupName="clients")
    # When the trigger runs / Then it fails (Cognito reports the error; the team adds the user, docs/sign-up.md)
    with pytest.raises(ClientError) as raised:
        invoke(post_confirmation_event(pool, username, "PostConfirmation_ConfirmSignUp"))
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
