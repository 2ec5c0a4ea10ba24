"""The settings models: every variable read from its name in the environment, every bad value refused
with the variable named, and the container reading each model once, only when a part needs it."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from therapy_booking.adapters.dynamodb.models import TableItem, bind_table
from therapy_booking.adapters.listing_cache import CachedListing
from therapy_booking.domain.model import OfferExpiryPolicy
from therapy_booking.domain.policies import PlatformPolicy
from therapy_booking.settings import (
    FailureReportSettings,
    NotificationSettings,
    ScheduleSettings,
    Settings,
    SettingsError,
)
from therapy_booking.wiring import Container

PLATFORM = {
    "TABLE_NAME": "bookings",
    "CANCELLATION_WINDOW_HOURS": "48",
    "COMMISSION_PERCENT": "12.5",
    "CURRENCY": "EUR",
    "OFFER_EXPIRY_POLICY": "revert_to_original",
}
SCHEDULES = {
    "SCHEDULE_GROUP": "sessions",
    "EXPIRY_FUNCTION_ARN": "arn:aws:lambda:eu-west-2:123456789012:function:expiry",
    "REMINDER_FUNCTION_ARN": "arn:aws:lambda:eu-west-2:123456789012:function:reminders",
    "SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/scheduler",
    "SCHEDULES_DLQ_ARN": "arn:aws:sqs:eu-west-2:123456789012:schedules-dlq",
}
NOTIFICATIONS = {"EMAIL_SENDER": "bookings@example.com", "DASHBOARD_BASE_URL": "https://app.example.com"}
QUEUE_URL = "https://sqs.eu-west-2.amazonaws.com/123456789012/dlq"


def refused(model: Any, environ: dict[str, str]) -> SettingsError:
    with pytest.raises(SettingsError) as raised:
        model.from_environment(environ)
    return raised.value


# --- Settings: the table and the platform policy ---------------------------------------------------


def test_a_full_platform_environment_becomes_the_settings_and_the_policy() -> None:
    # Given every platform variable set / When the settings are read
    settings = Settings.from_environment({**PLATFORM, "UNRELATED": "ignored"})

    # Then each value is typed, and the domain gets a plain PlatformPolicy built from them
    assert settings.table_name == "bookings"
    assert settings.idempotency_ttl_seconds == 24 * 3600
    assert settings.policy == PlatformPolicy(
        cancellation_window_hours=48,
        commission_percent=Decimal("12.5"),
        currency="EUR",
        offer_expiry_policy=OfferExpiryPolicy.REVERT_TO_ORIGINAL,
    )


def test_only_the_table_is_required_the_policy_has_the_products_defaults() -> None:
    # Given only the table's name / When the settings are read / Then the product's defaults apply
    assert Settings.from_environment({"TABLE_NAME": "bookings"}).policy == PlatformPolicy()


@pytest.mark.parametrize("value", [None, ""])
def test_a_missing_or_empty_table_name_is_refused(value: str | None) -> None:
    # Given no table name (unset, or set empty)
    environ = {k: v for k, v in PLATFORM.items() if k != "TABLE_NAME"}
    if value is not None:
        environ["TABLE_NAME"] = value

    # When the settings are read / Then the error names the variable
    error = refused(Settings, environ)
    assert str(error) == "TABLE_NAME is not set" and error.variables == ("TABLE_NAME",)


@pytest.mark.parametrize(
    ("variable", "value", "requirement"),
    [
        ("CANCELLATION_WINDOW_HOURS", "-1", "a whole number of hours, not negative"),
        ("CANCELLATION_WINDOW_HOURS", "a day", "a whole number of hours, not negative"),
        ("CANCELLATION_WINDOW_HOURS", "", "a whole number of hours, not negative"),
        ("COMMISSION_PERCENT", "100.01", "a number between 0 and 100"),
        ("COMMISSION_PERCENT", "-5", "a number between 0 and 100"),
        ("COMMISSION_PERCENT", "NaN", "a number between 0 and 100"),
        ("COMMISSION_PERCENT", "ten", "a number between 0 and 100"),
        ("CURRENCY", "gbp", "an ISO 4217 code such as GBP"),
        ("CURRENCY", "GBPX", "an ISO 4217 code such as GBP"),
        ("CURRENCY", "GB1", "an ISO 4217 code such as GBP"),
        ("OFFER_EXPIRY_POLICY", "refund_later", "one of cancel_and_refund, revert_to_original"),
    ],
)
def test_each_invalid_platform_variable_is_refused_by_name(variable: str, value: str, requirement: str) -> None:
    # Given a platform environment with one bad value
    # When the settings are read
    error = refused(Settings, {**PLATFORM, variable: value})

    # Then the error names that variable and what it must be, without echoing the value
    assert str(error) == f"{variable} must be {requirement}"
    assert error.variables == (variable,)
    assert isinstance(error, ValueError)


def test_every_bad_variable_is_named_at_once() -> None:
    # Given two bad values and no table / When the settings are read / Then all three are named
    error = refused(Settings, {"CURRENCY": "pounds", "CANCELLATION_WINDOW_HOURS": "-2"})
    assert sorted(error.variables) == ["CANCELLATION_WINDOW_HOURS", "CURRENCY", "TABLE_NAME"]


def test_the_environment_is_read_by_variable_name_only() -> None:
    # Given field names used as variables (a lower-case `table_name` in the environment)
    # When the settings are read / Then they do not count: the variable is still missing
    assert refused(Settings, {"table_name": "bookings"}).variables == ("TABLE_NAME",)


def test_settings_are_frozen() -> None:
    # Given settings read once / When code tries to change them / Then it cannot
    settings = Settings.from_environment(PLATFORM)
    with pytest.raises(ValueError, match="frozen"):
        settings.table_name = "other"  # type: ignore[misc]


# --- the per-capability settings ---------------------------------------------------------------------


def test_the_schedule_settings_come_from_the_five_scheduler_variables() -> None:
    # Given the schedules consumer's environment / When its settings are read / Then each is kept
    settings = ScheduleSettings.from_environment(SCHEDULES)
    assert settings.group == "sessions"
    assert settings.expiry_arn == SCHEDULES["EXPIRY_FUNCTION_ARN"]
    assert settings.reminder_arn == SCHEDULES["REMINDER_FUNCTION_ARN"]
    assert settings.role_arn == SCHEDULES["SCHEDULER_ROLE_ARN"]
    assert settings.dead_letter_arn == SCHEDULES["SCHEDULES_DLQ_ARN"]


@pytest.mark.parametrize("variable", sorted(SCHEDULES))
@pytest.mark.parametrize("value", [None, ""])
def test_each_missing_schedule_variable_is_refused_by_name(variable: str, value: str | None) -> None:
    # Given the schedules consumer's environment without one variable (unset, or empty)
    environ = {k: v for k, v in SCHEDULES.items() if k != variable}
    if value is not None:
        environ[variable] = value

    # When its settings are read / Then that variable is named
    error = refused(ScheduleSettings, environ)
    assert str(error) == f"{variable} is not set" and error.variables == (variable,)


def test_the_failure_report_settings_come_from_the_dead_letter_queue_url() -> None:
    # Given the sweeper's environment / When its settings are read / Then the queue is kept
    assert FailureReportSettings.from_environment({"DEAD_LETTER_QUEUE_URL": QUEUE_URL}).dead_letter_queue_url == (
        QUEUE_URL
    )
    # And without it, the variable is named
    assert str(refused(FailureReportSettings, {})) == "DEAD_LETTER_QUEUE_URL is not set"
    assert str(refused(FailureReportSettings, {"DEAD_LETTER_QUEUE_URL": ""})) == "DEAD_LETTER_QUEUE_URL is not set"


def test_the_notification_settings_make_the_dashboard_links() -> None:
    # Given the notification functions' environment / When their settings are read
    settings = NotificationSettings.from_environment(NOTIFICATIONS)

    # Then the sender and the base URL are kept, and a session's link is built on the base
    assert settings.sender == "bookings@example.com"
    assert settings.session_link("s-1") == "https://app.example.com/sessions/s-1"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("EMAIL_SENDER", None, "EMAIL_SENDER is not set"),
        ("EMAIL_SENDER", "", "EMAIL_SENDER is not set"),
        ("EMAIL_SENDER", "bookings", "EMAIL_SENDER must be an email address (an SES-verified identity)"),
        ("EMAIL_SENDER", "book ings@example.com", "EMAIL_SENDER must be an email address (an SES-verified identity)"),
        ("EMAIL_SENDER", "bookings@example", "EMAIL_SENDER must be an email address (an SES-verified identity)"),
        ("DASHBOARD_BASE_URL", None, "DASHBOARD_BASE_URL is not set"),
        ("DASHBOARD_BASE_URL", "app.example.com", "DASHBOARD_BASE_URL must be an http(s) URL without a trailing slash"),
        (
            "DASHBOARD_BASE_URL",
            "https://app.example.com/",
            "DASHBOARD_BASE_URL must be an http(s) URL without a trailing slash",
        ),
        (
            "DASHBOARD_BASE_URL",
            "ftp://example.com",
            "DASHBOARD_BASE_URL must be an http(s) URL without a trailing slash",
        ),
    ],
)
def test_each_invalid_notification_variable_is_refused_by_name(variable: str, value: str | None, message: str) -> None:
    # Given the notification functions' environment with one bad or missing value
    environ = {k: v for k, v in NOTIFICATIONS.items() if k != variable}
    if value is not None:
        environ[variable] = value

    # When their settings are read / Then the error names the variable and what it must be
    error = refused(NotificationSettings, environ)
    assert str(error) == message and error.variables == (variable,)


def test_models_can_be_built_in_code_by_field_name() -> None:
    # Given code (tests, samples) that builds settings directly / Then the same checks apply
    assert (
        NotificationSettings(sender="a@example.com", dashboard_base_url="https://x.example").sender == "a@example.com"
    )
    with pytest.raises(ValueError, match="dashboard_base_url"):
        NotificationSettings(sender="a@example.com", dashboard_base_url="https://x.example/")


# --- the container: read once, when needed; the table bound explicitly ---------------------------


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for variable in [*PLATFORM, *SCHEDULES, *NOTIFICATIONS, "DEAD_LETTER_QUEUE_URL"]:
        monkeypatch.delenv(variable, raising=False)
    for variable, value in PLATFORM.items():
        monkeypatch.setenv(variable, value)
    original = TableItem.Meta.table_name
    yield PLATFORM
    bind_table(original)


def test_reading_settings_binds_nothing_the_storage_binds_the_table_once(environ: dict[str, str]) -> None:
    # Given the models bound to another table, and a fresh container
    bind_table("elsewhere")
    container = Container()

    # When the settings are read / Then the table is not bound yet
    assert container.settings.table_name == "bookings"
    assert TableItem.Meta.table_name == "elsewhere"

    # When a service is built / Then its repositories come from the storage, which bound the table first
    sessions = container.sessions
    assert TableItem.Meta.table_name == "bookings"
    assert container.storage.table_name == "bookings"
    assert sessions is container.sessions and container.storage is container.storage


def test_a_function_reads_only_the_settings_it_uses(environ: dict[str, str]) -> None:
    # Given an environment with the platform variables only (a booking function's)
    container = Container()

    # When its services are built / Then no other capability's settings were needed
    _ = container.sessions, container.clients
    assert not {"schedule_settings", "failure_report_settings", "notification_settings"} & set(vars(container))

    # And a capability whose variables are missing fails when it is first used, naming them
    with pytest.raises(SettingsError, match="DEAD_LETTER_QUEUE_URL is not set"):
        _ = container.failure_reports


def test_reset_reads_the_environment_again(environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a container that has read its settings
    container = Container()
    assert container.settings.currency == "EUR"

    # When the environment changes and the container is reset / Then the new values are read
    monkeypatch.setenv("CURRENCY", "USD")
    assert container.settings.currency == "EUR"
    container.reset()
    assert container.settings.currency == "USD"


def test_the_listings_cache_is_built_only_when_its_seconds_are_set_and_goes_with_a_reset(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a function whose environment does not set LISTING_CACHE_SECONDS (every one but the reads function)
    monkeypatch.delenv("LISTING_CACHE_SECONDS", raising=False)
    container = Container()

    # Then its listing is the table's own: every page read from the table
    assert container.listing is container.storage.therapists

    # When the variable is set (the template sets it on the reads function) and the container starts afresh
    monkeypatch.setenv("LISTING_CACHE_SECONDS", "60")
    container.reset()

    # Then the first pages are cached in the container, and a reset (tests, the local stack) starts an empty cache
    cached = container.listing
    assert isinstance(cached, CachedListing)
    container.reset()
    assert container.listing is not cached
