"""Domain objects to table items and back: sessions, therapists, clients, blocks, free-consultation marks."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from therapy_booking.adapters.dynamodb.models import (
    AlternativeMap,
    BlockItem,
    ClientItem,
    ClientTherapistItem,
    FreeConsultationItem,
    HistoryMap,
    LocationChangeMap,
    LocationMap,
    MoneyMap,
    OfferMap,
    SessionItem,
    TherapistItem,
    client_key,
    due_key,
    iso,
    session_key,
    therapist_key,
)
from therapy_booking.domain.model import (
    Alternative,
    Availability,
    Block,
    ClientProfile,
    HistoryEntry,
    Location,
    LocationChange,
    LocationKind,
    Money,
    Offer,
    ResponseRecord,
    Role,
    Session,
    SessionStatus,
    SessionType,
    SessionTypeOffer,
    Therapist,
    TherapistProfile,
    Weekday,
    WeeklyWindow,
)

PROFILE = "PROFILE"


SESSION = "SESSION"


def money_from_map(value: MoneyMap | None) -> Money | None:
    return None if value is None else Money(int(value.amount), value.currency)


def money_map(value: Money | None) -> MoneyMap | None:
    return None if value is None else MoneyMap(amount=value.amount, currency=value.currency)


def location_from_map(value: LocationMap) -> Location:
    return Location(value.id, LocationKind(value.kind), value.address, value.link)


def location_map(value: Location) -> LocationMap:
    return LocationMap(id=value.id, kind=value.kind, address=value.address, link=value.link)


def session_from_item(item: SessionItem) -> Session:
    return Session(
        session_id=item.session_id,
        therapist_id=item.therapist_id,
        client_id=item.client_id,
        status=SessionStatus(item.status),
        session_type=SessionType(item.session_type),
        attendees=tuple(str(name) for name in item.attendees),
        location=location_from_map(item.location),
        start=item.start,
        end=item.end,
        price=Money(int(item.price.amount), item.price.currency),
        initial_consultation=item.initial_consultation,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version),
        note=item.note,
        cancelled_by=Role(item.cancelled_by) if item.cancelled_by else None,
        cancellation_reason=item.cancellation_reason,
        decline_reason=item.decline_reason,
        refund=money_from_map(item.refund),
        therapist_payout=money_from_map(item.therapist_payout),
        platform_commission=money_from_map(item.platform_commission),
        offer=_offer(item.offer),
        location_change=_location_change(item.location_change),
        history=tuple(
            HistoryEntry(h.at, h.action, h.actor_role, h.actor_id, h.reason, h.note) for h in item.history or []
        ),
        releases_pending=tuple(datetime.fromisoformat(str(unit)) for unit in item.releases_pending or []),
        response_due_at=item.response_due_at,
        response_reminder_at=item.response_reminder_at,
        answered_at=item.answered_at,
    )


def _offer(value: OfferMap | None) -> Offer | None:
    if value is None:
        return None
    return Offer(
        value.offer_id,
        value.expires_at,
        tuple(Alternative(a.alternative_id, a.start, a.end) for a in value.alternatives),
        SessionStatus(value.previous_status),
    )


def _location_change(value: LocationChangeMap | None) -> LocationChange | None:
    if value is None:
        return None
    return LocationChange(
        value.change_id, location_from_map(value.location), value.expires_at, SessionStatus(value.previous_status)
    )


def _session_extras(session: Session) -> dict[str, Any]:
    offer = session.offer
    change = session.location_change
    due = session.due_at
    return {
        "gsi3pk": due_key(session.session_id) if due else None,
        "gsi3sk": f"{iso(due)}#{session.session_id}" if due else None,
        "offer": None
        if offer is None
        else OfferMap(
            offer_id=offer.offer_id,
            expires_at=offer.expires_at,
            alternatives=[
                AlternativeMap(alternative_id=a.alternative_id, start=a.start, end=a.end) for a in offer.alternatives
            ],
            previous_status=offer.previous_status,
        ),
        "location_change": None
        if change is None
        else LocationChangeMap(
            change_id=change.change_id,
            location=location_map(change.location),
            expires_at=change.expires_at,
            previous_status=change.previous_status,
        ),
        "history": [
            HistoryMap(
                at=h.at, action=h.action, actor_role=h.actor_role, actor_id=h.actor_id, reason=h.reason, note=h.note
            )
            for h in session.history
        ]
        or None,
        "releases_pending": [iso(unit) for unit in session.releases_pending] or None,
    }


def session_item(session: Session) -> SessionItem:
    position = f"{iso(session.start)}#{session.session_id}"
    return SessionItem(
        session_key(session.session_id),
        SESSION,
        gsi1pk=therapist_key(session.therapist_id),
        gsi1sk=position,
        gsi2pk=client_key(session.client_id),
        gsi2sk=position,
        session_id=session.session_id,
        therapist_id=session.therapist_id,
        client_id=session.client_id,
        status=session.status,
        session_type=session.session_type,
        attendees=list(session.attendees),
        location=location_map(session.location),
        start=session.start,
        end=session.end,
        price=money_map(session.price),
        initial_consultation=session.initial_consultation,
        created_at=session.created_at,
        updated_at=session.updated_at,
        version=session.version,
        note=session.note,
        cancelled_by=session.cancelled_by,
        cancellation_reason=session.cancellation_reason,
        decline_reason=session.decline_reason,
        refund=money_map(session.refund),
        therapist_payout=money_map(session.therapist_payout),
        platform_commission=money_map(session.platform_commission),
        response_due_at=session.response_due_at,
        response_reminder_at=session.response_reminder_at,
        answered_at=session.answered_at,
        **_session_extras(session),
    )


def client_therapist_item(client_id: str, therapist_id: str) -> ClientTherapistItem:
    """The pair's relationship: the client has booked with the therapist."""
    return ClientTherapistItem(
        client_key(client_id), therapist_key(therapist_id), client_id=client_id, therapist_id=therapist_id
    )


def free_consultation_item(client_id: str, therapist_id: str, session_id: str) -> FreeConsultationItem:
    return FreeConsultationItem(client_key(client_id), f"FREE_CONSULTATION#{therapist_id}", session_id=session_id)


def therapist_from_item(item: TherapistItem) -> Therapist:
    profile = None
    if item.name is not None:
        profile = TherapistProfile(
            name=item.name,
            email=item.email or "",
            phone=item.phone,
            sms_opt_in=bool(item.sms_opt_in),
            timezone=item.timezone or "UTC",
            locations=tuple(location_from_map(loc) for loc in item.locations or []),
            session_types=tuple(
                SessionTypeOffer(
                    SessionType(t.type), int(t.duration_minutes), Money(int(t.price.amount), t.price.currency)
                )
                for t in item.session_types or []
            ),
            free_initial_consultation=bool(item.free_initial_consultation),
            visible=bool(item.visible),
            country=item.country,
        )
    availability = None
    if item.weekly is not None:
        availability = Availability(
            weekly=tuple(
                WeeklyWindow(Weekday(w.day), time.fromisoformat(w.start), time.fromisoformat(w.end))
                for w in item.weekly
            ),
            min_notice_hours=int(item.min_notice_hours or 0),
            horizon_days=int(item.horizon_days or 0),
        )
    return Therapist(
        item.therapist_id,
        profile,
        availability,
        deactivated=bool(item.deactivated),
        cancellation_streak=int(item.cancellation_streak or 0),
        responses=ResponseRecord(
            samples=int(item.response_samples or 0),
            within_sla=int(item.responses_within_sla or 0),
            recent_minutes=tuple(int(str(minutes)) for minutes in item.recent_response_minutes or []),
        ),
        own_rearrangements=int(item.own_rearrangements or 0),
    )


def client_from_item(item: ClientItem) -> ClientProfile:
    return ClientProfile(item.client_id, item.name, item.email, item.phone, item.sms_opt_in, item.timezone)


def block_from_item(item: BlockItem) -> Block:
    return Block(item.block_id, item.therapist_id, item.start, item.end, item.note)
