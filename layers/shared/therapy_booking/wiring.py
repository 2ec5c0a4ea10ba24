"""Builds the services on first use and keeps them for the life of the container.

Tests and the local stack start it afresh with `container.reset(clock=...)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from therapy_booking.adapters.clock import SystemClock
from therapy_booking.adapters.dynamodb_items import bind_table
from therapy_booking.adapters.dynamodb_repositories import (
    DynamoClientRepository,
    DynamoSessionRepository,
    DynamoTherapistRepository,
)
from therapy_booking.adapters.expiry_schedules import EventBridgeExpirySchedules
from therapy_booking.domain.ports import Clock, ExpirySchedules
from therapy_booking.domain.services import ClientService, SessionService, TherapistService
from therapy_booking.settings import Settings, get_settings


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
    def expiry_schedules(self) -> ExpirySchedules:
        return EventBridgeExpirySchedules.from_environment()

    def reset(self, clock: Clock | None = None) -> None:
        """Forget every built part and re-read settings, optionally with another clock."""
        get_settings.cache_clear()
        self.__dict__.clear()
        self.clock = clock or SystemClock()


container = Container()
