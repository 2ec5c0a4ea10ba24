"""EventBridge Scheduler, emulated: moto stores schedules, this fires them as the clock passes.

One-time schedules (`at(...)`) fire once at their instant (in their time zone)
with the target's `Input` as the event, retried per `RetryPolicy`, then sent to
the dead-letter queue; `ActionAfterCompletion: DELETE` removes them after.
`rate(...)` schedules declared in the template fire whenever a period has
passed (several missed periods fire once, as a late sweeper would), with the
same retries and dead-letter queue.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

Invoke = Callable[[str, dict[str, Any]], Any]
RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
DEFAULT_RETRIES = 185  # EventBridge Scheduler's default RetryPolicy
KEPT_ON_UPDATE = ("Description", "ScheduleExpressionTimezone", "StartDate", "EndDate", "KmsKeyArn")


def function_name(arn: str) -> str:
    """arn:aws:lambda:region:account:function:Name -> Name."""
    return arn.split(":function:", 1)[-1].split(":", 1)[0]


def at_instant(expression: str, timezone: str | None) -> datetime | None:
    found = AT.match(expression)
    if not found:
        return None
    return datetime.fromisoformat(found.group(1)).replace(tzinfo=ZoneInfo(timezone or "UTC"))


def rate_period(expression: str) -> timedelta | None:
    found = RATE.match(expression)
    if not found:
        return None
    count, unit = int(found.group(1)), found.group(2).rstrip("s")
    return timedelta(**{f"{unit}s": count})


@dataclass
class RecurringSchedule:
    name: str
    target: str  # the function's ARN
    period: timedelta
    event: dict[str, Any]
    next_due: datetime
    retries: int = DEFAULT_RETRIES
    destination: str | None = None


@dataclass(frozen=True)
class DeadLetter:
    schedule: str
    target: str
    error: str
    attempts: int
    destination: str | None


class SchedulerEmulator:
    def __init__(self, client: Any, invoke: Invoke) -> None:
        self._client = client
        self._invoke = invoke
        self.recurring: list[RecurringSchedule] = []

    def add_recurring(
        self,
        name: str,
        target: str,
        expression: str,
        event: dict[str, Any],
        now: datetime,
        retries: int = DEFAULT_RETRIES,
        destination: str | None = None,
    ) -> bool:
        period = rate_period(expression)
        if period is None:
            return False
        self.recurring.append(RecurringSchedule(name, target, period, event, now + period, retries, destination))
        return True

    def _one_time_schedules(self, state: str | None = None) -> list[dict[str, Any]]:
        """Every schedule of every group (all pages: a page holds 50), optionally only those in `state`."""
        found = []
        filters = {"State": state} if state else {}
        for page in self._client.get_paginator("list_schedules").paginate(**filters):
            for summary in page["Schedules"]:
                found.append(self._client.get_schedule(Name=summary["Name"], GroupName=summary["GroupName"]))
        return found

    def _fire(self, function: str, event: dict[str, Any], retries: int) -> tuple[bool, str, int]:
        error = ""
        for attempt in range(1, retries + 2):
            try:
                self._invoke(function, event)
                return True, "", attempt
            except Exception as failure:
                error = type(failure).__name__
        return False, error, retries + 1

    def fire_due(self, now: datetime) -> tuple[int, list[DeadLetter]]:
        fired, dead = 0, []
        for schedule in self._one_time_schedules(state="ENABLED"):
            instant = at_instant(schedule["ScheduleExpression"], schedule.get("ScheduleExpressionTimezone"))
            if instant is None or instant > now:
                continue
            target = schedule["Target"]
            retries = int(target.get("RetryPolicy", {}).get("MaximumRetryAttempts", DEFAULT_RETRIES))
            event = json.loads(target.get("Input") or "{}")
            ok, error, attempts = self._fire(function_name(target["Arn"]), event, retries)
            fired += 1
            if not ok:
                destination = target.get("DeadLetterConfig", {}).get("Arn")
                dead.append(DeadLetter(schedule["Name"], target["Arn"], error, attempts, destination))
            if schedule.get("ActionAfterCompletion") == "DELETE":
                self._client.delete_schedule(Name=schedule["Name"], GroupName=schedule.get("GroupName", "default"))
            else:  # an update replaces the whole schedule: keep what it had, disabled so it fires once
                kept = {key: schedule[key] for key in KEPT_ON_UPDATE if schedule.get(key) is not None}
                self._client.update_schedule(
                    Name=schedule["Name"],
                    GroupName=schedule.get("GroupName", "default"),
                    ScheduleExpression=schedule["ScheduleExpression"],
                    FlexibleTimeWindow=schedule["FlexibleTimeWindow"],
                    Target=target,
                    State="DISABLED",
                    **kept,
                )
        for recurring in self.recurring:
            if recurring.next_due <= now:
                function = function_name(recurring.target)
                ok, error, attempts = self._fire(function, recurring.event, recurring.retries)
                if not ok:
                    dead.append(DeadLetter(recurring.name, recurring.target, error, attempts, recurring.destination))
                recurring.next_due = now + recurring.period
                fired += 1
        return fired, dead

    def delete_all(self) -> None:
        for schedule in self._one_time_schedules():
            self._client.delete_schedule(Name=schedule["Name"], GroupName=schedule.get("GroupName", "default"))
