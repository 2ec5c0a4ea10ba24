"""The functions' settings (template parameters and resources, passed as environment variables),
as validated pydantic models: one per capability, each read from the environment once per
container (`wiring.Container`), by the functions that use it and when first needed.

- `Settings`: the table and the platform policy (every function but the schedules consumer);
- `ScheduleSettings`: the session schedules consumer (EventBridge Scheduler);
- `FailureReportSettings`: the sweeper (its dead-letter queue);
- `CalendarSettings`: the calendar import's functions (the sync queue; local http on the local stack);
- `NotificationSettings`: the notification and reminder functions (sender, dashboard links);
- `CalendarFeedSettings`: the calendar feed functions (the feed secret, the UID domain, a base URL override);
- `ListingSettings`: how long a container keeps the listing's first pages (set on the reads function only; read
  wherever the therapist service is built, and unset there: no cache).

Each field is read from its variable's name (the alias) only; the field name is for code and
tests (`NotificationSettings(sender=..., dashboard_base_url=...)`). A variable missing or invalid
raises `SettingsError` naming the variable and what it must be, so a misconfigured function stops
at its first request with a readable log line. The messages never echo the value.

Models are built on first validation (`defer_build`), so a function builds only the schemas of the
settings it reads. The domain receives plain objects (`PlatformPolicy`), never these models.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import time
from decimal import Decimal
from functools import cached_property
from typing import Annotated, ClassVar, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from therapy_booking.domain.business_hours import WorkingHours
from therapy_booking.domain.formats import CURRENCY_PATTERN, EMAIL
from therapy_booking.domain.model import OfferExpiryPolicy, Weekday
from therapy_booking.domain.policies import PlatformPolicy, RankingPolicy


class SettingsError(ValueError):
    """A setting is missing or invalid: the message names each variable and what it must be."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{variable} {problem}" for variable, problem in problems.items()))
        self.variables = tuple(problems)


def _matching(pattern: re.Pattern[str]) -> AfterValidator:
    """A text check with Python's `re` (as the domain's own patterns are written), not pydantic's engine."""

    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"does not match {pattern.pattern}")
        return value

    return AfterValidator(check)


# An http(s) URL without a trailing slash: links are this base + "/sessions/<id>".
BASE_URL = re.compile(r"^https?://\S+[^/\s]$")
EmailAddress = Annotated[str, _matching(EMAIL)]
BaseUrl = Annotated[str, _matching(BASE_URL)]
# Set and not empty: the ARNs, names and URLs the template passes in.
Named = Annotated[str, Field(min_length=1)]


class EnvironmentModel(BaseModel):
    """Fields read from environment variables (their aliases); the field's description says what it must be."""

    model_config = ConfigDict(
        frozen=True,
        validate_by_alias=True,
        validate_by_name=True,  # for code and tests; the environment is read by alias only
        defer_build=True,
        extra="ignore",
    )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Self:
        try:
            return cls.model_validate(dict(environ), by_alias=True, by_name=False)
        except ValidationError as error:
            raise SettingsError(cls._problems(error, environ)) from None

    @classmethod
    def _problems(cls, error: ValidationError, environ: Mapping[str, str]) -> dict[str, str]:
        problems: dict[str, str] = {}
        for detail in error.errors(include_input=False):
            variable = str(detail["loc"][0]) if detail["loc"] else "environment"
            field = next((f for f in cls.model_fields.values() if f.alias == variable), None)
            if field is None:
                problems[variable] = detail["msg"]
            elif field.is_required() and not environ.get(variable):
                problems[variable] = "is not set"
            else:
                problems[variable] = f"must be {field.description}"
        return problems


class Settings(EnvironmentModel):
    """The table and the platform policy (template parameters, in every function's environment)."""

    table_name: Named = Field(alias="TABLE_NAME", description="the table's name")
    cancellation_window_hours: int = Field(
        24, alias="CANCELLATION_WINDOW_HOURS", ge=0, description="a whole number of hours, not negative"
    )
    commission_percent: Decimal = Field(
        Decimal(10), alias="COMMISSION_PERCENT", ge=0, le=100, description="a number between 0 and 100"
    )
    currency: str = Field("GBP", alias="CURRENCY", pattern=CURRENCY_PATTERN, description="an ISO 4217 code such as GBP")
    offer_expiry_policy: OfferExpiryPolicy = Field(
        OfferExpiryPolicy.CANCEL_AND_REFUND,
        alias="OFFER_EXPIRY_POLICY",
        description=f"one of {', '.join(OfferExpiryPolicy)}",
    )

    response_sla_business_hours: int = Field(
        4, alias="RESPONSE_SLA_BUSINESS_HOURS", ge=1, le=200, description="a whole number of hours, 1 to 200"
    )
    response_reminder_business_hours_before: int = Field(
        1,
        alias="RESPONSE_REMINDER_BUSINESS_HOURS_BEFORE",
        ge=0,
        description="a whole number of hours, below RESPONSE_SLA_BUSINESS_HOURS",
    )
    working_days: str = Field(
        "mon,tue,wed,thu,fri",
        alias="WORKING_DAYS",
        pattern=r"^(mon|tue|wed|thu|fri|sat|sun)(,(mon|tue|wed|thu|fri|sat|sun)){0,6}$",
        description="weekdays separated by commas, such as mon,tue,wed,thu,fri",
    )
    working_hours: str = Field(
        "09:00-17:30",
        alias="WORKING_HOURS",
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="HH:MM-HH:MM, the start before the end",
    )
    default_country: str = Field(
        "GB",
        alias="DEFAULT_COUNTRY",
        pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$",
        description="an ISO 3166 code the holidays calendar knows, such as GB or GB-SCT",
    )
    streak_flag_at: int = Field(
        3, alias="STREAK_FLAG_AT", ge=1, description="a whole number, below STREAK_DEACTIVATE_AT"
    )
    streak_deactivate_at: int = Field(
        5, alias="STREAK_DEACTIVATE_AT", ge=2, le=1000, description="a whole number above STREAK_FLAG_AT"
    )
    rank_weights: str = Field(
        "0.5,0.3,0.2",
        alias="RANK_WEIGHTS",
        pattern=r"^[0-9]{1,3}(\.[0-9]{1,6})?,[0-9]{1,3}(\.[0-9]{1,6})?,[0-9]{1,3}(\.[0-9]{1,6})?$",
        description="three weights (response time, cancellations, rearrangements) adding up to 1, such as 0.5,0.3,0.2",
    )

    idempotency_ttl_seconds: ClassVar[int] = 24 * 3600  # keyed bookings are remembered a day

    @cached_property
    def policy(self) -> PlatformPolicy:
        """The platform rules the domain applies, from these settings. Rules across variables (hours that start
        before they end, weights adding up to 1, the flag below the deactivation, the reminder within the
        allowance) are checked here, once; a breach raises `SettingsError` naming the variables."""
        start, end = (time.fromisoformat(part) for part in self.working_hours.split("-"))
        try:
            hours = WorkingHours(frozenset(Weekday(day) for day in self.working_days.split(",")), start, end)
        except ValueError as error:
            raise SettingsError({"WORKING_HOURS": str(error)}) from None
        try:
            response, cancellations, rearrangements = (Decimal(weight) for weight in self.rank_weights.split(","))
            ranking = RankingPolicy(response, cancellations, rearrangements)
        except ValueError as error:
            raise SettingsError({"RANK_WEIGHTS": str(error)}) from None
        try:
            return PlatformPolicy(
                cancellation_window_hours=self.cancellation_window_hours,
                commission_percent=self.commission_percent,
                currency=self.currency,
                offer_expiry_policy=self.offer_expiry_policy,
                streak_flag_at=self.streak_flag_at,
                streak_deactivate_at=self.streak_deactivate_at,
                working_hours=hours,
                default_country=self.default_country,
                response_sla_business_hours=self.response_sla_business_hours,
                response_reminder_business_hours_before=self.response_reminder_business_hours_before,
                ranking=ranking,
            )
        except ValueError as error:
            variables = "STREAK_FLAG_AT/STREAK_DEACTIVATE_AT/RESPONSE_REMINDER_BUSINESS_HOURS_BEFORE"
            raise SettingsError({variables: str(error)}) from None


class ScheduleSettings(EnvironmentModel):
    """The session schedules consumer's: where one-time schedules go and whom they invoke."""

    group: Named = Field(alias="SCHEDULE_GROUP", description="the schedule group's name")
    expiry_arn: Named = Field(alias="EXPIRY_FUNCTION_ARN", description="the expiry function's ARN")
    reminder_arn: Named = Field(alias="REMINDER_FUNCTION_ARN", description="the reminder function's ARN")
    role_arn: Named = Field(alias="SCHEDULER_ROLE_ARN", description="the role the Scheduler invokes with")
    dead_letter_arn: Named = Field(alias="SCHEDULES_DLQ_ARN", description="the schedules' dead-letter queue ARN")


class FailureReportSettings(EnvironmentModel):
    """The sweeper's: the queue that receives a session that failed on its own."""

    dead_letter_queue_url: Named = Field(alias="DEAD_LETTER_QUEUE_URL", description="the dead-letter queue's URL")


class CalendarSettings(EnvironmentModel):
    """The calendar import's: the sync queue (for the periodic fan-out) and, on the local stack only, whether an
    `http://127.0.0.1` address may be imported (a feed served by a test)."""

    sync_queue_url: str | None = Field(
        None, alias="CALENDAR_SYNC_QUEUE_URL", description="the calendar sync queue's URL"
    )
    allow_local_http: bool = Field(
        False, alias="CALENDAR_ALLOW_LOCAL_HTTP", description="true or false (true on the local stack only)"
    )
    fetch_timeout_seconds: float = Field(
        10.0,
        alias="CALENDAR_FETCH_TIMEOUT_SECONDS",
        gt=0,
        le=10,
        description="seconds a calendar fetch may take, above 0 and at most 10 (shorter on the local stack)",
    )


DEFAULT_CRISIS_GUIDANCE = (
    "You said you have had thoughts that you would be better off dead or of hurting yourself. You are not alone, "
    "and help is there now. If you are in danger or might act on these thoughts, call 999 or go to A&E. "
    "You can talk to Samaritans at any time, day or night, free on 116 123, or text SHOUT to 85258. "
    "Your GP or NHS 111 can also help. Please tell your therapist at your first session."
)


class AccountSettings(EnvironmentModel):
    """The user pool people sign in to (the erasure of a client deletes their account there)."""

    user_pool_id: Named = Field(alias="USER_POOL_ID", description="the user pool's id")


class AssessmentSettings(EnvironmentModel):
    """The self-assessment's: what a client who answers PHQ-9 item 9 above 0 is shown (template parameter
    CrisisGuidance: a platform outside the UK sets its own services)."""

    crisis_guidance: Annotated[str, _matching(re.compile(r"^\S[\s\S]{0,1999}$"))] = Field(
        DEFAULT_CRISIS_GUIDANCE, alias="CRISIS_GUIDANCE", description="a text of 1 to 2,000 characters"
    )


class NotificationSettings(EnvironmentModel):
    """Who emails come from and where their links point (template parameters EmailSender, DashboardBaseUrl)."""

    sender: EmailAddress = Field(alias="EMAIL_SENDER", description="an email address (an SES-verified identity)")
    dashboard_base_url: BaseUrl = Field(
        alias="DASHBOARD_BASE_URL", description="an http(s) URL without a trailing slash"
    )

    def session_link(self, session_id: str) -> str:
        return f"{self.dashboard_base_url}/sessions/{session_id}"


class MetricsSettings(EnvironmentModel):
    """Where the business metrics go (template parameter MetricsNamespace) and the service they are of."""

    namespace: Named = Field(alias="POWERTOOLS_METRICS_NAMESPACE", description="the CloudWatch namespace")
    service: Named = Field(alias="POWERTOOLS_SERVICE_NAME", description="the service's name")


class ListingSettings(EnvironmentModel):
    """The listing's (template parameter ListingCacheSeconds, on the reads function): seconds a container keeps the
    first pages of `GET /therapists` in memory. Unset, as in every other function, the tests and the benchmarks:
    0, no cache, every page read from the table; the template turns it on (docs/scaling.md)."""

    cache_seconds: int = Field(
        0,
        alias="LISTING_CACHE_SECONDS",
        ge=0,
        le=300,
        description="a whole number of seconds, 0 to 300 (0: no cache)",
    )


class CalendarFeedSettings(EnvironmentModel):
    """The calendar feed functions': the secret tokens are derived from, the sender whose domain ends every UID
    (as in the emailed invitations), the dashboard a feed entry links to, and, if set, the base URL of the feed
    addresses (a custom domain; by default they point where the request came in: the API's own URL)."""

    secret_id: Named = Field(alias="CALENDAR_FEED_SECRET_ID", description="the feed secret's ARN or name")
    sender: EmailAddress = Field(alias="EMAIL_SENDER", description="an email address (an SES-verified identity)")
    dashboard_base_url: BaseUrl = Field(
        alias="DASHBOARD_BASE_URL", description="an http(s) URL without a trailing slash"
    )
    base_url: Annotated[str, _matching(re.compile(r"^$|^https?://\S+[^/\s]$"))] = Field(
        "", alias="CALENDAR_FEED_BASE_URL", description="empty, or an http(s) URL without a trailing slash"
    )

    def feed_url(self, token: str, request_base_url: str) -> str:
        """The feed's address: under `base_url` if set, else under the URL the request reached the API at."""
        return f"{self.base_url or request_base_url}/calendar-feeds/{token}.ics"

    def session_link(self, session_id: str) -> str:
        return f"{self.dashboard_base_url}/sessions/{session_id}"

    def reservation_link(self, reservation_id: str) -> str:
        return f"{self.dashboard_base_url}/reservations/{reservation_id}"
