"""PynamoDB models of the single table (see docs/architecture.md, "Table design").

Every entity subclasses `TableItem`, which mirrors the table of template.yaml
(pk/sk, two GSIs) and shares one PynamoDB connection, so a request uses one
botocore client whichever entities it touches.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    Attribute,
    BinaryAttribute,
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import TableConnection
from pynamodb.constants import MAP
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

LISTED = "LISTED"
DUE = "DUE"  # sessions written before the due index was sharded; the sweeper still reads it until it is empty
DUE_SHARDS = 10  # the due index's partitions: at 100 bookings a second each takes about a tenth of the writes


def due_key(session_id: str) -> str:
    """The due index partition of a session: `DUE#<0..DUE_SHARDS-1>` by a stable hash of its id, so a session
    keeps its partition for life and the writes of many sessions spread over all of them."""
    shard = int.from_bytes(hashlib.sha256(session_id.encode()).digest()[:4], "big") % DUE_SHARDS
    return f"{DUE}#{shard}"


def due_partitions() -> tuple[str, ...]:
    """Every partition the sweeper reads: each shard, and the legacy unsharded one."""
    return (*(f"{DUE}#{shard}" for shard in range(DUE_SHARDS)), DUE)


RESERVATIONS_DUE = "RESERVATIONS_DUE"  # gsi3: reservations the sweeper must look at (their own partition)


def therapist_key(therapist_id: str) -> str:
    return f"THERAPIST#{therapist_id}"


def client_key(client_id: str) -> str:
    return f"CLIENT#{client_id}"


def session_key(session_id: str) -> str:
    return f"SESSION#{session_id}"


def reservation_key(reservation_id: str) -> str:
    """The partition of a reservation's outbox events (the reservation itself lives in its therapist's)."""
    return f"RESERVATION#{reservation_id}"


def client_reservations_key(client_id: str) -> str:
    return f"CLIENT_RESERVATIONS#{client_id}"


def therapist_reservations_key(therapist_id: str) -> str:
    return f"RESERVATIONS#{therapist_id}"


def audit_session_key(session_id: str) -> str:
    """The audit entries of a session's reads (the table's partition: "who read session X")."""
    return f"AUDIT#SESSION#{session_id}"


def audit_admin_key(admin_id: str) -> str:
    """The audit entries of an admin's reads (gsi1's partition: "what did admin Y read")."""
    return f"AUDIT#ADMIN#{admin_id}"


def calendar_feed_key(token_hash: str) -> str:
    return f"CALENDAR_FEED#{token_hash}"


def iso(instant: datetime) -> str:
    """Fixed-width UTC ISO 8601, so that string order is time order."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Gsi1(GlobalSecondaryIndex["TableItem"]):
    """Therapists' sessions by start, and the therapist listing."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex["TableItem"]):
    """Clients' sessions by start."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Gsi3(GlobalSecondaryIndex["TableItem"]):
    """Sessions that need the sweeper, by when: an answer's deadline, a confirmed session's end."""

    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class TableItem(Model):
    class Meta:
        table_name = "therapy-booking"  # rebound from settings by `bind_table`

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entity = DiscriminatorAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    gsi2 = Gsi2()
    gsi3 = Gsi3()

    @classmethod
    def _get_connection(cls) -> TableConnection:
        connection: TableConnection = Model._get_connection.__func__(TableItem)  # type: ignore[attr-defined]
        return connection


def bind_table(table_name: str) -> None:
    TableItem.Meta.table_name = table_name
    TableItem._connection = None


class MoneyMap(MapAttribute[str, Any]):
    amount = NumberAttribute()
    currency = UnicodeAttribute()


class LocationMap(MapAttribute[str, Any]):
    id = UnicodeAttribute()
    kind = UnicodeAttribute()
    address = UnicodeAttribute(null=True)
    link = UnicodeAttribute(null=True)


class SessionTypeMap(MapAttribute[str, Any]):
    type = UnicodeAttribute()
    duration_minutes = NumberAttribute()
    price = MoneyMap()


class WindowMap(MapAttribute[str, Any]):
    day = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()


class AlternativeMap(MapAttribute[str, Any]):
    alternative_id = UnicodeAttribute()
    start = UTCDateTimeAttribute()
    end = UTCDateTimeAttribute()


class OfferMap(MapAttribute[str, Any]):
    offer_id = UnicodeAttribute()
    expires_at = UTCDateTimeAttribute()
    alternatives = ListAttribute(of=AlternativeMap)
    previous_status = UnicodeAttribute()


class LocationChangeMap(MapAttribute[str, Any]):
    change_id = UnicodeAttribute()
    location = LocationMap()
    expires_at = UTCDateTimeAttribute()
    previous_status = UnicodeAttribute()


class HistoryMap(MapAttribute[str, Any]):
    at = UTCDateTimeAttribute()
    action = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    actor_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)


class TherapistItem(TableItem, discriminator="therapist"):
    """pk THERAPIST#id, sk PROFILE. Listed (gsi1pk LISTED) while visible and active, in rank order (gsi1sk is
    the rank key, see `ranking_keys`): the counts below are updated by the sessions' own transactions, the
    score and the key by the standing projection (functions/therapist_standing)."""

    therapist_id = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    sms_opt_in = BooleanAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    locations = ListAttribute(of=LocationMap, null=True)
    session_types = ListAttribute(of=SessionTypeMap, null=True)
    free_initial_consultation = BooleanAttribute(null=True)
    visible = BooleanAttribute(null=True)
    deactivated = BooleanAttribute(null=True)
    weekly = ListAttribute(of=WindowMap, null=True)
    min_notice_hours = NumberAttribute(null=True)
    horizon_days = NumberAttribute(null=True)
    own_rearrangements = NumberAttribute(null=True)  # rearrangements for the therapist's own reasons
    cancellation_streak = NumberAttribute(null=True)  # therapist cancellations since a session went ahead (ADD)
    reactivated_at = UTCDateTimeAttribute(null=True)  # the team's latest reactivation: when, who, why
    reactivated_by = UnicodeAttribute(null=True)
    reactivation_note = UnicodeAttribute(null=True)
    country = UnicodeAttribute(null=True)  # whose public holidays they keep (None: the platform's default)
    response_samples = NumberAttribute(null=True)  # first answers measured (ADD)
    responses_within_sla = NumberAttribute(null=True)  # ... of which within the allowance (ADD)
    recent_response_minutes = ListAttribute(of=NumberAttribute, null=True)  # appended; trimmed by the projection
    rank_score = NumberAttribute(null=True)  # as the projection last computed it (None: never yet)


class ClientItem(TableItem, discriminator="client"):
    """pk CLIENT#id, sk PROFILE."""

    client_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    sms_opt_in = BooleanAttribute()
    timezone = UnicodeAttribute()


class SessionItem(TableItem, discriminator="session"):
    """pk SESSION#id, sk SESSION; gsi1 THERAPIST#id / start, gsi2 CLIENT#id / start, gsi3 DUE#<shard> / due time."""

    session_id = UnicodeAttribute()
    therapist_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    status = UnicodeAttribute()
    session_type = UnicodeAttribute()
    attendees = ListAttribute(of=UnicodeAttribute)
    location = LocationMap()
    start = UTCDateTimeAttribute()
    end = UTCDateTimeAttribute()
    price = MoneyMap()
    initial_consultation = BooleanAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = NumberAttribute()
    note = UnicodeAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)
    cancellation_reason = UnicodeAttribute(null=True)
    decline_reason = UnicodeAttribute(null=True)
    refund = MoneyMap(null=True)
    therapist_payout = MoneyMap(null=True)
    platform_commission = MoneyMap(null=True)
    offer = OfferMap(null=True)
    location_change = LocationChangeMap(null=True)
    history = ListAttribute(of=HistoryMap, null=True)
    releases_pending = ListAttribute(of=UnicodeAttribute, null=True)  # unit starts (`iso`) still to give back
    response_due_at = UTCDateTimeAttribute(null=True)
    response_reminder_at = UTCDateTimeAttribute(null=True)
    answered_at = UTCDateTimeAttribute(null=True)


class RawItemAttribute(Attribute[dict[str, Any]]):
    """A map kept in DynamoDB's own typed form: another item's attributes, stored whole."""

    attr_type = MAP

    def serialize(self, value: dict[str, Any]) -> dict[str, Any]:
        return value

    def deserialize(self, value: dict[str, Any]) -> dict[str, Any]:
        return value


class EventItem(TableItem, discriminator="event"):
    """The outbox: pk SESSION#id, sk EVENT#<version>. Kept as the session's audit trail.

    `session` is the session as this event left it (its item's attributes without keys and
    history), so consumers can tell people what happened without reading the table.
    """

    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    session_id = UnicodeAttribute()
    session_version = NumberAttribute()
    therapist_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    occurred_at = UTCDateTimeAttribute()
    actor_role = UnicodeAttribute()
    actor_id = UnicodeAttribute(null=True)
    data = MapAttribute[str, Any]()
    session = RawItemAttribute(null=True)
    note = UnicodeAttribute(null=True)  # the team's note on its change: audit trail only


class ClaimItem(TableItem, discriminator="claim"):
    """pk THERAPIST#id, sk CLAIM#<unit start>: one unit of the therapist's time. A busy time of an imported
    calendar expires (`ttl`, a day after its unit) once past, as nothing else gives it back then. The first unit
    of a reserved occurrence says whom and which occurrence it is held for (`held_*`)."""

    kind = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    ttl = NumberAttribute(null=True)
    held_for = UnicodeAttribute(null=True)  # the client a reserved occurrence is held for
    held_start = UTCDateTimeAttribute(null=True)
    held_end = UTCDateTimeAttribute(null=True)
    held_type = UnicodeAttribute(null=True)


class OccurrenceMap(MapAttribute[str, Any]):
    start = UTCDateTimeAttribute()
    end = UTCDateTimeAttribute()


class ReservationItem(TableItem, discriminator="reservation"):
    """pk THERAPIST#id, sk RESERVATION#id (outside the slot query's range: it sorts after PROFILE). Once made
    (not while pending), gsi1 RESERVATIONS#<therapist> / <first start>#id (the therapist's list and their feed);
    while active, gsi2 CLIENT_RESERVATIONS#<client> / <first start>#id (the client's list); while due, gsi3
    RESERVATIONS_DUE / <due>#id (the sweeper). `booked` maps an occurrence's start (`iso`) to the session that
    booked it. Deleted and ended ones expire (`ttl`) a while after; their events stay."""

    reservation_id = UnicodeAttribute()
    therapist_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    session_type = UnicodeAttribute()
    location = LocationMap()
    every_weeks = NumberAttribute()
    occurrences = ListAttribute(of=OccurrenceMap)
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = NumberAttribute()
    booked = MapAttribute[str, Any]()
    released_through = UTCDateTimeAttribute(null=True)
    ttl = NumberAttribute(null=True)


class ReservationEventItem(TableItem, discriminator="reservation_event"):
    """A reservation's outbox: pk RESERVATION#id, sk EVENT#<version>, with the reservation as the event left it
    (its item's attributes without keys): the client's email needs no read of the reservation."""

    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    reservation_id = UnicodeAttribute()
    reservation_version = NumberAttribute()
    therapist_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    occurred_at = UTCDateTimeAttribute()
    actor_role = UnicodeAttribute()
    actor_id = UnicodeAttribute(null=True)
    reservation = RawItemAttribute()


IMPORTS = "CALENDAR_IMPORTS"


class CalendarImportItem(TableItem, discriminator="calendar_import"):
    """pk THERAPIST#id, sk CALENDAR_IMPORT; gsi2 CALENDAR_IMPORTS / therapist id (the periodic sync's list).
    `url` is the secret address: never logged, never answered whole."""

    therapist_id = UnicodeAttribute()
    import_id = UnicodeAttribute()
    url = UnicodeAttribute()
    status = UnicodeAttribute()
    last_synced_at = UTCDateTimeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    busy_count = NumberAttribute()
    etag = UnicodeAttribute(null=True)
    last_modified = UnicodeAttribute(null=True)
    failing_told = BooleanAttribute()
    overlaps_told = ListAttribute(of=UnicodeAttribute, null=True)
    busy = BinaryAttribute(null=True, legacy_encoding=False)  # the busy periods last read, packed (`busy_periods`)
    covered_until = UTCDateTimeAttribute(null=True)


class BlockItem(TableItem, discriminator="block"):
    """pk THERAPIST#id, sk BLOCK#id."""

    block_id = UnicodeAttribute()
    therapist_id = UnicodeAttribute()
    start = UTCDateTimeAttribute()
    end = UTCDateTimeAttribute()
    note = UnicodeAttribute(null=True)


class ScoreMap(MapAttribute[str, Any]):
    total = NumberAttribute()
    band = UnicodeAttribute()


class AssessmentItem(TableItem, discriminator="assessment"):
    """pk CLIENT#id, sk ASSESSMENT: the client's self-assessment (health data: never logged)."""

    client_id = UnicodeAttribute()
    questionnaire_version = UnicodeAttribute()
    answers = MapAttribute[str, Any]()  # question id -> 0..3
    concerns = UnicodeAttribute(null=True)
    scores = MapAttribute[str, Any]()  # instrument id -> ScoreMap-shaped {total, band}
    updated_at = UTCDateTimeAttribute()


ERASED = "ERASED"


class ErasedClientItem(TableItem, discriminator="erased_client"):
    """pk CLIENT#id, sk ERASED: the client's data was erased (or is being erased). Written first by the erasure and
    kept (it holds the id only): every write of the client's (a booking, their profile, their assessment) is
    conditional on its absence, so nothing of theirs is written again with a token issued before."""

    client_id = UnicodeAttribute()


class ClientTherapistItem(TableItem, discriminator="client_therapist"):
    """pk CLIENT#id, sk THERAPIST#<therapist id>: the client has booked with the therapist (written, the same
    each time, by every booking's transaction). It lets the therapist read the client's assessment."""

    client_id = UnicodeAttribute()
    therapist_id = UnicodeAttribute()


class FreeConsultationItem(TableItem, discriminator="free_consultation"):
    """pk CLIENT#id, sk FREE_CONSULTATION#<therapist id>: the pair's one free consultation."""

    session_id = UnicodeAttribute()


class CalendarFeedItem(TableItem, discriminator="calendar_feed"):
    """pk THERAPIST#id, sk CALENDAR_FEED: the generation the therapist's feed token is derived from.

    Its own item, not an attribute of the profile: a profile PUT replaces the profile item, and the standing
    projection (which reads the profile records' stream) has nothing to do with a rotation. The sort key
    sorts before CLAIM#, outside the slot query's range (CLAIM#<from> .. PROFILE)."""

    therapist_id = UnicodeAttribute()
    generation = NumberAttribute()


class CalendarFeedLookupItem(TableItem, discriminator="calendar_feed_lookup"):
    """pk CALENDAR_FEED#<SHA-256 of the token, hex>, sk FEED: whose feed a token opens, and for which generation.
    The token itself is never stored."""

    therapist_id = UnicodeAttribute()
    generation = NumberAttribute()


class AuditItem(TableItem, discriminator="audit"):
    """pk AUDIT#SESSION#<session id>, sk `<read instant>#<request id>`; gsi1 AUDIT#ADMIN#<admin id> / the same sort
    key. One admin read of a session, appended, never changed; expires (`ttl`) after the retention. It names the
    admin, the action, the session and the request, and nothing of the client's."""

    admin_id = UnicodeAttribute()
    action = UnicodeAttribute()
    session_id = UnicodeAttribute()
    request_id = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    ttl = NumberAttribute()
