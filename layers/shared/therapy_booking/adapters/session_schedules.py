"""The `ExpirySchedules`, `ReminderSchedules` and `ResponseReminderSchedules` ports on EventBridge
Scheduler: one-time schedules, in one schedule group, each firing once and deleting itself afterwards.

- Expiry: one schedule per open offer or location change, named after the change
  (`expire-<change id>`). It fires at the deadline and invokes the expiry function with
  `{"session_id", "change_id"}`. A change's deadline never moves, so creating it again (a
  stream record delivered twice) gets ConflictException, which means "already done".
- Reminder: one schedule per session, named after the session (`remind-<session id>`). It fires
  24 h before the session and invokes the reminder function with `{"session_id", "start"}` (the
  start it was planned for, ISO-8601 with its offset). A session can move, so creating it when
  it exists already replaces the whole plan with UpdateSchedule: the last plan wins, and the
  same plan delivered twice leaves the same schedule. The reminder function checks the session
  again before sending, so a plan outliving its session's move or cancellation is harmless.
- Response reminder: one schedule per booking, named after the session (`respond-<session id>`).
  It fires when the therapist is due a reminder to answer (`Session.response_reminder_at`) and
  invokes the reminder function with `{"session_id", "kind": "response"}`. That time is set at
  booking and never moves, so creating it again gets ConflictException: "already done", as for
  an expiry. The reminder function checks that the booking is still unanswered before sending.

All fire at their instant (`at(...)` in UTC, rounded up to the second, flexible window off;
Scheduler invokes within the minute that follows),
retry a failed invocation for an hour, then dead-letter it; deleting a schedule that is gone
(it fired, or was never made) succeeds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from therapy_booking.adapters.aws_clients import scheduler_client
from therapy_booking.domain.schedules import RESPONSE_REMINDER_KIND

if TYPE_CHECKING:
    from therapy_booking.settings import ScheduleSettings

EXPIRY_PREFIX = "expire-"
REMINDER_PREFIX = "remind-"
RESPONSE_REMINDER_PREFIX = "respond-"
VALID_NAME = re.compile(r"^[0-9a-zA-Z_.-]{1,64}$")  # EventBridge Scheduler's rule for schedule names
# Failures to invoke the target are retried for an hour; after that the dead-letter queue has them
# (for an expiry, the sweeper (every 5 minutes) has expired the change long before).
RETRY_POLICY = {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 3600}
# Create, find it exists, update, find it gone (it fired meanwhile), create again: then give up (the record is retried).
REMINDER_ATTEMPTS = 3


class SchedulerApi(Protocol):
    """What this adapter uses of boto3's `scheduler` client."""

    def create_schedule(self, **kwargs: Any) -> Any: ...

    def update_schedule(self, **kwargs: Any) -> Any: ...

    def delete_schedule(self, **kwargs: Any) -> Any: ...


def _name(prefix: str, identifier: str, what: str) -> str:
    name = f"{prefix}{identifier}"
    if not VALID_NAME.match(name):
        raise ValueError(f"a {what} id must make a valid schedule name (at most 64 of [0-9a-zA-Z-_.])")
    return name


def expiry_name(change_id: str) -> str:
    return _name(EXPIRY_PREFIX, change_id, "change")


def reminder_name(session_id: str) -> str:
    return _name(REMINDER_PREFIX, session_id, "session")


def response_reminder_name(session_id: str) -> str:
    return _name(RESPONSE_REMINDER_PREFIX, session_id, "session")


def at_expression(instant: datetime) -> str:
    """`at(yyyy-mm-ddThh:mm:ss)` in UTC, rounded up to the second: never before the instant."""
    if instant.tzinfo is None:
        raise ValueError("the schedule's instant must be timezone-aware")
    utc = instant.astimezone(UTC)
    if utc.microsecond:
        utc = utc.replace(microsecond=0) + timedelta(seconds=1)
    return f"at({utc:%Y-%m-%dT%H:%M:%S})"


def _error_code(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


@dataclass
class EventBridgeSessionSchedules:
    """The three ports, on one schedule group (`settings`: the group, the targets, the role, the dead-letter queue)."""

    settings: ScheduleSettings
    client: Callable[[], SchedulerApi] = field(default=scheduler_client)

    # --- ExpirySchedules -----------------------------------------------------------------------

    def schedule(self, change_id: str, session_id: str, at: datetime) -> None:
        definition = self._one_time(
            expiry_name(change_id), at, self.settings.expiry_arn, {"session_id": session_id, "change_id": change_id}
        )
        self._create_once(definition)

    def cancel(self, change_id: str) -> None:
        self._delete(expiry_name(change_id))

    # --- ReminderSchedules ---------------------------------------------------------------------

    def schedule_reminder(self, session_id: str, start: datetime, at: datetime) -> None:
        from botocore.exceptions import ClientError

        if start.tzinfo is None:
            raise ValueError("the session's start must be timezone-aware")
        definition = self._one_time(
            reminder_name(session_id),
            at,
            self.settings.reminder_arn,
            {"session_id": session_id, "start": start.isoformat()},
        )
        for _ in range(REMINDER_ATTEMPTS):
            try:
                self.client().create_schedule(**definition)
                return
            except ClientError as error:
                if _error_code(error) != "ConflictException":
                    raise
            try:  # it exists: an earlier plan (or this one, delivered before), replaced whole
                self.client().update_schedule(**definition)
                return
            except ClientError as error:
                if _error_code(error) != "ResourceNotFoundException":  # it fired and deleted itself meanwhile
                    raise
        raise RuntimeError("the reminder schedule kept appearing and disappearing; try again")

    def cancel_reminder(self, session_id: str) -> None:
        self._delete(reminder_name(session_id))

    # --- ResponseReminderSchedules -------------------------------------------------------------

    def schedule_response_reminder(self, session_id: str, at: datetime) -> None:
        definition = self._one_time(
            response_reminder_name(session_id),
            at,
            self.settings.reminder_arn,
            {"session_id": session_id, "kind": RESPONSE_REMINDER_KIND},
        )
        self._create_once(definition)

    def cancel_response_reminder(self, session_id: str) -> None:
        self._delete(response_reminder_name(session_id))

    # --- all -----------------------------------------------------------------------------------

    def _create_once(self, definition: dict[str, Any]) -> None:
        """Create a schedule whose instant never moves: one that exists already is a redelivery, done before."""
        from botocore.exceptions import ClientError

        try:
            self.client().create_schedule(**definition)
        except ClientError as error:
            if _error_code(error) != "ConflictException":
                raise

    def _one_time(self, name: str, at: datetime, target_arn: str, payload: dict[str, str]) -> dict[str, Any]:
        """The whole definition of a one-time schedule: what CreateSchedule takes, and UpdateSchedule replaces."""
        return {
            "Name": name,
            "GroupName": self.settings.group,
            "ScheduleExpression": at_expression(at),
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "State": "ENABLED",
            "Target": {
                "Arn": target_arn,
                "RoleArn": self.settings.role_arn,
                "Input": json.dumps(payload),
                "RetryPolicy": RETRY_POLICY,
                "DeadLetterConfig": {"Arn": self.settings.dead_letter_arn},
            },
        }

    def _delete(self, name: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client().delete_schedule(Name=name, GroupName=self.settings.group)
        except ClientError as error:
            if _error_code(error) != "ResourceNotFoundException":  # fired and deleted itself, or never made
                raise
