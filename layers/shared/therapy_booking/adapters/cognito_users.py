"""The `UserDirectory` and `Accounts` ports on a Cognito user pool: AdminAddUserToGroup, AdminGetUser (whether a
user has TOTP), AdminDeleteUser.

Adding a user to a group they are already in succeeds and changes nothing, so a repeated call (a retried or
duplicated trigger) is harmless by the API's own contract. For the sign-up and token triggers the pool is the one
the trigger's event names: such a function cannot be told its pool in its environment (the pool names the function as
its trigger, so the function naming the pool would be a circular dependency in the template). Erasure is told its
pool in its environment (`USER_POOL_ID`); a user already deleted is not an error there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from therapy_booking.adapters.aws_clients import cognito_client

AUTHENTICATOR_APP_MFA = "SOFTWARE_TOKEN_MFA"  # Cognito's name of MFA by authenticator app (TOTP)


class CognitoUserDirectory:
    def __init__(self, user_pool_id: str, client: Callable[[], Any] = cognito_client) -> None:
        self._user_pool_id = user_pool_id
        self._client = client

    def add_to_group(self, user_name: str, group: str) -> None:
        self._client().admin_add_user_to_group(UserPoolId=self._user_pool_id, Username=user_name, GroupName=group)

    def has_totp(self, user_name: str) -> bool:
        """TOTP is among the user's enabled MFA methods (`UserMFASettingList`): set up, verified and switched on.
        A preference alone (`PreferredMfaSetting`) is not counted: Cognito sets it only for an enabled method."""
        user = self._client().admin_get_user(UserPoolId=self._user_pool_id, Username=user_name)
        return AUTHENTICATOR_APP_MFA in (user.get("UserMFASettingList") or [])

    def delete_user(self, user_name: str) -> None:
        client = self._client()
        try:
            client.admin_delete_user(UserPoolId=self._user_pool_id, Username=user_name)
        except client.exceptions.UserNotFoundException:
            return
