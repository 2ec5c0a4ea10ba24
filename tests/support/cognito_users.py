"""Test users in a real user pool, for the tier that runs against a deployed stack (`make test-deployed`).

Each user is created by the run (AdminCreateUser with a random permanent password, in the group of its role,
its email an SES mailbox-simulator address so that the product's emails are accepted and go nowhere), signed in
with ADMIN_USER_PASSWORD_AUTH (the app client allows it), and deleted when the run ends. The id token is what a
web front end sends; the user's id in the product is its `sub`.
"""

from __future__ import annotations

import secrets
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

GROUPS = {"therapist": "therapists", "client": "clients", "admin": "admins"}
SIMULATOR = "success+{label}@simulator.amazonses.com"  # SES's mailbox simulator: accepted, delivered nowhere


@dataclass(frozen=True)
class TestUser:
    username: str
    sub: str
    role: str
    email: str
    token: str


@dataclass
class CognitoTestUsers:
    """Creates signed-in users of each role in `user_pool_id`, and deletes every one of them on `remove_all`."""

    cognito: Any  # a boto3 cognito-idp client
    user_pool_id: str
    client_id: str
    created: list[str] = field(default_factory=list)

    def user(self, role: str, label: str = "") -> TestUser:
        tag = f"{label or role}-{uuid.uuid4().hex[:10]}"
        email = SIMULATOR.format(label=tag)
        password = f"Aa1-{secrets.token_urlsafe(24)}"
        created = self.cognito.admin_create_user(
            UserPoolId=self.user_pool_id,
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            MessageAction="SUPPRESS",
        )
        username = created["User"]["Username"]
        self.created.append(username)
        self.cognito.admin_set_user_password(
            UserPoolId=self.user_pool_id, Username=username, Password=password, Permanent=True
        )
        self.cognito.admin_add_user_to_group(UserPoolId=self.user_pool_id, Username=username, GroupName=GROUPS[role])
        attributes = {a["Name"]: a["Value"] for a in created["User"]["Attributes"]}
        signed_in = self.cognito.admin_initiate_auth(
            UserPoolId=self.user_pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        token = signed_in["AuthenticationResult"]["IdToken"]
        return TestUser(username, attributes["sub"], role, email, token)

    def remove_all(self) -> None:
        for username in self.created:
            with suppress(self.cognito.exceptions.UserNotFoundException):  # already gone (an erased client)
                self.cognito.admin_delete_user(UserPoolId=self.user_pool_id, Username=username)
        self.created.clear()
