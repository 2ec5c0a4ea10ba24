"""Builds the services on first use and keeps them for the life of the container.

Tests and the local stack start it afresh with `container.reset(clock=...)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from therapy_booking.adapters.clock import SystemClock
from therapy_booking.adapters.dynamodb.clients import DynamoClientRepository
from therapy_booking.adapters.dynamodb.models import bind_table
from therapy_booking.adapters.dynamodb.sessions import DynamoSessionRepository
from therapy_booking.adapters.dynamodb.therapists import DynamoTherapistRepository
from therapy_booking.adapters.session_schedules import EventBridgeSessionSchedules
from therapy_booking.domain.ports import Clock, FailureReports
from therapy_booking.domain.services import ClientService, SessionService, TherapistService
from therapy_booking.settings import Settings, get_notification_settings, get_settings

if TYPE_CHECKING:
    from therapy_booking.adapters.delivery_ledger import PowertoolsDeliveryLedger
    from therapy_booking.domain.notifications import NotificationService


@dataclass
class Container:
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def settings(self) -> Settings:
        settings = get_settings()
        bind_table(settings.table_name)
        return settings

    @cached_property
    def sessions(self) -> SessionService:
        return SessionService(DynamoSessionRepository(), DynamoTherapistRepository(), self.clock, self.settings.policy)

    @cached_property
    def therapists(self) -> TherapistService:
        return TherapistService(DynamoTherapistRepository(), self.clock, self.settings.policy)

    @cached_property
    def clients(self) -> ClientService:
        _ = self.settings  # binds the table
        return ClientService(DynamoClientRepository())

    @cached_property
    def session_schedules(self) -> EventBridgeSessionSchedules:
        """Both `ExpirySchedules` and `ReminderSchedules`, on EventBridge Scheduler."""
        return EventBridgeSessionSchedules.from_environment()

    @cached_property
    def failure_reports(self) -> FailureReports:
        from therapy_booking.adapters.sqs_failure_reports import SqsFailureReports

        return SqsFailureReports.from_environment()

    @cached_property
    def delivery_ledger(self) -> PowertoolsDeliveryLedger:
        from therapy_booking.adapters.delivery_ledger import PowertoolsDeliveryLedger

        return PowertoolsDeliveryLedger(self.settings.table_name)

    @cached_property
    def notifications(self) -> NotificationService:
        # Imported here: only the notification functions pay for the mapping, Jinja, iCalendar and the
        # idempotency store.
        from therapy_booking.adapters.ses_email import SesEmailSender
        from therapy_booking.adapters.sns_sms import SnsSmsSender
        from therapy_booking.domain.notifications import NotificationService, ProfileContacts
        from therapy_booking.notifications.rendering import TemplateRenderer

        settings = get_notification_settings()
        return NotificationService(
            contacts=ProfileContacts(DynamoTherapistRepository(), DynamoClientRepository()),
            renderer=TemplateRenderer(settings),
            email=SesEmailSender(settings.sender),
            sms=SnsSmsSender(),
            ledger=self.delivery_ledger,
            sessions=DynamoSessionRepository(),
            clock=self.clock,
        )

    def reset(self, clock: Clock | None = None) -> None:
        """Forget every built part and re-read settings, optionally with another clock."""
        get_settings.cache_clear()
        get_notification_settings.cache_clear()
        self.__dict__.clear()
        self.clock = clock or SystemClock()


container = Container()
