"""The `ExpirySchedules` port on EventBridge Scheduler: one one-time schedule per open offer or location change.

Each schedule is named after the change (`expire-<change id>`), so a stream record
delivered twice cannot create two: the second CreateSchedule gets ConflictException,
which means "already done". It fires once, at the deadline to the second (`at(...)`
in UTC, flexible window off), invokes the expiry function with
`{"session_id", "change_id"}`, and deletes itself afterwards; what the Scheduler
cannot deliver goes to the dead-letter queue, and the sweeper catches the rest.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from therapy_booking.adapters.aws_clients import scheduler_client
from therapy_booking.settings import SettingsError

NAME_PREFIX = "expire-"
VALID_NAME = re.compile(r"^[0-9a-zA-Z_.-]{1,64}$")  # EventBridge Scheduler's rule for schedule names
# Failures to invoke the target are retried for an hour; after that the dead-letter queue has them,
# and the sweeper (every 5 minutes) has expired the change long before.
RETRY_POLICY = {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 3600}
ENVIRONMENT = {
    "group": "SCHEDULE_GROUP",
    "target_arn": "EXPIRY_FUNCTION_ARN",
    "role_arn": "SCHEDULER_ROLE_ARN",
    "dead_letter_arn": "SCHEDULES_DLQ_ARN",
}


class SchedulerApi(Protocol):
    """What this adapter uses of boto3's `scheduler` client."""

    def create_schedule(self, **kwargs: Any) -> Any: ...

    def delete_schedule(self, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class ScheduleSettings:
    group: str
    target_arn: str
    role_arn: str
    dead_letter_arn: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> ScheduleSettings:
        missing = [variable for variable in ENVIRONMENT.values() if not environ.get(variable)]
        if missing:
            raise SettingsError(f"not set: {', '.join(missing)}")
        return cls(**{key: environ[variable] for key, variable in ENVIRONMENT.items()})


def schedule_name(change_id: str) -> str:
    name = f"{NAME_PREFIX}{change_id}"
    if not VALID_NAME.match(name):
        raise ValueError("a change id must make a valid schedule name (at most 64 of [0-9a-zA-Z-_.])")
    return name


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
class EventBridgeExpirySchedules:
    settings: ScheduleSettings
    client: Callable[[], SchedulerApi] = field(default=scheduler_client)

    @classmethod
    def from_environment(cls) -> EventBridgeExpirySchedules:
        return cls(ScheduleSettings.from_environment())

    def schedule(self, change_id: str, session_id: str, at: datetime) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client().create_schedule(
                Name=schedule_name(change_id),
                GroupName=self.settings.group,
                ScheduleExpression=at_expression(at),
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                State="ENABLED",
                Target={
                    "Arn": self.settings.target_arn,
                    "RoleArn": self.settings.role_arn,
                    "Input": json.dumps({"session_id": session_id, "change_id": change_id}),
                    "RetryPolicy": RETRY_POLICY,
                    "DeadLetterConfig": {"Arn": self.settings.dead_letter_arn},
                },
            )
        except ClientError as error:
            if _error_code(error) != "ConflictException":  # it exists already: a redelivery, done before
                raise

    def cancel(self, change_id: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client().delete_schedule(Name=schedule_name(change_id), GroupName=self.settings.group)
        except ClientError as error:
            if _error_code(error) != "ResourceNotFoundException":  # fired and deleted itself, or never made
                raise
