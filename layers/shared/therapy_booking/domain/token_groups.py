"""Which groups a token may carry: therapists and admins hold their role only with MFA by authenticator app.

A role is the group a person is in (`model.ROLE_GROUPS`), read from the token's `cognito:groups`. Therapists and
admins see other people's health data, so the user pool's token trigger leaves their groups out of every token
of someone who has not set up TOTP: signed in without it, a therapist or admin holds no role and every route that
needs one answers 403. Clients choose for themselves (MFA is optional in the pool); a token of someone in no
group that needs MFA is left as it is, without asking the directory anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from therapy_booking.domain.model import ROLE_GROUPS, Role
from therapy_booking.domain.ports import UserDirectory

# The one home of the rule: the roles a person holds only once they have set up TOTP.
ROLES_NEEDING_MFA: frozenset[Role] = frozenset({Role.THERAPIST, Role.ADMIN})
GROUPS_NEEDING_MFA: frozenset[str] = frozenset(ROLE_GROUPS[role] for role in ROLES_NEEDING_MFA)


@dataclass(frozen=True)
class TokenGroups:
    """The groups a token carries (in the order the pool gave them) and those withheld from it."""

    kept: tuple[str, ...]
    withheld: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.withheld)


class TokenGroupsService:
    def __init__(self, directory: UserDirectory) -> None:
        self._directory = directory

    def for_token(self, user_name: str, groups: Sequence[str]) -> TokenGroups:
        """The groups a token of `user_name`, a member of `groups`, may carry: all of them, unless some need MFA
        and the user has not set up TOTP; then all but those. Asks the directory only when a group needs MFA."""
        needing = [group for group in groups if group in GROUPS_NEEDING_MFA]
        if not needing or self._directory.has_totp(user_name):
            return TokenGroups(tuple(groups))
        return TokenGroups(
            kept=tuple(group for group in groups if group not in GROUPS_NEEDING_MFA), withheld=tuple(needing)
        )
