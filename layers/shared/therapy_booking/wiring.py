"""Builds the services on first use and keeps them for the life of the container.

Each settings model is read from the environment once, when a part that needs it is first built
(so a function reads only its own settings). `storage` binds the PynamoDB models to the table the
settings name, once, and holds the repositories: every part that reads or writes the table through
PynamoDB gets its repositories from there, so nothing touches the table before it is bound, and
reading settings binds nothing. (The delivery ledger and keyed bookings write their idempotency
records through Powertools' own store, to the table `settings.table_name` names.) Tests and the
local stack start it afresh with `container.reset(clock=...)`.
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
from therapy_booking.domain.ports import Clock, FailureReports, Listing, OutboxEvents
from therapy_booking.domain.services import (
    ClientService,
    SessionService,
    StandingProjection,
    TherapistService,
    new_id,
)
from therapy_booking.settings import (
    AccountSettings,
    AssessmentSettings,
    CalendarFeedSettings,
    CalendarSettings,
    FailureReportSettings,
    ListingSettings,
    MetricsSettings,
    NotificationSettings,
    ScheduleSettings,
    Settings,
    SettingsError,
)

if TYPE_CHECKING:
    from therapy_booking.adapters.business_metrics import EmfBusinessMetrics
    from therapy_booking.adapters.delivery_ledger import PowertoolsDeliveryLedger
    from therapy_booking.adapters.dynamodb.therapist_records import TherapistRecords
    from therapy_booking.adapters.keyed_bookings import PowertoolsKeyedBookings
    from therapy_booking.adapters.session_schedules import EventBridgeSessionSchedules
    from therapy_booking.domain.assessment import AssessmentService
    from therapy_booking.domain.audit import AuditService
    from therapy_booking.domain.calendar_feed import CalendarFeedService
    from therapy_booking.domain.calendar_sync import CalendarImportService, SyncQueue
    from therapy_booking.domain.notifications import NotificationService
    from therapy_booking.domain.personal_data import PersonalDataService
    from therapy_booking.domain.reservations import ReservationEvents, ReservationService
    from therapy_booking.domain.sign_up import SignUpService
    from therapy_booking.domain.token_groups import TokenGroupsService


@dataclass(frozen=True)
class Storage:
    """The table, bound: the repositories on it."""

    table_name: str
    sessions: DynamoSessionRepository
    therapists: DynamoTherapistRepository
    clients: DynamoClientRepository


@dataclass
class Container:
    clock: Clock = field(default_factory=SystemClock)

    # --- settings, each read from the environment on first use -----------------------------------

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_environment()

    @cached_property
    def schedule_settings(self) -> ScheduleSettings:
        return ScheduleSettings.from_environment()

    @cached_property
    def failure_report_settings(self) -> FailureReportSettings:
        return FailureReportSettings.from_environment()

    @cached_property
    def calendar_settings(self) -> CalendarSettings:
        return CalendarSettings.from_environment()

    @cached_property
    def notification_settings(self) -> NotificationSettings:
        return NotificationSettings.from_environment()

    @cached_property
    def assessment_settings(self) -> AssessmentSettings:
        return AssessmentSettings.from_environment()

    @cached_property
    def account_settings(self) -> AccountSettings:
        return AccountSettings.from_environment()

    @cached_property
    def metrics_settings(self) -> MetricsSettings:
        return MetricsSettings.from_environment()

    @cached_property
    def calendar_feed_settings(self) -> CalendarFeedSettings:
        return CalendarFeedSettings.from_environment()

    @cached_property
    def listing_settings(self) -> ListingSettings:
        return ListingSettings.from_environment()

    # --- the table ---------------------------------------------------------------------------------

    @cached_property
    def storage(self) -> Storage:
        """Binds the PynamoDB models to the settings' table (once per container) and builds the repositories."""
        table_name = self.settings.table_name
        bind_table(table_name)
        return Storage(table_name, DynamoSessionRepository(), DynamoTherapistRepository(), DynamoClientRepository())

    # --- services and adapters ---------------------------------------------------------------------

    @cached_property
    def sessions(self) -> SessionService:
        storage = self.storage
        return SessionService(storage.sessions, storage.therapists, self.clock, self.settings.policy)

    @cached_property
    def therapists(self) -> TherapistService:
        return TherapistService(self.storage.therapists, self.clock, self.settings.policy, listing=self.listing)

    @cached_property
    def listing(self) -> Listing:
        """The listing's pages: its first pages (no cursor) kept `LISTING_CACHE_SECONDS` in this container's memory
        when that is above 0 (the reads function, by the template), else every page read from the table. The
        cache goes with the container on `reset`."""
        seconds = self.listing_settings.cache_seconds
        if not seconds:
            return self.storage.therapists
        from therapy_booking.adapters.listing_cache import LISTING_CACHE_PAGE_SIZES, CachedListing, TtlCache

        return CachedListing(self.storage.therapists, TtlCache(seconds, LISTING_CACHE_PAGE_SIZES))

    @cached_property
    def clients(self) -> ClientService:
        return ClientService(self.storage.clients)

    @cached_property
    def keyed_bookings(self) -> PowertoolsKeyedBookings:
        """Bookings under an Idempotency-Key; Powertools' idempotency and boto3 load on the first one."""
        from therapy_booking.adapters.keyed_bookings import PowertoolsKeyedBookings

        return PowertoolsKeyedBookings(self.settings.table_name, self.settings.idempotency_ttl_seconds)

    @cached_property
    def session_schedules(self) -> EventBridgeSessionSchedules:
        """`ExpirySchedules`, `ReminderSchedules` and `ResponseReminderSchedules`, on EventBridge Scheduler."""
        from therapy_booking.adapters.session_schedules import EventBridgeSessionSchedules

        return EventBridgeSessionSchedules(self.schedule_settings)

    @cached_property
    def outbox(self) -> OutboxEvents:
        """Decodes the outbox items the stream consumers receive."""
        from therapy_booking.adapters.dynamodb.outbox import OutboxCodec

        return OutboxCodec()

    @cached_property
    def reservation_outbox(self) -> ReservationEvents:
        """Decodes the reservations' outbox items the notifications consumer receives."""
        from therapy_booking.adapters.dynamodb.reservations import ReservationEventCodec

        return ReservationEventCodec()

    @cached_property
    def therapist_records(self) -> TherapistRecords:
        """Reads the therapist records' stream images the standing projection receives."""
        from therapy_booking.adapters.dynamodb.therapist_records import TherapistRecords

        self.storage  # noqa: B018 (binds the models to the table before an image is read)
        return TherapistRecords()

    @cached_property
    def standing_projection(self) -> StandingProjection:
        return StandingProjection(self.storage.therapists, self.notifications, self.settings.policy)

    @cached_property
    def calendar_imports(self) -> CalendarImportService:
        """The imported calendars: the fetcher, the iCalendar reader and boto3's SQS load on first use."""
        from therapy_booking.adapters.calendar_fetch import SafeCalendarFetcher
        from therapy_booking.adapters.dynamodb.calendar_imports import DynamoCalendarImports
        from therapy_booking.domain.calendar_sync import CalendarImportService

        settings = self.calendar_settings
        source = SafeCalendarFetcher(
            allow_local_http=settings.allow_local_http, timeout_seconds=settings.fetch_timeout_seconds
        )
        _ = self.storage  # binds the table
        return CalendarImportService(
            DynamoCalendarImports(),
            source,
            lambda: self.notifications,
            self.clock,
            self.settings.policy,
            new_id,
        )

    @cached_property
    def assessments(self) -> AssessmentService:
        """The self-assessments (health data: only their client and the client's therapists read them)."""
        from therapy_booking.adapters.dynamodb.assessments import DynamoAssessments
        from therapy_booking.domain.assessment import AssessmentService

        _ = self.storage  # binds the table
        return AssessmentService(DynamoAssessments(), self.clock)

    @cached_property
    def reservations(self) -> ReservationService:
        """Reserved recurring slots."""
        from therapy_booking.adapters.dynamodb.reservations import DynamoReservations
        from therapy_booking.domain.reservations import ReservationService

        storage = self.storage
        return ReservationService(
            DynamoReservations(), storage.therapists, storage.clients, self.clock, self.settings.policy, new_id
        )

    @cached_property
    def personal_data(self) -> PersonalDataService:
        """A client's export and erasure (sessions, reservations, keyed bookings, their items, their account)."""
        from therapy_booking.adapters.cognito_users import CognitoUserDirectory
        from therapy_booking.adapters.dynamodb.assessments import DynamoAssessments
        from therapy_booking.adapters.dynamodb.erasure import DynamoErasure
        from therapy_booking.domain.personal_data import PersonalDataService

        storage = self.storage
        return PersonalDataService(
            profiles=storage.clients,
            assessments=DynamoAssessments(),
            sessions=self.sessions,
            reservations=self.reservations,
            store=DynamoErasure(),
            keyed_bookings=self.keyed_bookings,
            accounts=lambda: CognitoUserDirectory(self.account_settings.user_pool_id),
            clock=self.clock,
        )

    @cached_property
    def calendar_sync_queue(self) -> SyncQueue:
        from therapy_booking.adapters.sqs_sync_queue import SqsSyncQueue

        queue_url = self.calendar_settings.sync_queue_url
        if not queue_url:
            raise SettingsError({"CALENDAR_SYNC_QUEUE_URL": "is not set"})
        return SqsSyncQueue(queue_url)

    @cached_property
    def failure_reports(self) -> FailureReports:
        from therapy_booking.adapters.sqs_failure_reports import SqsFailureReports

        return SqsFailureReports(self.failure_report_settings)

    @cached_property
    def delivery_ledger(self) -> PowertoolsDeliveryLedger:
        from therapy_booking.adapters.delivery_ledger import PowertoolsDeliveryLedger

        return PowertoolsDeliveryLedger(self.settings.table_name)

    @cached_property
    def business_metrics(self) -> EmfBusinessMetrics:
        """The business metrics counted in this invocation; written out by `published()` around a handler's work."""
        from therapy_booking.adapters.business_metrics import EmfBusinessMetrics

        return EmfBusinessMetrics(self.metrics_settings)

    @cached_property
    def notifications(self) -> NotificationService:
        # Imported here: only the notification functions pay for the mapping, Jinja, iCalendar and the
        # idempotency store.
        from therapy_booking.adapters.ses_email import SesEmailSender
        from therapy_booking.adapters.sns_sms import SnsSmsSender
        from therapy_booking.domain.notifications import NotificationService, ProfileContacts
        from therapy_booking.notifications.rendering import TemplateRenderer

        settings, storage = self.notification_settings, self.storage
        return NotificationService(
            contacts=ProfileContacts(storage.therapists),
            renderer=TemplateRenderer(settings),
            email=SesEmailSender(settings.sender),
            sms=SnsSmsSender(),
            ledger=self.delivery_ledger,
            sessions=storage.sessions,
            clock=self.clock,
            policy=self.settings.policy,
            metrics=self.business_metrics,
        )

    @cached_property
    def audit(self) -> AuditService:
        """The audit trail of admin reads of sessions: written by the reads function, read by the admin one."""
        from therapy_booking.adapters.dynamodb.audit import DynamoAuditTrail
        from therapy_booking.domain.audit import AuditService

        _ = self.storage  # binds the table
        return AuditService(DynamoAuditTrail(), self.clock)

    @cached_property
    def calendar_feeds(self) -> CalendarFeedService:
        """A therapist's feed address and the feed it reads (sessions and reservations); the secret is read on the
        first token derived."""
        from therapy_booking.adapters.dynamodb.calendar_feeds import DynamoCalendarFeeds
        from therapy_booking.adapters.dynamodb.reservations import DynamoReservations
        from therapy_booking.adapters.feed_tokens import SecretsManagerFeedTokens
        from therapy_booking.domain.calendar_feed import CalendarFeedService, uid_domain

        settings, storage = self.calendar_feed_settings, self.storage
        return CalendarFeedService(
            DynamoCalendarFeeds(),
            storage.sessions,
            DynamoReservations(),
            SecretsManagerFeedTokens(settings.secret_id),
            self.clock,
            uid_domain(settings.sender),
        )

    def sign_ups(self, user_pool_id: str) -> SignUpService:
        """Self sign-ups into the pool a trigger's event names (not cached: the pool comes with each event; the
        boto3 client is the one `aws_clients` keeps)."""
        from therapy_booking.adapters.cognito_users import CognitoUserDirectory
        from therapy_booking.domain.sign_up import SignUpService

        return SignUpService(CognitoUserDirectory(user_pool_id))

    def token_groups(self, user_pool_id: str) -> TokenGroupsService:
        """The groups a token of the pool a trigger's event names may carry (not cached, like `sign_ups`)."""
        from therapy_booking.adapters.cognito_users import CognitoUserDirectory
        from therapy_booking.domain.token_groups import TokenGroupsService

        return TokenGroupsService(CognitoUserDirectory(user_pool_id))

    def reset(self, clock: Clock | None = None) -> None:
        """Forget every built part and every setting read (the next use reads them and binds the table
        again), optionally with another clock."""
        self.__dict__.clear()
        self.clock = clock or SystemClock()


container = Container()
