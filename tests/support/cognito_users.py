"""Test users in a real user pool, for the end-to-end suites run against a deployed stack (`make test-deployed`).

Each user is created by the run (AdminCreateUser with a random permanent password, in the group of its role,
its email an SES mailbox-simulator address so that the product's emails are accepted and go nowhere), signed in
with ADMIN_USER_PASSWORD_AUTH (the app client allows it), and deleted when the run ends. The id token is what a
web front end sends; the user's id in the product is its `sub`.

A therapist or admin holds their role only with TOTP set up (the pool's token trigger, docs/sign-up.md), so such a
user first signs in, sets up an authenticator (AssociateSoftwareToken, VerifySoftwareToken with a code made from
its secret, AdminSetUserMFAPreference), then signs in again answering the SOFTWARE_TOKEN_MFA challenge. Cognito
does not take one code twice, so the challenge is answered with the code of a later 30-second step than the one
that verified the authenticator (waiting for it when needed).
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from tests.support import totp

GROUPS = {"therapist": "therapists", "client": "clients", "admin": "admins"}
SIMULATOR = "success+{label}@simulator.amazonses.com"  # SES's mailbox simulator: accepted, delivered nowhere
ROLES_WITH_TOTP = {"therapist", "admin"}  # their groups reach a token only with TOTP (domain/token_groups.py)


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
    now: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep

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
        signed_in = self._sign_in(username, password)
        if role in ROLES_WITH_TOTP:
            signed_in = self._with_totp(username, password, signed_in["AuthenticationResult"]["AccessToken"])
        token = signed_in["AuthenticationResult"]["IdToken"]
        return TestUser(username, attributes["sub"], role, email, token)

    def _sign_in(self, username: str, password: str) -> Any:
        return self.cognito.admin_initiate_auth(
            UserPoolId=self.user_pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )

    def _with_totp(self, username: str, password: str, access_token: str) -> Any:
        """Set up TOTP for a signed-in user, then sign in again with it: the answer carrying the tokens."""
        secret = self.cognito.associate_software_token(AccessToken=access_token)["SecretCode"]
        verified_step = totp.step_at(self.now())
        self.cognito.verify_software_token(
            AccessToken=access_token, UserCode=totp.code(secret, verified_step), FriendlyDeviceName="test-run"
        )
        self.cognito.admin_set_user_mfa_preference(
            UserPoolId=self.user_pool_id,
            Username=username,
            SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
        )
        challenge = self._sign_in(username, password)
        assert challenge.get("ChallengeName") == "SOFTWARE_TOKEN_MFA", challenge.get("ChallengeName")
        while totp.step_at(self.now()) <= verified_step:  # a code not used yet
            self.sleep((verified_step + 1) * totp.STEP_SECONDS - self.now() + 0.5)
        return self.cognito.admin_respond_to_auth_challenge(
            UserPoolId=self.user_pool_id,
            ClientId=self.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=challenge["Session"],
            ChallengeResponses={
                "USERNAME": username,
                "SOFTWARE_TOKEN_MFA_CODE": totp.code(secret, totp.step_at(self.now())),
            },
        )

    def remove_all(self) -> None:
        for username in self.created:
            with suppress(self.cognito.exceptions.UserNotFoundException):  # already gone (an erased client)
                self.cognito.admin_delete_user(UserPoolId=self.user_pool_id, Username=username)
        self.created.clear()
