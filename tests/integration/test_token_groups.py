"""The token trigger on moto's Cognito: a therapist or admin without TOTP gets a token without their group; with
TOTP set up (associated, verified and enabled, as the hosted UI or the SDK does it) their groups are untouched; a
client's token is untouched without any AWS call; the only call is AdminGetUser, and logs carry the sub alone.
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

from functions.token_groups import app as token_groups
from tests.support.http import LambdaContext
from tests.support.logs import captured_logs
from therapy_booking.adapters.cognito_users import CognitoUserDirectory
from therapy_booking.domain.model import ROLE_GROUPS

CONTEXT: Any = LambdaContext(function_name="TokenGroupsFunction")
PASSWORD = "Correct-Horse-42-battery"


@pytest.fixture
def pool(cognito: Any) -> dict[str, str]:
    """A pool like the template's (email as username, TOTP optional), its groups, an app client."""
    pool_id = cognito.create_user_pool(
        PoolName="therapy-booking-users",
        UsernameAttributes=["email"],
        MfaConfiguration="OPTIONAL",
    )["UserPool"]["Id"]
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="OPTIONAL"
    )
    for group in ROLE_GROUPS.values():
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    return {"pool_id": pool_id, "client_id": client_id}


def created(cognito: Any, pool: dict[str, str], email: str, *groups: str) -> str:
    """A user the team created, with a permanent password, in `groups`; their username (Cognito's id)."""
    user = cognito.admin_create_user(
        UserPoolId=pool["pool_id"],
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )["User"]
    cognito.admin_set_user_password(UserPoolId=pool["pool_id"], Username=email, Password=PASSWORD, Permanent=True)
    for group in groups:
        cognito.admin_add_user_to_group(UserPoolId=pool["pool_id"], Username=user["Username"], GroupName=group)
    username: str = user["Username"]
    return username


def set_up_totp(cognito: Any, pool: dict[str, str], username: str) -> None:
    """What the hosted UI or the SDK does for a signed-in user: associate an authenticator app, verify its first
    code, and enable TOTP as their MFA (moto accepts any code)."""
    signed_in = cognito.admin_initiate_auth(
        UserPoolId=pool["pool_id"],
        ClientId=pool["client_id"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    access_token = signed_in["AuthenticationResult"]["AccessToken"]
    cognito.associate_software_token(AccessToken=access_token)
    assert cognito.verify_software_token(AccessToken=access_token, UserCode="123456")["Status"] == "SUCCESS"
    cognito.set_user_mfa_preference(
        AccessToken=access_token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )


def token_event(pool: dict[str, str], username: str, *groups: str) -> dict[str, Any]:
    """The event Cognito sends a Pre Token Generation trigger (version 1) at a sign-in."""
    return {
        "version": "1",
        "region": os.environ["AWS_REGION"],
        "userPoolId": pool["pool_id"],
        "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": pool["client_id"]},
        "triggerSource": "TokenGeneration_Authentication",
        "request": {
            "userAttributes": {
                "sub": username,
                "email_verified": "true",
                "cognito:user_status": "CONFIRMED",
                "email": "someone@example.com",
            },
            "groupConfiguration": {"groupsToOverride": list(groups), "iamRolesToOverride": [], "preferredRole": None},
        },
        "response": {"claimsOverrideDetails": None},
    }


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
    return token_groups.lambda_handler(event, CONTEXT)


def groups_in_token(answer: dict[str, Any], event: dict[str, Any]) -> list[str]:
    """The groups the token will carry: the answer's override, else the user's groups as Cognito sent them."""
    override = (answer["response"].get("claimsOverrideDetails") or {}).get("groupOverrideDetails")
    groups: list[str] = (override or event["request"]["groupConfiguration"])["groupsToOverride"]
    return groups


@pytest.mark.parametrize("group", ["therapists", "admins"])
def test_a_therapist_or_admin_without_totp_gets_a_token_without_their_group(
    cognito: Any, pool: dict[str, str], aws_operations: list[str], group: str
) -> None:
    # Given a therapist (or admin) the team created, who has not set up an authenticator app
    username = created(cognito, pool, f"ben.{group}@example.com", group)
    event = token_event(pool, username, group)
    aws_operations.clear()
    # When Cognito asks the trigger before issuing their tokens
    answer = invoke(copy.deepcopy(event))
    # Then the token carries no group (every route needing their role answers 403), the rest as Cognito sent it
    assert answer["response"]["claimsOverrideDetails"] == {
        "groupOverrideDetails": {"groupsToOverride": [], "iamRolesToOverride": []}
    }
    assert groups_in_token(answer, event) == []
    assert {key: value for key, value in answer.items() if key != "response"} == {
        key: value for key, value in event.items() if key != "response"
    }
    # And the trigger asked the pool one thing: the user (its policy's one action, tests/test_template.py)
    assert aws_operations == ["AdminGetUser"]


def test_a_therapist_who_is_also_a_client_keeps_only_clients_without_totp(cognito: Any, pool: dict[str, str]) -> None:
    # Given someone in both `clients` and `therapists`, without TOTP
    username = created(cognito, pool, "cleo@example.com", "clients", "therapists")
    event = token_event(pool, username, "clients", "therapists")
    # When their token is issued / Then it carries `clients` alone
    assert groups_in_token(invoke(copy.deepcopy(event)), event) == ["clients"]


@pytest.mark.parametrize("group", ["therapists", "admins"])
def test_a_therapist_or_admin_with_totp_keeps_their_groups(cognito: Any, pool: dict[str, str], group: str) -> None:
    # Given a therapist (or admin) who set up an authenticator app
    username = created(cognito, pool, f"dana.{group}@example.com", group)
    set_up_totp(cognito, pool, username)
    event = token_event(pool, username, group)
    # When Cognito asks the trigger before issuing their tokens
    answer = invoke(copy.deepcopy(event))
    # Then the event goes back as it came: their group is in the token
    assert answer == event
    assert groups_in_token(answer, event) == [group]


def test_a_clients_token_is_untouched_without_any_aws_call(
    cognito: Any, pool: dict[str, str], aws_operations: list[str]
) -> None:
    # Given a client without TOTP (optional for clients), and someone in no group at all
    client = created(cognito, pool, "ada.client@example.com", "clients")
    nobody = created(cognito, pool, "eve@example.com")
    aws_operations.clear()
    for username, groups in ((client, ["clients"]), (nobody, [])):
        event = token_event(pool, username, *groups)
        # When their token is issued
        answer = invoke(copy.deepcopy(event))
        # Then the event goes back unchanged
        assert answer == event
    # And the trigger called nothing
    assert aws_operations == []


def test_the_adapter_reads_totp_as_moto_records_each_step(cognito: Any, pool: dict[str, str]) -> None:
    # Given a therapist, and the pool's directory
    username = created(cognito, pool, "finn@example.com", "therapists")
    directory = CognitoUserDirectory(pool["pool_id"])
    # Then before TOTP is set up, no
    assert directory.has_totp(username) is False
    # And an authenticator app associated and verified but not enabled does not count
    signed_in = cognito.admin_initiate_auth(
        UserPoolId=pool["pool_id"],
        ClientId=pool["client_id"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    access_token = signed_in["AuthenticationResult"]["AccessToken"]
    cognito.associate_software_token(AccessToken=access_token)
    cognito.verify_software_token(AccessToken=access_token, UserCode="123456")
    assert directory.has_totp(username) is False
    # And once enabled, yes; and disabled again, no
    cognito.admin_set_user_mfa_preference(
        UserPoolId=pool["pool_id"], Username=username, SoftwareTokenMfaSettings={"Enabled": True}
    )
    assert directory.has_totp(username) is True
    cognito.admin_set_user_mfa_preference(
        UserPoolId=pool["pool_id"], Username=username, SoftwareTokenMfaSettings={"Enabled": False}
    )
    assert directory.has_totp(username) is False


def test_no_log_line_carries_the_email_address(cognito: Any, pool: dict[str, str]) -> None:
    # Given a therapist without TOTP
    username = created(cognito, pool, "gus.therapist@example.com", "therapists")
    # When their token is issued, with the trigger's logs formatted as CloudWatch gets them
    with captured_logs(token_groups.logger) as stream:
        invoke(token_event(pool, username, "therapists"))
    # Then it logged one JSON line naming the user by their sub and the withheld group, never an email address
    output = stream.getvalue()
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert [(line["message"], line["sub"], line["withheld"]) for line in lines] == [
        ("groups withheld: no TOTP set up", username, ["therapists"])
    ]
    assert "example.com" not in output


def test_an_error_from_cognito_fails_the_trigger(cognito: Any, pool: dict[str, str]) -> None:
    # Given a token event for a therapist the pool does not know (deleted meanwhile)
    event = token_event(pool, "00000000-0000-0000-0000-000000000000", "therapists")
    # When the trigger runs / Then it fails: Cognito refuses the sign-in rather than issue the role unchecked
    with pytest.raises(ClientError) as raised:
        invoke(event)
    assert raised.value.response["Error"]["Code"] == "UserNotFoundException"
