"""Platform settings from the environment (template parameters), validated on first use."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from therapy_booking.domain.formats import EMAIL
from therapy_booking.domain.model import OfferExpiryPolicy
from therapy_booking.domain.policies import PlatformPolicy


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    table_name: str
    policy: PlatformPolicy
    idempotency_ttl_seconds: int = 24 * 3600

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        table_name = environ.get("TABLE_NAME", "")
        if not table_name:
            raise SettingsError("TABLE_NAME is not set")
        try:
            window = int(environ.get("CANCELLATION_WINDOW_HOURS", "24"))
            commission = Decimal(environ.get("COMMISSION_PERCENT", "10"))
        except (ValueError, InvalidOperation) as error:
            raise SettingsError(f"invalid platform setting: {error}") from None
        currency = environ.get("CURRENCY", "GBP")
        if window < 0:
            raise SettingsError("CANCELLATION_WINDOW_HOURS must not be negative")
        if not Decimal(0) <= commission <= Decimal(100):
            raise SettingsError("COMMISSION_PERCENT must be between 0 and 100")
        if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
            raise SettingsError("CURRENCY must be an ISO 4217 code such as GBP")
        expiry = environ.get("OFFER_EXPIRY_POLICY", OfferExpiryPolicy.CANCEL_AND_REFUND)
        if expiry not in set(OfferExpiryPolicy):
            raise SettingsError(f"OFFER_EXPIRY_POLICY must be one of {', '.join(OfferExpiryPolicy)}")
        return cls(
            table_name=table_name,
            policy=PlatformPolicy(
                cancellation_window_hours=window,
                commission_percent=commission,
                currency=currency,
                offer_expiry_policy=OfferExpiryPolicy(expiry),
            ),
        )


BASE_URL = re.compile(r"^https?://\S+[^/\s]$")


@dataclass(frozen=True)
class NotificationSettings:
    """Who emails come from and where their links point (template parameters EmailSender, DashboardBaseUrl)."""

    sender: str
    dashboard_base_url: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> NotificationSettings:
        sender = environ.get("EMAIL_SENDER", "")
        base_url = environ.get("DASHBOARD_BASE_URL", "")
        if not EMAIL.match(sender):
            raise SettingsError("EMAIL_SENDER must be an email address (an SES-verified identity)")
        if not BASE_URL.match(base_url):
            raise SettingsError("DASHBOARD_BASE_URL must be an http(s) URL without a trailing slash")
        return cls(sender=sender, dashboard_base_url=base_url)

    def session_link(self, session_id: str) -> str:
        return f"{self.dashboard_base_url}/sessions/{session_id}"


@cache
def get_notification_settings() -> NotificationSettings:
    return NotificationSettings.from_environment()


@cache
def get_settings() -> Settings:
    return Settings.from_environment()
