"""Self sign-up: a person who registers and confirms their own email address becomes a client.

Only clients register themselves; therapists and admins are created by the team, who also give them their
group. The role comes from the group a person is in, and only the platform puts anyone in a group: this
service (clients, after a confirmed sign-up) or the team. Nothing a person sends at sign-up chooses it.
"""

from __future__ import annotations

from therapy_booking.domain.model import ROLE_GROUPS, Role
from therapy_booking.domain.ports import UserDirectory

SIGN_UP_ROLE = Role.CLIENT


class SignUpService:
    def __init__(self, directory: UserDirectory) -> None:
        self._directory = directory

    def confirmed(self, user_name: str) -> str:
        """The user confirmed their own sign-up: they become a client. Safe to repeat (a duplicated or retried
        confirmation leaves one membership). Returns the group they are in."""
        group = ROLE_GROUPS[SIGN_UP_ROLE]
        self._directory.add_to_group(user_name, group)
        return group
